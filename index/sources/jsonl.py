"""Reader for `.jsonl` archives: one JSON article per line, with `paragraphs` or `text`.

A bad line is skipped with its line number and the others are read. Imports only
`index.model` and the shared text helpers.
"""
from __future__ import annotations

import json

from index.model import Article, Skip
from index.sources.text import blank_line_paragraphs, clean, iso_day

# strict=False: a raw tab or newline inside a string is a producer's slip, not a reason to
# lose the article.
_DECODER = json.JSONDecoder(strict=False)
_TEXT_FIELDS = ("title", "author", "url", "dateline")


class _BadRecord(ValueError):
    """A record that cannot become an article; carries the Skip reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def parse(text: str, source_path: str) -> tuple[list[Article], list[Skip]]:
    """The articles of a `.jsonl` file and a Skip for each line that is not one."""
    articles: list[Article] = []
    skips: list[Skip] = []
    first_line_of: dict[str, int] = {}
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and other line separators.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            article = _article(line, source_path)
        except _BadRecord as bad:
            skips.append(Skip(source_path, bad.reason, f"line {number}: {bad}"))
            continue
        if article.id in first_line_of:
            first = first_line_of[article.id]
            detail = f"line {number}: id {article.id!r} already used on line {first}"
            skips.append(Skip(source_path, "malformed", detail))
            continue
        first_line_of[article.id] = number
        articles.append(article)
    return articles, skips


def _article(line: str, source_path: str) -> Article:
    try:
        record = _DECODER.decode(line)
    except json.JSONDecodeError as err:
        raise _BadRecord("malformed", f"invalid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(record, dict):
        raise _BadRecord("malformed", f"a JSON {type(record).__name__}, not an object")
    article_id = _article_id(record.get("id"))
    fields = {name: _text_field(record, name) for name in _TEXT_FIELDS}
    date = record.get("date")
    paragraphs = _paragraphs(record)
    if not paragraphs:
        raise _BadRecord("no body", f"id {article_id!r} has no text")
    day = iso_day(date) if isinstance(date, str) else None
    problem = "" if day is not None or date in (None, "") else f"date {date!r} is not an ISO 8601 date"
    return Article(
        id=article_id, date=day, source_path=source_path, paragraphs=paragraphs,
        date_problem=problem, **fields,
    )


def _article_id(value) -> str:
    # bool is an int subclass, and True is no id anyone meant.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _BadRecord("malformed", "no id (a non-empty string or an integer)")


def _text_field(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadRecord("malformed", f"{name!r} is a {type(value).__name__}, not a string")
    return clean(value)


def _paragraphs(record: dict) -> tuple[str, ...]:
    paragraphs, text = record.get("paragraphs"), record.get("text")
    if paragraphs is not None:
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            raise _BadRecord("malformed", "'paragraphs' is not a list of strings")
        return tuple(p for p in map(clean, paragraphs) if p)
    if text is not None:
        if not isinstance(text, str):
            raise _BadRecord("malformed", f"'text' is a {type(text).__name__}, not a string")
        return blank_line_paragraphs(text)
    return ()
