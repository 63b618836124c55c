"""Hostile input never escapes as anything but QueryError or a valid body (never a 500)."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from search import QueryError, SearchService
from search_corpus import built_index

HOSTILE = ['"', '""', '"coffee', "(((", ")))", "(coffee", "coffee)", "AND", "OR", "NOT", "AND OR NOT",
           "coffee AND", "NOT NOT coffee", "*", "**", "?", "c*", "co*", "*fee", "~", "coffee~9", "coffee~",
           "title:", "place:", ":", "::", "a:b:c", "title:(coffee", "x" * 1000, "é" * 999,
           "\x00\x01\x02", "coffee\u200b", "кофе цены", "咖啡", "قهوة", "🙂", "^", "coffee^", "coffee^x",
           "[a TO z]", "{a TO}", "date:[2021 TO]", "'", "'coffee", "\\", "coffee\\", "%s%s", "<script>",
           "place:nowhere", "text:\"\"", "(\"a\" OR)", "- coffee", "+coffee", "!coffee", "/.*/"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.getbasetemp() / "search-corpus"))
    yield s
    s.close()


def valid_body(body) -> bool:
    return isinstance(body["total"], int) and isinstance(body["hits"], list) and "facets" in body


@pytest.mark.parametrize("mode", ["simple", "advanced"])
@pytest.mark.parametrize("q", HOSTILE)
def test_a_hostile_query_gives_a_body_or_a_query_error(service, q, mode):
    try:
        assert valid_body(service.search({"q": q, "mode": mode}))
    except QueryError as e:
        assert mode == "advanced" or e.param == "q" and len(q) > 1000, e.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), mode=st.sampled_from(["simple", "advanced"]),
       match=st.sampled_from(["all", "any"]), place=st.text(max_size=10), date=st.text(max_size=12))
def test_random_parameters_give_a_body_or_a_query_error(service, q, mode, match, place, date):
    try:
        assert valid_body(service.search({"q": q, "mode": mode, "match": match, "place": place, "from": date}))
    except QueryError as e:
        assert e.param in ("q", "place", "from") and e.message
