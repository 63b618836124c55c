"""The generation switcher over real built generations: answers during a switch equal serial
ones, a generation that fails is refused while the last good one serves, the one before is
kept until its last request ends, and the builder never removes a generation a reader holds."""
from __future__ import annotations

import threading

import pytest

import search.service.switcher as switcher_module
from index.build import reindex
from index.store.generations import hold_for_reading, remove_if_unread
from index.settings import Settings
from search import SearchService
from search.service.switcher import NoIndexError, Switcher
from search_corpus import ARTICLES, built_index, write_archive

ZEPPELIN = {"id": "zeppelin-1", "title": "Airship over Brazil", "date": "2021-03-01", "author": "",
            "url": "", "dateline": "", "paragraphs": ["A zeppelin carried coffee over Brazil."]}
QUERIES = [{"q": "coffee"}, {"q": "coffee", "facets": "place,year"}, {"q": "zeppelin"},
           {"q": "wine", "group": "article"}, {"q": "", "sort": "newest", "page_size": "3"},
           {"q": "harvest", "place": "Brazil"}]


def next_generation(tmp_path, index_dir, articles) -> int:
    write_archive(tmp_path / "archive", articles)
    settings = Settings.from_env({}, index_dir=index_dir, sources=(tmp_path / "archive",), workers=1)
    return reindex(settings, full=True).generation


def answer(service: SearchService, params: dict) -> tuple[int, dict]:
    body = service.search(params)
    body.pop("took_ms")
    return service.answered_from(), body


def serial_answers(index_dir) -> dict:
    """(generation, query number) -> body, from a fresh service on the serving generation."""
    service = SearchService(index_dir)
    try:
        return {(gen, i): body for i, params in enumerate(QUERIES)
                for gen, body in [answer(service, params)]}
    finally:
        service.close()


@pytest.fixture
def checked_every_request(monkeypatch):
    monkeypatch.setattr(switcher_module, "CHECK_INTERVAL", 0.0)


def test_concurrent_answers_across_a_switch_equal_serial_ones(tmp_path, checked_every_request):
    index_dir = built_index(tmp_path)
    expected = serial_answers(index_dir)
    service = SearchService(index_dir)
    answers, errors, stop = [], [], threading.Event()

    def client():
        try:
            while not stop.is_set():
                for i, params in enumerate(QUERIES):
                    generation, body = answer(service, params)
                    answers.append((generation, i, body))
        except Exception as e:  # noqa: BLE001 — reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
        expected.update(serial_answers(index_dir))
        while not any(generation == 2 for generation, _, _ in answers[-len(QUERIES) * 4:]):
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        service.close()
    assert not errors
    assert {generation for generation, _, _ in answers} == {1, 2}
    mismatched = [(g, QUERIES[i]) for g, i, body in answers if body != expected[(g, i)]]
    assert mismatched == []
    assert expected[(1, 2)]["total"] == 0 and expected[(2, 2)]["total"] == 1


def opened_names(index_dir, fail_on: str | None = None):
    """A switcher whose 'generation' is its folder's name; opening `fail_on` raises."""
    closed = []

    def open_generation(path):
        if path.name == fail_on:
            raise EOFError("truncated segment")
        return path.name

    return Switcher(index_dir, open_generation, closed.append), closed


def test_a_generation_that_fails_to_open_is_refused_and_the_last_good_one_serves(
        tmp_path, checked_every_request, caplog):
    index_dir = built_index(tmp_path)
    switcher, _ = opened_names(index_dir, fail_on="gen-2")
    with switcher.using() as first:
        assert first == "gen-1"
    next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
    for _ in range(2):
        with switcher.using() as still:
            assert still == "gen-1"
    refused = switcher.refused.public()
    assert refused["generation"] == 2 and "EOFError" in refused["reason"] and refused["at"]
    assert sum("gen-2" in r.getMessage() for r in caplog.records if r.levelname == "ERROR") == 1


def test_a_first_generation_that_fails_to_open_is_no_index_with_the_reason(tmp_path):
    index_dir = built_index(tmp_path)
    switcher, _ = opened_names(index_dir, fail_on="gen-1")
    with pytest.raises(NoIndexError, match="could not be opened \\(EOFError\\)"):
        with switcher.using():
            pass


def test_the_generation_before_is_closed_when_its_last_request_ends(tmp_path, checked_every_request):
    index_dir = built_index(tmp_path)
    switcher, closed = opened_names(index_dir)
    with switcher.using() as old:
        next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
        with switcher.using() as new:
            assert (old, new) == ("gen-1", "gen-2")
        assert closed == []
    assert closed == ["gen-1"]
    switcher.close()
    assert closed == ["gen-1", "gen-2"]


def test_the_builder_removes_a_generation_only_once_no_reader_holds_it(tmp_path):
    gen_dir = built_index(tmp_path) / "gen-1"
    hold = hold_for_reading(gen_dir)
    assert remove_if_unread(gen_dir) is False and gen_dir.is_dir()
    hold.release()
    assert remove_if_unread(gen_dir) is True and not gen_dir.exists()


def test_a_generation_a_server_still_reads_survives_later_builds(tmp_path, checked_every_request):
    index_dir = built_index(tmp_path)
    switcher, _ = opened_names(index_dir)
    with switcher.using():
        for _ in range(3):
            next_generation(tmp_path, index_dir, ARTICLES)
        assert (index_dir / "gen-1").is_dir()
    switcher.close()
    next_generation(tmp_path, index_dir, ARTICLES)
    assert not (index_dir / "gen-1").exists()


def test_a_first_generation_that_fails_falls_back_to_the_one_before_until_a_good_one_comes(
        tmp_path, checked_every_request, caplog):
    index_dir = built_index(tmp_path)
    next_generation(tmp_path, index_dir, ARTICLES + [ZEPPELIN])
    switcher, _ = opened_names(index_dir, fail_on="gen-2")
    with switcher.using() as first:
        assert first == "gen-1"
    assert switcher.refused.public(serving=1)["reason"] == (
        "index generation 2 could not be opened (EOFError); answering from generation 1 "
        "meanwhile; run `python3 manage.py reindex` to rebuild it")
    assert any("answering from index generation" in r.getMessage() for r in caplog.records)
    next_generation(tmp_path, index_dir, ARTICLES)
    with switcher.using() as now:
        assert now == "gen-3"
    assert switcher.refused is None
    switcher.close()
