"""Reader for Reuters-21578 `.sgm` files: a tolerant scan (the feed is not valid XML) of
NEWID, DATE, TITLE, AUTHOR, DATELINE and BODY. Never reads the editors' TOPICS/PLACES/PEOPLE/ORGS
labels: place extraction is measured against them. Imports only `index.model` and text helpers.
"""
from __future__ import annotations

import datetime as dt
import re
from html.entities import html5

from index.model import Article, Skip
from index.sources.text import clean, drop_controls

_RECORD_START = re.compile(r"<REUTERS\b")
_NEWID = re.compile(r'\bNEWID\s*=\s*"?(\d+)')
_TEXT_TYPE = re.compile(r'<TEXT\b[^>]*?\bTYPE\s*=\s*"?(\w+)')
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_RAW_DATE = re.compile(r"<DATE>(.*?)</DATE>", re.DOTALL)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.DOTALL)
_AUTHOR = re.compile(r"<AUTHOR>(.*?)</AUTHOR>", re.DOTALL)
_DATELINE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.DOTALL)
# A body whose closing tag is lost ends where its record does.
_BODY = re.compile(r"<BODY>(.*?)(?:</BODY>|</TEXT>|</REUTERS>|\Z)", re.DOTALL)
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# The wire's sign-off at the end of a body, sometimes twice: " Reuter", "REUTER...", "REUTER^M",
# on a line of its own or after the last sentence or figure (but not "... told Reuters").
_SIGN_OFF = re.compile(
    r"(?:(?:\A|\n\s*|(?<![A-Za-z\s])\s+)reuters?[ \t]*(?:\.\.\.)?(?:\^M)?)+\s*\Z",
    re.IGNORECASE,
)
# Inside a body a newline followed by indentation starts a paragraph; other newlines wrap.
_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t])")
_BYLINE = re.compile(r"(?:by\s+)?(.*?)(?:,\s*reuters?)?", re.IGNORECASE)
_MONTHS = {name: n for n, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


def parse(text: str, source_path: str) -> tuple[list[Article], list[Skip]]:
    """The articles of one `.sgm` file, and a Skip for each record without NEWID or body."""
    records = _RECORD_START.split(text)[1:]
    if not records:
        return [], [Skip(source_path, "malformed", "no <REUTERS> record in the file")]
    articles: list[Article] = []
    skips: list[Skip] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        newid = _NEWID.search(record[:record.find(">")])
        if newid is None:
            skips.append(Skip(source_path, "malformed", f"record {number}: no NEWID"))
        elif newid[1] in seen:
            skips.append(Skip(source_path, "malformed", f"NEWID {newid[1]}: repeated"))
        else:
            seen.add(newid[1])
            article = _article(record, newid[1], source_path)
            if isinstance(article, Skip):
                skips.append(article)
            else:
                articles.append(article)
    return articles, skips


def _article(record: str, newid: str, source_path: str) -> Article | Skip:
    body = _BODY.search(record)
    paragraphs = _paragraphs(body[1]) if body else ()
    if not paragraphs:
        kind = _TEXT_TYPE.search(record)
        what = "an empty <BODY>" if body else "no <BODY>"
        if kind:
            what += f' (TEXT TYPE="{kind[1]}")'
        return Skip(source_path, "no body", f"NEWID {newid}: {what}")
    date = _date(record)
    written = _field(_RAW_DATE, record)
    return Article(
        id=newid, title=_field(_TITLE, record), date=date,
        author=_author(record), dateline=_field(_DATELINE, record), url="",
        source_path=source_path, paragraphs=paragraphs,
        date_problem=f"date {written!r} is not D-MON-YYYY" if written and date is None else "",
    )


def _paragraphs(body: str) -> tuple[str, ...]:
    body = _without_sign_off(drop_controls(decode_entities(body)))
    cleaned = (clean(chunk) for chunk in _PARAGRAPH_BREAK.split(body))
    return tuple(p for p in cleaned if p)


def _without_sign_off(body: str) -> str:
    # Searching only the last lines keeps this from scanning every body from its start.
    end = max(0, len(body.rstrip()) - 40)
    match = _SIGN_OFF.search(body, max(0, body.rfind("\n", 0, end)))
    return body[:match.start()] if match else body


def _field(pattern: re.Pattern, record: str) -> str:
    match = pattern.search(record)
    return clean(decode_entities(match[1])) if match else ""


def _author(record: str) -> str:
    byline = _field(_AUTHOR, record)
    return _BYLINE.fullmatch(byline)[1] if byline else ""


def _date(record: str) -> dt.date | None:
    match = _DATE.search(record)
    if match is None or match[2].upper() not in _MONTHS:
        return None
    try:
        return dt.date(int(match[3]), _MONTHS[match[2].upper()], int(match[1]))
    except ValueError:
        return None


def decode_entities(text: str) -> str:
    """`text` with SGML/HTML character references decoded; unknown names left as written."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _entity(match: re.Match) -> str:
    name = match[1]
    if name[0] != "#":
        return html5.get(name + ";", match[0])
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    # A reference to no character (0, a surrogate, past U+10FFFF) carries no text.
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
