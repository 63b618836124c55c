"""Query text to query tree: simple mode (never fails: words, quoted phrases, hyphenated names)
and advanced mode (Whoosh's parser after our own syntax check, so errors name a position).

Raises QueryError for what the user can fix; never evaluates a query (search.engine.tree does).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from whoosh import query
from whoosh.qparser import AndGroup, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.qparser.plugins import FieldAliasPlugin

from index.store.schema import PLACES, TEXT, TITLE, place_words_analyzer, term_text
from search.engine.tree import (All, Any, Dependence, Everything, Expansion, Feedback, Nothing,
                               Phrase, Places, WithBonus, Word)
from search.engine.vocabulary import Vocabulary
from search.errors import QueryError

# At most this many neighbouring-word pairs of a simple query earn proximity features.
MAX_PAIRS = 12
MAX_EXPANSION = 500
FUZZY_MAX_DISTANCE = 2
# A fuzzy term stands for at most this many words, the closest first (Lucene's FuzzyQuery and
# Elasticsearch's `max_expansions` default): `fins~2` has 500 neighbours, and reading that
# many posting lists made fuzzy terms the slowest queries.
FUZZY_MAX_TERMS = 50
ADVANCED_FIELDS = {"title": TITLE, "text": TEXT, "place": PLACES}
SUPPORTED = 'the advanced syntax is AND, OR, NOT, (groups), "phrase", field:value, prefix*, word~'

# The query's words as the `places` field holds place names (see index.store.schema).
_WORD_TOKENIZER = place_words_analyzer()


@dataclass(frozen=True)
class SimpleQuery:
    """The units of a simple query: words and phrases, each with its query-term frequency."""

    units: tuple            # Word | Phrase
    words: tuple[str, ...]  # the unstemmed, lower-cased words, for spelling suggestions
    pairs: tuple = ()       # Dependence of each two neighbouring query words: proximity
    loose_units: tuple = ()  # any_word_tree's units: bound names split into their words

    def tree(self, match_all: bool, ranked: bool = True, feedback: bool = False):
        """The query tree; `ranked=False` keeps only what decides membership (no proximity
        bonuses, no feedback); `feedback=True` adds RM3 expansion words to match=any (asked
        for with expand=true: without it every hit holds at least one of the query's words)."""
        if not self.units:
            return Nothing()
        base = All(self.units) if match_all else Any(self.units)
        if not ranked:
            return base
        ranked_tree = WithBonus(base, self.pairs) if self.pairs else base
        if match_all or not feedback:
            return ranked_tree
        # Pseudo-relevance feedback only where recall is asked for (match=any, expand=true).
        return Feedback(ranked_tree, sum(u.qtf for u in self.units))

    def any_word_tree(self):
        """The retry of match=all when it finds nothing: any of the query's words, a name bound
        by punctuation (Nagorno-Karabakh) split into its words, a quoted phrase kept whole (the
        user asked for those words together). None when that is the all-words tree again."""
        if len(self.loose_units) < 2 and self.loose_units == self.units:
            return None
        base = Any(self.loose_units)
        return WithBonus(base, self.pairs) if self.pairs else base


_QUOTED = re.compile(r'"([^"]*)"')
# A simple query's word outside quotes: letters or digits joined by hyphens, apostrophes, dots or
# ampersands (Nagorno-Karabakh, O'Brien, U.S.-led, AT&T), or a comma between digits (1,000);
# any other character (space, comma, slash, bracket, semicolon, ...) ends it. Dots must bind:
# the index keeps "U.S." and "3.5" as one word.
_BOUND_WORD = re.compile(r"\w+(?:(?:[-\u2010\u2011'\u2019.&]+|(?<=\d),(?=\d))\w+)*")


def simple_query(q: str, analyzer) -> SimpleQuery:
    """Operators are plain words, quoted text is a phrase, a name whose parts punctuation binds
    (_BOUND_WORD: Nagorno-Karabakh) is a phrase too; other punctuation splits words like a
    space (crude,opec). Repeated words count more."""
    chunks: list[tuple[str, bool]] = []
    last = 0
    for m in _QUOTED.finditer(q):
        chunks += [(c, False) for c in _BOUND_WORD.findall(q[last:m.start()])]
        chunks.append((m.group(1), True))
        last = m.end()
    chunks += [(c, False) for c in _BOUND_WORD.findall(q[last:])]
    units: Counter = Counter()
    loose: Counter = Counter()
    words = []
    for text, quoted in chunks:
        stems = tuple(t.text for t in analyzer(text))
        plain = [t.text for t in _WORD_TOKENIZER(text)]
        words += plain
        if len(stems) == 1:
            key = ("word", stems[0], plain[0] if len(plain) == 1 else " ".join(plain))
        elif stems:
            key = ("phrase", stems, " ".join(plain))
        else:
            continue
        units[key] += 1
        if quoted or key[0] == "word":
            loose[key] += 1
        else:
            loose.update(("word", t.text, p) for p in plain for t in analyzer(p))
    stems = [t.text for t in analyzer(" ".join(t for t, quoted in chunks if not quoted))]
    pairs = tuple(dict.fromkeys(Dependence((a, b)) for a, b in zip(stems, stems[1:]) if a != b))
    return SimpleQuery(tuple(_unit(key, n) for key, n in units.items()), tuple(words),
                       pairs[:MAX_PAIRS], tuple(_unit(key, n) for key, n in loose.items()))


def _unit(key: tuple, qtf: int):
    kind, stems, plain = key
    if kind == "word":
        return Word(((TEXT, stems), (TITLE, stems), (PLACES, plain)), float(qtf))
    return Phrase(stems, place_name=plain, qtf=float(qtf))



_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*):")
_SYNTAX_WORDS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|\b[A-Za-z_]\w*:")
# Stop words named in a notice (a long query of them is cut short).
NOTICE_WORDS = 5


def stop_words_notice(q: str, mode: str, analyzer) -> dict | None:
    """A notice for a query whose every word is a stop word (`the`, `the who`): the index
    leaves such words out, so it can find nothing, and a bare 0 would not say why. None for any
    other query. Quoting does not help (a phrase of stop words has no indexed word either)."""
    text = _SYNTAX_WORDS.sub(" ", q) if mode == "advanced" else q
    words = list(dict.fromkeys(t.text for t in _WORD_TOKENIZER(text)))
    if not words or any(True for _ in analyzer(text)):
        return None
    quoted = [f"“{w}”" for w in words[:NOTICE_WORDS]]
    if len(words) == 1:
        shown = f"{quoted[0]} is"
    elif len(words) > NOTICE_WORDS:
        shown = ", ".join(quoted) + " … are"
    else:
        shown = ", ".join(quoted[:-1]) + f" and {quoted[-1]} are"
    return {"code": "stop_words",
            "message": f"{shown} too common to search for: the index leaves such words out.",
            "hint": "Add a less common word, such as a name, a place or a topic."}


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
    unsupported = _unsupported_construct(tok, pos)
    if unsupported:
        return unsupported
    bare = value.strip('"')
    if value.startswith(("*", "?")) and not value.startswith('"'):
        return f"a wildcard at position {pos} must follow at least two letters, not lead"
    if "~" in bare and not value.startswith('"'):
        word, _, distance = bare.partition("~")
        if not word:
            return f"'~' at position {pos} must follow a word (word~ finds close spellings)"
        # ASCII digits only: "²" passes isdigit() but int() rejects it.
        if distance and not (distance.isascii() and distance.isdigit()
                             and int(distance) <= FUZZY_MAX_DISTANCE):
            return f"the fuzzy distance at position {pos} must be 1 or {FUZZY_MAX_DISTANCE}"
    if value.endswith(("*", "?")) and len(value.rstrip("*?")) < 2 and not value.startswith('"'):
        return f"{value!r} at position {pos} matches too many words; type at least two letters before the wildcard"
    return None


def _unsupported_construct(tok: str, pos: int) -> str | None:
    """Ranges (`[a TO z]`, `{a TO}`) and boosts (`word^2`) outside quotes: Whoosh's parser
    reads them, but they are not part of our syntax (README.md, Query syntax)."""
    quoted = False
    for i, c in enumerate(tok):
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "[]{}":
            return f"a range ({c!r}) at position {pos + i} is not supported; {SUPPORTED}"
        elif not quoted and c == "^":
            return f"a boost ('^') at position {pos + i} is not supported; {SUPPORTED}"
    return None


def advanced_parser(schema, match_all: bool) -> MultifieldParser:
    parser = MultifieldParser([TEXT, TITLE], schema, group=AndGroup if match_all else OrGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin({PLACES: ["place", "Place", "PLACE"],
                                        TITLE: ["Title", "TITLE"], TEXT: ["Text", "TEXT"]}))
    return parser


@dataclass(frozen=True)
class _Sources:
    """What turning a parsed query into our tree reads: the index's terms (through the reader,
    and the generation's word arrays for fuzzy terms) and the place directory."""

    reader: object
    place_lookup: object      # callable: name -> list of place ids (may be empty)
    vocabulary: Vocabulary


def advanced_tree(q: str, parser, reader, place_lookup, vocabulary: Vocabulary):
    """Parse an advanced query into our tree; QueryError on a syntax problem or a runaway term."""
    problem = syntax_problem(q)
    if problem:
        raise QueryError("q", problem)
    parsed = parser.parse(q)
    return _convert(parsed, _Sources(reader, place_lookup, vocabulary))


def _convert(q: query.Query, src: _Sources):
    if getattr(q, "error", None):
        raise QueryError("q", f"could not read the query near {str(q)[:40]!r}; check its syntax")
    if isinstance(q, query.NullQuery.__class__) or q is query.NullQuery:
        return Nothing()
    if isinstance(q, query.Every):
        return Everything()
    if isinstance(q, query.Term):
        return _converted_term(q.fieldname, q.text, src.place_lookup)
    if isinstance(q, query.Phrase):
        return Phrase(tuple(q.words), fields=(q.fieldname,))
    if isinstance(q, (query.Prefix, query.Wildcard, query.FuzzyTerm)):
        return _expansion(q, src)
    if isinstance(q, query.Or):
        words = _same_word(q)
        if words:
            return words
        return Any(tuple(_convert(c, src) for c in q.subqueries))
    if isinstance(q, query.And):
        required, excluded = [], []
        for c in q.subqueries:
            if isinstance(c, query.Not):
                excluded.append(_convert(c.query, src))
            else:
                required.append(_convert(c, src))
        return All(tuple(required) or (Everything(),), tuple(excluded))
    if isinstance(q, query.Not):
        return All((Everything(),), (_convert(q.query, src),))
    if isinstance(q, query.AndNot):
        return All((_convert(q.a, src),), (_convert(q.b, src),))
    if isinstance(q, query.AndMaybe):
        return _convert(q.a, src)
    # Ranges, boosts and anything else the syntax check let through: not our syntax.
    raise QueryError("q", f"{type(q).__name__} queries are not supported; {SUPPORTED}")


def _converted_term(fieldname: str, text, place_lookup):
    text = term_text(text)
    if fieldname == PLACES:
        ids = place_lookup(text)
        return Places(tuple(ids)) if ids else Word(((PLACES, text.lower()),))
    if fieldname not in (TEXT, TITLE):
        return Nothing()
    return Word(((fieldname, text),))


def _same_word(q: query.Or):
    """`word` in the default fields parses as Or(text:word, title:word): one BM25F word."""
    subs = q.subqueries
    if len(subs) > 1 and all(type(s) is query.Term for s in subs):
        texts = {s.text for s in subs}
        if len(texts) == 1 and {s.fieldname for s in subs} <= {TEXT, TITLE}:
            text = next(iter(texts))
            text = term_text(text)
            return Word(tuple((s.fieldname, text) for s in subs))
    return None


def _expansion(q, src: _Sources) -> Expansion:
    fieldname = q.fieldname if q.fieldname in (TEXT, TITLE, PLACES) else TEXT
    if isinstance(q, query.FuzzyTerm) and q.maxdist > FUZZY_MAX_DISTANCE:
        raise QueryError("q", f"the fuzzy distance is at most {FUZZY_MAX_DISTANCE}")
    terms = []
    for btext in _expanded(q, src):
        terms.append(term_text(btext))
        if len(terms) > MAX_EXPANSION:
            raise QueryError("q", f"{q.text!r} matches more than {MAX_EXPANSION} different "
                                  "words; type more letters")
    return Expansion(fieldname, tuple(terms))


def _expanded(q, src: _Sources):
    """The indexed terms a pattern or fuzzy query stands for.

    A fuzzy term is the field's own terms within the asked distance of the analysed query
    word (for `text` both are stems: `petrolium~` finds "petroleum"). Whoosh's own lookup
    walks the term list in Python (or an automaton per segment), 0.1-0.8 s on Reuters; the
    generation's word arrays answer in milliseconds (search.engine.vocabulary).
    """
    if not isinstance(q, query.FuzzyTerm):
        yield from (text for _, text in q.expanded_terms(src.reader))
        return
    yield from src.vocabulary.within(src.reader, q.fieldname, q.text, q.maxdist, q.prefixlength,
                                     limit=FUZZY_MAX_TERMS)
