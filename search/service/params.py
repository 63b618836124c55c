"""Validation of the search API's parameters into one frozen `SearchParams`.

Owns every limit and default of the search parameters; raises `QueryError(param, message)`
for anything a user can fix. Pure: imports neither Whoosh nor the index.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.dates import period_days
from search.errors import QueryError

# A request's parameters as every door passes them: one string per name, a sequence when repeated.
RawParams = Mapping[str, str | Sequence[str]]

MAX_QUERY_CHARS = 1000
MAX_PAGE_SIZE = 100
# page_size=0 asks for the total and the facets only (no hits), for scripts that count.
MIN_PAGE_SIZE = 0
MAX_RESULT_WINDOW = 10_000
MAX_PLACES = 20
DEFAULT_FACETS = ("place", "year")

MODES = ("simple", "advanced")
MATCHES = ("all", "any")
SORTS = ("relevance", "newest", "oldest")
GROUPS = ("paragraph", "article")
# copies: one result per group of copies (index/store/copies.py); none: every paragraph.
COLLAPSES = ("copies", "none")
FACETS = ("place", "country", "year", "month", "day")
BOOLEANS = {"true": True, "false": False}
# The longest place name or prefix a request may carry.
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class Parameter:
    """One parameter of /api/search, declared once: its allowed values (when it has a fixed
    set), whether it may be repeated, and the `manage.py search` option that offers it (None
    when the command has none). The checks below, the CLI's choices and the OpenAPI test
    (tests/http/test_openapi.py) read this table."""

    name: str
    choices: tuple[str, ...] = ()
    repeatable: bool = False
    option: str | None = None


SEARCH_PARAMETERS = (
    Parameter("q", option="QUERY"),
    Parameter("mode", MODES, option="--mode"),
    Parameter("match", MATCHES, option="--match"),
    Parameter("from", option="--from"),
    Parameter("to", option="--to"),
    Parameter("mentioned_from"),
    Parameter("mentioned_to"),
    # Repeated as `place=a&place=b`.
    Parameter("place", repeatable=True, option="--place"),
    Parameter("sort", SORTS, option="--sort"),
    Parameter("page", option="--page"),
    Parameter("page_size", option="--page-size"),
    Parameter("group", GROUPS, option="--group"),
    Parameter("collapse", COLLAPSES, option="--collapse"),
    # Repeated (`facets=place&facets=year`) or comma-separated.
    Parameter("facets", FACETS, repeatable=True),
    Parameter("expand", tuple(BOOLEANS), option="--expand"),
    # A paragraph id: paragraphs like it instead of a query (search.service.related).
    Parameter("like"),
)
KNOWN = tuple(p.name for p in SEARCH_PARAMETERS)
REPEATABLE = tuple(p.name for p in SEARCH_PARAMETERS if p.repeatable)

# ASCII digits only: `\d` would take Arabic-Indic or fullwidth digits, which int() accepts.
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# At most 9 digits, so int() of a huge digit string never runs.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class SearchParams:
    """The validated request. Dates are inclusive calendar days; `places` are still raw values
    (names or ids) because only the serving index can resolve them."""

    q: str = ""
    mode: str = "simple"
    match: str = "all"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mentioned_from: dt.date | None = None
    mentioned_to: dt.date | None = None
    places: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = 10
    group: str = "paragraph"
    collapse: str = "copies"
    facets: tuple[str, ...] = DEFAULT_FACETS
    # Pseudo-relevance feedback: related words join the query, so hits may lack its words.
    expand: bool = False
    # A paragraph id: rank paragraphs by how alike they are to it ("" = a query's search).
    like: str = ""

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def echo(self, place_ids: Sequence[str]) -> dict:
        """The normalised parameters as the response's `query` object."""
        return {
            "q": self.q, "mode": self.mode, "match": self.match,
            "from": _iso(self.date_from), "to": _iso(self.date_to),
            "mentioned_from": _iso(self.mentioned_from), "mentioned_to": _iso(self.mentioned_to),
            "place": list(place_ids), "sort": self.sort, "page": self.page,
            "page_size": self.page_size, "group": self.group, "collapse": self.collapse,
            "facets": list(self.facets),
            "expand": self.expand, "like": self.like or None,
        }


def parse_params(raw: RawParams) -> SearchParams:
    """Validate the API parameters; raise QueryError naming the first bad one."""
    values = _single_values(raw)
    date_from, date_to = _date_range(values, "from", "to")
    mentioned_from, mentioned_to = _date_range(values, "mentioned_from", "mentioned_to")
    page = _integer(values, "page", 1, minimum=1)
    page_size = _integer(values, "page_size", 10, minimum=MIN_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise QueryError("page_size", f"page_size is at most {MAX_PAGE_SIZE}; ask for fewer "
                                      "results per page")
    if page * page_size > MAX_RESULT_WINDOW:
        raise QueryError("page", f"page × page_size may be at most {MAX_RESULT_WINDOW:,} "
                                 f"(page {page} of {page_size} asks for {page * page_size:,}); "
                                 "narrow the query with filters instead of paging further")
    return SearchParams(
        q=query_text(values.get("q", "")),
        mode=_choice(values, "mode", MODES),
        match=_choice(values, "match", MATCHES),
        date_from=date_from, date_to=date_to,
        mentioned_from=mentioned_from, mentioned_to=mentioned_to,
        places=_places(raw.get("place")),
        sort=_choice(values, "sort", SORTS),
        page=page, page_size=page_size,
        group=_choice(values, "group", GROUPS),
        collapse=_choice(values, "collapse", COLLAPSES),
        facets=_facets(raw.get("facets")),
        expand=_boolean(values, "expand", False),
        like=_like(values),
    )


def _like(values: dict[str, str]) -> str:
    """The paragraph id of `like`, which replaces the query: both at once is refused."""
    like = values.get("like", "")
    if like and values.get("q"):
        raise QueryError("like", "like finds paragraphs like one paragraph, without a query; "
                                 "give like or q, not both")
    if len(like) > MAX_QUERY_CHARS:
        raise QueryError("like", f"like is a paragraph id (the `id` of a hit), at most "
                                 f"{MAX_QUERY_CHARS:,} characters long")
    return like


def day_range(value: str, param: str) -> tuple[dt.date, dt.date]:
    """The first and last day of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        raise QueryError(param, f"{param} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, "
                                f"not {_shown(value)}")
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        return period_days(year, month, day)
    except ValueError:
        raise QueryError(param, f"{param}: {_shown(value)} is not a calendar date; "
                                "check the year, month and day") from None


def _single_values(raw: RawParams) -> dict[str, str]:
    values = {}
    for name, value in raw.items():
        if name not in KNOWN:
            raise QueryError(name, f"unknown parameter {_shown(name)}; the parameters are: "
                                   + ", ".join(KNOWN))
        if name in REPEATABLE:
            continue
        items = [value] if isinstance(value, str) else list(value)
        if len(items) > 1:
            raise QueryError(name, f"give {name} once, not {len(items)} times")
        if items and not isinstance(items[0], str):
            raise QueryError(name, f"{name} must be text")
        if items and items[0].strip():
            values[name] = items[0].strip()
    return values


def query_text(q: str) -> str:
    """The query text within its length limit, control characters turned into spaces."""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"q is {len(q):,} characters long; the limit is "
                              f"{MAX_QUERY_CHARS:,}: shorten the query")
    # Control characters carry no meaning in a query and confuse the parser's positions.
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in q)
    return " ".join(cleaned.split())


def _choice(values: dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = values.get(name, allowed[0]).lower()
    if value not in allowed:
        raise QueryError(name, f"{name} must be one of {', '.join(allowed)}, "
                               f"not {_shown(values[name])}")
    return value


def _boolean(values: dict[str, str], name: str, default: bool) -> bool:
    raw = values.get(name)
    if raw is None:
        return default
    if raw.lower() not in BOOLEANS:
        raise QueryError(name, f"{name} must be true or false, not {_shown(raw)}")
    return BOOLEANS[raw.lower()]


def _integer(values: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = values.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise QueryError(name, f"{name} must be a whole number ≥ {minimum}, not {_shown(raw)}")
    value = int(raw)
    if value < minimum:
        raise QueryError(name, f"{name} must be ≥ {minimum}, not {value}")
    return value


def whole_number_between(value: int | str, name: str, lowest: int, highest: int) -> int:
    """`value` (an int, or its ASCII digits as text) if it lies in [lowest, highest]."""
    text = value.strip() if isinstance(value, str) else None
    if type(value) is int:
        number = value
    elif text is not None and _WHOLE_NUMBER.fullmatch(text):
        number = int(text)
    else:
        number = None
    if number is None or not lowest <= number <= highest:
        shown = _shown(text) if text is not None else repr(value)
        raise QueryError(name, f"{name} must be a whole number from {lowest} to {highest}, "
                               f"not {shown}")
    return number


def _date_range(values: dict[str, str], start: str, end: str) -> tuple[dt.date | None, dt.date | None]:
    first = day_range(values[start], start)[0] if start in values else None
    last = day_range(values[end], end)[1] if end in values else None
    if first and last and first > last:
        raise QueryError(start, f"{start} ({values[start]}) is after {end} ({values[end]}); "
                                f"swap them or widen the range")
    return first, last


def _places(raw: str | Sequence[str] | None) -> tuple[str, ...]:
    items = _items(raw, "place")
    places = tuple(dict.fromkeys(" ".join(v.split()) for v in items if v.strip()))
    if len(places) > MAX_PLACES:
        raise QueryError("place", f"at most {MAX_PLACES} place filters, not {len(places)}")
    if any(len(p) > MAX_NAME_CHARS for p in places):
        raise QueryError("place", f"a place name is at most {MAX_NAME_CHARS} characters long")
    return places


def _facets(raw: str | Sequence[str] | None) -> tuple[str, ...]:
    if raw is None:
        return DEFAULT_FACETS
    names = [n.strip().lower() for v in _items(raw, "facets") for n in v.split(",") if n.strip()]
    for name in names:
        if name not in FACETS:
            raise QueryError("facets", f"facets are chosen from {', '.join(FACETS)}, "
                                       f"not {_shown(name)}")
    return tuple(dict.fromkeys(names))


def _items(raw: str | Sequence[str] | None, name: str) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    if not all(isinstance(v, str) for v in items):
        raise QueryError(name, f"{name} must be text")
    return items


def _shown(value: str) -> str:
    """A user's value quoted for a message, cut short so an error never echoes a megabyte."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
