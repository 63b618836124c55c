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
    `paragraphs` are plain text, whitespace-normalised, never empty, and at most
    MAX_PARAGRAPH_CHARS long: a longer one is split at sentence ends (else at spaces) when the
    article is made, so that no single input can stall annotation, indexing or highlighting.
    """

    id: str
    title: str
    date: dt.date | None
    author: str
    dateline: str
    url: str
    source_path: str
    paragraphs: tuple[str, ...] = field(default_factory=tuple)
    # The language the source declares (`en`, `pt-BR`), "" when it says none. Every article
    # goes through the one English analyzer whatever its language (README: archive formats).
    language: str = ""
    # Set when the source gave a date that could not be read: the article is still indexed,
    # undated, and the reindex summary says so instead of losing the date silently.
    date_problem: str = ""
    # How many paragraphs over MAX_PARAGRAPH_CHARS the source gave (each split into several):
    # the reindex summary reports them.
    paragraphs_split: int = field(default=0, init=False)

    def __post_init__(self):
        if any(len(p) > MAX_PARAGRAPH_CHARS for p in self.paragraphs):
            pieces = [piece for p in self.paragraphs for piece in split_paragraph(p)]
            too_long = sum(len(p) > MAX_PARAGRAPH_CHARS for p in self.paragraphs)
            # The dataclass is frozen; this is its own constructor finishing the value.
            object.__setattr__(self, "paragraphs", tuple(pieces))
            object.__setattr__(self, "paragraphs_split", too_long)


# Ten times a long news paragraph; a reader's paragraph above it is a missing line break
# (a file with no newlines, a page whose markup was lost), not prose.
MAX_PARAGRAPH_CHARS = 10_000
_SENTENCE_ENDS = (". ", "! ", "? ", ".\" ", "; ")


def split_paragraph(text: str, limit: int = MAX_PARAGRAPH_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut after the last sentence end in the
    second half of each window, else at its last space, else at `limit`. Linear in `text`."""
    pieces = []
    start = 0
    while len(text) - start > limit:
        window_end = start + limit
        floor = start + limit // 2
        cut = -1
        for end in _SENTENCE_ENDS:
            at = text.rfind(end, floor, window_end)
            if at >= 0:
                cut = max(cut, at + len(end) - 1)  # after the stop (and quote), before the space
        if cut <= floor:
            space = text.rfind(" ", floor, window_end)
            cut = space if space > floor else window_end
        pieces.append(text[start:cut].strip())
        start = cut
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


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
