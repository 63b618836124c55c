"""What the annotators find in a piece of text: `manage.py places`, the way to check and tune the
gazetteer by hand (as lines) or from a script (as one JSON object per text)."""
from __future__ import annotations

import datetime as dt

from index.dates import extract_mentioned_dates
from index.places import Gazetteer


def article_day(article_date: str | None) -> dt.date | None:
    """The `--date` value as a day; raises ValueError for anything but YYYY-MM-DD."""
    return dt.date.fromisoformat(article_date) if article_date else None


def places_and_dates(text: str, gazetteer: Gazetteer, day: dt.date | None = None) -> list[str]:
    """One line per place and per date found, with its span; `day` is the context for dates
    written without a year."""
    lines = []
    for m in gazetteer.find(text):
        p = m.place
        where = p.name if p.kind == "country" else f"{p.name}, {p.country}"
        lines.append(f"place  {m.start:>5}-{m.end:<5} {m.surface!r} -> {where} ({p.kind}, id {p.id})")
    for d in extract_mentioned_dates(text, day):
        inferred = ", year inferred" if d.year_inferred else ""
        lines.append(f"date   {d.start:>5}-{d.end:<5} {d.surface!r} -> {d.term} ({d.granularity}{inferred})")
    return lines or ["no places or dates found"]


def places_and_dates_json(text: str, gazetteer: Gazetteer, day: dt.date | None = None) -> dict:
    """The same findings as plain data: every place with its span, canonical entry and point,
    every date with its span and value (YYYY-MM-DD, or YYYY-MM for a month)."""
    return {
        "places": [{"start": m.start, "end": m.end, "surface": m.surface, **m.place.as_json()}
                   for m in gazetteer.find(text)],
        "dates": [{"start": d.start, "end": d.end, "surface": d.surface, "value": d.term,
                   "granularity": d.granularity}
                  for d in extract_mentioned_dates(text, day)],
    }
