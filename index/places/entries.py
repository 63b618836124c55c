"""What the gazetteer knows and finds: a place, a place named in a text, an article's places.
Plain data; imports nothing of the project."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    """One canonical place: a country, a region (US state, curated region) or a city."""

    id: str
    name: str
    kind: str
    country: str
    country_code: str
    ancestor_ids: tuple[str, ...]
    population: int = 0
    # A point to show the place at: GeoNames' own for cities; see _country_points and
    # _region_point for countries and regions. None when the data gives none.
    lat: float | None = None
    lon: float | None = None

    def __reduce__(self):
        # Pickled as its fields in order: the gazetteer's cache holds about 92,000 places, and
        # dataclasses' own way for frozen slotted classes (a `fields()` walk per object) took
        # two thirds of every reindex's gazetteer load.
        return (Place, (self.id, self.name, self.kind, self.country, self.country_code,
                        self.ancestor_ids, self.population, self.lat, self.lon))

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "country": self.country, "country_code": self.country_code,
                "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class PlaceMention:
    place: Place
    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class ArticlePlaces:
    dateline: Place | None
    paragraphs: list[list[PlaceMention]]
