"""Dates mentioned in paragraph text ("On April 6, 2021", "November 10", "late September").

A small regex extractor; a missing year is taken from the article date. Must not import Whoosh,
the gazetteer or anything under search/.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

# The shape of an ISO day, whatever follows it (a time, a zone).
_ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
# How far ahead of the article a date written without its year may lie.
FUTURE_HORIZON_DAYS = 120
_MONTHS = {
    "January": 1, "Jan": 1, "February": 2, "Feb": 2, "March": 3, "Mar": 3, "April": 4, "Apr": 4,
    "May": 5, "June": 6, "Jun": 6, "July": 7, "Jul": 7, "August": 8, "Aug": 8,
    "September": 9, "Sept": 9, "Sep": 9, "October": 10, "Oct": 10, "November": 11, "Nov": 11,
    "December": 12, "Dec": 12,
}
_MONTH = r"(?P<{name}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{name}>(?:1[89]|20)\d\d)"
# A month with no day and no year is a date only after one of these words: "May" and "March"
# are also a verb, and a bare month name is often part of a name ("March Madness").
_MONTH_ONLY_CUE = (r"(?:\b(?:[Ee]arly|[Mm]id|[Ll]ate|[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|"
                   r"[Bb]efore|[Aa]fter|[Ff]rom|to|[Tt]hrough|[Dd]uring|[Ll]ast|[Nn]ext|[Tt]his|"
                   r"of|end|beginning|start|and)[ -])")
_PATTERN = re.compile(
    r"\b(?:"
    # April 6, 2021 · April 6 · Apr. 6th 2021
    + _MONTH.format(name="m1") + r"\s+" + _DAY.format(name="d1")
    + r"(?:,?\s+" + _YEAR.format(name="y1") + r")?(?![\d:])"
    # 6 April 2021 · 6th of April
    + r"|" + _DAY.format(name="d2") + r"\s+(?:of\s+)?" + _MONTH.format(name="m2")
    + r"(?:,?\s+" + _YEAR.format(name="y2") + r")?"
    # November 2020 · (late) September
    + r"|" + _MONTH.format(name="m3") + r"(?:,?\s+" + _YEAR.format(name="y3") + r")?"
    # 2021-04-06
    + r"|" + _YEAR.format(name="y4") + r"-(?P<m4>[01]\d)-(?P<d4>[0-3]\d)"
    + r")\b")
_CUE_BEFORE = re.compile(_MONTH_ONLY_CUE + r"(?:the\s+)?$")
_RELATIVE_BEFORE = re.compile(r"\b(?P<rel>[Ll]ast|[Nn]ext|[Tt]his)\s+$")
# "from late September to early November 2020": the year written once serves both months.
_RANGE_TAIL = re.compile(r"^\s*(?:-|–|to|until|till|through|and)\s+(?:(?:early|mid|late)[- ])?"
                         + _MONTH.format(name="m") + r"(?:\s+" + _DAY.format(name="d") + r",?)?"
                         + r"\s+" + _YEAR.format(name="y") + r"\b")


@dataclass(frozen=True)
class MentionedDate:
    """A day or a month named in a text, with its span and whether its year was inferred."""

    start: int
    end: int
    surface: str
    value: dt.date
    granularity: str
    year_inferred: bool

    @property
    def term(self) -> str:
        if self.granularity == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()

    def as_json(self) -> dict:
        return {"date": self.term, "granularity": self.granularity,
                "year_inferred": self.year_inferred, "start": self.start, "end": self.end,
                "text": self.surface}


def unreadable_date(written: str) -> str:
    """Why an article's date as written gave no day, for the build's summary: a `YYYY-MM-DD`
    that names no day of the calendar ('2020-02-30') is told apart from a date of another shape."""
    if _ISO_SHAPE.match(written.strip()):
        return f"date {written!r} is not a calendar date"
    return f"date {written!r} is not YYYY-MM-DD"


def period_days(year: int, month: int | None = None, day: int | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of a year, a month or a day: the one reading of `YYYY`, `YYYY-MM`
    and `YYYY-MM-DD`, shared by the date filters and the mentioned-date terms. Raises
    ValueError for a day that is not in the calendar."""
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if day is None:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    exact = dt.date(year, month, day)
    return exact, exact


def extract_mentioned_dates(text: str, article_date: dt.date | None) -> list[MentionedDate]:
    """Days and months named in `text`; a date with no year gets the one nearest `article_date`.

    Without an article date, dates that give no year are left out.
    """
    found = []
    for match in _PATTERN.finditer(text):
        mention = _mention(text, match, article_date)
        if mention is not None:
            found.append(mention)
    return found


def _mention(text: str, match: re.Match, article_date: dt.date | None) -> MentionedDate | None:
    g = match.groupdict()
    if g["y4"]:
        return _dated(match, int(g["y4"]), int(g["m4"]), int(g["d4"]), "day", False)
    month_name = g["m1"] or g["m2"] or g["m3"]
    month = _MONTHS[month_name]
    day_text = g["d1"] or g["d2"]
    year_text = g["y1"] or g["y2"] or g["y3"]
    granularity = "day" if day_text else "month"
    day = int(day_text) if day_text else 1
    if granularity == "month" and not year_text and not _CUE_BEFORE.search(text[:match.start()]):
        return None
    if year_text:
        return _dated(match, int(year_text), month, day, granularity, False)
    range_year = _range_year(text[match.end():], month)
    if range_year is not None:
        return _dated(match, range_year, month, day, granularity, False)
    if article_date is None:
        return None
    relative = _RELATIVE_BEFORE.search(text[:match.start()])
    year = inferred_year(month, day, article_date, relative.group("rel").lower() if relative else "")
    return _dated(match, year, month, day, granularity, True)


def _range_year(after: str, month: int) -> int | None:
    """The year written at the end of a range that starts with this month, if any."""
    tail = _RANGE_TAIL.match(after)
    if tail is None:
        return None
    year = int(tail.group("y"))
    return year - 1 if month > _MONTHS[tail.group("m")] else year


def inferred_year(month: int, day: int, article_date: dt.date, relative: str = "") -> int:
    """The year that puts month/day nearest the article date, leaning to the past.

    "last" and "next" pick a side.
    """
    candidates = []
    for year in (article_date.year - 1, article_date.year, article_date.year + 1):
        try:
            candidates.append(dt.date(year, month, min(day, 28) if month == 2 else day))
        except ValueError:
            continue
    if not candidates:  # no such day in any year ("April 31"): the caller drops it
        return article_date.year
    if relative == "last":
        candidates = [c for c in candidates if c < article_date] or candidates
        return max(candidates).year
    if relative == "next":
        candidates = [c for c in candidates if c > article_date] or candidates
        return min(candidates).year
    past = [c for c in candidates if c <= article_date]
    future = [c for c in candidates if c > article_date]
    if not past:
        return min(future).year
    # News reports on the past more than on the future: a later date wins only when it is
    # both nearer and within the next few months ("record April 17", "talks in May").
    if future and (min(future) - article_date).days <= FUTURE_HORIZON_DAYS and (
            min(future) - article_date < article_date - max(past)):
        return min(future).year
    return max(past).year


def _dated(match: re.Match, year: int, month: int, day: int, granularity: str,
           inferred: bool) -> MentionedDate | None:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    return MentionedDate(match.start(), match.end(), match.group(0), value, granularity, inferred)
