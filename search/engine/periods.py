"""Counts per period (day, month or year) for trends: each document's period key from the
generation's doc values, the periods of a span, and paragraphs or distinct articles per period
by one bincount over the span. Pure numpy, no loop over documents; never imports search.service.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from search.engine.arrays import distinct
from search.engine.doc_values import Columns

INTERVALS = ("day", "month", "year")


@dataclass(frozen=True)
class Periods:
    """The periods of a span, in order: each one's label (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`,
    as the date filters take it) and its key (the day's ordinal, `YYYYMM`, or the year), the
    key that `document_keys` gives every document dated in it."""

    interval: str
    labels: tuple[str, ...]
    keys: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def period_count(interval: str, first: dt.date, last: dt.date) -> int:
    """How many periods [first, last] touches (computed before any is made, for the limit)."""
    if interval == "day":
        return (last - first).days + 1
    if interval == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return last.year - first.year + 1


def periods(interval: str, first: dt.date, last: dt.date) -> Periods:
    """Every period from the one holding `first` to the one holding `last`."""
    if interval == "day":
        keys = list(range(first.toordinal(), last.toordinal() + 1))
        labels = [dt.date.fromordinal(k).isoformat() for k in keys]
    elif interval == "month":
        start = first.year * 12 + first.month - 1
        numbers = range(start, start + period_count("month", first, last))
        keys = [(n // 12) * 100 + n % 12 + 1 for n in numbers]
        labels = [f"{k // 100:04d}-{k % 100:02d}" for k in keys]
    else:
        keys = list(range(first.year, last.year + 1))
        labels = [f"{k:04d}" for k in keys]
    return Periods(interval, tuple(labels), np.array(keys, dtype=np.int64))


@dataclass(frozen=True)
class ArchiveCounts:
    """The live paragraphs (or articles) of the whole archive per period key, from its first
    dated key to its last, and the undated ones: made once per generation and interval."""

    low: int
    counts: np.ndarray
    undated: int

    def at(self, spans: Periods) -> np.ndarray:
        """The count of each period of `spans` (0 outside the archive's dates)."""
        found = np.zeros(len(spans), dtype=np.int64)
        rows = spans.keys - self.low
        inside = (rows >= 0) & (rows < len(self.counts))
        found[inside] = self.counts[rows[inside]]
        return found


def archive_counts(columns: Columns, interval: str, by_article: bool) -> ArchiveCounts:
    """The archive's live paragraphs (distinct articles when `by_article`) per period key."""
    live = np.flatnonzero(columns.alive)
    keys = document_keys(columns, interval, live)
    articles = columns.article[live] if by_article else None
    dated = keys[keys > 0]
    missing = undated(keys, articles)
    if not len(dated):
        return ArchiveCounts(0, np.zeros(0, dtype=np.int64), missing)
    low, high = int(dated.min()), int(dated.max())
    if articles is not None:
        keys = _article_keys(keys[keys > 0], articles[keys > 0])
    else:
        keys = dated
    return ArchiveCounts(low, np.bincount(keys - low, minlength=high - low + 1), missing)


def document_keys(columns: Columns, interval: str, ids: np.ndarray) -> np.ndarray:
    """The period key of each document of `ids`; 0 when undated."""
    if interval == "day":
        return columns.day[ids]
    months = columns.month[ids]
    return months // 100 if interval == "year" else months


def per_period(keys: np.ndarray, spans: Periods, articles: np.ndarray | None = None) -> np.ndarray:
    """How many of the documents with these period keys fall in each period of `spans`; with
    `articles` (each document's article number), how many distinct articles do.

    One bincount over the keys' range from the first period to the last: months' keys
    (`YYYYMM`) leave gaps of 88 a year between December and January, which cost nothing."""
    if not len(spans):
        return np.zeros(0, dtype=np.int64)
    low, high = int(spans.keys[0]), int(spans.keys[-1])
    inside = (keys >= low) & (keys <= high)
    keys = keys[inside]
    if articles is not None:
        keys = _article_keys(keys, articles[inside])
    counts = np.bincount((keys - low).astype(np.int64), minlength=high - low + 1)
    return counts[spans.keys - low]


def undated(keys: np.ndarray, articles: np.ndarray | None = None) -> int:
    """How many of the documents (or of their distinct articles) have no date."""
    missing = keys == 0
    if articles is None:
        return int(np.count_nonzero(missing))
    return len(distinct(articles[missing]))


def dated_range(columns: Columns) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the live dated documents (None when none is dated)."""
    days = columns.day[columns.alive]
    days = days[days > 0]
    if not len(days):
        return None
    return dt.date.fromordinal(int(days.min())), dt.date.fromordinal(int(days.max()))


def _article_keys(keys: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """One key per distinct (key, article) pair: an article counts once in its period however
    many of its paragraphs are there."""
    if not len(keys):
        return keys
    width = int(articles.max()) + 1
    pairs = distinct(keys.astype(np.int64) * width + articles)
    return pairs // width
