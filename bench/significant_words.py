"""Time of GET /api/significant-words (through the whole WSGI app) over the 18 Reuters files, for
queries from a few hundred matches to tens of thousands: the first ask of each query in a fresh
process (the generation has not yet learned its sample's words and their archive counts,
search.engine.significant.WordStems) and then warm rounds. Wall-clock time, and the
CPU time of the thread that answered (on a shared machine the wall clock measures the queue for
the cores as well; the CPU time is what one request costs). Progress goes to stderr, figures to
stdout, with each query's top words so a reader can judge them.

    python bench/significant_words.py [--index-dir bench/results/reuters-index] [--rounds 20]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search.web.app import create_app  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
QUERIES = [{"q": "coffee"}, {"q": "cocoa"}, {"q": "oil prices"}, {"q": "gold"},
           {"q": "wheat exports"}, {"q": "bank merger"}, {"q": "interest rates"},
           {"q": "coffee", "place": "Brazil"}, {"q": "dollar", "from": "1987-03", "to": "1987-04"},
           {"q": "said"}, {"q": "grain wheat corn", "match": "any"}]


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.95 * len(s)))]


def asked(app, query: dict) -> tuple[float, float, dict]:
    """One GET /api/significant-words through the WSGI app: its wall-clock and CPU milliseconds to
    the last byte, its body."""
    environ = {"PATH_INFO": "/api/significant-words", "REQUEST_METHOD": "GET",
               "QUERY_STRING": urlencode(query, doseq=True), "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    started, cpu = time.perf_counter(), time.thread_time()
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    took, cpu = (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000
    if not status[0].startswith("200"):
        raise SystemExit(f"{environ['QUERY_STRING']} answered {status[0]}: {body[:200]!r}")
    return took, cpu, json.loads(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--rounds", type=int, default=20, help="warm passes over the queries")
    args = ap.parse_args()
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(REUTERS,))
    reindex(settings, if_needed=True)
    app = create_app(settings)
    asked(app, {"q": "opening"})  # opens the generation, its searchers and columns
    first, first_cpu, bodies = [], [], []
    for query in QUERIES:
        took, cpu, body = asked(app, query)
        first.append(took)
        first_cpu.append(cpu)
        bodies.append(body)
    warm, warm_cpu = [], []
    for round_number in range(args.rounds):
        for query in QUERIES:
            took, cpu, _ = asked(app, query)
            warm.append(took)
            warm_cpu.append(cpu)
        print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
    app.close()

    print(f"# significant words, {len(QUERIES)} queries, first ask + {args.rounds} warm rounds, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} at start of report")
    for query, took, body in zip(QUERIES, first, bodies):
        shown = urlencode(query)
        print(f"{shown:<40} {body['total']:>6} matches, sample {body['sample']['paragraphs']:>3}, "
              f"first {took:6.1f} ms: {', '.join(w['word'] for w in body['words'][:8])}")
    for label, wall, cpu in (("first ask", first, first_cpu), ("warm", warm, warm_cpu)):
        p50, p95 = percentiles(wall)
        c50, c95 = percentiles(cpu)
        print(f"{label:<10} wall p50 {p50:6.1f} ms, p95 {p95:6.1f} ms; "
              f"CPU p50 {c50:6.1f} ms, p95 {c95:6.1f} ms (n={len(wall)})")


if __name__ == "__main__":
    main()
