"""The JSON API through WebTest: each route's success shape, every kind of error in the one
error shape, and how query strings reach the service."""
from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
import webtest

from error_shape import JSON_TYPE, assert_error
from search import SearchService
from search.web.app import create_app


def test_search_for_a_word_answers_json_hits(app):
    res = app.get("/api/search?q=restoration")
    assert res.headers["Content-Type"] == JSON_TYPE
    assert res.json["total"] >= 1
    assert {hit["article_id"] for hit in res.json["hits"]} == {"aghdam-1"}


def test_search_without_parameters_answers_every_paragraph(app):
    assert app.get("/api/search").json["total"] == 5


def test_search_repeated_facets_parameter_reaches_service_as_a_list(app):
    res = app.get("/api/search?q=oil&facets=month&facets=year")
    assert res.json["query"]["facets"] == ["month", "year"]


def test_search_repeated_place_parameter_filters_on_every_place(app):
    one = app.get("/api/search?place=Baku").json
    both = app.get("/api/search?place=Baku&place=London").json
    assert len(both["query"]["place"]) == 2
    assert both["total"] > one["total"]


def test_search_single_valued_parameter_given_twice_is_400_naming_it(app):
    assert_error(app.get("/api/search?q=oil&q=gas", expect_errors=True),
                 400, "invalid_parameter", "q")


def test_search_utf8_query_is_decoded(app):
    res = app.get("/api/search?q=" + quote("Gəncə – ağ"))
    assert res.json["query"]["q"] == "Gəncə – ağ"


def test_search_query_string_that_is_not_utf8_is_400(app):
    assert_error(app.get("/api/search?q=%FF%FE", expect_errors=True),
                 400, "invalid_parameter", "q")


def test_search_bad_date_is_400_naming_from(app):
    error = assert_error(app.get("/api/search?from=yesterday", expect_errors=True),
                         400, "invalid_parameter", "from")
    assert "YYYY" in error["message"]


def test_search_page_size_over_the_limit_is_400_naming_page_size(app):
    assert_error(app.get("/api/search?page_size=101", expect_errors=True),
                 400, "invalid_parameter", "page_size")


def test_search_query_over_1000_characters_is_400_naming_q(app):
    assert_error(app.get("/api/search?q=" + "a" * 1001, expect_errors=True),
                 400, "invalid_parameter", "q")


def test_search_unknown_parameter_is_400_naming_it(app):
    assert_error(app.get("/api/search?qq=oil", expect_errors=True),
                 400, "invalid_parameter", "qq")


def test_search_expand_other_than_true_or_false_is_400_naming_expand(app):
    assert_error(app.get("/api/search?q=oil&expand=yes", expect_errors=True),
                 400, "invalid_parameter", "expand")


def test_search_expand_is_echoed_and_off_by_default(app):
    assert app.get("/api/search?q=oil").json["query"]["expand"] is False
    assert app.get("/api/search?q=oil&match=any&expand=true").json["query"]["expand"] is True


def test_search_of_only_stop_words_carries_a_notice_and_others_null(app):
    notice = app.get("/api/search?q=the+who").json["notice"]
    assert notice["code"] == "stop_words" and "the" in notice["message"] and notice["hint"]
    assert app.get("/api/search?q=oil").json["notice"] is None


def test_article_answers_every_paragraph_in_order(app):
    res = app.get("/api/articles/oil-2")
    assert res.headers["Content-Type"] == JSON_TYPE
    assert [p["text"][:10] for p in res.json["paragraphs"]] == ["Crude oil ", "Analysts i"]


def test_article_with_q_marks_the_query_terms(app):
    assert "<mark>" in app.get("/api/articles/oil-2?q=prices").text


def test_article_q_over_1000_characters_is_400_naming_q(app):
    assert_error(app.get("/api/articles/oil-2?q=" + "a" * 1001, expect_errors=True),
                 400, "invalid_parameter", "q")


def test_article_unknown_id_is_404_not_found(app):
    assert_error(app.get("/api/articles/no-such-article", expect_errors=True), 404, "not_found")


def test_article_unknown_parameter_is_400_naming_it(app):
    assert_error(app.get("/api/articles/oil-2?page=2", expect_errors=True),
                 400, "invalid_parameter", "page")


def test_places_prefix_answers_matching_names(app):
    places = app.get("/api/places?prefix=ba").json["places"]
    assert places and all(p["name"].lower().startswith("ba") for p in places)


def test_places_limit_caps_the_list(app):
    assert len(app.get("/api/places?limit=1").json["places"]) == 1


@pytest.mark.parametrize("limit", ["0", "101", "ten", "1" * 5000, "-1", "%D9%A1", "%EF%BC%92"])
def test_places_limit_out_of_range_is_400_naming_limit(app, limit):
    assert_error(app.get(f"/api/places?limit={limit}", expect_errors=True),
                 400, "invalid_parameter", "limit")


def test_places_unknown_parameter_is_400_naming_it(app):
    assert_error(app.get("/api/places?q=ba", expect_errors=True), 400, "invalid_parameter", "q")


def test_status_answers_the_serving_generation(app):
    status = app.get("/api/status").json
    assert status["generation"] == 1
    assert (status["articles"], status["paragraphs"]) == (3, 5)


def test_openapi_document_is_served_as_json(app):
    res = app.get("/api/openapi.json")
    assert res.headers["Content-Type"] == JSON_TYPE
    assert res.json["openapi"].startswith("3.1")


def test_home_page_is_html_linking_the_openapi_document(app):
    res = app.get("/")
    assert res.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'href="/api/openapi.json"' in res.text


@pytest.mark.parametrize("path", ["/api/nothing", "/api/nothing/here", "/api/articles/", "/api"])
def test_unknown_api_path_is_json_404(app, path):
    assert_error(app.get(path, expect_errors=True), 404, "not_found")


def test_wrong_method_is_json_405_with_allow_header(app):
    res = app.post("/api/search", {"q": "oil"}, expect_errors=True)
    assert_error(res, 405, "method_not_allowed")
    assert "GET" in res.headers["Allow"]


def test_head_request_answers_like_get_without_a_body(app):
    res = app.head("/api/search?q=oil")
    assert res.status_int == 200 and res.body == b""


@pytest.mark.parametrize("path", ["/api/search?q=oil", "/api/articles/oil-2", "/api/places",
                                  "/api/status"])
def test_before_the_first_index_data_routes_are_503_with_retry_after(unbuilt_app, path):
    res = unbuilt_app.get(path, expect_errors=True)
    error = assert_error(res, 503, "no_index")
    assert int(res.headers["Retry-After"]) > 0
    assert "python3 manage.py reindex" in error["message"]


def test_before_the_first_index_a_bad_parameter_is_still_400(unbuilt_app):
    assert_error(unbuilt_app.get("/api/search?page=x", expect_errors=True),
                 400, "invalid_parameter", "page")


class ExplodingService(SearchService):
    """A real service whose search fails the way a bug would: the 500 boundary's only test."""

    def search(self, params):
        raise RuntimeError("secret internal detail")


def test_unexpected_exception_is_json_500_logged_with_traceback(settings, caplog):
    service = ExplodingService(settings.index_dir, settings)
    app = webtest.TestApp(create_app(settings, service))
    with caplog.at_level(logging.ERROR, logger="search.web.app"):
        res = app.get("/api/search?q=oil", expect_errors=True)
    service.close()
    assert_error(res, 500, "internal_error")
    assert "secret internal detail" not in res.text
    assert any(r.exc_info and "secret internal detail" in str(r.exc_info[1])
               for r in caplog.records)


@pytest.mark.parametrize("query,param", [
    ("q=%00%01%1b", None), ("q=%22%28%28%5B", None), ("q=*", None), ("q=NOT", None),
    ("q=" + "x" * 1000, None), ("q=%E2%80%AE%D8%A8", None), ("=x", ""), ("&&&", None),
    ("q", None), ("q=oil&&", None), ("place=", None), ("page=1e3", "page"),
    ("page=%EF%BC%91", "page"), ("page_size=-1", "page_size"), ("facets=", None),
    ("facets=%FF", "facets"), ("%FF%FE=1", "\ufffd\ufffd"), ("from=2021-02-30", "from"),
    ("from=%D9%A2%D9%A0%D9%A2%D9%A1", "from"), ("sort=NEWEST", None), ("q=%F0%9F%92%A5", None),
    ("q=text:%5Ba%20TO%20z%5D&mode=advanced", "q"),
])
def test_hostile_query_string_is_never_a_500(app, query, param):
    """`param` None: answered (200); else the 400 names exactly that parameter."""
    res = app.get(f"/api/search?{query}", expect_errors=True)
    if param is None:
        assert res.status_int == 200, res.text
    else:
        assert_error(res, 400, "invalid_parameter", param)
