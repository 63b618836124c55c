"""Hostile input never escapes as anything but a valid body or the QueryError that names the
parameter at fault (never a 500): each error is checked against what the test itself knows to
be wrong with the input, so an error naming the wrong parameter, or a missing one, fails."""
import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from index.folding import fold
from index.store.generations import serving_generation
from search import QueryError, SearchService
from search_corpus import built_index

HOSTILE = ['"', '""', '"coffee', "(((", ")))", "(coffee", "coffee)", "AND", "OR", "NOT", "AND OR NOT",
           "coffee AND", "NOT NOT coffee", "*", "**", "?", "c*", "co*", "*fee", "~", "coffee~9", "coffee~",
           "title:", "place:", ":", "::", "a:b:c", "title:(coffee", "x" * 1000, "é" * 999,
           "\x00\x01\x02", "coffee\u200b", "кофе цены", "咖啡", "قهوة", "🙂", "^", "coffee^", "coffee^x",
           "[a TO z]", "{a TO}", "date:[2021 TO]", "'", "'coffee", "\\", "coffee\\", "%s%s", "<script>",
           "place:nowhere", "text:\"\"", "(\"a\" OR)", "- coffee", "+coffee", "!coffee", "/.*/"]
# The advanced queries above that are not our syntax: each is an error naming q and the position.
ADVANCED_ERRORS = {'"', '"coffee', "(((", ")))", "(coffee", "coffee)", "AND", "OR", "NOT", "AND OR NOT",
                   "coffee AND", "NOT NOT coffee", "*", "**", "?", "c*", "*fee", "~", "coffee~9",
                   "title:", "place:", "a:b:c", "title:(coffee", "^", "coffee^", "coffee^x",
                   "[a TO z]", "{a TO}", "date:[2021 TO]", "(\"a\" OR)"}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return built_index(tmp_path_factory.getbasetemp() / "search-corpus")


@pytest.fixture(scope="module")
def service(index_dir):
    s = SearchService(index_dir)
    yield s
    s.close()


@pytest.fixture(scope="module")
def known_places(index_dir) -> tuple[set[str], set[str], list[str]]:
    """Lower-cased ids, folded names, and the names as written, of the index's places."""
    places = json.loads((serving_generation(index_dir) / "places.json").read_text(encoding="utf-8"))
    names = [p["name"] for p in places.values()]
    return {pid.lower() for pid in places}, {fold(n) for n in names}, names


def valid_body(body) -> bool:
    return isinstance(body["total"], int) and isinstance(body["hits"], list) and "facets" in body


def is_bad_date(value: str) -> bool:
    """What the API allows (README.md, The API): YYYY, YYYY-MM or YYYY-MM-DD naming a real day."""
    value = value.strip()
    m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", value)
    if not value:
        return False
    if not m:
        return True
    try:
        dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return True
    return False


def is_unknown_place(value: str, known) -> bool:
    ids, folded_names, _ = known
    value = " ".join(value.split())
    return bool(value) and value.lower() not in ids and fold(value) not in folded_names


def is_bad_expand(value: str) -> bool:
    return bool(value.strip()) and value.strip().lower() not in ("true", "false")


@pytest.mark.parametrize("q", HOSTILE)
def test_a_hostile_simple_query_always_gives_a_body(service, q):
    assert valid_body(service.search({"q": q, "mode": "simple"}))


@pytest.mark.parametrize("q", HOSTILE)
def test_a_hostile_advanced_query_gives_a_body_or_an_error_naming_q_and_the_position(service, q):
    try:
        body = service.search({"q": q, "mode": "advanced"})
    except QueryError as e:
        assert q in ADVANCED_ERRORS, f"unexpected error for {q!r}: {e.param}: {e.message}"
        assert e.param == "q" and "position" in e.message, e.message
    else:
        assert q not in ADVANCED_ERRORS, f"{q!r} should be an error"
        assert valid_body(body)


def dates():
    return st.one_of(st.text(max_size=12), st.dates().map(dt.date.isoformat),
                     st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", fullmatch=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), mode=st.sampled_from(["simple", "advanced"]),
       match=st.sampled_from(["all", "any"]), place=st.one_of(st.text(max_size=10), st.integers(0, 1000)),
       date=dates(), expand=st.one_of(st.sampled_from(["true", "false", " TRUE "]), st.text(max_size=5)))
def test_random_parameters_give_a_body_or_an_error_naming_the_first_bad_parameter(
        service, known_places, q, mode, match, place, date, expand):
    if isinstance(place, int):  # a known place name, as written or with its case changed
        names = known_places[2]
        place = names[place % len(names)] if place % 2 else names[place % len(names)].upper()
    # parse_params checks dates before expand; places are looked up after parsing.
    expected = ("from" if is_bad_date(date) else "expand" if is_bad_expand(expand)
                else "place" if is_unknown_place(place, known_places) else None)
    params = {"q": q, "mode": mode, "match": match, "place": place, "from": date, "expand": expand}
    try:
        body = service.search(params)
    except QueryError as e:
        assert e.message.strip()
        # Only an advanced query may be wrong in itself (simple mode never fails on q).
        allowed = expected or ("q" if mode == "advanced" else None)
        assert e.param == allowed, (params, e.param, e.message)
    else:
        assert expected is None, (params, f"no error, expected one naming {expected}")
        assert valid_body(body)
