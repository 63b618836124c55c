"""Text helpers shared by the archive readers: decoding, cleaning, paragraph splitting, dates.

Pure functions on bytes and strings; imports nothing from the rest of the project but the stdlib.
"""
from __future__ import annotations

import datetime as dt
import re

# C0 and C1 control characters other than whitespace are dropped, never turned into spaces:
# in the Reuters feed they are line noise inside words ("cla\x7fimed").
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLANK_LINE = re.compile(r"\n[ \t\f\v\r]*\n")
# A calendar day at the start of an ISO 8601 value; what follows (time, zone) is ignored so
# that the day stays the one the source wrote.
_ISO_DAY = re.compile(r"\s*(\d{4})-?(\d{2})-?(\d{2})(?![\d])")


def decode(data: bytes, *, latin1_fallback: bool = False) -> str:
    """`data` as text with `\\n` line ends; raises UnicodeDecodeError when it is not UTF-8
    and latin-1 is not allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not latin1_fallback:
            raise
        text = data.decode("latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def drop_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def clean(text: str) -> str:
    """`text` without control characters, every whitespace run made one space, stripped."""
    return " ".join(drop_controls(text).split())


def blank_line_paragraphs(text: str) -> tuple[str, ...]:
    """The cleaned, non-empty paragraphs of `text`, separated by blank lines."""
    cleaned = (clean(chunk) for chunk in _BLANK_LINE.split(text))
    return tuple(p for p in cleaned if p)


def iso_day(value: str) -> dt.date | None:
    """The calendar day an ISO 8601 date or date-time starts with, or None if it has none."""
    match = _ISO_DAY.match(value)
    if match is None:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
