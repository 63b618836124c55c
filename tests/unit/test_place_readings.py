"""The right Washington: a dateline reads its own article's names, the archive's prior keeps a
name's usual reading against tiny namesakes, and article facets count each article once."""
from __future__ import annotations

import numpy as np
import pytest

from index.model import Article
from index.places import Gazetteer
from index.places.prior import PRIOR_MIN_ARTICLES, ReadingCounts
from index.sources import read_source
from search.engine.article_places import ArticlePlacePairs

WASHINGTON_DC = "geonames:4140963"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="module")
def reuters_000(shared_dir) -> dict[str, Article]:
    articles, _ = read_source(shared_dir / "reuters21578" / "reut2-000.sgm")
    return {a.id: a for a in articles}


def article(*paragraphs: str, dateline: str = "") -> Article:
    return Article(id="t", title="", date=None, author="", dateline=dateline, url="",
                   source_path="t.txt", paragraphs=tuple(paragraphs))


def washingtons(found) -> set[str]:
    places = [m.place for para in found.paragraphs for m in para]
    places += [found.dateline] if found.dateline else []
    return {p.id for p in places if p.name == "Washington"}


def test_reagan_story_datelined_washington_is_the_capital_though_it_names_georgia(
        gazetteer, reuters_000):
    found = gazetteer.find_in_article(reuters_000["386"])
    assert washingtons(found) == {WASHINGTON_DC}


def test_brazil_story_datelined_washington_and_naming_britain_is_not_washington_england(
        gazetteer, reuters_000):
    found = gazetteer.find_in_article(reuters_000["359"])
    assert washingtons(found) == {WASHINGTON_DC}


def test_a_dateline_binds_the_same_name_in_its_article_body(gazetteer):
    found = gazetteer.find_in_article(article(
        "Officials in Washington said the plan would help farmers in Illinois.",
        dateline="WASHINGTON, March 2 -"))
    assert washingtons(found) == {WASHINGTON_DC}


def test_a_dateline_with_its_state_still_names_the_small_town(gazetteer):
    found = gazetteer.find_in_article(article("The plant in Washington employs 300.",
                                              dateline="WASHINGTON, Ill., March 2 -"))
    assert washingtons(found) == {"geonames:4915545"}


def _prior_of_capital(gazetteer: Gazetteer) -> Gazetteer:
    counts = ReadingCounts()
    for n in range(PRIOR_MIN_ARTICLES):
        counts.add(f"f{n}.txt", gazetteer.readings(article(
            "The Senate in Washington voted on the trade bill.", dateline="WASHINGTON, March 2 -")))
    return gazetteer.with_prior(counts.prior())


ILLINOIS_STORY = "Washington officials met farmers from Illinois and Chicago on Tuesday."


def test_without_the_archive_a_named_state_takes_the_name_to_its_small_town(gazetteer):
    # How the archive-less reading goes (and went for article 386): the state decides.
    assert washingtons(gazetteer.find_in_article(article(ILLINOIS_STORY))) == {"geonames:4915545"}


def test_an_archive_that_reads_a_name_as_the_capital_keeps_it_against_a_tiny_namesake(gazetteer):
    led = _prior_of_capital(gazetteer)
    assert washingtons(led.find_in_article(article(ILLINOIS_STORY))) == {WASHINGTON_DC}


def test_a_pair_still_names_the_namesake_under_the_archive_prior(gazetteer):
    led = _prior_of_capital(gazetteer)
    found = led.find_in_article(article("The mill in Washington, Ga., closed on Monday."))
    assert washingtons(found) == {"geonames:4229546"}


def test_a_few_articles_make_no_prior(gazetteer):
    counts = ReadingCounts()
    counts.add("a.txt", {("Washington", WASHINGTON_DC)})
    assert counts.prior().leader("Washington") is None


def test_reading_counts_survive_the_generation_file_and_keep_only_files_still_read(tmp_path):
    counts = ReadingCounts()
    counts.add("a.sgm", {("Washington", WASHINGTON_DC)})
    counts.add("b.sgm", {("Washington", WASHINGTON_DC), ("Paris", "FR")})
    counts.write(tmp_path / "readings.json")
    kept = ReadingCounts.read(tmp_path / "readings.json").keep_only(["b.sgm", "gone.sgm"])
    assert kept.by_file == {"b.sgm": {"Washington": {WASHINGTON_DC: 1}, "Paris": {"FR": 1}}}


def test_unreadable_reading_counts_are_none(tmp_path):
    (tmp_path / "readings.json").write_text("{not json")
    assert ReadingCounts.read(tmp_path / "readings.json").by_file == {}


def test_article_place_counts_count_an_article_once_per_place():
    # Documents 0-2 are article 0, 3-4 article 1; places 0..2.
    owners = np.array([0, 0, 1, 2, 3, 4, 4], dtype=np.int32)
    entries = np.array([0, 1, 0, 2, 0, 1, 2], dtype=np.int32)
    articles = np.array([0, 0, 0, 1, 1], dtype=np.int32)
    pairs = ArticlePlacePairs(owners, entries, articles, 3)
    rng = np.random.default_rng(7)
    for _ in range(50):
        matched = rng.random(5) < 0.5
        expected = [len({articles[o] for o, e in zip(owners, entries) if matched[o] and e == p})
                    for p in range(3)]
        assert pairs.counts(matched).tolist() == expected


def _prior_of_texas(gazetteer: Gazetteer) -> Gazetteer:
    """The gazetteer under the prior of an archive of local American news."""
    counts = ReadingCounts()
    for n in range(PRIOR_MIN_ARTICLES):
        counts.add(f"f{n}.txt", gazetteer.readings(article(
            "The Dallas police and the Houston fire department met in Austin, Texas.")))
    return gazetteer.with_prior(counts.prior())


def test_an_archive_mostly_about_one_country_has_it_as_its_home(gazetteer):
    assert _prior_of_texas(gazetteer).home_country == "US"


def test_an_archive_split_between_countries_has_no_home(gazetteer):
    counts = ReadingCounts()
    for n in range(PRIOR_MIN_ARTICLES):
        text = "Ministers met in Paris." if n % 2 else "Ministers met in Tokyo."
        counts.add(f"f{n}.txt", gazetteer.readings(article(text)))
    assert counts.prior().home is None


@pytest.mark.parametrize("text, country", [
    ("The Mansfield council voted on Monday to refinance its debt.", "US"),
    ("Athens residents may leave glass at the recycling center.", "US"),
])
def test_a_name_nothing_supports_is_read_in_the_archives_home_country(gazetteer, text, country):
    name = text.split()[1] if text.startswith("The") else text.split()[0]
    assert {m.place.country_code for m in gazetteer.find(text)} != {country}
    assert {m.place.country_code for m in _prior_of_texas(gazetteer).find(text)
            if m.surface == name} == {country}


@pytest.mark.parametrize("text, name, country", [
    # A namesake too small beside the famous place does not take it.
    ("Prices in Paris rose on Monday.", "Paris", "FR"),
    ("Traffic in Vancouver was slow on Monday.", "Vancouver", "CA"),
    # The article's own places still decide.
    ("Officials in Mansfield, a market town near Nottingham, met.", "Mansfield", "GB"),
])
def test_the_home_country_does_not_take_a_name_from_a_larger_place_or_from_its_story(
        gazetteer, text, name, country):
    found = _prior_of_texas(gazetteer).find(text)
    assert {m.place.country_code for m in found if m.surface == name} == {country}
