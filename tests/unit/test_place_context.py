"""Local namesakes: how an article's own wording and its other places pick the small town over the
famous place of the same name ("Palestine police", "Glasgow, Ky." then "Glasgow", "London"
beside "St. Thomas"), without taking famous places away from stories about them."""
from __future__ import annotations

import pytest

from index.places import Gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def countries(gazetteer: Gazetteer, text: str, name: str) -> list[str]:
    """The country of each mention of `name` in `text`, in order."""
    return [m.place.country_code for m in gazetteer.find(text) if m.surface.lower() == name.lower()]


def test_a_pair_names_the_town_for_its_other_mentions_too(gazetteer):
    text = ("GLASGOW, Ky. -- A woman died after being struck by a car in Glasgow. "
            "The Glasgow Police Department said the driver was not hurt.")
    assert countries(gazetteer, text, "Glasgow") == ["US", "US", "US"]


def test_two_pairs_that_disagree_bind_nothing_else(gazetteer):
    text = ("Springfield, Ill., and Springfield, Mass., both voted. "
            "Springfield was the larger turnout.")
    found = [m.place for m in gazetteer.find(text) if m.surface == "Springfield"]
    assert len({p.id for p in found[:2]}) == 2


@pytest.mark.parametrize("text, name", [
    # A country's name used as a town's: its police, its residents, a person's home town.
    (("Lebanon police arrested a Lebanon woman on Thursday, the Boone County sheriff said. "
      "She was taken to the jail in Zionsville."), "Lebanon"),
    (("A 36-year-old Palestine man was arrested in Anderson County on U.S. 79, "
      "Palestine police said."), "Palestine"),
    # A county's name used as a town's: its high school.
    ("Janet Johnson, a counselor at Norfolk High School, advises juniors on college.", "Norfolk"),
    # A big city's name used as a small one's, in a story that names only the small one's country.
    (("Jessica Kay, 18, of Paris died Saturday in a Dallas hospital, according to the "
      "Paris Police Department."), "Paris"),
])
def test_a_name_written_as_a_towns_is_the_town_in_the_country_the_story_names(gazetteer, text,
                                                                               name):
    assert set(countries(gazetteer, text, name)) == {"US"}


def test_a_town_written_with_its_police_is_found_though_nothing_else_is_named(gazetteer):
    text = "Grand Ledge Police Chief Martin Underhill said the woman was not badly hurt."
    assert countries(gazetteer, text, "Grand Ledge") == ["US"]


@pytest.mark.parametrize("text, name, country", [
    # Police of a country, in a story about the country: no town.
    ("Jordan police arrested two men in Amman on Sunday.", "Jordan", "JO"),
    # A US state with its residents stays the state.
    ("Texas residents voted on Tuesday.", "Texas", "US"),
    # Police in a big city, no other country named.
    ("Paris police said the march was peaceful.", "Paris", "FR"),
])
def test_a_famous_place_keeps_its_name_where_the_story_is_about_it(gazetteer, text, name, country):
    assert set(countries(gazetteer, text, name)) == {country}


def test_a_name_goes_to_the_reading_another_name_of_the_story_lies_near(gazetteer):
    # Spatial minimality: St. Thomas, Ontario lies 25 km from London, Ontario.
    text = ("Crystal meth use is rising in London, said a spokesperson for London police. "
            "St. Thomas police confirmed an overdose in that city.")
    assert set(countries(gazetteer, text, "London")) == {"CA"}


def test_a_small_city_near_another_named_place_is_believed_though_its_country_is_unnamed(
        gazetteer):
    assert countries(gazetteer, "Shoppers came to Bicester from Oxford.", "Bicester") == ["GB"]


def test_names_listed_before_counties_are_those_counties(gazetteer):
    found = gazetteer.find("Schools in Barrow, Jackson and Madison counties closed early.")
    assert [(m.surface, m.place.kind, m.place.country_code) for m in found] == [
        ("Barrow", "county", "US"), ("Jackson", "county", "US"), ("Madison", "county", "US")]


def test_a_name_given_an_age_is_a_person_throughout_the_article(gazetteer):
    text = "Burton, 39, runs a farm. A New Mexico native, Burton moved to Texas in 2001."
    assert countries(gazetteer, text, "Burton") == []


def test_a_telephone_area_code_says_where_the_story_is_local(gazetteer):
    text = ("A man died in a stabbing, London police say. Anyone with information is asked "
            "to call London police at 519-661-5670.")
    assert set(countries(gazetteer, text, "London")) == {"CA"}


@pytest.mark.parametrize("text, surface, place_name", [
    ("Ohioans voted on Tuesday.", "Ohioans", "Ohio"),
    ("South Ossetian forces withdrew.", "South Ossetian", "South Ossetia"),
    ("New Mexican chile growers met.", "New Mexican", "New Mexico"),
])
def test_a_regions_demonym_names_the_region(gazetteer, text, surface, place_name):
    assert [(m.surface, m.place.name) for m in gazetteer.find(text)] == [(surface, place_name)]


def test_the_city_of_a_name_that_is_only_a_country_is_no_place_it_knows(gazetteer):
    text = "Tickets are sold by the city of Turkey, which hosts the festival."
    assert countries(gazetteer, text, "Turkey") == []


def test_a_surname_after_a_given_name_is_a_person_throughout_the_article(gazetteer):
    text = ("The 2008 fair queen, Kristen Dyer, made her last ride in Huntsville, Texas. "
            "Dyer's favorite part was the parade, and Dyer said she would do it again.")
    assert countries(gazetteer, text, "Dyer") == []


def test_a_surname_the_article_also_writes_as_a_place_stays_a_place_there(gazetteer):
    text = ("The plant employs 300, said Jim Dyer. It opened in Dyer, Ind., in 1962 and is "
            "the largest employer in Dyer.")
    assert countries(gazetteer, text, "Dyer") == ["US", "US"]


def test_an_adjective_opening_a_title_does_not_make_a_town_a_surname(gazetteer):
    text = ("Missing Lancaster girl's body is found. She was last seen at a Lancaster park, "
            "the Lancaster police said.")
    assert countries(gazetteer, text, "Lancaster") == ["US", "US"]


def test_a_big_city_after_a_capitalised_word_is_no_surname_elsewhere(gazetteer):
    text = "Dana Johnson of First National Bank Chicago spoke. Traders in Chicago were calm."
    assert countries(gazetteer, text, "Chicago") == ["US"]


@pytest.mark.parametrize("text, name", [
    ("Students at Goshen Elementary and Worden Middle School planted trees.", "Goshen"),
    ("Students at Goshen Elementary and Worden Middle School planted trees.", "Worden"),
    ("Eighth-grade students at Battle Ground Academy celebrated Mardi Gras.", "Battle Ground"),
])
def test_a_name_opening_a_schools_name_is_not_the_place(gazetteer, text, name):
    assert countries(gazetteer, text, name) == []


def test_a_name_before_a_middle_initial_and_a_surname_is_a_given_name(gazetteer):
    text = "In the Honda, driver Virginia L. Lane, 77, was hurt; she lives in Virginia."
    assert countries(gazetteer, text, "Virginia") == ["US"]


def test_a_party_named_after_its_country_is_not_the_country(gazetteer):
    text = "Yevdokimov, a United Russia member, resigned as governor."
    assert countries(gazetteer, text, "Russia") == []
