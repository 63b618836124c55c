"""A real waitress server on a random loopback port, called over a real socket: answers,
JSON errors, 503 before the first index, and new generations served without a restart.

Also the contract test of `search.web.waitress_private` (the one module that uses waitress's
internals): raw requests that waitress alone would accept or answer in plain text (HTTP/0.9, a
NUL in the request line, both Content-Length and Transfer-Encoding, a body, an over-long line
or head) are refused with the API's JSON error; a head slower than its deadline and a silent
connection are closed; connections past the limit get a quick JSON 503."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from archive_files import write_archive
from index.build import reindex
from index.settings import Settings
from json_get import get
from search.web.app import error_body
from search.web.http_limits import connection_limit
from search.web.server import access_line, running_in_background

pytestmark = pytest.mark.slow

FIRST = {"id": "oil-1", "title": "Oil prices rise", "date": "1987-03-02", "author": "",
         "url": "", "dateline": "", "paragraphs": ["Crude oil prices rose in trading."]}
SECOND = {"id": "zeppelin-2", "title": "Airship lands", "date": "1987-03-03", "author": "",
          "url": "", "dateline": "", "paragraphs": ["A zeppelin landed near the harbour."]}


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({}, index_dir=tmp_path / "idx", sources=(tmp_path / "archive",),
                             workers=1, lock_timeout=5, threads=2)


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
        # The server looks for a new generation at most every CHECK_INTERVAL (0.5 s); a build
        # can finish sooner than that.
        deadline = time.monotonic() + 5
        while get(f"{running.url}/api/status")[2]["generation"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        after = get(f"{running.url}/api/search?q=zeppelin")[2]["total"]
        generation = get(f"{running.url}/api/status")[2]["generation"]
    assert (before, after, generation) == (0, 1, 2)


# ---------------------------------------------------------------- raw requests (the adapter's contract)


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def raw_answer(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict, bytes]:
    """Status, headers and body the server sends back for `data` sent as is on a fresh socket
    (0 when it closed without an answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = read_until_closed(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        return 0, {}, received
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def assert_raw_json_error(answer: tuple[int, dict, bytes], status: int, code: str) -> None:
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    parsed = json.loads(body)
    assert parsed == error_body(code, parsed["error"]["message"])


def test_a_request_line_too_long_is_a_json_414(server):
    request = b"GET /api/search?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert_raw_json_error(raw_answer(port_of(server), request), 414, "uri_too_long")


@pytest.mark.parametrize("headers", [b"X-Big: " + b"a" * 100_000 + b"\r\n",
                                     b"X-A: b\r\n" * 200], ids=["one-of-100-KB", "200-lines"])
def test_headers_too_large_are_a_json_431(server, headers):
    request = b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    assert_raw_json_error(raw_answer(port_of(server), request), 431, "headers_too_large")


@pytest.mark.parametrize("request_bytes", [
    b"GET /api/search?q=oil\r\n\r\n",
    b"GET /api/search?q=o\x00il HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/search?q=oil HTTP/2.0\r\nHost: x\r\n\r\n",
    b"get /api/search?q=oil HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
], ids=["http-0.9", "nul-in-line", "http-2.0", "lowercase-method", "length-and-chunked",
        "folded-header", "tls-hello"])
def test_a_request_waitress_alone_would_take_or_answer_in_text_is_a_json_400(server, request_bytes):
    assert_raw_json_error(raw_answer(port_of(server), request_bytes), 400, "bad_request")


@pytest.mark.parametrize("body_headers", [b"Content-Length: 10000000\r\n",
                                          b"Transfer-Encoding: chunked\r\n"])
def test_a_body_is_refused_with_a_json_413_before_it_arrives(server, body_headers):
    # Only one byte of the announced body is ever sent: the answer cannot wait for the rest.
    request = b"POST /api/search HTTP/1.1\r\nHost: x\r\n" + body_headers + b"\r\nx"
    assert_raw_json_error(raw_answer(port_of(server), request, timeout=5), 413, "body_not_accepted")


def test_two_requests_on_one_kept_alive_connection_are_both_answered(server):
    conn = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=10)
    try:
        answers = []
        for path in ("/healthz", "/api/search?q=oil"):
            conn.request("GET", path)
            res = conn.getresponse()
            answers.append((res.status, res.will_close, json.loads(res.read())))
    finally:
        conn.close()
    assert [(status, closes) for status, closes, _ in answers] == [(200, False), (200, False)]
    assert answers[1][2]["hits"][0]["article_id"] == "oil-1"


def seconds_until_closed(sock: socket.socket, drip: bytes = b"") -> float:
    """Seconds until the server closes `sock`, sending one byte of `drip` every 0.2 s."""
    started = time.monotonic()
    sock.settimeout(0.2)
    for i in range(100):
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except socket.timeout:
            if drip:
                sock.send(drip[i % len(drip):i % len(drip) + 1])
        except ConnectionResetError:
            return time.monotonic() - started
    return time.monotonic() - started


def test_a_request_head_slower_than_its_deadline_is_closed(tmp_path):
    settings = settings_for(tmp_path)
    with running_in_background(settings, head_timeout=1.0) as running:
        with socket.create_connection(("127.0.0.1", port_of(running)), timeout=5) as sock:
            sock.sendall(b"GET /api/search?q=oil HTTP/1.1\r\n")
            # A header byte every 0.2 s: never silent, but the head never ends.
            waited = seconds_until_closed(sock, drip=b"X-Slow: abcdefghijklmnopqrstuvwxyz")
        after = get(f"{running.url}/api/status")[0]
    assert 1.0 <= waited < 5.0
    assert after == 503  # still answering (no index in this folder)


def test_a_silent_connection_is_closed_after_the_idle_timeout(tmp_path):
    with running_in_background(settings_for(tmp_path), idle_timeout=1.0) as running:
        with socket.create_connection(("127.0.0.1", port_of(running)), timeout=5) as sock:
            waited = seconds_until_closed(sock)
    assert 1.0 <= waited < 5.0


def test_connections_past_the_limit_get_a_quick_json_503_and_the_rest_are_served(tmp_path):
    settings = settings_for(tmp_path)
    with running_in_background(settings, connection_limit=3) as running:
        port = port_of(running)
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        time.sleep(0.5)  # accepted by the server's loop
        try:
            started = time.monotonic()
            refused = raw_answer(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            refused_in = time.monotonic() - started
        finally:
            for sock in held:
                sock.close()
        time.sleep(1)
        after = get(f"{running.url}/api/status")[0]
    assert_raw_json_error(refused, 503, "busy")
    assert refused[1]["Retry-After"] == "1" and refused_in < 2
    assert after == 503  # answered by the app (no index here), no longer turned away


def test_the_connection_limit_leaves_room_for_the_index_and_is_capped():
    assert (connection_limit(1024), connection_limit(100), connection_limit(20_000)) == (768, 50, 10_000)


def test_the_access_line_names_the_request_status_generation_and_process():
    environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET",
               "REQUEST_URI": "/api/search?q=oil", "SERVER_PROTOCOL": "HTTP/1.1"}
    line = access_line(environ, "200", [("X-Index-Generation", "7")], 5210, 0.012)
    assert line.startswith("127.0.0.1 [")
    assert line.endswith(f'] "GET /api/search?q=oil HTTP/1.1" 200 5210 12ms gen=7 pid=<{os.getpid()}>')


_OUT_OF_FILES = """
import logging, resource, sys, time
from pathlib import Path
from index.settings import Settings
from search.web.server import running_in_background
logging.basicConfig(level=logging.INFO)
resource.setrlimit(resource.RLIMIT_NOFILE, (200, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
settings = Settings.from_env({}, index_dir=Path(sys.argv[1]), workers=1, threads=2)
with running_in_background(settings, connection_limit=10_000) as server:
    print(server.url, flush=True)
    time.sleep(120)
"""


def test_out_of_file_descriptors_the_excess_is_answered_503_and_logged_once(tmp_path):
    # The connection limit is set above what 200 open files allow, so accept() itself fails
    # (the limit a server derives for itself stays below): silent connections take every
    # descriptor, and the ones past that are refused at once instead of left waiting.
    errors = tmp_path / "stderr"
    with open(errors, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-c", _OUT_OF_FILES, str(tmp_path / "idx")],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        port = int(process.stdout.readline().rsplit(":", 1)[1])
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]
        time.sleep(2)
        answers = [answered_unasked(sock) for sock in socks]
        for sock in socks:
            sock.close()
        time.sleep(1)
        after = raw_answer(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        alive = process.poll() is None
    finally:
        process.kill()
        process.wait()
    logged = errors.read_text()
    assert answers.count("busy") > 0 and answers.count("held") > 100, answers
    assert set(answers) == {"busy", "held"}
    assert alive and after[0] == 503  # the app answers again (no index in this folder)
    assert logged.count("out of file descriptors") == 1 and "Traceback" not in logged


def answered_unasked(sock: socket.socket) -> str:
    """What a connection that sent nothing got: "held" (nothing yet), or the error code of the
    answer the server sent before closing it."""
    sock.setblocking(False)
    try:
        received = sock.recv(65536)
    except BlockingIOError:
        return "held"
    body = received.partition(b"\r\n\r\n")[2]
    return json.loads(body)["error"]["code"] if body else "closed"
