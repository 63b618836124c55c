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
    "duplicate id", "too large", "not a file", "bad file name");
    `detail` says where and what, for the operator.
    """

    path: str
    reason: str
    detail: str = ""


# A news record (a JSON line, a saved page, a WARC page) rarely passes 2 MB. Extracting a 16 MB
# page took 21 s and 456 MB (32 MB: about four times that), so two extraction workers stay under
# 1 GB; anything larger is a dump or an attack, not an article.
MAX_RECORD_BYTES = 16_000_000
# Reading streams, so a large file costs time, not memory; the cap stops a decompression bomb
# (1,000:1 for gzip) after seconds instead of hours.
MAX_FILE_BYTES = 1_000_000_000


@dataclass(frozen=True)
class ReadLimits:
    """How much the readers take in: `file_bytes` of content per file (after decompression), and
    `record_bytes` per record, where a file read whole (text, HTML, feed, Reuters) is one record.
    Past either the file or record is skipped, so no archive file can exhaust memory."""

    file_bytes: int = MAX_FILE_BYTES
    record_bytes: int = MAX_RECORD_BYTES
