"""The per-generation cache of posting arrays: a stored word's postings are slices of the memory-
mapped posting store (free, never cached); any other word's are read from Whoosh once and kept
in a byte-bounded LRU with the arrays derived from them (word weights)."""
from __future__ import annotations

import threading
from collections import OrderedDict

from index.store.postings import PostingStore, Postings, read_postings

# Posting-cache budget per paragraph of the generation, and its floor (see PostingCache.sized_for).
CACHE_BYTES_PER_DOC = 40
MIN_CACHE_BYTES = 16 * 1024 * 1024


class PostingCache:
    """A thread-safe LRU of posting arrays and of arrays derived from them (anything with
    `nbytes`), bounded by bytes: common words are read and scored once."""

    def __init__(self, max_bytes: int = 96 * 1024 * 1024, store: PostingStore | None = None):
        self.max_bytes = max_bytes
        self.posting_store = store or PostingStore({})
        self._bytes = 0
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0  # lookups answered and not, for sizing (bench/memory_soak.py)

    @classmethod
    def sized_for(cls, doc_count: int, store: PostingStore | None = None) -> "PostingCache":
        """A cache sized by what it buys: the postings and word weights of the words that recur
        in queries, which grow with the collection. It is private to each worker process, so
        every MB counts twice or more. On the Reuters files (90,764 paragraphs), 1,500 varied
        queries (`bench/memory_soak.py --cache-rates`) hit 4 % with no cache, 47 % with 8 MB and
        50 % with 32 MB, of which they filled 14: the rest are first uses, which no budget
        saves. At 10x (907,640 paragraphs) they hit 4 %, 19 %, 25 % and 37 % with 0, 8, 32 and
        96 MB, and took 26.6, 26.3, 20.6 and 19.8 ms a query: past 32 MB a budget buys hits but
        hardly any time. CACHE_BYTES_PER_DOC per paragraph (36 MB at 10x), never less than
        MIN_CACHE_BYTES (the Reuters files); it was 192 bytes (174 MB at 10x) before."""
        return cls(max(MIN_CACHE_BYTES, CACHE_BYTES_PER_DOC * doc_count), store)

    def get(self, reader, fieldname: str, text: str) -> Postings:
        kept = self.posting_store.get(fieldname, text)
        if kept is not None:
            return kept
        key = (fieldname, text)
        found = self.lookup(key)
        if found is not None:
            return found
        postings = read_postings(reader, fieldname, text)
        self.store(key, postings)
        return postings

    def lookup(self, key: tuple):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._items.move_to_end(key)
            return found

    def store(self, key: tuple, value) -> None:
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += value.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes
