"""Reader for web archives (`.warc`, `.warc.gz`) by warcio: every HTML `response` record is a
page; revisits and other responses are counted and reported, one Skip per kind and file.

Streams: records are read one at a time, so memory stays flat in the file's size, and a page
over max_record_bytes is read past, not held. Imports only `index.model`, the page and text
helpers, and warcio.
"""
from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from index.model import MAX_RECORD_BYTES, Article, Skip
from index.sources.pages import Page, page_article
from index.sources.text import stable_id

_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _Truncated(ValueError):
    """A record whose content the file does not hold to the end."""


class _NotWarc(ValueError):
    """A record warcio read leniently from something else (an ARC file, or plain text)."""


# What warcio raises on a damaged or cut-off archive. AttributeError: warcio 1.7 reads a record
# whose header block is cut off as a response without a target URI, then calls a method on it.
_DAMAGED = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, AttributeError)


def parse(stream: BinaryIO, source_path: str,
          record_bytes: int = MAX_RECORD_BYTES) -> tuple[list[Article], list[Skip]]:
    """Every article of one web archive, and the Skips (sequential; the build uses `pages`)."""
    articles: list[Article] = []
    skips: list[Skip] = []
    for item in pages(stream, source_path, record_bytes):
        found = page_article(item) if isinstance(item, Page) else item
        (articles if isinstance(found, Article) else skips).append(found)
    return articles, skips


def pages(stream: BinaryIO, source_path: str,
          record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Page | Skip]:
    """The archive's HTML pages, in order, then a Skip for each kind of record passed over;
    a page over `record_bytes` is a Skip naming its record; a damaged or truncated archive ends
    with a Skip naming the record where reading stopped."""
    passed_over: Counter[str] = Counter()
    records = ArchiveIterator(stream)
    number = 0
    while True:
        try:
            record = next(records, None)
            found = None if record is None else _page(record, number + 1, source_path,
                                                      passed_over, record_bytes)
        except _DAMAGED as err:
            yield Skip(source_path, "malformed",
                       f"record {number + 1} (offset {records.offset}): {_problem(err)}; "
                       f"reading stopped there, the records before it were read")
            break
        if record is None:
            if not number:
                yield Skip(source_path, "empty", "no WARC record in the file")
            break
        number += 1
        if found is not None:
            yield found
    yield from _passed_over_skips(passed_over, source_path)


def _page(record, number: int, source_path: str, passed_over: Counter,
          record_bytes: int) -> Page | Skip | None:
    """The record's page, a Skip when the page is over `record_bytes`, or None after counting
    why it is not one (warcinfo, request and metadata records are not pages and not worth a
    report)."""
    if record.format != "warc":
        raise _NotWarc(f"not a WARC record ({record.format or 'unknown format'})")
    kind = _kind(record)
    # One byte past the cap says the page is over it, without holding the rest.
    content = record.content_stream().read(record_bytes + 1) if kind == "page" else b""
    _drain(record)
    if record.raw_stream.limit > 0:
        raise _Truncated("the file ends before the record does")
    if kind != "page":
        if kind:
            passed_over[kind] += 1
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    if len(content) > record_bytes:
        return Skip(source_path, "too large", f"record {number} ({uri}): the page holds more "
                                              f"than {record_bytes / 1e6:,.1f} MB (max_record_bytes)")
    return Page(source_path=source_path, article_id=stable_id(uri or f"{source_path}#{number}"),
                content=content, url=uri, where=f"record {number} ({uri})",
                charset=_charset(record.http_headers.get_header("Content-Type") or ""))


def _kind(record) -> str:
    """"page", or what else the record is ("revisit", "image/png", "HTTP 404"), or "" for
    records that are not responses."""
    if record.rec_type == "revisit":
        return "revisit"
    if record.rec_type != "response":
        return ""
    http = record.http_headers
    if http is None:
        return "response without HTTP headers"
    status = http.get_statuscode() or ""
    if not status.startswith("2"):
        return f"HTTP {status}"
    media_type = (http.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return "page" if media_type in _HTML_TYPES else media_type or "no content type"


def _drain(record) -> None:
    """Reads past what is left of a record's content, so that a cut-off record is noticed here."""
    while record.raw_stream.read(1 << 16):
        pass


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def _passed_over_skips(passed_over: Counter, source_path: str) -> list[Skip]:
    skips = []
    revisits = passed_over.pop("revisit", 0)
    if revisits:
        skips.append(Skip(source_path, "revisit",
                          f"{revisits} revisit record(s): the page is stored in an earlier capture"))
    if passed_over:
        kinds = ", ".join(f"{kind} {count}" for kind, count in passed_over.most_common())
        skips.append(Skip(source_path, "not html",
                          f"{sum(passed_over.values())} response(s) that are not HTML pages: {kinds}"))
    return skips


def _problem(err: Exception) -> str:
    if isinstance(err, AttributeError):
        return "a damaged record header"
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
