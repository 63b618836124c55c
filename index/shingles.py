"""What makes two paragraphs copies: their 5-word shingles, and each paragraph's sketch of them.

A paragraph's words are the text analyzer's tokens, lower-cased (index/words.py: punctuation
and case never make a copy differ); its shingles are every run of SHINGLE_WORDS words. Two
paragraphs of at least MIN_WORDS words are copies when the Jaccard similarity of their shingle
sets is at least COPY_JACCARD: the same text with different case, punctuation or spacing, or a
word changed at its end; a word changed mid-paragraph changes five shingles, so it takes about
50 words for such an edit to stay a copy.

The sketch, written by the build into each paragraph's column (index/store/schema.SKETCH), is
what finds the candidates without comparing every pair: an 8-byte hash of the word sequence
(equal for identical paragraphs, so most copies never need a comparison) and, from a MinHash of
the shingles (rensa, MIT), BANDS locality-sensitive band keys of ROWS values each. Two
paragraphs with Jaccard 0.8 share a band key with probability 1 - (1 - 0.8^4)^16 = 0.9998; the
candidates are then checked on their exact shingles (index/store/copies.py). Runs in the build's
sub-writers; never imports Whoosh.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from rensa import RMinHash

from index.words import tokens

SHINGLE_WORDS = 5
MIN_WORDS = 10
COPY_JACCARD = 0.8
BANDS = 16
ROWS = 4
# Fixed, so that sketches written by different builds (kept by incremental ones) compare.
MINHASH_SEED = 20_260_101
EXACT_BYTES = 8
SKETCH_BYTES = EXACT_BYTES + 4 * BANDS
NO_SKETCH = bytes(SKETCH_BYTES)  # a paragraph too short to have copies
# Odd multipliers that fold a band's ROWS MinHash values into one 32-bit key.
_FOLD = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint32)[:ROWS]


def shingles(text: str) -> frozenset[str]:
    """The paragraph's shingles, or an empty set when it has fewer than MIN_WORDS words."""
    found = tokens(text)
    if len(found) < MIN_WORDS:
        return frozenset()
    return frozenset(" ".join(found[i:i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def sketches(paragraphs: Sequence[list[str]]) -> list[bytes]:
    """Each paragraph's sketch, from its words (index.words.tokens), NO_SKETCH when it is too
    short to have copies. One numpy fold per article rather than per paragraph."""
    exact, digests, rows = [], [], []
    for row, found in enumerate(paragraphs):
        if len(found) < MIN_WORDS:
            continue
        minhash = RMinHash(BANDS * ROWS, MINHASH_SEED)
        minhash.update(list({" ".join(found[i:i + SHINGLE_WORDS])
                             for i in range(len(found) - SHINGLE_WORDS + 1)}))
        digests.append(minhash.digest())
        exact.append(hashlib.blake2b(" ".join(found).encode("utf-8"), digest_size=EXACT_BYTES).digest())
        rows.append(row)
    out = [NO_SKETCH] * len(paragraphs)
    if rows:
        values = np.array(digests, dtype=np.uint32).reshape(len(rows), BANDS, ROWS)
        keys = (values * _FOLD).sum(axis=2, dtype=np.uint32)
        for row, head, band_keys in zip(rows, exact, keys):
            out[row] = head + band_keys.tobytes()
    return out


def sketch_arrays(raw: bytes, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` sketches end to end as (exact hash per paragraph: uint64, band keys: uint32
    count x BANDS). A paragraph without a sketch has exact hash 0."""
    table = np.frombuffer(raw, dtype=np.uint8, count=count * SKETCH_BYTES).reshape(count, SKETCH_BYTES)
    exact = table[:, :EXACT_BYTES].copy().view(np.uint64).ravel()
    bands = table[:, EXACT_BYTES:].copy().view(np.uint32)
    return exact, bands
