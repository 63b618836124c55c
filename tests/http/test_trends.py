"""Trends over a small real archive: /api/trends counts what /api/search counts for the same
query and period, its totals add up to the archive, every period of the span is there, CSV,
bad input as 400s naming the parameter, and the "Compare over time" page drawn without script."""
from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest

from archive_files import write_archive
from built_apps import app_over, built_settings
from error_shape import assert_error
from index.build import reindex
from search.service import switcher
from search.engine.periods import INTERVALS
from search.service import trends
from search.web.app import CONTENT_SECURITY_POLICY, create_app
from search.web.trends import percent
from test_openapi import DOC, assert_valid

MONTHS = ("1987-01", "1987-03", "1987-04")   # nothing at all in 1987-02


def articles() -> list[dict]:
    """Per month of MONTHS, three articles: oil in two paragraphs of the first, coffee in the
    others; one undated article about oil; one oil story in Brazil."""
    made = []
    for m, month in enumerate(MONTHS):
        for i in range(3):
            made.append({"id": f"a{m}-{i}", "title": f"Report {m}-{i}", "date": f"{month}-{10 + i}",
                         "author": "", "url": "", "dateline": "",
                         "paragraphs": [f"Oil tankers waited off the coast for {m + i} days.",
                                        "Oil prices fell." if i == 0 else "Coffee exports rose.",
                                        "Traders said little."]})
    made.append({"id": "undated-1", "title": "An undated note", "author": "", "url": "",
                 "dateline": "", "paragraphs": ["Oil stocks were drawn down.", "Nothing else."]})
    made.append({"id": "brazil-1", "title": "Santos shipments", "date": "1987-03-20", "author": "",
                 "url": "", "dateline": "", "paragraphs": ["Oil and coffee left Brazil by sea."]})
    return made


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from app_over(tmp_path_factory.mktemp("trends-index"), articles())


def series_of(body: dict, q: str) -> list[dict]:
    return next(s["points"] for s in body["series"] if s["q"] == q)


# ---------------------------------------------------------------- the API

def test_every_month_of_the_archive_is_a_point_then_the_undated(app):
    body = app.get("/api/trends?q=oil&q=coffee&interval=month").json
    assert body["interval"] == "month"
    assert [s["q"] for s in body["series"]] == ["oil", "coffee"]
    periods = [p["period"] for p in series_of(body, "oil")]
    assert periods == ["1987-01", "1987-02", "1987-03", "1987-04", None]
    empty = series_of(body, "coffee")[1]
    assert empty == {"period": "1987-02", "count": 0, "total": 0, "share": 0.0}


@pytest.mark.parametrize("group", ["paragraph", "article"])
def test_counts_equal_the_search_total_for_each_period(app, group):
    body = app.get(f"/api/trends?q=oil&q=coffee&q=oil+prices&interval=month&group={group}").json
    checked = 0
    for series in body["series"]:
        for point in series["points"]:
            if point["period"] is None:
                continue
            search = app.get("/api/search", {"q": series["q"], "from": point["period"],
                                             "to": point["period"], "page_size": 0,
                                             "group": group}).json
            assert point["count"] == search["total"], (series["q"], point)
            checked += 1
    assert checked == 12
    assert series_of(body, "oil")[2]["count"] > 0


def test_totals_add_up_to_the_archive_paragraphs_undated_included(app):
    body = app.get("/api/trends?q=oil").json
    status = app.get("/api/status").json
    points = series_of(body, "oil")
    assert sum(p["total"] for p in points) == status["paragraphs"] == 3 * 3 * 3 + 2 + 1
    assert points[-1] == {"period": None, "count": 1, "total": 2, "share": 0.5}


def test_article_totals_add_up_to_the_archive_articles(app):
    body = app.get("/api/trends?q=coffee&group=article").json
    status = app.get("/api/status").json
    assert sum(p["total"] for p in series_of(body, "coffee")) == status["articles"] == 11


def test_share_is_the_count_over_the_total(app):
    point = series_of(app.get("/api/trends?q=oil&interval=month").json, "oil")[0]
    assert (point["count"], point["total"]) == (4, 9)
    assert point["share"] == pytest.approx(4 / 9)


def test_a_date_filter_bounds_the_periods_and_leaves_the_undated_out(app):
    body = app.get("/api/trends?q=oil&from=1987-03&to=1987-04&interval=month").json
    assert [p["period"] for p in series_of(body, "oil")] == ["1987-03", "1987-04"]


def test_a_bound_inside_a_period_cuts_its_count_but_not_its_total(app):
    point = series_of(app.get("/api/trends?q=oil&from=1987-01-11&interval=month").json, "oil")[0]
    search = app.get("/api/search?q=oil&from=1987-01-11&to=1987-01-31&page_size=0").json
    assert (point["period"], point["count"], point["total"]) == ("1987-01", search["total"], 9)
    assert point["count"] == 2


def test_totals_follow_a_new_generation(tmp_path, monkeypatch):
    # A build can finish within the server's CHECK_INTERVAL: look for the new generation at once.
    monkeypatch.setattr(switcher, "CHECK_INTERVAL", 0.0)
    articles_now = articles()[:3]
    settings = built_settings(tmp_path, articles_now)
    served = webtest.TestApp(create_app(settings))
    before = series_of(served.get("/api/trends?q=oil&interval=month").json, "oil")
    write_archive(tmp_path / "archive", articles_now + articles()[3:4])
    reindex(settings)
    after = series_of(served.get("/api/trends?q=oil&interval=month").json, "oil")
    assert [p["total"] for p in before] == [9]
    assert sum(p["total"] for p in after) == served.get("/api/status").json["paragraphs"] == 12
    served.app.close()


def test_months_run_on_across_the_turn_of_a_year(app):
    body = app.get("/api/trends?q=oil&from=1986-11&to=1987-02&interval=month").json
    points = series_of(body, "oil")
    assert [p["period"] for p in points] == ["1986-11", "1986-12", "1987-01", "1987-02"]
    assert [p["count"] for p in points] == [0, 0, 4, 0]


def test_a_place_filter_narrows_the_counts_but_not_the_totals(app):
    everywhere = series_of(app.get("/api/trends?q=coffee&interval=month").json, "coffee")
    brazil = series_of(app.get("/api/trends?q=coffee&interval=month&place=Brazil").json, "coffee")
    assert [p["count"] for p in brazil] == [0, 0, 1, 0, 0]
    assert [p["total"] for p in brazil] == [p["total"] for p in everywhere]


@pytest.mark.parametrize("query, interval", [("from=1987-03-01&to=1987-03-31", "day"),
                                             ("from=1987&to=1988", "month"),
                                             ("from=1900&to=1987", "year")])
def test_the_default_interval_follows_the_span(app, query, interval):
    body = app.get(f"/api/trends?q=oil&{query}").json
    assert body["interval"] == interval
    assert series_of(body, "oil")[0]["period"] == {"day": "1987-03-01", "month": "1987-01",
                                                   "year": "1900"}[interval]


def test_csv_has_a_row_per_query_and_period(app):
    response = app.get("/api/trends?q=oil&q=coffee&interval=month&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="trends-oil-coffee-month.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["q", "period", "count", "total", "share"]
    assert len(rows) == 1 + 2 * 5
    assert rows[1][:4] == ["oil", "1987-01", "4", "9"]
    assert rows[5][:4] == ["oil", "undated", "1", "2"]


def test_the_response_matches_the_documented_schema(app):
    assert_valid(app.get("/api/trends?q=oil&q=coffee").json, "TrendsResponse")


def test_the_documented_parameters_are_those_the_service_takes():
    documented = {p["name"]: p["schema"] for p in DOC["paths"]["/api/trends"]["get"]["parameters"]}
    assert set(documented) == set(trends.PARAMETERS)
    assert documented["q"]["maxItems"] == trends.MAX_QUERIES
    assert documented["interval"]["enum"] == list(INTERVALS)
    assert documented["format"]["enum"] == list(trends.FORMATS)


@pytest.mark.parametrize("query, param", [
    ("q=a&q=b&q=c&q=d&q=e&q=f", "q"),
    ("", "q"),
    ("q=oil&q=+", "q"),
    ("q=oil&interval=day&from=1900&to=1987", "interval"),
    ("q=oil&interval=week", "interval"),
    ("q=oil&format=xml", "format"),
    ("q=oil&from=1987-13", "from"),
    ("q=oil&place=Atlantis", "place"),
    ("q=oil&page=2", "page"),
])
def test_bad_input_is_a_400_naming_the_parameter(app, query, param):
    response = app.get(f"/api/trends?{query}", expect_errors=True)
    assert_error(response, 400, "invalid_parameter", param)


# ---------------------------------------------------------------- the page

def test_the_page_draws_a_line_and_a_legend_entry_per_query(app):
    response = app.get("/trends?q=oil&q=coffee&interval=month")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.html
    assert len(html.select("svg.trends-chart polyline")) == 2
    assert [li.get_text(" ", strip=True).split(" (")[0] for li in html.select(".trends-legend li")] \
        == ["oil", "coffee"]
    assert "style=" not in response.text and "<script>" not in response.text


def test_each_point_links_to_the_search_for_its_query_and_period(app):
    html = app.get("/trends?q=oil&q=coffee&interval=month&place=Brazil").html
    links = [a["href"] for a in html.select("svg.trends-chart a")]
    assert len(links) == 2 * 4
    params = parse_qs(urlsplit(links[6]).query)
    assert params == {"q": ["coffee"], "from": ["1987-03"], "to": ["1987-03"], "place": ["Brazil"]}
    assert app.get(links[6]).html.select_one(".summary").get_text().strip().startswith("1 article")


def test_the_table_gives_every_period_with_counts_and_shares(app):
    html = app.get("/trends?q=oil&interval=month&group=paragraph").html
    rows = [[c.get_text(" ", strip=True) for c in tr.select("th, td")]
            for tr in html.select(".trends-table tbody tr")]
    assert rows[0] == ["Jan 1987", "4 (44 %)", "9"]
    assert [r[0] for r in rows] == ["Jan 1987", "Feb 1987", "Mar 1987", "Apr 1987", "Undated"]


def test_the_toggle_is_a_link_to_the_other_measure(app):
    html = app.get("/trends?q=oil").html
    assert html.select_one(".trends-toggle strong").get_text() == "Share of all articles"
    counts = html.select_one(".trends-toggle a")
    assert parse_qs(urlsplit(counts["href"]).query)["measure"] == ["count"]
    shown = app.get(counts["href"]).html
    assert shown.select_one("#chart-heading").get_text().startswith("Matching articles")


def test_a_bad_interval_shows_the_form_again_with_the_message(app):
    response = app.get("/trends?q=oil&interval=week", expect_errors=True)
    assert response.status_int == 400
    assert "interval must be one of" in response.html.select_one(".error-summary").get_text()
    assert response.html.select_one("#interval")["aria-invalid"] == "true"


def test_the_page_without_queries_offers_the_form(app):
    html = app.get("/trends").html
    assert len(html.select("input[name=q]")) == 5 and html.select_one("svg.trends-chart") is None


def test_the_result_page_links_the_comparison_for_its_search(app):
    html = app.get("/?q=oil&place=Brazil").html
    link = html.select_one("a.to-trends")
    assert parse_qs(urlsplit(link["href"]).query) == {"q": ["oil"], "place": ["Brazil"]}
    assert urlsplit(link["href"]).path == "/trends"


@pytest.mark.parametrize("share, shown", [(0.0024, "0.24 %"), (0.5, "50 %"), (0.0, "0 %"),
                                          (0.012, "1.2 %")])
def test_shares_are_shown_as_percentages_with_two_significant_digits(share, shown):
    assert percent(share) == shown
