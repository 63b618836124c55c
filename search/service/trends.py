"""Trends: how many paragraphs (or articles) match each of up to five queries per day, month or
year, against all the archive holds in that period, for `GET /api/trends`, its CSV and the
"Compare over time" page. Owns the body's shape and the trends' own parameters; the search
parameters they share are checked by search.service.params. Never imports Bottle or Whoosh.

Counts are the search's own (the same evaluation, never relaxed to any word), so a period's
count equals /api/search's `total` for that query with from=to=the period. Totals count every
live paragraph (article) of the archive in the whole period, whatever the query, the place
filter and a `from` or `to` inside the period (which cut only the counts).
Undated paragraphs fall in no period: without a date filter they have a last point of their
own, `"period": null`, so one series' totals add up to the archive's paragraphs.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from dataclasses import dataclass, replace

import numpy as np

from search.engine.periods import (INTERVALS, Periods, archive_counts, dated_range, document_keys,
                                   per_period, period_count, periods, undated)
from search.errors import QueryError
from search.service.facade import SearchService, engine_request
from search.service.params import RawParams, SearchParams, parse_params

MAX_QUERIES = 5
MAX_POINTS = 5000
FORMATS = ("json", "csv")
# The search parameters every query shares, and the trends' own.
SHARED = ("mode", "match", "from", "to", "place", "group", "collapse")
PARAMETERS = ("q", *SHARED, "interval", "format")
# The default interval: days over at most this many days, months over at most this many
# months, years beyond (a chart of a few dozen to a hundred-odd points).
DAYS_SPAN = 92
MONTHS_SPAN = 120
CSV_COLUMNS = ("q", "period", "count", "total", "share")
CSV_UNDATED = "undated"
_FILE_NAME_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class TrendsParams:
    """The validated request: one `SearchParams` per query (their filters alike)."""

    queries: tuple[SearchParams, ...]
    interval: str | None     # None: chosen from the span
    format: str


def parse_trends_params(raw: RawParams) -> TrendsParams:
    """Validate the parameters; raise QueryError naming the first bad one."""
    for name in raw:
        if name not in PARAMETERS:
            raise QueryError(name, f"unknown parameter {name[:40]!r}; the parameters here are: "
                                   + ", ".join(PARAMETERS))
    texts = _values(raw, "q")
    if len(texts) > MAX_QUERIES:
        raise QueryError("q", f"at most {MAX_QUERIES} queries, not {len(texts)}; "
                              "compare fewer at a time")
    shared = {name: raw[name] for name in SHARED if name in raw}
    queries = tuple(parse_params({**shared, "q": q}) for q in texts)
    if not queries or not all(query.q for query in queries):
        raise QueryError("q", "give each query as q=, one to five of them, none empty "
                              "(q=oil&q=coffee)")
    return TrendsParams(
        queries=queries,
        interval=_choice(raw, "interval", INTERVALS, None),
        format=_choice(raw, "format", FORMATS, "json"),
    )


class Trends:
    """Trends over the serving generation. The archive's own counts per period (the totals)
    and its dated span are made once per generation and interval, then kept: per request,
    only the queries' matches are counted. Thread-safe; one per server process."""

    def __init__(self, service: SearchService):
        self._service = service
        self._lock = threading.Lock()
        self._kept: tuple[tuple, dict] = ((), {})

    def trends(self, raw: RawParams) -> dict:
        """`{"interval", "series": [{"q", "timed_out", "points": [{"period", "count", "total",
        "share"}, …]}, …]}`, the queries in the order given."""
        p = parse_trends_params(raw)
        first_query = p.queries[0]
        by_article = first_query.group == "article"
        service = self._service
        with service.using() as served, service.search_slot():
            place_ids = service.place_ids(served, first_query.places)
            columns = served.gen.columns
            interval, spans = _periods(p, self._archive(served, "span", lambda: dated_range(columns)))
            archive = self._archive(served, (interval, by_article),
                                    lambda: archive_counts(columns, interval, by_article))
            totals = archive.at(spans)
            # A date filter leaves the undated out, as it does in a search.
            dated_only = first_query.date_from is not None or first_query.date_to is not None
            series = []
            for query in p.queries:
                # Counts only (no order, no scores), and never relaxed to any word: a period's
                # count is the search's total for it.
                request = replace(engine_request(query, place_ids), needed=0, sort="newest",
                                  relax=False)
                outcome = served.gen.search(request, service.settings.query_time_limit,
                                            served.directory.ids_for)
                ids = outcome.match.ids
                keys = document_keys(columns, interval, ids)
                units = columns.units(by_article, request.collapse)
                owners = units[ids] if units is not None else None
                counts = per_period(keys, spans, owners)
                points = [_point(label, int(c), int(t))
                          for label, c, t in zip(spans.labels, counts, totals)]
                if archive.undated and not dated_only:
                    points.append(_point(None, undated(keys, owners), archive.undated))
                series.append({"q": query.q, "timed_out": outcome.timed_out, "points": points})
        return {"interval": interval, "series": series}

    def _archive(self, served, name, make):
        """What `make` computes from the archive, once per generation."""
        generation = (served.gen.number, served.gen.manifest.get("built_at"))
        with self._lock:
            kept_for, kept = self._kept
            if kept_for != generation:
                kept = {}
                self._kept = (generation, kept)
            if name not in kept:
                kept[name] = make()
            return kept[name]


def csv_text(body: dict) -> str:
    """The body as CSV: a header, then one row per query and period (`undated` for the
    undated point)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for series in body["series"]:
        for point in series["points"]:
            writer.writerow([series["q"], point["period"] or CSV_UNDATED, point["count"],
                             point["total"], repr(point["share"])])
    return out.getvalue()


def csv_file_name(body: dict) -> str:
    """`trends-oil-coffee-month.csv`: the queries' letters and digits, cut short."""
    words = "-".join(_FILE_NAME_UNSAFE.sub("_", s["q"].lower()).strip("_") for s in body["series"])
    return f"trends-{words[:80]}-{body['interval']}.csv"


def default_interval(first: dt.date, last: dt.date) -> str:
    """Days over a few months, months over up to ten years, years beyond."""
    if period_count("day", first, last) <= DAYS_SPAN:
        return "day"
    if period_count("month", first, last) <= MONTHS_SPAN:
        return "month"
    return "year"


def _periods(p: TrendsParams, archive: tuple[dt.date, dt.date] | None) -> tuple[str, Periods]:
    """The interval and the periods from the date filters' bounds, else the archive's first and
    last dated day (so every query shares one axis and the totals cover the archive)."""
    query = p.queries[0]
    first = query.date_from or (archive[0] if archive else None)
    last = query.date_to or (archive[1] if archive else None)
    if first is None or last is None or first > last:
        # Nothing dated in the range (an archive of undated articles, a bound beyond its dates).
        interval = p.interval or "month"
        return interval, Periods(interval, (), np.zeros(0, dtype=np.int64))
    interval = p.interval or default_interval(first, last)
    count = period_count(interval, first, last)
    if count > MAX_POINTS:
        raise QueryError("interval", f"interval={interval} from {first} to {last} makes "
                                     f"{count:,} points; the limit is {MAX_POINTS:,}: choose a "
                                     "longer interval or narrow from and to")
    return interval, periods(interval, first, last)


def _point(period: str | None, count: int, total: int) -> dict:
    return {"period": period, "count": count, "total": total,
            "share": count / total if total else 0.0}


def _values(raw: RawParams, name: str) -> list[str]:
    value = raw.get(name)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in items):
        raise QueryError(name, f"{name} must be text")
    return items


def _choice(raw: RawParams, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    values = [v.strip() for v in _values(raw, name) if v.strip()]
    if len(values) > 1:
        raise QueryError(name, f"give {name} once, not {len(values)} times")
    if not values:
        return default
    value = values[0].lower()
    if value not in allowed:
        raise QueryError(name, f"{name} must be one of {', '.join(allowed)}, not {values[0][:40]!r}")
    return value
