"""Each field's indexed terms as arrays, per generation, for fuzzy terms (`word~`) and
did-you-mean (`suggest.py`): the terms within an edit distance of a word, found with numpy
over the whole term list instead of a walk through the term dictionary in Python.

Reads terms through the reader it is given; imports no Whoosh; never imports the service.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from index.store.schema import term_text

# Character classes counted per word: a-z, digits, anything else. Merging characters into one
# class can only lower the count difference, so the bound below stays a lower bound.
_CLASSES = 28
_DIGITS, _OTHER = 26, 27
# Counts are stored as bytes; clipping both sides alike never raises a difference.
_MAX_COUNT = 255
# The bit-parallel distance holds one bit per character of the query word.
_MAX_BITS = 64


@dataclass(frozen=True)
class _Words:
    """One field's terms: their code points end to end, where each starts, their lengths, and
    per-class character counts (one row per term)."""

    words: list[str]
    codes: np.ndarray     # uint32, every term's code points, one after the other
    starts: np.ndarray    # int64
    lengths: np.ndarray   # int64
    counts: np.ndarray    # uint8, len(words) x _CLASSES


class Vocabulary:
    """The terms of a generation's fields, each read on its field's first fuzzy term (about
    0.1 s for the 37,000 stems of Reuters' `text`), and word lists added by name; kept while
    the generation is served.
    Thread-safe: built under a lock, read-only afterwards."""

    def __init__(self):
        self._fields: dict[str, _Words] = {}
        self._lock = threading.Lock()

    def within(self, reader, fieldname: str, text: str, maxdist: int, prefix: int = 0,
               limit: int | None = None) -> list[str]:
        """The terms of `fieldname` within `maxdist` edits of `text` (optimal string alignment:
        insertions, deletions, substitutions and swaps of two neighbours, as Whoosh counts
        them) that start with its first `prefix` characters; with `limit`, at most that many:
        the closest, equally close ones in term order (as Lucene's fuzzy query keeps them;
        ranking them by document frequency cost 0.1 ms a term, more than the search).

        Two lower bounds of the distance discard most terms at once: the difference in length,
        and half the L1 difference of the character-class counts (a substitution changes two
        counts by one, an insertion or deletion one count, a swap none). The distance of the
        rest is computed for all of them together, bit-parallel (Hyyrö 2003)."""
        field = self._words(reader, fieldname)
        near = np.flatnonzero(np.abs(field.lengths - len(text)) <= maxdist)
        if len(near):
            wanted = _class_counts([text])[0].astype(np.int16)
            differences = np.abs(field.counts[near].astype(np.int16) - wanted).sum(axis=1)
            near = near[differences <= 2 * maxdist]
        if len(near) and 0 < len(text) <= _MAX_BITS:
            distances = _osa_distances(text, field, near)
        else:
            distances = np.array([_osa_distance(text, field.words[i]) for i in near], dtype=np.int64)
        start = text[:prefix]
        found = [(int(d), field.words[i]) for i, d in zip(near, distances)
                 if d <= maxdist and field.words[i].startswith(start)]
        if limit is not None:
            # Closest first whether or not the limit cuts: callers take the head as the best.
            found = sorted(found)[:limit]
        return [w for _, w in found]

    def add(self, name: str, words: list[str]) -> None:
        """Keep `words` (distinct) under `name`, which `within` then takes as a field name: a
        word list that is no field of the index, such as did-you-mean's spelling words."""
        found = _arrays(words)
        with self._lock:
            self._fields[name] = found

    def _words(self, reader, fieldname: str) -> _Words:
        with self._lock:
            found = self._fields.get(fieldname)
            if found is None:
                found = self._fields[fieldname] = _read(reader, fieldname)
        return found


def _read(reader, fieldname: str) -> _Words:
    return _arrays([term_text(t) for t in reader.lexicon(fieldname)] if fieldname in reader.schema else [])


def _arrays(words: list[str]) -> _Words:
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(words) else lengths
    return _Words(words, _code_points(words), starts.astype(np.int64), lengths, _class_counts(words))


def _code_points(words: list[str]) -> np.ndarray:
    return np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)


def _class_counts(words: list[str]) -> np.ndarray:
    """Per word, how many of its characters fall in each class (clipped to a byte)."""
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    codes = _code_points(words)
    classes = np.full(len(codes), _OTHER, dtype=np.int64)
    letters = (codes >= ord("a")) & (codes <= ord("z"))
    classes[letters] = codes[letters] - ord("a")
    classes[(codes >= ord("0")) & (codes <= ord("9"))] = _DIGITS
    rows = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
    counts = np.bincount(rows * _CLASSES + classes, minlength=len(words) * _CLASSES)
    return np.minimum(counts, _MAX_COUNT).astype(np.uint8).reshape(len(words), _CLASSES)


def _osa_distances(pattern: str, field: _Words, rows: np.ndarray) -> np.ndarray:
    """The optimal-string-alignment distance from `pattern` (1-64 characters) to each term of
    `rows`: Hyyrö's bit-vector recurrence, one uint64 lane per term, one step per character
    of the longest term (a term's lane stops changing after its last character)."""
    chars, positions = np.unique(np.frombuffer(pattern.encode("utf-32-le"), dtype=np.uint32),
                                 return_inverse=True)
    masks = np.zeros(len(chars), dtype=np.uint64)
    np.bitwise_or.at(masks, positions, np.left_shift(np.uint64(1), np.arange(len(pattern), dtype=np.uint64)))
    lengths = field.lengths[rows]
    one, last = np.uint64(1), np.uint64(1) << np.uint64(len(pattern) - 1)
    vp = np.full(len(rows), np.iinfo(np.uint64).max, dtype=np.uint64)
    vn = np.zeros(len(rows), dtype=np.uint64)
    d0 = np.zeros(len(rows), dtype=np.uint64)
    previous = np.zeros(len(rows), dtype=np.uint64)
    distance = np.full(len(rows), len(pattern), dtype=np.int64)
    for j in range(int(lengths.max())):
        active = lengths > j
        code = field.codes[field.starts[rows] + np.minimum(j, lengths - 1)]
        slot = np.minimum(np.searchsorted(chars, code), len(chars) - 1)
        eq = np.where((chars[slot] == code) & active, masks[slot], np.uint64(0))
        swapped = ((~d0 & eq) << one) & previous
        d0_new = (((eq & vp) + vp) ^ vp) | eq | vn | swapped
        hp = vn | ~(d0_new | vp)
        hn = d0_new & vp
        distance += np.where(active, (hp & last != 0).astype(np.int64) - (hn & last != 0), 0)
        hp = (hp << one) | one
        vp_new = (hn << one) | ~(d0_new | hp)
        vn_new = hp & d0_new
        vp, vn, d0 = np.where(active, vp_new, vp), np.where(active, vn_new, vn), np.where(active, d0_new, d0)
        previous = eq
    return distance


def _osa_distance(a: str, b: str) -> int:
    """The same distance for one pair, row by row (for query words longer than 64 characters)."""
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]
