"""SearchService over a real index built from a small archive: the API contract end to end."""
import logging
import threading

import pytest

import search.service.switcher as switcher_module
from index.build import reindex
from index.settings import Settings
from search import NoIndexError, NotFoundError, QueryError, SearchService
from search_corpus import ARTICLES, built_index, write_archive

ZEPPELIN = {"id": "z", "title": "Zeppelin", "date": "2021-01-01", "author": "", "url": "",
            "dateline": "", "paragraphs": ["A zeppelin landed."]}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.getbasetemp() / "search-corpus"))
    yield s
    s.close()


def ids(body):
    return [h["id"] for h in body["hits"]]


def error(service, **params) -> QueryError:
    with pytest.raises(QueryError) as e:
        service.search(params)
    return e.value


# -- the body


def test_the_body_has_every_documented_key(service):
    body = service.search({"q": "coffee"})
    assert set(body) >= {"query", "total", "page", "page_size", "took_ms", "relaxed", "suggestion",
                         "hits", "facets", "timed_out"}
    assert set(body["hits"][0]) >= {"id", "article_id", "para", "title", "date", "places", "score",
                                    "snippet", "text", "matches", "url"}


def test_an_empty_query_returns_everything_newest_first(service):
    body = service.search({"page_size": "100"})
    assert body["total"] == 10
    dates = [h["date"] for h in body["hits"] if h["date"]]
    assert dates == sorted(dates, reverse=True) and body["hits"][-1]["date"] is None


def test_every_word_is_required_by_default(service):
    assert ids(service.search({"q": "coffee exports"})) == ["coffee-jan:1"]


def test_match_any_ranks_paragraphs_with_more_words_first(service):
    body = service.search({"q": "coffee exports", "match": "any"})
    assert body["hits"][0]["id"] == "coffee-jan:1" and body["total"] > 2


def test_all_words_relaxes_to_any_word_when_nothing_matches(service):
    body = service.search({"q": "coffee zeppelin"})
    assert body["relaxed"] is True and body["total"] > 0


def test_a_query_that_matches_is_not_relaxed(service):
    assert service.search({"q": "coffee"})["relaxed"] is False


def test_a_hyphenated_name_is_searched_as_a_phrase(service):
    assert ids(service.search({"q": "Nagorno-Karabakh"})) == ["nagorno-1:0"]


def test_a_quoted_phrase_needs_its_words_together(service):
    assert service.search({"q": '"coffee growers"'})["total"] == 1
    assert service.search({"q": '"growers coffee"'})["total"] == 0


def test_operators_in_simple_mode_are_words_and_never_fail(service):
    assert service.search({"q": 'coffee AND ("prices'})["total"] >= 1


def test_a_title_only_match_gets_the_paragraph_opening_as_snippet(service):
    hit = next(h for h in service.search({"q": "restoration"})["hits"] if h["id"] == "karabakh-1:2")
    assert hit["matches"] == [] and hit["snippet"].startswith("Officials said on April 6")


def test_a_stemmed_variant_is_highlighted_with_offsets(service):
    hit = next(h for h in service.search({"q": "shelling"})["hits"] if h["id"] == "karabakh-1:1")
    assert hit["snippet"] == "Engineers from Ganja cleared mines; the town was <mark>shelled</mark> in October."
    assert hit["matches"] == [[49, 56]]


def test_markup_in_a_paragraph_comes_back_escaped(service):
    hit = service.search({"q": "officials"})["hits"][0]
    assert "&lt;script&gt;" in hit["snippet"] and "<script>" not in hit["snippet"]
    assert "&amp;" in hit["snippet"]


def test_the_hit_carries_place_objects_and_a_link(service):
    hit = service.search({"q": "aghdam"})["hits"][0]
    country = next(p for p in hit["places"] if p["id"] == "AZ")
    assert {k: country[k] for k in ("name", "kind", "country", "country_code")} == {
        "name": "Azerbaijan", "kind": "country", "country": "Azerbaijan", "country_code": "AZ"}
    # Every place carries a point, so a page can show where results are.
    assert all(-90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180 for p in hit["places"])
    assert hit["url"] == "/article/karabakh-1#p0"


# -- filters


def test_from_and_to_are_inclusive_at_both_edges(service):
    body = service.search({"from": "2020-12-31", "to": "2021-01-01", "page_size": "100"})
    assert sorted(h["article_id"] for h in body["hits"]) == ["coffee-jan", "coffee-jan", "wine-1", "wine-1"]


def test_a_year_filter_excludes_the_day_before(service):
    assert "wine-1" not in {h["article_id"] for h in service.search({"from": "2021", "page_size": "100"})["hits"]}


def test_an_undated_paragraph_never_matches_a_date_filter(service):
    assert service.search({"q": "brazil", "to": "2100"})["total"] == 0


def test_a_country_filter_finds_paragraphs_that_name_only_its_cities(service):
    found = ids(service.search({"place": "azerbaijan", "page_size": "100"}))
    assert "karabakh-1:1" in found  # names Ganja (and the Baku dateline), not Azerbaijan


def test_a_place_filter_accepts_an_id(service):
    assert service.search({"place": "geonames:2988507"})["total"] == 1


def test_several_places_match_any_of_them(service):
    assert service.search({"place": ["France", "Japan"]})["total"] == 2


def test_an_unknown_place_is_an_error_with_close_matches(service):
    e = error(service, place="Azerbajan")
    assert e.param == "place" and "Azerbaijan" in e.message


def test_mentioned_dates_filter_on_dates_in_the_text(service):
    assert ids(service.search({"mentioned_from": "2021-04-06", "mentioned_to": "2021-04-06"})) == ["karabakh-1:2"]


def test_a_month_mention_overlaps_a_day_range(service):
    # wine-1:1 (dated 2020-12-31) says "in December": the month 2020-12.
    assert ids(service.search({"mentioned_from": "2020-12-15", "mentioned_to": "2020-12-15"})) == ["wine-1:1"]


# -- facets


def test_facets_count_every_match_not_only_the_page(service):
    body = service.search({"page_size": "1", "facets": "year,month,country,place"})
    assert {f["value"]: f["count"] for f in body["facets"]["year"]} == {"2020": 2, "2021": 7}
    assert {f["value"]: f["count"] for f in body["facets"]["month"]}["2021-04"] == 3


def test_place_facet_counts_equal_a_brute_count_over_the_hits(service):
    body = service.search({"page_size": "100", "facets": "place"})
    for row in body["facets"]["place"]:
        brute = service.search({"place": row["id"], "page_size": "100"})["total"]
        assert row["count"] == brute, row


def test_country_facet_holds_only_countries(service):
    body = service.search({"facets": "country"})
    values = {f["value"] for f in body["facets"]["country"]}
    assert "Azerbaijan" in values and "Baku" not in values


# -- sort, paging, grouping


def test_oldest_sorts_ascending_with_undated_last(service):
    dates = [h["date"] for h in service.search({"sort": "oldest", "page_size": "100"})["hits"]]
    assert dates[0] == "2020-12-31" and dates[-1] is None


def test_pages_do_not_overlap_and_cover_all_hits(service):
    pages = [ids(service.search({"page": str(n), "page_size": "3"})) for n in (1, 2, 3, 4)]
    flat = [i for page in pages for i in page]
    assert len(flat) == len(set(flat)) == 10


def test_group_by_article_returns_one_hit_per_article_with_a_count(service):
    body = service.search({"q": "coffee", "group": "article"})
    assert body["total"] == 3
    jan = next(h for h in body["hits"] if h["article_id"] == "coffee-jan")
    assert jan["matching_paragraphs"] == 2


# -- advanced mode


def test_advanced_boolean_operators(service):
    assert ids(service.search({"q": "coffee AND NOT (japan OR brazil) AND growers", "mode": "advanced"})) == ["coffee-jan:0"]


def test_advanced_field_query_on_title(service):
    assert {h["article_id"] for h in service.search({"q": "title:wine", "mode": "advanced"})["hits"]} == {"wine-1"}


def test_advanced_place_field_includes_cities(service):
    assert "karabakh-1:1" in ids(service.search({"q": "place:azerbaijan", "mode": "advanced", "page_size": "50"}))


def test_advanced_fuzzy_on_title_finds_the_title_word(service):
    # title has no unstemmed spelling field: its own terms are stems, never stemmed again.
    found = {h["article_id"] for h in service.search({"q": "title:cofee~", "mode": "advanced"})["hits"]}
    assert found == {"coffee-undated"}


@pytest.mark.parametrize("q,construct", [("text:[a TO z]", "range"), ("{a TO}", "range"),
                                         ("coffee^1e400", "boost"), ("coffee^2", "boost")])
def test_ranges_and_boosts_are_errors_saying_what_is_supported(service, q, construct):
    e = error(service, q=q, mode="advanced")
    assert e.param == "q" and construct in e.message and "prefix*" in e.message


def test_advanced_prefix_and_fuzzy_terms(service):
    # wine-1:0 "exported", coffee-jan:1 "exports", wine-1:1 through its title "Wine exports rise"
    assert service.search({"q": "expor*", "mode": "advanced"})["total"] == 3
    assert service.search({"q": "cofee~", "mode": "advanced"})["total"] >= 3


@pytest.mark.parametrize("q,where", [('"coffee', "1"), ("(coffee", "1"), ("coffee)", "7"),
                                     ("coffee AND", "8"), ("OR coffee", "1"), ("coffee NOT", "8"),
                                     ("author:x", "1"), ("title:", "1"), ("*", "1"), ("c*", "1"),
                                     ("cofee~²", "1"), ("cofee~١", "1")])
def test_an_advanced_syntax_error_names_its_position(service, q, where):
    e = error(service, q=q, mode="advanced")
    assert e.param == "q" and f"position {where}" in e.message


def test_a_prefix_matching_too_many_words_asks_for_more_letters(tmp_path):
    many = [{"id": f"a{i}", "title": "t", "date": "2021-01-01", "author": "", "url": "", "dateline": "",
             "paragraphs": [" ".join(f"zz{i}x{j}" for j in range(60))]} for i in range(10)]
    s = SearchService(built_index(tmp_path, many))
    with pytest.raises(QueryError) as e:
        s.search({"q": "zz*", "mode": "advanced"})
    assert "more letters" in e.value.message
    s.close()


# -- suggestion


def test_a_misspelled_word_gets_a_suggestion_that_finds_hits(service):
    body = service.search({"q": "cofee"})
    assert body["suggestion"] == "coffee"


def test_no_suggestion_when_the_correction_finds_nothing_under_the_filters(service):
    assert service.search({"q": "cofee", "place": "France"})["suggestion"] is None


def test_no_suggestion_for_known_words(service):
    assert service.search({"q": "coffee"})["suggestion"] is None


# -- limits, other routes, lifecycle


def test_a_query_over_its_time_limit_says_timed_out(tmp_path_factory):
    settings = Settings.from_env({}, query_time_limit=1e-9)
    s = SearchService(built_index(tmp_path_factory.getbasetemp() / "search-corpus"), settings)
    body = s.search({"q": "coffee prices"})
    assert body["timed_out"] is True and isinstance(body["hits"], list)
    s.close()


def test_no_index_yet_raises_no_index_error_saying_what_to_run(tmp_path):
    with pytest.raises(NoIndexError, match="manage.py reindex"):
        SearchService(tmp_path / "empty").search({"q": "x"})


def test_no_index_error_does_not_name_the_server_folder(tmp_path):
    with pytest.raises(NoIndexError) as e:
        SearchService(tmp_path / "empty").search({"q": "x"})
    assert str(tmp_path) not in str(e.value)


def test_article_q_over_the_length_limit_is_an_error_naming_q(service):
    with pytest.raises(QueryError) as e:
        service.article("karabakh-1", q="shelling " * 200)
    assert e.value.param == "q"


def test_article_q_control_characters_are_cleaned_like_search(service):
    art = service.article("karabakh-1", q="\x00shelling\x07")
    assert "<mark>shelled</mark>" in art["paragraphs"][1]["html"]


def test_places_limit_given_as_text_is_accepted(service):
    assert len(service.places("", limit="1")["places"]) == 1


@pytest.mark.parametrize("limit", ["0", "101", "١", "1" * 5000, True, 2.0])
def test_places_limit_outside_1_to_100_is_an_error_naming_limit(service, limit):
    with pytest.raises(QueryError) as e:
        service.places("", limit=limit)
    assert e.value.param == "limit"


def test_an_index_that_cannot_be_opened_is_reported_without_its_folder(tmp_path):
    index_dir = built_index(tmp_path)
    for segment_file in (index_dir / "gen-1").glob("MAIN_*.*"):
        segment_file.write_bytes(b"not a segment")
    with pytest.raises(NoIndexError) as e:
        SearchService(index_dir).search({"q": "coffee"})
    assert "could not be opened" in str(e.value) and str(tmp_path) not in str(e.value)


def test_article_source_is_the_archive_file_name_without_folders(service):
    assert service.article("karabakh-1")["source"] == "articles.jsonl"


def test_article_returns_every_paragraph_with_places_and_marks(service):
    art = service.article("karabakh-1", q="shelling")
    assert [p["para"] for p in art["paragraphs"]] == [0, 1, 2]
    assert "<mark>shelled</mark>" in art["paragraphs"][1]["html"]
    assert art["paragraphs"][2]["mentioned_dates"][0]["date"] == "2021-04-06"


def test_an_unknown_article_raises_not_found(service):
    with pytest.raises(NotFoundError):
        service.article("nope")


def test_places_autocomplete_gives_names_with_counts(service):
    found = service.places("ba")["places"]
    assert [(p["name"], p["count"]) for p in found] == [("Baku", 3)]


def test_places_limit_out_of_range_is_an_error(service):
    with pytest.raises(QueryError):
        service.places("", limit=0)


def test_status_reports_generation_and_counts(service):
    status = service.status()
    assert status["generation"] == 1 and status["paragraphs"] == 10 and status["articles"] == 6


def test_status_does_not_reveal_the_index_folder(service):
    status = service.status()
    assert "index_dir" not in status and not any("/" in str(v) for v in status.values())


def test_a_new_generation_is_served_without_a_restart(tmp_path, monkeypatch):
    monkeypatch.setattr(switcher_module, "CHECK_INTERVAL", 0.0)
    index_dir = built_index(tmp_path)
    s = SearchService(index_dir)
    assert s.search({"q": "zeppelin"})["total"] == 0
    next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
    assert s.search({"q": "zeppelin"})["total"] == 1 and s.status()["generation"] == 2
    s.close()


def next_generation(tmp_path, index_dir, articles):
    """Build the next generation of `articles` from scratch (a full build never copies a
    damaged generation) and return its folder."""
    write_archive(tmp_path / "archive", articles)
    report = reindex(Settings.from_env({}, index_dir=index_dir, sources=(tmp_path / "archive",),
                                       workers=1), full=True)
    return index_dir / f"gen-{report.generation}"


def truncate_segments(gen_dir) -> dict:
    """Cut every segment file of a generation in half; returns the original bytes."""
    originals = {p: p.read_bytes() for p in gen_dir.glob("MAIN_*.*")}  # a segment's separate files
    assert originals, f"no segment files in {gen_dir}"
    for path, data in originals.items():
        path.write_bytes(data[:len(data) // 2])
    return originals


@pytest.fixture
def serving_gen_1(tmp_path, monkeypatch):
    """A service answering from generation 1, checking the pointer on every request."""
    monkeypatch.setattr(switcher_module, "CHECK_INTERVAL", 0.0)
    index_dir = built_index(tmp_path)
    s = SearchService(index_dir)
    assert s.status()["generation"] == 1
    yield s, index_dir
    s.close()


def test_a_new_generation_that_cannot_be_opened_leaves_the_old_one_serving(tmp_path, serving_gen_1):
    s, index_dir = serving_gen_1
    truncate_segments(next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN]))
    assert s.search({"q": "zeppelin"})["total"] == 0
    assert s.search({"q": "coffee"})["total"] > 0 and s.status()["generation"] == 1


def test_after_a_generation_fails_to_open_the_next_good_one_is_served(tmp_path, serving_gen_1):
    s, index_dir = serving_gen_1
    truncate_segments(next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN]))
    s.search({"q": "zeppelin"})
    next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
    assert s.search({"q": "zeppelin"})["total"] == 1 and s.status()["generation"] == 3


def test_a_failed_generation_is_retried_only_after_the_back_off(tmp_path, serving_gen_1, monkeypatch):
    s, index_dir = serving_gen_1
    originals = truncate_segments(next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN]))
    s.search({"q": "zeppelin"})
    for path, data in originals.items():
        path.write_bytes(data)
    assert s.search({"q": "zeppelin"})["total"] == 0
    monkeypatch.setattr(switcher_module, "RETRY_OPEN_AFTER", 0.0)
    assert s.search({"q": "zeppelin"})["total"] == 1


def test_a_damaged_generation_is_refused_once_in_the_log_and_named_in_the_status(
        tmp_path, serving_gen_1, caplog, monkeypatch):
    s, index_dir = serving_gen_1
    truncate_segments(next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN]))
    monkeypatch.setattr(switcher_module, "RETRY_OPEN_AFTER", 0.0)
    with caplog.at_level(logging.ERROR, logger="search.service.switcher"):
        s.search({"q": "zeppelin"})
        s.search({"q": "zeppelin"})
    assert len([r for r in caplog.records if "gen-2" in r.getMessage()]) == 1
    refused = s.status()["refused"]
    assert refused["generation"] == 2 and "size differs" in refused["reason"] and refused["at"]


def test_a_truncated_first_generation_is_no_index_error_without_server_paths(tmp_path):
    index_dir = built_index(tmp_path)
    truncate_segments(index_dir / "gen-1")
    s = SearchService(index_dir)
    for _ in range(2):  # the second time from the remembered failure, not a new open
        with pytest.raises(NoIndexError) as e:
            s.search({"q": "coffee"})
        assert "could not be opened" in str(e.value) and str(tmp_path) not in str(e.value)


def test_no_switch_while_the_generation_before_the_current_one_is_still_in_use(tmp_path, serving_gen_1):
    s, index_dir = serving_gen_1
    with s.using() as in_flight:  # a request still running on generation 1
        assert in_flight.gen.manifest["generation"] == 1
        next_generation(tmp_path, index_dir, ARTICLES)
        assert s.status()["generation"] == 2
        next_generation(tmp_path, index_dir, ARTICLES)
        assert s.status()["generation"] == 2  # a third open generation would be one too many
    assert s.status()["generation"] == 3


def test_threads_share_one_service(service):
    results, errors = [], []

    def work():
        try:
            for q in ("coffee", "wine", "shelling"):
                results.append(service.search({"q": q})["total"])
        except QueryError as e:  # pragma: no cover - the assertion below reports it
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 12
