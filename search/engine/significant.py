"""Significant words: the words a sample of paragraphs uses far more than the whole archive
does, scored by JLH (Elasticsearch's `significant_text` default), and shown as readers write
them rather than as the index's stems.

Counts words in the paragraphs' stored text, and the archive's paragraphs holding each word from
the index (a common word's count is two numbers of the memory-mapped posting store, a rarer
word's is its document frequency). Tokenizes, folds, drops stop words and stems as the opened
index's analyzer does, with its own settings, so a word is counted as a search finds it
(`quotas` and `quota` are one word). What does not depend on the search (each word's stem, each
stem's archive count) is learned once per generation (`WordStems`); the counting is numpy over
(paragraph, stem) pairs. Never imports search.service or search.web.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import Stemmer

from index.store.schema import TEXT
from search.engine.posting_cache import PostingCache

# A word must be in paragraphs of at least this many stories of the sample (Elasticsearch's
# min_doc_count is 3 documents): a name one story repeats in five paragraphs says what that
# story is about, not the result set (with paragraphs counted, interviews' names filled the list).
MIN_STORIES = 3
_LETTER = re.compile(r"[^\W\d_]")
_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?!\?)")
# A word's stem number when the index drops the word (a stop word, too short, no letter), and
# while it is not yet known.
_DROPPED, _UNKNOWN = -1, -2


@dataclass(frozen=True)
class Word:
    """One significant word: its commonest spelling in the sample (lower-cased), the paragraphs
    of the sample and of the archive that hold it (in any form sharing its stem), its score."""

    word: str
    count: int
    archive_count: int
    score: float


@dataclass(frozen=True)
class _Analysis:
    """The index analyzer's steps, run here in bulk (one regex call per paragraph, one stemmer
    call per batch of new words) instead of token by token: its token pattern (and the same
    pattern for ASCII text, where it finds the same tokens in two thirds of the time), accent
    folding, stop list and stemmer (None: the analyzer does not stem)."""

    token: re.Pattern
    ascii_token: re.Pattern
    folding: dict
    stops: frozenset[str]
    min_chars: int
    stemmer: Stemmer.Stemmer | None

    @classmethod
    def of(cls, analyzer) -> "_Analysis":
        # Found by what each step holds (Whoosh's RegexTokenizer, CharsetFilter, StopFilter and
        # PyStemmerFilter), so that Whoosh stays imported by run.py and syntax.py alone.
        items = list(analyzer.items)
        tokenizer = next(i for i in items if hasattr(i, "expression"))
        folding = next((i.charmap for i in items if hasattr(i, "charmap")), {})
        stop = next((i for i in items if hasattr(i, "stops")), None)
        stemming = next((i for i in items if hasattr(i, "lang")), None)
        # The same pattern with its groups made non-capturing, so findall returns whole tokens
        # (half the time of finditer over a sample).
        pattern = _CAPTURING_GROUP.sub("(?:", tokenizer.expression.pattern)
        flags = tokenizer.expression.flags
        token = re.compile(pattern, flags)
        ascii_token = re.compile(pattern, (flags & ~re.UNICODE) | re.ASCII)
        return cls(token, ascii_token, folding, frozenset(stop.stops) if stop else frozenset(),
                   stop.min if stop else 1,
                   Stemmer.Stemmer(stemming.lang) if stemming is not None else None)


class WordStems:
    """One generation's words as the significant words count them: each word of the stored text
    (lower-cased, as the text spells it) numbered by its stem, or _DROPPED; each stem's archive
    count. Learned on first meeting and kept while the generation is served, so a sample's cost
    hardly depends on how new its words are (stemming each sample's words took 1.8 ms of a
    15 ms first view of the page, reading its rarer words' postings for their counts as much
    again). Holds at most the distinct words of the generation's text (stop words and numbers
    too), their stems and counts. Created empty: learning the whole vocabulary when a generation
    opens would triple the opening's 0.3 s.
    Thread-safe: words are added under a lock; a count read twice by two threads is the same."""

    def __init__(self, analyzer):
        self.analysis = _Analysis.of(analyzer)
        self._numbers: dict[str, int] = {}
        self._stems: list[str] = []
        self._stem_numbers: dict[str, int] = {}
        self._archive: dict[int, int] = {}
        self._lock = threading.Lock()

    def numbers(self, words: list[str]) -> np.ndarray:
        """Each word's stem number (_DROPPED for a word the index drops)."""
        numbers = np.fromiter(map(self._numbers.get, words, repeat(_UNKNOWN)), dtype=np.int64,
                              count=len(words))
        unknown = np.flatnonzero(numbers == _UNKNOWN)
        if len(unknown):
            self._learn({words[i] for i in unknown})
            numbers[unknown] = [self._numbers[words[i]] for i in unknown]
        return numbers

    def words(self, text: str) -> set[str]:
        """The distinct words of `text`, lower-cased, as the index's tokenizer finds them."""
        text = text.lower()
        token = self.analysis.ascii_token if text.isascii() else self.analysis.token
        return set(token.findall(text))

    def stem(self, number: int) -> str:
        return self._stems[number]

    def archive_count(self, reader, cache: PostingCache, number: int) -> int:
        """The archive's paragraphs whose text holds the stem."""
        found = self._archive.get(number)
        if found is None:
            found = self._archive[number] = _archive_count(reader, cache, self._stems[number])
        return found

    def _learn(self, words: set[str]) -> None:
        with self._lock:  # also PyStemmer's: a stemmer is not thread-safe
            stems = _stems(words, self.analysis)
            for word in words:
                stem = stems.get(word)
                number = _DROPPED if stem is None else self._stem_numbers.get(stem)
                if number is None:
                    number = self._stem_numbers[stem] = len(self._stems)
                    self._stems.append(stem)
                self._numbers[word] = number


def significant_words(paragraphs: list[set[str]], stories: np.ndarray, reader, stems: WordStems,
                      cache: PostingCache, archive_paragraphs: int, leave_out: frozenset[str],
                      size: int) -> list[Word]:
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


def _stems(words: set[str], analysis: _Analysis) -> dict[str, str]:
    """Each (lower-cased) word's stem as the index holds it; words the analyzer drops (stop
    words, too short) and words without a letter (numbers, codes of digits) are left out."""
    kept, folded = [], []
    for word in words:
        plain = word.translate(analysis.folding)
        if len(plain) >= analysis.min_chars and plain not in analysis.stops and _LETTER.search(plain):
            kept.append(word)
            folded.append(plain)
    stems = analysis.stemmer.stemWords(folded) if analysis.stemmer is not None else folded
    return dict(zip(kept, stems))


def _archive_count(reader, cache: PostingCache, stem: str) -> int:
    """The archive's paragraphs whose text holds the stem: the posting store's count, else the
    term's document frequency (which counts deleted paragraphs too: in an index with deletions,
    its postings are read instead)."""
    stored = cache.posting_store.document_count(TEXT, stem)
    if stored is not None:
        return stored
    if not reader.has_deletions():
        return reader.doc_frequency(TEXT, stem)
    return len(cache.get(reader, TEXT, stem).ids)


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
