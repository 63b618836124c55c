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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import quote

import numpy as np
from whoosh import index as whoosh_index

from index.generations import PLACES, read_manifest, serving_generation, POINTER
from index.settings import Settings
from search import engine
from search.query_syntax import simple_query
from search.columns import month_counts, year_counts
from search.params import QueryError, SearchParams, parse_params
from search.placenames import PlaceDirectory
from search.snippets import marked_html, match_spans, snippet
from search.suggest import corrected_query

log = logging.getLogger(__name__)

FACET_SIZE = 20
# How often (seconds) a request looks at the CURRENT pointer for a new generation.
CHECK_INTERVAL = 0.5
MAX_PLACES_LIMIT = 100


class NoIndexError(Exception):
    """No generation has been built yet (HTTP 503)."""


class NotFoundError(Exception):
    """No article with that id (HTTP 404)."""


@dataclass
class _Served:
    """A generation with what the service derives from it once."""

    gen: engine.Generation
    directory: PlaceDirectory
    is_country: np.ndarray      # per place index of the columns
    place_counts: dict[str, int]

    @classmethod
    def open(cls, path: Path) -> "_Served":
        places = json.loads((path / PLACES).read_text(encoding="utf-8")) if (path / PLACES).is_file() else {}
        gen = engine.Generation(path, places, read_manifest(path))
        cols = gen.columns
        is_country = np.array([places.get(pid, {}).get("kind") == "country" for pid in cols.place_ids], dtype=bool)
        counts = np.bincount(cols.place_entry[cols.alive[cols.place_owner]], minlength=len(cols.place_ids))
        return cls(gen, PlaceDirectory(places), is_country,
                   {pid: int(c) for pid, c in zip(cols.place_ids, counts)})


class SearchService:
    """Thread-safe: shared generations, one Whoosh searcher per thread."""

    def __init__(self, index_dir: Path, settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.settings = settings or Settings.from_env({}, index_dir=self.index_dir)
        self._lock = threading.Lock()
        self._served_now: _Served | None = None
        self._stamp = None
        self._checked_at = float("-inf")
        self._loading = False

    # ------------------------------------------------------------ public API

    def search(self, params: Mapping[str, str | Sequence[str]]) -> dict:
        started = time.perf_counter()
        p = parse_params(params)
        served = self._served()
        place_ids = self._place_ids(served, p.places)
        request = _request(p, place_ids)
        with served.gen.searcher() as searcher:
            outcome = engine.run(served.gen, searcher, request, self.settings.query_time_limit,
                                 served.directory.ids_for)
            rows = outcome.order[p.offset:p.offset + p.page_size]
            hits = [self._hit(served, searcher, outcome, int(row)) for row in rows]
            suggestion = self._suggestion(served, searcher, p, request)
        body = {
            "query": p.echo(place_ids),
            "total": outcome.total,
            "page": p.page,
            "page_size": p.page_size,
            "took_ms": 0.0,
            "timed_out": outcome.timed_out,
            "relaxed": outcome.relaxed,
            "suggestion": suggestion,
            "hits": hits,
            "facets": self._facets(served, outcome.match.ids, p.facets),
        }
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def article(self, article_id: str, q: str | None = None) -> dict:
        served = self._served()
        with served.gen.searcher() as searcher:
            docnums = sorted(searcher.document_numbers(article_id=article_id))
            docnums = [d for d in docnums if served.gen.columns.alive[d]]
            stored = [searcher.stored_fields(d) for d in docnums]
        if not stored:
            raise NotFoundError(f"no article with id {article_id!r}")
        stored.sort(key=lambda s: s.get("para", 0))
        terms = self._terms_for(served, q or "")
        first = stored[0]
        return {
            "id": article_id, "title": first.get("title", ""), "date": first.get("date") or None,
            "author": first.get("author", ""), "dateline": first.get("dateline", ""),
            "url": first.get("url", ""), "source": _file_name(first.get("source", "")),
            "paragraphs": [self._paragraph(served, s, terms) for s in stored],
        }

    def places(self, prefix: str = "", limit: int = 10) -> dict:
        if not isinstance(limit, int) or not 1 <= limit <= MAX_PLACES_LIMIT:
            raise QueryError("limit", f"limit must be a whole number from 1 to {MAX_PLACES_LIMIT}")
        if len(prefix) > 200:
            raise QueryError("prefix", "prefix is at most 200 characters long")
        served = self._served()
        return {"prefix": prefix,
                "places": served.directory.completions(prefix, served.place_counts, limit)}

    def status(self) -> dict:
        served = self._served()
        manifest = served.gen.manifest
        return {
            "generation": manifest.get("generation"),
            "built_at": manifest.get("built_at"),
            "schema_version": manifest.get("schema_version"),
            "articles": manifest.get("articles"),
            "paragraphs": int(served.gen.columns.alive.sum()),
        }

    def close(self) -> None:
        with self._lock:
            served, self._served_now = self._served_now, None
            self._stamp = None
            self._checked_at = float("-inf")
        if served is not None:
            served.gen.close()

    # ------------------------------------------------------------ generations and searchers

    def _served(self) -> _Served:
        now = time.monotonic()
        current = self._served_now
        if current is not None and (self._loading or now - self._checked_at < CHECK_INTERVAL):
            return current
        with self._lock:
            current = self._served_now
            if current is not None and (self._loading or now - self._checked_at < CHECK_INTERVAL):
                return current
            self._checked_at = now
            stamp = _pointer_stamp(self.index_dir)
            if current is not None and stamp == self._stamp:
                return current
            path = serving_generation(self.index_dir)
            if path is None and current is None:
                raise NoIndexError("no index has been built yet; run `python manage.py reindex`")
            if path is None or (current is not None and path == current.gen.path):
                self._stamp = stamp
                return current
            if current is None:
                # Nothing to answer from meanwhile: every thread waits for the first open.
                self._served_now, self._stamp = self._open(path), stamp
                return self._served_now
            self._loading = True
        return self._switch(path, stamp, current)

    def _open(self, path: Path) -> _Served:
        try:
            served = _Served.open(path)
        except (OSError, ValueError, whoosh_index.IndexError) as e:
            log.error("could not open index generation %s: %s", path, e)
            # The reason, not the server's folders: the message reaches API clients.
            raise NoIndexError(f"the index could not be opened ({type(e).__name__}); "
                               "run `python manage.py reindex`") from e
        log.info("serving index generation %s", path)
        return served

    def _switch(self, path: Path, stamp, current: _Served) -> _Served:
        """Open the new generation while other threads keep answering from the old one."""
        try:
            served = self._open(path)
        except NoIndexError:
            with self._lock:
                self._loading = False
            return current
        with self._lock:
            self._served_now, self._stamp, self._loading = served, stamp, False
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

    def _facets(self, served: _Served, ids: np.ndarray, names: tuple[str, ...]) -> dict:
        cols = served.gen.columns
        facets: dict[str, list[dict]] = {}
        place_counts = None
        if "place" in names or "country" in names:
            matched = np.zeros(cols.doc_count, dtype=bool)
            matched[ids] = True
            place_counts = cols.place_counts(matched)
        for name in names:
            if name == "place":
                facets[name] = self._place_facet(served, place_counts, None)
            elif name == "country":
                facets[name] = self._place_facet(served, place_counts, served.is_country)
            elif name == "year":
                facets[name] = _top(year_counts(cols, ids))
            else:
                facets[name] = _top(month_counts(cols, ids))
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


def _request(p: SearchParams, place_ids: list[str]) -> engine.Request:
    return engine.Request(
        q=p.q, mode=p.mode, match_all=p.match == "all", sort=p.sort,
        group_by_article=p.group == "article", needed=p.offset + p.page_size,
        date_from=p.date_from, date_to=p.date_to,
        mentioned_from=p.mentioned_from, mentioned_to=p.mentioned_to,
        place_ids=tuple(place_ids),
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
