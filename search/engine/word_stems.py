"""A generation's words as its text analyzer reads them, learned once: each word's stem (a
number per stem), each stem's archive count. The significant words count by them and the
highlighting finds the query's words with them, in bulk (one regex call per text, one stemmer
call per batch of new words) instead of token by token through Whoosh's analyzer.
Never imports search.service or search.web.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import Stemmer

from index.store.schema import TEXT
from search.engine.posting_cache import PostingCache

_LETTER = re.compile(r"[^\W\d_]")
_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?!\?)")
# A word's stem number when the index drops the word (a stop word, too short), or when the
# significant words never count it (no letter).
_DROPPED = -1


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
                   stop.min if stop else 1, _uncached(stemming.lang) if stemming is not None else None)


def _uncached(lang: str) -> Stemmer.Stemmer:
    """A stemmer without PyStemmer's own cache: WordStems keeps every stem it learns, and the
    cache's upkeep made stemming a batch of new words four times slower (46,647 words: 97 ms
    with it, 22 ms without)."""
    stemmer = Stemmer.Stemmer(lang)
    stemmer.maxCacheSize = 0
    return stemmer


class WordStems:
    """One generation's words as its text analyzer reads them: each word of the stored text
    (lower-cased, as the text spells it) numbered by its stem, or _DROPPED; each stem's archive
    count. The significant words count by these numbers and the highlighting marks by them.
    Learned when the generation opens (the words of its words column, Columns.words: 36,721 on
    the Reuters files, 0.08 s) and on first meeting (stop words, numbers and spellings the column
    leaves out, in hits' text), and kept while the generation is served, so a page's cost hardly depends on how new its words
    are (stemming each sample's words took 1.8 ms of a 15 ms first view of the page, and the
    first views that met the most new words were the slowest; running the analyzer over each
    hit for its marks took 0.5 ms more). Holds at most the distinct words of the generation's
    text (stop words and numbers too), their stems and counts.
    Thread-safe: words are added under a lock; a count read twice by two threads is the same."""

    def __init__(self, analyzer, known: Iterable[str] = ()):
        """`known`: words to learn now (the generation's words, when it opens)."""
        self.analysis = _Analysis.of(analyzer)
        self._numbers: dict[str, int] = {}
        self._stems: list[str] = []
        self._stem_numbers: dict[str, int] = {}
        self._archive: dict[int, int] = {}
        self._lock = threading.Lock()
        self._learn(set(known))

    def numbers(self, words: list[str]) -> np.ndarray:
        """Each word's stem number (_DROPPED for a word the index drops)."""
        return np.array(self._known(words), dtype=np.int64)

    def spans(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        """Character offsets of the words of `text` whose analysed form is one of `terms` (the
        query's stems: "shelling" marks "shelled", both "shell"), exactly the tokens the
        analyzer gives (tests/unit/test_search_snippets.py checks them against it)."""
        wanted = set(terms)
        if not wanted or not text:
            return []
        ascii_text = text.isascii()  # then lower-casing keeps every offset
        if ascii_text:
            token = self.analysis.ascii_token
            words = token.findall(text.lower())
        else:
            token = self.analysis.token
            found = [m.span() for m in token.finditer(text)]
            words = [text[s:e].lower() for s, e in found]
        numbers = self._known(words)  # learns the text's new words, and so the terms' stems
        marked = {n for n in map(self._stem_numbers.get, wanted) if n is not None}
        # A term without a letter (a number, "1987") is a word the numbers leave out; the
        # stemmer leaves such a word as it is.
        plain = {t for t in wanted if not _LETTER.search(t)}
        hits = [i for i, (word, number) in enumerate(zip(words, numbers))
                if number in marked
                or (plain and number == _DROPPED and word.translate(self.analysis.folding) in plain)]
        if not hits:
            return []
        if ascii_text:  # the offsets, only for a text with a match
            found = [m.span() for m in token.finditer(text)]
        return [found[i] for i in hits]

    def stem(self, number: int) -> str:
        return self._stems[number]

    def archive_count(self, reader, cache: PostingCache, number: int) -> int:
        """The archive's paragraphs whose text holds the stem."""
        found = self._archive.get(number)
        if found is None:
            found = self._archive[number] = _archive_count(reader, cache, self._stems[number])
        return found

    def _known(self, words: list[str]) -> list[int]:
        """Each word's stem number, learning the words not met before (a list: for the few words
        of a text, looking them up is faster than building an array)."""
        known = self._numbers.get
        numbers = [known(word) for word in words]
        if None in numbers:
            self._learn({word for word, number in zip(words, numbers) if number is None})
            numbers = [known(word) for word in words]
        return numbers

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
