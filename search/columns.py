"""Per-generation numpy columns (day, month, place ids, field lengths, articles) and posting arrays.

Owns the read side of the arrays: the column files `index/columns.py` writes, memory-mapped;
filters become boolean masks over document numbers, facets array counts; posting arrays taken
from the posting store or read from Whoosh and cached, and positions gathered from the store or
read from the blocks that hold them. Never imports search.service.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index import columns as stored
from index import postings as stored_postings
from index.postings import EMPTY_IDS, Blocks, Positions, Postings, block_matcher, read_postings
from search.place_sets import PlaceSets

log = logging.getLogger(__name__)

# Posting-cache budget per paragraph of the generation (see PostingCache.sized_for).
CACHE_BYTES_PER_DOC = 512
# Documents whose positions are read between two checks of the deadline (public path).
POSITION_STRIDE = 256


def read_positions(reader, fieldname: str, text: str | bytes, postings: Postings, docs: np.ndarray,
                   out_of_time=lambda: False) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the term in each of `docs` (sorted global numbers, every one among
    `postings.ids`): two equal-length int64 arrays, the row in `docs` and a position, sorted by
    row then position. A stored word's positions are gathered from the store; otherwise only the
    blocks holding `docs` are decoded, and `out_of_time()` is asked between blocks and stops
    the reading (what was read is returned)."""
    if postings.positions is not None:
        return postings.positions.gathered(np.searchsorted(postings.ids, docs))
    rows: list[int] = []
    positions: list[int] = []
    decode = reader.schema[fieldname].format.decode_positions
    if postings.blocks is None:
        for row, (segment, local, matcher) in enumerate(_public_matchers(reader, fieldname, text, docs)):
            if row % POSITION_STRIDE == 0 and out_of_time():
                break
            if matcher is not None and matcher.is_active():
                matcher.skip_to(local)
                if matcher.is_active() and matcher.id() == local:
                    found = decode(matcher.value())
                    rows += [row] * len(found)
                    positions += found
        return np.asarray(rows, dtype=np.int64), np.asarray(positions, dtype=np.int64)
    blocks = postings.blocks
    which = np.searchsorted(blocks.last, docs)
    needed, firsts = np.unique(which, return_index=True)
    ends = np.append(firsts[1:], len(docs))
    leaves = reader.leaf_readers()
    leaf_of: dict[int, object] = {}
    for block, first, end in zip(needed.tolist(), firsts.tolist(), ends.tolist()):
        if out_of_time():
            break
        number = int(blocks.segment[block])
        segment, offset = leaves[number]
        if number not in leaf_of:
            leaf_of[number] = block_matcher(segment.postings(fieldname, text))
        leaf = leaf_of[number]
        leaf._goto(int(blocks.offset[block]))
        leaf._read_ids()
        leaf._read_values()
        block_ids = np.asarray(leaf._ids, dtype=np.int64)
        local = docs[first:end].astype(np.int64) - offset
        at = np.minimum(np.searchsorted(block_ids, local), len(block_ids) - 1)
        for row, i, held in zip(range(first, end), at.tolist(), (block_ids[at] == local).tolist()):
            if held:
                found = decode(leaf._values[i])
                rows += [row] * len(found)
                positions += found
    return np.asarray(rows, dtype=np.int64), np.asarray(positions, dtype=np.int64)


def distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values), sorted, by a sort and a comparison of neighbours. numpy 2.3+ finds
    plain np.unique's values by hashing, 30-50x slower than sorting for the 100,000s of
    document numbers or keys a common word brings (50 ms against 1 ms; np.isin and
    np.intersect1d call it too unless told their inputs are unique)."""
    ordered = np.sort(values, kind="stable")  # runs of sorted inputs are merged, not re-sorted
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _public_matchers(reader, fieldname: str, text, docs: np.ndarray):
    """(segment, local number, that segment's matcher or None) for each of `docs`, in order:
    the public API's walk, for postings not read block by block."""
    bounds = [(segment, offset, offset + segment.doc_count_all()) for segment, offset in reader.leaf_readers()]
    matchers: dict[int, object] = {}
    for doc in docs.tolist():
        for number, (segment, start, stop) in enumerate(bounds):
            if start <= doc < stop:
                if number not in matchers:
                    held = (fieldname, text) in segment
                    matchers[number] = segment.postings(fieldname, text) if held else None
                yield segment, doc - start, matchers[number]
                break


class PostingStore:
    """The generation's posting store (`index/postings.py`), memory-mapped: a stored word's
    postings are slices of shared arrays, free to take and never copied into the cache. Empty
    for a generation built without it (its words are then read from Whoosh)."""

    def __init__(self, fields: dict[str, tuple[dict[str, int], dict[str, np.ndarray]]]):
        self._fields = fields

    @classmethod
    def opened(cls, gen_dir: Path) -> "PostingStore":
        try:
            meta = json.loads((Path(gen_dir) / stored_postings.STORE_META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            meta = None
        if meta is None or meta.get("format") != stored_postings.STORE_FORMAT:
            log.info("%s has no current posting store; words are read from the index", gen_dir)
            return cls({})
        fields = {}
        for fieldname, terms in meta["fields"].items():
            arrays = {name: np.load(Path(gen_dir) / stored_postings.store_file(fieldname, name), mmap_mode="r")
                      for name in stored_postings.STORE_ARRAYS}
            fields[fieldname] = ({term: i for i, term in enumerate(terms)}, arrays)
        return cls(fields)

    def get(self, fieldname: str, text: str) -> Postings | None:
        """The stored word's postings, or None when the store does not hold it."""
        terms, arrays = self._fields.get(fieldname, ({}, None))
        i = terms.get(text)
        if i is None:
            return None
        start, end = arrays["starts"][i:i + 2]
        first, last = arrays["block_starts"][i:i + 2]
        blocks = Blocks(arrays["block_segment"][first:last], arrays["block_offset"][first:last],
                        arrays["block_last"][first:last])
        positions = Positions(arrays["position_starts"][start:end + 1], arrays["positions"])
        return Postings(arrays["ids"][start:end], arrays["tf"][start:end], blocks, positions)


class PostingCache:
    """A thread-safe LRU of posting arrays and of arrays derived from them (anything with
    `nbytes`), bounded by bytes: common words are read and scored once."""

    def __init__(self, max_bytes: int = 96 * 1024 * 1024, store: PostingStore | None = None):
        self.max_bytes = max_bytes
        self.posting_store = store or PostingStore({})
        self._bytes = 0
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @classmethod
    def sized_for(cls, doc_count: int, store: PostingStore | None = None) -> "PostingCache":
        """A cache that holds a generation's working set: the postings and word weights
        (8 bytes each) of the words that recur in queries, which grow with the collection.
        CACHE_BYTES_PER_DOC per paragraph, never less than the old fixed 96 MB."""
        return cls(max(96 * 1024 * 1024, CACHE_BYTES_PER_DOC * doc_count), store)

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
    def opened(cls, gen_dir: Path, reader) -> "Columns":
        """The generation's column files, memory-mapped (read-only, shared between processes
        through the page cache); computed from `reader` for a generation built without them."""
        try:
            meta = json.loads((Path(gen_dir) / stored.META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            meta = None
        if meta is None or meta.get("format") != stored.FORMAT:
            log.warning("%s has no current column files; computing them (reindex to store them)",
                        gen_dir)
            return cls.computed(reader)
        arrays = {name: np.load(Path(gen_dir) / stored.array_file(name), mmap_mode="r")
                  for name in stored.ARRAYS}
        return cls._made(arrays, meta)

    @classmethod
    def computed(cls, reader) -> "Columns":
        """The columns computed in memory from a Whoosh reader (what the build stores)."""
        return cls._made(*stored.compute_columns(reader))

    @classmethod
    def _made(cls, arrays: dict[str, np.ndarray], meta: dict) -> "Columns":
        ids = list(meta["place_ids"])
        return cls(
            doc_count=int(meta["doc_count"]), alive=arrays["alive"], day=arrays["day"],
            month=arrays["month"],
            lengths={name: arrays[f"length_{name}"] for name in stored.LENGTH_FIELDS},
            average_lengths=dict(meta["average_lengths"]),
            place_ids=ids, place_index={pid: i for i, pid in enumerate(ids)},
            place_owner=arrays["place_owner"], place_entry=arrays["place_entry"],
            article=arrays["article"],
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
    pairs = distinct(articles * places + columns.place_entry[pairs])
    return np.bincount(pairs % places, minlength=places)


def _key_counts(keys: np.ndarray, articles: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys and how many documents have each, or how many distinct articles
    when `articles` (each document's article number) is given."""
    if articles is None or not len(keys):
        return _distinct_counts(keys)
    width = int(articles.max()) + 1
    pairs = distinct(keys.astype(np.int64) * width + articles)
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
