"""The "Compare over time" page (GET /trends): up to five queries' trends as one line chart drawn
on the server in SVG (a line per query, each point a link to the search for that query and
period), a legend, a toggle between share and raw counts, and the numbers as a table, the
chart's text alternative. A thin door onto search.service.trends; never imports Bottle or Whoosh.
"""
from __future__ import annotations

import math

from search.errors import QueryError
from search.service.params import RawParams
from search.service.trends import MAX_QUERIES, Trends
from search.web import page
from search.web.timeline import day_label, month_label

MEASURES = ("share", "count")
# The page counts stories, as the search page does, unless the URL asks for paragraphs.
PAGE_GROUP = "article"
# The search parameters a point's link and the form carry besides q and the dates.
CARRIED = ("place", "mode", "match", "group", "collapse")
WIDTH, HEIGHT = 640, 240              # SVG units of the chart
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 28
# Distinct by colour and by dash, so the lines stay apart in grey or for colour-blind readers.
COLOURS = ("#1f5fa8", "#b3261e", "#2e7d32", "#7b1fa2", "#a65200")
DASHES = ("none", "7 4", "2 3", "9 3 2 3", "4 2")
GRID_LINES = 5


def trends_view(compare: Trends, params: RawParams) -> page.View:
    """The form alone (no query yet), the form with the message beside it (400), or the chart."""
    state = page._state(params)
    measure = page._one(state, "measure").lower()
    measure = measure if measure in MEASURES else MEASURES[0]
    form = _form(state)
    if not state.get("q"):
        return page.View(200, "trends", {**form, "chart": None, "error": None,
                                         "page_title": "Compare over time – News Search"})
    try:
        body = compare.trends(_service_params(state))
    except QueryError as e:
        return page.View(400, "trends", {**form, "chart": None,
                                         "error": {"param": e.param, "message": e.message},
                                         "page_title": "Fix the comparison – News Search"})
    queries = " · ".join(s["q"] for s in body["series"])
    return page.View(200, "trends", {**form, "error": None,
                                     "chart": chart(state, body, measure),
                                     "page_title": f"{queries} over time – News Search"})


def chart(state: page.State, body: dict, measure: str) -> dict:
    """The chart, legend, toggle and table as template data (SVG units, labels and links)."""
    unit = "paragraph" if _group(state) == "paragraph" else "article"
    dated = [[p for p in s["points"] if p["period"] is not None] for s in body["series"]]
    labels = [_label(p["period"], body["interval"]) for p in dated[0]]
    top = _rounded_up(max((p[measure] for points in dated for p in points), default=0))
    xs = _xs(len(labels))
    lines = []
    for i, (series, points) in enumerate(zip(body["series"], dated)):
        marks = [{"x": x, "y": _y(p[measure], top), "href": _search_href(state, series["q"], p["period"]),
                  "label": f"{series['q']}, {label}: {_amount(p, unit)}"}
                 for x, p, label in zip(xs, points, labels)]
        lines.append({"q": series["q"], "colour": COLOURS[i], "dash": DASHES[i],
                      "points": " ".join(f"{m['x']},{m['y']}" for m in marks), "marks": marks,
                      "count": sum(p["count"] for p in series["points"]),
                      "timed_out": series["timed_out"]})
    return {
        "measure": measure, "unit": unit, "interval": body["interval"],
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "grid": [{"y": _y(top * k / GRID_LINES, top), "label": _value(top * k / GRID_LINES, measure)}
                 for k in range(GRID_LINES + 1)],
        "ticks": [{"x": xs[i], "label": labels[i], "anchor": anchor}
                  for i, anchor in _tick_rows(len(labels))],
        "lines": lines,
        "toggle": [{"label": "Share of all " + unit + "s" if m == "share" else "Number of " + unit + "s",
                    "current": m == measure, "href": _self_href(state, {"measure": [m]})}
                   for m in MEASURES],
        "table": _table(state, body, unit),
    }


# ---------------------------------------------------------------- the request

def _service_params(state: page.State) -> dict[str, str | list[str]]:
    """The state as the service takes it: the page's own `measure` left out, the page's group."""
    params: dict[str, str | list[str]] = {
        name: values if name in ("q", "place") else values[0]
        for name, values in state.items() if name not in ("measure", "format")}
    params.setdefault("group", PAGE_GROUP)
    return params


def _group(state: page.State) -> str:
    return page._one(state, "group").lower() or PAGE_GROUP


def _form(state: page.State) -> dict:
    queries = state.get("q", [])
    return {
        "queries": [queries[i] if i < len(queries) else "" for i in range(MAX_QUERIES)],
        "from_": page._one(state, "from"), "to": page._one(state, "to"),
        "interval": page._one(state, "interval").lower(),
        "paragraphs": _group(state) == "paragraph",
        "hidden": [(name, value) for name in ("place", "mode", "match", "measure")
                   for value in state.get(name, [])],
    }


def _self_href(state: page.State, changes: dict) -> str:
    """This page's URL with `changes` (the search page's parameter order and encoding)."""
    return "/trends" + page._href(state, changes).removeprefix("/")


def _search_href(state: page.State, q: str, period: str) -> str:
    """The search page for one query in one period, with the comparison's filters."""
    carried = {name: state[name] for name in CARRIED if name in state}
    return page._href(carried, {"q": [q], "from": [period], "to": [period]})


# ---------------------------------------------------------------- geometry and words

def _xs(n: int) -> list[float]:
    inner = WIDTH - LEFT - RIGHT
    if n == 1:
        return [LEFT + inner / 2]
    return [round(LEFT + inner * i / (n - 1), 1) for i in range(n)]


def _y(value: float, top: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top), 1)


def _rounded_up(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten at or above `value` (so its fifths, the
    grid lines, are round numbers); 1 for an empty chart."""
    if value <= 0:
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-9))


def _tick_rows(n: int) -> list[tuple[int, str]]:
    """The periods named under the axis: the first and the last (one when they are one)."""
    if n == 0:
        return []
    if n == 1:
        return [(0, "middle")]
    return [(0, "start"), (n - 1, "end")]


def _label(period: str, interval: str) -> str:
    if interval == "month":
        return month_label(period)
    if interval == "day":
        return day_label(period)
    return period


def _value(value: float, measure: str) -> str:
    return percent(value) if measure == "share" else f"{value:,.0f}" if value >= 10 or value == 0 \
        else f"{value:.1f}".rstrip("0").rstrip(".")


def percent(share: float) -> str:
    """A share as a percentage with two significant digits: 0.0024 → "0.24 %"."""
    pct = share * 100
    if pct == 0:
        return "0 %"
    decimals = max(0, 1 - math.floor(math.log10(pct)))
    return f"{pct:.{decimals}f} %"


def _amount(point: dict, unit: str) -> str:
    return (f"{point['count']:,} of {point['total']:,} {unit}s ({percent(point['share'])})")


def _table(state: page.State, body: dict, unit: str) -> dict:
    """Rows of periods, a column per query (count, linked, and share) and the archive's total."""
    series = body["series"]
    rows = []
    for i, point in enumerate(series[0]["points"]):
        period = point["period"]
        cells = [{"count": f"{s['points'][i]['count']:,}", "share": percent(s["points"][i]["share"]),
                  "href": _search_href(state, s["q"], period) if period else None}
                 for s in series]
        rows.append({"label": _label(period, body["interval"]) if period else "Undated",
                     "cells": cells, "total": f"{point['total']:,}"})
    return {"heading": body["interval"].capitalize(), "queries": [s["q"] for s in series],
            "rows": rows, "total_heading": f"All {unit}s"}
