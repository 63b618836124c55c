"""Finding places in text: one Aho-Corasick pass over the gazetteer's names, then each name
resolved to one place by its article's context (persons, pairs such as "Paris, Texas", the
dateline, the other places named). Must not import Whoosh or anything under search/."""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import ahocorasick

from index.folding import fold, fold_in_place
from index.model import Article
from index.places.entries import ArticlePlaces, Place, PlaceMention
from index.places.prior import HOME_KEY, ReadingPrior
from index.places.spelling import title_case_capitals, title_case_words, title_word
from index.places.tables import (DATA_DIR, TOWN_POPULATION, cached_tables, is_subdivision, population_of,
                                 read_list, read_table)

log = logging.getLogger(__name__)
# A smaller place wins over the default reading of a name on country context alone only when it
# is at least this large a fraction of the default ("Paris" in a text that names the U.S. is
# still France; "Georgia" in such a text is the state).
CONTEXT_POPULATION_RATIO = 0.05
# Beside the reading the archive gives a name in most of its articles, a namesake city under
# this share of its people no longer wins on its region being named (Washington, Georgia beside
# Washington, D.C. in an article naming the state of Georgia): only a pair or a dateline names it.
LEADER_POPULATION_RATIO = 0.2
# In an article that supports none of a name's readings, the reading in the archive's home
# country (`ReadingPrior.home`) wins over a default elsewhere when it has at least this share of
# the default's people: a local paper's "Mansfield" is its own country's, its "Paris" France.
HOME_POPULATION_RATIO = 0.35
# Two readings this close are neighbours: a reading with another name of its article nearby
# (a place the article may name in the same town's surroundings) is the one the article means,
# the geoparsing literature's "spatial minimality" ("London" beside "St. Thomas" is the Ontario
# city; "Bicester" beside "Oxford" is believed though England is not named).
NEIGHBOUR_KM = 100.0
# A neighbour is a city of at least TOWN_POPULATION people, or a reading of a name with at most
# this many readings: the long tail of towns (a "Franklin" or "Salem" near anywhere in the US)
# is no evidence.
NEIGHBOUR_MAX_READINGS = 2
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
    key: str = ""  # the name as the tables hold it (accents folded, capitals title-cased)
    paired: bool = False  # narrowed by the region or country written after it ("Glasgow, Ky.")

    def narrowed(self, place: Place, paired: bool = False) -> "_Candidate":
        return _Candidate(self.start, self.end, self.surface, (place,), self.key, paired)


@dataclass(frozen=True)
class _Signs:
    """What an article's wording says about its names beyond the names themselves.

    `persons`: names it gives a person ("John Taylor": "Taylor"), no town anywhere in it.
    `styled`: names it writes before a capitalised word as a given name stands before a
    surname ("Georgia Stevens"). `towns`: keys of names it writes as a town's or city's ("Lebanon
    police", "a Palestine man", "Norfolk High School", "Jessica Kay, 18, of Paris").
    `dialled`: the regions of its telephone numbers' area codes, with their countries ("call
    519-661-5670": Ontario, Canada), which are no place it names but say where it is local.
    `likely`: names it writes once as a surname may stand ("Elizabeth Fairfield", "Moore
    said"); `placed`: names it writes somewhere as only a place is written (after "in", "at",
    "near", "from", as a town's, in a pair).
    """

    persons: frozenset[str] = frozenset()
    styled: frozenset[str] = frozenset()
    towns: frozenset[str] = frozenset()
    dialled: frozenset[str] = frozenset()
    likely: frozenset[str] = frozenset()
    placed: frozenset[str] = frozenset()

    @staticmethod
    def union(signs: Iterable[_Signs]) -> _Signs:
        signs = [s for s in signs if s is not _NO_SIGNS]
        if not signs:
            return _NO_SIGNS
        return _Signs(*(frozenset().union(*(getattr(s, field) for s in signs))
                        for field in ("persons", "styled", "towns", "dialled", "likely",
                                      "placed")))

    def all_persons(self) -> frozenset[str]:
        """The names that are a person's throughout the article: those it gives a person, and
        those it writes as a surname somewhere and nowhere as only a place is written (one
        sense per discourse: "Elizabeth Fairfield ... Fairfield's lawyers")."""
        return self.persons | (self.likely - self.placed)


_NO_SIGNS = _Signs()


class Gazetteer:
    """Names → places, and the matcher that finds names in text."""

    def __init__(self, places: dict[str, Place], names: dict[str, tuple[Place, ...]],
                 function_words: frozenset[str] = frozenset(),
                 prior: ReadingPrior | None = None, area_codes: dict[str, str] | None = None,
                 automaton=None):
        self._places = places
        self._names = names
        # North American area code → the place id of its state or province.
        self._area_codes = area_codes or {}
        # How the archive reads its ambiguous names (`with_prior`); none until a first pass.
        self._prior = prior or ReadingPrior()
        # Lower-cased words that may stand before a town without making it a surname ("in").
        self._function_words = function_words
        # The matcher of `names` (read-only once made); one made already may be shared.
        self._automaton = automaton if automaton is not None else _automaton(names)
        self._other_names: dict[str, list[str]] | None = None  # place id → names, made on demand

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> "Gazetteer":
        """The gazetteer, its tables read from `cache_dir` when they were cached there."""
        places, names = cached_tables(cache_dir)
        log.info("gazetteer: %d places, %d names", len(places), len(names))
        area_codes = {code: place_id for code, _, place_id
                      in read_table(DATA_DIR / "nanp_area_codes.tsv") if place_id in places}
        return cls(places, names, read_list(DATA_DIR / "english_stop.txt") | _NOT_GIVEN_NAMES,
                   area_codes=area_codes)

    def __reduce__(self):
        # Rebuilding from the tables is cheaper and safer than pickling the automaton's internals.
        return (Gazetteer, (self._places, self._names, self._function_words, self._prior,
                            self._area_codes))

    def with_prior(self, prior: ReadingPrior) -> "Gazetteer":
        """This gazetteer reading ambiguous names as the archive mostly reads them (the tables
        and the matcher are shared, not copied or made again)."""
        return Gazetteer(self._places, self._names, self._function_words, prior, self._area_codes,
                         self._automaton)

    @property
    def home_country(self) -> str | None:
        """The archive's home country by its prior (`ReadingPrior.home`), if it has one."""
        return self._prior.home

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
        return [m for _, m in self._found(text)]

    def readings_in(self, text: str) -> set[tuple[str, str]]:
        """(name key, place id) of the names in `text` that have more than one reading, as
        `find` reads them: what a first pass counts for the archive's prior."""
        return self._counted(self._found(text))

    def find_in_article(self, article: Article) -> ArticlePlaces:
        """Places of each paragraph and of the dateline, the whole article being the context."""
        dateline, paragraphs = self._article_found(article)
        return ArticlePlaces(dateline=dateline[1].place if dateline else None,
                             paragraphs=[[m for _, m in para] for para in paragraphs])

    def readings(self, article: Article) -> set[tuple[str, str]]:
        """(name key, place id) of the article's names that have more than one reading, as
        `find_in_article` reads them (the dateline's included)."""
        dateline, paragraphs = self._article_found(article)
        found = [pair for para in paragraphs for pair in para] + ([dateline] if dateline else [])
        return self._counted(found)

    def _counted(self, found: list[tuple[_Candidate, PlaceMention]]) -> set[tuple[str, str]]:
        """What a first pass counts of one text: its ambiguous names' readings, and under
        HOME_KEY its main country (the one most of its places lie in, when one leads)."""
        counted = {(c.key, m.place.id) for c, m in found if len(self._names[c.key]) > 1}
        countries = Counter(m.place.country_code for _, m in found).most_common(2)
        if countries and (len(countries) == 1 or countries[0][1] > countries[1][1]):
            counted.add((HOME_KEY, countries[0][0]))
        return counted

    def _found(self, text: str) -> list[tuple[_Candidate, PlaceMention]]:
        candidates, signs = self._candidates(text)
        signs = replace(signs, dialled=self._dialled(text))
        [candidates] = _bound_by_pairs([_without_persons(candidates, signs.all_persons())])
        return _resolved(candidates, _Context.of(candidates, signs), self._prior)

    def _article_found(self, article: Article) -> tuple[tuple[_Candidate, PlaceMention] | None,
                                                        list[list[tuple[_Candidate, PlaceMention]]]]:
        """The dateline's (candidate, mention), and each paragraph's (candidate, mention) pairs.

        The dateline is the strongest evidence for its own article: it is read first, on its own
        (its pair, "SPRINGFIELD, Ill.", else the name's reading in the archive or its default),
        and every name in the article that may mean the dateline's place means it. Only a
        dateline that reads as nothing on its own (a small town, its region unnamed) is read in
        the whole article's context.
        """
        found = [self._candidates(text) for text in
                 (article.title, title_case_words(dateline_place_text(article.dateline)),
                  *article.paragraphs)]
        signs = replace(_Signs.union(found_signs for _, found_signs in found),
                        dialled=self._dialled("\n".join(article.paragraphs)))
        persons = signs.all_persons()
        title, dateline, *paragraphs = [_without_persons(c, persons) for c, _ in found]
        # The dateline's first place that survives is its city, or its state when the city is
        # unknown ("SMALLTOWN, Conn.").
        alone = _resolved(dateline, _Context.of(dateline), self._prior)
        if alone:
            title, dateline, *paragraphs = [_bound_to(alone[0], c)
                                            for c in (title, dateline, *paragraphs)]
        title, dateline, *paragraphs = _bound_by_pairs([title, dateline, *paragraphs])
        context = _Context.of([c for para in paragraphs for c in para] + title + dateline, signs)
        resolved_dateline = alone or _resolved(dateline, context, self._prior)
        return (resolved_dateline[0] if resolved_dateline else None,
                [_resolved(para, context, self._prior) for para in paragraphs])

    def _candidates(self, text: str) -> tuple[list[_Candidate], _Signs]:
        """The names in `text` that may be places, and what its wording says of them (`_Signs`)."""
        if not text:
            return [], _NO_SIGNS
        titled = title_case_capitals(text)
        if titled is text and _LONG_CAPITALS.search(text):
            # A dateline or a shouted name inside ordinary text: "CHARLESTON, W.Va. (AP) --".
            titled = _LONG_CAPITALS.sub(title_word, text)
        searched = fold_in_place(titled)
        found = [_Candidate(start, end, text[start:end], self._names[searched[start:end]],
                            searched[start:end])
                 for start, end in _longest_whole_words(self._automaton, searched)
                 if self._names[searched[start:end]]]
        if "ounties" in text or "arishes" in text:
            found = _with_county_lists(found, text, searched, self._names)
        kept, persons, styled, towns, likely, placed = [], set(), set(), set(), set(), set()
        for c in _pairs_resolved(found, text):
            # What follows a name changes its reading only when it is a capitalised word.
            capital_after = text.startswith(" ", c.end) and text[c.end + 1:c.end + 2].isupper()
            if (capital_after and _STREET_AFTER.match(text, c.end)) or (
                    text.endswith("of ", 0, c.start)
                    and _CITY_OF_BEFORE.search(text, max(0, c.start - 10), c.start)
                    and not any(p.kind == "city" for p in c.places)):
                continue  # "Falcon Street"; "the city of Turkey" (a town the lists lack)
            if capital_after and _INITIAL_AFTER.match(text, c.end):
                continue  # "Virginia L. Lane", "Milton J. Little": a given name
            if capital_after and _INSTITUTION_AFTER.match(text, c.end):
                if _written_as_town(c, text):
                    towns.add(c.key)
                continue  # "Goshen Elementary", "Worden Middle School": a name, not the place
            after = _WORD_AFTER.match(text, c.end) if capital_after else None
            if after is not None and after.group(1) not in _TOWN_NOUNS:
                styled.add(c.surface)
            reading = _person_reading(c, text, self._function_words)
            if reading == _NAMED_PERSON:
                persons.add(c.surface)
            elif reading == _SURNAME:
                likely.add(c.surface)
            elif reading is None:
                kept.append(c)
                if _written_as_town(c, text):
                    towns.add(c.key)
                    placed.add(c.surface)
                elif _person_checked(c) and (c.paired or _PLACE_WORDS_BEFORE.search(
                        text, max(0, c.start - 12), c.start)):
                    placed.add(c.surface)
        if not (persons or styled or towns or likely or placed):
            return kept, _NO_SIGNS
        return kept, _Signs(frozenset(persons), frozenset(styled), frozenset(towns),
                            likely=frozenset(likely), placed=frozenset(placed))

    def _dialled(self, text: str) -> frozenset[str]:
        """The regions (and their countries) of the area codes of the telephone numbers in
        `text`: "(519) 661-5670", "519-661-5670". The last four digits are looked for first (a
        literal "-" the regular expression finds fast), then what stands before them."""
        ids: set[str] = set()
        for tail in _TELEPHONE_TAIL.finditer(text):
            head = _TELEPHONE_HEAD.search(text, max(0, tail.start() - 10), tail.start())
            if head is None or (head.start() and text[head.start() - 1] in _NOT_BEFORE_TELEPHONE):
                continue  # no area code, or part of a longer number ("1-800-222-8477")
            place_id = self._area_codes.get(head.group(1) or head.group(2))
            if place_id is not None:
                ids.add(place_id)
                ids.update(self._places[place_id].ancestor_ids)
        return frozenset(ids)


# A North American telephone number with its area code (group 1 or 2).
_TELEPHONE_TAIL = re.compile(r"-\d{4}(?![\d-])")
_TELEPHONE_HEAD = re.compile(r"(?:\((\d{3})\) ?|(\d{3})-)\d{3}$")
_NOT_BEFORE_TELEPHONE = frozenset("0123456789-")


def dateline_place_text(dateline: str) -> str:
    """The place part of a dateline: "SAN SALVADOR, Feb 26 - " → "SAN SALVADOR"."""
    return _DATELINE_DATE.sub("", dateline.strip()).strip(" ,-")


# Counties named together before the word ("Barrow, Jackson and Madison counties"): each name
# is "<Name> County" (or Parish), whatever else it may name on its own.
_COUNTY_NAME = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?"
_COUNTIES = re.compile(r" ([Cc]ounties|[Pp]arishes)\b")
# The list itself, matched back from the word (a window of 200 characters before it).
_COUNTY_LIST = re.compile(rf"\b((?:{_COUNTY_NAME}, )*{_COUNTY_NAME},? (?:and|or) {_COUNTY_NAME})$")


def _with_county_lists(found: list[_Candidate], text: str, searched: str,
                       names: dict[str, tuple[Place, ...]]) -> list[_Candidate]:
    """`found` with each name of a county list read as its county ("Jackson" in "Barrow and
    Jackson counties" is Jackson County), in place of what the name alone matched."""
    listed = []
    for word in _COUNTIES.finditer(text):
        match = _COUNTY_LIST.search(text, max(0, word.start() - 200), word.start())
        if match is None:
            continue
        suffix = " County" if word.group(1).lower() == "counties" else " Parish"
        for name in re.finditer(_COUNTY_NAME, match.group(1)):
            start, end = match.start(1) + name.start(), match.start(1) + name.end()
            key = searched[start:end] + suffix
            if names.get(key):
                listed.append(_Candidate(start, end, text[start:end], names[key], key))
    if not listed:
        return found
    spans = [(c.start, c.end) for c in listed]
    kept = [c for c in found if not any(c.start < e and s < c.end for s, e in spans)]
    return sorted(kept + listed, key=lambda c: c.start)


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
                result[n] = first.narrowed(place, paired=True)
                result[n + 1] = second.narrowed(outer, paired=True)
                break
    return result


def _bound_by_pairs(texts: list[list[_Candidate]]) -> list[list[_Candidate]]:
    """The candidates with every other mention of a name that a pair narrowed ("GLASGOW, Ky."
    ... "the Glasgow police") narrowed the same way: one sense per discourse. A name that pairs
    narrow to two places ("Springfield, Ill." and "Springfield, Mass.") binds nothing."""
    paired: dict[str, set[Place]] = {}
    for candidates in texts:
        for c in candidates:
            if c.paired:
                paired.setdefault(c.key, set()).add(c.places[0])
    bound = {key: next(iter(places)) for key, places in paired.items() if len(places) == 1}
    if not bound:
        return texts
    return [[c.narrowed(bound[c.key]) if not c.paired and c.key in bound
             and bound[c.key] in c.places else c for c in candidates] for candidates in texts]


# How local news writes a town's name, and seldom a country's (which has its demonym: "a
# Lebanese man") or a state's: followed by the town's police, council, schools or people
# ("Palestine police", "Norfolk High School", "a Lebanon woman"), or as a person's home town
# ("Jessica Kay, 18, of Paris"; "Michael Smith, 49, Palestine"; "residents of Ozark"), or after
# a street address ("508 Cumberland St., Lebanon").
_TOWN_WORDS_AFTER = re.compile(
    r" (?:Police|police|City Council|city council|City Hall|city hall|City Commission|"
    r"city commission|city limits|city officials|city manager|Fire Department|fire department|"
    r"firefighters|High School|Middle School|Elementary|Junior High|Junior College|"
    r"Independent School District|School District|school district|Public Schools|"
    r"public schools|Public Library|residents?|man|woman|men|women|couple|teenager|teen|boy|"
    r"girl|native)\b")
_CITY_OF_BEFORE = re.compile(r"\b(?:[Cc]ity|[Tt]own|[Vv]illage) of $")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_TOWN_WORDS_BEFORE = re.compile(
    r"(?:\b(?:[Cc]ity|[Tt]own|[Vv]illage|[Rr]esidents?|[Nn]atives?) of "
    r"|\b(?!" + _MONTH + r",)[A-Z][a-z]+, \d{1,2}, (?:of )?"
    r"|\b\d+ (?:[NSEW]\. )?(?:[A-Z][a-z]+ ){1,3}(?:St|Ave|Rd|Blvd|Dr|Street|Avenue|Road)\.?, )$")


# What stands before a name only a place takes ("in Fairfield", "near Dyer", "from Davis").
_PLACE_WORDS_BEFORE = re.compile(r"\b(?:[Ii]n|[Aa]t|[Nn]ear|[Ff]rom|[Tt]o|[Oo]utside|[Ii]nto"
                                 r"|[Vv]isit(?:ed|ing|s)?|[Tt]hrough|[Aa]cross|[Aa]round) $")


def _written_as_town(candidate: _Candidate, text: str) -> bool:
    """Whether `text` writes this name as a town's (`_TOWN_WORDS_AFTER`, `_TOWN_WORDS_BEFORE`)."""
    if _TOWN_WORDS_AFTER.match(text, candidate.end):
        return True
    return (text.endswith(("of ", ", "), 0, candidate.start)  # what every form before ends in
            and _TOWN_WORDS_BEFORE.search(text, max(0, candidate.start - 40),
                                          candidate.start) is not None)


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
# A name followed by these opens a school's name ("Goshen Elementary", "Worden Middle School",
# "Battle Ground Academy"), named after a road or a person as often as after the town: the
# school is no mention of the place. (Not "High School": "Paris High School" mostly is in Paris,
# and news names the town's one high school after it; nor "University": "Columbia University".)
_INSTITUTION_AFTER = re.compile(r" (?:Academy|(?:Elementary|Middle)(?: School)?)\b")
# A middle initial and a surname after a name make it a given name ("Virginia L. Lane").
_INITIAL_AFTER = re.compile(r" [A-Z]\. [A-Z][a-z]")
# A person's age after the name ("Burton, 39, runs a farm"): news gives people their age.
_AGE_AFTER = re.compile(r", \d{1,2}, ")
_SPEECH_AFTER = re.compile(r" (?:said|says|told|added|stated|explained|noted|wrote|asked|"
                           r"testified|pleaded|argued|replied|admitted)\b")
# Capitalised words that often stand before a real town name: they do not make it a surname.
_NOT_GIVEN_NAMES = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern",
                              "western", "central", "downtown", "greater", "old", "upper",
                              "lower", "metro", "rural", "suburban", "nearby", "neighboring",
                              "neighbouring", "city", "town", "village", "county"})
_NAMED_PERSON = "named"
_SURNAME = "surname"
_LIKELY_PERSON = "likely"


def _person_reading(candidate: _Candidate, text: str, function_words: frozenset[str]) -> str | None:
    """For a name read only as cities (or the package's divisions: "Kerry", "Angus"):
    _NAMED_PERSON after a title, a middle initial or a nickname ("Sen. Walker") or before an
    age ("Burton, 39,"), which names the person for the whole article ("Walker said" later);
    _SURNAME, for a small town only, after a given name inside a sentence ("said Elizabeth
    Fairfield") or before a verb of speech ("Moore said"): a person here, and in the whole
    article unless it writes the name somewhere as only a place is written
    (`_Signs.all_persons`);
    _LIKELY_PERSON after any other capitalised word ("Missing Lancaster girl" opening a title),
    or for a small town before a capitalised word that is not a town noun ("Sidney Johnson",
    not "Paris High School"): a person here only;
    else None."""
    if not _person_checked(candidate):
        return None
    before = text[max(0, candidate.start - 24):candidate.start]
    if (_TITLE_BEFORE.search(before) or _INITIAL_OR_NICKNAME_BEFORE.search(before)
            or _AGE_AFTER.match(text, candidate.end)):
        return _NAMED_PERSON
    word = _WORD_BEFORE.search(before)
    small = all(_is_small_city(p) or is_subdivision(p) for p in candidate.places)
    if word and word.group(1).lower() not in function_words:
        # A capitalised word that opens a sentence or a title is as often an adjective
        # ("Missing Lancaster girl", "New Gainesville prison") as a given name; and a big
        # city's name after one is mostly inside a longer name ("Bank of America Chicago").
        if small and not _opens_sentence(text, word.start(1) + candidate.start - len(before)):
            return _SURNAME
        return _LIKELY_PERSON
    if not small:
        return None  # "a resident of Tabriz told the BBC"
    if _SPEECH_AFTER.match(text, candidate.end):
        return _SURNAME
    after = _WORD_AFTER.match(text, candidate.end)
    return _LIKELY_PERSON if after is not None and after.group(1) not in _TOWN_NOUNS else None


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a sentence or a quotation."""
    return text[max(0, start - 2):start].strip() in ("", ".", "!", "?", '"', "“", ":")


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
    is not a town of the long tail (a surname as often as a place). `signs`: what the article's
    wording says of its names; `candidates`: the names themselves, from which `without` makes
    the context of the other names.
    """

    def __init__(self, ids: frozenset[str], regions: frozenset[str], countries: frozenset[str],
                 default_names: dict[str, frozenset[str]] | None = None,
                 signs: _Signs = _Signs(), candidates: tuple[_Candidate, ...] = ()):
        self.ids = ids
        self.regions = regions
        self.countries = countries
        self.default_names = default_names or {}
        self.signs = signs
        self.candidates = candidates
        self._named_by: _NamedBy | None = None  # made on demand, for names written as towns
        self._grid: dict[tuple[int, int], list[tuple[str, float, float]]] | None = None
        self._near: dict[tuple[str, str], int] = {}

    def without(self, key: str) -> _OtherNames:
        """What the article's other names say: what supports a name apart from itself."""
        if self._named_by is None:
            self._named_by = _NamedBy(self.candidates, self.signs.dialled)
        return _OtherNames(self._named_by, key)

    @classmethod
    def of(cls, candidates: Iterable[_Candidate], signs: _Signs = _Signs()) -> "_Context":
        candidates = tuple(candidates)
        ids: set[str] = set()
        regions: set[str] = set(signs.dialled)
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
                   signs, candidates)

    def neighbours(self, place: Place, key: str) -> int:
        """How many other names of the article have a reading within NEIGHBOUR_KM of `place`
        (only readings that count as evidence: see NEIGHBOUR_MAX_READINGS)."""
        if place.lat is None or place.lon is None:
            return 0
        if (place.id, key) in self._near:
            return self._near[place.id, key]
        if self._grid is None:
            self._grid = _neighbour_grid(self.candidates)
        row, col = math.floor(place.lat), math.floor(place.lon)
        near: set[str] = set()
        scale = math.cos(math.radians(place.lat))
        for r in (row - 1, row, row + 1):
            for c in range(col - 2, col + 3):
                for other, lat, lon in self._grid.get((r, c), ()):
                    if other != key and other not in near and _km(place.lat, place.lon, lat, lon,
                                                                  scale) <= NEIGHBOUR_KM:
                        near.add(other)
        self._near[place.id, key] = len(near)
        return len(near)

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


class _NamedBy:
    """For each id `_Context` counts as named (places and regions of clear names, regions any
    name may mean, countries) and each country's default names: the name key that names it, or
    None when more than one name (or a telephone number) does. One pass over the names, so
    that the context of "every name but this one" costs no second pass per name."""

    def __init__(self, candidates: Iterable[_Candidate], dialled: frozenset[str]):
        self.ids: dict[str, str | None] = {}
        self.regions: dict[str, str | None] = dict.fromkeys(dialled)
        self.countries: dict[str, str | None] = {}
        self.defaults: dict[str, dict[str, str | None]] = {}
        for c in candidates:
            default = c.places[0]
            if not _is_town(default):
                _name(self.defaults.setdefault(default.country_code, {}), (default.name,), c.key)
            if _is_clear(c.places):
                _name(self.ids, (default.id, *default.ancestor_ids), c.key)
                _name(self.countries, (default.country_code,), c.key)
            elif not all(_is_small_city(p) for p in c.places):
                codes = {p.country_code for p in c.places}
                if len(codes) == 1:
                    _name(self.countries, codes, c.key)
            _name(self.regions, (p.id for p in c.places if p.kind in ("region", "county")), c.key)


class _OtherNames:
    """`_Context.level` and `other_defaults` as if the article did not hold the name `key`."""

    def __init__(self, named_by: _NamedBy, key: str):
        self._named_by = named_by
        self._key = key

    def _named(self, table: dict[str, str | None], place_id: str) -> bool:
        return place_id in table and table[place_id] != self._key

    def level(self, place: Place) -> int:
        regions = place.ancestor_ids[:-1]
        named = self._named_by
        if (self._named(named.ids, place.id) or any(self._named(named.ids, a) for a in regions)
                or any(self._named(named.regions, a) for a in regions)):
            return 2
        return 1 if self._named(named.countries, place.country_code) else 0

    def other_defaults(self, country_code: str, name: str) -> int:
        names = self._named_by.defaults.get(country_code, {})
        return sum(1 for other, key in names.items() if other != name and key != self._key)


def _name(table: dict[str, str | None], ids: Iterable[str], key: str) -> None:
    """Records that the name `key` names these ids (None once another name does too)."""
    for place_id in ids:
        table[place_id] = key if table.get(place_id, key) == key else None


def _neighbour_grid(candidates: Iterable[_Candidate]
                    ) -> dict[tuple[int, int], list[tuple[str, float, float]]]:
    """The evidence readings of the names, by one-degree cell: (key, lat, lon)."""
    grid: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
    seen: set[str] = set()
    for c in candidates:
        if c.key in seen:
            continue
        seen.add(c.key)
        few = len(c.places) <= NEIGHBOUR_MAX_READINGS
        for p in c.places:
            if p.lat is not None and p.lon is not None and p.kind == "city" and (
                    few or p.population >= TOWN_POPULATION):
                grid.setdefault((math.floor(p.lat), math.floor(p.lon)), []).append(
                    (c.key, p.lat, p.lon))
    return grid


def _km(lat1: float, lon1: float, lat2: float, lon2: float, scale: float) -> float:
    """Distance in km, flat-earth (exact enough within a few hundred km); `scale` is the cosine
    of the latitude."""
    return 111.2 * math.hypot(lat1 - lat2, (lon1 - lon2) * scale)


def _is_clear(places: tuple[Place, ...]) -> bool:
    """True when a name's default reading can stand as context on its own: it is not a small
    town, and any other reading is a town of under 15,000 people (Atlanta, not Atlanta, Texas):
    the long tail of towns must not take names like Atlanta out of the context."""
    if (places[0].kind != "city" and not is_subdivision(places[0])
            and all(p.kind == "city" for p in places[1:])):
        return True  # "Ontario" the province, not Ontario, California; but "Norfolk" may be
        # Virginia's as well as the English county: a package division is clear as a city is
    return not _is_small_city(places[0]) and all(_is_town(p) for p in places[1:])


def _resolved(candidates: list[_Candidate], context: _Context,
              prior: ReadingPrior) -> list[tuple[_Candidate, PlaceMention]]:
    """Each candidate's place in this context and the archive's prior, with its candidate;
    small towns the context does not support dropped."""
    mentions = []
    for c in candidates:
        leader = prior.leader(c.key)
        # The archive's home country speaks for a name only when the archive has no reading
        # of its own for it ("Venice" read as Italy's in most of the archive stays Italy's).
        home = prior.home if leader is None else None
        town = (_as_town(_led(c.places, leader, keep_tiny=True), context.without(c.key),
                         home) if c.key in context.signs.towns else None)
        if town is not None:
            place, kept = town
            if kept:
                mentions.append((c, PlaceMention(place, c.start, c.end, c.surface)))
            continue
        place, level = _choose(_led(c.places, leader), context, c.key, home)
        if (_is_small_city(place) and level < _needed_level(place)
                and (_is_town(place) or not context.neighbours(place, c.key))):
            continue
        if (len(c.places) > 1 and c.surface in context.signs.styled
                and all(p.kind != "city" and context.level(p) == 0 for p in c.places)):
            continue  # "Georgia Stevens", in a story that supports neither Georgia
        mentions.append((c, PlaceMention(place, c.start, c.end, c.surface)))
    return mentions


def _as_town(places: tuple[Place, ...], others: _OtherNames,
             home: str | None = None) -> tuple[Place, bool] | None:
    """For a name its article writes as a town's ("Lebanon police"): the town reading the
    article's other names support most, then the one in the country where most of them have
    their default ("Paris" beside "Dallas"), then the one in the archive's `home` country
    ("Athens residents" in a local American paper), then the largest; without
    the population ratio `_choose` asks of a reading against its default, and whether it is
    believed: with one level less support than `_needed_level`, or none when every town of the
    name lies in one country ("Grand Ledge Police" alone). None when the name has no town
    reading, is by default a region (a state: "Texas residents"), or is by default a country the
    other names support more than any town of its name ("Jordan police" in Amman)."""
    towns = [p for p in places if p.kind == "city"]
    default = places[0]
    if not towns or default.kind == "region":
        return None
    best = max(towns, key=lambda p: (others.level(p), others.other_defaults(p.country_code, ""),
                                     p.country_code == home))
    level = others.level(best)
    if default.kind != "city" and others.level(default) > level:
        return None
    kept = (not _is_small_city(best) or level >= _needed_level(best) - 1
            or len({p.country_code for p in towns}) == 1)
    return best, kept


def _bound_to(dateline: tuple[_Candidate, PlaceMention],
              candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates with every name the dateline read narrowed to the dateline's place."""
    named, mention = dateline
    return [c.narrowed(mention.place) if c.key == named.key and mention.place in c.places else c
            for c in candidates]


def _led(places: tuple[Place, ...], leader: str | None,
         keep_tiny: bool = False) -> tuple[Place, ...]:
    """The readings with the archive's leading one first and only the rivals not tiny beside it
    after it: a namesake under LEADER_POPULATION_RATIO of the leader's people (a town beside
    a capital) cannot take the name on its region's say-so alone, only by a pair, a dateline
    or its article writing it as a town's (`keep_tiny`: then every rival stays, after the leader).
    Unchanged when the archive has no clear reading for the name."""
    if leader is None or len(places) < 2:
        return places
    first = next((p for p in places if p.id == leader), None)
    if first is None:
        return places
    return (first, *(p for p in places
                      if p is not first and (keep_tiny or not _tiny_beside(p, first))))


def _tiny_beside(place: Place, leader: Place) -> bool:
    """A city (or a package division, counted as a town) under LEADER_POPULATION_RATIO of the
    leader's people, when the leader is a city or larger; countries and regions are never tiny."""
    if place.kind != "city" and not is_subdivision(place):
        return False
    size = population_of(leader) if leader.kind == "city" else max(population_of(leader),
                                                                    SMALL_CITY_POPULATION)
    return population_of(place) < LEADER_POPULATION_RATIO * size


def _is_small_city(place: Place) -> bool:
    return place.kind == "city" and place.population < SMALL_CITY_POPULATION


def _is_town(place: Place) -> bool:
    """A city from the long tail under 15,000 people. Curated towns carry no population: they
    were added by hand, and are not counted here."""
    return place.kind == "city" and 0 < place.population < TOWN_POPULATION


def _needed_level(place: Place) -> int:
    """How much support a small city needs from its context (see `_Context.level`)."""
    return 2 if _is_town(place) else 1


def _choose(places: tuple[Place, ...], context: _Context, key: str,
            home: str | None = None) -> tuple[Place, int]:
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
        # Nothing in the article supports any reading: prefer the reading with the most other
        # names nearby, when the default has fewer ("London" beside "St. Thomas").
        near = [0 if _is_town(place) else context.neighbours(place, key) for place in places]
        if max(near) > near[0]:
            return places[near.index(max(near))], 0
        at_home = _home_reading(places, home)
        if at_home is not None:
            return at_home, 1
        # Else prefer a reading not tiny beside the
        # default in the country more of the article's other names point to by default
        # ("Edmonton" beside "Enfield" is the London one; "London" stays London, England).
        backing = context.other_defaults(default.country_code, default.name)
        for place in places[1:]:
            if (not _is_town(place) and place.country_code != default.country_code
                    and population_of(place) >= CONTEXT_POPULATION_RATIO * default.population
                    and context.other_defaults(place.country_code, default.name) > backing):
                return place, 1
    return best, best_level


def _home_reading(places: tuple[Place, ...], home: str | None) -> Place | None:
    """The reading in the archive's home country, for a name its article supports in no way:
    the largest there, when the default lies elsewhere and that reading is no town of the long
    tail and at least HOME_POPULATION_RATIO of the default's people ("Mansfield" in a local
    paper's archive of American towns is Mansfield, Texas, not Mansfield, England)."""
    default = places[0]
    if home is None or default.country_code == home or _is_small_city(default):
        return None  # a small default the article does not support is dropped: no reading
    return next((p for p in places[1:] if p.country_code == home and not _is_town(p)
                 and population_of(p) >= HOME_POPULATION_RATIO * population_of(default)), None)


def _automaton(names: dict[str, tuple[Place, ...]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return automaton
