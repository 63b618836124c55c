"""Trends latency: five queries per month over the whole archive, as /api/trends answers them
(the service call and the JSON body, in process), on the 18 Reuters files or a scale corpus.
Figures go to stdout, progress to stderr.

    python bench/trends.py [--index-dir /tmp/trends/idx1] [--corpus FOLDER] [--requests 200]

Each request compares five words drawn (seeded) from the archive's 200 commonest words, so most
requests meet words the posting cache has not seen; a second run repeats one fixed set
(oil, coffee, gold, wheat, dollar) warm. Also checks the documented invariant: one series'
totals add up to /api/status's paragraphs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402
from search.service.trends import Trends  # noqa: E402
from bench.search_speed import percentiles  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
FIXED = ["oil", "coffee", "gold", "wheat", "dollar"]


def common_words(service: SearchService, n: int = 200) -> list[str]:
    """The archive's commonest indexed words, from the titles of a sample of its paragraphs."""
    counts: Counter[str] = Counter()
    for page in range(1, 30):
        body = service.search({"q": "", "page_size": "100", "page": str(page), "facets": ""})
        for hit in body["hits"]:
            counts.update(w.lower() for w in hit["text"].split() if w.isalpha() and len(w) > 3)
    return [w for w, _ in counts.most_common(n)]


def timed(compare: Trends, queries: list[str]) -> tuple[float, float, dict]:
    """Wall-clock and CPU milliseconds of one request (the CPU time leaves out waiting for a
    core, which a loaded machine adds to the wall clock), and its body."""
    t, cpu = time.perf_counter(), time.thread_time()
    body = compare.trends({"q": queries, "interval": "month"})
    json.dumps(body)
    return (time.perf_counter() - t) * 1000, (time.thread_time() - cpu) * 1000, body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--corpus", type=Path, default=REUTERS,
                    help="archive folder (default the Reuters files; or bench/make_scale_corpus.py's)")
    ap.add_argument("--requests", type=int, default=200, help="requests of five drawn words (default 200)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"needs {args.corpus} (the shared Reuters files or a scale corpus)")
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(args.corpus,))
    reindex(settings, if_needed=True)
    service = SearchService(args.index_dir, settings)
    status = service.status()
    words = common_words(service)
    compare = Trends(service)
    first, _, _ = timed(compare, FIXED)  # makes the archive's counts for this generation
    rng = random.Random(42)
    drawn = [rng.sample(words, 5) for _ in range(args.requests)]
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, cores: {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"index: {status['paragraphs']:,} paragraphs, {status['articles']:,} articles; first "
          f"request (makes the archive's counts per month): {first:.0f} ms")
    cold = []
    for i, queries in enumerate(drawn, 1):
        cold.append(timed(compare, queries)[:2])
        if i % 50 == 0:
            print(f"  {i}/{len(drawn)}", file=sys.stderr, flush=True)
    warm = [timed(compare, FIXED)[:2] for _ in range(50)]
    _, _, body = timed(compare, FIXED)
    points = body["series"][0]["points"]
    total = sum(p["total"] for p in points)
    print(f"interval: {body['interval']}, {len(points)} points per series "
          f"({points[0]['period']} .. {points[-1]['period']}); totals add up to {total:,} "
          f"of {status['paragraphs']:,} paragraphs: {'yes' if total == status['paragraphs'] else 'NO'}")
    print(f"{'run':<28} {'clock':<6} {'p50':>8} {'p95':>8} {'p99':>8} {'mean':>8}  (ms)")
    for name, samples in ((f"5 drawn words x {len(cold)}", cold), ("5 fixed words x 50 (warm)", warm)):
        for clock, column in (("wall", 0), ("cpu", 1)):
            p = percentiles([sample[column] for sample in samples])
            print(f"{name:<28} {clock:<6} {p['p50']:8.2f} {p['p95']:8.2f} {p['p99']:8.2f} {p['mean']:8.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    service.close()


if __name__ == "__main__":
    main()
