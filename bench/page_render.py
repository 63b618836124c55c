"""Server render time of the search page (GET / through the whole WSGI app: parameters, the
service's search, the page's data, the templates) for typical reader queries over the 18
Reuters files, next to the bare `SearchService.search` call the page makes. Progress goes to
stderr, figures to stdout.

    python bench/page_render.py [--index-dir bench/results/reuters-index] [--rounds 20]
                                [--fresh 20] [--group paragraph]

Two tables: first views, then repeats. A first view is a query the process has never drawn
(`--fresh` of each kind, each drawn once, made from words no other query uses), so the page makes
its map and its significant words and reads its rarer words' postings; a repeat draws the fixed
QUERIES again, which reuses what the page keeps per generation and query (search/web/derived.py).
The process settles its collector after the warm-up, as a server's loop does between requests
(search/web/process_memory.py), so no full collection of the objects of the opening falls on a
view. `--group paragraph` sets `group` on the queries that set none: the page as it was before it
grouped by article, to measure what grouping costs in one sitting.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import math
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
from search.web.process_memory import Collector  # noqa: E402

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
# Words for first views: topics of the archive that no query above uses, each in one query only
# (so its postings are read by that view); from a few matches to a few thousand.
FRESH_WORDS = """acquisition takeover earnings profit dividend bonds tax budget surplus tariff imports
strike union election minister court lawsuit aircraft computer chemical insurance loan debt
mortgage unemployment inflation recession currency francs sterling pesos aluminium nickel lead tea
rapeseed sorghum oats potatoes lumber hogs livestock fuel propane jet petrochemicals reserves
retail wholesale production output refinery pipeline drilling tanker freight port soybeans meal
sunflower coconut palladium rand guilders shilling textiles semiconductors steel iron ore cement
paper pulp timber fishing beef pork poultry dairy butter cheese rubber cotton maize rice tin zinc
copper silver platinum gas coal fertilizer uranium electricity nuclear shipping railway trucking
airline telephone broadcasting brewing tobacco cigarettes drugs hospital pension savings thrift
brokerage plywood wine fruit vegetables bananas shrimp tuna cars trucks tires shipyard satellite
defence missiles bankruptcy dumping hotels tourism gambling publishing newspaper magazine software
chips robots ethanol gasoline diesel heating""".split()
FRESH_PHRASES = ["gross national product", "money supply", "stock exchange", "federal reserve",
                 "net loss", "joint venture", "foreign exchange", "current account", "prime rate",
                 "capital spending", "tender offer", "securities firm", "common stock",
                 "chief executive", "annual meeting", "export subsidies", "fiscal year",
                 "share repurchase", "credit rating", "labor contract"]
# Each kind's i-th first view, taking its words from the fresh ones left (browse: a day of its
# own; phrase: FRESH_PHRASES). The lists hold enough for MAX_FRESH of each kind.
FRESH = {
    "words": lambda i, words: {"q": next(words)},
    "place": lambda i, words: {"q": next(words), "place": "United States"},
    "dates": lambda i, words: {"q": next(words), "from": "1987-03", "to": "1987-04"},
    "article": lambda i, words: {"q": next(words), "group": "article"},
    "page 3": lambda i, words: {"q": next(words), "page": "3"},
    "browse": lambda i, words: {"from": str(dt.date(1987, 3, 2) + dt.timedelta(days=i)),
                                "to": str(dt.date(1987, 3, 2) + dt.timedelta(days=i))},
    "phrase": lambda i, words: {"q": f'"{FRESH_PHRASES[i]}"'},
    "any": lambda i, words: {"q": f"{next(words)} {next(words)}", "match": "any"},
}
MAX_FRESH = 20


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 by nearest rank (the value at rank ceil(p * n)): of 20 first views, p95 is
    the 19th; it was the 20th, the max, which the tables print beside it."""
    s = sorted(samples)
    return s[math.ceil(0.5 * len(s)) - 1], s[math.ceil(0.95 * len(s)) - 1]


def rendered_ms(app, query: dict, cpu: list[float] | None = None) -> float:
    """One GET / through the WSGI app, until the last byte of the body; its CPU time (of the
    thread that answered) appended to `cpu` when given."""
    environ = {"PATH_INFO": "/", "QUERY_STRING": urlencode(query, doseq=True),
               "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    started, thread_started = time.perf_counter(), time.thread_time()
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    took = (time.perf_counter() - started) * 1000
    if cpu is not None:
        cpu.append((time.thread_time() - thread_started) * 1000)
    if not status[0].startswith("200") or b"<main" not in body:
        raise SystemExit(f"GET /?{environ['QUERY_STRING']} answered {status[0]}")
    return took


def fresh_queries(count: int) -> dict[str, list[dict]]:
    """`count` (at most MAX_FRESH) first-view queries of each kind, no word in two of them."""
    words = iter(FRESH_WORDS)
    return {kind: [make(i, words) for i in range(count)] for kind, make in FRESH.items()}


def searched_ms(service: SearchService, query: dict) -> float:
    started = time.perf_counter()
    service.search({"group": PAGE_DEFAULTS["group"], **query, "facets": FACETS_ASKED})
    return (time.perf_counter() - started) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--rounds", type=int, default=20, help="timed passes over the queries")
    ap.add_argument("--fresh", type=int, default=MAX_FRESH, choices=range(1, MAX_FRESH + 1),
                    metavar=f"1..{MAX_FRESH}", help="first views of each kind (new queries, each drawn once)")
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
    Collector().settle(service.serving_number())  # as a server's loop does once it is open
    fresh = fresh_queries(args.fresh)
    first: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    first_cpu: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    for i in range(args.fresh):  # kinds in turn, so that a change of load meets each alike
        for kind, queries in fresh.items():
            query = {"group": args.group, **queries[i]} if args.group else queries[i]
            first[kind].append(rendered_ms(app, query, first_cpu[kind]))
    print(f"first views: {args.fresh} of each kind", file=sys.stderr)
    page: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    search: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    for round_number in range(args.rounds):
        for kind, query in pairs:
            page[kind].append(rendered_ms(app, query))
            search[kind].append(searched_ms(service, query))
        print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
    service.close()

    print(f"# page render, first views: {args.fresh} new queries of each kind, each drawn once, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'kind':<10}{'first p50':>10}{'first p95':>10}{'max':>8}{'CPU p50':>10}{'CPU p95':>10}")
    for kind in QUERIES:
        first_row(kind, first[kind], first_cpu[kind])
    first_row("all", [ms for kind in QUERIES for ms in first[kind]],
              [ms for kind in QUERIES for ms in first_cpu[kind]])
    print("(ms; GET / through the WSGI app, a query the process never drew: its map and "
          "significant words made, its rarer words' postings read; CPU = the answering thread's "
          "CPU time, which a busy machine's queue for the cores does not inflate)")
    print()
    print(f"# page render, repeats: {len(pairs)} queries x {args.rounds} rounds, "
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


def first_row(kind: str, wall: list[float], cpu: list[float]) -> None:
    p50, p95 = percentiles(wall)
    c50, c95 = percentiles(cpu)
    print(f"{kind:<10}{p50:>10.1f}{p95:>10.1f}{max(wall):>8.1f}{c50:>10.1f}{c95:>10.1f}")


def row(kind: str, page: list[float], search: list[float]) -> None:
    p50, p95 = percentiles(page)
    s50, s95 = percentiles(search)
    extra, _ = percentiles([p - s for p, s in zip(page, search)])
    print(f"{kind:<10}{p50:>10.1f}{p95:>10.1f}{s50:>12.1f}{s95:>12.1f}{extra:>15.1f}")


if __name__ == "__main__":
    main()
