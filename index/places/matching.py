"""Finding places in text: one Aho-Corasick pass over the gazetteer's names, then each name
resolved to one place by its article's context (persons, pairs such as "Paris, Texas", the
dateline, the other places named). Must not import Whoosh or anything under search/."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from index.folding import fold, fold_in_place
from index.model import Article
from index.places.entries import ArticlePlaces, Place, PlaceMention
from index.places.spelling import title_case_capitals, title_case_words, title_word
from index.places.tables import (DATA_DIR, TOWN_POPULATION, cached_tables, is_subdivision, population_of,
                                 read_list)

log = logging.getLogger(__name__)
# A smaller place wins over the default reading of a name on country context alone only when it
# is at least this large a fraction of the default ("Paris" in a text that names the U.S. is
# still France; "Georgia" in such a text is the state).
CONTEXT_POPULATION_RATIO = 0.05
# A town smaller than this is believed only when the text also names its country or region:
# on its own, such a name is far more often a person or a company (Nigel, Martin, Cheung Kong).
SMALL_CITY_POPULATION = 100_000
# A word in capitals long enough not to be an acronym that is also a place's name ("US", "UK"
# are aliases in capitals already).
_LONG_CAPITALS = re.compile(r"\b[A-Z]{4,}\b")
_DATELINE_DATE = re.compile(
    r",?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b.*$",
    re.IGNORECASE | re.DOTALL)


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
        self._other_names: dict[str, list[str]] | None = None  # place id → names, made on demand

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> "Gazetteer":
        """The gazetteer, its tables read from `cache_dir` when they were cached there."""
        places, names = cached_tables(cache_dir)
        log.info("gazetteer: %d places, %d names", len(places), len(names))
        return cls(places, names, read_list(DATA_DIR / "english_stop.txt") | _NOT_GIVEN_NAMES)

    def __reduce__(self):
        # Rebuilding from the tables is cheaper and safer than pickling the automaton's internals.
        return (Gazetteer, (self._places, self._names, self._function_words))

    def place(self, place_id: str) -> Place:
        return self._places[place_id]

    def other_names(self, place_id: str) -> list[str]:
        """The names that read as this place first (aliases such as Genève or Peking, "St."
        forms), beyond its own name's accent-folded spellings: what a place filter may take."""
        if self._other_names is None:
            table: dict[str, list[str]] = {}
            for name, places in self._names.items():
                if places:
                    table.setdefault(places[0].id, []).append(name)
            self._other_names = table
        own = fold(self._places[place_id].name) if place_id in self._places else ""
        folded = {fold(name): name for name in self._other_names.get(place_id, ())}
        return sorted(name for key, name in folded.items() if key != own)

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
            titled = _LONG_CAPITALS.sub(title_word, text)
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
    if not all(_is_small_city(p) or is_subdivision(p) for p in candidate.places):
        return None  # "a resident of Tabriz told the BBC"
    if _SPEECH_AFTER.match(text, candidate.end):
        return _LIKELY_PERSON
    after = _WORD_AFTER.match(text, candidate.end)
    return _LIKELY_PERSON if after is not None and after.group(1) not in _TOWN_NOUNS else None


def _person_checked(candidate: _Candidate) -> bool:
    """Whether a name may be a person's: it is read only as cities or the package's divisions
    (not as a country, a US state or a curated region)."""
    return all(p.kind == "city" or is_subdivision(p) for p in candidate.places)


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
    if (places[0].kind != "city" and not is_subdivision(places[0])
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
                    and population_of(place) >= CONTEXT_POPULATION_RATIO * default.population
                    and context.other_defaults(place.country_code, default.name) > backing):
                return place, 1
    return best, best_level


def _automaton(names: dict[str, tuple[Place, ...]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return automaton
