"""The HTML doors (search page, article view, error pages, static files) over WebTest: what a
reader sees, that archive and user text is escaped, and that every failure is a page."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest


from search.web import page
from search.service.params import KNOWN, MAX_RESULT_WINDOW
from search.web.timeline import timeline
from search.web.app import CONTENT_SECURITY_POLICY
from error_shape import assert_error
from built_apps import app_over

HTML_TYPE = "text/html; charset=utf-8"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# SVG elements the page writes self-closed or empty.
SVG_EMPTY = {"rect"}


class _Structure(HTMLParser):
    """Checks what a browser would silently repair: every element closed in order, no
    duplicate id, no duplicate attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ids: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"duplicate attribute in <{tag}>")
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"duplicate id {value!r}")
                self.ids.add(value)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag for void <{tag}>")
        elif not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
        else:
            self.open.pop()


def assert_well_formed(html: str) -> None:
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    checker = _Structure()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.open == [], (checker.problems, checker.open)


def assert_page(res, status: int) -> None:
    """An HTML answer with the security headers and no traceback."""
    assert res.status_int == status, res.text[:500]
    assert res.headers["Content-Type"] == HTML_TYPE
    assert res.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" not in res.text
    assert_well_formed(res.text)


def link_params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# ---------------------------------------------------------------- the form and results

def test_empty_search_page_is_the_form_with_a_label_for_every_control(app):
    res = app.get("/")
    assert_page(res, 200)
    form = res.html.find("form", id="search")
    assert form["method"] == "get" and form["action"] == "/" and form["role"] == "search"
    controls = form.find_all(["input", "select"])
    assert {c["name"] for c in controls} >= {"q", "from", "to", "place", "sort", "match", "group", "mode"}
    for control in controls:
        if control.get("type") == "hidden":
            continue
        has_for = control.get("id") and res.html.find("label", attrs={"for": control["id"]})
        assert has_for or control.find_parent("label"), control


def test_results_mark_the_query_words_in_snippets(app):
    res = app.get("/", {"q": "restoration", "group": "paragraph"})
    assert_page(res, 200)
    snippets = res.html.select(".hit .snippet")
    assert len(snippets) == 2
    assert all(s.find("mark").get_text().lower() == "restoration" for s in snippets)
    assert "2 paragraphs" in res.html.find(class_="summary").get_text()


def test_archive_markup_is_shown_as_text_never_as_markup(app):
    res = app.get("/", {"q": "ampersand"})
    assert "<script>alert(1)</script>" not in res.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in res.text
    assert res.html.select_one(".hit .snippet script") is None


def test_the_readers_query_is_escaped_everywhere(app):
    attack = '"><script>alert(2)</script>'
    res = app.get("/", {"q": attack, "place": attack + "x"}, expect_errors=True)
    assert "<script>alert(2)" not in res.text
    assert res.html.find("input", id="q")["value"] == attack


def test_hit_links_to_the_article_at_its_paragraph_with_the_query_and_the_way_back(app):
    res = app.get("/", {"q": "restoration", "from": "2021", "group": "paragraph"})
    hrefs = [a["href"] for a in res.html.select(".hit-title a")]
    assert ("/article/aghdam-1?q=restoration&back=q%3Drestoration%26from%3D2021%26group%3Dparagraph#p0"
            in hrefs)


def test_hit_places_are_links_adding_the_place_to_the_current_search(app):
    res = app.get("/", {"q": "restoration", "group": "paragraph"})
    links = {a.get_text(): a["href"] for a in res.html.select(".hit .place-links a")}
    assert link_params(links["Aghdam (Azerbaijan)"]) == {"q": ["restoration"], "group": ["paragraph"],
                                            "place": ["geonames:148619"]}


def test_a_hit_place_the_filter_already_covers_is_no_link(app):
    res = app.get("/", {"q": "restoration", "place": "azerbaijan"})
    assert [s.get_text() for s in res.html.select(".hit .place-links .filtered")][:1] == ["Azerbaijan"]
    assert "Azerbaijan" not in [a.get_text() for a in res.html.select(".hit .place-links a")]


def test_untitled_article_is_named_by_its_lead(odd_app):
    res = odd_app.get("/", {"q": "harbour"})
    title = res.html.select_one(".hit-title a")
    assert title.get_text().startswith("The harbour master of Valletta reported")
    assert "lead-title" in title["class"]


def test_group_by_article_counts_articles(app):
    res = app.get("/", {"q": "oil", "group": "article"})
    assert "2 articles" in res.html.find(class_="summary").get_text()


def test_suggestion_is_a_link_to_the_corrected_search(app):
    res = app.get("/", {"q": "restoraton", "from": "2021"})
    link = res.html.select_one(".suggestion a")
    assert link.get_text() == "restoration"
    assert link_params(link["href"]) == {"q": ["restoration"], "from": ["2021"]}


def test_nothing_found_says_what_to_change(app):
    res = app.get("/", {"q": "restoration zeppelin", "place": "London", "match": "all"})
    assert_page(res, 200)
    empty = res.html.find(class_="empty")
    ways = {a.get_text(): a["href"] for a in empty.find_all("a")}
    assert link_params(ways["Remove the place filters"]) == {"q": ["restoration zeppelin"], "match": ["all"]}
    assert "Match any of the words" in ways


def test_relaxed_search_says_so(app):
    res = app.get("/", {"q": "restoration zeppelin"})
    assert "holds every word" in res.html.find(class_="relaxed").get_text()


def test_the_services_notice_is_shown_as_text(app):
    res = app.get("/", {"q": "the who"})
    assert_page(res, 200)
    notices = [p.get_text() for p in res.html.select(".notice")]
    assert any("the" in text and "{" not in text for text in notices), notices


def test_expand_is_offered_only_when_the_service_takes_it(app):
    res = app.get("/", {"q": "oil"})
    box = res.html.find("input", attrs={"name": "expand"})
    assert (box is not None) == ("expand" in KNOWN)


# ---------------------------------------------------------------- facets, chips, timeline, pages

def test_place_facet_links_add_a_filter_that_shows_as_a_removable_chip(app):
    res = app.get("/", {"q": "oil"})
    facet = {a.get_text(): a["href"] for a in res.html.select(".facet a")}
    assert link_params(facet["London (England)"]) == {"q": ["oil"], "place": ["geonames:2643743"]}
    filtered = app.get(facet["London (England)"])
    assert "1 article" in filtered.html.find(class_="summary").get_text()
    chip = filtered.html.select_one(".chips a")
    assert "London" in chip.get_text()
    assert link_params(chip["href"]) == {"q": ["oil"]}
    assert filtered.html.find("input", attrs={"name": "place", "type": "checkbox"})["value"] == "geonames:2643743"


def test_countries_are_listed_apart_from_places(app):
    res = app.get("/", {"q": "oil"})
    sections = {s.find("h3").get_text(): [a.get_text() for a in s.find_all("a")]
                for s in res.html.select(".facet")}
    assert "United States" in sections["Countries"]
    assert "United States" not in sections["Places"]


def test_date_chips_remove_one_bound(app):
    res = app.get("/", {"q": "oil", "from": "1987", "to": "1990"})
    chips = {a.get_text(" ", strip=True): a["href"] for a in res.html.select(".chips a")}
    from_chip = next(href for text, href in chips.items() if text.startswith("From"))
    assert link_params(from_chip) == {"q": ["oil"], "to": ["1990"]}


def test_timeline_over_a_long_span_has_year_bars_linking_to_their_year(app):
    res = app.get("/", {"q": "oil"})
    bars = res.html.select(".timeline-chart a")
    assert [b["aria-label"] for b in bars] == ["1987: 1", "2020: 1"]
    assert link_params(bars[0]["href"]) == {"q": ["oil"], "from": ["1987"], "to": ["1987"]}
    # the empty years between are drawn but are no links
    assert len(res.html.select(".timeline-chart .bar-empty")) == 2020 - 1987 - 1


def test_timeline_within_a_year_has_month_bars_and_a_table(app):
    res = app.get("/", {"q": "oil", "from": "1987", "to": "1987"})
    bar = res.html.select_one(".timeline-chart a")
    assert bar["aria-label"] == "Mar 1987: 1"
    assert link_params(bar["href"])["from"] == ["1987-03"]
    rows = [[c.get_text(strip=True) for c in tr.find_all("td")] for tr in res.html.select(".timeline-table tbody tr")]
    assert rows == [["Mar 1987", "1"]]


def test_timeline_falls_back_to_years_when_the_month_list_was_cut_short():
    months = [{"value": f"1987-{m:02d}", "count": 1} for m in range(1, 13)]
    years = [{"value": "1987", "count": 12}, {"value": "1988", "count": 9}]
    drawn = timeline(months, years)  # the 9 hits of 1988 are missing from the months
    assert drawn.unit == "year" and [b.value for b in drawn.bars] == ["1987", "1988"]


def test_timeline_over_centuries_draws_only_the_years_with_hits():
    drawn = timeline([], [{"value": "0099", "count": 1}, {"value": "1987", "count": 5}])
    assert [(b.value, b.count) for b in drawn.bars] == [("0099", 1), ("1987", 5)]
    assert drawn.bars[0].height > 0 and drawn.bars[1].height == drawn.height


def test_following_a_timeline_bar_narrows_the_results(app):
    res = app.get("/", {"q": "oil"})
    narrowed = app.get(res.html.select(".timeline-chart a")[1]["href"])
    assert [t["datetime"] for t in narrowed.html.select(".hit time")] == ["2020-01-15"]


def test_pagination_links_carry_the_search_and_the_page(app):
    res = app.get("/", {"q": "oil", "page_size": "1", "group": "paragraph"})
    links = {a.get_text(): a["href"] for a in res.html.select(".pages a")}
    assert set(links) == {"Page 2", "Page 3", "Next ›", "Last »"}
    assert link_params(links["Next ›"]) == {"q": ["oil"], "group": ["paragraph"], "page_size": ["1"],
                                            "page": ["2"]}
    second = app.get(links["Next ›"])
    assert second.html.select_one(".pages [aria-current=page]").get_text() == "Page 2"
    assert {a.get_text() for a in second.html.select(".pages a")} == {"« First", "‹ Previous", "Page 1",
                                                                     "Page 3", "Next ›", "Last »"}
    assert second.html.select_one(".hits")["start"] == "2"


def test_pagination_never_links_past_the_api_paging_limit():
    last_allowed = MAX_RESULT_WINDOW // 100
    links = page.pagination({"q": ["oil"]}, last_allowed, 100, total=50_000)
    assert [link["label"] for link in links][-1] == str(last_allowed)
    assert all(link["href"] is None or link_params(link["href"]).get("page", ["1"])[0] != str(last_allowed + 1)
               for link in links)


def test_a_page_past_the_last_result_links_back_to_the_first(app):
    res = app.get("/", {"q": "oil", "page": "9"})
    link = res.html.select_one(".empty a")
    assert link_params(link["href"]) == {"q": ["oil"]}


# ---------------------------------------------------------------- 400 on the form

@pytest.mark.parametrize("params,field,words", [
    ({"q": "oil", "from": "1987-13"}, "from", "not a calendar date"),
    ({"q": "oil", "to": "yesterday"}, "to", "YYYY"),
    ({"q": "oil", "place": "Atlantisville"}, "place", "unknown place"),
    ({"q": "x" * 1001}, "q", "limit"),
    ({"q": "oil", "sort": "sideways"}, "sort", "sort must be one of"),
])
def test_a_bad_field_shows_the_form_again_with_400_and_the_message_beside_it(app, params, field, words):
    res = app.get("/", params, expect_errors=True)
    assert_page(res, 400)
    control = res.html.find(id=field)
    assert control["aria-invalid"] == "true"
    assert f"{field}-error" in control["aria-describedby"].split()
    assert words in res.html.find(id=f"{field}-error").get_text()
    if control.name == "input" and field != "place":
        assert control["value"] == params[field]
    assert res.html.select(".hit") == []


def test_a_bad_parameter_without_a_field_is_explained_above_the_form(app):
    res = app.get("/", {"q": "oil", "page": "0"}, expect_errors=True)
    assert_page(res, 400)
    assert "page must be" in res.html.find(class_="error-summary").get_text()


def test_an_advanced_syntax_error_is_a_400_beside_the_query(app):
    res = app.get("/", {"q": "oil AND (gas", "mode": "advanced"}, expect_errors=True)
    assert_page(res, 400)
    assert res.html.find(id="q-error").get_text().strip()
    assert res.html.find("input", attrs={"name": "mode"}).has_attr("checked")


@pytest.mark.parametrize("query", ["page=abc", "page_size=1000", "place=" + "&place=".join(map(str, range(30))),
                                   "q=%FF%FE", "facets=nonsense&q=oil", "unknown=1", "q=(((&mode=advanced",
                                   "match=any&q=the", "group=article&page=2&page_size=1&q=oil"])
def test_odd_query_strings_are_pages_never_500(app, query):
    res = app.get("/?" + query, expect_errors=True)
    assert res.status_int in (200, 400)
    assert_page(res, res.status_int)


# ---------------------------------------------------------------- the article view

def test_article_view_marks_the_words_and_anchors_every_paragraph(app):
    res = app.get("/article/aghdam-1", {"q": "restoration"})
    assert_page(res, 200)
    assert res.html.find("h1").get_text() == "Restoration begins in Aghdam"
    assert res.html.find("time")["datetime"] == "2021-04-08"
    paragraphs = res.html.select("article p.para")
    assert [p["id"] for p in paragraphs] == ["p0", "p1"]
    assert all(p.find("mark").get_text() == "restoration" for p in paragraphs)
    places = {a.get_text(): a["href"] for a in res.html.select(".place-links a")}
    assert link_params(places["Baku (Azerbaijan)"]) == {"place": ["geonames:587084"]}


def test_article_view_links_back_to_the_results_it_came_from(app):
    res = app.get("/article/aghdam-1", {"q": "restoration", "back": "q=restoration&from=2021&page=2"})
    assert res.html.select_one(".back a")["href"] == "/?q=restoration&from=2021&page=2"


def test_article_view_without_a_way_back_links_to_a_search_for_its_words(app):
    res = app.get("/article/aghdam-1", {"q": "restoration"})
    assert res.html.select_one(".back a")["href"] == "/?q=restoration"


def test_article_view_escapes_the_archive_text(app):
    res = app.get("/article/markup-3")
    assert "<script>alert(1)</script>" not in res.text
    assert "&lt;script&gt;" in res.text
    assert res.html.find("h1").get_text() == "Markup & escaping"


def test_article_source_is_linked_only_when_it_is_a_web_address(app, odd_app):
    assert app.get("/article/aghdam-1").html.select_one(".source a")["href"] == "https://example.org/aghdam-1"
    res = odd_app.get("/article/harbour-1")
    assert res.html.select_one(".source") is None
    assert "javascript:" not in res.text


def test_unknown_article_is_a_404_page(app):
    res = app.get("/article/no-such-article", expect_errors=True)
    assert_page(res, 404)
    assert "no-such-article" in res.html.find("main").get_text()


# ---------------------------------------------------------------- error pages and headers

def test_unknown_path_is_an_html_404_page_while_the_api_keeps_json(app):
    res = app.get("/no/such/page", expect_errors=True)
    assert_page(res, 404)
    assert "/no/such/page" in res.html.find("main").get_text()
    assert_error(app.get("/api/no/such", expect_errors=True), 404, "not_found")


def test_wrong_method_on_a_page_is_an_html_405(app):
    res = app.post("/", {"q": "oil"}, expect_errors=True)
    assert_page(res, 405)
    assert "GET" in res.headers["Allow"]


@pytest.mark.parametrize("path", ["/", "/?q=oil", "/article/oil-2"])
def test_no_index_is_a_503_page_saying_how_to_build_one(unbuilt_app, path):
    res = unbuilt_app.get(path, expect_errors=True)
    assert_page(res, 503)
    assert "python3 manage.py reindex" in res.text
    assert int(res.headers["Retry-After"]) > 0


def test_csp_allows_no_inline_script_or_style_and_the_page_has_none(app):
    res = app.get("/", {"q": "oil"})
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "style-src 'self'" in CONTENT_SECURITY_POLICY
    assert all(s.has_attr("src") and not s.get_text().strip() for s in res.html.find_all("script"))
    assert res.html.find("style") is None
    assert res.html.find(attrs={"style": True}) is None
    assert not re.search(r"\son[a-z]+=", res.text)


# ---------------------------------------------------------------- static files

def test_static_files_are_linked_by_content_hash_and_cached_for_good(app):
    res = app.get("/")
    href = res.html.find("link", rel="stylesheet")["href"]
    assert re.fullmatch(r"/static/style\.css\?v=[0-9a-f]{12}", href)
    css = app.get(href)
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    again = app.get(href, headers={"If-None-Match": css.headers["ETag"]}, status=304)
    assert again.body == b""


def test_a_static_file_asked_without_its_hash_is_revalidated(app):
    res = app.get("/static/page.js")
    assert res.headers["Cache-Control"] == "no-cache"
    assert "ETag" in res.headers


@pytest.mark.parametrize("path", ["/static/nothing.css", "/static/../web.py", "/static/%2e%2e/web.py"])
def test_missing_or_outside_static_files_are_404_pages(app, path):
    res = app.get(path, expect_errors=True)
    assert res.status_int in (403, 404)
    assert res.headers["Content-Type"] == HTML_TYPE
    assert "import" not in res.text


# ---------------------------------------------------------------- fixtures

ODD_ARTICLES = [
    {"id": "harbour-1", "title": "", "date": "1987-05-04", "author": "", "dateline": "",
     "url": "javascript:alert(3)",
     "paragraphs": ["The harbour master of Valletta reported that three ships had been held "
                    "outside the breakwater by the storm for most of the week.",
                    "Ships were let in on Friday."]},
]


@pytest.fixture(scope="module")
def odd_app(tmp_path_factory) -> webtest.TestApp:
    """An app over articles with what the shared fixture lacks: no title, a script URL."""
    yield from app_over(tmp_path_factory.mktemp("page-odd"), ODD_ARTICLES)
