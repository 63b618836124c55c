"""What a results page derives from its search alone and costs more than the search to make
(the world map, the significant words), kept per (generation, query) so that a page drawn again
(paging, the back button, a change of sort) reuses it instead of making it again."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

# Entries kept per server process (each a few kB of references: a map's shapes, 15 words).
DERIVED_CACHE_SIZE = 256


class DerivedCache:
    """Thread-safe; bounded, least recently used out first."""

    def __init__(self, size: int = DERIVED_CACHE_SIZE):
        self._size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable | None, make: Callable[[], object]) -> object:
        """What is kept under `key`, made by `make()` when not kept (a None key is never kept:
        a page that does not know its generation makes it each time)."""
        if key is None:
            return make()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        made = make()
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return made
