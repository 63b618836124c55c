"""Reader for `.jsonl` archives: one JSON article per line, with `paragraphs` or `text`.

A bad line is skipped with its line number and the others are read. `records` streams a file a
line at a time, so memory holds one line (at most max_record_bytes) whatever the file's size.
Imports only `index.model` and the shared text and name helpers.
"""
from __future__ import annotations

import io
import json
from collections.abc import Iterator

from index.model import Article, Skip
from index.sources.names import safe_id
from index.sources.text import blank_line_paragraphs, clean, decode, iso_day

# An over-long line is read past in pieces of this size, never held whole.
_DRAIN_BYTES = 1 << 20
# A NUL byte this near the start makes the file binary (an image or archive given a .jsonl name),
# whatever its first line looks like.
_SNIFF_BYTES = 8192

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
        found = _line_record(line, number, source_path, first_line_of)
        if found is not None:
            (articles if isinstance(found, Article) else skips).append(found)
    return articles, skips


def records(stream: io.BufferedReader, source_path: str,
            record_bytes: int) -> Iterator[Article | Skip]:
    """The articles of a `.jsonl` stream and a Skip for each line that is not one, a line at a
    time. A line over `record_bytes` is skipped as too large without being held. A NUL byte or
    bytes that are not UTF-8 end the reading, as they mean a binary or mis-encoded file (one
    Skip, not one per line); the lines before them stay read. Errors of the stream itself
    (a damaged gzip, TooLarge) are the caller's."""
    if b"\0" in stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]:
        yield Skip(source_path, "binary", "NUL bytes: not a text file")
        return
    first_line_of: dict[str, int] = {}
    number = 0
    any_text = False
    while raw := stream.readline(record_bytes + 1):
        if b"\0" in raw:
            yield _stopped(source_path, "binary", "NUL bytes: not a text file", number + 1, any_text)
            return
        if len(raw) > record_bytes and not raw.endswith(b"\n"):
            number += 1
            any_text = True
            _read_past_line(stream)
            yield Skip(source_path, "too large",
                       f"line {number}: more than {record_bytes / 1e6:,.1f} MB (max_record_bytes)")
            continue
        try:
            text = decode(raw[:-1] if raw.endswith(b"\n") else raw)
        except UnicodeDecodeError as err:
            problem = f"not UTF-8 (byte {err.object[err.start]:#04x} at column {err.start + 1})"
            yield _stopped(source_path, "undecodable", problem, number + 1, any_text)
            return
        # A lone carriage return ends a line too, as it did when the file was read whole.
        for line in text.split("\n"):
            number += 1
            any_text = any_text or bool(line.strip())
            found = _line_record(line, number, source_path, first_line_of)
            if found is not None:
                yield found
    if not any_text:
        yield Skip(source_path, "empty", "the file holds no text")


def _stopped(source_path: str, reason: str, problem: str, number: int, read_before: bool) -> Skip:
    if not read_before:
        return Skip(source_path, reason, problem)
    return Skip(source_path, reason, f"line {number}: {problem}; reading stopped there, "
                                     "the lines before it were read")


def _read_past_line(stream: io.BufferedReader) -> None:
    while (piece := stream.readline(_DRAIN_BYTES)) and not piece.endswith(b"\n"):
        pass


def _line_record(line: str, number: int, source_path: str,
                 first_line_of: dict[str, int]) -> Article | Skip | None:
    """The line's article, or a Skip naming the line, or None for a blank line. `first_line_of`
    holds the ids seen so far and their lines: a repeated id is a Skip."""
    if not line.strip():
        return None
    try:
        article = _article(line, source_path)
    except _BadRecord as bad:
        return Skip(source_path, bad.reason, f"line {number}: {bad}")
    except MemoryError:
        return Skip(source_path, "too large", f"line {number}: ran out of memory reading it")
    if article.id in first_line_of:
        first = first_line_of[article.id]
        return Skip(source_path, "malformed",
                    f"line {number}: id {article.id!r} already used on line {first}")
    first_line_of[article.id] = number
    return article


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
        return safe_id(value.strip())
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
