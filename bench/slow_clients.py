"""Slow and many clients against a real `manage.py serve` on loopback: what ordinary searches
see while bad connections hold the server, and the plain rate without them. Figures go to
stdout, progress to stderr; nothing here asserts anything.

    python bench/slow_clients.py --index-dir /tmp/sc/idx [--workers 2] [--nofile 20000]
        [--phases half16 mixed450 many1100 load] [--project DIR] [--seconds 15]

Phases: half16 (16 connections that send `GET /api/search?q=oil HTTP/1.1\\r\\nHost: x\\r\\n` and
stall), mixed450 (150 of those, 150 silent connections and 150 POSTs announcing 10,000,000
bytes that send one byte a second), many1100 (1,100 idle connections, then all closed: is the
server alive, does it answer, how much did it log), load (8 keep-alive clients for --seconds).
In each bad phase 20 ordinary searches go one after the other on fresh connections, each with
a 3 s timeout. `--project` runs another checkout's manage.py (a copy of the code before a
change), so that two server models can be measured on the same machine in one sitting.
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
WORDS = ["oil", "bank", "trade", "gold", "wheat"]
HALF_SENT = b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n"
SLOW_POST = b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nx"
ORDINARY_TIMEOUT = 3.0


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Served:
    """`manage.py serve` of `project` on a free port, its output in a log file."""

    def __init__(self, project: Path, index_dir: Path, workers: int, nofile: int | None, log: Path):
        self.log_path = log
        self.log = open(log, "w")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--index-dir", str(index_dir), "--port", "0",
             "--workers", str(workers)],
            cwd=project, stdout=self.log, stderr=subprocess.PIPE, text=True,
            preexec_fn=limit, start_new_session=True)
        self.port = self._announced_port()
        threading.Thread(target=self._copy, daemon=True).start()
        self._wait_healthy()

    def _announced_port(self) -> int:
        for line in self.process.stderr:
            self.log.write(line)
            found = re.search(r"on http://127\.0\.0\.1:(\d+) ", line)
            if found:
                return int(found.group(1))
        raise RuntimeError(f"serve never said where it listens; see {self.log_path}")

    def _copy(self) -> None:
        for line in self.process.stderr:
            self.log.write(line)
            self.log.flush()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ordinary(self.port, "/healthz")[0] == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("the server never became healthy")

    def log_bytes(self) -> int:
        self.log.flush()
        return self.log_path.stat().st_size

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def ordinary(port: int, path: str) -> tuple[int, float]:
    """Status (0 for no answer) and seconds of one GET on a fresh connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=ORDINARY_TIMEOUT)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        return res.status, time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        return 0, time.perf_counter() - started
    finally:
        conn.close()


def searches(port: int, n: int = 20) -> dict:
    """`n` ordinary searches one after the other: how many answered 200, and how fast."""
    results = [ordinary(port, f"/api/search?q={WORDS[i % len(WORDS)]}") for i in range(n)]
    times = sorted(t for _, t in results)
    return {"answered_200": sum(s == 200 for s, _ in results), "of": n,
            "p50_ms": round(times[len(times) // 2] * 1000, 1),
            "p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))] * 1000, 1),
            "max_ms": round(times[-1] * 1000, 1)}


def open_connections(port: int, n: int, first_bytes: bytes = b"") -> list[socket.socket]:
    """Up to `n` connections that each sent `first_bytes` and then nothing (stops at the first
    connection the server or this process cannot make)."""
    socks = []
    for _ in range(n):
        try:
            sock = socket.create_connection((HOST, port), timeout=5)
            if first_bytes:
                sock.sendall(first_bytes)
            socks.append(sock)
        except OSError:
            break
    return socks


def drip(socks: list[socket.socket], stop: threading.Event) -> None:
    """One byte a second on every socket until `stop` (the slow POST bodies)."""
    while not stop.wait(1.0):
        for sock in socks:
            try:
                sock.send(b"x")
            except OSError:
                pass


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def phase_half16(served: Served, args) -> dict:
    held = open_connections(served.port, 16, HALF_SENT)
    time.sleep(1)
    try:
        return {"held": len(held), **searches(served.port)}
    finally:
        close_all(held)


def phase_mixed450(served: Served, args) -> dict:
    held = open_connections(served.port, 150, HALF_SENT)
    held += open_connections(served.port, 150)
    posts = open_connections(served.port, 150, SLOW_POST)
    stop = threading.Event()
    threading.Thread(target=drip, args=(posts, stop), daemon=True).start()
    time.sleep(1)
    try:
        return {"held": len(held) + len(posts), **searches(served.port)}
    finally:
        stop.set()
        close_all(held + posts)


def phase_many1100(served: Served, args) -> dict:
    log_before = served.log_bytes()
    held = open_connections(served.port, 1100)
    time.sleep(2)
    during = searches(served.port, 5)
    close_all(held)
    time.sleep(2)
    after = searches(served.port, 5) if served.alive() else {"answered_200": 0, "of": 5}
    return {"connected": len(held), "alive": served.alive(),
            "during": f"{during['answered_200']}/5 max {during['max_ms']} ms",
            "after": f"{after['answered_200']}/5", "logged_bytes": served.log_bytes() - log_before}


def phase_load(served: Served, args) -> dict:
    """8 clients on kept-alive connections asking one-word searches for `args.seconds`."""
    latencies: list[float] = []
    errors = [0]
    stop = threading.Event()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, served.port, timeout=30)
        i = k
        while not stop.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", f"/api/search?q={WORDS[i % len(WORDS)]}&page={1 + i % 3}")
                res = conn.getresponse()
                res.read()
                if res.status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[0] += 1
                if res.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    s = sorted(latencies) or [0.0]
    return {"req_per_s": round(len(latencies) / args.seconds, 1), "errors": errors[0],
            "p50_ms": round(s[len(s) // 2] * 1000, 1),
            "p99_ms": round(s[min(len(s) - 1, int(0.99 * len(s)))] * 1000, 1)}


PHASES = {"half16": phase_half16, "mixed450": phase_mixed450, "many1100": phase_many1100,
          "load": phase_load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nofile", type=int, default=None, help="the server's RLIMIT_NOFILE")
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=list(PHASES))
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    for name in args.phases:
        log = Path(f"/tmp/slow-clients-{name}.log")
        served = Served(args.project, args.index_dir, args.workers, args.nofile, log)
        say(f"{name}: serve --workers {args.workers} of {args.project} on port {served.port}")
        try:
            figures = {"load_avg": load_average(), **PHASES[name](served, args)}
        finally:
            served.stop()
        print(json.dumps({"phase": name, "workers": args.workers, "project": str(args.project),
                          **figures}), flush=True)


if __name__ == "__main__":
    main()
