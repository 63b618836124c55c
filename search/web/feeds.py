"""Following a search: its Atom feed (GET /feed), the OpenSearch description that puts the archive
in a browser's search box (GET /opensearch.xml) and the box's suggestions (GET /api/suggestions).

The feed is made with feedgen and the description with ElementTree, never from string templates,
so archive text is always escaped. A thin door onto `SearchService`; never imports Bottle or
Whoosh: the app passes in the site's address (`site`, scheme and host) for absolute links.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

from feedgen.feed import FeedGenerator

from search import SearchService
from search.errors import QueryError
from search.service.params import MAX_NAME_CHARS, RawParams
from search.web import page

ATOM_TYPE = "application/atom+xml; charset=utf-8"
OPENSEARCH_TYPE = "application/opensearchdescription+xml; charset=utf-8"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
FEED_ENTRIES = 50
# What the feed decides itself, whatever the page's address says: newest first, its own
# length, no facets, the first page.
FEED_DECIDES = ("sort", "page", "page_size", "facets")
# A feed orders by date, so it follows dated paragraphs only: without a `from` of the reader's
# own, the earliest date the filters take (undated paragraphs never match a date filter).
DATED_FROM = "0001"
SUGGESTIONS = 8
NAME = "News Search"
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates,
# U+FFFE/U+FFFF): an archive may hold them; lxml refuses them, so they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def feed_params(params: RawParams) -> dict:
    """The page's parameters as the feed's search: grouped by story as the page is unless the
    address says otherwise, dated paragraphs only, the newest FEED_ENTRIES."""
    kept = {name: value for name, value in params.items() if name not in FEED_DECIDES}
    kept.setdefault("group", page.PAGE_DEFAULTS["group"])
    if not _given(kept.get("from")):
        kept["from"] = DATED_FROM
    return {**kept, "sort": "newest", "page_size": str(FEED_ENTRIES), "facets": ""}


def atom_feed(service: SearchService, params: RawParams, site: str) -> bytes:
    """The Atom feed of the search `params` (the page's parameters): its newest FEED_ENTRIES
    hits, each linking to the article page at its paragraph, with the marked snippet as an
    HTML summary. Raises the service's QueryError for a bad parameter."""
    body = service.search(feed_params(params))
    built = service.status().get("built_at")
    q = body["query"]["q"]
    shown = _page_params(params)
    feed = FeedGenerator()
    feed_url = f"{site}/feed" + (f"?{urlencode(shown)}" if shown else "")
    feed.id(feed_url)
    feed.title(_xml_text(f"{NAME}: {q}" if q else f"{NAME}: the newest stories"))
    feed.subtitle(_xml_text(f"The newest of {body['total']:,} matching "
                            f"{'stories' if body['query']['group'] == 'article' else 'paragraphs'}"
                            f"{' for “' + q + '”' if q else ''}, newest first."))
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=f"{site}/" + (f"?{urlencode(shown)}" if shown else ""), rel="alternate",
              type="text/html")
    feed.author(name=NAME)
    feed.generator(NAME)
    feed.updated(_instant(built) or dt.datetime.now(dt.timezone.utc))
    for hit in body["hits"]:
        _entry(feed.add_entry(order="append"), hit, q, site)
    return feed.atom_str(pretty=False)


def opensearch_description(site: str) -> bytes:
    """The OpenSearch 1.1 description: the page, the Atom feed and the JSON API, each a template
    of the address a search box fills in, and where the box asks for suggestions."""
    ET.register_namespace("", OPENSEARCH_NS)

    def element(parent, tag: str, text: str | None = None, **attributes) -> ET.Element:
        made = ET.SubElement(parent, f"{{{OPENSEARCH_NS}}}{tag}", attributes)
        made.text = text
        return made

    root = ET.Element(f"{{{OPENSEARCH_NS}}}OpenSearchDescription")
    element(root, "ShortName", NAME)
    element(root, "Description", "Paragraphs of a news archive, searched by word, date and place")
    element(root, "InputEncoding", "UTF-8")
    element(root, "OutputEncoding", "UTF-8")
    element(root, "Url", type="text/html", method="get", template=f"{site}/?q={{searchTerms}}")
    element(root, "Url", type="application/atom+xml", method="get",
            template=f"{site}/feed?q={{searchTerms}}")
    element(root, "Url", type="application/json", method="get",
            template=f"{site}/api/search?q={{searchTerms}}&page={{startPage?}}&page_size={{count?}}")
    element(root, "Url", type="application/x-suggestions+json", method="get", rel="suggestions",
            template=f"{site}/api/suggestions?q={{searchTerms}}")
    element(root, "Url", type="application/opensearchdescription+xml", rel="self",
            template=f"{site}/opensearch.xml")
    element(root, "Query", role="example", searchTerms="oil prices")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def suggestions(service: SearchService, q: str) -> list:
    """OpenSearch suggestions (`[q, [completion, …]]`): the archive's place names that begin
    with what was typed, the most mentioned first (the place filter's autocomplete)."""
    if len(q) > MAX_NAME_CHARS:
        raise QueryError("q", f"q is at most {MAX_NAME_CHARS} characters long here: suggestions "
                              "complete a place name")
    found = service.places(prefix=q.strip(), limit=SUGGESTIONS) if q.strip() else {"places": []}
    return [q, [place["name"] for place in found["places"]]]


def _entry(entry, hit: dict, q: str, site: str) -> None:
    article = quote(str(hit["article_id"]), safe="")
    anchor = f"#p{hit['para']}"
    marked = f"?{urlencode([('q', q)])}" if q else ""
    day = _day(hit.get("date"))
    entry.id(f"{site}/article/{article}{anchor}")
    entry.title(_xml_text((hit.get("title") or "").strip() or page._lead(hit.get("text", ""))))
    entry.link(href=f"{site}/article/{article}{marked}{anchor}", rel="alternate", type="text/html")
    entry.updated(day)
    entry.published(day)
    # The snippet is our own escaped HTML with <mark> tags; feedgen escapes it once more as
    # the text of an HTML summary, as Atom wants.
    entry.summary(_xml_text(hit["snippet"]), type="html")
    if hit.get("author"):
        entry.author(name=_xml_text(hit["author"]))


def _page_params(params: RawParams) -> list[tuple[str, str]]:
    """The parameters that choose the feed's hits, as address pairs (for its own links)."""
    pairs = []
    for name, value in params.items():
        if name in FEED_DECIDES:
            continue
        for one in [value] if isinstance(value, str) else list(value):
            if one.strip():
                pairs.append((name, one))
    return pairs


def _given(value) -> bool:
    values = [value] if isinstance(value, str) else list(value or [])
    return any(v.strip() for v in values)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _day(iso: str | None) -> dt.datetime:
    """An article's date as the instant its day begins, in UTC (the feed holds dated hits only)."""
    day = dt.date.fromisoformat(iso) if iso else dt.date.min
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _instant(value: str | None) -> dt.datetime | None:
    """The generation's build time (ISO 8601 with an offset), or None if it has none."""
    try:
        found = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return found if found is None or found.tzinfo else found.replace(tzinfo=dt.timezone.utc)
