"""Two replicas behind HAProxy, for real: two `serve` processes on loopback addresses, each
answering from an index folder that `manage.py publish` fills, and Debian's `haproxy` running
`deploy/haproxy.cfg` in front. Under a steady load a new generation is published to both (no
request may fail), then one replica is killed (at most the requests in flight on it may fail;
HAProxy retries the rest). Every answer names its generation. And what `publish` refuses."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from click.testing import CliRunner

from archive_files import write_jsonl
from index.publish import PublishError, accept_arrived
from manage import cli

PROJECT = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CLIENTS = 4
WORDS = ("cocoa", "oil", "wheat", "Bahia", "prices", "steady")


def manage(*args) -> None:
    """A command in this process (the builder's side; rsync still runs as its own process)."""
    result = CliRunner().invoke(cli, [*map(str, args), *(["--workers", "1"] if args[0] == "reindex"
                                                        else [])])
    assert result.exit_code == 0, result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str | None]:
    """One request on a new connection: its status and X-Index-Generation."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return answer.status, answer.getheader("X-Index-Generation")
    finally:
        conn.close()


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


class Load:
    """CLIENTS threads asking searches through the balancer until stopped; every answer or
    failure is kept with the time it ended."""

    def __init__(self, port: int):
        self.port = port
        self.answers: list[tuple[float, int | str, str | None]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]

    def _client(self, n: int) -> None:
        i = n
        while not self._stop.is_set():
            i += 1
            try:
                status, generation = get(self.port, f"/api/search?q={WORDS[i % len(WORDS)]}")
            except OSError as err:
                status, generation = type(err).__name__, None
            self.answers.append((time.monotonic(), status, generation))

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def failed(self, start: float, end: float) -> list:
        return [a for a in self.answers if start <= a[0] < end and a[1] != 200]

    def generations_since(self, start: float) -> set:
        return {a[2] for a in self.answers if a[0] >= start and a[1] == 200}


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def start_replica(processes, host: str, index_dir: Path) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--workers", "1", "--host", host, "--port", "0",
         "--index-dir", str(index_dir)],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    processes.append(server)
    for line in server.stderr:
        found = re.search(rf"on http://{re.escape(host)}:(\d+) ", line)
        if found:
            threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe drained
            return server, int(found.group(1))
    pytest.fail(f"the replica on {host} never said where it listens")


@pytest.mark.slow
@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="needs haproxy (.ci/run installs it)")
def test_publishing_to_two_replicas_under_load_then_killing_one(tmp_path, processes):
    archive, builder = tmp_path / "archive", tmp_path / "builder"
    write_jsonl(archive / "a.jsonl", *[
        {"id": f"a{n}", "title": f"Cocoa and oil {n}", "date": "1987-03-02",
         "paragraphs": [f"Cocoa prices rose in Bahia, report {n}.", "Oil and wheat were steady."]}
        for n in range(40)])
    manage("reindex", "--source", archive, "--index-dir", builder)
    replicas = [tmp_path / "replica-1", tmp_path / "replica-2"]
    for replica in replicas:
        manage("publish", "--to", replica, "--index-dir", builder)
    (first, port_1), (_, port_2) = (start_replica(processes, host, replica) for host, replica
                                    in zip(("127.0.0.2", "127.0.0.3"), replicas))
    balancer_port = free_port()
    balancer = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(PROJECT / "deploy" / "haproxy.cfg")],
        env={**os.environ, "NEWS_SEARCH_LB_BIND": f"127.0.0.1:{balancer_port}",
             "NEWS_SEARCH_REPLICA_1": f"127.0.0.2:{port_1}",
             "NEWS_SEARCH_REPLICA_2": f"127.0.0.3:{port_2}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(balancer)
    assert wait_for(lambda: get(balancer_port, "/healthz") == (200, "1"), timeout=30)
    write_jsonl(archive / "b.jsonl", {"id": "b1", "title": "Sugar", "date": "1987-03-03",
                                      "paragraphs": ["Sugar output fell in Cuba."]})
    manage("reindex", "--index-dir", builder)  # gen-2 on the builder; meanwhile both checks pass

    with Load(balancer_port) as load:
        time.sleep(1.0)
        publishing = time.monotonic()
        for replica in replicas:
            manage("publish", "--to", replica, "--index-dir", builder)
        published = time.monotonic()
        time.sleep(2.0)  # every replica notices CURRENT within 0.5 s
        killing = time.monotonic()
        first.send_signal(signal.SIGKILL)
        time.sleep(4.0)  # the health checks take it out; retries cover the gap
        ended = time.monotonic()

    answers_before_kill = [a for a in load.answers if a[0] < killing]
    print(f"\nreplicas: {len(answers_before_kill)} answers before the kill, "
          f"{len(load.failed(0, killing))} failed (two publishes: "
          f"{published - publishing:.1f} s); "
          f"{len(load.answers) - len(answers_before_kill)} after it, "
          f"{len(load.failed(killing, ended + 60))} failed")
    assert load.failed(0, killing) == []
    assert len(load.failed(killing, ended + 60)) <= CLIENTS  # at most the killed one's in flight
    assert all(a[2] for a in load.answers if a[1] == 200)  # every answer names its generation
    assert load.generations_since(0) == {"1", "2"}
    assert load.generations_since(published + 1.5) == {"2"}
    assert [a for a in load.answers if a[0] > killing + 2.0 and a[1] == 200]  # served on
    assert sorted(p.name for p in replicas[1].glob("gen-*")) == ["gen-1", "gen-2"]


@pytest.fixture
def builder(tmp_path) -> Path:
    write_jsonl(tmp_path / "archive" / "a.jsonl",
                {"id": "a1", "title": "Cocoa", "date": "1987-02-26", "paragraphs": ["Cocoa rose."]})
    result = CliRunner().invoke(cli, ["reindex", "--source", str(tmp_path / "archive"),
                                      "--index-dir", str(tmp_path / "builder"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return tmp_path / "builder"


def publish_to(target: Path, builder: Path):
    return CliRunner().invoke(cli, ["publish", "--to", str(target), "--index-dir", str(builder)])


def test_a_replica_that_serves_the_generation_already_is_left_alone(builder, tmp_path):
    assert publish_to(tmp_path / "replica", builder).exit_code == 0
    segment = next((tmp_path / "replica" / "gen-1").glob("*.pst"))
    written = segment.stat().st_mtime_ns
    again = publish_to(tmp_path / "replica", builder)
    assert again.exit_code == 0, again.output
    assert again.output == f"{tmp_path / 'replica'} serves gen-1 already; nothing was sent.\n"
    assert segment.stat().st_mtime_ns == written


def test_a_generation_damaged_on_arrival_is_removed_and_not_switched_to(builder, tmp_path):
    replica = tmp_path / "replica"
    assert publish_to(replica, builder).exit_code == 0
    (builder / "CURRENT").write_text("gen-2\n")  # a second generation, published by hand ...
    shutil.copytree(builder / "gen-1", builder / "gen-2")
    shutil.copytree(builder / "gen-1", replica / "gen-2")
    segment = next((replica / "gen-2").glob("*.pst"))
    segment.write_bytes(b"\0" + segment.read_bytes()[1:])  # ... whose copy broke on the way
    with pytest.raises(PublishError, match="gen-2 arrived in .* damaged .*still serves gen-1"):
        accept_arrived(replica, "gen-2")
    assert (replica / "CURRENT").read_text().strip() == "gen-1"
    assert not (replica / "gen-2").exists()


def test_a_replica_serving_another_index_under_the_same_name_is_refused(builder, tmp_path):
    other = tmp_path / "other"
    write_jsonl(tmp_path / "b" / "b.jsonl",
                {"id": "b1", "title": "Oil", "date": "1987-02-26", "paragraphs": ["Oil fell."]})
    CliRunner().invoke(cli, ["reindex", "--source", str(tmp_path / "b"), "--index-dir", str(other),
                             "--workers", "1"])
    result = publish_to(other, builder)
    assert result.exit_code == 1
    assert "serves a gen-1 that differs from this index's" in result.output
    assert "nothing was sent" in result.output
