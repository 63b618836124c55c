"""What the annotators find in a piece of text, as lines: `manage.py places`, the way to check
and tune the gazetteer by hand."""
from __future__ import annotations

import datetime as dt

from index.dates import extract_mentioned_dates
from index.places import Gazetteer


def places_and_dates(text: str, article_date: str | None = None) -> list[str]:
    """One line per place and per date found, with its span; `article_date` (YYYY-MM-DD) is
    the context for dates written without a year. Raises ValueError for a bad date."""
    day = dt.date.fromisoformat(article_date) if article_date else None
    lines = []
    for m in Gazetteer.load().find(text):
        p = m.place
        where = p.name if p.kind == "country" else f"{p.name}, {p.country}"
        lines.append(f"place  {m.start:>5}-{m.end:<5} {m.surface!r} -> {where} ({p.kind}, id {p.id})")
    for d in extract_mentioned_dates(text, day):
        inferred = ", year inferred" if d.year_inferred else ""
        lines.append(f"date   {d.start:>5}-{d.end:<5} {d.surface!r} -> {d.term} ({d.granularity}{inferred})")
    return lines or ["no places or dates found"]
