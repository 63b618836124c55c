"""Reader for RSS and Atom feeds (`.rss`, `.atom`, `.xml`): one article per item, by feedparser.

An item's id is derived from its guid (else its link), so it stays the same when the feed is
fetched again. Imports only `index.model`, the page and text helpers, and feedparser.
"""
from __future__ import annotations

import datetime as dt

import feedparser

from index.model import Article, Skip
from index.sources.pages import html_paragraphs
from index.sources.text import blank_line_paragraphs, clean, stable_id

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse(data: bytes, source_path: str) -> tuple[list[Article], list[Skip]]:
    """The items of one feed file, and a Skip for each item (or the whole file) not read."""
    # sanitize_html=False: the markup is only split into paragraphs here, never shown as HTML,
    # and feedparser's sanitiser drops text it does not trust along with the tags.
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        return [], [_empty_feed_skip(parsed, source_path)]
    articles: list[Article] = []
    skips: list[Skip] = []
    language = parsed.feed.get("language", "")
    for number, entry in enumerate(parsed.entries, start=1):
        found = _article(entry, number, source_path, language)
        (articles if isinstance(found, Article) else skips).append(found)
    return articles, skips


def _empty_feed_skip(parsed, source_path: str) -> Skip:
    if parsed.get("version"):
        return Skip(source_path, "empty", "the feed has no items")
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        return Skip(source_path, "malformed", f"not a readable RSS or Atom feed ({problem})")
    return Skip(source_path, "unsupported", "not an RSS or Atom feed")


def _article(entry, number: int, source_path: str, language: str) -> Article | Skip:
    key = entry.get("id") or entry.get("link")
    link = entry.get("link", "")
    where = f"item {number}" + (f" ({link})" if link else "")
    if not key:
        return Skip(source_path, "malformed", f"{where}: no guid or link to identify it")
    paragraphs = _paragraphs(entry)
    if not paragraphs:
        return Skip(source_path, "no body", f"{where}: no content or summary")
    # dict.get: feedparser's own get() maps a missing "updated" to "published", with a warning.
    written = entry.get("published") or dict.get(entry, "updated") or ""
    day = _utc_day(entry.get("published_parsed") or dict.get(entry, "updated_parsed"))
    return Article(
        id=stable_id(key), title=clean(entry.get("title", "")), date=day,
        author=clean(entry.get("author", "")), dateline="", url=link, source_path=source_path,
        paragraphs=paragraphs, language=language,
        date_problem=f"date {written!r} could not be read" if written and day is None else "",
    )


def _paragraphs(entry) -> tuple[str, ...]:
    """The item's full content (`content:encoded`, Atom content), else its summary."""
    for part in sorted(entry.get("content", []), key=lambda c: -len(c.get("value", ""))):
        paragraphs = _text(part.get("value", ""), part.get("type", "text/html"))
        if paragraphs:
            return paragraphs
    detail = entry.get("summary_detail") or {}
    return _text(entry.get("summary", ""), detail.get("type", "text/html"))


def _text(value: str, content_type: str) -> tuple[str, ...]:
    if content_type in _HTML_TYPES:
        return html_paragraphs(value)
    return blank_line_paragraphs(value)


def _utc_day(parsed_time) -> dt.date | None:
    """feedparser gives dates in UTC: a time zone aware date becomes the day it names in UTC."""
    if parsed_time is None:
        return None
    return dt.date(parsed_time.tm_year, parsed_time.tm_mon, parsed_time.tm_mday)
