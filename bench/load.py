"""The server under load, on loopback: `manage.py serve --workers N` over a built index, driven
by concurrent keep-alive clients (stdlib threads and http.client), and Datasette serving the same
paragraphs from SQLite FTS5 as the peer. Progress goes to stderr, figures to stdout.

    python bench/load.py --index-dir /tmp/me/reuters-index [--workers 2] [--clients 8]
                         [--seconds 30] [--modes load reindex kill slow abusive peer]

Modes: load (the query mix: plain, filtered, grouped, paged; snippets and facets always),
reindex (the same load through `reindex --full`: failures, and the generation header after
the switch), kill (kill -9 one worker under load: requests lost, worker replaced), slow (150
idle connections and 40 clients that leave mid-request while normal queries go on), abusive
(oversized and malformed requests: every answer 4xx JSON), peer (the load against Datasette).
The index is built from the 18 Reuters files when the folder holds none.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.store.generations import read_manifest, serving_generation  # noqa: E402
from search.engine.run import Generation  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
WORD = re.compile(r"[A-Za-z]{4,}")
MODES = ("load", "reindex", "kill", "slow", "abusive", "peer")
HOST = "127.0.0.1"


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def uptime() -> str:
    """The load averages (1, 5, 15 min): the machine is shared, so every figure carries them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- the queries


def sample_paragraphs(index_dir: Path, n: int = 3000, seed: int = 7) -> list[dict]:
    gen_dir = serving_generation(index_dir)
    gen = Generation(gen_dir, read_manifest(gen_dir))
    try:
        alive = [int(d) for d in range(gen.columns.doc_count) if gen.columns.alive[d]]
        chosen = random.Random(seed).sample(alive, min(n, len(alive)))
        return gen.stored_fields(chosen)
    finally:
        gen.close()


def query_mix(paragraphs: list[dict], n: int = 400, seed: int = 42) -> list[dict]:
    """Title words (1-2) asked four ways, in turn: plain, filtered (a date window around the
    paragraph's date and one of its places), grouped by article, and a later page."""
    rng = random.Random(seed)
    mix = []
    while len(mix) < n:
        p = rng.choice(paragraphs)
        words = [w.lower() for w in WORD.findall(p.get("title", ""))]
        if not words or not p.get("date") or not p.get("places_json"):
            continue
        start = rng.randrange(len(words))
        q = " ".join(words[start:start + rng.choice((1, 2))])
        kind = ("plain", "filtered", "grouped", "paged")[len(mix) % 4]
        params = {"q": q, "facets": "place,month" if rng.random() < 0.5 else "place,year"}
        if kind == "filtered":
            year = p["date"][:4]
            params.update({"from": f"{year}-01", "to": p["date"], "place": p["places_json"][0]["id"]})
        elif kind == "grouped":
            params["group"] = "article"
        elif kind == "paged":
            params["page"] = str(rng.choice((2, 3, 4)))
        mix.append({"kind": kind, "path": "/api/search?" + urllib.parse.urlencode(params), "params": params})
    return mix


# ---------------------------------------------------------------- clients


@dataclass
class Tally:
    """What the clients saw: latency per answer, failures, and which generation answered when."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    generations: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, header)
    started: float = 0.0
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, generation: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.generations.append((time.monotonic(), generation or ""))

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)

    def figures(self) -> dict:
        s = sorted(self.latencies) or [0.0]
        pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1000  # noqa: E731
        seconds = max(self.ended - self.started, 1e-9)
        return {"requests": len(self.latencies), "errors": len(self.errors),
                "req_per_s": round(len(self.latencies) / seconds, 1),
                "p50_ms": round(pick(0.50), 1), "p95_ms": round(pick(0.95), 1),
                "p99_ms": round(pick(0.99), 1), "max_ms": round(s[-1] * 1000, 1),
                "mean_ms": round(statistics.fmean(s) * 1000, 1)}


def run_clients(port: int, paths: list[str], clients: int, seconds: float | None,
                until: threading.Event | None = None, tally: Tally | None = None,
                header: str = "X-Index-Generation") -> Tally:
    """`clients` threads, each on its own keep-alive connection, asking `paths` in turn (from
    a different start) until `seconds` pass or `until` is set."""
    tally = tally or Tally()
    stop = until or threading.Event()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        i = offset
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                res = conn.getresponse()
                res.read()
                if res.status != 200:
                    tally.fail(f"{res.status} {path}")
                else:
                    tally.add(time.perf_counter() - t0, res.getheader(header))
                if res.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                tally.fail(f"{type(e).__name__} {path}")
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(k * 37,), daemon=True) for k in range(clients)]
    tally.started = time.monotonic()
    for t in threads:
        t.start()
    if seconds is not None and until is None:
        time.sleep(seconds)
        stop.set()
    for t in threads:
        t.join()
    tally.ended = time.monotonic()
    return tally


# ---------------------------------------------------------------- the server


class Served:
    """`manage.py serve` in a subprocess on a free loopback port."""

    def __init__(self, index_dir: Path, workers: int, threads: int | None = None,
                 project: Path = ROOT, log_path: Path | None = None):
        """`project`: the checkout whose serve runs (another commit's, to compare); the server's
        log goes to `log_path` (default: beside the index folder)."""
        cmd = [sys.executable, "manage.py", "serve", "--index-dir", str(index_dir), "--port", "0",
               "--workers", str(workers)] + (["--threads", str(threads)] if threads else [])
        self.log_path = log_path or Path(index_dir).parent / "serve-bench.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(cmd, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = self._announced()
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=self._copy_log, daemon=True).start()
        self.wait_healthy(workers=workers)

    def _announced(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.write(line)
            found = re.search(r"on (http://127\.0\.0\.1:\d+) ", line)
            if found:
                return found.group(1)
        raise RuntimeError(f"serve never said where it listens; see {self.log_path}")

    def _copy_log(self) -> None:
        for line in self.process.stderr:
            self.log.write(line)

    def wait_healthy(self, timeout: float = 60, workers: int = 1) -> dict:
        """Until /healthz answers 200 and, with more than one worker, all of them have started
        (one process serves alone: no children)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _, body = get(self.port, "/healthz")
                if status == 200 and (workers == 1 or len(self.workers()) >= workers):
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server never became healthy")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def rss_mb(self) -> dict:
        pids = [self.process.pid, *self.workers()]
        return {pid: rss_kb(pid) / 1024 for pid in pids}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def get(port: int, path: str, headers: dict | None = None,
        timeout: float = 30) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, dict(res.getheaders()), res.read()
    finally:
        conn.close()


def raw(port: int, data: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (for what http.client refuses to send); the status and body."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may answer and close before reading it all
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer.partition(b"\r\n\r\n")[2]


# ---------------------------------------------------------------- the modes


def mode_load(served: Served, mix: list[dict], args) -> dict:
    tally = run_clients(served.port, [m["path"] for m in mix], args.clients, args.seconds)
    return {**tally.figures(), "rss_mb": {k: round(v) for k, v in served.rss_mb().items()}}


def mode_reindex(served: Served, mix: list[dict], args) -> dict:
    before = served.wait_healthy()["generation"]
    stop, tally = threading.Event(), Tally()
    load = threading.Thread(target=run_clients, args=(served.port, [m["path"] for m in mix],
                                                      args.clients, None, stop, tally))
    load.start()
    t0 = time.monotonic()
    build = subprocess.run([sys.executable, "manage.py", "reindex", "--full", "--index-dir",
                            str(args.index_dir), "--source", str(args.source)],
                           cwd=ROOT, capture_output=True, text=True)
    built_at = time.monotonic()
    time.sleep(5)
    stop.set()
    load.join()
    after = served.wait_healthy()["generation"]
    late_old = [t - built_at for t, g in tally.generations if g == str(before) and t > built_at]
    return {**tally.figures(), "reindex_exit": build.returncode,
            "reindex_seconds": round(built_at - t0, 1), "generation": f"{before} -> {after}",
            "old_header_answers_after_build_ended": len(late_old),
            "last_old_header_s_after_build": round(max(late_old), 2) if late_old else None,
            "new_header_answers": sum(g == str(after) for _, g in tally.generations)}


def mode_kill(served: Served, mix: list[dict], args) -> dict:
    stop, tally = threading.Event(), Tally()
    load = threading.Thread(target=run_clients, args=(served.port, [m["path"] for m in mix],
                                                      args.clients, None, stop, tally))
    load.start()
    time.sleep(5)
    before = served.workers()
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    replaced_after = None
    while time.monotonic() - killed_at < 30:
        now = served.workers()
        if len(now) == len(before) and victim not in now:
            replaced_after = time.monotonic() - killed_at
            break
        time.sleep(0.05)
    time.sleep(10)
    stop.set()
    load.join()
    return {**tally.figures(), "killed": victim, "replaced_after_s": round(replaced_after, 2)
            if replaced_after is not None else None, "lost": sorted(set(tally.errors))[:5]}


def mode_slow(served: Served, mix: list[dict], args) -> dict:
    """150 connections that never send a byte and 40 that send an expensive query and leave
    (RST) without reading the answer, while 4 clients keep asking ordinary queries."""
    idle = []
    for _ in range(150):
        idle.append(socket.create_connection((HOST, served.port), timeout=30))
    leavers = []
    words = " ".join(m["params"]["q"] for m in mix[:12])
    heavy = "/api/search?" + urllib.parse.urlencode({"q": words, "match": "any", "facets": "place,month"})
    for _ in range(40):
        sock = socket.create_connection((HOST, served.port), timeout=30)
        sock.sendall(f"GET {heavy} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        leavers.append(sock)
    for sock in leavers:
        sock.close()
    tally = run_clients(served.port, [m["path"] for m in mix], 4, min(args.seconds, 15))
    for sock in idle:
        sock.close()
    figures = tally.figures()
    return {**figures, "idle_connections": len(idle), "left_mid_request": len(leavers),
            "all_within_1s": figures["max_ms"] <= 1000 and not tally.errors}


def abusive_requests(port: int) -> list[tuple[str, bytes]]:
    def line(path: str, extra: str = "") -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")
    return [
        ("q of 2,000 characters", line("/api/search?q=" + "oil+" * 500)),
        ("request line of 20,000 bytes", line("/api/search?q=" + "a" * 20_000)),
        ("bad percent-encoding %ZZ", line("/api/search?q=%ZZ")),
        ("percent-encoded Latin-1 (not UTF-8)", line("/api/search?q=caf%E9")),
        ("lone %", line("/api/search?q=%")),
        ("unknown parameter", line("/api/search?q=oil&colour=red")),
        ("repeated q", line("/api/search?q=oil&q=gold")),
        ("page=10**9", line(f"/api/search?q=oil&page={10**9}")),
        ("page_size=10**9", line(f"/api/search?q=oil&page_size={10**9}")),
        ("negative page", line("/api/search?q=oil&page=-1")),
        ("unknown facet", line("/api/search?q=oil&facets=colour")),
        ("date 1987-13", line("/api/search?q=oil&to=1987-13")),
        ("advanced syntax error", line("/api/search?q=%28%28%28&mode=advanced")),
        ("one header of 100 KB", line("/api/search?q=oil", f"X-Big: {'a' * 100_000}\r\n")),
        ("header of 300 KB", line("/api/search?q=oil", f"X-Big: {'a' * 300_000}\r\n")),
        ("200 headers", line("/api/search?q=oil", "".join(f"X-H{i}: v\r\n" for i in range(200)))),
        ("places limit=10**9", line(f"/api/places?prefix=a&limit={10**9}")),
        ("article id of 5,000 bytes", line("/api/articles/" + "x" * 5000)),
        ("POST to search", "POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()),
        ("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
    ]


def mode_abusive(served: Served, mix: list[dict], args) -> dict:
    rows, bad = [], []
    for name, data in abusive_requests(served.port):
        status, body = raw(served.port, data)
        try:
            shape = "json" if "error" in json.loads(body) else "other"
        except ValueError:
            shape = "not json"
        rows.append((name, status, shape))
        if not (400 <= status < 500) or shape != "json":
            bad.append((name, status, shape))
    for name, status, shape in rows:
        say(f"  abusive: {name}: {status} {shape}")
    return {"requests": len(rows), "all_4xx_json": not bad, "not_4xx_json": bad,
            "statuses": sorted({s for _, s, _ in rows})}


# ---------------------------------------------------------------- the peer


def peer_database(index_dir: Path, path: Path) -> Path:
    """Every live paragraph of the serving generation in SQLite with an FTS5 index (porter)."""
    if path.is_file():
        return path
    import sqlite_utils
    gen_dir = serving_generation(index_dir)
    gen = Generation(gen_dir, read_manifest(gen_dir))
    try:
        alive = [d for d in range(gen.columns.doc_count) if gen.columns.alive[d]]
        rows = []
        for start in range(0, len(alive), 5000):
            for s in gen.stored_fields(alive[start:start + 5000]):
                rows.append({"id": s["id"], "article_id": s["article_id"], "title": s.get("title", ""),
                             "text": s.get("text", ""), "day": s.get("date") or "",
                             "places": json.dumps([p["id"] for p in s.get("places_json") or []])})
    finally:
        gen.close()
    db = sqlite_utils.Database(path)
    db["paragraphs"].insert_all(rows, pk="id", batch_size=5000)
    db["paragraphs"].enable_fts(["title", "text"], tokenize="porter")
    db["paragraphs"].create_index(["day"])
    db.conn.close()
    return path


def peer_paths(mix: list[dict]) -> list[str]:
    """The same mix for Datasette: `_search=` (its default escapes each word, so every word is
    required), the date window and place as filters, facets on places, `_next` for later pages."""
    paths = []
    for m in mix:
        p = m["params"]
        params = {"_search": p["q"], "_size": "10", "_facet_array": "places", "_shape": "objects"}
        if m["kind"] == "filtered":
            params.update({"day__gte": p["from"] + "-01", "day__lte": p["to"],
                           "places__arraycontains": p["place"]})
        elif m["kind"] == "paged":
            params["_next"] = str(10 * (int(p["page"]) - 1))
        paths.append("/peer/paragraphs.json?" + urllib.parse.urlencode(params))
    return paths


def mode_peer(index_dir: Path, mix: list[dict], args) -> dict:
    db = peer_database(index_dir, Path(index_dir).parent / "peer.db")
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(["datasette", "serve", str(db), "--port", str(port), "--host", HOST,
                                "--setting", "sql_time_limit_ms", "5000",
                                "--setting", "facet_time_limit_ms", "1000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(port, "/peer.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        tally = run_clients(port, peer_paths(mix), args.clients, args.seconds, header="x-none")
        return {**tally.figures(), "rss_mb": round(rss_kb(process.pid) / 1024),
                "sample_errors": sorted(set(tally.errors))[:3]}
    finally:
        process.terminate()
        process.wait(20)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--source", type=Path, default=REUTERS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args()
    if serving_generation(args.index_dir) is None:
        say(f"building {args.index_dir} from {args.source}…")
        reindex(Settings.from_env({}, index_dir=args.index_dir, sources=(args.source,)))
    mix = query_mix(sample_paragraphs(args.index_dir))
    print(f"# loadavg at start: {uptime()}; {os.cpu_count()} cores; {args.clients} clients, "
          f"{args.seconds:.0f} s, workers {args.workers}, threads {args.threads or 'default'}")
    for mode in args.modes:
        say(f"mode {mode}…")
        if mode == "peer":
            result = mode_peer(args.index_dir, mix, args)
        else:
            served = Served(args.index_dir, args.workers, args.threads)
            try:
                result = globals()[f"mode_{mode}"](served, mix, args)
            finally:
                served.stop()
        print(json.dumps({"mode": mode, "loadavg": uptime(), **result}, default=str))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
