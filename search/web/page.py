"""The search page and the article view as plain template data: the request's query and the
`SearchService` answers turned into form values, filter chips, facet, timeline and pagination
links. A thin door onto the service, like /api/search; never imports Bottle or Whoosh.
"""
from __future__ import annotations

import calendar
import datetime as dt
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urlencode

from search import SearchService
from search.engine.snippets import marked_html
from search.errors import BusyError, QueryError
from search.service.params import (MAX_PAGE_SIZE, MAX_RESULT_WINDOW, RawParams, SearchParams,
                                   day_range)
from search.service.related import similar as similar_stories
from search.service.significant import PAGE_SAMPLE_SIZE, significant
from search.web.timeline import month_label, timeline
from search.web.derived import DerivedCache
from search.web.worldmap import Outlines, world_map

# Query parameters as the web layer hands them over: a string, or a list when repeated.
# A request's non-empty parameter values, every name a list.
State = dict[str, list[str]]

# The order in which the page's own links list parameters, so that one search has one URL.
ORDER = ("q", "mode", "match", "expand", "from", "to", "mentioned_from", "mentioned_to",
         "place", "sort", "group", "collapse", "page_size", "page")
# Asked of the service for every results page: the facet lists and the timeline's buckets
# (and the days too when the dates span at most DAYS_IN_A_MONTH).
FACETS_ASKED = "place,country,month,year"
DAYS_IN_A_MONTH = 31
# Parameters with a visible control on the form; an error on any other one is shown above it.
FORM_FIELDS = ("q", "from", "to", "place", "sort", "match", "group", "collapse", "mode", "expand")
# The controls folded under "Dates, places and options", counted on it when in use.
FOLDED_FIELDS = ("from", "to", "place", "sort", "match", "group", "collapse", "mode", "expand")
# The page's default for each option, which a URL may spell out without putting it in use. The
# page groups by article (one story, one hit) where the API's default is a hit per paragraph.
PAGE_DEFAULTS = {"sort": "relevance", "match": "all", "group": "article", "mode": "simple",
                 "expand": "false", "collapse": "copies"}
# Carried through a new submission of the form without a control of their own.
HIDDEN_FIELDS = ("mentioned_from", "mentioned_to", "page_size")
PAGE_WINDOW = 2          # numbered page links on each side of the current one
LEAD_CHARS = 110         # an untitled article is named by the start of its first paragraph
RELATED_STORIES = 5      # the article view's "Related stories"
ABOUT_WORDS = 15         # "What these results are about": the most significant words shown
# Characters that quote_plus leaves as they are, and the space (which it writes as +).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~ -]*")
MAX_BACK_CHARS = 4000    # a results query string carried into the article view
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class View:
    """What a route answers: the HTTP status, the template's name and its data."""

    status: int
    template: str
    data: dict
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- routes' views

def search_view(service: SearchService, params: RawParams, outlines: Outlines,
                derived: DerivedCache) -> View:
    """GET /: the empty form, the form again with a 400 beside the bad field, or results;
    the results' map and significant words are made once per generation and query (`derived`)."""
    state = _state(params)
    if not state:
        return View(200, "search", {**_form(state), "results": None,
                                    "archive": service.status(), "page_title": "News Search"})
    beyond = _page_beyond_window(state)
    # Read before searching: should the search switch to a newer generation, the map drawn
    # from it is kept under the old number, which no later search asks for.
    generation = service.serving_number()
    try:
        if beyond is None:
            body = service.search(_service_params(state))
        else:
            # Past the API's paging limit: counts only (page_size=0), answered as past the last page.
            params = {**_service_params(state), "page": "1", "page_size": "0"}
            body = {**service.search(params), "page": beyond[0], "page_size": beyond[1]}
    except QueryError as e:
        return View(400, "search", {**_form(state, e), "results": None, "archive": None,
                                    "page_title": "Fix the search – News Search"})
    q = body["query"]["q"]
    # A search cut off by its time limit counted only part of the archive: nothing is kept.
    kept = generation is not None and not body.get("timed_out")
    links = _Links(state)
    made = derived.get((generation, links({})) if kept else None,
                       lambda: {"map": _map(outlines, state, body, links),
                                "about": _about(service, state, body, links)})
    return View(200, "search", {**_form(state, names=_place_names(body)),
                                "results": {**_results(state, body, links), **made},
                                "archive": None,
                                "page_title": f"{q or 'Browsing the archive'} – News Search"})


def article_view(service: SearchService, article_id: str, params: RawParams) -> View:
    """GET /article/<id>: the whole article, the query's words marked, a way back."""
    state = _state(params)
    q = _one(state, "q")
    article = service.article(article_id, q or None)
    back = _one(state, "back")
    if back and len(back) <= MAX_BACK_CHARS:
        back_url = "/?" + back
    else:
        back_url = _href({"q": [q]} if q else {}, {})
    places = _article_places(article)
    title = article["title"].strip()
    first_text = article["paragraphs"][0]["text"] if article["paragraphs"] else ""
    shown = title or _lead(first_text)
    return View(200, "article", {
        "page_title": f"{shown} – News Search",
        "title": shown, "title_is_lead": article.get("title_is_lead", not title),
        "date": article["date"], "date_text": _date_text(article["date"]),
        "author": article["author"], "dateline": article["dateline"],
        "source_url": _web_link(article["url"]),
        "places": [{"name": p.get("label") or p["name"], "href": _href({"place": [p["id"]]}, {})}
                   for p in places],
        "paragraphs": [{"anchor": f"p{p['para']}", "html": p["html"]}
                       for p in article["paragraphs"]],
        "q": q, "back_url": back_url,
        "related": _related(service, article_id),
        "copy_of": _story_link(article.get("copy_of")),
        "copies": [_story_link(story) for story in article.get("copies", [])],
    })


def _story_link(story: dict | None) -> dict | None:
    """An article named on another's page (the one it copies, or one of its copies)."""
    if not story:
        return None
    return {"title": story["title"] or story["article_id"], "date": story["date"],
            "date_text": _date_text(story["date"]),
            "href": f"/article/{quote(story['article_id'], safe='')}"}


def error_view(status: int, title: str, message: str, hint: str = "",
               headers: dict[str, str] | None = None) -> View:
    """Any error as a page: what happened and what to do next (never a traceback)."""
    return View(status, "error", {"page_title": f"{title} – News Search", "title": title,
                                  "message": message, "hint": hint}, headers or {})


# ---------------------------------------------------------------- the request's query

def _state(params: RawParams) -> State:
    """Every parameter's non-empty values, as lists (checkbox and blank fields drop out)."""
    state: State = {}
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        kept = [v.strip() for v in values if v.strip()]
        if kept:
            state[name] = kept
    return state


def _page_beyond_window(state: State) -> tuple[int, int] | None:
    """(page, page_size) when the URL asks for a page past the API's paging limit (a reader's
    edited URL, a stale link), which the page treats as any page past the last one."""
    page, size = _one(state, "page"), _one(state, "page_size") or str(SearchParams.page_size)
    if not (_DIGITS.fullmatch(page) and _DIGITS.fullmatch(size)):
        return None
    page_number, page_size = int(page), int(size)
    if 0 < page_size <= MAX_PAGE_SIZE and page_number * page_size > MAX_RESULT_WINDOW:
        return page_number, page_size
    return None


def _one(state: State, name: str) -> str:
    return state.get(name, [""])[0]


def _service_params(state: State) -> dict[str, str | list[str]]:
    """The state as the service takes it, with the facets the page draws (any `facets` in the
    URL is the page's business, not the reader's)."""
    params: dict[str, str | list[str]] = {
        name: values[0] if len(values) == 1 and name != "place" else values
        for name, values in state.items() if name != "facets"}
    params.setdefault("group", PAGE_DEFAULTS["group"])
    params["facets"] = FACETS_ASKED + (",day" if _within_a_month(state) else "")
    return params


def _within_a_month(state: State) -> bool:
    """Whether the date filter spans at most a month (then the timeline can draw its days)."""
    try:
        first = day_range(_one(state, "from"), "from")[0]
        last = day_range(_one(state, "to"), "to")[1]
    except QueryError:
        return False  # no bound, or a bad one: the service says which
    return (last - first).days < DAYS_IN_A_MONTH


def _href(state: State, changes: Mapping[str, Sequence[str] | None]) -> str:
    """The page's URL for `state` with `changes` applied (None or [] removes a parameter);
    any change but paging goes back to the first page. Parameters in ORDER, then the others
    by name."""
    return _Links(state)(changes)


class _Links:
    """The links of one page state, its parameters encoded once: a results page makes about a
    hundred links, most of which add one place to the state (a hit's places, the facets, the
    map), and each encoded the whole state again (0.4 ms of a first view)."""

    def __init__(self, state: State):
        self._encoded = {name: [f"{_plus_quoted(name)}={_plus_quoted(value)}" for value in values]
                         for name, values in state.items() if name not in ("page", "facets")}

    def __call__(self, changes: Mapping[str, Sequence[str] | None]) -> str:
        pairs = []
        for name in _names(self._encoded, changes):
            if name in changes:
                key = _plus_quoted(name)
                pairs += [f"{key}={_plus_quoted(value)}" for value in changes[name] or ()]
            else:
                pairs += self._encoded.get(name, ())
        return "/?" + "&".join(pairs) if pairs else "/"

    def adding(self, name: str) -> Callable[[str], str]:
        """Links that add one value to `name` (a parameter of ORDER), the rest as it is."""
        names = _names(self._encoded, {})
        at = names.index(name) if name in names else len(names)
        head = [pair for n in names[:at + 1] for pair in self._encoded.get(n, ())]
        tail = "".join(f"&{pair}" for n in names[at + 1:] for pair in self._encoded.get(n, ()))
        start = "/?" + "".join(f"{pair}&" for pair in head) + f"{_plus_quoted(name)}="
        return lambda value: start + _plus_quoted(value) + tail


def _names(*parameters: Mapping) -> tuple[str, ...]:
    """The names a link writes, in their order: ORDER's, then any other by name."""
    others = {name for given in parameters for name in given if name not in ORDER}
    return (*ORDER, *sorted(others)) if others else ORDER


def _plus_quoted(text: str) -> str:
    """`quote_plus(text)`, with a shortcut for the words and dates most values are: a page
    holds about a hundred links of six parameters each, and urlencode was a tenth of its time."""
    return text.replace(" ", "+") if _UNRESERVED.fullmatch(text) else quote_plus(text)


def _query_string(state: State) -> str:
    return _href(state, {"page": state.get("page")}).removeprefix("/").removeprefix("?")


# ---------------------------------------------------------------- the form

def _form(state: State, error: QueryError | None = None,
          names: Mapping[str, str] | None = None) -> dict:
    """The form's values as the reader gave them (so a bad date can be corrected in place);
    `names` labels the active places given by id."""
    error_field = error.param if error is not None and error.param in FORM_FIELDS else None
    names = names or {}
    return {
        # `from` is a Python keyword, which a template cannot name.
        "q": _one(state, "q"), "from_": _one(state, "from"), "to": _one(state, "to"),
        "sort": _one(state, "sort").lower() or "relevance",
        "match_any": _one(state, "match").lower() == "any",
        "group_paragraph": _one(state, "group").lower() == "paragraph",
        "every_copy": _one(state, "collapse").lower() == "none",
        "advanced": _one(state, "mode").lower() == "advanced",
        "expand": _one(state, "expand").lower() == "true",
        "places": [{"value": value, "label": names.get(value, value)}
                   for value in state.get("place", [])],
        "hidden": [(name, value) for name in HIDDEN_FIELDS for value in state.get(name, [])],
        "in_use": sum(1 for name in FOLDED_FIELDS for value in state.get(name, [])
                      if value.lower() != PAGE_DEFAULTS.get(name)),
        "error": None if error is None else {"param": error.param, "message": error.message,
                                              "field": error_field},
    }


# ---------------------------------------------------------------- results

def _results(state: State, body: dict, links: _Links) -> dict:
    query = body["query"]
    unit = "article" if query["group"] == "article" else "paragraph"
    names = _place_names(body)
    back = _query_string(state)
    # A place the filter already covers (given by name, or a city of a filtered country) would
    # add nothing: its tag on a hit is no link.
    covered = set(state.get("place", [])) | set(query["place"])
    add_place = links.adding("place")
    hits = [_hit(hit, query["q"], back, covered, add_place) for hit in body["hits"]]
    return {
        "total": body["total"], "unit": unit, "took_ms": body["took_ms"],
        "first": (body["page"] - 1) * body["page_size"] + 1 if hits else 0,
        "last": (body["page"] - 1) * body["page_size"] + len(hits),
        "hits": hits,
        "suggestion": _suggestion(state, body.get("suggestion")),
        "relaxed": body.get("relaxed", False),
        "timed_out": body.get("timed_out", False),
        "notice": _notice(body.get("notice")),
        "chips": _chips(state, names),
        "places": _facet(state, add_place, body["facets"].get("place", []),
                         exclude=_ids(body["facets"].get("country", []))),
        "countries": _facet(state, add_place, body["facets"].get("country", []), exclude=set()),
        "timeline": _timeline(links, body["facets"]),
        "trends_href": _trends_href(state) if query["q"] else None,
        "feed_href": _feed_href(state),
        "downloads": _downloads(state) if body["total"] else [],
        "pages": pagination(state, body["page"], body["page_size"], body["total"]),
        "past_end": _past_end(state, body) if body["total"] and not hits else None,
        "empty": [] if hits or body["total"] else _empty_state(state, body),
    }


def _hit(hit: dict, q: str, back: str, covered: set[str], add_place: Callable[[str], str]) -> dict:
    title = hit.get("title") or ""
    article = quote(str(hit["article_id"]), safe="")
    link = urlencode([("q", q), ("back", back)] if q else [("back", back)])
    more = (hit.get("matching_paragraphs") or 1) - 1
    return {
        # Escaped here, with only our own <mark> tags added (search.engine.snippets).
        "title_html": marked_html(title, [tuple(s) for s in hit.get("title_matches", [])])
                      if title.strip() else html.escape(_lead(hit.get("text", ""))),
        "title_is_lead": hit.get("title_is_lead", not title.strip()),
        "author": hit.get("author", ""),
        "date": hit.get("date"), "date_text": _date_text(hit.get("date")),
        "places": [{"name": p.get("label") or p.get("name") or p["id"],
                    "href": None if p["id"] in covered else add_place(p["id"])}
                   for p in hit.get("places", [])],
        "snippet": hit["snippet"],
        "href": f"/article/{article}?{link}#p{hit['para']}",
        # The story's other matching paragraphs: all of them, marked, in the article view.
        "more": {"count": more, "href": f"/article/{article}?{link}",
                 "label": f"{more} more matching paragraph{'' if more == 1 else 's'}"}
                if more > 0 else None,
        "copies": _copies(hit, link),
    }


def _copies(hit: dict, link: str) -> dict | None:
    """"Also in N other stories": the stories that print this text too (folded into this hit
    by the search), each a link to the copy; the list opens without JavaScript (<details>)."""
    count = hit.get("copy_count") or 0
    if not count:
        return None
    stories = [{"title": story["title"] or story["article_id"], "date": story["date"],
                "date_text": _date_text(story["date"]),
                "href": f"/article/{quote(story['article_id'], safe='')}?{link}#{story['url'].rsplit('#', 1)[-1]}"}
               for story in hit.get("copy_stories", [])]
    return {"label": f"Also in {count:,} other stor{'y' if count == 1 else 'ies'}",
            "stories": stories, "unlisted": count - len(stories)}


def _notice(notice: str | dict | None) -> str | None:
    """The service's notice (such as "only stop words") as one sentence or two: a message
    string, or an object with a `message` and a `hint`."""
    if not notice or isinstance(notice, str):
        return notice or None
    return " ".join(part for part in (notice.get("message"), notice.get("hint")) if part)


def _suggestion(state: State, suggestion: str | None) -> dict | None:
    if not suggestion:
        return None
    return {"text": suggestion, "href": _href(state, {"q": [suggestion]})}


def _place_names(body: dict) -> dict[str, str]:
    """Place ids → names, from what this answer mentions (a chip shows a name, not an id)."""
    names: dict[str, str] = {}
    for hit in body["hits"]:
        for place in hit.get("places", []):
            names.setdefault(place["id"], place.get("label") or place.get("name") or place["id"])
            if place.get("country_code") and place.get("country"):
                names.setdefault(place["country_code"], place["country"])
    for name in ("place", "country"):
        for row in body["facets"].get(name, []):
            names.setdefault(row["id"], row.get("label") or row["value"])
    return names


def _chips(state: State, names: dict[str, str]) -> list[dict]:
    """Each active filter with the link that removes it."""
    chips = []
    places = state.get("place", [])
    for value in places:
        rest = [p for p in places if p != value]
        label = names.get(value, value)
        chips.append({"kind": "Place" if len(places) == 1 else "Place (any of)",
                      "label": label, "href": _href(state, {"place": rest})})
    bounds = (("from", "From"), ("to", "To"), ("mentioned_from", "Mentions from"),
              ("mentioned_to", "Mentions to"))
    if _one(state, "from") and _one(state, "from") == _one(state, "to"):
        # One month or day (a timeline bar): one chip, which removes both bounds.
        chips.append({"kind": "Dates", "label": _period_label(_one(state, "from")),
                      "href": _href(state, {"from": None, "to": None})})
        bounds = bounds[2:]
    for name, kind in bounds:
        if name in state:
            chips.append({"kind": kind, "label": _one(state, name), "href": _href(state, {name: None})})
    for name, value, label in (("match", "any", "Any word"), ("group", "paragraph", "Every paragraph"),
                               ("collapse", "none", "Every copy"),
                               ("mode", "advanced", "Advanced syntax"), ("expand", "true", "Related words")):
        if _one(state, name).lower() == value:
            chips.append({"kind": "Option", "label": label, "href": _href(state, {name: None})})
    return chips


def _ids(rows: list[dict]) -> set[str]:
    return {row["id"] for row in rows if "id" in row}


def _facet(state: State, add_place: Callable[[str], str], rows: list[dict], exclude: set[str]) -> list[dict]:
    """Facet rows as links adding the place filter; a place already filtered on is marked."""
    active = set(state.get("place", []))
    return [{"label": row.get("label") or row["value"], "count": row["count"],
             "active": row.get("id") in active or row["value"] in active,
             "href": add_place(row.get("id") or row["value"])}
            for row in rows if row.get("id") not in exclude]


def _timeline(links: _Links, facets: dict) -> dict | None:
    drawn = timeline(facets.get("month", []), facets.get("year", []), facets.get("day", []))
    if drawn is None:
        return None
    bars = [{"label": bar.label, "count": bar.count, "x": bar.x, "y": bar.y,
             "height": bar.height, "slot_x": bar.x - 1,
             "href": links({"from": [bar.value], "to": [bar.value]}) if bar.count else None}
            for bar in drawn.bars]
    return {"unit": drawn.unit, "bars": bars, "width": drawn.width, "height": drawn.height,
            "max_count": drawn.max_count, "first": bars[0]["label"], "last": bars[-1]["label"]}


def _map(outlines: Outlines, state: State, body: dict, links: _Links) -> dict | None:
    """The world map of the country and place facets, each shape a link adding its place."""
    places = state.get("place", [])
    return world_map(outlines, body["facets"].get("country", []), body["facets"].get("place", []),
                     links.adding("place"),
                     set(places) | set(body["query"]["place"]),
                     "article" if body["query"]["group"] == "article" else "paragraph")


def _about(service: SearchService, state: State, body: dict, links: _Links) -> list[dict]:
    """"What these results are about": the results' significant words (search.service.
    significant), each a link adding it to the query; none without a query or hits, or while
    every search slot of the process is taken (the results are still worth showing)."""
    q = body["query"]["q"]
    if not q or not body["hits"]:
        return []
    try:
        found = significant(service, _service_params(state), size=ABOUT_WORDS,
                            sample=PAGE_SAMPLE_SIZE)
    except BusyError:
        return []
    return [{"word": w["word"], "count": w["count"], "href": links({"q": [f"{q} {w['word']}"]})}
            for w in found["words"]]


def _feed_href(state: State) -> str:
    """The Atom feed (search.web.feeds) of this search: its newest hits, whatever the page."""
    kept = {name: values for name, values in state.items()
            if name not in ("page", "page_size", "sort", "facets")}
    return "/feed" + _href(kept, {}).removeprefix("/")


def _trends_href(state: State) -> str:
    """The "Compare over time" page (search.web.trends) for this search's query and filters."""
    kept = {name: state[name] for name in ("q", "from", "to", "place", "mode", "match", "group")
            if name in state}
    return "/trends" + _href(kept, {}).removeprefix("/")


def _downloads(state: State) -> list[dict]:
    """"Download these results": this search's every hit (not this page's) from /api/export,
    as CSV and as JSON Lines, grouped as the page shows them."""
    kept = [(name, value) for name, values in _service_params(state).items()
            if name not in ("page", "page_size", "facets")
            for value in ([values] if isinstance(values, str) else values)]
    return [{"label": label, "href": "/api/export?" + urlencode([*kept, ("format", fmt)])}
            for fmt, label in (("csv", "CSV"), ("jsonl", "JSON Lines"))]


def pagination(state: State, page: int, page_size: int, total: int) -> list[dict]:
    """First, previous, a window of numbers, next and last, never past the API's paging limit."""
    last = last_page(page_size, total)
    if last <= 1:
        return []

    def link(number: int, label: str, rel: str = "", numbered: bool = False) -> dict:
        current = number == page
        return {"label": label, "rel": rel, "current": current, "numbered": numbered,
                "href": None if current else _href(state, {"page": [str(number)] if number > 1 else None})}

    links = []
    if page > 1:
        links.append(link(1, "« First"))
        links.append(link(min(page - 1, last), "‹ Previous", "prev"))
    for number in range(max(1, page - PAGE_WINDOW), min(last, page + PAGE_WINDOW) + 1):
        links.append(link(number, str(number), numbered=True))
    if page < last:
        links.append(link(page + 1, "Next ›", "next"))
        links.append(link(last, "Last »"))
    return links


def last_page(page_size: int, total: int) -> int:
    """The last page that shows results (0 when none does), within the API's paging limit."""
    if page_size <= 0:
        return 0
    return min(math.ceil(total / page_size), MAX_RESULT_WINDOW // page_size)


def _past_end(state: State, body: dict) -> dict:
    """A page past the last one (or a counts-only page_size=0): what there is, and the way to
    the last and first pages."""
    last = last_page(body["page_size"], body["total"])
    return {"page": body["page"], "last": last,
            "last_href": _href(state, {"page": [str(last)] if last > 1 else None}) if last else None,
            "first_href": _href(state, {} if last else {"page_size": None})}


def _empty_state(state: State, body: dict) -> list[dict]:
    """What to change when nothing matches: each way out as a link."""
    ways = []
    if "place" in state:
        ways.append({"text": "Remove the place filters", "href": _href(state, {"place": None})})
    if "from" in state or "to" in state:
        ways.append({"text": "Search all dates", "href": _href(state, {"from": None, "to": None})})
    # A notice (such as "only stop words") has said what to change already.
    if body["query"]["match"] == "all" and len(body["query"]["q"].split()) > 1 \
            and not body.get("notice"):
        ways.append({"text": "Match any of the words", "href": _href(state, {"match": ["any"]})})
    if body["query"]["mode"] == "advanced":
        ways.append({"text": "Search the words as plain text", "href": _href(state, {"mode": None})})
    return ways


# ---------------------------------------------------------------- text

def _lead(text: str) -> str:
    """The start of a paragraph as a stand-in title, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= LEAD_CHARS:
        return text
    cut = text[:LEAD_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def _period_label(value: str) -> str:
    """"1987" stays, "1987-03" → "Mar 1987", "1987-03-02" → "2 March 1987" (else as given)."""
    try:
        if len(value) == 7:
            return month_label(value)
        if len(value) == 10:
            return _date_text(value)
    except (ValueError, IndexError):
        pass
    return value


def _date_text(iso: str | None) -> str:
    if not iso:
        return "undated"
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _web_link(url: str) -> str | None:
    """The archive's source URL, only when it is a web address (never `javascript:`)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _related(service: SearchService, article_id: str) -> list[dict]:
    """The stories most like the article, each with its date and places; none while every
    search slot of the process is taken (the article itself is still worth showing)."""
    try:
        body = similar_stories(service, article_id,
                               {"page_size": str(RELATED_STORIES), "facets": ""})
    except BusyError:
        return []
    return [{"title": hit["title"].strip() or _lead(hit["text"]),
             "title_is_lead": hit["title_is_lead"],
             "href": f"/article/{quote(str(hit['article_id']), safe='')}",
             "date": hit["date"], "date_text": _date_text(hit["date"]),
             "places": [{"name": p.get("label") or p["name"], "href": _href({"place": [p["id"]]}, {})}
                        for p in hit["places"]]}
            for hit in body["hits"]]


def _article_places(article: dict) -> list[dict]:
    seen: dict[str, dict] = {}
    for paragraph in article["paragraphs"]:
        for place in paragraph.get("places", []):
            seen.setdefault(place["id"], place)
    return list(seen.values())

