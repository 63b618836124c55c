"""Search latency on all 18 Reuters files: seeded title queries run plain, with a date window +
place filter, and with facets (snippets for the top 10 always), against SQLite FTS5 on the same
paragraphs and queries in the same run. Progress goes to stderr, figures to stdout.

    python bench/search_speed.py [--index-dir bench/results/reuters-index] [--queries 500]
                                 [--kinds plain filtered faceted default filt+fac common fuzzy]
                                 [--corpus FOLDER] [--no-fts]

`--corpus` indexes a folder made by bench/make_scale_corpus.py instead of the Reuters files
(give each corpus its own `--index-dir`). `common` runs 100 queries of one or two of the
archive's 40 commonest words (plain, no facets), then `said` alone. `fuzzy` runs the longest
word of each seeded query misspelt as `word~` (a quarter as `word~2`), advanced mode, no facets.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.store.generations import read_manifest, serving_generation  # noqa: E402
from search import QueryError, SearchService  # noqa: E402
from search.engine.run import Generation  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
WORD = re.compile(r"[A-Za-z]{3,}")


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(s)}


def load_paragraphs(gen: Generation) -> list[dict]:
    alive = [int(d) for d in np.flatnonzero(gen.columns.alive)]
    return [dict(record, docnum=d) for d, record in zip(alive, gen.stored_fields(alive))]


def common_queries(paragraphs: list[dict], analyzer, n: int = 100, seed: int = 42) -> list[dict]:
    """One or two of the archive's 40 commonest words (words the analyzer keeps, i.e. not
    stop words): the queries whose postings are longest."""
    counts: dict[str, int] = {}
    for p in paragraphs:
        for word in WORD.findall(p.get("text", "")):
            word = word.lower()
            counts[word] = counts.get(word, 0) + 1
    common = [w for w in sorted(counts, key=counts.get, reverse=True) if list(analyzer(w))][:40]
    rng = random.Random(seed)
    return [{"q": " ".join(rng.sample(common, rng.choice((1, 2))))} for _ in range(n)]


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


def fuzzy_queries(queries: list[dict], seed: int = 42) -> list[dict]:
    """The longest word (5+ letters) of each query misspelt and marked fuzzy in advanced mode:
    one edit (a letter dropped, doubled, swapped with the next or replaced) as `word~`, and in
    one query of four two edits as `word~2`."""
    rng = random.Random(seed)
    fuzzy = []
    for query in queries:
        word = max(WORD.findall(query["q"]), key=len, default="")
        if len(word) < 5:
            continue
        distance = 2 if rng.random() < 0.25 else 1
        for _ in range(distance):
            i = rng.randrange(1, len(word) - 1)
            edit = rng.choice(("drop", "double", "swap", "replace"))
            word = {"drop": word[:i] + word[i + 1:], "double": word[:i] + word[i] + word[i:],
                    "swap": word[:i] + word[i + 1] + word[i] + word[i + 2:],
                    "replace": word[:i] + rng.choice("aeioustrn") + word[i + 1:]}[edit]
        fuzzy.append({"q": f"{word}~" if distance == 1 else f"{word}~2"})
    return fuzzy


# What each kind of run asks besides the query: facets "" means none; None the default (place, year).
KINDS = {
    "plain": {"filtered": False, "facets": ""},
    "filtered": {"filtered": True, "facets": ""},
    "faceted": {"filtered": False, "facets": "place,month"},
    "default": {"filtered": False, "facets": None},
    "filt+fac": {"filtered": True, "facets": "place,month"},
    "common": {"filtered": False, "facets": ""},
    # Misspelt title words as fuzzy terms (`word~`, advanced mode); FTS5 has no fuzzy match.
    "fuzzy": {"filtered": False, "facets": "", "mode": "advanced"},
}
FACET_COLUMN = {"month": "month", "year": "year"}


def progress(kind: str, engine: str, done: int, total: int) -> None:
    if done % 100 == 0 or done == total:
        print(f"  {kind} {engine}: {done}/{total}", file=sys.stderr, flush=True)


def service_params(query: dict, kind: str) -> dict:
    spec = KINDS[kind]
    params = {"q": query["q"]}
    if spec.get("mode"):
        params["mode"] = spec["mode"]
    if spec["facets"] is not None:
        params["facets"] = spec["facets"]
    if spec["filtered"]:
        params.update({"from": query["from"], "to": query["to"], "place": query["place_id"]})
    return params


def time_service(service: SearchService, queries: list[dict], kind: str) -> tuple[list[float], int]:
    samples, timed_out = [], 0
    for i, query in enumerate(queries, start=1):
        params = service_params(query, kind)
        t = time.perf_counter()
        try:
            timed_out += service.search(params)["timed_out"]
        except QueryError as e:
            # A fuzzy term expanding to too many words is refused (a 400): timed all the same.
            print(f"  {kind}: refused {params['q']!r}: {e.message}", file=sys.stderr, flush=True)
        samples.append((time.perf_counter() - t) * 1000)
        progress(kind, "ours", i, len(queries))
    return samples, timed_out


def build_fts(paragraphs: list[dict], gen: Generation) -> sqlite3.Connection:
    """FTS5 over the same paragraphs; the place table holds the same (paragraph, place id)
    pairs as our columns (ancestors included), so both engines filter on the same sets."""
    cols = gen.columns
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, title, tokenize='porter unicode61')")
    db.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, day INTEGER, month TEXT, year TEXT)")
    db.execute("CREATE TABLE place(rowid INTEGER, place_id TEXT)")
    row_of = {}
    for i, p in enumerate(paragraphs, start=1):
        row_of[p["docnum"]] = i
        db.execute("INSERT INTO fts(rowid, text, title) VALUES (?, ?, ?)", (i, p["text"], p["title"]))
        date = p.get("date") or ""
        day = dt.date.fromisoformat(date).toordinal() if date else 0
        db.execute("INSERT INTO meta VALUES (?, ?, ?, ?)", (i, day, date[:7] or None, date[:4] or None))
    db.executemany("INSERT INTO place VALUES (?, ?)",
                   [(row_of[int(d)], cols.place_ids[int(e)])
                    for d, e in zip(cols.place_owner, cols.place_entry) if int(d) in row_of])
    db.execute("CREATE INDEX meta_by_day ON meta(day)")
    db.execute("CREATE INDEX place_by_id ON place(place_id, rowid)")
    db.execute("CREATE UNIQUE INDEX place_by_row ON place(rowid, place_id)")
    db.execute("ANALYZE")
    db.commit()
    return db


def fts_expression(q: str) -> str:
    if q.startswith('"'):
        return q
    return " AND ".join(f'"{w}"' for w in q.split())


def fts_statements(kind: str) -> tuple[str, str, list[str]]:
    """The FROM…WHERE of one kind of query (plain tables joined by rowid, never
    `rowid IN (subquery)` against the FTS table, which SQLite cannot drive from the index), the
    top-10 statement, and one statement per facet."""
    spec = KINDS[kind]
    source = "fts"
    where = "fts MATCH ?"
    if spec["filtered"]:
        source += (" JOIN meta ON meta.rowid = fts.rowid"
                   " JOIN place AS pf ON pf.rowid = fts.rowid AND pf.place_id = ?")
        where += " AND meta.day BETWEEN ? AND ?"
    top = (f"SELECT fts.rowid, snippet(fts, 0, '<mark>', '</mark>', ' … ', 30) FROM {source} "
           f"WHERE {where} ORDER BY bm25(fts, 1.0, 2.5) LIMIT 10")
    facets = spec["facets"] if spec["facets"] is not None else "place,year"
    statements = []
    for name in filter(None, facets.split(",")):
        if name == "place":
            statements.append(f"SELECT pc.place_id, count(*) c FROM {source} JOIN place AS pc "
                              f"ON pc.rowid = fts.rowid WHERE {where} GROUP BY pc.place_id "
                              f"ORDER BY c DESC LIMIT 20")
        else:
            column = FACET_COLUMN[name]
            join = "" if spec["filtered"] else " JOIN meta ON meta.rowid = fts.rowid"
            statements.append(f"SELECT meta.{column}, count(*) c FROM {source}{join} WHERE {where} "
                              f"AND meta.{column} IS NOT NULL GROUP BY meta.{column} "
                              f"ORDER BY c DESC LIMIT 20")
    return f"SELECT count(*) FROM {source} WHERE {where}", top, statements


def fts_args(query: dict, kind: str) -> list:
    args = []
    if KINDS[kind]["filtered"]:
        args.append(query["place_id"])
    args.append(fts_expression(query["q"]))
    if KINDS[kind]["filtered"]:
        args += [dt.date.fromisoformat(query["from"]).toordinal(),
                 dt.date.fromisoformat(query["to"]).toordinal()]
    return args


def time_fts(db: sqlite3.Connection, queries: list[dict], kind: str) -> list[float]:
    count, top, facets = fts_statements(kind)
    samples = []
    for i, query in enumerate(queries, start=1):
        args = fts_args(query, kind)
        t = time.perf_counter()
        db.execute(count, args).fetchone()
        db.execute(top, args).fetchall()
        for statement in facets:
            db.execute(statement, args).fetchall()
        samples.append((time.perf_counter() - t) * 1000)
        progress(kind, "fts5", i, len(queries))
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--queries", type=int, default=500, help="how many seeded queries (default 500)")
    ap.add_argument("--corpus", type=Path, default=REUTERS,
                    help="archive folder to index (default the Reuters files; or bench/make_scale_corpus.py's)")
    ap.add_argument("--no-fts", action="store_true", help="time ours only (no SQLite FTS5)")
    ap.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS),
                    help="which runs (default all): plain; filtered (date window + place); faceted "
                         "(place + month); default (the default facets, place + year); filt+fac; "
                         "common; fuzzy (misspelt words as word~, ours only)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"needs {args.corpus} (the shared Reuters files or a scale corpus)")
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(args.corpus,))
    reindex(settings, if_needed=True)
    service = SearchService(args.index_dir, settings)
    t = time.perf_counter()
    service.status()
    opened = time.perf_counter() - t
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    service.search({"q": "oil prices", "facets": "place,year"})
    first = (time.perf_counter() - t) * 1000
    # The same generation the service serves, opened on its own to read the paragraphs and
    # columns FTS5 gets (docnums are the same in both).
    gen_dir = serving_generation(args.index_dir)
    gen = Generation(gen_dir, read_manifest(gen_dir))
    paragraphs = load_paragraphs(gen)
    queries = make_queries(paragraphs, args.queries)
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, cores: {os.cpu_count()}")
    print(f"paragraphs: {len(paragraphs):,}; queries: {len(queries)}; open generation: {opened:.2f} s; "
          f"first query after open: {first:.0f} ms; peak RSS after open + first query: {rss_open:,.0f} MB; "
          f"load average {os.getloadavg()[0]:.2f}")
    db = None
    if not args.no_fts:
        t = time.perf_counter()
        db = build_fts(paragraphs, gen)
        print(f"fts5 built in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    common = common_queries(paragraphs, gen.analyzer) if "common" in args.kinds else []
    gen.close()
    print(f"{'kind':<10} {'engine':<8} {'p50':>8} {'p95':>8} {'p99':>8} {'mean':>8}  (ms)")
    for kind in args.kinds:
        batch = common if kind == "common" else fuzzy_queries(queries) if kind == "fuzzy" else queries
        ours, timed_out = time_service(service, batch, kind)
        runs = [("ours", ours)]
        if db is not None and kind != "fuzzy":
            runs.append(("fts5", time_fts(db, batch, kind)))
        for name, samples in runs:
            p = percentiles(samples)
            print(f"{kind:<10} {name:<8} {p['p50']:8.2f} {p['p95']:8.2f} {p['p99']:8.2f} {p['mean']:8.2f}")
        if len(runs) > 1:
            ratio = percentiles(ours)["p50"] / max(percentiles(runs[1][1])["p50"], 1e-9)
            print(f"{kind:<10} p50 ratio ours/fts5: {ratio:.1f}; timed out: {timed_out}")
        else:
            print(f"{kind:<10} timed out: {timed_out}")
    if "common" in args.kinds:
        said, _ = time_service(service, [{"q": "said"}] * 20, "common")
        print(f"`said` alone: median of 20 {statistics.median(said):.1f} ms (first {said[0]:.1f} ms)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (with the "
          f"benchmark's own copy of every paragraph{'' if db is None else ' and FTS5'}); load average "
          f"{os.getloadavg()[0]:.2f}")
    service.close()


if __name__ == "__main__":
    main()
