"""The front page (GET / with no query and no filter) as plain template data: what the archive
holds (its dates and timeline, its places and countries, its newest stories) and a few example
searches derived from the archive itself. Made once per index generation, then served from
memory. A thin door onto `SearchService`; never imports Bottle or Whoosh.
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter
from urllib.parse import urlencode

from search import SearchService
from search.service.params import RawParams
from search.web import page
from search.web.timeline import month_label, timeline
from search.web.worldmap import Outlines, world_map

NEWEST = 5                 # stories listed
TOP_PLACES = 10            # places and countries listed, each
TITLES_READ = 100          # newest titles the example words are drawn from
EXAMPLES = 3
# The newest titles' most frequent words weighed for an example (each costs one count).
CANDIDATES = 30
# An example word must be a word of letters, found in at least MIN_ARTICLES articles and
# MIN_SHARE of them (one article in an archive under SMALL_ARCHIVE articles), and in at most
# MAX_SHARE of them (a word in every story shows nothing).
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
MIN_ARTICLES = 2
SMALL_ARCHIVE = 20
MAX_SHARE = 0.25
# An example finds at least this share of the archive's articles: a reader's first search
# should open a subject, not one company's week.
MIN_SHARE = 0.005


def is_front(params: RawParams) -> bool:
    """Whether a request for / asks for the front page: no query and no filter (any non-empty
    parameter, such as a place or a date, asks for results, as a search does)."""
    return not page._state(params)


def front_view(front: "FrontPage") -> page.View:
    data = front.data()
    return page.View(200, "search", {**page._form({}), "results": None, "archive": data,
                                     "home": data, "page_title": "News Search"})


class FrontPage:
    """The front page's data for the serving generation, made on first use after a switch."""

    def __init__(self, service: SearchService, outlines: Outlines | None = None):
        self._service = service
        self._outlines = outlines or Outlines.load()
        self._lock = threading.Lock()
        self._made: tuple[object, dict] | None = None

    def data(self) -> dict:
        status = self._service.status()   # also where the service notices a new generation
        key = (status.get("generation"), status.get("built_at"))
        made = self._made
        if made is not None and made[0] == key:
            return made[1]
        with self._lock:
            if self._made is None or self._made[0] != key:
                self._made = (key, front_page(self._service, status, self._outlines))
            return self._made[1]


def front_page(service: SearchService, status: dict, outlines: Outlines) -> dict:
    """What the front page shows of the archive `status` describes, with its world map."""
    body = service.search({"q": "", "group": "article", "sort": "newest",
                           "facets": "place,country,month,year", "page_size": str(TITLES_READ)})
    facets = body["facets"]
    countries = facets.get("country", [])
    country_ids = {row["id"] for row in countries}
    places = [row for row in facets.get("place", []) if row["id"] not in country_ids]
    dated = sorted(row["value"] for row in facets.get("month", []))
    return {
        "articles": status.get("articles") or 0, "paragraphs": status.get("paragraphs") or 0,
        "first": month_label(dated[0]) if dated else None,
        "last": month_label(dated[-1]) if dated else None,
        "timeline": _timeline(facets),
        "map": world_map(outlines, countries, facets.get("place", []),
                         lambda pid: _href([("place", pid)]), set(), "article"),
        "places": [_place_link(row) for row in places[:TOP_PLACES]],
        "countries": [_place_link(row) for row in countries[:TOP_PLACES]],
        "newest": [_story(hit) for hit in body["hits"][:NEWEST]],
        "examples": _examples(service, body, places, int(status.get("articles") or body["total"])),
    }


def _href(pairs: list[tuple[str, str]]) -> str:
    return "/?" + urlencode(pairs)


def _place_link(row: dict) -> dict:
    return {"label": row.get("label") or row["value"], "count": row["count"],
            "href": _href([("place", row["id"])])}


def _story(hit: dict) -> dict:
    title = (hit.get("title") or "").strip() or page._lead(hit.get("text", ""))
    article = hit["url"].split("#", 1)[0]
    return {"title": title, "date_text": page._date_text(hit.get("date")), "date": hit.get("date"),
            "href": article, "places": [p.get("label") or p.get("name") for p in hit["places"][:3]]}


def _timeline(facets: dict) -> dict | None:
    drawn = timeline(facets.get("month", []), facets.get("year", []))
    if drawn is None:
        return None
    bars = [{"label": bar.label, "count": bar.count, "x": bar.x, "y": bar.y,
             "height": bar.height, "slot_x": bar.x - 1,
             "href": _href([("from", bar.value), ("to", bar.value)]) if bar.count else None}
            for bar in drawn.bars]
    return {"unit": drawn.unit, "bars": bars, "width": drawn.width, "height": drawn.height,
            "first": bars[0]["label"], "last": bars[-1]["label"]}


def _examples(service: SearchService, body: dict, places: list[dict], articles: int) -> list[dict]:
    """Searches that find stories here: of the newest titles' frequent words (no place names),
    those the newest stories use most for how rare they are in the whole archive (what is in
    the news lately, not words every story has), then the first narrowed to the top place;
    each checked by counting."""
    countries = body["facets"].get("country", [])
    place_words = {w for row in [*places, *countries] for w in row["value"].lower().split()}
    words = Counter(w for hit in body["hits"]
                    for w in set(_WORD.findall((hit.get("title") or "").lower()))
                    if w not in place_words)
    least = max(MIN_ARTICLES, round(MIN_SHARE * articles)) if articles >= SMALL_ARCHIVE else 1
    scored = []
    for word, recent in words.most_common(CANDIDATES):
        found = _count(service, {"q": word})
        if least <= found <= max(least, MAX_SHARE * articles):
            scored.append((recent * math.log(1 + articles / found), word, found))
    examples = [{"text": word, "href": _href([("q", word)]), "count": found}
                for _, word, found in sorted(scored, key=lambda s: (-s[0], s[1]))[:EXAMPLES - 1]]
    if examples and places:
        params = {"q": examples[0]["text"], "place": places[0]["id"]}
        found = _count(service, params)
        if found:
            examples.append({"text": f"{examples[0]['text']} in {places[0].get('label') or places[0]['value']}",
                             "href": _href(list(params.items())), "count": found})
    return examples


def _count(service: SearchService, params: dict) -> int:
    body = service.search({**params, "group": "article", "page_size": "0", "facets": "year"})
    return 0 if body.get("relaxed") else int(body["total"])
