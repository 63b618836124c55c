"""Query behaviour every door shows, on a real index: accents fold (in text, titles, place
names and suggestions, with the original letters marked), a query of only stop words says so,
facets of group=article count articles, and fuzzy terms find the close spellings."""
import pytest

from index.folding import fold
from search import QueryError, SearchService
from search.service.placenames import PlaceDirectory
from search_corpus import built_index


def article(article_id: str, title: str, date: str, *paragraphs: str) -> dict:
    return {"id": article_id, "title": title, "date": date, "author": "", "url": "",
            "dateline": "", "paragraphs": list(paragraphs)}


ARTICLES = [
    article("cafe-1", "Café society returns", "2021-03-01",
            "The café on the square reopened in Bakü on Monday.",
            "Drinkers queued outside the cafe before dawn."),
    article("sao-1", "Markets in São Paulo", "2021-03-02",
            "Shares rose in São Paulo as coffee prices climbed.",
            "Traders in São Paulo expect more gains.",
            "Cash payments to growers were delayed."),
    article("baku-1", "Talks in Baku", "2021-04-10",
            "Diplomats met in Baku to discuss Azerbaijan and its neighbours."),
    article("oil-1", "Petroleum output", "2020-11-05",
            "Petroleum output from the Caspian rose, officials in Baku said."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.mktemp("behaviour"), ARTICLES))
    yield s
    s.close()


def ids(body) -> list[str]:
    return sorted(h["id"] for h in body["hits"])


# -- accents


def test_a_word_without_its_accent_finds_the_accented_word_in_text_and_title(service):
    assert ids(service.search({"q": "cafe"})) == ["cafe-1:0", "cafe-1:1"]


def test_an_accented_query_finds_the_plain_spelling(service):
    assert ids(service.search({"q": "Bakü diplomats"})) == ["baku-1:0"]


def test_a_name_without_accents_finds_it_written_with_them(service):
    assert "sao-1:0" in ids(service.search({"q": "Sao Paulo shares"}))


def test_the_marks_cover_the_original_accented_letters(service):
    hit = next(h for h in service.search({"q": "cafe"})["hits"] if h["id"] == "cafe-1:0")
    assert hit["matches"] == [[4, 8]] and hit["text"][4:8] == "café"
    assert hit["snippet"].startswith("The <mark>café</mark> on the square")


def test_a_place_filter_without_accents_resolves_the_accented_place(service):
    body = service.search({"place": "Sao Paulo", "page_size": "50"})
    assert body["total"] >= 2 and {h["article_id"] for h in body["hits"]} == {"sao-1"}


def test_an_advanced_place_term_folds_accents(service):
    assert ids(service.search({"q": "place:bakü AND diplomats", "mode": "advanced"})) == ["baku-1:0"]


def test_places_autocomplete_matches_without_accents(service):
    assert "São Paulo" in [p["name"] for p in service.places(prefix="sao")["places"]]


def test_an_accented_word_the_index_holds_gets_no_suggestion(service):
    # Unfolded, "café" was unknown and the corrector offered "cash" (on Reuters): folded, it
    # is the known "cafe".
    body = service.search({"q": "café"})
    assert body["suggestion"] is None and body["total"] == 2


def test_the_place_directory_folds_names_and_close_matches():
    directory = PlaceDirectory({"geonames:1": {"id": "geonames:1", "name": "São Paulo"},
                                "geonames:2": {"id": "geonames:2", "name": "Gəncə"}})
    assert directory.ids_for("SAO PAULO") == directory.ids_for("são paulo") == ["geonames:1"]
    assert directory.ids_for("Gence") == ["geonames:2"]
    assert directory.close_names("Sao Paolo") == ["São Paulo"]


@pytest.mark.parametrize("text,folded", [("Café", "cafe"), ("Bakü", "baku"), ("São Paulo", "sao paulo"),
                                         ("Gəncə", "gence"), ("İstanbul", "istanbul"),
                                         ("Straße", "strasse"), ("Tromsø", "tromso"), ("Łódź", "lodz")])
def test_fold_drops_accents_and_case(text, folded):
    assert fold(text) == folded


# -- a query of only stop words


@pytest.mark.parametrize("q,mode", [("the", "simple"), ("the who", "simple"), ('"the who"', "simple"),
                                    ("the AND who", "advanced")])
def test_a_query_of_only_stop_words_gets_a_notice_and_a_hint(service, q, mode):
    body = service.search({"q": q, "mode": mode})
    assert body["total"] == 0
    assert body["notice"]["code"] == "stop_words"
    assert "“the”" in body["notice"]["message"] and "too common" in body["notice"]["message"]
    assert "word" in body["notice"]["hint"]


@pytest.mark.parametrize("q", ["", "the coffee", "zzzzzz"])
def test_other_queries_have_a_null_notice(service, q):
    assert service.search({"q": q})["notice"] is None


# -- facets with group=article


def counts(body, facet) -> dict[str, int]:
    return {row["value"]: row["count"] for row in body["facets"][facet]}


def test_with_group_article_a_place_facet_counts_each_article_once(service):
    paragraphs = counts(service.search({"q": "Sao Paulo", "facets": "place"}), "place")
    articles = counts(service.search({"q": "Sao Paulo", "facets": "place", "group": "article"}), "place")
    assert paragraphs["São Paulo"] == 2 and articles["São Paulo"] == 1


def test_with_group_article_year_and_month_facets_count_articles(service):
    body = service.search({"facets": "year,month", "group": "article"})
    assert counts(body, "year") == {"2020": 1, "2021": 3}
    assert counts(body, "month") == {"2020-11": 1, "2021-03": 2, "2021-04": 1}
    assert sum(counts(body, "year").values()) == body["total"]


def test_with_group_article_place_counts_equal_the_grouped_total_filtered_on_the_place(service):
    body = service.search({"facets": "place,country", "group": "article"})
    for row in body["facets"]["place"] + body["facets"]["country"]:
        assert row["count"] == service.search({"place": row["id"], "group": "article"})["total"], row


# -- fuzzy terms


@pytest.mark.parametrize("q,expected", [("Azerbajan~", ["baku-1:0"]), ("petrolium~", ["oil-1:0"]),
                                        ("title:petroleun~", ["oil-1:0"]), ("dipolmats~", ["baku-1:0"]),
                                        ("patroleun~2", ["oil-1:0"])])
def test_a_fuzzy_term_finds_words_within_its_distance(service, q, expected):
    assert ids(service.search({"q": q, "mode": "advanced"})) == expected


def test_a_fuzzy_term_beyond_its_distance_finds_nothing(service):
    assert service.search({"q": "patroleun~", "mode": "advanced"})["total"] == 0


def test_a_fuzzy_distance_above_two_is_an_error_naming_q(service):
    with pytest.raises(QueryError) as e:
        service.search({"q": "petroleum~3", "mode": "advanced"})
    assert e.value.param == "q"
