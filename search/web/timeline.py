"""The search page's timeline: hits per month (per year for long spans, per day within one
month) as bars in SVG units, from the search body's day, month and year facets. Pure
functions; imports nothing of the project.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass

# Months are drawn when the hits span at most this many; beyond it a month bar is too thin to
# read or click, and years say more.
MAX_MONTH_BARS = 36
# Empty buckets between the first and last are drawn (as gaps) up to this many bars; a wider
# span (a stray date centuries away) would squeeze the real bars into slivers, so only the
# non-empty buckets are drawn then.
MAX_BARS = 120
SLOT = 10          # SVG units per bar, gap included
BAR_WIDTH = 8
HEIGHT = 60        # SVG units of the tallest bar
MIN_BAR = 2        # a bar with one hit stays visible and clickable


@dataclass(frozen=True)
class Bar:
    """One bucket: `value` is what `from` and `to` take to narrow the dates to it."""

    value: str
    label: str
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Timeline:
    unit: str                 # "day", "month" or "year"
    bars: tuple[Bar, ...]
    width: int                # of the SVG viewBox
    height: int
    max_count: int


def timeline(months: list[dict], years: list[dict], days: list[dict] = ()) -> Timeline | None:
    """Bars for the facet rows (`{"value": "1987-03", "count": 5}`), or None without dated hits.

    Months are used only when the month facet is complete (its counts add up to the year
    facet's: the service caps facet lists) and span few enough months; days, when the hits fall
    in one month and the day facet is complete (a month opens its days).
    """
    month_counts = {row["value"]: row["count"] for row in months}
    year_counts = {row["value"]: row["count"] for row in years}
    day_counts = {row["value"]: row["count"] for row in days}
    if not month_counts and not year_counts:
        return None
    complete = sum(month_counts.values()) == sum(year_counts.values())
    if (len(month_counts) == 1 and complete
            and sum(day_counts.values()) == sum(month_counts.values())):
        month = next(iter(month_counts))
        return _drawn("day", _filled(day_counts, lambda first, last: _days_of(month)))
    if month_counts and complete and _month_span(month_counts) <= MAX_MONTH_BARS:
        return _drawn("month", _filled(month_counts, _months_between))
    return _drawn("year", _filled(year_counts, _years_between))


def month_label(value: str) -> str:
    """"1987-03" → "Mar 1987"."""
    year, month = value.split("-")
    return f"{calendar.month_abbr[int(month)]} {year}"


def day_label(value: str) -> str:
    """"1987-03-02" → "2 Mar 1987"."""
    year, month, day = value.split("-")
    return f"{int(day)} {calendar.month_abbr[int(month)]} {year}"


def _days_of(month: str) -> list[str]:
    """Every day of "YYYY-MM", as YYYY-MM-DD."""
    year, number = (int(part) for part in month.split("-"))
    return [f"{month}-{day:02d}" for day in range(1, calendar.monthrange(year, number)[1] + 1)]


def _drawn(unit: str, counts: list[tuple[str, int]]) -> Timeline:
    top = max(count for _, count in counts)
    bars = []
    for i, (value, count) in enumerate(counts):
        height = 0 if count == 0 else max(MIN_BAR, round(HEIGHT * count / top))
        label = month_label(value) if unit == "month" else day_label(value) if unit == "day" else value
        bars.append(Bar(value, label, count, i * SLOT + (SLOT - BAR_WIDTH) // 2,
                        HEIGHT - height, height))
    return Timeline(unit, tuple(bars), len(bars) * SLOT, HEIGHT, top)


def _filled(counts: dict[str, int], between) -> list[tuple[str, int]]:
    """Every bucket from the first to the last, empty ones as 0, unless that is too many."""
    keys = sorted(counts)
    every = between(keys[0], keys[-1])
    if len(every) > MAX_BARS:
        every = keys
    return [(key, counts.get(key, 0)) for key in every]


def _month_number(value: str) -> int:
    year, month = value.split("-")
    return int(year) * 12 + int(month) - 1


def _month_span(counts: dict[str, int]) -> int:
    keys = sorted(counts)
    return _month_number(keys[-1]) - _month_number(keys[0]) + 1


def _months_between(first: str, last: str) -> list[str]:
    return [f"{n // 12:04d}-{n % 12 + 1:02d}"
            for n in range(_month_number(first), _month_number(last) + 1)]


def _years_between(first: str, last: str) -> list[str]:
    return [f"{year:04d}" for year in range(int(first), int(last) + 1)]
