"""Significant words: the words a sample of paragraphs uses far more than the whole archive
does, scored by JLH (Elasticsearch's `significant_text` default), and shown as readers write
them rather than as the index's stems.

Counts words in the paragraphs' stored text, and the archive's paragraphs holding each word from
its postings (a common word's count is two numbers of the memory-mapped posting store, a rare
word's postings are read once and kept in the generation's posting cache: Whoosh's term lookup
cost 40-70 µs a word on every request). Tokenizes, folds, drops stop words and stems as the
opened index's analyzer does, with its own settings, so a word is counted as a search finds it
(`quotas` and `quota` are one word). Never imports search.service or search.web.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import Stemmer

from index.store.schema import TEXT
from search.engine.posting_cache import PostingCache

# A word must be in paragraphs of at least this many stories of the sample (Elasticsearch's
# min_doc_count is 3 documents): a name one story repeats in five paragraphs says what that
# story is about, not the result set (with paragraphs counted, interviews' names filled the list).
MIN_STORIES = 3
_LETTER = re.compile(r"[^\W\d_]")
_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?!\?)")


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
    call per request) instead of token by token: its token pattern, accent folding, stop list
    and stemmer (None: the analyzer does not stem)."""

    token: re.Pattern
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
        token = re.compile(_CAPTURING_GROUP.sub("(?:", tokenizer.expression.pattern),
                           tokenizer.expression.flags)
        return cls(token, folding, frozenset(stop.stops) if stop else frozenset(),
                   stop.min if stop else 1,
                   Stemmer.Stemmer(stemming.lang) if stemming is not None else None)


def significant_words(texts: list[str], stories: list[str], reader, cache: PostingCache,
                      analyzer, archive_paragraphs: int, leave_out: frozenset[str],
                      size: int) -> list[Word]:
    """The `size` words of `texts` (the sample, paragraphs of the `stories` given alongside)
    most over-represented against the archive of `archive_paragraphs` paragraphs, best first;
    stems in `leave_out` (the query's own words) are skipped. Numbers and stop words are never
    words here."""
    analysis = _Analysis.of(analyzer)
    paragraphs = [set(analysis.token.findall(text.lower())) for text in texts]
    stems = _stems({w for words in paragraphs for w in words}, analysis)
    counts: Counter[str] = Counter()
    spellings: Counter[tuple[str, str]] = Counter()
    told_by: dict[str, set[str]] = {}
    for words, story in zip(paragraphs, stories):
        found = set()
        for w in words:
            stem = stems.get(w)
            if stem is not None:
                found.add(stem)
                spellings[stem, w] += 1
        counts.update(found)
        for stem in found:
            told_by.setdefault(stem, set()).add(story)
    sample = len(texts)
    scored = []
    for stem, count in counts.items():
        if len(told_by[stem]) < MIN_STORIES or stem in leave_out:
            continue
        archive_count = max(_archive_count(reader, cache, stem), count)
        score = jlh(count, sample, archive_count, max(archive_paragraphs, archive_count))
        if score > 0:
            scored.append((score, stem, count, archive_count))
    scored.sort(key=lambda s: (-s[0], s[1]))
    shown = _commonest_spellings(spellings)
    return [Word(shown[stem], count, archive_count, score)
            for score, stem, count, archive_count in scored[:size]]


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
    """The archive's paragraphs whose text holds the stem."""
    stored = cache.posting_store.document_count(TEXT, stem)
    return stored if stored is not None else len(cache.get(reader, TEXT, stem).ids)


def _commonest_spellings(spellings: Counter[tuple[str, str]]) -> dict[str, str]:
    """Per stem, the spelling most paragraphs of the sample use (the shorter one on a tie)."""
    best: dict[str, tuple[int, int, str]] = {}
    for (stem, word), n in spellings.items():
        key = (n, -len(word), word)
        if stem not in best or key > best[stem]:
            best[stem] = key
    return {stem: key[2] for stem, key in best.items()}
