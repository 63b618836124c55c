"""A term's postings as arrays, read from Whoosh's posting blocks, and the posting store: the
postings and positions of each generation's commoner words written once by the build as flat
`.npy` arrays, so the read side slices a memory map instead of unpickling posting blocks on a
word's first query, and a phrase of common words gathers its positions instead of unpickling
one value per candidate paragraph (at 4x the archive, "qtr net" had 15,000 to check: 250 ms).

Owns the store's format in both directions: the build writes it (`write_posting_store`), the read
side opens it memory-mapped (`PostingStore`) and reads the words it lacks from Whoosh
(`read_postings`, `read_positions`). Never imports `search/`.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store.files import write_atomically
from index.store.schema import TEXT, TITLE, term_text
from index.store.whoosh_private import block_at, block_matcher, deleted_documents, read_blocks

log = logging.getLogger(__name__)

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)

# Bumped when a file's meaning changes; a store whose stamp differs is not read.
# 3: where each word's positions start (`term_positions`), not each posting's: a posting's
#    positions are as many as its term frequency, so the store derives the rest (a quarter of
#    the store's bytes); term frequencies and positions in two bytes each.
STORE_FORMAT = 3
STORE_META = "postings.json"
# The fields queries score; the store holds their words found in at least STORE_MIN_DF
# paragraphs (a full posting block or more). A rarer word is one block, read in microseconds;
# the words above it hold 89 % of the postings and nearly all of the reading time (at 4x the
# Reuters archive: 5,866 of 49,042 words, 6.7 million postings, 53 MB).
STORE_FIELDS = (TEXT, TITLE)
STORE_MIN_DF = 128
# Per field: the postings end to end, where each word's start (one more entry than words), its
# blocks end to end and where each word's blocks start, and the positions of every posting end
# to end with where each word's start (one more entry than words; a posting's positions are tf
# of them, in posting order); the dtype each is written in. A paragraph holds fewer than 65,536
# words (index.model.MAX_PARAGRAPH_CHARS), so its term frequencies and positions fit two bytes;
# a word that does not is left to the index.
STORE_DTYPES = {"ids": np.int32, "tf": np.uint16, "starts": np.int64, "block_segment": np.int16,
                "block_offset": np.int64, "block_last": np.int32, "block_starts": np.int64,
                "positions": np.uint16, "term_positions": np.int64}
_TWO_BYTES = 1 << 16
STORE_ARRAYS = tuple(STORE_DTYPES)
# Documents whose positions are read between two checks of the deadline (public path).
POSITION_STRIDE = 256


def store_file(fieldname: str, name: str) -> str:
    return f"postings-{fieldname}-{name}.npy"


@dataclass(frozen=True)
class Blocks:
    """Where one term's posting blocks lie: per block, its segment (its place in
    `reader.leaf_readers()`), its file offset and its last global document number. Positions
    are read from just the blocks that hold the documents asked for."""

    segment: np.ndarray
    offset: np.ndarray
    last: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.segment.nbytes + self.offset.nbytes + self.last.nbytes


class Positions:
    """Each posting's positions, end to end: posting j's are `values[starts[j]:starts[j + 1]]`.
    `starts` has one more entry than postings; `values` may be shared by many words (the
    store's), so `starts` index it absolutely. A stored word's starts are summed from its
    postings' position counts when first asked for (`counted`): a query that reads no positions
    (most do not) never pays for a cumulative sum over a common word's postings."""

    def __init__(self, starts: np.ndarray | None, values: np.ndarray,
                 counts: np.ndarray | None = None, base: int = 0):
        self._starts, self.values, self._counts, self._base = starts, values, counts, base

    @classmethod
    def counted(cls, counts: np.ndarray, base: int, values: np.ndarray) -> "Positions":
        """Positions whose first posting's start at `base` and each holds `counts[j]`."""
        return cls(None, values, counts, base)

    @property
    def starts(self) -> np.ndarray:
        if self._starts is None:
            starts = np.empty(len(self._counts) + 1, dtype=np.int64)
            starts[0] = 0
            np.cumsum(self._counts, dtype=np.int64, out=starts[1:])
            starts += self._base
            self._starts = starts
        return self._starts

    @property
    def nbytes(self) -> int:
        return (0 if self._starts is None else self._starts.nbytes) + self.values.nbytes

    def gathered(self, postings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the postings numbered `postings` (sorted): two equal-length int64
        arrays, the row in `postings` and a position, sorted by row then position."""
        first = self.starts[postings].astype(np.int64)
        counts = self.starts[postings + 1].astype(np.int64) - first
        rows = np.repeat(np.arange(len(postings), dtype=np.int64), counts)
        # Each position's index in `values`: its posting's first, plus its place in the posting.
        ends = np.cumsum(counts)
        within = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) - np.repeat(ends - counts, counts)
        return rows, self.values[first[rows] + within].astype(np.int64)


@dataclass(frozen=True)
class Postings:
    """One term's postings as arrays: sorted global document numbers and term frequencies
    (float32 as Whoosh gives them; uint16 from the posting store, which arithmetic promotes),
    where its blocks lie when they were read block by block (else None), and its positions
    when they were read too (else None: they are then decoded from the blocks on demand)."""

    ids: np.ndarray
    tf: np.ndarray
    blocks: Blocks | None = None
    positions: Positions | None = None

    @property
    def nbytes(self) -> int:
        return (self.ids.nbytes + self.tf.nbytes + (self.blocks.nbytes if self.blocks else 0)
                + (self.positions.nbytes if self.positions else 0))


EMPTY_POSTINGS = Postings(EMPTY_IDS, EMPTY_WEIGHTS)


def read_postings(reader, fieldname: str, text: str | bytes, with_positions: bool = False) -> Postings:
    """Every posting of one term across segments, without deleted documents: exactly what
    the public matcher API (`reader.postings`) yields, as arrays; `with_positions` decodes
    every posting's positions too (where each segment's blocks can be read).

    Reads whole blocks at a time: per-posting iteration through the matcher API costs about
    as much again in Python calls (index/store/whoosh_private.py reads the blocks; any matcher
    it cannot read takes the public path). A
    segment with deletions wraps its matcher in a FilterMatcher: the blocks are read from the
    matcher inside it and the deleted documents dropped here (tests/unit/test_postings.py
    checks both paths against the public API).
    """
    decode = reader.schema[fieldname].format.decode_positions if with_positions else None
    id_parts, tf_parts, block_parts, position_parts = [], [], [], []
    for number, (segment, offset) in enumerate(reader.leaf_readers()):
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        leaf = block_matcher(matcher)
        if leaf is not None:
            ids, tf, starts, lasts, positions = read_blocks(leaf, decode)
            block_parts.append((np.full(len(starts), number, dtype=np.int16), starts, lasts + offset))
            deleted = deleted_documents(segment)
            if deleted:
                keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int32, count=len(deleted)))
                ids, tf = ids[keep], tf[keep]
                if positions is not None:
                    counts, values = positions
                    positions = counts[keep], values[np.repeat(keep, counts)]
            position_parts.append(positions)
        else:
            block_parts.append(None)
            position_parts.append(None)
            ids, tf = walked_postings(matcher)
        id_parts.append(ids + offset)
        tf_parts.append(tf)
    if not id_parts:
        return EMPTY_POSTINGS
    blocks = positions = None
    if None not in block_parts:
        blocks = Blocks(*(np.concatenate(column) for column in zip(*block_parts)))
    if with_positions and None not in position_parts:
        counts = np.concatenate([c for c, _ in position_parts])
        positions = Positions(np.concatenate(([0], np.cumsum(counts))),
                              np.concatenate([v for _, v in position_parts]))
    return Postings(np.concatenate(id_parts).astype(np.int32), np.concatenate(tf_parts), blocks, positions)


def walked_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A matcher's postings (segment-local ids and weights) through the public API, one call
    per posting: the path for any matcher whose blocks cannot be read whole."""
    items = [(docnum, matcher.weight()) for docnum in _walk(matcher)]
    ids = np.fromiter((d for d, _ in items), dtype=np.int32, count=len(items))
    tf = np.fromiter((w for _, w in items), dtype=np.float32, count=len(items))
    return ids, tf


def _walk(matcher):
    while matcher.is_active():
        yield matcher.id()
        matcher.next()


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
        block_ids, values = block_at(leaf_of[number], int(blocks.offset[block]))
        local = docs[first:end].astype(np.int64) - offset
        at = np.minimum(np.searchsorted(block_ids, local), len(block_ids) - 1)
        for row, i, held in zip(range(first, end), at.tolist(), (block_ids[at] == local).tolist()):
            if held:
                found = decode(values[i])
                rows += [row] * len(found)
                positions += found
    return np.asarray(rows, dtype=np.int64), np.asarray(positions, dtype=np.int64)


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
    """The generation's posting store (`index/store/postings.py`), memory-mapped: a stored word's
    postings are slices of shared arrays, free to take and never copied into the cache. Empty
    for a generation built without it (its words are then read from Whoosh)."""

    def __init__(self, fields: dict[str, tuple[dict[str, int], dict[str, np.ndarray]]]):
        self._fields = fields

    @classmethod
    def opened(cls, gen_dir: Path) -> "PostingStore":
        try:
            meta = json.loads((Path(gen_dir) / STORE_META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            meta = None
        if meta is None or meta.get("format") != STORE_FORMAT:
            log.info("%s has no current posting store; words are read from the index", gen_dir)
            return cls({})
        fields = {}
        for fieldname, terms in meta["fields"].items():
            # Plain ndarray views of the maps, as the column files are read: a stored word's
            # postings are nine slices, each through np.memmap's Python __getitem__ otherwise.
            arrays = {name: np.asarray(np.load(Path(gen_dir) / store_file(fieldname, name),
                                               mmap_mode="r"))
                      for name in STORE_ARRAYS}
            fields[fieldname] = ({term: i for i, term in enumerate(terms)}, arrays)
        return cls(fields)

    def words(self, fieldname: str) -> list[str]:
        """The field's stored words (none for a field the store lacks)."""
        return list(self._fields.get(fieldname, ({}, None))[0])

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
        counts = arrays["tf"][start:end]  # uint16: a weight is its posting's position count
        positions = Positions.counted(counts, int(arrays["term_positions"][i]), arrays["positions"])
        return Postings(arrays["ids"][start:end], counts, blocks, positions)

    def document_count(self, fieldname: str, text: str) -> int | None:
        """How many paragraphs hold the stored word, or None when the store does not hold it:
        two numbers read from the map, where `get` slices eight arrays (significant words ask
        this of hundreds of words per request)."""
        terms, arrays = self._fields.get(fieldname, ({}, None))
        i = terms.get(text)
        if i is None:
            return None
        starts = arrays["starts"]
        return int(starts[i + 1]) - int(starts[i])


def write_posting_store(ix, gen_dir: Path, min_df: int = STORE_MIN_DF) -> None:
    """Write the store of the committed index `ix` into `gen_dir`: for each of STORE_FIELDS,
    the postings, positions and block places of every word found in at least `min_df` paragraphs, in
    term order. Each word's arrays go to disk as they are read (`_SpilledArray`), so the build
    holds one word's postings at a time, not a field's; each file is renamed into place when
    it is whole, as the columns are. The build calls this before it checksums the generation
    (or, to use both cores, `write_field_store` per field and then `write_store_meta`)."""
    terms = {name: write_field_store(ix, name, gen_dir, min_df) for name in store_fields(ix)}
    write_store_meta(gen_dir, terms, min_df)


def store_fields(ix) -> list[str]:
    """The STORE_FIELDS the index's schema has."""
    return [name for name in STORE_FIELDS if name in ix.schema]


def write_field_store(ix, fieldname: str, gen_dir: Path, min_df: int = STORE_MIN_DF) -> list[str]:
    """Write one field's arrays (fields are independent: each may be written by its own
    process); returns the words stored, in term order, for `write_store_meta`."""
    with ix.reader() as reader:
        return _write_field_store(reader, fieldname, min_df, Path(gen_dir))


def write_store_meta(gen_dir: Path, terms: dict[str, list[str]], min_df: int = STORE_MIN_DF) -> None:
    """The store's `postings.json`, written last: each field's words, in term order."""
    meta = {"format": STORE_FORMAT, "min_df": min_df, "fields": terms}
    write_atomically(Path(gen_dir) / STORE_META, lambda f: f.write(json.dumps(meta).encode("utf-8")))


def _write_field_store(reader, fieldname: str, min_df: int, gen_dir: Path) -> list[str]:
    """Write one field's STORE_ARRAYS; returns the words stored, in term order."""
    arrays = {name: _SpilledArray(gen_dir / store_file(fieldname, name), dtype)
              for name, dtype in STORE_DTYPES.items()}
    terms: list[str] = []
    arrays["starts"].append([0])
    arrays["block_starts"].append([0])
    arrays["term_positions"].append([0])
    try:
        for text in reader.lexicon(fieldname):
            if reader.doc_frequency(fieldname, text) < min_df:
                continue
            postings = read_postings(reader, fieldname, text, with_positions=True)
            if postings.blocks is None or postings.positions is None or not len(postings.ids):
                continue
            if (not np.array_equal(np.diff(postings.positions.starts), postings.tf)
                    or postings.tf.max() >= _TWO_BYTES or postings.positions.values.max() >= _TWO_BYTES):
                continue  # weights that are not position counts (a boost), or too large: the index
            terms.append(term_text(text))
            for name, values in (("ids", postings.ids), ("tf", postings.tf),
                                 ("block_segment", postings.blocks.segment),
                                 ("block_offset", postings.blocks.offset),
                                 ("block_last", postings.blocks.last),
                                 ("positions", postings.positions.values)):
                arrays[name].append(values)
            arrays["starts"].append([arrays["ids"].length])
            arrays["block_starts"].append([arrays["block_last"].length])
            arrays["term_positions"].append([arrays["positions"].length])
        for array in arrays.values():
            array.finish()
    finally:
        for array in arrays.values():
            array.discard()
    return terms


class _SpilledArray:
    """A one-dimensional `.npy` file written in pieces: the values go to a raw side file as
    they come, and `finish` writes the header (which needs the final length) and copies them
    behind it under a temporary name, then renames the file into place."""

    def __init__(self, path: Path, dtype) -> None:
        self.path, self.dtype, self.length = path, np.dtype(dtype), 0
        self._raw_path = path.with_name(path.name + ".raw")
        self._raw = open(self._raw_path, "wb")

    def append(self, values) -> None:
        values = np.asarray(values, dtype=self.dtype)
        values.tofile(self._raw)
        self.length += len(values)

    def finish(self) -> None:
        self._raw.close()
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.length,)}

        def write(f) -> None:
            np.lib.format.write_array_header_1_0(f, header)
            with open(self._raw_path, "rb") as raw:
                shutil.copyfileobj(raw, f, 1 << 20)
        write_atomically(self.path, write)

    def discard(self) -> None:
        """Remove the side file (after `finish`, or when writing failed part way)."""
        self._raw.close()
        self._raw_path.unlink(missing_ok=True)

