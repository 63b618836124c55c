"""Did-you-mean: replaces the words of a query that the index has never seen with close words it has.

Offers the text's words as written (SpellingWords, from the `words` column), so suggestions are
real words, never stems; the service decides whether to offer the result (only when it finds
hits). Never imports the service.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.folding import fold
from index.store.schema import TEXT, TITLE

_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
# Words this short have too many close neighbours for a correction to be a good guess.
MIN_WORD = 4
# Fields whose stems make a word "known": a word found there is searched as typed.
SEARCHED_FIELDS = (TEXT, TITLE)
# The name the spelling words go by in a generation's Vocabulary (no field has it).
SPELLING = "spelling"


@dataclass(frozen=True)
class SpellingWords:
    """The words of the archive's paragraphs as written, lower-cased and accent-folded (as a
    query word is compared), each with the number of live paragraphs that hold it: what
    did-you-mean knows and offers. Learned from the `words` column when a generation opens
    (stop words and words without a letter are not in it), so the index keeps no word list of
    its own; one-letter words are left out, as the analyzer drops them."""

    frequency: dict[str, int]

    @classmethod
    def of(cls, words: list[str], word_ids: np.ndarray, word_starts: np.ndarray,
           alive: np.ndarray) -> "SpellingWords":
        """From the words column's arrays (search.engine.doc_values.Columns)."""
        live = np.repeat(alive, np.diff(word_starts))
        counts = np.bincount(word_ids[live], minlength=len(words)).tolist()
        frequency: dict[str, int] = {}
        for word, n in zip(words, counts):
            if n and len(word) > 1:
                folded = fold(word)
                frequency[folded] = frequency.get(folded, 0) + n
        return cls(frequency)

    def __contains__(self, word: str) -> bool:
        return word in self.frequency


def corrected_query(q: str, reader, vocabulary, spelling: SpellingWords) -> str | None:
    """`q` with each unknown word replaced by the most frequent indexed word within edit
    distance 1 (else 2) sharing its first letter; None when nothing changes. Words compare
    accent-folded, as the index holds them: "café" is the known "cafe", not a typo of "cash".

    Close words are found by `vocabulary` (search.engine.vocabulary: numpy over `spelling`'s words,
    which it holds under SPELLING, about a millisecond; Whoosh's own corrector walked the term dictionary in Python, 50-
    60 ms a word at 4x the archive). It runs only for words that `needs_correction` finds
    unknown: ordinary queries never pay for it.
    """
    changed = False
    out, pos = [], 0
    for m in _WORD.finditer(q):
        word = m.group(0)
        folded = fold(word)
        replacement = None
        if needs_correction(folded, reader, spelling):
            replacement = _best(reader, vocabulary, spelling, folded)
        out.append(q[pos:m.start()])
        if replacement:
            out.append(_same_case(word, replacement))
            changed = True
        else:
            out.append(word)
        pos = m.end()
    out.append(q[pos:])
    return "".join(out) if changed else None


def needs_correction(word: str, reader, spelling: SpellingWords) -> bool:
    """Whether a lower-cased, accent-folded query word is unknown to the index: long enough to
    guess at, not a number, absent from the spelling list, not a stop word (the analyzer drops
    those, and the spelling list never holds them), and none of its stems in text or title (a
    title-only word such as a ticker symbol is absent from the spelling list yet finds hits)."""
    if len(word) < MIN_WORD or word.isdigit() or word in spelling:
        return False
    stems = [t.text for t in reader.schema[SEARCHED_FIELDS[0]].analyzer(word)]
    return bool(stems) and not any((f, s) in reader for f in SEARCHED_FIELDS for s in stems)


def _best(reader, vocabulary, spelling: SpellingWords, word: str) -> str | None:
    """The most frequent word within one edit, else two, that starts with the same letter (the
    first equally frequent one in alphabetical order)."""
    for distance in (1, 2):
        near = [w for w in vocabulary.within(reader, SPELLING, word, distance, prefix=1) if w != word]
        if near:
            return max(near, key=spelling.frequency.__getitem__)
    return None


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
