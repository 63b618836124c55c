"""bench/geoparsing.py scores as the corpus README says: overlap, each prediction used once,
the gold country from the nearest city of 15,000+ within 400 km."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from index.places import Gazetteer

BENCH = Path(__file__).resolve().parents[2] / "bench" / "geoparsing.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("geoparsing_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def write_corpus(path: Path) -> Path:
    path.write_text("""<?xml version="1.0" encoding="utf-8"?>
<articles><article docid="1"><text><![CDATA[Talks in Baku and Nowhere.]]></text><toponyms>
<toponym><start>9</start><end>13</end><phrase>Baku</phrase>
<gaztag geonameid="587084"><name>Baku</name><lat>40.37767</lat><lon>49.89201</lon></gaztag></toponym>
<toponym><start>18</start><end>25</end><phrase>Nowhere</phrase></toponym>
</toponyms></article></articles>""", encoding="utf-8")
    return path


def test_gold_country_comes_from_the_nearest_city_and_is_none_without_a_point(bench, tmp_path):
    [doc] = bench.read_corpus(write_corpus(tmp_path / "c.xml"), bench.NearestCountry())
    assert [(t.phrase, t.country) for t in doc.toponyms] == [("Baku", "AZ"), ("Nowhere", None)]


def test_found_and_resolved_are_counted_over_gold_and_predictions(bench, gazetteer, tmp_path):
    documents = bench.read_corpus(write_corpus(tmp_path / "c.xml"), bench.NearestCountry())
    score, errors, _ = bench.evaluate(gazetteer, documents)
    assert (score.gold, score.predicted, score.found, score.resolved) == (2, 1, 1, 1)
    assert [(e[0], e[4]) for e in errors] == [("missed", "Nowhere")]


def test_one_prediction_finds_only_one_of_two_gold_spans_it_overlaps(bench, gazetteer):
    doc = bench.Document("d", "Rain in New York today.", (
        bench.Toponym(8, 11, "New", "US"), bench.Toponym(12, 16, "York", "US")))
    score, _, _ = bench.evaluate(gazetteer, [doc])
    assert (score.gold, score.predicted, score.found, score.resolved) == (2, 1, 1, 1)


def test_realign_moves_a_shifted_gold_span_onto_its_phrase(bench):
    doc = bench.Document("d", "Talks in Baku.", (bench.Toponym(7, 11, "Baku", "AZ"),))
    [moved], count = bench.realign([doc])
    assert count == 1 and (moved.toponyms[0].start, moved.toponyms[0].end) == (9, 13)
