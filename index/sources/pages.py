"""One web page -> one Article: the main text by trafilatura, title, date, author, URL, language.

Shared by the `.html` and WARC readers, and the feed reader's HTML-to-paragraphs step. Imports
only `index.model`, the text helpers, trafilatura and lxml: no Whoosh, nothing from `search/`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import unescape

import lxml.html
import trafilatura
from lxml import etree

from index.dates import unreadable_date
from index.model import Article, Skip
from index.sources.text import blank_line_paragraphs, clean, decode_page, iso_day

# Comments under an article are readers' text, not the article's: leaving them out scores
# 0.962 against 0.951 on the shared extraction benchmark (docs/benchmarks.md).
_EXTRACTION = {"include_comments": False, "with_metadata": True}
# Less text than this is a menu, an error or a "please enable JavaScript" shell, which
# trafilatura's fallbacks still return; the shortest article of the shared benchmark pages has 598.
MIN_ARTICLE_CHARACTERS = 100
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)",
                   re.IGNORECASE)
_PUBLISHED_TIME = re.compile(
    r"<meta\b(?=[^>]*\bproperty\s*=\s*[\"']article:published_time[\"'])[^>]*?\bcontent\s*=\s*[\"']([^\"']+)",
    re.IGNORECASE)
# Elements that end a paragraph when an HTML fragment (a feed item's content) becomes text.
_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tr ul".split())
_NOT_TEXT = ("script", "style", "noscript", "template")


@dataclass(frozen=True)
class Page:
    """A web page as found in an archive file, before extraction (picklable, for the pool)."""

    source_path: str
    article_id: str
    content: bytes
    url: str = ""        # where it was fetched from, when the archive says (a WARC record)
    where: str = ""      # the record inside the file, for the operator ("record 3 (https://…)")
    charset: str = ""    # the charset its HTTP headers declared, if any


def page_article(page: Page) -> Article | Skip:
    """The page's article, or a Skip saying why it has none."""
    where = f"{page.where}: " if page.where else ""
    try:
        html = decode_page(page.content, page.charset)
    except UnicodeDecodeError as err:
        return Skip(page.source_path, "undecodable", f"{where}{err.reason}")
    document = trafilatura.bare_extraction(html, url=page.url or None, **_EXTRACTION)
    title = clean(document.title or "") if document is not None else ""
    text = document.text if document is not None else ""
    paragraphs = _without_headline(_lines(text), title) if text else ()
    characters = sum(map(len, paragraphs))
    if characters < MIN_ARTICLE_CHARACTERS:
        found = f" (only {characters} characters of text)" if characters else ""
        return Skip(page.source_path, "no body", f"{where}no article text found in the page{found}")
    written = document.date or ""
    day = published_utc_day(html) or (iso_day(written) if written else None)
    return Article(
        id=page.article_id, title=title, date=day,
        author=clean(document.author or ""), dateline="", url=page.url or document.url or "",
        source_path=page.source_path, paragraphs=paragraphs, language=page_language(html),
        date_problem=unreadable_date(written) if written and day is None else "",
    )


def published_utc_day(html: str) -> dt.date | None:
    """The UTC day of the page's `article:published_time` when it carries a zone, as feeds are
    dated (trafilatura may prefer the site's local byline: 2019-11-19T07:03:25+00:00 became
    2019-11-18); None without one."""
    match = _PUBLISHED_TIME.search(html)
    try:
        stamp = dt.datetime.fromisoformat(match[1].strip().replace("Z", "+00:00")) if match else None
    except ValueError:
        return None
    return stamp.astimezone(dt.timezone.utc).date() if stamp and stamp.tzinfo else None


def _lines(text: str) -> tuple[str, ...]:
    """trafilatura's text puts each paragraph, heading, list item and table row on a line."""
    cleaned = (clean(line) for line in text.split("\n"))
    return tuple(line for line in cleaned if line)


def _without_headline(paragraphs: tuple[str, ...], title: str) -> tuple[str, ...]:
    """The text without its first line when that is the headline, which is the article's title
    already (on the shared benchmark pages: F1 0.962 -> 0.964, docs/benchmarks.md)."""
    if paragraphs and title and paragraphs[0].casefold() == title.casefold():
        return paragraphs[1:]
    return paragraphs


def page_language(html: str) -> str:
    """The language the page declares on its <html> element (`en`, `pt-BR`), or ""."""
    match = _LANG.search(html, 0, 20_000)
    return match[1].replace("_", "-") if match else ""


def html_paragraphs(fragment: str) -> tuple[str, ...]:
    """The paragraphs of an HTML fragment (a feed item's content), split where its block
    elements and line breaks split it; scripts and styles dropped."""
    if "<" not in fragment:
        return blank_line_paragraphs(unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ()
    for element in list(root.iter(*_NOT_TEXT)):
        element.drop_tree()
    for element in root.iter(etree.Element):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif tag in ("td", "th"):
            element.tail = " " + (element.tail or "")  # cells of a row: words, not one word
    return blank_line_paragraphs(root.text_content())
