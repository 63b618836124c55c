"""GET /api/significant-words and the page's "What these results are about": on a small archive
whose counts are known, and on the bundled Reuters file, where q=coffee must be about the
coffee trade."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import webtest

from built_apps import app_over
from error_shape import assert_error
from index.build import reindex
from index.settings import Settings
from index.store.schema import stop_words
from search.web.app import create_app
from test_openapi import assert_valid

REUTERS_SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "reut2-000.sgm"


def topic_articles() -> list[dict]:
    """Ten coffee stories whose paragraphs use `quotas` or `quota` and name Brazil, twenty
    other stories (two of which also say `quotas`); every paragraph names officials; no title
    word is in the text."""
    coffee = [{"id": f"coffee-{i}", "title": f"Story {i}", "date": f"1987-03-{1 + i:02d}",
               "author": "", "url": "", "dateline": "",
               "paragraphs": [f"Coffee {'quotas' if i % 3 else 'quota'} were discussed in "
                              f"Brazil by growers on day {i}, officials said.",
                              "Warehouses held cocoa and sugar, officials said."]}
              for i in range(10)]
    other = [{"id": f"other-{i}", "title": f"Report {i}", "date": f"1987-04-{1 + i:02d}",
              "author": "", "url": "", "dateline": "",
              "paragraphs": [f"Steel exports rose and {'quotas' if i < 2 else 'tariffs'} "
                             f"changed on day {i}, officials said."]}
             for i in range(20)]
    return coffee + other


@pytest.fixture(scope="module")
def topic_app(tmp_path_factory):
    yield from app_over(tmp_path_factory.mktemp("significant-topic"), topic_articles())


@pytest.fixture(scope="module")
def reuters_app(tmp_path_factory):
    """An app over the bundled Reuters file (926 stories, 59 of them about coffee)."""
    root = tmp_path_factory.mktemp("significant-reuters")
    archive = root / "archive"
    archive.mkdir()
    shutil.copy(REUTERS_SAMPLE, archive / REUTERS_SAMPLE.name)
    settings = Settings.from_env({}, index_dir=root / "idx", workers=1, lock_timeout=5,
                                 sources=(archive,))
    reindex(settings)
    bottle_app = create_app(settings)
    yield webtest.TestApp(bottle_app)
    bottle_app.close()


def words_of(body: dict) -> dict[str, dict]:
    return {w["word"]: w for w in body["words"]}


def test_coffee_on_the_reuters_file_is_about_the_coffee_trade_without_stop_words(reuters_app):
    body = reuters_app.get("/api/significant-words?q=coffee").json
    top = [w["word"] for w in body["words"]]
    assert len(top) == 25
    trade = {w for w in top if re.fullmatch(r"ico|quotas?|brazil|exports?", w)}
    assert len(trade) >= 2, top
    assert not set(top) & stop_words()
    assert "coffee" not in top


def test_words_are_best_first_with_positive_scores(reuters_app):
    scores = [w["score"] for w in reuters_app.get("/api/significant-words?q=coffee").json["words"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_a_word_counts_every_form_and_shows_the_commonest_spelling(topic_app):
    words = words_of(topic_app.get("/api/significant-words?q=coffee").json)
    # Ten coffee paragraphs: seven say "quotas", three "quota"; two other paragraphs say "quotas".
    assert words["quotas"]["count"] == 10 and words["quotas"]["archive_count"] == 12
    assert "quota" not in words


def test_counts_are_of_the_matches_against_the_whole_archive(topic_app):
    body = topic_app.get("/api/significant-words?q=coffee").json
    brazil = words_of(body)["brazil"]
    assert (brazil["count"], brazil["archive_count"]) == (10, 10)
    assert body["total"] == 10 and body["archive_paragraphs"] == 40
    assert body["sample"] == {"paragraphs": 10, "of": 10, "whole": True, "order": "relevance"}


def test_a_word_every_paragraph_uses_is_not_significant(topic_app):
    words = words_of(topic_app.get("/api/significant-words?q=steel").json)
    assert "officials" not in words and "said" not in words
    assert "tariffs" in words and "steel" not in words


def test_numbers_and_the_query_words_are_left_out(topic_app):
    words = words_of(topic_app.get("/api/significant-words?q=coffee+growers").json)
    assert "growers" not in words and "coffee" not in words
    assert not [w for w in words if w.isdigit()]


def test_filters_choose_the_matches(topic_app):
    body = topic_app.get("/api/significant-words?q=day&from=1987-04").json
    assert body["total"] == 20 and "brazil" not in words_of(body)


@pytest.mark.parametrize("query", ["", "q=", "q=+++", "from=1987"])
def test_a_missing_or_empty_query_is_a_400_naming_q(topic_app, query):
    assert_error(topic_app.get(f"/api/significant-words?{query}", expect_errors=True),
                 400, "invalid_parameter", "q")


@pytest.mark.parametrize("query, param", [("q=coffee&from=1987-13", "from"),
                                          ("q=coffee&place=Atlantis", "place"),
                                          ("q=coffee&colour=red", "colour")])
def test_a_bad_search_parameter_is_a_400_naming_it(topic_app, query, param):
    assert_error(topic_app.get(f"/api/significant-words?{query}", expect_errors=True),
                 400, "invalid_parameter", param)


def test_the_response_matches_the_documented_schema(topic_app):
    assert_valid(topic_app.get("/api/significant-words?q=coffee").json, "SignificantWordsResponse")


def test_the_results_page_lists_what_they_are_about_each_word_adding_itself(topic_app):
    page = topic_app.get("/?q=coffee")
    section = page.html.find("section", class_="about")
    assert section.find("h3").get_text() == "What these results are about"
    links = {a.get_text(" ", strip=True): a["href"] for a in section.find_all("a")}
    assert links["Add quotas to the search"] == "/?q=coffee+quotas"


def test_a_page_without_results_has_no_such_list(topic_app):
    assert topic_app.get("/?q=zzzzqqq").html.find("section", class_="about") is None
