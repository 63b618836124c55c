"""The query tree and its scoring: words, phrases, expansions and boolean nodes evaluated to
sorted document-number arrays with BM25F scores computed in numpy, under a deadline.

Owns the ranking formula and its weights. Reads postings through search.columns; never parses
query text (search.query_syntax) and never imports the service.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from whoosh import collectors, query

from search.columns import EMPTY_IDS, EMPTY_POSTINGS, Columns, PostingCache, Postings

# BM25F (Robertson & Zaragoza): each field's term frequency is length-normalised with its own
# b, weighted, summed, then saturated once with k1. Title ×2.5: a title is a short, edited
# summary, so a word there says more about the paragraph than one more mention in its text,
# yet it should not let every paragraph of an article outrank the paragraph that discusses the
# word. Title b=0.3: titles are all short, their length says little. `places` (the canonical
# names of the places a paragraph mentions) gets a small weight: a match there mostly repeats a
# text match, and alone it only lifts a paragraph that names the place in another spelling.
K1 = 1.2
FIELD_WEIGHTS = {"text": 1.0, "title": 2.5, "places": 0.5}
FIELD_B = {"text": 0.75, "title": 0.3, "places": 0.0}
# A phrase found as a phrase scores its words plus this share of them again (proximity matters).
PHRASE_BONUS = 0.5
# Prefix, wildcard and fuzzy terms are scored as constants (as Lucene does): their expansions
# are not the words the user typed.
EXPANSION_SCORE = 1.0
# Two neighbouring words of a simple query found side by side add this share of their phrase
# score (a sequential-dependence-style proximity feature).
PAIR_BONUS = 0.3


@dataclass
class Match:
    """Sorted unique global document numbers and their scores."""

    ids: np.ndarray
    scores: np.ndarray


NO_MATCH = Match(EMPTY_IDS, np.zeros(0, dtype=np.float32))


@dataclass
class Context:
    """What a query tree needs while it is evaluated; one per request."""

    searcher: object
    columns: Columns
    cache: PostingCache
    deadline: float
    place_lookup: object            # callable: name -> list of place ids (may be empty)
    timed_out: bool = False

    @property
    def reader(self):
        return self.searcher.reader()

    def postings(self, fieldname: str, text: str) -> Postings:
        if self.out_of_time():
            return EMPTY_POSTINGS
        return self.cache.get(self.reader, fieldname, text)

    def out_of_time(self) -> bool:
        if not self.timed_out and time.perf_counter() > self.deadline:
            self.timed_out = True
        return self.timed_out

    def whoosh_docs(self, q: query.Query) -> np.ndarray:
        """Unscored matches of a Whoosh query, under Whoosh's own time-limit collector."""
        remaining = self.deadline - time.perf_counter()
        if remaining <= 0:
            self.timed_out = True
            return EMPTY_IDS
        collector = collectors.TimeLimitCollector(collectors.UnsortedCollector(), remaining,
                                                  use_alarm=False)
        try:
            self.searcher.search_with_collector(q, collector)
        except collectors.TimeLimit:
            self.timed_out = True
        ids = np.fromiter(collector.child.docset, dtype=np.int32)
        ids.sort()
        return ids


@dataclass(frozen=True)
class Word:
    """One word across fields (BM25F): `terms` are (field, indexed term) pairs."""

    terms: tuple[tuple[str, str], ...]
    qtf: float = 1.0

    def evaluate(self, ctx: Context) -> Match:
        postings = [(f, ctx.postings(f, t)) for f, t in self.terms]
        postings = [(f, p) for f, p in postings if len(p.ids)]
        if not postings:
            return NO_MATCH
        ids = np.unique(np.concatenate([p.ids for _, p in postings])) if len(postings) > 1 else postings[0][1].ids
        tfn = np.zeros(len(ids), dtype=np.float32)
        cols = ctx.columns
        for fieldname, p in postings:
            where = np.searchsorted(ids, p.ids) if len(postings) > 1 else slice(None)
            tfn[where] += FIELD_WEIGHTS[fieldname] * p.tf / _length_norm(cols, fieldname, p.ids)
        df = len(ids)
        idf = math.log(1.0 + (cols.doc_count - df + 0.5) / (df + 0.5))
        scores = self.qtf * idf * tfn * (K1 + 1.0) / (K1 + tfn)
        return Match(ids, scores.astype(np.float32))

    def highlight_terms(self) -> set[str]:
        return {t for f, t in self.terms if f in ("text", "title")}


def _length_norm(cols: Columns, fieldname: str, ids: np.ndarray) -> np.ndarray | float:
    b = FIELD_B[fieldname]
    if b == 0.0 or fieldname not in cols.lengths:
        return 1.0
    return (1.0 - b) + b * cols.lengths[fieldname][ids] / cols.average_lengths[fieldname]


@dataclass(frozen=True)
class Phrase:
    """Words that must stand next to each other in text or title (or a place's full name)."""

    words: tuple[str, ...]
    fields: tuple[str, ...] = ("text", "title")
    place_name: str | None = None
    qtf: float = 1.0

    def evaluate(self, ctx: Context) -> Match:
        word_matches = [Word(tuple((f, w) for f in self.fields), self.qtf).evaluate(ctx) for w in self.words]
        candidates = _intersect(word_matches)
        if len(candidates.ids):
            found = ctx.whoosh_docs(query.Or([query.Phrase(f, list(self.words)) for f in self.fields]))
            keep = np.isin(candidates.ids, found, assume_unique=True)
            phrase = Match(candidates.ids[keep], candidates.scores[keep] * (1.0 + PHRASE_BONUS))
        else:
            phrase = NO_MATCH
        if self.place_name:
            place = Word((("places", self.place_name),), self.qtf).evaluate(ctx)
            return _union([phrase, place])
        return phrase

    def highlight_terms(self) -> set[str]:
        return set(self.words)


@dataclass(frozen=True)
class Expansion:
    """A prefix, wildcard or fuzzy term: the union of the terms it expands to, constant score."""

    fieldname: str
    terms: tuple[str, ...]

    def evaluate(self, ctx: Context) -> Match:
        parts = [ctx.postings(self.fieldname, t).ids for t in self.terms]
        parts = [p for p in parts if len(p)]
        if not parts:
            return NO_MATCH
        ids = np.unique(np.concatenate(parts))
        return Match(ids, np.full(len(ids), EXPANSION_SCORE * FIELD_WEIGHTS.get(self.fieldname, 1.0),
                                  dtype=np.float32))

    def highlight_terms(self) -> set[str]:
        return set(self.terms) if self.fieldname in ("text", "title") else set()


@dataclass(frozen=True)
class Places:
    """Paragraphs that carry any of these place ids (a `place:` term in an advanced query)."""

    ids: tuple[str, ...]

    def evaluate(self, ctx: Context) -> Match:
        found = np.flatnonzero(ctx.columns.place_mask(list(self.ids))).astype(np.int32)
        return Match(found, np.full(len(found), FIELD_WEIGHTS["places"], dtype=np.float32))

    def highlight_terms(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Opaque:
    """Any other Whoosh query the parser produced: matched by Whoosh, constant score."""

    q: query.Query

    def evaluate(self, ctx: Context) -> Match:
        ids = ctx.whoosh_docs(self.q)
        return Match(ids, np.ones(len(ids), dtype=np.float32))

    def highlight_terms(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class All:
    """Every child required; `excluded` children must not match. Scores add up."""

    children: tuple
    excluded: tuple = ()

    def evaluate(self, ctx: Context) -> Match:
        if not self.children:
            return NO_MATCH
        matched = _intersect([c.evaluate(ctx) for c in self.children])
        for child in self.excluded:
            if not len(matched.ids):
                break
            out = child.evaluate(ctx).ids
            keep = ~np.isin(matched.ids, out, assume_unique=True)
            matched = Match(matched.ids[keep], matched.scores[keep])
        return matched

    def highlight_terms(self) -> set[str]:
        return set().union(*(c.highlight_terms() for c in self.children))


@dataclass(frozen=True)
class Any:
    """At least one child; scores add up, so a paragraph with more of the words ranks higher."""

    children: tuple

    def evaluate(self, ctx: Context) -> Match:
        return _union([c.evaluate(ctx) for c in self.children])

    def highlight_terms(self) -> set[str]:
        return set().union(*(c.highlight_terms() for c in self.children))


@dataclass(frozen=True)
class WithBonus:
    """`base` decides what matches; each bonus adds a share of its score where it also matches
    (neighbouring query words found side by side: proximity)."""

    base: object
    bonuses: tuple

    def evaluate(self, ctx: Context) -> Match:
        matched = self.base.evaluate(ctx)
        scores = matched.scores.copy()
        for bonus in self.bonuses:
            if not len(matched.ids) or ctx.out_of_time():
                break
            extra = bonus.evaluate(ctx)
            _, left, right = np.intersect1d(matched.ids, extra.ids, assume_unique=True, return_indices=True)
            scores[left] += PAIR_BONUS * extra.scores[right]
        return Match(matched.ids, scores)

    def highlight_terms(self) -> set[str]:
        return self.base.highlight_terms()


@dataclass(frozen=True)
class Everything:
    def evaluate(self, ctx: Context) -> Match:
        ids = np.flatnonzero(ctx.columns.alive).astype(np.int32)
        return Match(ids, np.zeros(len(ids), dtype=np.float32))

    def highlight_terms(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Nothing:
    def evaluate(self, ctx: Context) -> Match:
        return NO_MATCH

    def highlight_terms(self) -> set[str]:
        return set()


def _intersect(matches: list[Match]) -> Match:
    matches = sorted(matches, key=lambda m: len(m.ids))
    result = matches[0]
    for other in matches[1:]:
        if not len(result.ids):
            break
        common, left, right = np.intersect1d(result.ids, other.ids, assume_unique=True, return_indices=True)
        result = Match(common, result.scores[left] + other.scores[right])
    return result


def _union(matches: list[Match]) -> Match:
    matches = [m for m in matches if len(m.ids)]
    if not matches:
        return NO_MATCH
    if len(matches) == 1:
        return matches[0]
    ids, inverse = np.unique(np.concatenate([m.ids for m in matches]), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([m.scores for m in matches]), minlength=len(ids))
    return Match(ids.astype(np.int32), scores.astype(np.float32))
