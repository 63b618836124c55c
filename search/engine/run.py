"""One request against one generation: filters, the evaluated query tree, ordering and
grouping; and the Generation object (the open index, its columns and posting cache).

Owns the searcher-level use of Whoosh on the read side; returns numpy arrays and plain values.
Never imports search.service or search.web.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.dates import period_days
from index.store.postings import EMPTY_IDS
from index.store.generations import PLACES, read_json
from index.store.postings import PostingStore
from index.store.schema import MENTIONED, PARA, TEXT, split_paragraph_id, term_text
from index.store.whoosh_private import open_mapped_index
from search.engine.doc_values import Columns
from search.engine.paragraphs import Paragraphs
from search.engine.posting_cache import PostingCache
from search.engine.recent import RecentMatches
from search.engine.similar import Story, more_like_this
from search.engine.suggest import SPELLING, SpellingWords, corrected_query
from search.engine.syntax import advanced_parser, advanced_tree, simple_query
from search.engine.tree import Context, Everything, Match
from search.engine.vocabulary import Vocabulary
from search.engine.word_stems import WordStems

log = logging.getLogger(__name__)

# Paragraphs first put in order when grouping by article (grown fourfold until enough articles).
GROUP_PREFIX = 256


def ordered(match: Match, columns: Columns, sort: str, needed: int | None) -> np.ndarray:
    """Positions into `match` in result order. With `needed`, only a prefix of that order (at
    least `needed` rows, exact): the rows whose primary key is within the needed-th's."""
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
    total: int = 0              # results: paragraphs, articles or copy groups (Columns.units)
    paragraphs: int = 0         # matching paragraphs, copies included


# ---------------------------------------------------------------- one generation


class Generation:
    """One immutable index generation: the Whoosh index, its columns, posting cache and searchers.

    Shared by all threads; searchers are not (Whoosh: one searcher per thread at a time), so a
    request borrows one with `searcher()` and gives it back. A generation never changes once
    served, so its searchers never need `refresh()`: a new generation is a new `Generation`.

    At most `max_searchers` are open (further requests wait for one). The index's files are read
    through shared memory maps (`MappedStorage`): a searcher costs its open files and caches,
    not a copy of the segments, so every searcher and worker process shares one copy of the
    index in the page cache.
    """

    def __init__(self, path, manifest: dict, max_searchers: int | None = None):
        self.path = path
        self.manifest = manifest
        self.index = open_mapped_index(path)
        self.schema = self.index.schema
        self.analyzer = self.schema[TEXT].analyzer
        self._lock = threading.Lock()
        self._closed = False
        self._lendable = threading.BoundedSemaphore(max_searchers) if max_searchers else None
        # Opening a searcher and its stored-field files costs about 50 ms: paid here, by the
        # thread that opens the generation, so that the first request finds one ready.
        first = self.index.searcher()
        try:
            self.columns = Columns.opened(path, first.reader())
            self.mentioned = _mentioned_terms(first.reader())
            _open_stored_fields(first.reader())
        except BaseException:
            first.close()
            raise
        self._idle = [first]
        # Every place id the generation holds, described (index/build.py writes the table).
        self.places = read_json(Path(path) / PLACES) if (Path(path) / PLACES).is_file() else {}
        self.paragraphs = Paragraphs(self.columns, self.places)
        self.cache = PostingCache.sized_for(self.columns.doc_count, PostingStore.opened(path))
        self.recent = RecentMatches()  # a search asked again with other order, group or page
        self.vocabulary = Vocabulary()  # each field's terms as arrays, for fuzzy terms
        # Every query that finds little asks for a did-you-mean, which needs the spelling words
        # (0.03 s for Reuters' 36,721 words).
        cols = self.columns
        self.spelling = SpellingWords.of(cols.words, cols.word_ids, cols.word_starts, cols.alive)
        self.vocabulary.add(SPELLING, sorted(self.spelling.frequency))
        # The page's highlighting and significant words need the stems of the text's words:
        # learned now, with each word number's stem number (0.08 s for Reuters' 36,721 words).
        self.word_stems = WordStems(self.analyzer, self.columns.words)
        self.word_stem_numbers = self.word_stems.numbers(self.columns.words)
        log.info("opened index generation %s: %d documents", path, self.columns.doc_count)

    @contextmanager
    def searcher(self):
        """A searcher for this request alone: an idle one, else a new one while fewer than
        `max_searchers` exist; kept for the next request afterwards."""
        if self._lendable is not None:
            self._lendable.acquire()
        try:
            with self._lock:
                searcher = self._idle.pop() if self._idle else None
            if searcher is None:
                searcher = self.index.searcher()
            try:
                yield searcher
            finally:
                with self._lock:
                    keep = not self._closed
                    if keep:
                        self._idle.append(searcher)
                if not keep:
                    searcher.close()
        finally:
            if self._lendable is not None:
                self._lendable.release()

    def close(self) -> None:
        """Close the idle searchers now, and each borrowed one when it is given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()

    def parser(self, match_all: bool):
        return advanced_parser(self.schema, match_all)

    def search(self, request: "Request", time_limit: float, place_lookup) -> "Outcome":
        """Evaluate one request (see `run`) on a borrowed searcher."""
        with self.searcher() as searcher:
            return run(self, searcher, request, time_limit, place_lookup)

    def count(self, request: "Request", time_limit: float, place_lookup) -> int:
        """How many paragraphs a request matches (see `count`)."""
        with self.searcher() as searcher:
            return count(self, searcher, request, time_limit, place_lookup)

    def stored_fields(self, docnums) -> list[dict]:
        """The whole stored record of each document number, in the order given
        (search.engine.paragraphs)."""
        with self.searcher() as searcher:
            return self.paragraphs.records(searcher.reader(), docnums)

    def article_docnums(self, article_id: str) -> list[int]:
        """The live documents (paragraphs) of one article, in document order."""
        with self.searcher() as searcher:
            found = searcher.document_numbers(article_id=article_id)
            return sorted(d for d in found if self.columns.alive[d])

    def paragraph_docnum(self, paragraph_id: str) -> int | None:
        """The live document a paragraph id names, or None. A paragraph is found through its
        article: the article's live documents, in order, are its paragraphs in order."""
        named = split_paragraph_id(paragraph_id)
        if named is None:
            return None
        article_id, para = named
        docnums = self.article_docnums(article_id)
        if para < len(docnums) and self.stored_fields([docnums[para]])[0][PARA] == para:
            return int(docnums[para])
        return None

    def corrected_query(self, q: str) -> str | None:
        """`q` with words the index has never seen replaced by close ones it has (see
        search.engine.suggest), or None when every word is known."""
        with self.searcher() as searcher:
            return corrected_query(q, searcher.reader(), self.vocabulary, self.spelling)

    @property
    def number(self) -> int | None:
        """The generation number its manifest records."""
        return self.manifest.get("generation")

    def mentioned_mask(self, ctx: Context, first, last) -> np.ndarray | None:
        """Documents mentioning a day or month that overlaps [first, last]."""
        if first is None and last is None:
            return None
        lo = first.toordinal() if first else 0
        hi = last.toordinal() if last else np.iinfo(np.int32).max
        mask = np.zeros(self.columns.doc_count, dtype=bool)
        for term, start, end in self.mentioned:
            if start <= hi and end >= lo:
                mask[ctx.postings(MENTIONED, term).ids] = True
        return mask


def _open_stored_fields(reader) -> None:
    """Read one document per segment: Whoosh opens a segment's stored-field file on first use."""
    for segment, _ in reader.leaf_readers():
        if segment.doc_count_all():
            segment.stored_fields(0)


def _mentioned_terms(reader) -> list[tuple[str, int, int]]:
    found = []
    if MENTIONED not in reader.schema:
        return found
    for raw in reader.lexicon(MENTIONED):
        term = term_text(raw)
        try:
            parts = [int(p) for p in term.split("-")]
            if len(parts) in (2, 3):
                first, last = period_days(*parts)
                found.append((term, first.toordinal(), last.toordinal()))
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
    expand: bool = False      # RM3 feedback for match=any (hits may then lack the query's words)
    like: Story | None = None  # stories like this one instead of `q` (search.engine.similar)
    collapse: bool = False    # one result per copy group (index/store/copies.py)


def run(gen: Generation, searcher, request: Request, time_limit: float, place_lookup) -> Outcome:
    """Evaluate one request: matches after filters, their order, grouping, and what to mark."""
    browsing = not request.q and request.like is None
    sort = "newest" if browsing and request.sort == "relevance" else request.sort
    key = _match_key(request, sort == "relevance")
    kept = gen.recent.get(key)
    if kept is not None:
        match, relaxed, highlight = kept
        timed_out = False
    else:
        match, relaxed, highlight, timed_out = _evaluated(gen, searcher, request, sort, time_limit,
                                                          place_lookup)
        if not timed_out:
            gen.recent.keep(key, match, relaxed, highlight)
    outcome = Outcome(match, EMPTY_IDS, timed_out, relaxed, highlight, paragraphs=len(match.ids))
    units = gen.columns.units(request.group_by_article, request.collapse)
    if request.needed == 0:
        # Counts only (page_size=0): nothing to put in order.
        outcome.total = _unit_count(units[match.ids]) if units is not None else len(match.ids)
    elif units is not None:
        _group(outcome, units, sort, gen.columns, request.needed,
               gen.columns.article if request.group_by_article else None)
    else:
        outcome.order = ordered(match, gen.columns, sort, request.needed)
        outcome.total = len(match.ids)
    return outcome


def _evaluated(gen: Generation, searcher, request: Request, sort: str, time_limit: float,
               place_lookup):
    """The request's matches after filters (relaxed to any word when all find nothing), whether
    they were relaxed, the terms to mark, and whether the time limit cut the evaluation."""
    ctx = Context(searcher, gen.columns, gen.cache, time.perf_counter() + time_limit, place_lookup,
                  scores_matter=sort == "relevance", paragraphs=gen.paragraphs)
    allowed = ctx.allowed = _filter_mask(gen, ctx, request)
    tree, simple = _tree(gen, searcher, request, place_lookup)
    match = _filtered(tree.evaluate(ctx), allowed)
    relaxed = False
    # Any of the user's words (not expansion words); a name bound by punctuation counts as its
    # words, so `Zeppelin-Karabakh` (one unit, a phrase) relaxes too.
    loose = simple.any_word_tree() if simple is not None else None
    if (request.relax and loose is not None and request.match_all and not len(match.ids)
            and not ctx.timed_out):
        retry = _filtered(loose.evaluate(ctx), allowed)
        if len(retry.ids):
            match, relaxed = retry, True
    return match, relaxed, frozenset(tree.highlight_terms()), ctx.timed_out


def _match_key(request: Request, scores_matter: bool) -> tuple:
    """What decides a request's matches and their scores (not its order, grouping or page)."""
    return (request.q, request.mode, request.match_all, request.date_from, request.date_to,
            request.mentioned_from, request.mentioned_to, request.place_ids, request.relax,
            request.expand, request.like, request.group_by_article and request.like is not None,
            scores_matter)


def count(gen: Generation, searcher, request: Request, time_limit: float, place_lookup) -> int:
    """How many paragraphs a request matches (for deciding whether a suggestion is worth it)."""
    ctx = Context(searcher, gen.columns, gen.cache, time.perf_counter() + time_limit, place_lookup,
                  paragraphs=gen.paragraphs)
    tree, _ = _tree(gen, searcher, request, place_lookup, ranked=False)
    return len(_filtered(tree.evaluate(ctx), _filter_mask(gen, ctx, request)).ids)


def _tree(gen: Generation, searcher, request: Request, place_lookup, ranked: bool = True):
    """The request's query tree; `ranked=False` keeps only what decides membership."""
    if request.like is not None:
        return more_like_this(searcher, gen.analyzer, request.like, gen.columns.doc_count,
                              request.group_by_article, gen.paragraphs), None
    if not request.q:
        return Everything(), None
    if request.mode == "advanced":
        return advanced_tree(request.q, gen.parser(request.match_all), searcher.reader(), place_lookup,
                             gen.vocabulary), None
    simple = simple_query(request.q, gen.analyzer)
    return simple.tree(request.match_all, ranked=ranked, feedback=request.expand), simple


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


def _unit_count(owners: np.ndarray) -> int:
    """How many distinct units (articles, copy groups) own these paragraphs (their numbers)."""
    return int(np.count_nonzero(np.bincount(owners))) if len(owners) else 0


def _group(outcome: Outcome, units: np.ndarray, sort: str, columns: Columns, needed: int,
           counted: np.ndarray | None) -> None:
    """One row per unit (article, copy group, or article's copy group: `units` holds each
    document's): its best paragraph in result order; with `counted` (each document's article),
    how many paragraphs of that paragraph's own article matched.

    Only the head of the order is sorted, as for ungrouped results: an article ranks where its
    best paragraph first appears, so the articles met in an exact prefix of the paragraph order,
    in the order met, are an exact prefix of the article order. The prefix grows until it holds
    `needed` articles (sorting every match of a common word was most of a grouped query's time).
    `total` and the counts come from a bincount over all matches."""
    match = outcome.match
    owners = units[match.ids]
    counts = np.bincount(owners) if len(owners) else np.zeros(0, dtype=np.int64)
    outcome.total = int(np.count_nonzero(counts))
    prefix = max(4 * needed, GROUP_PREFIX)
    while True:
        head = ordered(match, columns, sort, prefix if prefix < len(owners) else None)
        _, first = np.unique(owners[head], return_index=True)
        if len(first) >= needed or len(head) == len(owners):
            break
        prefix *= 4
    first.sort()
    outcome.order = head[first]
    if counted is not None:
        own = counted[match.ids]
        own_counts = counts if counted is units else np.bincount(own)
        outcome.group_counts = {int(match.ids[row]): int(own_counts[own[row]])
                                for row in outcome.order[:needed]}
