"""The API's place objects (autocomplete, facet buckets) carry the point the gazetteer gives each place,
over a real index built from a small archive."""
import pytest

from search import SearchService
from search_corpus import built_index


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.getbasetemp() / "search-corpus"))
    yield s
    s.close()


def test_a_place_facets_place_object_has_its_point(service):
    facet = service.search({"q": "aghdam", "facets": "place"})["facets"]["place"]
    assert facet, "the search should find paragraphs with places"
    top = facet[0]
    completed = service.places(prefix=top["value"], limit=100)["places"]
    place = next(p for p in completed if p["id"] == top["id"])
    assert isinstance(place["lat"], float) and isinstance(place["lon"], float)
    assert -90 <= place["lat"] <= 90 and -180 <= place["lon"] <= 180


def test_a_country_is_shown_at_its_representative_point(service):
    azerbaijan = next(p for p in service.places(prefix="azer")["places"] if p["id"] == "AZ")
    # Azerbaijan is shown at its capital, Baku (40.4 N, 49.9 E).
    assert azerbaijan["lat"] == pytest.approx(40.4, abs=0.2)
    assert azerbaijan["lon"] == pytest.approx(49.9, abs=0.2)


def test_a_place_facet_bucket_carries_the_point_autocomplete_gives(service):
    facet = service.search({"q": "aghdam", "facets": "place,country"})["facets"]
    for bucket in [*facet["place"], *facet["country"]]:
        place = next(p for p in service.places(prefix=bucket["value"], limit=100)["places"]
                     if p["id"] == bucket["id"])
        assert (bucket.get("lat"), bucket.get("lon")) == (place["lat"], place["lon"])
    assert isinstance(facet["place"][0]["lat"], float)


# ---------------------------------------------------------------- labels and other names

LABELLED = [
    {"id": "dc-1", "title": "Talks in Washington", "date": "1987-03-02", "author": "", "url": "",
     "dateline": "WASHINGTON", "paragraphs": [
         "Officials in Washington, D.C., and in New York City met bankers from New York state.",
         "Delegates later flew from Washington to Genève for the trade talks."]},
]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    from archive_files import write_archive
    from index.build import reindex
    from index.settings import Settings
    root = tmp_path_factory.mktemp("labelled")
    settings = Settings.from_env({}, index_dir=root / "idx", workers=1, lock_timeout=5,
                                 sources=(write_archive(root / "archive", LABELLED),))
    reindex(settings)
    s = SearchService(settings.index_dir, settings)
    yield s
    s.close()


def test_places_of_one_name_get_labels_that_tell_them_apart(labelled):
    facet = labelled.search({"q": "", "facets": "place"})["facets"]["place"]
    labels = {bucket["label"] for bucket in facet}
    assert {"Washington, D.C.", "New York City, New York", "New York (state, US)"} <= labels


def test_hits_articles_and_autocomplete_carry_the_label(labelled):
    hit = labelled.search({"q": "delegates"})["hits"][0]
    assert "Geneva (Switzerland)" in [p["label"] for p in hit["places"]]
    article = labelled.article("dc-1")
    assert all("label" in p for para in article["paragraphs"] for p in para["places"])
    completed = labelled.places(prefix="washington")["places"]
    assert completed[0]["label"] == "Washington, D.C."


def test_a_place_filter_takes_the_accented_local_name(labelled):
    body = labelled.search({"q": "", "place": "Genève"})
    assert body["total"] == 1
    assert body["query"]["place"] == ["geonames:2660646"]


def test_a_place_filter_takes_a_label_and_finds_only_that_place(labelled):
    assert labelled.search({"q": "", "place": "Washington, D.C."})["query"]["place"] == ["geonames:4140963"]


def test_a_region_label_names_its_kind_and_country():
    from search.service.placelabels import labels
    places = {"US": {"id": "US", "name": "United States", "kind": "country", "country_code": "US"},
              "r": {"id": "r", "name": "Ontario", "kind": "region", "country": "Canada",
                    "country_code": "CA", "ancestor_ids": ["CA"]},
              "c": {"id": "c", "name": "London", "kind": "city", "country": "Canada",
                    "country_code": "CA", "ancestor_ids": ["r", "CA"]},
              "e": {"id": "e", "name": "England", "kind": "region", "country": "United Kingdom",
                    "country_code": "GB", "ancestor_ids": ["GB"]},
              "w": {"id": "w", "name": "Washington", "kind": "city", "country": "United Kingdom",
                    "country_code": "GB", "ancestor_ids": ["e", "GB"]}}
    assert labels(places) == {"US": "United States", "r": "Ontario (province, Canada)",
                              "c": "London, Ontario", "e": "England (nation, UK)",
                              "w": "Washington (England)"}
