"""Significant words: the words a sample of paragraphs uses far more than the whole archive
does, scored by JLH (Elasticsearch's `significant_text` default), and shown as readers write
them rather than as the index's stems.

Counts words in the paragraphs' stored text, and the archive's paragraphs holding each word from
the index (a common word's count is two numbers of the memory-mapped posting store, a rarer
word's is its document frequency). Tokenizes, folds, drops stop words and stems as the opened
index's analyzer does, with its own settings, so a word is counted as a search finds it
(`quotas` and `quota` are one word). What does not depend on the search (each word's stem, each
stem's archive count) is learned once per generation (search.engine.word_stems); the counting
is numpy over (paragraph, stem) pairs. Never imports search.service or search.web.
"""
from __future__ import annotations

from collections import Counter
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


def significant_words(paragraphs: list[list[str]] | list[set[str]], stories: np.ndarray, reader,
                      stems: WordStems, cache: PostingCache, archive_paragraphs: int,
                      leave_out: frozenset[str], size: int) -> list[Word]:
    """The `size` words of `paragraphs` (the sample: each paragraph's distinct lower-cased
    words, from the index's `words` column or `WordStems.words` of its text; paragraphs of the
    `stories` given alongside as numbers) most over-represented against the archive of
    `archive_paragraphs` paragraphs, best first; stems in `leave_out` (the query's own words)
    are skipped. Numbers and stop words are never words here."""
    words = [w for found in paragraphs for w in found]
    numbers = stems.numbers(words)
    kept = np.flatnonzero(numbers >= 0)
    if not len(kept):
        return []
    owner = np.repeat(np.arange(len(paragraphs)), [len(found) for found in paragraphs])[kept]
    numbers, local = np.unique(numbers[kept], return_inverse=True)
    # Paragraphs and stories per stem, as (paragraph, stem) and (story, stem) tables: two forms
    # of a word in one paragraph (quota, quotas) count once.
    counts = _pairs(owner, local, len(paragraphs), len(numbers))
    _, story = np.unique(np.asarray(stories), return_inverse=True)
    told_by = _pairs(story[owner], local, int(story.max()) + 1, len(numbers))
    sample = len(paragraphs)
    scored = []
    for i in np.flatnonzero(told_by >= MIN_STORIES):
        number, count = int(numbers[i]), int(counts[i])
        stem = stems.stem(number)
        if stem in leave_out:
            continue
        archive_count = max(stems.archive_count(reader, cache, number), count)
        score = jlh(count, sample, archive_count, max(archive_paragraphs, archive_count))
        if score > 0:
            scored.append((score, stem, count, archive_count, int(i)))
    scored.sort(key=lambda s: (-s[0], s[1]))
    scored = scored[:size]
    shown = _commonest_spellings(words, kept, local, {s[4]: s[1] for s in scored})
    return [Word(shown[stem], count, archive_count, score)
            for score, stem, count, archive_count, _ in scored]


def _pairs(rows: np.ndarray, stems: np.ndarray, row_count: int, stem_count: int) -> np.ndarray:
    """Per stem, how many distinct rows (paragraphs, stories) hold it."""
    held = np.zeros((row_count, stem_count), dtype=bool)
    held[rows, stems] = True
    return np.count_nonzero(held, axis=0)


def jlh(count: int, sample: int, archive_count: int, archive: int) -> float:
    """JLH: how much more often the sample holds a word than the archive does, times how often
    it does, as absolute and relative change multiplied ((fg - bg) * fg / bg); 0 when the word
    is not over-represented."""
    if not (count and sample and archive_count and archive):
        return 0.0
    foreground, background = count / sample, archive_count / archive
    if foreground <= background:
        return 0.0
    return (foreground - background) * (foreground / background)


def _commonest_spellings(words: list[str], kept: np.ndarray, local: np.ndarray,
                         wanted: dict[int, str]) -> dict[str, str]:
    """Per wanted stem (by its number in `local`, the stem of each of the `kept` words), the
    spelling most paragraphs of the sample use (the shorter one on a tie)."""
    is_wanted = np.zeros(int(local.max()) + 1, dtype=bool)
    is_wanted[list(wanted)] = True
    chosen = np.flatnonzero(is_wanted[local])
    spellings = Counter((wanted[int(local[i])], words[kept[i]]) for i in chosen)
    best: dict[str, tuple[int, int, str]] = {}
    for (stem, word), n in spellings.items():
        key = (n, -len(word), word)
        if stem not in best or key > best[stem]:
            best[stem] = key
    return {stem: key[2] for stem, key in best.items()}
