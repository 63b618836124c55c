"""What the results page's world map costs on top of the search, over the 18 Reuters files: for
the page's reader queries (bench/page_render.py's), the map drawn from a search body (its data
from the country and place facets, then map.tpl rendered) uncached, as on a first visit, and
through the per-generation cache, as on a page drawn again. Progress goes to stderr, figures
to stdout.

    python bench/map_render.py [--index-dir bench/results/reuters-index] [--rounds 20]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bottle import SimpleTemplate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402
from search.web import page  # noqa: E402
from search.web.app import TEMPLATES_DIR  # noqa: E402
from search.web.worldmap import MapCache, Outlines  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from page_render import QUERIES, REUTERS, percentiles  # noqa: E402


def drawn_ms(cache: MapCache, template: SimpleTemplate, key, state: dict,
             body: dict) -> tuple[float, int]:
    """One map: its data (from the cache under `key`, or drawn when None or not kept) and its
    markup; the time and the markup's size in characters."""
    started = time.perf_counter()
    data = cache.get(key, lambda outlines: page._map(outlines, state, body))
    markup = template.render(m=data, key="map", level=3) if data else ""
    return (time.perf_counter() - started) * 1000, len(markup)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--rounds", type=int, default=20, help="timed passes over the queries")
    args = ap.parse_args()
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(REUTERS,))
    reindex(settings, if_needed=True)
    service = SearchService(args.index_dir, settings)
    template = SimpleTemplate(name="map", lookup=[str(TEMPLATES_DIR)])
    cache = MapCache(Outlines.load())
    states = [page._state(query) for queries in QUERIES.values() for query in queries]
    for state in states:  # warm: searchers, columns, the compiled template
        drawn_ms(cache, template, None, state, service.search(page._service_params(state)))
    uncached, cached, search_ms, sizes = [], [], [], []
    for round_number in range(args.rounds):
        for state in states:
            started = time.perf_counter()
            body = service.search(page._service_params(state))
            took = (time.perf_counter() - started) * 1000
            ms, size = drawn_ms(cache, template, None, state, body)
            uncached.append(ms)
            sizes.append(size)
            key = (round_number, page._href(state, {}))
            drawn_ms(cache, template, key, state, body)          # first visit: drawn and kept
            cached.append(drawn_ms(cache, template, key, state, body)[0])
            search_ms.append(took)
        print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
    service.close()
    print(f"# map render, {len(states)} queries x {args.rounds} rounds, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} at start of report")
    for name, samples in (("map, uncached", uncached), ("map, cached data", cached),
                          ("the page's search", search_ms)):
        p50, p95 = percentiles(samples)
        print(f"{name:<20} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    print(f"map markup: {min(sizes):,}–{max(sizes):,} characters "
          f"(median {sorted(sizes)[len(sizes) // 2]:,})")


if __name__ == "__main__":
    main()
