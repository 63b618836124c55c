"""Memory of the serving workers under a long soak: `manage.py serve --workers 2` over a built
index, driven by concurrent keep-alive clients through N varied queries (each asked once: title
and body words, one to three of them, plain, filtered by date and place, grouped, later pages,
match=any and phrases), with each worker's resident (RSS) and proportional (PSS, shared pages
split between the processes that map them) memory from /proc/PID/smaps_rollup at checkpoints,
and the latency percentiles of each stretch. Progress goes to stderr, figures to stdout.

    python bench/memory_soak.py --index-dir /tmp/me/reuters-index [--queries 20000]
                                [--workers 2] [--clients 4] [--project DIR] [--cache-rates]

`--project DIR` serves with another checkout's `manage.py` (say a worktree of an older commit),
so before and after run in one sitting on the same queries. `--cache-rates` instead replays the
first 5,000 queries in this process for several posting-cache budgets and prints each one's hit
rate, bytes held and time: what a budget buys.
"""
from __future__ import annotations

import argparse
import http.client
import random
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import HOST, Served, sample_paragraphs, uptime  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402

WORD = re.compile(r"[A-Za-z]{3,}")
KINDS = ("plain", "filtered", "grouped", "paged", "any", "phrase", "body")
CHECKPOINTS = (0.25, 0.5, 1.0)
MB = 1024 * 1024


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def varied_queries(paragraphs: list[dict], n: int, seed: int = 11) -> list[dict]:
    """`n` query parameter sets, in turn of KINDS, from the words of sampled titles and bodies:
    many distinct words, so caches see a long tail as a public server does."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < n:
        p = rng.choice(paragraphs)
        kind = KINDS[len(queries) % len(KINDS)]
        source = p.get("text", "") if kind in ("body", "phrase") else p.get("title", "")
        words = [w.lower() for w in WORD.findall(source)]
        if not words or not p.get("date"):
            continue
        start = rng.randrange(len(words))
        q = " ".join(words[start:start + rng.choice((1, 2, 3))])
        params = {"q": f'"{q}"' if kind == "phrase" else q,
                  "facets": rng.choice(("place,month", "place,year", "place"))}
        if kind == "filtered" and p.get("places_json"):
            params.update({"from": p["date"][:4], "to": p["date"], "place": p["places_json"][0]["id"]})
        elif kind == "grouped":
            params["group"] = "article"
        elif kind == "paged":
            params["page"] = str(rng.choice((2, 3, 5)))
        elif kind == "any":
            params["match"] = "any"
        queries.append(params)
    return queries


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes, from /proc/PID/smaps_rollup."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:"):
            found[parts[0]] = int(parts[1]) * 1024
    return found.get("Rss:", 0), found.get("Pss:", 0)


def where_it_is(pid: int, top: int = 8) -> str:
    """The process's PSS by what it maps, largest first: its own memory ("anonymous", heap and
    stacks) and each kind of index file (the segment's random name dropped, so the two
    segments' `.pst` files add up), from /proc/PID/smaps."""
    by_kind: dict[str, int] = {}
    kind = "anonymous"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        first = line.split(maxsplit=1)[0]
        if not first.endswith(":"):  # a mapping's header: address range, perms, …, path
            fields = line.split()
            path = fields[5] if len(fields) > 5 else ""
            kind = "anonymous" if not path or path.startswith("[") else \
                re.sub(r"^MAIN_[a-z0-9]+", "MAIN_*", Path(path).name)
        elif first == "Pss:":
            by_kind[kind] = by_kind.get(kind, 0) + int(line.split()[1]) * 1024
    ranked = sorted(by_kind.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {size / MB:,.0f}" for name, size in ranked[:top] if size >= MB)


def ask(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    """(status, seconds) of one GET, on `conn` when given (kept alive)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        return res.status, time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        return 0, time.perf_counter() - started
    finally:
        if own:
            conn.close()


def soak(server: Served, paths: list[str], clients: int) -> None:
    """Every path asked once by `clients` keep-alive clients; a line of figures per checkpoint."""
    lock = threading.Lock()
    cursor = iter(range(len(paths)))
    latencies: list[float] = []
    failures = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            status, seconds = ask(server.port, paths[i], conn)
            with lock:
                latencies.append(seconds)
                failures[0] += status != 200
            if status == 0:
                conn.close()
                conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
        conn.close()

    report(server, "start", [], 0)
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    marks = [int(c * len(paths)) for c in CHECKPOINTS]
    shown = 0
    while marks:
        time.sleep(0.5)
        with lock:
            done = len(latencies)
        if done >= marks[0]:
            with lock:
                stretch = latencies[shown:done]
            report(server, f"after {done:,} queries", stretch, failures[0])
            shown = done
            marks.pop(0)
    for t in threads:
        t.join()
    for k, pid in enumerate(server.workers()):
        print(f"worker {k + 1} PSS by what it maps (MB): {where_it_is(pid)}", flush=True)


def report(server: Served, label: str, latencies: list[float], failures: int) -> None:
    per_worker = [memory(pid) for pid in server.workers()]
    line = f"{label}: " + "; ".join(f"worker {k + 1} RSS {rss / MB:,.0f} MB PSS {pss / MB:,.0f} MB"
                                   for k, (rss, pss) in enumerate(per_worker))
    if latencies:
        s = sorted(latencies)
        pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1000  # noqa: E731
        line += (f"; latency of these {len(s):,}: p50 {pick(0.5):.1f} ms p95 {pick(0.95):.1f} ms "
                 f"p99 {pick(0.99):.1f} ms; failures so far {failures}")
    print(line, flush=True)


def cache_rates(index_dir: Path, queries: list[dict], budgets_mb=(0, 8, 32, 96)) -> None:
    """Replay the queries in this process once per posting-cache budget: hit rate, bytes held
    and the replay's time say what each budget buys."""
    for budget in budgets_mb:
        service = SearchService(index_dir, Settings.from_env({}, index_dir=index_dir))
        try:
            with service.using() as served:
                cache = served.gen.cache
            cache.max_bytes = budget * MB
            started = time.perf_counter()
            for params in queries:
                service.search(params)
            seconds = time.perf_counter() - started
            print(f"posting cache {budget} MB: {cache.hits:,} hits, {cache.misses:,} misses "
                  f"({cache.hits / max(cache.hits + cache.misses, 1):.0%} hit rate), "
                  f"{cache.nbytes / MB:.1f} MB held; {len(queries):,} queries in {seconds:.1f} s "
                  f"({1000 * seconds / len(queries):.2f} ms each)", flush=True)
        finally:
            service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True, help="a built index")
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose serve runs")
    parser.add_argument("--cache-rates", action="store_true")
    args = parser.parse_args()
    say(f"sampling paragraphs of {args.index_dir}…")
    queries = varied_queries(sample_paragraphs(args.index_dir, n=5000), args.queries)
    if args.cache_rates:
        cache_rates(args.index_dir, queries[:5000])
        return
    print(f"memory soak: {args.queries:,} queries, {args.clients} clients, {args.workers} workers, "
          f"serve of {args.project}, index {args.index_dir}; load average {uptime()}", flush=True)
    server = Served(args.index_dir, args.workers, project=args.project)
    try:
        soak(server, ["/api/search?" + urllib.parse.urlencode(q) for q in queries], args.clients)
    finally:
        server.stop()
    print(f"load average at the end {uptime()}")


if __name__ == "__main__":
    main()
