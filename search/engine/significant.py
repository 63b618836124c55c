"""Significant words: the words a sample of paragraphs uses far more than the whole archive
does, scored by JLH (Elasticsearch's `significant_text` default), and shown as readers write
them rather than as the index's stems.

Counts the words of the sample's paragraphs (each paragraph's distinct words, as numbers from
the generation's column files), and the archive's paragraphs holding each word from the index (a
common word's count is two numbers of the memory-mapped posting store, a rarer word's is its
document frequency). Words are stemmed as the opened index's analyzer stems them, so a word is
counted as a search finds it (`quotas` and `quota` are one word). What does not depend on the search (each word's stem, each
stem's archive count) is learned once per generation (search.engine.word_stems); the counting
is numpy over (paragraph, stem) pairs. Never imports search.service or search.web.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from search.engine.posting_cache import PostingCache
from search.engine.word_stems import WordStems

# A word must be in paragraphs of at least this many stories of the sample (Elasticsearch's
# min_doc_count is 3 documents): a name one story repeats in five paragraphs says what that
# story is about, not the result set (with paragraphs counted, interviews' names filled the list).
MIN_STORIES = 3


@dataclass(frozen=True)
class Word:
    """One significant word: its commonest spelling in the sample (lower-cased), the paragraphs
    of the sample and of the archive that hold it (in any form sharing its stem), its score."""

    word: str
    count: int
    archive_count: int
    score: float


@dataclass(frozen=True)
class Sample:
    """The paragraphs a search's words are drawn from, as (paragraph, word) pairs of each
    paragraph's distinct words: the paragraph's position in the sample, the word's stem number
    (WordStems; negative for a word that never counts) and its spelling's number in
    `spellings`. Arrays, so that counting is numpy's."""

    paragraphs: int
    owner: np.ndarray
    stems: np.ndarray
    spelling: np.ndarray
    spellings: Sequence[str]


def significant_words(sample: Sample, stories: np.ndarray, reader, stems: WordStems,
                      cache: PostingCache, archive_paragraphs: int, leave_out: frozenset[str],
                      size: int) -> list[Word]:
    """The `size` words of the `sample` (its paragraphs of the `stories` given alongside as
    numbers) most over-represented against the archive of `archive_paragraphs` paragraphs, best
    first; stems in `leave_out` (the query's own words) are skipped. Numbers and stop words are
    never words here."""
    kept = np.flatnonzero(sample.stems >= 0)
    if not len(kept):
        return []
    owner = sample.owner[kept]
    numbers, local = np.unique(sample.stems[kept], return_inverse=True)
    # Paragraphs and stories per stem, as (paragraph, stem) and (story, stem) tables: two forms
    # of a word in one paragraph (quota, quotas) count once.
    counts = _pairs(owner, local, sample.paragraphs, len(numbers))
    _, story = np.unique(np.asarray(stories), return_inverse=True)
    told_by = _pairs(story[owner], local, int(story.max()) + 1, len(numbers))
    candidates = np.flatnonzero(told_by >= MIN_STORIES)
    count = counts[candidates]
    archive_count = np.maximum(count, [stems.archive_count(reader, cache, int(n))
                                       for n in numbers[candidates].tolist()])
    scores = jlh(count, sample.paragraphs, archive_count, np.maximum(archive_paragraphs, archive_count))
    scored = [(float(scores[j]), stems.stem(int(numbers[i])), int(count[j]), int(archive_count[j]), int(i))
              for j, i in enumerate(candidates.tolist()) if scores[j] > 0]
    scored = [s for s in scored if s[1] not in leave_out]
    scored.sort(key=lambda s: (-s[0], s[1]))
    scored = scored[:size]
    shown = _commonest_spellings(sample, kept, local, {s[4]: s[1] for s in scored})
    return [Word(shown[stem], count, archive_count, score)
            for score, stem, count, archive_count, _ in scored]


def _pairs(rows: np.ndarray, stems: np.ndarray, row_count: int, stem_count: int) -> np.ndarray:
    """Per stem, how many distinct rows (paragraphs, stories) hold it."""
    held = np.zeros((row_count, stem_count), dtype=bool)
    held[rows, stems] = True
    return np.count_nonzero(held, axis=0)


def jlh(count: np.ndarray, sample: int, archive_count: np.ndarray, archive: np.ndarray) -> np.ndarray:
    """JLH per word: how much more often the sample holds it than the archive does, times how
    often it does, as absolute and relative change multiplied ((fg - bg) * fg / bg); 0 when the
    word is not over-represented (or a count is 0)."""
    count, archive_count, archive = (np.asarray(a, dtype=np.float64) for a in (count, archive_count, archive))
    foreground = count / sample if sample else np.zeros_like(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        background = archive_count / archive
        score = (foreground - background) * (foreground / background)
    over = (count > 0) & (archive_count > 0) & (archive > 0) & (foreground > background)
    return np.where(over, score, 0.0)


def _commonest_spellings(sample: Sample, kept: np.ndarray, local: np.ndarray,
                         wanted: dict[int, str]) -> dict[str, str]:
    """Per wanted stem (by its number in `local`, the stem of each of the sample's `kept`
    pairs), the spelling most paragraphs of the sample use (the shorter one on a tie)."""
    if not wanted:
        return {}
    is_wanted = np.zeros(int(local.max()) + 1, dtype=bool)
    is_wanted[list(wanted)] = True
    chosen = np.flatnonzero(is_wanted[local])
    width = len(sample.spellings)
    pairs, counts = np.unique(local[chosen].astype(np.int64) * width + sample.spelling[kept[chosen]],
                              return_counts=True)
    best: dict[str, tuple[int, int, str]] = {}
    for pair, n in zip(pairs.tolist(), counts.tolist()):
        stem, word = wanted[pair // width], sample.spellings[pair % width]
        key = (n, -len(word), word)
        if stem not in best or key > best[stem]:
            best[stem] = key
    return {stem: key[2] for stem, key in best.items()}
