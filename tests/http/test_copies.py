"""Copies on a real index: the build groups paragraphs that print the same text (identical, or a
word changed: 5-word-shingle Jaccard >= 0.8) and articles that copy another; searches collapse
each group into its best hit, which lists the others; totals, facets, trends and exports count
what the list shows; `collapse=none` shows every copy; an incremental reindex that removes a
copy's file regroups. Checked against the exact Jaccard of index/shingles.py, not the MinHash."""
from __future__ import annotations

import csv
import io
import itertools
import shutil

import numpy as np
import pytest
import webtest
from archive_files import write_jsonl
from error_shape import assert_error

from index.build import reindex
from index.settings import Settings
from index.shingles import COPY_JACCARD, NO_SKETCH, jaccard, shingles, sketches
from index.store import generations
from index.store.columns import read_columns
from index.words import tokens
from search.web.app import create_app
from test_openapi import assert_valid

WIRE = ["Coffee growers in the south of Brazil expect a smaller harvest this year because frost "
        "damaged many of the young trees in July.",
        "Exporters said shipments to Europe would fall by about a tenth while prices on the New "
        "York market rose for the third week running.",
        "The growers association asked the government in Brasilia for cheaper credit to replant "
        "the damaged farms before the next rains."]
# The same story with its last word changed in each paragraph (one 5-word shingle of 16 or more):
# still copies (Jaccard >= 0.8). A word changed mid-paragraph changes five shingles, too many.
EDITED = [p.rsplit(" ", 1)[0] + " again." for p in WIRE]
UPDATE = [WIRE[0],
          "Officials of the coffee institute will meet the growers next week to count the damage "
          "farm by farm across the southern states.",
          "A second survey of the trees is planned for October, when the flowering of the new "
          "season shows how many of them survived."]
OTHER = ["Cocoa farmers in Ghana received a higher price for their beans after the marketing "
         "board raised its offer for the main crop season."]


def story(article_id: str, date: str, paragraphs: list[str], title: str = "") -> dict:
    return {"id": article_id, "title": title or f"Story {article_id}", "date": date, "author": "",
            "url": "", "dateline": "", "paragraphs": paragraphs}


ORIGINAL = story("wire", "1987-03-02", WIRE, "Frost cuts Brazil coffee harvest")
REPRINT = story("reprint", "1987-03-03", WIRE, "Brazil frost hits coffee")
EDITED_COPY = story("edited", "1987-04-05", EDITED, "Frost hurts coffee in Brazil")
FOLLOW_UP = story("update", "1987-04-09", UPDATE, "Coffee institute to count frost damage")
COCOA = story("cocoa", "1987-03-04", OTHER, "Ghana raises cocoa price")
# Short paragraphs (under 10 words) are never copies, however often they repeat.
SHORT = [story(f"brief-{n}", "1987-03-05", ["Coffee prices were steady in London today."])
         for n in range(3)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("copies")
    folder = root / "archive"
    write_jsonl(folder / "wire.jsonl", ORIGINAL, FOLLOW_UP, COCOA, *SHORT)
    write_jsonl(folder / "reprints.jsonl", REPRINT, EDITED_COPY)
    settings = Settings.from_env({}, index_dir=root / "idx", workers=1, lock_timeout=5, sources=(folder,))
    reindex(settings)
    return settings


@pytest.fixture(scope="module")
def app(archive):
    bottle_app = create_app(archive)
    yield webtest.TestApp(bottle_app)
    bottle_app.close()


def search(app, query: str) -> dict:
    body = app.get(f"/api/search?{query}").json
    assert_valid(body, "SearchResponse")
    return body


def test_the_definition_is_the_exact_shingle_jaccard():
    assert jaccard(shingles(WIRE[0]), shingles(EDITED[0])) >= COPY_JACCARD
    assert jaccard(shingles(WIRE[0]), shingles(UPDATE[1])) < COPY_JACCARD
    assert shingles(SHORT[0]["paragraphs"][0]) == frozenset()
    first, edited, short = sketches([tokens(WIRE[0]), tokens(EDITED[0]), tokens(SHORT[0]["paragraphs"][0])])
    assert first == sketches([tokens(WIRE[0].upper() + " ")])[0]  # case and spacing make no copy differ
    assert first[:8] != edited[:8] and short == NO_SKETCH


def test_every_paragraph_is_grouped_with_exactly_its_copies(archive):
    gen_dir = generations.serving_generation(archive.index_dir)
    arrays, _ = read_columns(gen_dir)
    from index.store.whoosh_private import open_mapped_index
    with open_mapped_index(gen_dir).reader() as reader:
        ids = {int(d): "{article_id}:{para}".format(**reader.stored_fields(int(d)))
               for d in np.flatnonzero(arrays["alive"])}
        texts = {d: reader.stored_fields(d)["text"] for d in ids}
    key = arrays["copy_key"]
    for a, b in itertools.combinations(ids, 2):
        copies = jaccard(shingles(texts[a]), shingles(texts[b])) >= COPY_JACCARD
        assert (key[a] == key[b]) == copies, (ids[a], ids[b])
    groups = {frozenset(ids[d] for d in ids if key[d] == key[first]) for first in ids}
    assert {g for g in groups if len(g) > 1} == {
        frozenset({"wire:0", "reprint:0", "edited:0", "update:0"}),
        frozenset({"wire:1", "reprint:1", "edited:1"}), frozenset({"wire:2", "reprint:2", "edited:2"})}


def test_a_search_shows_one_hit_per_group_listing_the_others(app):
    body = search(app, "q=frost+damaged+young+trees")
    assert body["total"] == 1 and body["total_paragraphs"] == 4
    hit = body["hits"][0]
    assert sorted([hit["id"], *hit["copies"]]) == ["edited:0", "reprint:0", "update:0", "wire:0"]
    assert hit["copy_count"] == 3
    dates = [story["date"] for story in hit["copy_stories"]]
    assert dates == sorted(dates)  # earliest first
    assert [s["id"] for s in hit["copy_stories"]] == hit["copies"]


def test_collapse_none_shows_every_copy(app):
    body = search(app, "q=frost+damaged+young+trees&collapse=none")
    assert body["total"] == body["total_paragraphs"] == 4
    assert sorted(h["id"] for h in body["hits"]) == ["edited:0", "reprint:0", "update:0", "wire:0"]
    assert all(h["copy_count"] == 3 for h in body["hits"])


def test_articles_that_copy_another_fold_into_it_and_an_update_stays_for_its_news(app):
    # "growers" is in the repeated lead and in the update's own second paragraph.
    body = search(app, "q=coffee+growers&group=article")
    by_id = {h["article_id"]: h for h in body["hits"]}
    assert len(by_id) == 2 and "update" in by_id
    folded = next(h for aid, h in by_id.items() if aid != "update")
    assert sorted([folded["article_id"], *folded["copies"]]) == ["edited", "reprint", "update", "wire"]
    assert by_id["update"]["id"] == "update:1" and by_id["update"]["copies"] == []
    every = search(app, "q=coffee+growers&group=article&collapse=none")
    assert {h["article_id"] for h in every["hits"]} == {"wire", "reprint", "edited", "update"}
    assert body["total"] == 2 and every["total"] == 4
    # Only through its repeated lead, the update is one of the story's copies, not a result.
    lead = search(app, "q=frost+damaged+young+trees&group=article")
    assert lead["total"] == 1 and lead["hits"][0]["copy_count"] == 3


def test_the_article_says_what_it_copies_and_each_paragraph_its_copies(app):
    edited = app.get("/api/articles/edited").json
    assert_valid(edited, "ArticleResponse")
    assert edited["copy_of"]["article_id"] == "wire"  # the earliest of the group
    assert [s["article_id"] for s in edited["copies"]] == ["reprint"]
    assert sorted(edited["paragraphs"][0]["copies"]) == ["reprint:0", "update:0", "wire:0"]
    original = app.get("/api/articles/wire").json
    assert original["copy_of"] is None
    assert [s["article_id"] for s in original["copies"]] == ["reprint", "edited"]
    update = app.get("/api/articles/update").json
    assert update["copy_of"] is None and update["copies"] == []
    assert update["paragraphs"][1]["copies"] == []


def test_facets_trends_and_exports_count_what_total_counts(app):
    for collapse in ("copies", "none"):
        body = search(app, f"q=coffee&facets=month,country&collapse={collapse}")
        # A group with copies in two months counts in each (as a search of that month finds it).
        for row in body["facets"]["month"]:
            month = search(app, f"q=coffee&from={row['value']}&to={row['value']}&collapse={collapse}")
            assert row["count"] == month["total"]
        brazil = next(row["count"] for row in body["facets"]["country"] if row["id"] == "BR")
        assert brazil == search(app, f"q=coffee&place=BR&collapse={collapse}")["total"]
        trends = app.get(f"/api/trends?q=coffee&interval=month&collapse={collapse}").json
        for point in trends["series"][0]["points"]:
            if point["period"]:
                period = search(app, f"q=coffee&from={point['period']}&to={point['period']}"
                                     f"&collapse={collapse}&page_size=0")
                assert point["count"] == period["total"]
        rows = list(csv.reader(io.StringIO(app.get(f"/api/export?q=coffee&format=csv&collapse={collapse}").text)))
        assert len(rows) - 1 == body["total"]
    collapsed = search(app, "q=coffee")
    assert collapsed["total"] < collapsed["total_paragraphs"]


def test_short_paragraphs_repeated_are_not_copies(app):
    body = search(app, "q=steady+london")
    assert body["total"] == 3 and all(h["copy_count"] == 0 for h in body["hits"])


def test_a_bad_collapse_is_a_400_naming_it(app):
    assert_error(app.get("/api/search?q=coffee&collapse=some", expect_errors=True), 400,
                 "invalid_parameter", "collapse")


def test_the_page_folds_copies_and_lists_them(app):
    page = app.get("/?q=frost+damaged+young+trees")
    copies = page.html.select("li.hit details.copies")
    assert len(page.html.select("li.hit")) == 1 and len(copies) == 1
    assert "Also in 3 other stories" in copies[0].summary.get_text()
    assert len(copies[0].select("li a[href^='/article/']")) == 3
    every = app.get("/?q=frost+damaged+young+trees&collapse=none")
    assert len(every.html.select("li.hit")) == 4  # the page groups by article: 4 articles
    article = app.get("/article/edited")
    assert "A copy of" in article.html.select_one("p.copy-of").get_text()


def test_an_incremental_reindex_regroups_when_a_file_goes(archive, tmp_path):
    index_dir = tmp_path / "idx"
    shutil.copytree(archive.index_dir, index_dir)
    folder = tmp_path / "archive"
    shutil.copytree(archive.sources[0], folder)
    settings = Settings.from_env({}, index_dir=index_dir, workers=1, lock_timeout=5, sources=(folder,))
    reindex(settings, sources=[folder], remove_sources=[archive.sources[0]])  # the same files, moved
    (folder / "reprints.jsonl").unlink()
    report = reindex(settings, prune=True)
    assert not report.full
    arrays, _ = read_columns(generations.serving_generation(index_dir))
    members = arrays["copy_members"]
    assert len(members) == 2  # wire:0 and update:0 are the one group left
    write_jsonl(folder / "more.jsonl", story("again", "1987-05-01", WIRE[1:]))
    reindex(settings)
    arrays, _ = read_columns(generations.serving_generation(index_dir))
    assert len(arrays["copy_members"]) == 6


def test_related_stories_leave_out_the_story_and_its_copies(app):
    similar = app.get("/api/articles/wire/similar").json
    assert {h["article_id"] for h in similar["hits"]} & {"wire", "reprint", "edited"} == set()
    assert "update" in {h["article_id"] for h in similar["hits"]}  # it shares a paragraph, not all
    like = search(app, "like=wire:0&collapse=none")
    assert {h["article_id"] for h in like["hits"]} & {"wire", "reprint", "edited", "update"} == set()
