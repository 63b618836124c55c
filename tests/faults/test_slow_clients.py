"""Slow and many clients against a real `manage.py serve` on a loopback port: request heads that
never end, silent connections and bodies dripping a byte a second must not stop ordinary
searches on the default server; one process (`--workers 1`) must outlive 1,100 connections at
a high file limit, and at 1,024 turn the excess away at once without crashing or flooding its
log. Outcomes only: every search answered 200, generous time bounds."""
from __future__ import annotations

import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faultkit import PROJECT, small_archive, wait_until

pytestmark = pytest.mark.slow

HALF_SENT = b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n"
SLOW_POST = b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nx"
# Seconds an ordinary search may take here before it counts as unanswered: the target is 1 s at
# p99 (they take milliseconds on this tiny index), and this machine may be busy with other
# tests. Before the fix, stalled heads held gunicorn's threads for 3 s and more.
ORDINARY_TIMEOUT = 2.5
CONNECTIONS_WANTED = 1_100


class Served:
    """`manage.py serve ARGS` on port 0, its output in files, at most `nofile` open files."""

    def __init__(self, tmp_path: Path, *args: str, nofile: int | None = None):
        archive = small_archive(tmp_path / "archive")
        self.stderr_path = tmp_path / "serve.err"
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        with open(tmp_path / "serve.out", "w") as out, open(self.stderr_path, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", "0", "--index-dir",
                 str(tmp_path / "idx"), *args], cwd=PROJECT, stdout=out, stderr=err,
                env={**os.environ, "NEWS_SEARCH_SOURCES": str(archive), "NEWS_SEARCH_WORKERS": "1"},
                preexec_fn=limit)
        self.port = self._announced_port()
        assert wait_until(lambda: ordinary(self.port, "/healthz") == 200, timeout=60)

    def _announced_port(self) -> int:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(r"on http://127\.0\.0\.1:(\d+) ", self.stderr())
            if found:
                return int(found.group(1))
            time.sleep(0.1)
        pytest.fail("serve never said where it listens:\n" + self.stderr())

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ordinary(port: int, path: str) -> int:
    """The status of one GET on a fresh connection; 0 when none came in ORDINARY_TIMEOUT."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ORDINARY_TIMEOUT)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        return res.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def twenty_searches(port: int) -> list[int]:
    words = ["oil", "cocoa", "bahia", "prices", "story"]
    return [ordinary(port, f"/api/search?q={words[i % 5]}") for i in range(20)]


def connections(port: int, n: int, first_bytes: bytes = b"") -> list[socket.socket]:
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first_bytes:
            sock.sendall(first_bytes)
        socks.append(sock)
    return socks


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


@pytest.fixture(scope="module")
def default_serve(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("default-serve"))
    yield served
    served.stop()


def test_sixteen_half_sent_requests_leave_every_search_answered(default_serve):
    # 16 = the request threads of two workers: before, they held every one of them.
    held = connections(default_serve.port, 16, HALF_SENT)
    try:
        time.sleep(1)
        statuses = twenty_searches(default_serve.port)
    finally:
        close_all(held)
    assert statuses == [200] * 20


def test_450_slow_connections_leave_every_search_answered_and_bodies_are_refused_at_once(default_serve):
    port = default_serve.port
    held = connections(port, 150, HALF_SENT) + connections(port, 150)
    posts = connections(port, 150, SLOW_POST)
    try:
        time.sleep(1)
        statuses = twenty_searches(port)
        refused = [first_line(sock) for sock in posts]
    finally:
        close_all(held + posts)
    assert statuses == [200] * 20
    assert set(refused) == {b"HTTP/1.1 413 Content Too Large"}


def first_line(sock: socket.socket) -> bytes:
    sock.settimeout(ORDINARY_TIMEOUT)
    try:
        return sock.recv(4096).split(b"\r\n", 1)[0]
    except OSError:
        return b""


def own_file_limit(wanted: int) -> None:
    """This test process must hold CONNECTIONS_WANTED sockets itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs {wanted} open files; the hard limit here is {hard}")
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def test_one_process_outlives_1100_connections_and_answers_after(tmp_path):
    own_file_limit(CONNECTIONS_WANTED + 500)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    served = Served(tmp_path, "--workers", "1", nofile=min(20_000, hard if hard > 0 else 20_000))
    try:
        held = connections(served.port, CONNECTIONS_WANTED)
        time.sleep(2)
        during = ordinary(served.port, "/api/search?q=oil")
        close_all(held)
        time.sleep(2)
        alive = served.process.poll() is None
        after = ordinary(served.port, "/api/search?q=oil")
    finally:
        served.stop()
    assert (alive, during, after) == (True, 200, 200)
    assert "Traceback" not in served.stderr()


def test_one_process_at_1024_files_turns_the_excess_away_at_once_and_logs_little(tmp_path):
    own_file_limit(CONNECTIONS_WANTED + 500)
    served = Served(tmp_path, "--workers", "1", nofile=1024)
    log_before = len(served.stderr())
    try:
        held = connections(served.port, CONNECTIONS_WANTED)
        time.sleep(3)
        started = time.monotonic()
        turned_away = json.loads(raw_body(served.port))
        answered_in = time.monotonic() - started
        close_all(held)
        time.sleep(2)
        alive = served.process.poll() is None
        after = ordinary(served.port, "/api/search?q=oil")
    finally:
        served.stop()
    assert turned_away["error"]["code"] == "busy" and answered_in < 2
    assert (alive, after) == (True, 200)
    logged = served.stderr()[log_before:]
    assert "Traceback" not in logged and len(logged) < 10_000


def raw_body(port: int) -> bytes:
    """The body of the answer to one GET, read to the end of the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received.partition(b"\r\n\r\n")[2]
