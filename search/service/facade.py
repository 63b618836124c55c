"""`SearchService`: the one search function behind the API, the page and `manage.py search`.

Owns the shape of every response body (plain dicts); which generation answers is
search.service.switcher's business, and Whoosh stays behind `engine.Generation`. Never imports Bottle
or Whoosh.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import quote

import numpy as np
from index.store.generations import read_manifest
from index.store.schema import DISPLAY_TITLE, TITLE
from index.settings import Settings
from search.errors import BusyError, NotFoundError
from search.engine import run as engine
from search.engine.syntax import simple_query, stop_words_notice
from search.engine.facets import day_counts, month_counts, place_unit_counts, year_counts
from search.engine.word_stems import WordStems
from search.service.params import (MAX_NAME_CHARS, QueryError, SearchParams, parse_params, query_text,
                           whole_number_between)
from search.service.placenames import PlaceDirectory
from search.service.copies import article_copy_of, hit_copies, paragraph_copies
from search.service.related import source_story
from search.engine.snippets import marked_html, snippet
from search.service.switcher import Switcher

log = logging.getLogger(__name__)

FACET_SIZE = 20
# Days: enough for every day of a month, so a page can draw a month's days.
DAY_FACET_SIZE = 31
MAX_PLACES_LIMIT = 100


@dataclass
class Served:
    """A generation with what the service derives from it once."""

    gen: engine.Generation
    directory: PlaceDirectory
    is_country: np.ndarray      # per place index of the columns
    place_counts: dict[str, int]

    @classmethod
    def open(cls, path: Path, max_searchers: int | None = None) -> "Served":
        gen = engine.Generation(path, read_manifest(path), max_searchers)
        places = gen.places
        cols = gen.columns
        is_country = np.array([places.get(pid, {}).get("kind") == "country" for pid in cols.place_ids], dtype=bool)
        counts = cols.place_counts(cols.alive)
        return cls(gen, PlaceDirectory(places), is_country,
                   {pid: int(c) for pid, c in zip(cols.place_ids, counts)})


class SearchService:
    """Thread-safe: one service per server process, shared by its request threads."""

    def __init__(self, index_dir: Path, settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.settings = settings or Settings.from_env({}, index_dir=self.index_dir)
        # As many searchers as searches may run at once: each costs memory (engine.Generation).
        self._switcher = Switcher(
            self.index_dir, lambda path: Served.open(path, self.settings.concurrent_queries),
            lambda served: served.gen.close())
        # Per thread: the generation the thread's last call answered from (for the web layer's
        # X-Index-Generation header), until `answered_from` reads it.
        self._answered = threading.local()
        # A flood of slow queries must slow answers down, not pile up memory and threads.
        self._slots = threading.BoundedSemaphore(self.settings.concurrent_queries)

    # ------------------------------------------------------------ public API

    def search(self, params: Mapping[str, str | Sequence[str]], similar_to: str | None = None) -> dict:
        """One search; with `similar_to` (an article id) or `like` (a paragraph id), the
        stories most like that one instead of a query's matches (search.service.related)."""
        started = time.perf_counter()
        p = parse_params(params)
        with self.using() as served, self.search_slot():
            place_ids = self.place_ids(served, p.places)
            request = engine_request(p, place_ids, source_story(served, p, similar_to))
            outcome = served.gen.search(request, self.settings.query_time_limit,
                                        served.directory.ids_for)
            rows = [int(row) for row in outcome.order[p.offset:p.offset + p.page_size]]
            stored = served.gen.stored_fields(outcome.match.ids[rows])
            title_spans: dict[str, list[list[int]]] = {}  # a story's paragraphs share its title
            hits = [self._hit(served, outcome, row, fields, title_spans)
                    for row, fields in zip(rows, stored)]
            for hit, copies in zip(hits, hit_copies(served.gen, [int(outcome.match.ids[r]) for r in rows],
                                                    p.group == "article")):
                hit.update(copies)
            suggestion = self._suggestion(served, p, request)
            facets = self._facets(served, outcome.match.ids, p.facets, p.group == "article",
                                  p.collapse == "copies")
            notice = None if outcome.total else stop_words_notice(p.q, p.mode, served.gen.analyzer)
        body = {
            "query": p.echo(place_ids),
            "total": outcome.total,
            "total_paragraphs": outcome.paragraphs,
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
        with self.using() as served:
            docnums = served.gen.article_docnums(article_id)
            if not docnums:
                raise NotFoundError(f"no article with id {article_id!r}")
            in_order = sorted(zip(served.gen.stored_fields(docnums), docnums),
                              key=lambda pair: pair[0].get("para", 0))
            stored = [fields for fields, _ in in_order]
            terms = self._terms_for(served, q)
            paragraphs = [self._paragraph(served, s, terms) for s in stored]
            for paragraph, copies in zip(paragraphs, paragraph_copies(served.gen, [d for _, d in in_order])):
                paragraph["copies"] = copies
            copy_of, copies = article_copy_of(served.gen, docnums[0])
        first = stored[0]
        title, title_is_lead = _display_title(first)
        return {
            "id": article_id, "title": title, "title_is_lead": title_is_lead,
            "date": first.get("date") or None,
            "author": first.get("author", ""), "dateline": first.get("dateline", ""),
            "url": first.get("url", ""), "source": _file_name(first.get("source", "")),
            "copy_of": copy_of, "copies": copies,
            "paragraphs": paragraphs,
        }

    def places(self, prefix: str = "", limit: int | str = 10) -> dict:
        """Place names starting with `prefix`, most mentioned first; `limit` may be the
        query string's text (the one check of it, for the API and in-process callers alike)."""
        limit = whole_number_between(limit, "limit", 1, MAX_PLACES_LIMIT)
        if len(prefix) > MAX_NAME_CHARS:
            raise QueryError("prefix", f"prefix is at most {MAX_NAME_CHARS} characters long")
        with self.using() as served:
            return {"prefix": prefix,
                    "places": served.directory.completions(prefix, served.place_counts, limit)}

    def status(self) -> dict:
        """The serving generation and, when a newer one was refused, why, in words an operator
        can act on (no file names: anyone may ask; the log names the file)."""
        with self.using() as served:
            manifest = served.gen.manifest
            paragraphs = served.gen.columns.alive_count
        refused = self._switcher.refused
        return {
            "generation": manifest.get("generation"),
            "built_at": manifest.get("built_at"),
            "schema_version": manifest.get("schema_version"),
            "articles": manifest.get("articles"),
            "paragraphs": paragraphs,
            "refused": refused.public(serving=manifest.get("generation")) if refused else None,
        }

    def health(self) -> dict:
        """{"status": "ok", "generation": n} while a generation can answer; NoIndexError (with
        the reason) otherwise."""
        with self.using() as served:
            return {"status": "ok", "generation": served.gen.number}

    def answered_from(self) -> int | None:
        """The generation number the calling thread's last call answered from, forgotten once
        read (None when that call used none, such as a request refused before searching)."""
        number = getattr(self._answered, "generation", None)
        self._answered.generation = None
        return number

    def serving_number(self) -> int | None:
        """The generation open now, without looking for a new one (None before the first)."""
        served = self._switcher.current()
        return served.gen.number if served is not None else None

    def close(self) -> None:
        self._switcher.close()

    @contextmanager
    def search_slot(self) -> Iterator[None]:
        """One of `concurrent_queries` searches at a time; waits up to the query time limit."""
        if not self._slots.acquire(timeout=self.settings.query_time_limit):
            raise BusyError(f"{self.settings.concurrent_queries} searches are running in this "
                            "server process; try again in a moment")
        try:
            yield
        finally:
            self._slots.release()

    @contextmanager
    def using(self) -> Iterator[Served]:
        """The serving generation for one call (see search.service.switcher), remembered per thread."""
        with self._switcher.using() as served:
            self._answered.generation = served.gen.number
            yield served

    # ------------------------------------------------------------ pieces of the body

    def place_ids(self, served: Served, values: tuple[str, ...]) -> list[str]:
        ids: list[str] = []
        for value in values:
            found = served.directory.ids_for(value)
            if not found:
                close = served.directory.close_names(value)
                hint = f"did you mean {', '.join(close)}?" if close else "look names up with /api/places?prefix="
                raise QueryError("place", f"unknown place {value!r}; {hint}")
            ids += [pid for pid in found if pid not in ids]
        return ids

    def _hit(self, served: Served, outcome: engine.Outcome, row: int, stored: dict,
             title_spans: dict[str, list[list[int]]]) -> dict:
        docnum = int(outcome.match.ids[row])
        text = stored.get("text", "")
        spans = served.gen.word_stems.spans(text, outcome.highlight)
        title, title_is_lead = _display_title(stored)
        hit = {
            "id": stored.get("id"), "article_id": stored.get("article_id"),
            "para": stored.get("para"), "title": title, "title_is_lead": title_is_lead,
            "title_matches": _title_matches(title, served.gen.word_stems, outcome.highlight, title_spans),
            "author": stored.get("author", ""),
            "date": stored.get("date") or None,
            "places": served.directory.labelled(stored.get("places_json") or []),
            "mentioned_dates": stored.get("mentions_json") or [],
            "score": round(float(outcome.match.scores[row]), 4),
            "snippet": snippet(text, spans), "text": text,
            "matches": [list(s) for s in spans],
            "url": f"/article/{quote(str(stored.get('article_id')), safe='')}#p{stored.get('para')}",
        }
        if outcome.group_counts:
            hit["matching_paragraphs"] = outcome.group_counts.get(docnum, 1)
        return hit

    def _facets(self, served: Served, ids: np.ndarray, names: tuple[str, ...], by_article: bool,
                collapse: bool) -> dict:
        """Counts of matching paragraphs, or of matching articles when `by_article`, copies
        counted once when `collapse`: the facets count what `total` counts (an article or a copy
        group once, however many of its paragraphs match)."""
        cols = served.gen.columns
        units = cols.units(by_article, collapse)
        facets: dict[str, list[dict]] = {}
        place_counts = None
        if "place" in names or "country" in names:
            matched = np.zeros(cols.doc_count, dtype=bool)
            matched[ids] = True
            place_counts = (cols.place_counts(matched) if units is None
                            else place_unit_counts(cols, ids, matched, by_article, collapse))
        for name in names:
            if name == "place":
                facets[name] = self._place_facet(served, place_counts, None)
            elif name == "country":
                facets[name] = self._place_facet(served, place_counts, served.is_country)
            elif name == "year":
                facets[name] = _top(year_counts(cols, ids, units))
            elif name == "day":
                facets[name] = _top(day_counts(cols, ids, units), DAY_FACET_SIZE)
            else:
                facets[name] = _top(month_counts(cols, ids, units))
        return facets

    def _place_facet(self, served: Served, counts: np.ndarray, only: np.ndarray | None) -> list[dict]:
        if only is not None:
            counts = np.where(only, counts, 0)
        top = [int(i) for i in np.argsort(-counts, kind="stable")[:FACET_SIZE] if counts[i] > 0]
        ids = served.gen.columns.place_ids
        rows = []
        for i in top:
            place = served.directory.public(ids[i])
            # The point too, so a page can put the facet on a map (absent when unknown).
            point = {k: place[k] for k in ("lat", "lon") if place.get(k) is not None}
            rows.append({"value": place.get("name") or ids[i], "id": ids[i], "label": place["label"],
                         "count": int(counts[i]), **point})
        return sorted(rows, key=lambda r: (-r["count"], r["value"]))

    def _suggestion(self, served: Served, p: SearchParams, request: engine.Request) -> str | None:
        if p.mode != "simple" or not p.q:
            return None
        corrected = served.gen.corrected_query(p.q)
        if not corrected:
            return None
        retry = engine.Request(**{**request.__dict__, "q": corrected, "relax": False})
        found = served.gen.count(retry, self.settings.query_time_limit, served.directory.ids_for)
        return corrected if found else None

    def _terms_for(self, served: Served, q: str) -> frozenset[str]:
        return frozenset(simple_query(q, served.gen.analyzer).tree(False).highlight_terms())

    def _paragraph(self, served: Served, stored: dict, terms: frozenset[str]) -> dict:
        text = stored.get("text", "")
        spans = served.gen.word_stems.spans(text, terms)
        return {"id": stored.get("id"), "para": stored.get("para"), "text": text,
                "html": marked_html(text, spans), "matches": [list(s) for s in spans],
                "places": served.directory.labelled(stored.get("places_json") or []),
                "mentioned_dates": stored.get("mentions_json") or []}


def _title_matches(title: str, stems: WordStems, terms, seen: dict[str, list[list[int]]]) -> list[list[int]]:
    """The query's words in a hit's title, analysed once per title in a request (the paragraphs
    of one story share it: analysing it for each took a quarter of a plain query's time)."""
    if title not in seen:
        seen[title] = [list(s) for s in stems.spans(title, terms)]
    return [list(s) for s in seen[title]]


def engine_request(p: SearchParams, place_ids: list[str],
                   like: engine.Story | None = None) -> engine.Request:
    return engine.Request(
        q=p.q, mode=p.mode, match_all=p.match == "all", sort=p.sort,
        group_by_article=p.group == "article", needed=p.offset + p.page_size,
        date_from=p.date_from, date_to=p.date_to,
        mentioned_from=p.mentioned_from, mentioned_to=p.mentioned_to,
        place_ids=tuple(place_ids), expand=p.expand, like=like, collapse=p.collapse == "copies",
    )


def _display_title(stored: dict) -> tuple[str, bool]:
    """The article's one display title (chosen at build time: index/documents.py) and whether
    it is its lead sentence standing in for a missing title."""
    title = stored.get(TITLE, "")
    shown = stored.get(DISPLAY_TITLE)
    if shown is None:  # a generation built before display titles: its own title only
        shown = title
    return shown, bool(shown) and not title.strip()


def _top(pairs: list[tuple[str, int]], size: int = FACET_SIZE) -> list[dict]:
    pairs = sorted(pairs, key=lambda vc: (-vc[1], vc[0]))[:size]
    return [{"value": v, "count": c} for v, c in pairs]


def _file_name(source: str) -> str:
    """The archive file's name without its folders (which are the server's business)."""
    return PurePath(source).name if source else ""

