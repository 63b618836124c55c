"""Plain records that flow from the readers to the index builder.

They hold no Whoosh objects, so readers and annotators stay testable on their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One article as a reader found it, before annotation.

    `date` is a calendar day (None when the source gives none: the article is indexed as undated).
    `paragraphs` are plain text, whitespace-normalised, never empty.
    """

    id: str
    title: str
    date: dt.date | None
    author: str
    dateline: str
    url: str
    source_path: str
    paragraphs: tuple[str, ...] = field(default_factory=tuple)
    # Set when the source gave a date that could not be read: the article is still indexed,
    # undated, and the reindex summary says so instead of losing the date silently.
    date_problem: str = ""


@dataclass(frozen=True)
class Skip:
    """A file or a record inside a file that was not indexed, and why.

    `reason` is a short category used to group skips in the reindex summary
    ("unreadable", "undecodable", "binary", "empty", "malformed", "no body", "unsupported",
    "duplicate id");
    `detail` says where and what, for the operator.
    """

    path: str
    reason: str
    detail: str = ""
