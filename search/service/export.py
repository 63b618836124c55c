"""Every hit of a search as CSV or JSON Lines rows, in the search's order, streamed from the one
generation that answered it: the export behind `GET /api/export` and `manage.py search --export`.

Owns the export's rows, its formats, its file name and the one-export-per-process rule. Stored
fields are read in batches sorted by document number (the order a segment's stored-field file
is laid out in) and emitted in result order, so memory is one batch whatever the result size.
Never imports Bottle or Whoosh.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import quote

import numpy as np

from index.folding import fold
from index.store.schema import (
    ARTICLE_ID,
    DATE,
    DISPLAY_TITLE,
    ID,
    PARA,
    PLACES_JSON,
    TEXT,
    TITLE,
)
from search.engine import run as engine
from search.errors import ExportBusyError, QueryError
from search.service.facade import SearchService, Served, engine_request
from search.service.params import RawParams, SearchParams, parse_params
from search.service.related import source_story

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
# Rows whose stored fields are read, put back in result order and encoded at a time: large
# enough that reading in document order pays, small enough to hold (about 0.5 MB of text).
BATCH_ROWS = 1000
# The last CSV column names the generation on every row: a CSV has no line for it but its header,
# and a file that outlives its download still says which index it came from.
# `copy_count`: how many other paragraphs print the row's text (articles: how many other
# articles are copies of it, or it of them); with collapse=copies they are not rows of their own.
COLUMNS = ("id", "article_id", "date", "title", "place_ids", "place_names", "url", "text", "score",
           "copy_count", "generation")
# With group=article each row is an article's best paragraph; this says how many matched.
GROUPED_COLUMNS = (*COLUMNS[:-1], "matching_paragraphs", COLUMNS[-1])
# Between place ids or names in one CSV cell (names may hold commas: "Washington, D.C.").
CELL_SEPARATOR = "; "
# The page's parameters an export has no use for: it is every hit, without facets.
UNUSED = ("page", "page_size", "facets")
# The longest query slug in a file name.
SLUG_CHARS = 60
# One encoder for every row (json.dumps with options builds a new one per call).
_JSON = json.JSONEncoder(ensure_ascii=False)


def export_format(raw: RawParams) -> str:
    """The `format` parameter: one of FORMATS, given once (QueryError naming `format`)."""
    value = raw.get("format")
    if value is None:
        raise QueryError("format", f"format is required: one of {', '.join(FORMATS)}")
    if not isinstance(value, str):
        raise QueryError("format", f"give format once: one of {', '.join(FORMATS)}")
    if value.strip().lower() not in FORMATS:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise QueryError("format", f"format must be one of {', '.join(FORMATS)}, not {shown!r}")
    return value.strip().lower()


class Exporter:
    """Opens exports over one service, one at a time: an export holds a generation and keeps a
    core busy for as long as its client reads, so a second one in the same process gets
    ExportBusyError (503) instead of halving the first's speed and the searches' share."""

    def __init__(self, service: SearchService, batch_rows: int = BATCH_ROWS):
        self.service = service
        self.batch_rows = batch_rows
        self._one = threading.Lock()

    def open(self, raw: RawParams) -> Export:
        """Validate, take the export slot, hold the serving generation and run the search;
        the returned Export streams its rows and lets go of both when closed or exhausted."""
        fmt = export_format(raw)
        params = parse_params({k: v for k, v in raw.items() if k != "format"})
        if not self._one.acquire(blocking=False):
            raise ExportBusyError("another export is streaming from this server process; "
                                  "start this one again when it has finished")
        held = ExitStack()
        held.callback(self._one.release)
        try:
            served = held.enter_context(self.service.using())
            with self.service.search_slot():
                place_ids = self.service.place_ids(served, params.places)
                like = source_story(served, params, None)  # `like=<paragraph id>`, as a search
                # Every row in order: "needed" is the whole index, so nothing is cut.
                request = dataclasses.replace(engine_request(params, place_ids, like),
                                              needed=max(served.gen.columns.doc_count, 1))
                outcome = served.gen.search(request, self.service.settings.query_time_limit,
                                            served.directory.ids_for)
        except BaseException:
            held.close()
            raise
        return Export(fmt, served, outcome, params, place_ids, held, self.batch_rows)


class Export:
    """One export, ready to stream: iterate it for the encoded chunks (the first is the CSV
    header or the JSON Lines description line), or `batches()` for (chunk, rows) pairs. The
    generation stays held until the last chunk is read or `close()` is called."""

    def __init__(self, fmt: str, served: Served, outcome: engine.Outcome, params: SearchParams,
                 place_ids: list[str], held: ExitStack, batch_rows: int = BATCH_ROWS):
        self.format = fmt
        self.generation = served.gen.number
        self.total = outcome.total
        self.timed_out = outcome.timed_out
        self.grouped = params.group == "article"
        self.media_type = MEDIA_TYPES[fmt]
        self.filename = export_filename(params.q, fmt)
        self._query = {k: v for k, v in params.echo(place_ids).items() if k not in UNUSED}
        self._relaxed = outcome.relaxed
        self._served = served
        self._outcome = outcome
        self._held = held
        self._batch_rows = batch_rows

    def __iter__(self) -> Iterator[bytes]:
        for chunk, _ in self.batches():
            yield chunk

    def batches(self) -> Iterator[tuple[bytes, int]]:
        """The head (0 rows), then each batch of rows encoded, with its number of rows."""
        try:
            yield self._head(), 0
            order = self._outcome.order[:self.total]
            for start in range(0, len(order), self._batch_rows):
                rows = self._rows(order[start:start + self._batch_rows])
                yield self._encoded(rows), len(rows)
        finally:
            self.close()

    def close(self) -> None:
        """Let go of the generation and the export slot (again: nothing)."""
        self._held.close()

    def content_disposition(self) -> str:
        """An attachment named for the query and the day, with the UTF-8 name for any script."""
        ascii_name = export_filename(self._query["q"], self.format, ascii_only=True)
        header = f'attachment; filename="{ascii_name}"'
        if self.filename != ascii_name:
            header += f"; filename*=UTF-8''{quote(self.filename, safe='')}"
        return header

    # ------------------------------------------------------------ rows

    def _rows(self, positions: np.ndarray) -> list[dict]:
        """The rows at these result positions, in that order, from one sorted stored-field read."""
        match = self._outcome.match
        docnums = match.ids[positions]
        by_docnum = np.argsort(docnums, kind="stable")
        stored = self._served.gen.stored_fields(docnums[by_docnum])
        in_order = [stored[k] for k in np.argsort(by_docnum).tolist()]
        scores = match.scores[positions].tolist()
        copy_counts = self._served.gen.columns.copy_counts(docnums, self.grouped).tolist()
        counts = self._outcome.group_counts
        pages: dict[str, str] = {}  # an article's page, quoted once per batch
        rows = []
        for fields, score, copy_count, docnum in zip(in_order, scores, copy_counts, docnums.tolist()):
            article = fields.get(ARTICLE_ID)
            page = pages.get(article)
            if page is None:
                page = pages[article] = f"/article/{quote(str(article), safe='')}"
            row = {
                "id": fields.get(ID), "article_id": article, "date": fields.get(DATE) or None,
                # The article's one display title (as hits show it); a generation built before
                # display titles has only its own title.
                "title": fields.get(DISPLAY_TITLE, fields.get(TITLE, "")),
                "places": [{"id": p.get("id"), "name": p.get("name")}
                           for p in fields.get(PLACES_JSON) or ()],
                "url": f"{page}#p{fields.get(PARA)}",
                "text": fields.get(TEXT, ""), "score": round(score, 4), "copy_count": copy_count,
            }
            if self.grouped:
                row["matching_paragraphs"] = counts.get(docnum, 1)
            rows.append(row)
        return rows

    def _head(self) -> bytes:
        if self.format == "csv":
            return _csv_lines([GROUPED_COLUMNS if self.grouped else COLUMNS])
        description = {"generation": self.generation, "total": self.total,
                       "timed_out": self.timed_out, "relaxed": self._relaxed,
                       "query": self._query, "exported_at": _now()}
        return (json.dumps({"export": description}, ensure_ascii=False) + "\n").encode("utf-8")

    def _encoded(self, rows: list[dict]) -> bytes:
        if self.format == "jsonl":
            return "".join(_JSON.encode(row) + "\n" for row in rows).encode("utf-8")
        return _csv_lines([_csv_row(row, self.grouped, self.generation) for row in rows])


def _csv_row(row: dict, grouped: bool, generation: int | None) -> list:
    places = row["places"]
    cells = [row["id"], row["article_id"], row["date"] or "", row["title"],
             CELL_SEPARATOR.join(str(p["id"]) for p in places),
             CELL_SEPARATOR.join(str(p["name"] or "") for p in places),
             row["url"], row["text"], row["score"], row["copy_count"]]
    return [*cells, row["matching_paragraphs"], generation] if grouped else [*cells, generation]


def _csv_lines(rows: list) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def export_filename(q: str, fmt: str, ascii_only: bool = False, day: dt.date | None = None) -> str:
    """`news-search-<query>-<YYYY-MM-DD>.<fmt>`: the query's words joined by hyphens (accents
    folded and other scripts dropped when `ascii_only`), `everything` for an empty query, and
    the day of the export."""
    text = q.casefold()
    if ascii_only:  # accents folded as the analyzer folds them (Gəncə -> gence), the rest dropped
        text = fold(text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[\W_]+", "-", text)
    slug = slug.strip("-")[:SLUG_CHARS].strip("-") or ("everything" if not q.strip() else "search")
    return f"news-search-{slug}-{(day or dt.date.today()).isoformat()}.{fmt}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
