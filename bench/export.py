"""`/api/export` against a real `manage.py serve` on loopback: every row of a search in CSV and in
JSON Lines, how soon the first bytes come, rows per second to this client, the server process's
memory growth while it streams, searches answered meanwhile, and the 503 a second export gets.
Figures go to stdout, progress to stderr; nothing here asserts anything.

    python bench/export.py --index-dir /tmp/export/idx1 [--q said] [--workers 1]

With `--workers 1` the server is one process, so its memory (sampled every 20 ms) is the
exporting worker's: VmRSS, and RssAnon, its own (anonymous) memory without the pages of the
index files it has mapped, which the page cache holds and every worker shares (VmRSS grows by
each mapped page an export reads: 500 MB of stored text at 10x, none of it the process's). Each format runs alone (the export's own memory), then with a
second export and ten searches started meanwhile: a search that finds every pooled searcher
lent out opens another, which costs that searcher's copies of the segment files (about 120 MB
on the Reuters index; search.engine.run.Generation) whether an export or a search holds the other. The client reads 64 KB at a time and parses the body after
the download (as a script that saves the file would), so the rate is the server's to a reader
on the same machine, the search included.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import HOST, Served, get  # noqa: E402

READ = 65536


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (a rate per CPU-second says what the
    server would do on an idle machine: this one is shared)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(field + r":\s+(\d+) kB", status).group(1)) / 1024


class Sampler:
    """The server's VmRSS and RssAnon every 20 ms on a thread, until stopped: their peaks."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_anon, self._stop = pid, 0.0, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.peak_anon = max(self.peak_anon, rss_mb(self.pid, "RssAnon"))
            time.sleep(0.02)

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return self.peak, self.peak_anon


def export(server: Served, params: dict, second_export: bool) -> dict:
    """One export: first-byte time, total time, bytes, rows, and (when asked) the status of a
    second export started while this one streams, and searches answered meanwhile."""
    path = "/api/export?" + urllib.parse.urlencode(params)
    during: dict = {}
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=300)
    conn.request("GET", path)
    res = conn.getresponse()
    chunks, first = [], None
    while chunk := res.read(READ):
        if first is None:
            first = time.perf_counter() - started
            if second_export:
                during = _while_streaming(server, path)
        chunks.append(chunk)
    seconds = time.perf_counter() - started
    conn.close()
    body = b"".join(chunks)
    text = body.decode("utf-8")
    if params["format"] == "csv":
        rows = len(list(csv.reader(io.StringIO(text)))) - 1
    else:
        rows = sum(1 for line in text.splitlines() if line.startswith('{"id"'))
    return {"status": res.status, "generation": res.getheader("X-Index-Generation"),
            "total": int(res.getheader("X-Result-Total") or -1), "rows": rows, "first": first,
            "seconds": seconds, "mb": len(body) / 1e6, **during}


def _while_streaming(server: Served, path: str) -> dict:
    """A second export (expected: 503 with Retry-After) and 10 searches, in a thread, started
    once the first export's bytes flow."""
    found: dict = {}

    def run() -> None:
        status, headers, _ = get(server.port, path.replace("format=csv", "format=jsonl"))
        found["second"] = f"{status} Retry-After={headers.get('Retry-After')}"
        times = []
        for word in ("oil", "wheat", "bank", "gold", "trade") * 2:
            t = time.perf_counter()
            get(server.port, f"/api/search?q={word}")
            times.append((time.perf_counter() - t) * 1000)
        found["search_ms"] = statistics.median(times)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    found["_thread"] = thread
    return found


def searches_alone(server: Served) -> float:
    times = []
    for word in ("oil", "wheat", "bank", "gold", "trade") * 2:
        t = time.perf_counter()
        get(server.port, f"/api/search?q={word}")
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--q", default="said")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--log", type=Path, default=Path("/tmp/bench-export-serve.log"))
    args = ap.parse_args()
    server = Served(args.index_dir, args.workers, log_path=args.log)
    try:
        _, _, body = get(server.port, f"/api/search?q={urllib.parse.quote(args.q)}&page_size=1")
        total = json.loads(body)["total"]
        alone = searches_alone(server)
        say(f"serving pid {server.process.pid}; q={args.q!r}: {total:,} hits; load {load_average()}")
        print(f"index {args.index_dir}  q={args.q!r}  total {total:,}  workers {args.workers}  "
              f"load before {load_average()}")
        print(f"search median alone: {alone:.1f} ms")
        for fmt in ("csv", "jsonl"):
            # Alone first: the memory an export itself costs. Then again with a second export
            # and searches meanwhile (those may open another pooled searcher: see --help).
            for meanwhile in (False, True):
                before, cpu = rss_mb(server.process.pid), cpu_seconds(server.process.pid)
                before_anon = rss_mb(server.process.pid, "RssAnon")
                sampler = Sampler(server.process.pid)
                got = export(server, {"q": args.q, "format": fmt}, second_export=meanwhile)
                peak, peak_anon = sampler.stop()
                cpu = cpu_seconds(server.process.pid) - cpu
                if meanwhile:
                    got.pop("_thread").join(60)
                print(f"{fmt:5} {'with requests' if meanwhile else 'alone':13}  status {got['status']}  "
                      f"gen {got['generation']}  rows {got['rows']:,} of {got['total']:,}  "
                      f"first bytes {got['first']:.3f} s  {got['seconds']:.2f} s  "
                      f"{got['rows'] / got['seconds']:,.0f} rows/s ({got['rows'] / cpu:,.0f} per "
                      f"server CPU-s)  {got['mb']:.1f} MB  "
                      f"server RSS {before:.0f} -> peak {peak:.0f} MB (+{peak - before:.1f}), "
                      f"anonymous {before_anon:.0f} -> {peak_anon:.0f} MB (+{peak_anon - before_anon:.1f})"
                      + (f"  second export: {got.get('second')}  search median meanwhile "
                         f"{got.get('search_ms', float('nan')):.1f} ms" if meanwhile else ""))
        print(f"load after {load_average()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
