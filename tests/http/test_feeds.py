"""GET /feed (Atom, read back with feedparser), GET /opensearch.xml (each template filled in and
asked for) and GET /api/suggestions, and the links every page carries to them."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser
import pytest

from built_apps import app_over
from error_shape import assert_error

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = 'Oil & <script>alert("t")</script> ]]> "quotes"'


def feed_articles() -> list[dict]:
    """Sixty dated oil stories (one a day from 1 January 1987, out of order on disk), one with
    markup and a control character in its title, text and author, and one undated."""
    made = [{"id": f"oil-{i}", "title": f"Oil report {i}",
             "date": f"1987-{1 + i // 28:02d}-{1 + i % 28:02d}", "author": "", "url": "",
             "dateline": "", "paragraphs": [f"Oil shipments of day {i} rose in Baku."]}
            for i in reversed(range(60))]
    made.append({"id": "hostile", "title": HOSTILE_TITLE, "date": "1987-02-15",
                 "author": "<b>Mallory</b>", "url": "", "dateline": "",
                 "paragraphs": ["Oil <img src=x onerror=alert(1)> & friends\x0b here."]})
    made.append({"id": "undated", "title": "Oil without a date", "date": "", "author": "",
                 "url": "", "dateline": "", "paragraphs": ["Oil of no particular day."]})
    return made


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from app_over(tmp_path_factory.mktemp("feeds"), feed_articles())


def parsed(response) -> feedparser.FeedParserDict:
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_feed_is_valid_atom_of_the_newest_50_newest_first(app):
    feed = parsed(app.get("/feed?q=oil"))
    dates = [entry.updated_parsed for entry in feed.entries]
    assert len(dates) == 50
    assert dates == sorted(dates, reverse=True)
    assert feed.entries[0].updated.startswith("1987-03-04")  # day 59


def test_each_entry_links_to_its_article_at_the_paragraph_with_the_snippet(app):
    response = app.get("/feed?q=shipments")
    entry = parsed(response).entries[0]
    assert urlsplit(entry.link)._replace(scheme="", netloc="").geturl() == "/article/oil-59?q=shipments#p0"
    assert app.get(urlsplit(entry.link).path).status_int == 200
    # As written (feedparser's sanitizer drops <mark>): an HTML summary, the snippet's marks in it.
    summary = ET.fromstring(response.body).find(f"{ATOM}entry/{ATOM}summary")
    assert (summary.get("type"), summary.text) == ("html", "Oil <mark>shipments</mark> of day 59 rose in Baku.")


def test_hostile_text_is_escaped_and_reads_back_as_written(app):
    response = app.get("/feed?q=friends")
    assert b"<script>" not in response.body and b"<img" not in response.body
    entry = parsed(response).entries[0]
    assert entry.title == HOSTILE_TITLE
    assert entry.author == "<b>Mallory</b>"
    assert "&lt;img src=x onerror=alert(1)&gt;" in entry.summary_detail.value


def test_undated_paragraphs_are_not_in_the_feed(app):
    assert parsed(app.get("/feed?q=particular")).entries == []


def test_the_feed_follows_the_page_parameters_but_decides_its_own_order_and_length(app):
    feed = parsed(app.get("/feed?q=oil&from=1987-01&to=1987-01&sort=oldest&page=3&page_size=5"))
    assert len(feed.entries) == 28
    assert feed.entries[0].updated.startswith("1987-01-28")


@pytest.mark.parametrize("query, param", [("q=oil&to=1987-13", "to"), ("q=oil&colour=red", "colour")])
def test_a_bad_parameter_is_a_json_400_naming_it(app, query, param):
    assert_error(app.get(f"/feed?{query}", expect_errors=True), 400, "invalid_parameter", param)


def test_a_results_page_links_the_feed_of_its_search(app):
    page = app.get("/?q=oil&place=Baku&page=2")
    link = page.html.find("link", rel="alternate", type="application/atom+xml")
    assert link["href"] == "/feed?q=oil&place=Baku"
    assert len(parsed(app.get(link["href"])).entries) == 50


@pytest.mark.parametrize("path", ["/", "/?q=oil", "/article/oil-3", "/?q=oil&to=1987-13"])
def test_every_page_links_the_opensearch_description(app, path):
    page = app.get(path, expect_errors=True)
    link = page.html.find("link", rel="search")
    assert link["type"] == "application/opensearchdescription+xml"
    assert link["href"] == "/opensearch.xml"


def opensearch_urls(app) -> dict[str, str]:
    response = app.get("/opensearch.xml")
    assert response.headers["Content-Type"] == "application/opensearchdescription+xml; charset=utf-8"
    root = ET.fromstring(response.body)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert len(root.find(f"{OPENSEARCH}ShortName").text) <= 16
    return {url.get("type"): url.get("template") for url in root.iter(f"{OPENSEARCH}Url")}


def test_opensearch_describes_the_page_the_feed_the_api_and_suggestions(app):
    assert set(opensearch_urls(app)) == {"text/html", "application/atom+xml", "application/json",
                                         "application/x-suggestions+json",
                                         "application/opensearchdescription+xml"}


@pytest.mark.parametrize("kind", ["text/html", "application/atom+xml", "application/json",
                                  "application/x-suggestions+json",
                                  "application/opensearchdescription+xml"])
def test_each_opensearch_template_filled_in_answers_200(app, kind):
    template = opensearch_urls(app)[kind]
    assert template.startswith("http://localhost:80/")
    filled = re.sub(r"\{[^}]*\?\}", "", template.replace("{searchTerms}", "oil%20shipments"))
    assert app.get(filled.removeprefix("http://localhost:80")).status_int == 200


def test_suggestions_complete_place_names_in_the_opensearch_shape(app):
    assert app.get("/api/suggestions?q=ba").json == ["ba", ["Baku"]]
    assert app.get("/api/suggestions?q=").json == ["", []]


def test_a_suggestion_prefix_past_the_name_limit_is_a_400_naming_q(app):
    assert_error(app.get("/api/suggestions?q=" + "b" * 201, expect_errors=True),
                 400, "invalid_parameter", "q")
