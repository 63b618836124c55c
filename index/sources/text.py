"""Text helpers shared by the archive readers: decoding, cleaning, paragraph splitting, dates,
file names and ids.

Pure functions on bytes and strings; imports nothing from the rest of the project but the stdlib
and the name helpers beside it.
"""
from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import re

from index.sources.names import safe_id

# C0 and C1 control characters other than whitespace are dropped, never turned into spaces:
# in the Reuters feed they are line noise inside words ("cla\x7fimed"). Lone surrogates (a JSON
# "\ud800" escape) are no text either, and Whoosh cannot encode them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n[ \t\f\v\r]*\n")
# A calendar day at the start of an ISO 8601 value; what follows (time, zone) is ignored so
# that the day stays the one the source wrote.
_ISO_DAY = re.compile(r"\s*(\d{4})-?(\d{2})-?(\d{2})(?![\d])")
# The charset a page declares in its first bytes (<meta charset> or http-equiv Content-Type).
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9]+")
COMPRESSED = ".gz"


def decode(data: bytes, *, latin1_fallback: bool = False) -> str:
    """`data` as text with `\\n` line ends; raises UnicodeDecodeError when it is not UTF-8
    and latin-1 is not allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not latin1_fallback:
            raise
        text = data.decode("latin-1")
    return _unix_lines(text)


def decode_page(data: bytes, declared: str = "") -> str:
    """A web page's bytes as text: UTF-16 when it starts with that byte-order mark, else in the
    charset its HTTP header (`declared`) or its own <meta> names, else UTF-8, else windows-1252
    (what browsers assume for an undeclared page).

    Raises UnicodeDecodeError when the page names a charset Python does not know and is not
    UTF-8 either: guessing would index mojibake.
    """
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return _unix_lines(data.decode("utf-16", errors="replace"))  # a byte-order mark decides
    meta = _META_CHARSET.search(data[:4096])
    named = declared or (meta[1].decode("ascii") if meta else "")
    if named:
        try:
            return _unix_lines(data.decode(_codec(named), errors="replace"))
        except LookupError:
            try:
                return decode(data)
            except UnicodeDecodeError as err:
                raise UnicodeDecodeError(
                    err.encoding, err.object, err.start, err.end,
                    f"names the unknown charset {named!r} and is not UTF-8") from None
    try:
        return decode(data)
    except UnicodeDecodeError:
        return _unix_lines(data.decode("cp1252", errors="replace"))


def _codec(name: str) -> str:
    """Python's codec for a charset label. Browsers read latin-1 and ascii labels as
    windows-1252, and a UTF-8 page may start with a byte-order mark."""
    codec = codecs.lookup(name).name
    if codec in ("latin-1", "ascii", "iso8859-1"):
        return "cp1252"
    return "utf-8-sig" if codec == "utf-8" else codec


def _unix_lines(text: str) -> str:
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


def without_compression(name: str) -> tuple[str, bool]:
    """`name` without a trailing `.gz`, and whether it had one."""
    if name.lower().endswith(COMPRESSED):
        return name[:-len(COMPRESSED)], True
    return name, False


def format_suffix(name: str) -> str:
    """The suffix that names a file's format, lower case, ignoring a trailing `.gz`:
    `a.html.gz` -> `.html`."""
    return os.path.splitext(without_compression(name)[0])[1].lower()


def file_article_id(source_path: str) -> str:
    """A one-article file's id: its name without the format suffix and any `.gz`, made safe
    when the name holds control characters or bytes that are not UTF-8 (`safe_id`)."""
    return safe_id(os.path.splitext(without_compression(os.path.basename(source_path))[0])[0])


def stable_id(key: str) -> str:
    """An article id for a URL, feed guid or other key: a readable part (the key's last words,
    letters and digits only) and a hash of the whole key, so two keys never share an id and the
    same key always gets the same one."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    words = _NOT_IN_ID.sub("-", key.split("://", 1)[-1]).strip("-")
    readable = words[-48:].lstrip("-")
    return f"{readable}-{digest}" if readable else digest
