"""Results a reader can trust at a glance (WebTest): the page groups paragraphs by story, titles
are marked, an untitled article has one title everywhere, and paging, filters and counts say
what they mean."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import webtest


from search.web import page
from built_apps import app_over
from test_page import assert_page

STORY = {"id": "rates-1", "title": "Central bank holds interest rates", "date": "1987-03-02",
         "author": "C. Reporter", "url": "", "dateline": "",
         "paragraphs": [f"Interest rates stayed where they were, point {n} of the story said."
                        for n in range(9)]}
OTHER = {"id": "rates-2", "title": "Mortgage lenders", "date": "1987-03-20", "author": "",
         "url": "", "dateline": "",
         "paragraphs": ["Lenders said interest rates would fall next year."]}
UNTITLED = {"id": "memo-1", "title": "", "date": "1987-04-01", "author": "", "url": "",
            "dateline": "",
            "paragraphs": ["The U.S. Treasury said on Monday it would sell more bonds to cover the "
                           "deficit. Dealers expected a large sale.",
                           "Bonds fell after the Treasury spoke.",
                           "Dealers said bonds would recover."]}


def link_params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture(scope="module")
def story_app(tmp_path_factory) -> webtest.TestApp:
    yield from app_over(tmp_path_factory.mktemp("page-story"), [STORY, OTHER, UNTITLED])


# ---------------------------------------------------------------- 1. one story, one hit

def test_the_page_groups_a_storys_paragraphs_into_one_hit_by_default(story_app):
    res = story_app.get("/", {"q": '"interest rates"'})
    assert_page(res, 200)
    titles = [a.get_text() for a in res.html.select(".hit-title a")]
    assert titles == ["Central bank holds interest rates", "Mortgage lenders"]
    assert "2 articles" in res.html.find(class_="summary").get_text()


def test_a_grouped_hit_links_to_its_other_matching_paragraphs(story_app):
    res = story_app.get("/", {"q": '"interest rates"'})
    more = res.html.select(".hit .more a")
    assert len(more) == 1 and more[0].get_text().startswith("8 more matching paragraphs")
    assert urlsplit(more[0]["href"]).path == "/article/rates-1"
    article = story_app.get(more[0]["href"])
    assert len(article.html.select("p.para mark")) >= 9


def test_every_paragraph_is_a_hit_with_group_paragraph_in_the_url(story_app):
    res = story_app.get("/", {"q": '"interest rates"', "group": "paragraph"})
    assert len(res.html.select(".hit")) == 10
    assert res.html.select(".hit .more") == []
    assert "10 paragraphs" in res.html.find(class_="summary").get_text()
    box = res.html.find("input", attrs={"name": "group"})
    assert box["value"] == "paragraph" and box.has_attr("checked")
    chip = next(a for a in res.html.select(".chips a") if "Every paragraph" in a.get_text())
    assert "group" not in link_params(chip["href"])


def test_the_api_still_answers_a_hit_per_paragraph_by_default(story_app):
    body = story_app.get("/api/search", {"q": '"interest rates"'}).json
    assert body["query"]["group"] == "paragraph" and body["total"] == 10


# ---------------------------------------------------------------- 2. marked titles

def test_a_title_only_hit_has_its_title_matches_in_the_api(story_app):
    hit = story_app.get("/api/search", {"q": "mortgage"}).json["hits"][0]
    assert hit["matches"] == []
    assert [hit["title"][s:e] for s, e in hit["title_matches"]] == ["Mortgage"]


def test_the_page_marks_the_query_words_in_titles(story_app):
    res = story_app.get("/", {"q": "mortgage"})
    assert [m.get_text() for m in res.html.select(".hit-title mark")] == ["Mortgage"]


def test_a_marked_title_is_still_escaped(app):
    res = app.get("/", {"q": "escaping"})
    title = res.html.select_one(".hit-title a")
    assert title.decode_contents() == "Markup &amp; <mark>escaping</mark>"


# ---------------------------------------------------------------- 3. one display title

def test_an_untitled_article_has_its_lead_sentence_as_title_on_every_paragraph(story_app):
    res = story_app.get("/", {"q": "bonds", "group": "paragraph"})
    titles = {a.get_text() for a in res.html.select(".hit-title a")}
    assert titles == {"The U.S. Treasury said on Monday it would sell more bonds to cover the "
                      "deficit."}
    assert all("lead-title" in a["class"] for a in res.html.select(".hit-title a"))
    hits = story_app.get("/api/search", {"q": "bonds"}).json["hits"]
    assert {h["title_is_lead"] for h in hits} == {True} and len({h["title"] for h in hits}) == 1


def test_the_article_view_shows_the_same_display_title(story_app):
    res = story_app.get("/article/memo-1")
    assert res.html.find("h1").get_text() == ("The U.S. Treasury said on Monday it would sell "
                                              "more bonds to cover the deficit.")


def test_a_hit_shows_its_author(story_app):
    res = story_app.get("/", {"q": '"interest rates"'})
    assert res.html.select_one(".hit .author").get_text() == "C. Reporter"


# ---------------------------------------------------------------- 7. small things

def test_a_page_past_the_last_says_so_and_links_to_the_last_page(story_app):
    res = story_app.get("/", {"q": "bonds", "group": "paragraph", "page": "5"})
    assert_page(res, 200)
    assert "Nothing to show" not in res.text
    past = res.html.find(class_="past-end")
    assert "Page 5 is past the last page" in past.get_text()
    links = {a.get_text(): a["href"] for a in past.find_all("a")}
    assert link_params(links["Go to the first page"]) == {"q": ["bonds"], "group": ["paragraph"]}


def test_a_page_past_the_paging_limit_is_past_the_last_page_not_an_api_error(story_app):
    res = story_app.get("/", {"q": "bonds", "page": "9999"})
    assert_page(res, 200)
    assert "page_size" not in res.text
    assert "Page 9999 is past the last page" in res.html.find(class_="past-end").get_text()


def test_pages_end_with_a_link_to_the_last_page(story_app):
    res = story_app.get("/", {"q": "interest rates", "group": "paragraph", "page_size": "2"})
    links = {a.get_text(): a["href"] for a in res.html.select(".pages a")}
    assert link_params(links["Last »"])["page"] == ["5"]


def test_nothing_found_without_a_way_out_ends_its_sentence(story_app):
    res = story_app.get("/", {"q": "zeppelin"})
    empty = res.html.find(class_="empty")
    assert empty.find("ul") is None
    assert not empty.find("p").get_text().rstrip().endswith(":")


def test_options_spelled_out_at_their_default_are_not_counted_as_in_use(story_app):
    res = story_app.get("/", {"q": "bonds", "sort": "relevance", "match": "all", "group": "article"})
    assert "in use" not in res.html.select_one(".options summary").get_text()
    res = story_app.get("/", {"q": "bonds", "sort": "newest"})
    assert "(1 in use)" in res.html.select_one(".options summary").get_text()


def test_a_one_month_range_is_one_chip_and_a_timeline_of_its_days(story_app):
    res = story_app.get("/", {"q": "interest rates", "from": "1987-03", "to": "1987-03"})
    chips = res.html.select(".chips a")
    assert len(chips) == 1 and "Mar 1987" in chips[0].get_text()
    assert link_params(chips[0]["href"]) == {"q": ["interest rates"]}
    assert res.html.find(id="timeline-heading").get_text() == "Articles per day"
    bars = {a["aria-label"]: a["href"] for a in res.html.select(".timeline-chart a")}
    assert set(bars) == {"2 Mar 1987: 1", "20 Mar 1987: 1"}
    assert link_params(bars["2 Mar 1987: 1"])["from"] == ["1987-03-02"]


def test_page_size_zero_gives_counts_and_facets_only(story_app):
    body = story_app.get("/api/search", {"q": "bonds", "page_size": "0",
                                         "facets": "year,day"}).json
    assert (body["hits"], body["total"], body["page_size"]) == ([], 3, 0)
    assert body["facets"]["day"] == [{"value": "1987-04-01", "count": 3}]


def test_page_size_zero_on_the_page_is_counts_only_without_an_error(story_app):
    res = story_app.get("/", {"q": "bonds", "page_size": "0"})
    assert_page(res, 200)
    assert "Counts only" in res.text


def test_pagination_links_the_last_page_until_it_is_reached():
    labels = [link["label"] for link in page.pagination({"q": ["oil"]}, 1, 10, total=205)]
    assert labels[-2:] == ["Next ›", "Last »"]
    assert "Last »" not in [link["label"] for link in page.pagination({"q": ["oil"]}, 21, 10, 205)]
