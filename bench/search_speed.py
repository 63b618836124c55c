"""Search latency on all 18 Reuters files: 500 seeded title queries, run plain, with a date
window + place filter, and with facets (snippets for the top 10 always), against SQLite FTS5
on the same paragraphs and queries in the same run.

    python bench/search_speed.py [--index-dir bench/results/reuters-index] [--queries 500]
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
WORD = re.compile(r"[A-Za-z]{3,}")


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(s)}


def load_paragraphs(service: SearchService) -> list[dict]:
    served = service._served()
    searcher = service._searcher(served)
    alive = served.gen.columns.alive
    return [dict(searcher.stored_fields(d), docnum=d) for d in range(len(alive)) if alive[d]]


def make_queries(paragraphs: list[dict], n: int, seed: int = 42) -> list[dict]:
    """1–3 consecutive title words or a quoted two-word phrase, with a filter window and place
    taken from the same paragraph (so filtered queries usually find something)."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < n:
        p = rng.choice(paragraphs)
        words = WORD.findall(p.get("title", ""))
        if not words or not p.get("date") or not p.get("places_json"):
            continue
        k = rng.choice((1, 2, 3))
        start = rng.randrange(max(1, len(words) - k + 1))
        chosen = [w.lower() for w in words[start:start + k]]
        q = f'"{" ".join(chosen)}"' if len(chosen) == 2 and rng.random() < 0.3 else " ".join(chosen)
        day = dt.date.fromisoformat(p["date"])
        window = (day - dt.timedelta(days=rng.randrange(1, 20)), day + dt.timedelta(days=rng.randrange(1, 20)))
        place = rng.choice(p["places_json"])
        queries.append({"q": q, "from": window[0].isoformat(), "to": window[1].isoformat(),
                        "place_id": place["id"], "country": place.get("country_code") or place["id"]})
    return queries


def time_service(service: SearchService, queries: list[dict], kind: str) -> tuple[list[float], int]:
    samples, timed_out = [], 0
    for query in queries:
        params = {"q": query["q"], "facets": ""}
        if kind == "filtered":
            params.update({"from": query["from"], "to": query["to"], "place": query["place_id"]})
        if kind == "faceted":
            params["facets"] = "place,country,year,month"
        t = time.perf_counter()
        body = service.search(params)
        samples.append((time.perf_counter() - t) * 1000)
        timed_out += body["timed_out"]
    return samples, timed_out


def build_fts(paragraphs: list[dict]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, title, tokenize='porter unicode61')")
    db.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, day INTEGER, month TEXT)")
    db.execute("CREATE TABLE place(rowid INTEGER, place_id TEXT)")
    for i, p in enumerate(paragraphs, start=1):
        db.execute("INSERT INTO fts(rowid, text, title) VALUES (?, ?, ?)", (i, p["text"], p["title"]))
        date = p.get("date") or ""
        day = dt.date.fromisoformat(date).toordinal() if date else 0
        db.execute("INSERT INTO meta VALUES (?, ?, ?)", (i, day, date[:7]))
        ids = {pl["id"] for pl in p.get("places_json") or []}
        db.executemany("INSERT INTO place VALUES (?, ?)", [(i, pid) for pid in ids])
    db.execute("CREATE INDEX place_by_id ON place(place_id, rowid)")
    db.execute("CREATE INDEX place_by_row ON place(rowid)")
    db.commit()
    return db


def fts_expression(q: str) -> str:
    if q.startswith('"'):
        return q
    return " AND ".join(f'"{w}"' for w in q.split())


def time_fts(db: sqlite3.Connection, queries: list[dict], kind: str) -> list[float]:
    samples = []
    for query in queries:
        expr = fts_expression(query["q"])
        where, args = "fts MATCH ?", [expr]
        if kind == "filtered":
            where += (" AND rowid IN (SELECT rowid FROM meta WHERE day BETWEEN ? AND ?)"
                      " AND rowid IN (SELECT rowid FROM place WHERE place_id = ?)")
            args += [dt.date.fromisoformat(query["from"]).toordinal(),
                     dt.date.fromisoformat(query["to"]).toordinal(), query["place_id"]]
        t = time.perf_counter()
        db.execute(f"SELECT count(*) FROM fts WHERE {where}", args).fetchone()
        db.execute(f"SELECT rowid, snippet(fts, 0, '<mark>', '</mark>', ' … ', 30) FROM fts "
                   f"WHERE {where} ORDER BY bm25(fts, 1.0, 2.5) LIMIT 10", args).fetchall()
        if kind == "faceted":
            db.execute(f"SELECT place_id, count(*) c FROM place WHERE rowid IN (SELECT rowid FROM fts "
                       f"WHERE {where}) GROUP BY place_id ORDER BY c DESC LIMIT 20", args).fetchall()
            db.execute(f"SELECT month, count(*) c FROM meta WHERE rowid IN (SELECT rowid FROM fts "
                       f"WHERE {where}) GROUP BY month ORDER BY c DESC LIMIT 20", args).fetchall()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--queries", type=int, default=500)
    args = ap.parse_args()
    if not REUTERS.is_dir():
        sys.exit(f"needs {REUTERS} (the shared Reuters files)")
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(REUTERS,))
    reindex(settings, if_needed=True)
    service = SearchService(args.index_dir, settings)
    t = time.perf_counter()
    service.status()
    opened = time.perf_counter() - t
    paragraphs = load_paragraphs(service)
    queries = make_queries(paragraphs, args.queries)
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, cores: {__import__('os').cpu_count()}")
    print(f"paragraphs: {len(paragraphs):,}; queries: {len(queries)}; open generation: {opened:.2f} s")
    db = build_fts(paragraphs)
    print(f"{'kind':<10} {'engine':<8} {'p50':>8} {'p95':>8} {'p99':>8} {'mean':>8}  (ms)")
    for kind in ("plain", "filtered", "faceted"):
        ours, timed_out = time_service(service, queries, kind)
        theirs = time_fts(db, queries, kind)
        for name, samples in (("ours", ours), ("fts5", theirs)):
            p = percentiles(samples)
            print(f"{kind:<10} {name:<8} {p['p50']:8.2f} {p['p95']:8.2f} {p['p99']:8.2f} {p['mean']:8.2f}")
        ratio = percentiles(ours)["p50"] / max(percentiles(theirs)["p50"], 1e-9)
        print(f"{kind:<10} p50 ratio ours/fts5: {ratio:.1f}; timed out: {timed_out}")
    service.close()


if __name__ == "__main__":
    main()
