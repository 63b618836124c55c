"""`SearchService`: the one search function behind the API, the page and `manage.py search`.

Owns the serving generation (noticing a new one between requests; requests borrow its
searchers) and the shape of every response body (plain dicts). Never imports Bottle; Whoosh
only through search.engine, search.columns, search.snippets and search.suggest.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import quote

import numpy as np
from index.generations import PLACES, read_manifest, serving_generation, POINTER
from index.settings import Settings
from search import engine
from search.query_syntax import simple_query, stop_words_notice
from search.columns import month_counts, place_article_counts, year_counts
from search.params import (QueryError, SearchParams, parse_params, query_text,
                           whole_number_between)
from search.placenames import PlaceDirectory
from search.snippets import marked_html, match_spans, snippet
from search.suggest import corrected_query

log = logging.getLogger(__name__)

FACET_SIZE = 20
# How often (seconds) a request looks at the CURRENT pointer for a new generation.
CHECK_INTERVAL = 0.5
# After a generation fails to open, how long (seconds) before the same pointer is tried again
# (a new pointer is tried at once): a damaged generation must not cost every request an open.
RETRY_OPEN_AFTER = 30.0
MAX_PLACES_LIMIT = 100
REINDEX_COMMAND = "python manage.py reindex"
NO_INDEX = f"no index has been built yet; run `{REINDEX_COMMAND}`"


class NoIndexError(Exception):
    """No generation has been built yet (HTTP 503)."""


class NotFoundError(Exception):
    """No article with that id (HTTP 404)."""


@dataclass(frozen=True)
class _Failure:
    """The last generation that could not be opened: which pointer, when, and why."""

    stamp: object
    at: float
    message: str


@dataclass
class _Served:
    """A generation with what the service derives from it once."""

    gen: engine.Generation
    directory: PlaceDirectory
    is_country: np.ndarray      # per place index of the columns
    place_counts: dict[str, int]
    users: int = 0              # requests using it now (changed under the service's lock)

    @classmethod
    def open(cls, path: Path) -> "_Served":
        places = json.loads((path / PLACES).read_text(encoding="utf-8")) if (path / PLACES).is_file() else {}
        gen = engine.Generation(path, read_manifest(path))
        cols = gen.columns
        is_country = np.array([places.get(pid, {}).get("kind") == "country" for pid in cols.place_ids], dtype=bool)
        counts = cols.place_counts(cols.alive)
        return cls(gen, PlaceDirectory(places), is_country,
                   {pid: int(c) for pid, c in zip(cols.place_ids, counts)})


class SearchService:
    """Thread-safe: shared generations, one Whoosh searcher per thread."""

    def __init__(self, index_dir: Path, settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.settings = settings or Settings.from_env({}, index_dir=self.index_dir)
        self._lock = threading.Lock()
        self._served_now: _Served | None = None
        # The generation served before the current one, until its last request ends.
        self._previous: _Served | None = None
        self._stamp = None
        self._checked_at = float("-inf")
        self._loading = False
        self._failed: _Failure | None = None

    # ------------------------------------------------------------ public API

    def search(self, params: Mapping[str, str | Sequence[str]]) -> dict:
        started = time.perf_counter()
        p = parse_params(params)
        with self._using() as served:
            place_ids = self._place_ids(served, p.places)
            request = _request(p, place_ids)
            with served.gen.searcher() as searcher:
                outcome = engine.run(served.gen, searcher, request, self.settings.query_time_limit,
                                     served.directory.ids_for)
                rows = outcome.order[p.offset:p.offset + p.page_size]
                hits = [self._hit(served, searcher, outcome, int(row)) for row in rows]
                suggestion = self._suggestion(served, searcher, p, request)
            facets = self._facets(served, outcome.match.ids, p.facets, p.group == "article")
            notice = None if outcome.total else stop_words_notice(p.q, p.mode, served.gen.analyzer)
        body = {
            "query": p.echo(place_ids),
            "total": outcome.total,
            "page": p.page,
            "page_size": p.page_size,
            "took_ms": 0.0,
            "timed_out": outcome.timed_out,
            "relaxed": outcome.relaxed,
            "suggestion": suggestion,
            "notice": notice,
            "hits": hits,
            "facets": facets,
        }
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def article(self, article_id: str, q: str | None = None) -> dict:
        q = query_text(q or "")
        with self._using() as served:
            with served.gen.searcher() as searcher:
                docnums = sorted(searcher.document_numbers(article_id=article_id))
                docnums = [d for d in docnums if served.gen.columns.alive[d]]
                stored = [searcher.stored_fields(d) for d in docnums]
            if not stored:
                raise NotFoundError(f"no article with id {article_id!r}")
            stored.sort(key=lambda s: s.get("para", 0))
            terms = self._terms_for(served, q)
            paragraphs = [self._paragraph(served, s, terms) for s in stored]
        first = stored[0]
        return {
            "id": article_id, "title": first.get("title", ""), "date": first.get("date") or None,
            "author": first.get("author", ""), "dateline": first.get("dateline", ""),
            "url": first.get("url", ""), "source": _file_name(first.get("source", "")),
            "paragraphs": paragraphs,
        }

    def places(self, prefix: str = "", limit: int | str = 10) -> dict:
        """Place names starting with `prefix`, most mentioned first; `limit` may be the
        query string's text (the one check of it, for the API and in-process callers alike)."""
        limit = whole_number_between(limit, "limit", 1, MAX_PLACES_LIMIT)
        if len(prefix) > 200:
            raise QueryError("prefix", "prefix is at most 200 characters long")
        with self._using() as served:
            return {"prefix": prefix,
                    "places": served.directory.completions(prefix, served.place_counts, limit)}

    def status(self) -> dict:
        with self._using() as served:
            manifest = served.gen.manifest
            paragraphs = int(served.gen.columns.alive.sum())
        return {
            "generation": manifest.get("generation"),
            "built_at": manifest.get("built_at"),
            "schema_version": manifest.get("schema_version"),
            "articles": manifest.get("articles"),
            "paragraphs": paragraphs,
        }

    def close(self) -> None:
        with self._lock:
            open_now = [s for s in (self._served_now, self._previous) if s is not None]
            self._served_now = self._previous = None
            self._stamp = None
            self._checked_at = float("-inf")
        for served in open_now:
            served.gen.close()

    # ------------------------------------------------------------ generations and searchers

    @contextmanager
    def _using(self) -> Iterator[_Served]:
        """The serving generation, counted as in use until the block ends: a generation is
        dropped only once no request uses it, so at most two are ever open."""
        served = self._acquired()
        try:
            yield served
        finally:
            with self._lock:
                served.users -= 1
                if served is self._previous and served.users == 0:
                    self._previous = None

    def _acquired(self) -> _Served:
        now = time.monotonic()
        with self._lock:
            current = self._served_now
            if current is not None and (self._loading or now - self._checked_at < CHECK_INTERVAL):
                current.users += 1
                return current
            self._checked_at = now
            stamp = _pointer_stamp(self.index_dir)
            path = self._to_open(stamp, now)
            if path is None:
                if current is None:
                    raise NoIndexError(self._failed.message if self._failed else NO_INDEX)
                current.users += 1
                return current
            if current is None:
                served = self._first_opened(path, stamp)
                served.users += 1
                return served
            self._loading = True
        return self._switched(path, stamp, current)

    def _to_open(self, stamp, now: float) -> Path | None:
        """The generation to open now, if any (called under the lock)."""
        current = self._served_now
        if current is not None and stamp == self._stamp:
            return None
        if self._failed is not None and self._failed.stamp == stamp \
                and now - self._failed.at < RETRY_OPEN_AFTER:
            return None
        path = serving_generation(self.index_dir)
        if path is None or (current is not None and path == current.gen.path):
            self._stamp = stamp
            return None
        if current is not None and self._previous is not None:
            # Requests still run on the generation before this one: switching now would make
            # three open generations, and the builder keeps only two. Look again later.
            return None
        return path

    def _first_opened(self, path: Path, stamp) -> _Served:
        """The first generation (called under the lock: every thread waits for it)."""
        try:
            served = _open(path)
        except NoIndexError as e:
            self._failed = _Failure(stamp, time.monotonic(), str(e))
            raise
        self._served_now, self._stamp, self._failed = served, stamp, None
        return served

    def _switched(self, path: Path, stamp, current: _Served) -> _Served:
        """Open the new generation while other threads keep answering from the old one;
        returns the generation this request uses, counted."""
        try:
            served = _open(path)
        except NoIndexError as e:
            served, failure = None, _Failure(stamp, time.monotonic(), str(e))
        except BaseException:
            # Interrupted (KeyboardInterrupt, SystemExit): the next check may try again.
            with self._lock:
                self._loading = False
            raise
        with self._lock:
            self._loading = False
            if served is None:
                self._failed = failure
                current.users += 1
                return current
            self._served_now, self._stamp, self._failed = served, stamp, None
            self._previous = current if current.users else None
            served.users += 1
        # Requests still running on the old generation keep their searchers until they end.
        current.gen.close()
        return served

    # ------------------------------------------------------------ pieces of the body

    def _place_ids(self, served: _Served, values: tuple[str, ...]) -> list[str]:
        ids: list[str] = []
        for value in values:
            found = served.directory.ids_for(value)
            if not found:
                close = served.directory.close_names(value)
                hint = f"did you mean {', '.join(close)}?" if close else "look names up with /api/places?prefix="
                raise QueryError("place", f"unknown place {value!r}; {hint}")
            ids += [pid for pid in found if pid not in ids]
        return ids

    def _hit(self, served: _Served, searcher, outcome: engine.Outcome, row: int) -> dict:
        docnum = int(outcome.match.ids[row])
        stored = searcher.stored_fields(docnum)
        text = stored.get("text", "")
        spans = match_spans(text, served.gen.analyzer, outcome.highlight)
        hit = {
            "id": stored.get("id"), "article_id": stored.get("article_id"),
            "para": stored.get("para"), "title": stored.get("title", ""),
            "date": stored.get("date") or None,
            "places": stored.get("places_json") or [],
            "mentioned_dates": stored.get("mentions_json") or [],
            "score": round(float(outcome.match.scores[row]), 4),
            "snippet": snippet(text, spans), "text": text,
            "matches": [list(s) for s in spans],
            "url": f"/article/{quote(str(stored.get('article_id')), safe='')}#p{stored.get('para')}",
        }
        if outcome.group_counts:
            hit["matching_paragraphs"] = outcome.group_counts.get(docnum, 1)
        return hit

    def _facets(self, served: _Served, ids: np.ndarray, names: tuple[str, ...], by_article: bool) -> dict:
        """Counts of matching paragraphs, or of matching articles when `by_article`: the
        facets count what `total` counts (an article once, however many paragraphs match)."""
        cols = served.gen.columns
        facets: dict[str, list[dict]] = {}
        place_counts = None
        if "place" in names or "country" in names:
            matched = np.zeros(cols.doc_count, dtype=bool)
            matched[ids] = True
            place_counts = place_article_counts(cols, matched) if by_article else cols.place_counts(matched)
        for name in names:
            if name == "place":
                facets[name] = self._place_facet(served, place_counts, None)
            elif name == "country":
                facets[name] = self._place_facet(served, place_counts, served.is_country)
            elif name == "year":
                facets[name] = _top(year_counts(cols, ids, by_article))
            else:
                facets[name] = _top(month_counts(cols, ids, by_article))
        return facets

    def _place_facet(self, served: _Served, counts: np.ndarray, only: np.ndarray | None) -> list[dict]:
        if only is not None:
            counts = np.where(only, counts, 0)
        top = [int(i) for i in np.argsort(-counts, kind="stable")[:FACET_SIZE] if counts[i] > 0]
        ids = served.gen.columns.place_ids
        rows = [{"value": served.directory.public(ids[i]).get("name") or ids[i], "id": ids[i],
                 "count": int(counts[i])} for i in top]
        return sorted(rows, key=lambda r: (-r["count"], r["value"]))

    def _suggestion(self, served: _Served, searcher, p: SearchParams, request: engine.Request) -> str | None:
        if p.mode != "simple" or not p.q:
            return None
        corrected = corrected_query(p.q, searcher.reader())
        if not corrected:
            return None
        retry = engine.Request(**{**request.__dict__, "q": corrected, "relax": False})
        found = engine.count(served.gen, searcher, retry, self.settings.query_time_limit,
                             served.directory.ids_for)
        return corrected if found else None

    def _terms_for(self, served: _Served, q: str) -> frozenset[str]:
        return frozenset(simple_query(q, served.gen.analyzer).tree(False).highlight_terms())

    def _paragraph(self, served: _Served, stored: dict, terms: frozenset[str]) -> dict:
        text = stored.get("text", "")
        spans = match_spans(text, served.gen.analyzer, terms)
        return {"id": stored.get("id"), "para": stored.get("para"), "text": text,
                "html": marked_html(text, spans), "matches": [list(s) for s in spans],
                "places": stored.get("places_json") or [],
                "mentioned_dates": stored.get("mentions_json") or []}


def _open(path: Path) -> _Served:
    try:
        served = _Served.open(path)
    except Exception as e:  # noqa: BLE001 — a boundary, see the comment
        # A damaged generation fails in more ways than Whoosh has exception types for (a
        # truncated segment is an EOFError, a bad pickle an UnpicklingError, a short column a
        # struct.error); whichever it is, the service must go on answering from what it has,
        # so the cause is logged in full here and only summed up for clients.
        log.exception("could not open index generation %s", path)
        # The reason, not the server's folders: the message reaches API clients.
        raise NoIndexError(f"the index could not be opened ({type(e).__name__}); "
                           f"run `{REINDEX_COMMAND}`") from e
    log.info("serving index generation %s", path)
    return served


def _request(p: SearchParams, place_ids: list[str]) -> engine.Request:
    return engine.Request(
        q=p.q, mode=p.mode, match_all=p.match == "all", sort=p.sort,
        group_by_article=p.group == "article", needed=p.offset + p.page_size,
        date_from=p.date_from, date_to=p.date_to,
        mentioned_from=p.mentioned_from, mentioned_to=p.mentioned_to,
        place_ids=tuple(place_ids), expand=p.expand,
    )


def _top(pairs: list[tuple[str, int]]) -> list[dict]:
    pairs = sorted(pairs, key=lambda vc: (-vc[1], vc[0]))[:FACET_SIZE]
    return [{"value": v, "count": c} for v, c in pairs]


def _file_name(source: str) -> str:
    """The archive file's name without its folders (which are the server's business)."""
    return PurePath(source).name if source else ""


def _pointer_stamp(index_dir: Path):
    """What changes when CURRENT is replaced (it is renamed over, so the inode changes)."""
    try:
        st = os.stat(index_dir / POINTER)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
