"""A term's postings as arrays, read from Whoosh's posting blocks, and the posting store: the
postings of each generation's commoner words written once by the build as flat `.npy` arrays,
so the read side slices a memory map instead of unpickling posting blocks on a word's first query.

Owns the store's format (`search/columns.py` memory-maps it). Never imports `search/`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

from index.columns import replace_file
from index.schema import term_text

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)

# Bumped when a file's meaning changes; a store whose stamp differs is not read.
STORE_FORMAT = 1
STORE_META = "postings.json"
# The fields queries score; the store holds their words found in at least STORE_MIN_DF
# paragraphs (a full posting block or more). A rarer word is one block, read in microseconds;
# the words above it hold 89 % of the postings and nearly all of the reading time (at 4x the
# Reuters archive: 5,866 of 49,042 words, 6.7 million postings, 53 MB).
STORE_FIELDS = ("text", "title")
STORE_MIN_DF = 128
# Per field: the postings end to end, where each word's start (one more entry than words), its
# blocks end to end and where each word's blocks start.
STORE_ARRAYS = ("ids", "tf", "starts", "block_segment", "block_offset", "block_last", "block_starts")


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


@dataclass(frozen=True)
class Postings:
    """One term's postings as arrays: sorted global document numbers and term frequencies,
    and where its blocks lie when they were read block by block (else None)."""

    ids: np.ndarray
    tf: np.ndarray
    blocks: Blocks | None = None

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.tf.nbytes + (self.blocks.nbytes if self.blocks else 0)


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
    id_parts, tf_parts, block_parts = [], [], []
    for number, (segment, offset) in enumerate(reader.leaf_readers()):
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        leaf = block_matcher(matcher)
        if leaf is not None:
            ids, tf, starts, lasts = _read_blocks(leaf)
            block_parts.append((np.full(len(starts), number, dtype=np.int16), starts, lasts + offset))
            deleted = getattr(segment, "deleted_docs_set", None)
            if deleted:
                keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int32, count=len(deleted)))
                ids, tf = ids[keep], tf[keep]
        else:
            block_parts.append(None)
            items = [(docnum, matcher.weight()) for docnum in _walk(matcher)]
            ids = np.fromiter((d for d, _ in items), dtype=np.int32, count=len(items))
            tf = np.fromiter((w for _, w in items), dtype=np.float32, count=len(items))
        id_parts.append(ids + offset)
        tf_parts.append(tf)
    if not id_parts:
        return EMPTY_POSTINGS
    blocks = None
    if None not in block_parts:
        blocks = Blocks(*(np.concatenate(column) for column in zip(*block_parts)))
    return Postings(np.concatenate(id_parts).astype(np.int32), np.concatenate(tf_parts), blocks)


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


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every posting of one segment's term (deleted documents included), block by block, and
    each block's file offset and last (segment-local) document number."""
    id_parts, tf_parts, starts, lasts = [], [], [], []
    start = matcher._baseoffset
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        id_parts.append(np.asarray(matcher._ids, dtype=np.int32))
        tf_parts.append(np.asarray(matcher._weights, dtype=np.float32))
        starts.append(start)
        lasts.append(matcher._maxid)
        start = matcher._nextoffset
        matcher._next_block()
    if not id_parts:
        return EMPTY_IDS, EMPTY_WEIGHTS, np.zeros(0, dtype=np.int64), EMPTY_IDS
    return (np.concatenate(id_parts), np.concatenate(tf_parts), np.asarray(starts, dtype=np.int64),
            np.asarray(lasts, dtype=np.int32))


def _walk(matcher):
    while matcher.is_active():
        yield matcher.id()
        matcher.next()


def write_posting_store(ix, gen_dir: Path, min_df: int = STORE_MIN_DF) -> None:
    """Write the store of the committed index `ix` into `gen_dir`: for each of STORE_FIELDS,
    the postings (and block places) of every word found in at least `min_df` paragraphs, in
    term order. Each file is written under a temporary name, then renamed, as the columns are;
    the build calls this before it checksums the generation's files."""
    meta: dict = {"format": STORE_FORMAT, "min_df": min_df, "fields": {}}
    with ix.reader() as reader:
        for fieldname in STORE_FIELDS:
            if fieldname not in reader.schema:
                continue
            terms, arrays = _field_store(reader, fieldname, min_df)
            for name, values in arrays.items():
                replace_file(Path(gen_dir) / store_file(fieldname, name), lambda f, v=values: np.save(f, v))
            meta["fields"][fieldname] = terms
    replace_file(Path(gen_dir) / STORE_META, lambda f: f.write(json.dumps(meta).encode("utf-8")))


def _field_store(reader, fieldname: str, min_df: int) -> tuple[list[str], dict[str, np.ndarray]]:
    terms: list[str] = []
    ids, tf, segment, offset, last = [], [], [], [], []
    starts, block_starts = [0], [0]
    for text in reader.lexicon(fieldname):
        if reader.doc_frequency(fieldname, text) < min_df:
            continue
        postings = read_postings(reader, fieldname, text)
        if postings.blocks is None or not len(postings.ids):
            continue
        terms.append(term_text(text))
        ids.append(postings.ids)
        tf.append(postings.tf)
        segment.append(postings.blocks.segment)
        offset.append(postings.blocks.offset)
        last.append(postings.blocks.last)
        starts.append(starts[-1] + len(postings.ids))
        block_starts.append(block_starts[-1] + len(postings.blocks.last))
    joined = lambda parts, empty: np.concatenate(parts) if parts else empty  # noqa: E731
    return terms, {
        "ids": joined(ids, EMPTY_IDS), "tf": joined(tf, EMPTY_WEIGHTS),
        "starts": np.asarray(starts, dtype=np.int64),
        "block_segment": joined(segment, np.zeros(0, dtype=np.int16)),
        "block_offset": joined(offset, np.zeros(0, dtype=np.int64)),
        "block_last": joined(last, EMPTY_IDS),
        "block_starts": np.asarray(block_starts, dtype=np.int64),
    }

