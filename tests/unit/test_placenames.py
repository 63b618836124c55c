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
