"""What serving adds to every answer: /healthz, the X-Index-Generation header, and the 503 a
process answers when all its search slots stay taken."""
from __future__ import annotations

import dataclasses

import webtest

from search import SearchService
from search.web.app import create_app
from error_shape import assert_error

GENERATION = "X-Index-Generation"


def test_healthz_is_200_with_the_serving_generation(app):
    response = app.get("/healthz")
    assert response.json == {"status": "ok", "generation": 1}
    assert response.headers[GENERATION] == "1"


def test_healthz_before_the_first_index_is_503_with_the_reason(unbuilt_app):
    error = assert_error(unbuilt_app.get("/healthz", status=503), 503, "no_index")
    assert "reindex" in error["message"]
    assert GENERATION not in unbuilt_app.get("/healthz", status=503).headers


def test_every_api_answer_names_the_generation(app):
    for path in ("/api/search?q=oil", "/api/articles/oil-2", "/api/places?prefix=ba",
                 "/api/status", "/api/openapi.json"):
        assert app.get(path).headers[GENERATION] == "1", path


def test_an_api_error_names_the_generation_too(app):
    assert app.get("/api/search?to=soon", status=400).headers[GENERATION] == "1"
    assert app.get("/api/nowhere", status=404).headers[GENERATION] == "1"


def test_the_search_page_names_the_generation_it_searched(app):
    assert app.get("/?q=oil").headers[GENERATION] == "1"


def test_a_static_file_names_no_generation(app):
    assert GENERATION not in app.get("/static/nothing-here", status=404).headers


def test_a_page_answered_without_reading_the_index_names_no_generation(app):
    assert GENERATION not in app.get("/?to=soon", status=400).headers
    assert GENERATION not in app.get("/nowhere", status=404).headers


def test_no_answer_names_a_generation_before_the_first_build(unbuilt_app):
    for path in ("/api/search?q=oil", "/api/status", "/api/search?to=soon", "/"):
        assert GENERATION not in unbuilt_app.get(path, expect_errors=True).headers, path


def test_search_is_503_busy_with_retry_after_when_every_slot_stays_taken(settings):
    narrow = dataclasses.replace(settings, concurrent_queries=1, query_time_limit=0.2)
    service = SearchService(narrow.index_dir, narrow)
    try:
        busy_app = webtest.TestApp(create_app(narrow, service))
        with service.search_slot():  # another request holding the only slot
            response = busy_app.get("/api/search?q=oil", status=503)
        assert_error(response, 503, "busy")
        assert response.headers["Retry-After"] == "1"
        assert busy_app.get("/api/search?q=oil").json["total"] > 0
    finally:
        service.close()


def test_a_percent_sign_that_starts_no_escape_is_400_naming_the_parameter(app):
    for query in ("q=%ZZ", "q=oil%", "q=oil&place=%G1"):
        error = assert_error(app.get(f"/api/search?{query}", status=400), 400, "invalid_parameter",
                             query.rpartition("&")[2].partition("=")[0])
        assert "%25" in error["message"]
