"""A real waitress server on a random loopback port, called over a real socket: answers,
JSON errors, 503 before the first index, and new generations served without a restart."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from index.build import reindex
from index.settings import Settings
from search.server import running_in_background
from search.web import error_body
from archive_files import write_archive

pytestmark = pytest.mark.slow

FIRST = {"id": "oil-1", "title": "Oil prices rise", "date": "1987-03-02", "author": "",
         "url": "", "dateline": "", "paragraphs": ["Crude oil prices rose in trading."]}
SECOND = {"id": "zeppelin-2", "title": "Airship lands", "date": "1987-03-03", "author": "",
          "url": "", "dateline": "", "paragraphs": ["A zeppelin landed near the harbour."]}


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({}, index_dir=tmp_path / "idx", sources=(tmp_path / "archive",),
                             workers=1, lock_timeout=5, threads=2)


def get(url: str) -> tuple[int, dict, dict]:
    """Status, headers and JSON body of a GET, 4xx and 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, dict(res.headers), json.loads(res.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), json.loads(e.read())


def assert_json_error(answer: tuple[int, dict, dict], status: int, code: str, param=None) -> None:
    got_status, headers, body = answer
    assert got_status == status
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert body == error_body(code, body["error"]["message"], param)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("e2e-built")
    write_archive(tmp_path / "archive", [FIRST])
    settings = settings_for(tmp_path)
    reindex(settings)
    with running_in_background(settings) as running:
        yield running


def test_search_over_a_real_socket_answers_hits(server):
    status, headers, body = get(f"{server.url}/api/search?q=oil")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert [hit["article_id"] for hit in body["hits"]] == ["oil-1"]


def test_bad_parameter_over_a_real_socket_is_json_400(server):
    assert_json_error(get(f"{server.url}/api/search?to=soon"), 400, "invalid_parameter", "to")


def test_unknown_api_path_over_a_real_socket_is_json_404(server):
    assert_json_error(get(f"{server.url}/api/{quote('nowhere/ü')}"), 404, "not_found")


def test_server_listens_on_loopback_only(server):
    assert server.url.startswith("http://127.0.0.1:")


def test_background_server_stops_and_releases_its_port(tmp_path):
    with running_in_background(settings_for(tmp_path)) as running:
        url = f"{running.url}/api/status"
        assert get(url)[0] == 503
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def test_before_the_first_index_search_is_503_then_200_once_built(tmp_path):
    settings = settings_for(tmp_path)
    with running_in_background(settings) as running:
        before = get(f"{running.url}/api/search?q=oil")
        write_archive(tmp_path / "archive", [FIRST])
        reindex(settings)
        after = get(f"{running.url}/api/search?q=oil")
    assert_json_error(before, 503, "no_index")
    assert before[1]["Retry-After"].isdigit()
    assert (after[0], after[2]["total"]) == (200, 1)


def test_new_generation_is_served_without_restart(tmp_path):
    settings = settings_for(tmp_path)
    write_archive(tmp_path / "archive", [FIRST])
    reindex(settings)
    with running_in_background(settings) as running:
        before = get(f"{running.url}/api/search?q=zeppelin")[2]["total"]
        write_archive(tmp_path / "archive", [FIRST, SECOND])
        reindex(settings)
        after = get(f"{running.url}/api/search?q=zeppelin")[2]["total"]
        generation = get(f"{running.url}/api/status")[2]["generation"]
    assert (before, after, generation) == (0, 1, 2)
