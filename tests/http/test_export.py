"""`GET /api/export` through WebTest, and the Exporter behind it: every hit in the search's
order as CSV or JSON Lines, one generation for the whole stream even across a switch, one
export per process at a time, and bad input as the API's 400."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from urllib.parse import quote, unquote

import pytest
import webob
import webtest
from built_apps import built_settings
from error_shape import assert_error

from index.build import reindex
from search.service import switcher
from search import SearchService
from search.service import params
from search.service.export import COLUMNS, GROUPED_COLUMNS, Exporter, export_filename
from search.web.app import OPENAPI_PATH, create_app

# Enough paragraphs that a small batch size splits them into several batches.
MANY = [{"id": f"grain-{n}", "title": f"Grain report {n}", "date": f"1987-03-{n % 28 + 1:02d}",
         "author": "", "url": "", "dateline": "",
         "paragraphs": [f"Wheat and grain exports from Canada rose {n} percent.",
                        f"Traders in Chicago said grain prices {'fell' if n % 2 else 'rose'}."]}
        for n in range(25)]


def csv_rows(res) -> list[list[str]]:
    return list(csv.reader(io.StringIO(res.body.decode("utf-8"))))


def jsonl_lines(res) -> list[dict]:
    return [json.loads(line) for line in res.body.decode("utf-8").splitlines()]


def every_hit(app, query: str) -> list[dict]:
    """Every hit of /api/search, page by page (the export's reference)."""
    hits, page = [], 1
    while True:
        body = app.get(f"/api/search?{query}&page_size=100&page={page}").json
        hits += body["hits"]
        if len(hits) >= body["total"]:
            return hits
        page += 1


@pytest.fixture(scope="module")
def many_app(tmp_path_factory):
    """An app over MANY whose exports read three rows at a time (several batches each)."""
    settings = built_settings(tmp_path_factory.mktemp("export-many"), MANY)
    service = SearchService(settings.index_dir, settings)
    bottle_app = create_app(settings, service)
    yield webtest.TestApp(bottle_app), service
    service.close()


def test_csv_export_is_every_hit_in_the_search_order_with_a_header(app):
    res = app.get("/api/export?q=oil&format=csv")
    rows = csv_rows(res)
    hits = every_hit(app, "q=oil")
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0] == list(COLUMNS)
    assert [r[0] for r in rows[1:]] == [h["id"] for h in hits]
    assert res.headers["X-Result-Total"] == str(len(hits))
    assert {r[-1] for r in rows[1:]} == {res.headers["X-Index-Generation"]}


def test_csv_row_holds_the_hits_fields_and_places_ids_and_names(app):
    hit = every_hit(app, "q=restoration&place=Baku")[0]
    rows = csv_rows(app.get("/api/export?q=restoration&place=Baku&format=csv"))
    row = dict(zip(rows[0], rows[1]))
    assert row["id"] == hit["id"] and row["article_id"] == hit["article_id"]
    assert (row["date"], row["title"], row["url"], row["text"]) == (
        hit["date"], hit["title"], hit["url"], hit["text"])
    assert row["place_ids"].split("; ") == [p["id"] for p in hit["places"]]
    assert row["place_names"].split("; ") == [p["name"] for p in hit["places"]]
    assert float(row["score"]) == hit["score"]


def test_jsonl_export_opens_with_its_generation_and_rows_match_the_search(app):
    res = app.get("/api/export?q=oil&format=jsonl&sort=newest")
    head, *rows = jsonl_lines(res)
    hits = every_hit(app, "q=oil&sort=newest")
    generation = app.get("/api/status").json["generation"]
    assert res.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert head["export"]["generation"] == generation == int(res.headers["X-Index-Generation"])
    assert (head["export"]["total"], head["export"]["query"]["sort"]) == (len(hits), "newest")
    assert [r["id"] for r in rows] == [h["id"] for h in hits]
    assert [r["places"] for r in rows] == [[{"id": p["id"], "name": p["name"]} for p in h["places"]]
                                           for h in hits]
    assert set(rows[0]) == {"id", "article_id", "date", "title", "places", "url", "text", "score",
                            "copy_count"}
    assert [r["copy_count"] for r in rows] == [h["copy_count"] for h in hits]


def test_export_names_its_file_for_the_query_and_the_day(app):
    res = app.get("/api/export?q=crude+oil&format=csv")
    today = dt.date.today().isoformat()
    assert res.headers["Content-Disposition"] == (
        f'attachment; filename="news-search-crude-oil-{today}.csv"')


def test_export_of_a_query_in_another_script_gives_its_utf8_name_too(app):
    res = app.get("/api/export?format=jsonl&q=" + quote("Gəncə ağ"))
    disposition = res.headers["Content-Disposition"]
    ascii_name = re.search(r'filename="([^"]+)"', disposition).group(1)
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert ascii_name.startswith("news-search-gence-ag-") and ascii_name.isascii()
    assert utf8_name.startswith("news-search-gəncə-ağ-")


def test_export_file_name_of_an_empty_query_says_everything():
    assert export_filename("", "csv", day=dt.date(2021, 4, 8)) == "news-search-everything-2021-04-08.csv"


def test_export_without_a_query_is_the_whole_archive_newest_first(app):
    rows = jsonl_lines(app.get("/api/export?format=jsonl"))[1:]
    assert len(rows) == app.get("/api/status").json["paragraphs"]
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_grouped_export_is_one_row_per_article_with_its_matching_paragraphs(app):
    rows = csv_rows(app.get("/api/export?q=oil&group=article&format=csv"))
    hits = every_hit(app, "q=oil&group=article")
    assert rows[0] == list(GROUPED_COLUMNS)
    assert [(r[0], int(r[-2])) for r in rows[1:]] == [(h["id"], h["matching_paragraphs"])
                                                      for h in hits]


def test_export_ignores_the_pages_paging_and_facets(app):
    paged = app.get("/api/export?q=oil&page=2&page_size=1&facets=month&format=csv")
    assert csv_rows(paged) == csv_rows(app.get("/api/export?q=oil&format=csv"))


def test_export_read_in_small_batches_keeps_the_search_order(many_app):
    app, service = many_app
    for query in ("q=grain+prices", "q=grain&sort=oldest", "q=wheat&group=article", ""):
        export = Exporter(service, batch_rows=3).open({**_pairs(query), "format": "jsonl"})
        rows = [json.loads(line) for chunk in export for line in chunk.decode().splitlines()][1:]
        assert [r["id"] for r in rows] == [h["id"] for h in every_hit(app, query)], query


def _pairs(query: str) -> dict[str, str]:
    return dict(part.split("=") for part in query.replace("+", " ").split("&") if part)


@pytest.mark.parametrize("query", ["format=xlsx", "q=oil", "q=oil&format=csv&format=jsonl"])
def test_missing_or_unknown_format_is_400_naming_format(app, query):
    error = assert_error(app.get(f"/api/export?{query}", expect_errors=True),
                         400, "invalid_parameter", "format")
    assert "csv" in error["message"] and "jsonl" in error["message"]


@pytest.mark.parametrize("query, param", [("from=yesterday", "from"), ("sort=random", "sort"),
                                          ("place=Atlantis", "place"), ("colour=red", "colour")])
def test_bad_search_parameter_of_an_export_is_400_naming_it(app, query, param):
    assert_error(app.get(f"/api/export?format=csv&{query}", expect_errors=True),
                 400, "invalid_parameter", param)


def test_export_before_the_first_build_is_503_no_index(unbuilt_app):
    res = unbuilt_app.get("/api/export?format=csv", expect_errors=True)
    assert_error(res, 503, "no_index")
    assert "Retry-After" in res.headers


def test_second_export_while_one_streams_is_503_until_the_first_ends(many_app):
    app, _ = many_app
    status, _, first = webob.Request.blank("/api/export?q=grain&format=csv").call_application(app.app)
    try:
        assert status.startswith("200") and next(iter(first)).startswith(b"id,")
        busy = app.get("/api/export?q=grain&format=jsonl", expect_errors=True)
        assert_error(busy, 503, "export_busy")
        assert int(busy.headers["Retry-After"]) >= 1
        assert app.get("/api/search?q=grain").status_int == 200  # searches go on meanwhile
    finally:
        first.close()
    assert app.get("/api/export?q=grain&format=jsonl").status_int == 200


def test_export_streams_from_its_generation_through_a_switch(tmp_path, monkeypatch):
    # A build can finish within the server's CHECK_INTERVAL: look for the new generation at once.
    monkeypatch.setattr(switcher, "CHECK_INTERVAL", 0.0)
    settings = built_settings(tmp_path, MANY[:4])
    service = SearchService(settings.index_dir, settings)
    try:
        export = Exporter(service, batch_rows=2).open({"q": "grain", "format": "jsonl"})
        chunks = iter(export)
        head = json.loads(next(chunks))
        (tmp_path / "archive" / "more.jsonl").write_text(
            "".join(json.dumps(a) + "\n" for a in MANY[4:8]), encoding="utf-8")
        reindex(settings)
        assert service.search({"q": "grain"})["total"] == 16  # new searches see the new one
        rows = [json.loads(line) for chunk in chunks for line in chunk.decode().splitlines()]
        assert len(rows) == head["export"]["total"] == 8
        assert {r["article_id"] for r in rows} == {a["id"] for a in MANY[:4]}
        assert head["export"]["generation"] == export.generation < service.serving_number()
    finally:
        service.close()


def test_export_is_documented_with_the_search_parameters_and_format():
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    get = doc["paths"]["/api/export"]["get"]
    refs = {p["$ref"].rsplit("/", 1)[-1] if "$ref" in p else p["name"] for p in get["parameters"]}
    names = {doc["components"]["parameters"][r]["name"] if r in doc["components"]["parameters"]
             else r for r in refs}
    assert names == {*params.KNOWN, "format"}
    fmt = next(p for p in get["parameters"] if p.get("name") == "format")
    assert fmt["schema"]["enum"] == ["csv", "jsonl"] and fmt["required"] is True
    assert set(get["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}


def test_results_page_links_downloads_of_every_hit_beside_the_total(app):
    page = app.get("/?q=oil&place=London&page=1")
    links = page.html.select(".summary .downloads a[download]")
    assert [a.text for a in links] == ["CSV", "JSON Lines"]
    assert "Download these results" in page.html.select_one(".summary .downloads").text
    export = app.get(links[0]["href"])
    rows = csv_rows(export)
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert len(rows) - 1 == int(export.headers["X-Result-Total"]) >= 1
    assert "page=" not in links[0]["href"] and "group=article" in links[1]["href"]


def test_results_page_without_hits_offers_no_download(app):
    assert not app.get("/?q=zzzzzz").html.select(".downloads")
