"""Per-generation numpy columns (day, month, place ids, field lengths, articles) and posting arrays.

Owns everything that turns a Whoosh reader into arrays: filters become boolean masks over
document numbers and facets are counted with array operations. Never imports search.service.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

from search.place_sets import PlaceSets

log = logging.getLogger(__name__)

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
# Posting-cache budget per paragraph of the generation (see PostingCache.sized_for).
CACHE_BYTES_PER_DOC = 512
# Fields whose per-document lengths BM25F normalises by.
LENGTH_FIELDS = ("text", "title")
# Fields whose per-document lengths BM25F normalises by.
LENGTH_FIELDS = ("text", "title")


@dataclass(frozen=True)
class Postings:
    """One term's postings as arrays: sorted global document numbers and term frequencies."""

    ids: np.ndarray
    tf: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.tf.nbytes


EMPTY_POSTINGS = Postings(EMPTY_IDS, EMPTY_WEIGHTS)


def read_postings(reader, fieldname: str, text: str | bytes) -> Postings:
    """Every posting of one term across segments, without deleted documents: exactly what
    the public matcher API (`reader.postings`) yields, as arrays.

    Reads whole blocks at a time: per-posting iteration through the matcher API costs about
    as much again in Python calls. `_read_ids`/`_read_weights` are W3LeafMatcher internals;
    whoosh3 is pinned to one exact version, and any other matcher takes the public path. A
    segment with deletions wraps its matcher in a FilterMatcher: the blocks are read from the
    matcher inside it and the deleted documents dropped here (tests/unit/test_postings.py
    checks both paths against the public API).
    """
    id_parts, tf_parts = [], []
    for segment, offset in reader.leaf_readers():
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        leaf = block_matcher(matcher)
        if leaf is not None:
            ids, tf = _read_blocks(leaf)
            deleted = getattr(segment, "deleted_docs_set", None)
            if deleted:
                keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int32, count=len(deleted)))
                ids, tf = ids[keep], tf[keep]
        else:
            items = [(docnum, matcher.weight()) for docnum in _walk(matcher)]
            ids = np.fromiter((d for d, _ in items), dtype=np.int32, count=len(items))
            tf = np.fromiter((w for _, w in items), dtype=np.float32, count=len(items))
        id_parts.append(ids + offset)
        tf_parts.append(tf)
    if not id_parts:
        return EMPTY_POSTINGS
    return Postings(np.concatenate(id_parts), np.concatenate(tf_parts))


def block_matcher(matcher) -> W3LeafMatcher | None:
    """The block-reading matcher behind `matcher` (itself, or the one a deletion filter wraps),
    or None when there is none and the public API must be walked."""
    if isinstance(matcher, FilterMatcher) and getattr(matcher, "_exclude", False):
        if not isinstance(matcher.child, W3LeafMatcher):
            return None
        # The filter has moved its child past any deleted documents at the start.
        matcher = matcher.child
        matcher.reset()
    return matcher if isinstance(matcher, W3LeafMatcher) else None


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """Every posting of one segment's term (deleted documents included), block by block."""
    id_parts, tf_parts = [], []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        id_parts.append(np.asarray(matcher._ids, dtype=np.int32))
        tf_parts.append(np.asarray(matcher._weights, dtype=np.float32))
        matcher._next_block()
    if not id_parts:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return np.concatenate(id_parts), np.concatenate(tf_parts)


def _walk(matcher):
    while matcher.is_active():
        yield matcher.id()
        matcher.next()


class PostingCache:
    """A thread-safe LRU of posting arrays and of arrays derived from them (anything with
    `nbytes`), bounded by bytes: common words are read and scored once."""

    def __init__(self, max_bytes: int = 96 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @classmethod
    def sized_for(cls, doc_count: int) -> "PostingCache":
        """A cache that holds a generation's working set: the postings and word weights
        (8 bytes each) of the words that recur in queries, which grow with the collection.
        CACHE_BYTES_PER_DOC per paragraph, never less than the old fixed 96 MB."""
        return cls(max(96 * 1024 * 1024, CACHE_BYTES_PER_DOC * doc_count))

    def get(self, reader, fieldname: str, text: str) -> Postings:
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


@dataclass
class Columns:
    """Arrays indexed by global document number, loaded once per generation (read-only after)."""

    doc_count: int
    alive: np.ndarray                 # bool: not deleted
    day: np.ndarray                   # int32 date ordinal, 0 = undated
    month: np.ndarray                 # int32 year*100+month, 0 = undated
    lengths: dict[str, np.ndarray]    # field -> float32 length per document
    average_lengths: dict[str, float]
    place_ids: list[str]              # place index -> place id
    place_index: dict[str, int]
    place_owner: np.ndarray           # int32 docnum of each (doc, place) pair
    place_entry: np.ndarray           # int32 place index of each pair
    article: np.ndarray               # int32 article number per document (for grouping)

    @classmethod
    def load(cls, reader) -> "Columns":
        n = reader.doc_count_all()
        day = _day_column(reader, n)
        owners, entries, ids = _place_pairs(reader)
        lengths = {name: _length_column(reader, name, n) for name in LENGTH_FIELDS}
        alive = _alive_mask(reader, n)
        return cls(
            doc_count=n, alive=alive, day=day, month=_month_column(day), lengths=lengths,
            average_lengths={k: float(v[alive].mean()) if alive.any() else 1.0 for k, v in lengths.items()},
            place_ids=ids, place_index={pid: i for i, pid in enumerate(ids)},
            place_owner=owners, place_entry=entries, article=_article_column(reader, n),
        )

    def date_mask(self, first: dt.date | None, last: dt.date | None) -> np.ndarray | None:
        """Documents dated within [first, last]; undated documents never match a date filter."""
        if first is None and last is None:
            return None
        mask = self.day > 0
        if first is not None:
            mask &= self.day >= first.toordinal()
        if last is not None:
            mask &= self.day <= last.toordinal()
        return mask

    def place_mask(self, place_ids: list[str]) -> np.ndarray:
        """Documents that carry any of the ids (ancestors included, so a country has its cities)."""
        wanted = np.zeros(len(self.place_ids) + 1, dtype=bool)
        for pid in place_ids:
            if pid in self.place_index:
                wanted[self.place_index[pid]] = True
        if self.place_sets is not None:
            return self.place_sets.mask(wanted)
        mask = np.zeros(self.doc_count, dtype=bool)
        mask[self.place_owner[wanted[self.place_entry]]] = True
        return mask

    def place_counts(self, matched: np.ndarray) -> np.ndarray:
        """Matching documents per place index, for a boolean `matched` mask."""
        if self.place_sets is not None:
            return self.place_sets.counts(matched)
        return np.bincount(self.place_entry[matched[self.place_owner]], minlength=len(self.place_ids))

    @cached_property
    def place_sets(self) -> PlaceSets | None:
        """The documents' interned place sets (built on first use, in well under a second for
        a million paragraphs), or None in the unlikely case that two sets hash alike."""
        try:
            return PlaceSets(self.doc_count, self.place_owner, self.place_entry, len(self.place_ids))
        except ValueError as e:
            log.warning("%s: place facets and filters read every pair", e)
            return None


def month_counts(columns: Columns, ids: np.ndarray, by_article: bool = False) -> list[tuple[str, int]]:
    """("YYYY-MM", count) for the dated documents among `ids` (or their articles)."""
    keys, counts = _key_counts(columns.month[ids], columns.article[ids] if by_article else None)
    return [(f"{k // 100:04d}-{k % 100:02d}", int(c)) for k, c in zip(keys, counts) if k]


def year_counts(columns: Columns, ids: np.ndarray, by_article: bool = False) -> list[tuple[str, int]]:
    keys, counts = _key_counts(columns.month[ids] // 100, columns.article[ids] if by_article else None)
    return [(f"{k:04d}", int(c)) for k, c in zip(keys, counts) if k]


def place_article_counts(columns: Columns, matched: np.ndarray) -> np.ndarray:
    """Matching articles per place index, for a boolean `matched` mask: an article counts once
    for a place however many of its matching paragraphs carry it (facets of group=article)."""
    places = len(columns.place_ids)
    pairs = matched[columns.place_owner]
    if not places or not pairs.any():
        return np.zeros(places, dtype=np.int64)
    articles = columns.article[columns.place_owner[pairs]].astype(np.int64)
    distinct = np.unique(articles * places + columns.place_entry[pairs])
    return np.bincount(distinct % places, minlength=places)


def _key_counts(keys: np.ndarray, articles: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys and how many documents have each, or how many distinct articles
    when `articles` (each document's article number) is given."""
    if articles is None or not len(keys):
        return _distinct_counts(keys)
    width = int(articles.max()) + 1
    pairs = np.unique(keys.astype(np.int64) * width + articles)
    return np.unique(pairs // width, return_counts=True)


def _distinct_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_counts=True) without sorting, when the keys other than 0
    (undated) span a narrow range, as months and years do: one bincount over that range,
    linear in the matches."""
    dated = keys[keys != 0]
    if not len(dated):
        return np.unique(keys, return_counts=True)
    low, high = int(dated.min()), int(dated.max())
    if high - low > 4 * len(dated) + 4096:
        return np.unique(keys, return_counts=True)
    counts = np.bincount(dated - low, minlength=high - low + 1)
    present = np.flatnonzero(counts)
    undated = len(keys) - len(dated)
    if undated:
        return np.concatenate(([0], present + low)), np.concatenate(([undated], counts[present]))
    return present + low, counts[present]


def _day_column(reader, n: int) -> np.ndarray:
    if not reader.has_column("day"):
        return np.zeros(n, dtype=np.int32)
    return np.fromiter(reader.column_reader("day"), dtype=np.int32, count=n)


def _month_column(day: np.ndarray) -> np.ndarray:
    month = np.zeros(len(day), dtype=np.int32)
    dated = day > 0
    if dated.any():
        # numpy datetime64 days count from 1970-01-01; ordinals from 0001-01-01.
        days = (day[dated] - dt.date(1970, 1, 1).toordinal()).astype("datetime64[D]")
        months = days.astype("datetime64[M]").astype(np.int64)
        month[dated] = (1970 + months // 12) * 100 + months % 12 + 1
    return month


def _length_column(reader, fieldname: str, n: int) -> np.ndarray:
    if fieldname not in reader.schema or not reader.schema[fieldname].scorable:
        return np.ones(n, dtype=np.float32)
    lengths = np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)),
                          dtype=np.float32, count=n)
    return np.maximum(lengths, 1.0)


def _alive_mask(reader, n: int) -> np.ndarray:
    alive = np.ones(n, dtype=bool)
    if reader.has_deletions():
        for d in range(n):
            if reader.is_deleted(d):
                alive[d] = False
    return alive


def _place_pairs(reader) -> tuple[np.ndarray, np.ndarray, list[str]]:
    ids = [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon("place_ids")]
    owners, entries = [], []
    for i, pid in enumerate(ids):
        postings = read_postings(reader, "place_ids", pid)
        owners.append(postings.ids)
        entries.append(np.full(len(postings.ids), i, dtype=np.int32))
    if not ids:
        return EMPTY_IDS, EMPTY_IDS, ids
    return np.concatenate(owners), np.concatenate(entries), ids


def _article_column(reader, n: int) -> np.ndarray:
    """An article's paragraphs are written together, so within a segment its postings are
    usually the whole range from its first to its last document: the term info says so
    (document frequency = range width) without reading postings, which takes 0.05 s instead
    of 0.3 s for 16,000 articles. Other articles read their postings."""
    articles = np.zeros(n, dtype=np.int32)
    if "article_id" not in reader.schema:
        return articles
    number: dict = {}
    for segment, offset in reader.leaf_readers():
        for text, info in segment.iter_field("article_id"):
            i = number.setdefault(text, len(number))
            first, last = info.min_id(), info.max_id()
            if first is not None and last - first + 1 == info.doc_frequency():
                articles[offset + first:offset + last + 1] = i
            else:
                articles[read_postings(segment, "article_id", text).ids + offset] = i
    return articles
