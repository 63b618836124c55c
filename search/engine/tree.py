"""The query tree and its scoring: words, phrases, expansions and boolean nodes evaluated to
sorted document-number arrays with BM25F scores computed in numpy, under a deadline.

Owns the ranking formula and its weights. Reads postings through search.engine.posting_cache; never parses
query text (search.engine.syntax) and never imports the service.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.store.postings import EMPTY_IDS, EMPTY_POSTINGS, Postings
from index.store.postings import read_positions
from index.store.schema import PLACES, TEXT, TITLE
from search.engine.arrays import distinct, found_in, members, union_ids, union_size
from search.engine.doc_values import Columns
from search.engine.posting_cache import PostingCache

# BM25F (Robertson & Zaragoza): each field's term frequency is length-normalised with its own
# b, weighted, summed, then saturated once with k1. Title ×2.5: a title is a short, edited
# summary, so a word there says more about the paragraph than one more mention in its text,
# yet it should not let every paragraph of an article outrank the paragraph that discusses the
# word. Title b=0.3: titles are all short, their length says little. `places` (the canonical
# names of the places a paragraph mentions) gets a small weight: a match there mostly repeats a
# text match, and alone it only lifts a paragraph that names the place in another spelling.
K1 = 1.2
FIELD_WEIGHTS = {TEXT: 1.0, TITLE: 2.5, PLACES: 0.5}
FIELD_B = {TEXT: 0.75, TITLE: 0.3, PLACES: 0.0}
# A phrase found as a phrase scores its words plus this share of them again (proximity matters).
PHRASE_BONUS = 0.5
# Prefix, wildcard and fuzzy terms are scored as constants (as Lucene does): their expansions
# are not the words the user typed.
EXPANSION_SCORE = 1.0
# Sequential dependence (Metzler & Croft, SIGIR 2005): every two neighbouring words of a simple
# query add an "ordered, side by side" (#1) and an "either order, within 8 positions" (#uw8)
# feature to the single-word scores, with the paper's published weights 0.85 / 0.10 / 0.05
# (here relative to the words' 0.85). Each feature is scored as Lucene scores a phrase: BM25F
# of its count in the paragraph, with the sum of its words' idf.
ORDERED_WEIGHT = 0.10 / 0.85
UNORDERED_WEIGHT = 0.05 / 0.85
UNORDERED_WINDOW = 8
# Proximity bonuses are computed for this many best documents by base score (a rescore window).
# Reading positions costs a decoded posting block per document, so the window bounds a common
# pair's cost: 1,000 took 60-75 ms of CPU for two of the commonest words at 4x the archive, 100
# takes 16-23 ms; Cranfield nDCG@10 0.5409 -> 0.5407 (docs/benchmarks.md, Scale).
RESCORE_WINDOW = 100
# RM3 pseudo-relevance feedback (Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004), with
# Anserini's defaults: the relevance model is estimated from the top 10 documents, pruned to its
# 10 heaviest terms and mixed half and half with the original query. As in Anserini, a feedback
# document's terms are counted only if 2-20 letters or digits long and found in at most 10 % of
# the documents (commoner words say nothing about the topic).
FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 10
ORIGINAL_QUERY_WEIGHT = 0.5
FEEDBACK_MAX_DF_RATIO = 0.1
# What a feedback document is read from. Its title is every paragraph of its article's title,
# so on Reuters the expansion leans toward the top article (see docs/benchmarks.md, Relevance).
FEEDBACK_FIELDS = (TITLE, TEXT)
_FEEDBACK_TERM = re.compile(r"[a-z0-9]{2,20}")
# A union of matches counts into one slot per document (instead of sorting them) when the
# highest document number is at most this many times the number of matches.
DENSE_UNION_RATIO = 16
# Positions are combined into one int64 key per (candidate row, position): row << 32 | pos.
_ROW_SHIFT = 32


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
    # The documents the request's filters allow (None: all): work on others is thrown away.
    allowed: np.ndarray | None = None
    # False when results are sorted by date: score-only work (proximity bonuses) is skipped.
    scores_matter: bool = True
    # Whole stored records (search.engine.paragraphs.Paragraphs): feedback reads its top
    # documents' titles and texts; None where nothing reads them.
    paragraphs: object = None

    @property
    def reader(self):
        return self.searcher.reader()

    def postings(self, fieldname: str, text: str) -> Postings:
        if self.out_of_time():
            return EMPTY_POSTINGS
        return self.cache.get(self.reader, fieldname, text)

    def remembered(self, key: tuple, compute):
        """`compute()`, kept in the generation's cache under `key` (never when the deadline
        cut the work short, so a partial result is not served again)."""
        found = self.cache.lookup(key)
        if found is None:
            found = compute()
            if not self.timed_out:
                self.cache.store(key, found)
        return found

    def out_of_time(self) -> bool:
        if not self.timed_out and time.perf_counter() > self.deadline:
            self.timed_out = True
        return self.timed_out



@dataclass(frozen=True)
class Word:
    """One word across fields (BM25F): `terms` are (field, indexed term) pairs."""

    terms: tuple[tuple[str, str], ...]
    qtf: float = 1.0

    def evaluate(self, ctx: Context) -> Match:
        impacts = ctx.remembered(("word", self.terms), lambda: self.impacts(ctx))
        if not len(impacts.ids):
            return NO_MATCH
        scores = self.qtf * _idf(ctx.columns, len(impacts.ids)) * impacts.saturated
        return Match(impacts.ids, scores.astype(np.float32))

    def impacts(self, ctx: Context) -> "Impacts":
        """The word's saturated BM25F term weight in every document that has it: the part of
        its score that does not depend on the query, computed once per generation (a common
        word's is most of the work of a query that holds it)."""
        postings = [(f, ctx.postings(f, t)) for f, t in self.terms]
        postings = [(f, p) for f, p in postings if len(p.ids)]
        if not postings:
            return Impacts(EMPTY_IDS, np.zeros(0, dtype=np.float32))
        ids = distinct(np.concatenate([p.ids for _, p in postings])) if len(postings) > 1 else postings[0][1].ids
        tfn = np.zeros(len(ids), dtype=np.float32)
        cols = ctx.columns
        for fieldname, p in postings:
            where = np.searchsorted(ids, p.ids) if len(postings) > 1 else slice(None)
            tfn[where] += FIELD_WEIGHTS[fieldname] * p.tf / _length_norm(cols, fieldname, p.ids)
        return Impacts(ids, _saturated(tfn))

    def highlight_terms(self) -> set[str]:
        return {t for f, t in self.terms if f in (TEXT, TITLE)}


@dataclass(frozen=True)
class Impacts:
    """A word's documents (sorted global numbers) and its saturated BM25F weight in each."""

    ids: np.ndarray
    saturated: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.saturated.nbytes


def _idf(cols: Columns, df: int) -> float:
    return math.log(1.0 + (cols.doc_count - df + 0.5) / (df + 0.5))


def _saturated(tfn: np.ndarray) -> np.ndarray:
    return tfn * (K1 + 1.0) / (K1 + tfn)


def _length_norm(cols: Columns, fieldname: str, ids: np.ndarray) -> np.ndarray | float:
    b = FIELD_B[fieldname]
    if b == 0.0 or fieldname not in cols.lengths:
        return 1.0
    return (1.0 - b) + b * cols.lengths[fieldname][ids] / cols.average_lengths[fieldname]


@dataclass(frozen=True)
class Phrase:
    """Words that must stand next to each other in text or title (or a place's full name)."""

    words: tuple[str, ...]
    fields: tuple[str, ...] = (TEXT, TITLE)
    place_name: str | None = None
    qtf: float = 1.0

    def evaluate(self, ctx: Context) -> Match:
        word_matches = [Word(tuple((f, w) for f in self.fields), self.qtf).evaluate(ctx) for w in self.words]
        candidates = _intersect(word_matches)
        if len(candidates.ids):
            # Positions are read for the candidates only (documents holding every word).
            keep = np.zeros(len(candidates.ids), dtype=bool)
            for fieldname in self.fields:
                keep |= _phrase_counts(ctx, fieldname, self.words, candidates.ids) > 0
            phrase = Match(candidates.ids[keep], candidates.scores[keep] * (1.0 + PHRASE_BONUS))
        else:
            phrase = NO_MATCH
        if self.place_name:
            place = Word(((PLACES, self.place_name),), self.qtf).evaluate(ctx)
            return _union([phrase, place])
        return phrase

    def highlight_terms(self) -> set[str]:
        return set(self.words)


@dataclass(frozen=True)
class Dependence:
    """Two neighbouring query words as the two proximity features of sequential dependence:
    found side by side in order, and found within UNORDERED_WINDOW positions in either order."""

    words: tuple[str, str]
    fields: tuple[str, ...] = (TEXT, TITLE)

    def evaluate(self, ctx: Context, within: np.ndarray | None = None) -> Match:
        """The bonus of each document that has both words, among `within` when given."""
        if within is None:
            ids = union_ids([_both(ctx, f, self.words) for f in self.fields])
        else:
            # Look the few documents of the window up in the postings (never intersect the
            # postings of two common words whole).
            has = np.zeros(len(within), dtype=bool)
            for fieldname in self.fields:
                both = np.ones(len(within), dtype=bool)
                for word in self.words:
                    present = np.zeros(len(within), dtype=bool)
                    present[found_in(within, ctx.postings(fieldname, word).ids)[0]] = True
                    both &= present
                has |= both
            ids = within[has]
        if not len(ids):
            return NO_MATCH
        cols = ctx.columns
        ordered = np.zeros(len(ids), dtype=np.float32)
        unordered = np.zeros(len(ids), dtype=np.float32)
        for fieldname in self.fields:
            first, second = (_position_keys(ctx, fieldname, w, ids) for w in self.words)
            norm = FIELD_WEIGHTS[fieldname] / _length_norm(cols, fieldname, ids)
            ordered += norm * _followed_counts(first, second, 1, len(ids))
            unordered += norm * _window_counts(first, second, len(ids))
        idf = sum(_idf(cols, union_size([ctx.postings(f, w).ids for f in self.fields]))
                  for w in self.words)
        scores = idf * (ORDERED_WEIGHT * _saturated(ordered) + UNORDERED_WEIGHT * _saturated(unordered))
        keep = scores > 0
        return Match(ids[keep], scores[keep].astype(np.float32))

    def highlight_terms(self) -> set[str]:
        return set()


def _both(ctx: Context, fieldname: str, words: tuple[str, ...]) -> np.ndarray:
    ids = ctx.postings(fieldname, words[0]).ids
    for word in words[1:]:
        ids = np.intersect1d(ids, ctx.postings(fieldname, word).ids, assume_unique=True)
    return ids


def _position_keys(ctx: Context, fieldname: str, word: str, ids: np.ndarray) -> np.ndarray:
    """Sorted int64 keys `row << 32 | position` of `word` in the documents `ids` (sorted global
    numbers; those without the word have no keys): only the posting blocks holding them are
    decoded."""
    postings = ctx.postings(fieldname, word)
    where, _ = found_in(ids, postings.ids)
    if not len(where):
        return np.zeros(0, dtype=np.int64)
    rows, positions = read_positions(ctx.reader, fieldname, word, postings, ids[where], ctx.out_of_time)
    return (where[rows].astype(np.int64) << _ROW_SHIFT) | positions


def _phrase_counts(ctx: Context, fieldname: str, words: tuple[str, ...], ids: np.ndarray) -> np.ndarray:
    """How many times the words stand next to each other, in order, in each document of `ids`.
    Positions are read only where the field holds every word (a document can hold them all
    across its title and text, yet the phrase in neither)."""
    counts = np.zeros(len(ids), dtype=np.int64)
    held = np.ones(len(ids), dtype=bool)
    for word in words:
        present = np.zeros(len(ids), dtype=bool)
        present[found_in(ids, ctx.postings(fieldname, word).ids)[0]] = True
        held &= present
    rows = np.flatnonzero(held)
    if not len(rows):
        return counts
    starts = _position_keys(ctx, fieldname, words[0], ids[rows])
    for k, word in enumerate(words[1:], start=1):
        if not len(starts):
            break
        starts = starts[members(starts + k, _position_keys(ctx, fieldname, word, ids[rows]))]
    counts[rows] = np.bincount(starts >> _ROW_SHIFT, minlength=len(rows))
    return counts


def _followed_counts(first: np.ndarray, second: np.ndarray, gap: int, n: int) -> np.ndarray:
    """Per row: occurrences of the first word with the second exactly `gap` positions later."""
    found = first[members(first + gap, second)]
    return np.bincount(found >> _ROW_SHIFT, minlength=n)


def _window_counts(first: np.ndarray, second: np.ndarray, n: int) -> np.ndarray:
    """Per row: occurrences of the first word with the second less than UNORDERED_WINDOW
    positions away on either side (keys of different rows are 2**32 apart, never that close)."""
    if not len(first) or not len(second):
        return np.zeros(n, dtype=np.int64)
    reach = UNORDERED_WINDOW - 1
    nearest = np.searchsorted(second, first - reach)
    close = nearest < len(second)
    close[close] = second[nearest[close]] <= first[close] + reach
    return np.bincount(first[close] >> _ROW_SHIFT, minlength=n)


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
        # A mask over all documents: hundreds of terms (`dails~2`) share most documents, and
        # sorting their concatenated postings cost more than the rest of the query.
        found = np.zeros(ctx.columns.doc_count, dtype=bool)
        for part in parts:
            found[part] = True
        ids = np.flatnonzero(found).astype(np.int32)
        return Match(ids, np.full(len(ids), EXPANSION_SCORE * FIELD_WEIGHTS.get(self.fieldname, 1.0),
                                  dtype=np.float32))

    def highlight_terms(self) -> set[str]:
        return set(self.terms) if self.fieldname in (TEXT, TITLE) else set()


@dataclass(frozen=True)
class Places:
    """Paragraphs that carry any of these place ids (a `place:` term in an advanced query)."""

    ids: tuple[str, ...]

    def evaluate(self, ctx: Context) -> Match:
        found = np.flatnonzero(ctx.columns.place_mask(list(self.ids))).astype(np.int32)
        return Match(found, np.full(len(found), FIELD_WEIGHTS[PLACES], dtype=np.float32))

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
            keep = np.ones(len(matched.ids), dtype=bool)
            keep[found_in(matched.ids, child.evaluate(ctx).ids)[0]] = False
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
    """`base` decides what matches; each bonus (a Dependence: proximity of two query words)
    adds its score where it also matches, computed for the base's matches only."""

    base: object
    bonuses: tuple

    def evaluate(self, ctx: Context) -> Match:
        matched = self.base.evaluate(ctx)
        if not ctx.scores_matter:
            return matched
        scores = matched.scores.copy()
        within = _rescore_window(ctx, matched)
        for bonus in self.bonuses:
            if not len(within) or ctx.out_of_time():
                break
            extra = bonus.evaluate(ctx, within=within)
            right, left = found_in(extra.ids, matched.ids)
            scores[left] += extra.scores[right]
        return Match(matched.ids, scores)

    def highlight_terms(self) -> set[str]:
        return self.base.highlight_terms()


def _rescore_window(ctx: Context, matched: Match) -> np.ndarray:
    """The documents that earn proximity bonuses: the RESCORE_WINDOW best by base score among
    those the filters allow (as Elasticsearch's rescore and Anserini's reranking do). A bonus
    reorders the head of the ranking; reading positions for every match of two common words
    was the slowest part of a query."""
    ids, scores = matched.ids, matched.scores
    if ctx.allowed is not None:
        keep = ctx.allowed[ids]
        ids, scores = ids[keep], scores[keep]
    if len(ids) > RESCORE_WINDOW:
        ids = np.sort(ids[np.argpartition(-scores, RESCORE_WINDOW - 1)[:RESCORE_WINDOW]])
    return ids


@dataclass(frozen=True)
class Feedback:
    """RM3: `base` ranks once; the relevance model of its top documents (their terms' weights,
    each document weighted by its score) adds expansion words, and the final score is
    ORIGINAL_QUERY_WEIGHT × base (per unit of query weight) + the rest × the expansion words.
    `query_weight` is the L1 norm of the query's term weights (the sum of their qtf)."""

    base: object
    query_weight: float

    def evaluate(self, ctx: Context) -> Match:
        matched = self.base.evaluate(ctx)
        if not len(matched.ids) or ctx.out_of_time():
            return matched
        model = _relevance_model(ctx, matched)
        original = Match(matched.ids, matched.scores * (ORIGINAL_QUERY_WEIGHT / self.query_weight))
        expansion = [Word(((TEXT, t), (TITLE, t)), (1.0 - ORIGINAL_QUERY_WEIGHT) * w).evaluate(ctx)
                     for t, w in model.items()]
        return _union([original, *expansion])

    def highlight_terms(self) -> set[str]:
        return self.base.highlight_terms()


def _relevance_model(ctx: Context, matched: Match) -> dict[str, float]:
    """The FEEDBACK_TERMS heaviest terms of sum over the top documents of
    score(d) × tf(t, d) / |d|, their weights scaled to sum to 1."""
    usable = ctx.columns.alive[matched.ids] if ctx.allowed is None else ctx.allowed[matched.ids]
    ids, scores = matched.ids[usable], matched.scores[usable]
    documents = []
    for row in _top_rows_of_distinct_articles(scores, ctx.columns.article[ids], FEEDBACK_DOCS):
        if ctx.out_of_time():
            break
        documents.append((float(scores[row]), _analysed_counts(ctx, int(ids[row]))))
    kept = _feedback_terms(ctx, set().union(*(counts for _, counts in documents)))
    weights: Counter = Counter()
    for score, counts in documents:
        # The whole document's term distribution (Lavrenko & Croft), not Anserini's cut to
        # each document's 10 commonest terms: in a paragraph most counts are 1, so that cut
        # would keep whichever words come first.
        counts = {t: n for t, n in counts.items() if t in kept}
        norm = sum(counts.values())
        for term, tf in counts.items():
            weights[term] += score * tf / norm
    chosen = weights.most_common(FEEDBACK_TERMS)
    total = sum(w for _, w in chosen)
    return {t: w / total for t, w in chosen if w > 0} if total > 0 else {}


def _top_rows_of_distinct_articles(scores: np.ndarray, articles: np.ndarray, k: int) -> list[int]:
    """Rows of the k best-scoring documents, best first, at most one per article.

    The feedback documents are distinct articles: the paragraphs of one article share its
    title and its subject, and ten of them would make the expansion describe that one article
    (results would drift to its paragraphs)."""
    rows: list[int] = []
    seen: set[int] = set()
    # An article has a few dozen paragraphs at most: the best 50k rows hold k articles.
    head = np.arange(len(scores))
    if len(scores) > 50 * k:
        head = np.argpartition(-scores, 50 * k - 1)[:50 * k]
    for row in head[np.argsort(-scores[head], kind="stable")]:
        if int(articles[row]) not in seen:
            seen.add(int(articles[row]))
            rows.append(int(row))
            if len(rows) == k:
                break
    return rows


def _analysed_counts(ctx: Context, docnum: int) -> Counter:
    """Term counts of a document's title and text, analysed as the index analysed them."""
    [record] = ctx.paragraphs.records(ctx.reader, [docnum])
    analyzer = ctx.searcher.schema[TEXT].analyzer
    return Counter(t.text for field in FEEDBACK_FIELDS for t in analyzer(record[field] or ""))


def _feedback_terms(ctx: Context, vocabulary: set[str]) -> set[str]:
    """The terms RM3 may use: not odd tokens, not words common in the collection."""
    reader = ctx.reader
    most = FEEDBACK_MAX_DF_RATIO * reader.doc_count()
    return {t for t in vocabulary
            if _FEEDBACK_TERM.fullmatch(t) and reader.doc_frequency(TEXT, t) <= most}


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
        left, right = found_in(result.ids, other.ids)
        result = Match(result.ids[left], result.scores[left] + other.scores[right])
    return result


def _union(matches: list[Match]) -> Match:
    matches = [m for m in matches if len(m.ids)]
    if not matches:
        return NO_MATCH
    if len(matches) == 1:
        return matches[0]
    ids = np.concatenate([m.ids for m in matches])
    weights = np.concatenate([m.scores for m in matches])
    span = max(int(m.ids[-1]) for m in matches) + 1
    if span <= DENSE_UNION_RATIO * len(ids):
        # Many matches: counting into one slot per document is linear, where sorting them is not.
        present = np.bincount(ids, minlength=span) > 0
        scores = np.bincount(ids, weights=weights, minlength=span)[present]
        return Match(np.flatnonzero(present).astype(np.int32), scores.astype(np.float32))
    ids, inverse = np.unique(ids, return_inverse=True)
    scores = np.bincount(inverse, weights=weights, minlength=len(ids))
    return Match(ids.astype(np.int32), scores.astype(np.float32))
