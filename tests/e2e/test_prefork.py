"""`python manage.py serve --workers 2` as an operator runs it: a real supervisor and two
waitress worker processes on a loopback port over a tiny index. Every answer names its
generation, a reindex reaches every worker, a killed worker is replaced and so is one whose loop
stands still, SIGTERM lets requests in flight finish, workers whose supervisor was killed stop
without a word, and what the server answers itself (a request line or headers too long) is our
JSON error."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from index.build import reindex
from index.settings import Settings
from archive_files import write_archive
from processes import announced_url

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
COCOA = {"id": "cocoa-1", "title": "Bahia cocoa review", "date": "1987-02-26",
         "paragraphs": ["Showers continued throughout the week in the Bahia cocoa zone."]}
ZEPPELIN = {"id": "zeppelin-2", "title": "Airship lands", "date": "1987-03-03",
            "paragraphs": ["A zeppelin landed near the harbour."]}


class Serving:
    """`manage.py serve --workers 2` on port 0; the access log (stdout) is kept."""

    def __init__(self, tmp_path: Path, env: dict | None = None):
        self.archive = tmp_path / "archive"
        self.index_dir = tmp_path / "idx"
        write_archive(self.archive, [COCOA])
        env = {**os.environ, "NEWS_SEARCH_SOURCES": str(self.archive), "NEWS_SEARCH_WORKERS": "1",
               **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--workers", "2", "--port", "0",
             "--index-dir", str(self.index_dir)],
            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.access: list[str] = []
        self.errors: list[str] = []
        self.port = int(announced_url(self.process).rsplit(":", 1)[1])
        threading.Thread(target=self._keep, args=(self.process.stdout, self.access), daemon=True).start()
        threading.Thread(target=self._keep, args=(self.process.stderr, self.errors), daemon=True).start()
        wait_until(lambda: len(self.workers()) == 2 and get(self.port, "/healthz")[0] == 200)

    @staticmethod
    def _keep(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def workers(self) -> list[int]:
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found += [int(pid) for pid in (task / "children").read_text().split()]
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    """Status, headers (lower-cased names) and JSON body of a GET on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, json.loads(res.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError):
        return 0, {}, {}
    finally:
        conn.close()


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail("the condition never held")


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    running = Serving(tmp_path_factory.mktemp("prefork"))
    yield running
    running.stop()


def test_two_workers_answer_with_the_generation_header_and_are_healthy(serving):
    status, headers, body = get(serving.port, "/api/search?q=cocoa")
    assert (status, [h["id"] for h in body["hits"]]) == (200, ["cocoa-1:0"])
    health = get(serving.port, "/healthz")[2]
    assert health == {"status": "ok", "generation": int(headers["x-index-generation"])}
    assert len(serving.workers()) == 2


def test_keep_alive_connections_opened_together_spread_over_the_workers(serving):
    # The workers share one listening socket: the first to wake used to take every waiting
    # connection, so four keep-alive clients all landed on one worker.
    time.sleep(1)  # the connections of earlier tests are closed and counted so by now
    clients = [http.client.HTTPConnection("127.0.0.1", serving.port, timeout=20) for _ in range(4)]
    for conn in clients:
        conn.connect()
    logged_before = len(serving.access)
    try:
        for _ in range(3):
            for k, conn in enumerate(clients):
                conn.request("GET", f"/api/search?q=cocoa&page_size={k + 1}")
                answer = conn.getresponse()
                assert (answer.status, bool(answer.read())) == (200, True)
    finally:
        for conn in clients:
            conn.close()
    wait_until(lambda: len(serving.access) >= logged_before + 12)
    answered_by: dict[str, set[str]] = {}
    for line in serving.access[logged_before:]:
        asked = re.search(r"page_size=(\d)", line)
        if asked:
            answered_by.setdefault(asked[1], set()).add(re.search(r"pid=<(\d+)>", line)[1])
    assert all(len(pids) == 1 for pids in answered_by.values()), answered_by  # kept alive
    # 2 and 2 here; a worker whose loop is held up past the others' short rests gets one less.
    per_worker = Counter(next(iter(p)) for p in answered_by.values())
    assert len(per_worker) == 2 and max(per_worker.values()) <= 3, answered_by


def test_a_request_line_too_long_is_a_json_414(serving):
    status, headers, body = get(serving.port, "/api/search?q=" + "a" * 20_000)
    assert (status, body["error"]["code"]) == (414, "uri_too_long")
    assert headers["content-type"] == "application/json; charset=utf-8"


def test_a_header_too_large_is_a_json_431(serving):
    status, _, body = get(serving.port, "/api/search?q=cocoa", {"X-Big": "a" * 100_000})
    assert (status, body["error"]["code"]) == (431, "headers_too_large")


def test_idle_connections_do_not_hold_up_a_request(serving):
    # More silent connections than the two workers have request threads (2 x 8): a connection
    # takes a thread only once its request head has arrived in full.
    idle = [socket.create_connection(("127.0.0.1", serving.port)) for _ in range(60)]
    try:
        conn = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=4)
        conn.request("GET", "/api/search?q=cocoa")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        for sock in idle:
            sock.close()


def test_a_reindex_switches_every_worker(serving):
    before = get(serving.port, "/healthz")[2]["generation"]
    write_archive(serving.archive, [COCOA, ZEPPELIN])
    reindex(Settings.from_env({}, index_dir=serving.index_dir, sources=(serving.archive,),
                              workers=1))
    time.sleep(1)  # longer than the switcher's check interval
    logged_before = len(serving.access)
    answers = [get(serving.port, "/api/search?q=zeppelin") for _ in range(30)]
    assert {(a[0], a[1]["x-index-generation"], a[2]["total"]) for a in answers} == {(200, str(before + 1), 1)}
    wait_until(lambda: len(serving.access) >= logged_before + 30)
    pids = {re.search(r"pid=<(\d+)>", line).group(1) for line in serving.access[logged_before:]
            if "zeppelin" in line}
    assert len(pids) == 2, "both workers answered, each from the new generation"


def test_a_killed_worker_is_replaced(serving):
    victim = serving.workers()[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(serving.workers()) == 2 and victim not in serving.workers())
    wait_until(lambda: get(serving.port, "/healthz")[0] == 200)


def test_sigterm_lets_requests_in_flight_finish(tmp_path):
    running = Serving(tmp_path)
    outcomes: list[tuple[float, float, int]] = []  # (sent, answered, status) on open connections
    stop = threading.Event()

    def client():
        # One kept-alive connection, so that every request counted was accepted by a worker:
        # a connection still in the listen queue at SIGTERM is not in flight.
        conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=20)
        conn.connect()
        while not stop.is_set():
            sent = time.monotonic()
            try:
                conn.request("GET", "/api/search?q=cocoa&page_size=100&facets=place,month")
                res = conn.getresponse()
                res.read()
                outcomes.append((sent, time.monotonic(), res.status))
                if res.will_close:
                    break
            except (OSError, http.client.HTTPException):
                outcomes.append((sent, time.monotonic(), 0))
                break
        conn.close()

    clients = [threading.Thread(target=client) for _ in range(4)]
    for c in clients:
        c.start()
    time.sleep(2)
    signalled = time.monotonic()
    code = running.stop()
    stop.set()
    for c in clients:
        c.join(30)
    before = [o for o in outcomes if o[0] < signalled]
    assert code == 0 and "".join(running.errors).count("Stopped.") == 1
    assert before and [o for o in before if o[2] != 200] == []
    assert any(answered > signalled for _, answered, _ in before), "a request was in flight"


def answering_pids(access: list[str]) -> set[str]:
    return {found.group(1) for line in access if (found := re.search(r"pid=<(\d+)>", line))}


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie no init has reaped yet counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_whose_loop_stands_still_is_replaced(tmp_path):
    # A query time limit of 0.5 s makes the request time limit 11 s: a worker whose loop has
    # not turned for that long is hung (here: stopped), and the supervisor replaces it.
    running = Serving(tmp_path, env={"NEWS_SEARCH_QUERY_TIME_LIMIT": "0.5"})
    try:
        wait_until(lambda: get(running.port, "/healthz")[0] == 200
                   and len(answering_pids(running.access)) == 2)  # both booted: their loops turn
        victim = running.workers()[0]
        os.kill(victim, signal.SIGSTOP)
        wait_until(lambda: not alive(victim) and len(running.workers()) == 2, timeout=40)
        statuses = {get(running.port, "/healthz")[0] for _ in range(10)}
    finally:
        running.stop()
    assert statuses == {200}
    assert f"worker {victim} has been silent for" in "".join(running.errors)


def test_workers_whose_supervisor_was_killed_stop_without_a_word(tmp_path):
    running = Serving(tmp_path)
    workers = running.workers()
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(timeout=10)
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=30)
    time.sleep(0.5)  # what they printed last reaches the reader threads
    printed = "".join(running.errors)
    assert "Stopped." not in printed and "Traceback" not in printed
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", running.port), timeout=5).close()
