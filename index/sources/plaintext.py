"""Reader for the users' own `.txt` articles: a ` date YYYY-MM-DD By <author>` line, then
paragraphs separated by blank lines. Imports only `index.model` and the shared text helpers.
"""
from __future__ import annotations

import re

from index.dates import unreadable_date
from index.model import Article, Skip
from index.sources.text import blank_line_paragraphs, clean, file_article_id, iso_day

# Tolerant of spacing, case, a colon after "date" and a missing "By". A first line counts as
# the header only when what follows "date" starts with a digit or is "By", so an article
# that opens "Date palms grow ..." keeps its first sentence.
_HEADER = re.compile(r"[ \t]*date\b:?(?P<when>.*?)(?:[ \t]by\b(?P<author>.*))?", re.IGNORECASE)


def parse(text: str, source_path: str) -> tuple[list[Article], list[Skip]]:
    """The one article of a `.txt` file; its id is the file name without extensions."""
    first, _, rest = text.lstrip().partition("\n")
    header = _header(first)
    (when, author), body = (header, rest) if header else (("", ""), text)
    paragraphs = blank_line_paragraphs(body)
    if not paragraphs:
        return [], [Skip(source_path, "empty", "no text after the date line")]
    date = iso_day(when) if when else None
    article = Article(
        id=file_article_id(source_path), title="", date=date, author=author, dateline="", url="",
        source_path=source_path, paragraphs=paragraphs,
        date_problem=unreadable_date(when) if when and date is None else "",
    )
    return [article], []


def _header(line: str) -> tuple[str, str] | None:
    """(the date as written, author) when `line` is a date line, else None."""
    match = _HEADER.fullmatch(line.rstrip())
    if match is None:
        return None
    when, author = match["when"].strip(), match["author"]
    if when and not when[0].isdigit():
        return None
    if author is None:
        if not when:
            return None
        when, _, author = when.replace("\t", " ").partition(" ")  # no "By": author follows
    return when, clean(author)
