"""Related stories through WebTest: `GET /api/articles/<id>/similar` (articles) and
`GET /api/search?like=<paragraph id>` (paragraphs) rank the stories that share a story's
distinctive words first, leave the story out, apply the search's filters, answer in the
documented shape, refuse bad input in the one error shape, and stop at the query time limit;
the article page lists five related stories with their dates and places."""
from __future__ import annotations

import dataclasses

import pytest
import webtest

from built_apps import built_settings
from error_shape import assert_error
from search import SearchService
from search.web.app import create_app
from test_openapi import assert_valid

TOPICS = {
    "cocoa": ("Cocoa harvest in {city}", "Cocoa growers near {city} expect a larger cocoa crop "
              "as rains help the beans; exporters raised cocoa bean estimates."),
    "oil": ("Crude oil output in {city}", "Refineries near {city} pumped more crude oil; barrels "
            "of crude moved to tankers as oil output rose."),
    "vote": ("Election campaign in {city}", "Voters in {city} heard candidates campaign before "
             "the election; ballots for the parliament election are printed."),
}
CITIES = ("London", "Paris", "Tokyo", "Cairo")


def story(topic: str, n: int) -> dict:
    title, lead = TOPICS[topic]
    city = CITIES[n]
    return {"id": f"{topic}-{n}", "title": title.format(city=city), "date": f"1987-0{n + 1}-10",
            "author": "", "url": "", "dateline": "",
            "paragraphs": [lead.format(city=city), f"Officials in {city} said more news would come."]}


ARTICLES = [story(topic, n) for topic in TOPICS for n in range(len(CITIES))]


@pytest.fixture(scope="module")
def related_settings(tmp_path_factory):
    return built_settings(tmp_path_factory.mktemp("related"), ARTICLES)


@pytest.fixture(scope="module")
def app(related_settings):
    bottle_app = create_app(related_settings)
    yield webtest.TestApp(bottle_app)
    bottle_app.close()


def test_similar_ranks_the_stories_of_the_same_topic_first_without_the_story(app):
    body = app.get("/api/articles/cocoa-0/similar").json
    ids = [hit["article_id"] for hit in body["hits"]]
    assert "cocoa-0" not in ids
    assert set(ids[:3]) == {"cocoa-1", "cocoa-2", "cocoa-3"}
    assert body["query"]["group"] == "article" and len(set(ids)) == len(ids)
    assert body["total"] <= len(ARTICLES) - 1


def test_similar_answers_in_the_documented_search_shape(app):
    assert_valid(app.get("/api/articles/oil-1/similar?facets=place,year").json, "SearchResponse")


def test_similar_applies_the_date_filter(app):
    body = app.get("/api/articles/cocoa-0/similar?from=1987-03&to=1987-04").json
    assert {hit["date"][:7] for hit in body["hits"]} <= {"1987-03", "1987-04"}
    assert {hit["article_id"] for hit in body["hits"][:2]} == {"cocoa-2", "cocoa-3"}


def test_similar_applies_the_place_filter(app):
    body = app.get("/api/articles/vote-0/similar?place=Tokyo").json
    assert [hit["article_id"] for hit in body["hits"]][0] == "vote-2"
    assert {hit["article_id"].split("-")[1] for hit in body["hits"]} == {"2"}


def test_similar_of_an_unknown_article_is_404(app):
    assert_error(app.get("/api/articles/nothing-9/similar", expect_errors=True), 404, "not_found")


@pytest.mark.parametrize("query, param", [("q=cocoa", "q"), ("like=oil-1:0", "like"),
                                          ("group=paragraph", "group"), ("from=1987-13", "from"),
                                          ("page_size=101", "page_size")])
def test_similar_refuses_a_bad_or_foreign_parameter_naming_it(app, query, param):
    assert_error(app.get(f"/api/articles/cocoa-0/similar?{query}", expect_errors=True),
                 400, "invalid_parameter", param)


def test_like_ranks_paragraphs_like_the_paragraph_without_its_article(app):
    body = app.get("/api/search?like=oil-2:0&page_size=3").json
    assert body["query"]["like"] == "oil-2:0"
    assert [hit["article_id"].split("-")[0] for hit in body["hits"]] == ["oil"] * 3
    assert all(hit["article_id"] != "oil-2" for hit in body["hits"])
    assert all(hit["id"].endswith(":0") for hit in body["hits"])
    assert_valid(body, "SearchResponse")


def test_like_with_group_article_answers_articles(app):
    body = app.get("/api/search?like=vote-1:0&group=article&page_size=3").json
    assert sorted(hit["article_id"] for hit in body["hits"]) == ["vote-0", "vote-2", "vote-3"]


def test_like_applies_the_date_filter(app):
    body = app.get("/api/search?like=cocoa-0:0&to=1987-02").json
    assert body["hits"][0]["id"] == "cocoa-1:0"
    assert {hit["date"] for hit in body["hits"]} == {"1987-01-10", "1987-02-10"}


def test_like_of_an_unknown_paragraph_is_404_naming_like(app):
    error = assert_error(app.get("/api/search?like=cocoa-0:7", expect_errors=True),
                         404, "not_found", "like")
    assert "cocoa-0:7" in error["message"]


def test_like_with_a_query_is_400_naming_like(app):
    assert_error(app.get("/api/search?like=cocoa-0:0&q=oil", expect_errors=True),
                 400, "invalid_parameter", "like")


def test_like_errors_match_the_documented_schema(app):
    assert_valid(app.get("/api/search?like=nothing:0", expect_errors=True).json, "Error")


def test_similar_stories_stop_at_the_query_time_limit(related_settings):
    hasty = dataclasses.replace(related_settings, query_time_limit=1e-9)
    service = SearchService(hasty.index_dir, hasty)
    try:
        assert service.search({}, similar_to="cocoa-0")["timed_out"] is True
        assert service.search({"like": "cocoa-0:0"})["timed_out"] is True
    finally:
        service.close()


def test_article_page_lists_related_stories_with_dates_and_places(app):
    page = app.get("/article/cocoa-0")
    related = page.html.select_one("aside.related")
    assert related.h2.get_text() == "Related stories"
    links = [a["href"] for a in related.select(".hit-title a")]
    assert set(links[:3]) == {"/article/cocoa-1", "/article/cocoa-2", "/article/cocoa-3"}
    assert len(links) == 5
    first = related.select_one(".hit")
    assert first.time["datetime"].startswith("1987-0")
    assert first.select(".place-links a")
