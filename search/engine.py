"""Query building and evaluation: simple and advanced syntax → a small query tree → scored
document-number arrays (BM25F in numpy), under a time limit.

Owns every use of the Whoosh parser, matchers and collectors on the read side; returns numpy
arrays and plain values only. Never imports search.service or search.web.
"""
from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from whoosh import collectors, query
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup, AndGroup
from whoosh.qparser.plugins import FieldAliasPlugin
from whoosh.support.levenshtein import damerau_levenshtein

from search.columns import EMPTY_IDS, EMPTY_POSTINGS, Columns, PostingCache, Postings
from search.params import QueryError

log = logging.getLogger(__name__)

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
# score (a sequential-dependence-style proximity feature); at most MAX_PAIRS pairs per query.
PAIR_BONUS = 0.3
MAX_PAIRS = 12
MAX_EXPANSION = 500
FUZZY_MAX_DISTANCE = 2
ADVANCED_FIELDS = {"title": "title", "text": "text", "place": "places"}

_WORD_TOKENIZER = RegexTokenizer() | LowercaseFilter()


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


# ---------------------------------------------------------------- the query tree


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


# ---------------------------------------------------------------- simple mode


@dataclass(frozen=True)
class SimpleQuery:
    """The units of a simple query: words and phrases, each with its query-term frequency."""

    units: tuple            # Word | Phrase
    words: tuple[str, ...]  # the unstemmed, lower-cased words, for spelling suggestions
    pairs: tuple = ()       # Phrase of each two neighbouring query words: a proximity bonus

    def tree(self, match_all: bool):
        if not self.units:
            return Nothing()
        base = All(self.units) if match_all else Any(self.units)
        return WithBonus(base, self.pairs) if self.pairs else base


_QUOTED = re.compile(r'"([^"]*)"')


def simple_query(q: str, analyzer) -> SimpleQuery:
    """Operators are plain words, quoted text is a phrase, a hyphenated or dotted name whose
    parts the analyzer splits (Nagorno-Karabakh) is a phrase too. Repeated words count more."""
    chunks: list[tuple[str, bool]] = []
    last = 0
    for m in _QUOTED.finditer(q):
        chunks += [(c, False) for c in q[last:m.start()].split()]
        chunks.append((m.group(1), True))
        last = m.end()
    chunks += [(c, False) for c in q[last:].replace('"', " ").split()]
    units: Counter = Counter()
    words = []
    for text, quoted in chunks:
        stems = tuple(t.text for t in analyzer(text))
        plain = [t.text for t in _WORD_TOKENIZER(text)]
        words += plain
        if len(stems) == 1:
            units[("word", stems[0], plain[0] if len(plain) == 1 else " ".join(plain))] += 1
        elif stems:
            units[("phrase", stems, " ".join(plain))] += 1
    stems = [t.text for t in analyzer(" ".join(t for t, quoted in chunks if not quoted))]
    pairs = tuple(dict.fromkeys(Phrase((a, b)) for a, b in zip(stems, stems[1:]) if a != b))
    return SimpleQuery(tuple(_unit(key, n) for key, n in units.items()), tuple(words),
                       pairs[:MAX_PAIRS])


def _unit(key: tuple, qtf: int):
    kind, stems, plain = key
    if kind == "word":
        return Word((("text", stems), ("title", stems), ("places", plain)), float(qtf))
    return Phrase(stems, place_name=plain, qtf=float(qtf))


# ---------------------------------------------------------------- advanced mode

_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*):")


def syntax_problem(q: str) -> str | None:
    """The first syntax error of an advanced query, as a message naming its position (1-based)."""
    tokens, problem = _advanced_tokens(q)
    if problem:
        return problem
    previous = None
    for i, (pos, tok) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if tok in ("AND", "OR", "ANDNOT", "ANDMAYBE"):
            if previous in (None, "(") or previous in _OPERATORS or nxt in (None, ")") or nxt in _OPERATORS - {"NOT"}:
                return f"{tok} at position {pos} needs a term on both sides"
        elif tok == "NOT":
            if nxt in (None, ")") or nxt in _OPERATORS:
                return f"NOT at position {pos} needs a term after it"
        elif tok not in ("(", ")"):
            word_problem = _word_problem(tok, pos)
            if word_problem:
                return word_problem
        previous = tok
    return None


def _advanced_tokens(q: str) -> tuple[list[tuple[int, str]], str | None]:
    """(1-based position, token) pairs; quoted text stays inside its token."""
    tokens: list[tuple[int, str]] = []
    depth: list[int] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            if c == "(":
                depth.append(i + 1)
            elif not depth:
                return tokens, f"unmatched ')' at position {i + 1}: remove it or add '(' before it"
            else:
                depth.pop()
            tokens.append((i + 1, c))
            i += 1
        else:
            start = i
            while i < n and not q[i].isspace() and q[i] not in "()":
                if q[i] == '"':
                    close = q.find('"', i + 1)
                    if close < 0:
                        return tokens, f"unclosed quote at position {i + 1}: add a closing \""
                    i = close
                i += 1
            tokens.append((start + 1, q[start:i]))
    if depth:
        return tokens, f"unclosed '(' at position {depth[-1]}: add ')' after it"
    return tokens, None


def _word_problem(tok: str, pos: int) -> str | None:
    m = _FIELD_PREFIX.match(tok)
    value = tok
    if m:
        if m.group(1).lower() not in ADVANCED_FIELDS:
            return (f"unknown field {m.group(1)!r} at position {pos}; "
                    f"use {', '.join(f + ':' for f in ADVANCED_FIELDS)}")
        value = tok[m.end():]
        if not value:
            return f"{m.group(1)}: at position {pos} needs a value right after the colon"
    bare = value.strip('"')
    if value.startswith(("*", "?")) and not value.startswith('"'):
        return f"a wildcard at position {pos} must follow at least two letters, not lead"
    if "~" in bare and not value.startswith('"'):
        word, _, distance = bare.partition("~")
        if not word:
            return f"'~' at position {pos} must follow a word (word~ finds close spellings)"
        if distance and not (distance.isdigit() and int(distance) <= FUZZY_MAX_DISTANCE):
            return f"the fuzzy distance at position {pos} must be 1 or {FUZZY_MAX_DISTANCE}"
    if value.endswith(("*", "?")) and len(value.rstrip("*?")) < 2 and not value.startswith('"'):
        return f"{value!r} at position {pos} matches too many words; type at least two letters before the wildcard"
    return None


def advanced_parser(schema, match_all: bool) -> MultifieldParser:
    parser = MultifieldParser(["text", "title"], schema, group=AndGroup if match_all else OrGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin({"places": ["place", "Place", "PLACE"],
                                        "title": ["Title", "TITLE"], "text": ["Text", "TEXT"]}))
    return parser


def advanced_tree(q: str, parser, reader, place_lookup):
    """Parse an advanced query into our tree; QueryError on a syntax problem or a runaway term."""
    problem = syntax_problem(q)
    if problem:
        raise QueryError("q", problem)
    parsed = parser.parse(q)
    return _convert(parsed, reader, place_lookup)


def _convert(q: query.Query, reader, place_lookup):
    if getattr(q, "error", None):
        raise QueryError("q", f"could not read the query near {str(q)[:40]!r}; check its syntax")
    if isinstance(q, query.NullQuery.__class__) or q is query.NullQuery:
        return Nothing()
    if isinstance(q, query.Every):
        return Everything()
    if isinstance(q, query.Term):
        return _converted_term(q.fieldname, q.text, reader, place_lookup)
    if isinstance(q, query.Phrase):
        return Phrase(tuple(q.words), fields=(q.fieldname,))
    if isinstance(q, (query.Prefix, query.Wildcard, query.FuzzyTerm)):
        return _expansion(q, reader)
    if isinstance(q, query.Or):
        words = _same_word(q)
        if words:
            return words
        return Any(tuple(_convert(c, reader, place_lookup) for c in q.subqueries))
    if isinstance(q, query.And):
        required, excluded = [], []
        for c in q.subqueries:
            if isinstance(c, query.Not):
                excluded.append(_convert(c.query, reader, place_lookup))
            else:
                required.append(_convert(c, reader, place_lookup))
        return All(tuple(required) or (Everything(),), tuple(excluded))
    if isinstance(q, query.Not):
        return All((Everything(),), (_convert(q.query, reader, place_lookup),))
    if isinstance(q, query.AndNot):
        return All((_convert(q.a, reader, place_lookup),), (_convert(q.b, reader, place_lookup),))
    if isinstance(q, query.AndMaybe):
        return _convert(q.a, reader, place_lookup)
    return Opaque(q)


def _converted_term(fieldname: str, text, reader, place_lookup):
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    if fieldname == "places":
        ids = place_lookup(text)
        return Places(tuple(ids)) if ids else Word((("places", text.lower()),))
    if fieldname not in ("text", "title"):
        return Nothing()
    return Word(((fieldname, text),))


def _same_word(q: query.Or):
    """`word` in the default fields parses as Or(text:word, title:word): one BM25F word."""
    subs = q.subqueries
    if len(subs) > 1 and all(type(s) is query.Term for s in subs):
        texts = {s.text for s in subs}
        if len(texts) == 1 and {s.fieldname for s in subs} <= {"text", "title"}:
            text = next(iter(texts))
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            return Word(tuple((s.fieldname, text) for s in subs))
    return None


def _expansion(q, reader) -> Expansion:
    fieldname = q.fieldname if q.fieldname in ("text", "title", "places") else "text"
    if isinstance(q, query.FuzzyTerm) and q.maxdist > FUZZY_MAX_DISTANCE:
        raise QueryError("q", f"the fuzzy distance is at most {FUZZY_MAX_DISTANCE}")
    terms = []
    for btext in _expanded(q, reader):
        terms.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
        if len(terms) > MAX_EXPANSION:
            raise QueryError("q", f"{q.text!r} matches more than {MAX_EXPANSION} different "
                                  "words; type more letters")
    return Expansion(fieldname, tuple(terms))


def _expanded(q, reader):
    """The indexed terms a pattern or fuzzy query stands for.

    Whoosh looks fuzzy terms up in the unstemmed spelling field (`spell_text`) while the
    parser hands it a stem: look one edit further there, stem what is found, and keep the
    stems within the asked distance of the query's stem.
    """
    if not isinstance(q, query.FuzzyTerm) or q.fieldname not in ("text", "title"):
        yield from q._btexts(reader)
        return
    analyzer = reader.schema[q.fieldname].analyzer
    seen = set()
    for word in reader.terms_within(q.fieldname, q.text, q.maxdist + 1, prefix=q.prefixlength):
        word = word.decode("utf-8") if isinstance(word, bytes) else word
        for token in analyzer(word):
            stem = token.text
            if stem not in seen and damerau_levenshtein(stem, q.text) <= q.maxdist \
                    and (q.fieldname, stem) in reader:
                seen.add(stem)
                yield stem


# ---------------------------------------------------------------- ordering


def ordered(match: Match, columns: Columns, sort: str, needed: int | None) -> np.ndarray:
    """Positions into `match` in result order; only the first `needed` are exact when given."""
    n = len(match.ids)
    day = columns.day[match.ids]
    if sort == "relevance":
        keys = (match.ids, -day, -match.scores)
    elif sort == "newest":
        keys = (match.ids, -match.scores, -day)
    else:
        keys = (match.ids, -match.scores, np.where(day == 0, np.iinfo(np.int32).max, day))
    primary = keys[-1]
    if needed is not None and n > 4 * needed > 0:
        # Keep every row tied with the needed-th primary key, so the cut is exact.
        threshold = np.partition(primary, needed - 1)[needed - 1]
        rows = np.flatnonzero(primary <= threshold)
        return rows[np.lexsort(tuple(k[rows] for k in keys))]
    return np.lexsort(keys)


@dataclass
class Outcome:
    """What one evaluated request found (document numbers, not documents)."""

    match: Match                # every match after filters
    order: np.ndarray           # result rows in order (positions into match), maybe only the head
    timed_out: bool
    relaxed: bool
    highlight: frozenset[str]   # indexed terms to mark
    group_counts: dict[int, int] = field(default_factory=dict)  # docnum -> matching paragraphs
    total: int = 0


# ---------------------------------------------------------------- one generation


class Generation:
    """One immutable index generation: the Whoosh index, its columns and posting cache.

    Shared by all threads; searchers are not (Whoosh: one searcher per thread), so each
    thread opens its own with `open_searcher()`. A generation never changes once served, so
    its searchers never need `refresh()`: a new generation is a new `Generation`.
    """

    def __init__(self, path, places: dict[str, dict], manifest: dict):
        from whoosh import index as whoosh_index

        self.path = path
        self.places = places
        self.manifest = manifest
        self.index = whoosh_index.open_dir(str(path))
        self.schema = self.index.schema
        self.analyzer = self.schema["text"].analyzer
        with self.index.reader() as reader:
            self.columns = Columns.load(reader)
            self.mentioned = _mentioned_terms(reader)
        self.cache = PostingCache()
        log.info("opened index generation %s: %d documents", path, self.columns.doc_count)

    def open_searcher(self):
        return self.index.searcher()

    def parser(self, match_all: bool):
        return advanced_parser(self.schema, match_all)

    def mentioned_mask(self, ctx: Context, first, last) -> np.ndarray | None:
        """Documents mentioning a day or month that overlaps [first, last]."""
        if first is None and last is None:
            return None
        lo = first.toordinal() if first else 0
        hi = last.toordinal() if last else np.iinfo(np.int32).max
        mask = np.zeros(self.columns.doc_count, dtype=bool)
        for term, start, end in self.mentioned:
            if start <= hi and end >= lo:
                mask[ctx.postings("mentioned", term).ids] = True
        return mask


def _mentioned_terms(reader) -> list[tuple[str, int, int]]:
    import calendar
    import datetime as dt

    found = []
    if "mentioned" not in reader.schema:
        return found
    for raw in reader.lexicon("mentioned"):
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        try:
            parts = [int(p) for p in term.split("-")]
            if len(parts) == 3:
                day = dt.date(*parts).toordinal()
                found.append((term, day, day))
            elif len(parts) == 2:
                last = calendar.monthrange(parts[0], parts[1])[1]
                found.append((term, dt.date(parts[0], parts[1], 1).toordinal(),
                              dt.date(parts[0], parts[1], last).toordinal()))
        except ValueError:
            log.warning("ignoring mentioned-date term %r: not YYYY-MM or YYYY-MM-DD", term)
    return found


# ---------------------------------------------------------------- one request


@dataclass(frozen=True)
class Request:
    """What the engine needs from the validated parameters."""

    q: str
    mode: str
    match_all: bool
    sort: str
    group_by_article: bool
    needed: int               # rows in order up to the end of the requested page
    date_from: object = None
    date_to: object = None
    mentioned_from: object = None
    mentioned_to: object = None
    place_ids: tuple[str, ...] = ()
    relax: bool = True


def run(gen: Generation, searcher, request: Request, time_limit: float, place_lookup) -> Outcome:
    """Evaluate one request: matches after filters, their order, grouping, and what to mark."""
    ctx = Context(searcher, gen.columns, gen.cache, time.perf_counter() + time_limit, place_lookup)
    allowed = _filter_mask(gen, ctx, request)
    tree, simple = _tree(gen, searcher, request, place_lookup)
    match = _filtered(tree.evaluate(ctx), allowed)
    relaxed = False
    if (request.relax and simple is not None and request.match_all and not len(match.ids)
            and len(simple.units) > 1 and not ctx.timed_out):
        retry = _filtered(simple.tree(match_all=False).evaluate(ctx), allowed)
        if len(retry.ids):
            match, relaxed = retry, True
    sort = "newest" if not request.q and request.sort == "relevance" else request.sort
    outcome = Outcome(match, EMPTY_IDS, ctx.timed_out, relaxed, frozenset(tree.highlight_terms()))
    if request.group_by_article:
        _group(outcome, gen.columns.articles(searcher.reader()), sort, gen.columns, request.needed)
    else:
        outcome.order = ordered(match, gen.columns, sort, request.needed)
        outcome.total = len(match.ids)
    outcome.timed_out = ctx.timed_out
    return outcome


def count(gen: Generation, searcher, request: Request, time_limit: float, place_lookup) -> int:
    """How many paragraphs a request matches (for deciding whether a suggestion is worth it)."""
    ctx = Context(searcher, gen.columns, gen.cache, time.perf_counter() + time_limit, place_lookup)
    tree, _ = _tree(gen, searcher, request, place_lookup)
    return len(_filtered(tree.evaluate(ctx), _filter_mask(gen, ctx, request)).ids)


def _tree(gen: Generation, searcher, request: Request, place_lookup):
    if not request.q:
        return Everything(), None
    if request.mode == "advanced":
        return advanced_tree(request.q, gen.parser(request.match_all), searcher.reader(), place_lookup), None
    simple = simple_query(request.q, gen.analyzer)
    return simple.tree(request.match_all), simple


def _filter_mask(gen: Generation, ctx: Context, request: Request) -> np.ndarray:
    mask = gen.columns.alive.copy()
    for part in (gen.columns.date_mask(request.date_from, request.date_to),
                 gen.mentioned_mask(ctx, request.mentioned_from, request.mentioned_to),
                 gen.columns.place_mask(list(request.place_ids)) if request.place_ids else None):
        if part is not None:
            mask &= part
    return mask


def _filtered(match: Match, allowed: np.ndarray) -> Match:
    keep = allowed[match.ids]
    if keep.all():
        return match
    return Match(match.ids[keep], match.scores[keep])


def _group(outcome: Outcome, articles: np.ndarray, sort: str, columns: Columns, needed: int) -> None:
    """One row per article: its best paragraph in result order, and how many matched."""
    match = outcome.match
    order = ordered(match, columns, sort, None)
    owners = articles[match.ids[order]]
    _, first = np.unique(owners, return_index=True)
    first.sort()
    counts = np.bincount(owners, minlength=int(owners.max()) + 1) if len(owners) else np.zeros(0, int)
    outcome.order = order[first]
    outcome.total = len(first)
    outcome.group_counts = {int(match.ids[row]): int(counts[articles[match.ids[row]]]) for row in outcome.order[:needed]}
