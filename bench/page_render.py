"""Server render time of the search page (GET / through the whole WSGI app: parameters, the
service's search, the page's data, the templates) for typical reader queries over the 18
Reuters files, next to the bare `SearchService.search` call the page makes. Progress goes to
stderr, figures to stdout.

    python bench/page_render.py [--index-dir bench/results/reuters-index] [--rounds 20]
                                [--group paragraph]

`--group paragraph` sets `group` on the queries that set none: the page as it was before it
grouped by article, to measure what grouping costs in one sitting.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402
from search.web.app import create_app  # noqa: E402
from search.web.page import FACETS_ASKED, PAGE_DEFAULTS  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
# What readers type, by kind: words, with a place, with dates, one per article, a later page,
# no words at all (browsing a place), a phrase, and any-word matching.
QUERIES = {
    "words": [{"q": "oil prices"}, {"q": "cocoa"}, {"q": "interest rates"}, {"q": "wheat exports"},
              {"q": "bank merger"}, {"q": "coffee quotas"}],
    "place": [{"q": "oil", "place": "Saudi Arabia"}, {"q": "coffee", "place": "Brazil"},
              {"q": "trade deficit", "place": "Japan"}],
    "dates": [{"q": "dollar", "from": "1987-03", "to": "1987-04"},
              {"q": "opec", "from": "1987-03-01", "to": "1987-03-31"}],
    "article": [{"q": "gold", "group": "article"}, {"q": "sugar", "group": "article"}],
    "page 3": [{"q": "shares", "page": "3"}],
    "browse": [{"place": "London"}, {"from": "1987-04", "to": "1987-04"}],
    "phrase": [{"q": '"crude oil"'}],
    "any": [{"q": "grain wheat corn", "match": "any"}],
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.95 * len(s)))]


def rendered_ms(app, query: dict) -> float:
    """One GET / through the WSGI app, until the last byte of the body."""
    environ = {"PATH_INFO": "/", "QUERY_STRING": urlencode(query, doseq=True),
               "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    started = time.perf_counter()
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    took = (time.perf_counter() - started) * 1000
    if not status[0].startswith("200") or b"<main" not in body:
        raise SystemExit(f"GET /?{environ['QUERY_STRING']} answered {status[0]}")
    return took


def searched_ms(service: SearchService, query: dict) -> float:
    started = time.perf_counter()
    service.search({"group": PAGE_DEFAULTS["group"], **query, "facets": FACETS_ASKED})
    return (time.perf_counter() - started) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--rounds", type=int, default=20, help="timed passes over the queries")
    ap.add_argument("--group", choices=("article", "paragraph"),
                    help="the group of queries that set none (default: the page's own default)")
    args = ap.parse_args()
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(REUTERS,))
    reindex(settings, if_needed=True)
    service = SearchService(args.index_dir, settings)
    app = create_app(settings, service)
    pairs = [(kind, {"group": args.group, **q} if args.group else q)
             for kind, queries in QUERIES.items() for q in queries]
    for _, query in pairs:  # warm: searchers, columns, compiled templates
        rendered_ms(app, query)
    page: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    search: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    for round_number in range(args.rounds):
        for kind, query in pairs:
            page[kind].append(rendered_ms(app, query))
            search[kind].append(searched_ms(service, query))
        print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
    service.close()

    print(f"# page render, {len(pairs)} queries x {args.rounds} rounds, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} at start of report")
    print(f"{'kind':<10}{'page p50':>10}{'page p95':>10}{'search p50':>12}{'search p95':>12}"
          f"{'page-only p50':>15}")
    every_page, every_search = [], []
    for kind in QUERIES:
        row(kind, page[kind], search[kind])
        every_page += page[kind]
        every_search += search[kind]
    row("all", every_page, every_search)
    print(f"(ms; page = GET / through the WSGI app; search = SearchService.search with the page's "
          f"facets; page-only = the median of each page time less its paired search time; "
          f"mean page {statistics.fmean(every_page):.1f})")


def row(kind: str, page: list[float], search: list[float]) -> None:
    p50, p95 = percentiles(page)
    s50, s95 = percentiles(search)
    extra, _ = percentiles([p - s for p, s in zip(page, search)])
    print(f"{kind:<10}{p50:>10.1f}{p95:>10.1f}{s50:>12.1f}{s95:>12.1f}{extra:>15.1f}")


if __name__ == "__main__":
    main()
