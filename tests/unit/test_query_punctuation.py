"""Punctuation in a simple query: what binds words into a phrase (a hyphen, apostrophe, dot or
ampersand between letters or digits; a comma between digits) and what splits them (any other
separator), and the all-words → any-word relaxation of queries whose units are such phrases."""
import pytest

from index.store.schema import text_analyzer
from search import SearchService
from search.engine.syntax import simple_query
from search.engine.tree import Phrase, Word
from search_corpus import built_index


def article(article_id: str, *paragraphs: str) -> dict:
    return {"id": article_id, "title": "", "date": "2021-01-01", "author": "", "url": "",
            "dateline": "", "paragraphs": list(paragraphs)}


ARTICLES = [
    article("opec", "Crude oil prices fell after OPEC ministers met in Vienna."),
    article("tags", "Officials said that <script>alert(1)</script> & other tags are text.",
            "The alert came from a script that checks the servers."),
    article("karabakh", "Diplomats discussed Nagorno-Karabakh in Moscow.",
            "Nagorno villages lie far from the Karabakh border."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.getbasetemp() / "punctuation-corpus", ARTICLES))
    yield s
    s.close()


def ids(body) -> list[str]:
    return sorted(h["id"] for h in body["hits"])


def units(q: str) -> tuple:
    return simple_query(q, text_analyzer()).units


# -- what splits and what binds


@pytest.mark.parametrize("q", ["crude,opec", "crude/opec", "crude;opec", "(crude)opec",
                               "<crude>opec", "crude|opec", "crude+opec", "crude:opec"])
def test_a_separator_between_words_splits_them_like_a_space(q):
    assert units(q) == units("crude opec")


@pytest.mark.parametrize("q, words", [("Nagorno-Karabakh", ("nagorno", "karabakh")),
                                      ("U.S.-led", ("u.", "led")),
                                      ("Procter&Gamble", ("procter", "gambl"))])
def test_a_hyphen_dot_or_ampersand_between_letters_binds_a_phrase(q, words):
    (unit,) = units(q)
    assert isinstance(unit, Phrase) and unit.words == words


@pytest.mark.parametrize("q", ["U.S.", "www.reuters.com", "3.5"])
def test_a_dot_between_letters_or_digits_keeps_the_one_word_the_index_holds(q):
    (unit,) = units(q)
    assert isinstance(unit, Word)


# -- searches


def test_words_joined_by_a_comma_find_what_the_words_find(service):
    body = service.search({"q": "crude,opec"})
    assert ids(body) == ids(service.search({"q": "crude opec"})) == ["opec:0"]
    assert body["relaxed"] is False


def test_a_script_tag_query_finds_what_its_words_find(service):
    body = service.search({"q": "<script>alert(1)</script>"})
    assert ids(body) == ids(service.search({"q": "script alert"})) == ["tags:0", "tags:1"]


def test_a_hyphenated_name_is_still_a_phrase(service):
    assert ids(service.search({"q": "Nagorno-Karabakh"})) == ["karabakh:0"]


def test_a_quoted_phrase_is_still_a_phrase(service):
    assert ids(service.search({"q": '"crude oil"'})) == ["opec:0"]
    assert service.search({"q": '"oil crude"'})["total"] == 0


def test_words_split_by_punctuation_relax_to_any_word_when_all_find_nothing(service):
    body = service.search({"q": "crude,zeppelin"})
    assert body["relaxed"] is True and ids(body) == ["opec:0"]


def test_a_hyphenated_name_that_finds_nothing_relaxes_to_any_of_its_words(service):
    body = service.search({"q": "Zeppelin-Karabakh"})
    assert body["relaxed"] is True and ids(body) == ["karabakh:0", "karabakh:1"]


def test_a_single_quoted_phrase_that_finds_nothing_is_not_relaxed(service):
    body = service.search({"q": '"oil crude"'})
    assert body["relaxed"] is False and body["total"] == 0
