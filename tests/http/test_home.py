"""The front page (GET / with no query and no filter): what the archive holds, drawn on the
server from the serving generation, and / with filters still showing results."""
from __future__ import annotations

import re

from search.web.home import FrontPage


def test_the_front_page_shows_the_span_of_dates_and_a_linked_timeline(app):
    page = app.get("/")
    assert "paragraphs, from Mar 1987 to Apr 2021." in re.sub(r"\s+", " ", page.text)
    bars = page.html.select(".home-timeline svg a")
    assert bars and all(a["href"].startswith("/?from=") for a in bars)


def test_the_front_page_links_its_places_countries_and_newest_stories(app):
    page = app.get("/")
    countries = [a.get_text() for a in page.html.select("#home-countries-heading ~ ul a")]
    assert "Azerbaijan" in countries
    places = [a.get_text() for a in page.html.select("#home-places-heading ~ ul a")]
    assert "Baku (Azerbaijan)" in places
    newest = [a.get_text() for a in page.html.select("#newest-heading ~ ul a")]
    assert newest[0] == "Restoration begins in Aghdam"


def test_every_example_search_on_the_front_page_finds_articles(app):
    examples = app.get("/").html.select("#examples-heading ~ ul a")
    assert examples
    for link in examples:
        assert app.get(link["href"]).html.select(".hits li"), link["href"]


def test_a_filter_without_words_shows_results_not_the_front_page(app):
    page = app.get("/?place=Azerbaijan")
    assert page.html.select(".hits li")
    assert not page.html.select("#newest-heading")


def test_the_front_page_is_made_once_per_generation(service):
    front = FrontPage(service)
    assert front.data() is front.data()
