"""The last few evaluated matches of a generation, so that a search asked twice in a row with
the same words and filters is evaluated once: the page's search and the sample its significant
words are drawn from (a first view of a new query ran the query twice: about 1.5 ms of its
10), a page and the next page, a search and its export. Only the order, the grouping and the
page differ between those, and they are computed afresh from the kept match.

Keyed by everything that decides the matches and their scores; a match cut off by the time
limit is never kept. Lives as long as its generation (a new generation starts empty), holds
at most SIZE matches (a common word's is a few hundred KB at 1x). Thread-safe. Never imports
search.service or search.web.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from search.engine.tree import Match

SIZE = 16


class RecentMatches:
    def __init__(self, size: int = SIZE):
        self._size = size
        self._kept: OrderedDict[tuple, tuple[Match, bool, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[Match, bool, frozenset[str]] | None:
        """The kept (match, relaxed, terms to mark) for `key`, or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def keep(self, key: tuple, match: Match, relaxed: bool, highlight: frozenset[str]) -> None:
        """Keep a complete evaluation (read-only from now on: every later search shares it)."""
        match.ids.flags.writeable = False
        match.scores.flags.writeable = False
        with self._lock:
            self._kept[key] = (match, relaxed, highlight)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
