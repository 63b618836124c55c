"""Takes the README's screenshots of the search page (results.png, article.png, phone.png,
map.png) in headless Chromium, from a real server over the Reuters files (or any `--source`).

    python docs/screenshots/take.py [--index-dir bench/results/reuters-index] [--source DIR]
                                    [--only map.png]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search.web.server import running_in_background  # noqa: E402

HERE = Path(__file__).resolve().parent
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULTS = "/?q=coffee+exports&place=Brazil"
# (file, viewport width, height, what to show)
SHOTS = [("results.png", 1280, 1000, RESULTS),
         ("phone.png", 375, 812, RESULTS)]
# The results' map, zoomed to the region that holds them (the lira: Italy, Turkey and their
# neighbours), drawn at twice the pixels of the page's side column so that it reads.
MAP = "/?q=lira"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "results" / "reuters-index")
    ap.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "reuters21578")
    ap.add_argument("--only", help="take this one screenshot (a file name above), not all")
    args = ap.parse_args()
    wanted = (lambda name: args.only in (None, name))
    settings = Settings.from_env({}, index_dir=args.index_dir, sources=(args.source,), threads=2)
    reindex(settings, if_needed=True)
    with running_in_background(settings, port=0) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        for name, width, height, path in SHOTS:
            if not wanted(name):
                continue
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.goto(server.url + path)  # once to warm the searchers, so "took" is typical
            tab.goto(server.url + path)
            tab.screenshot(path=str(HERE / name))
            tab.close()
        # The article as a reader reaches it from a hit: its paragraph outlined (the view is
        # scrolled back up so that the title shows too).
        if wanted("map.png"):
            tab = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=2)
            tab.goto(server.url + MAP)
            tab.locator("section.map").screenshot(path=str(HERE / "map.png"))
            tab.close()
        if wanted("article.png"):
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            tab.goto(server.url + RESULTS)
            tab.locator(".hit-title a[href*='#p1']").first.click()
            tab.wait_for_load_state()
            tab.evaluate("window.scrollTo(0, 0)")
            tab.screenshot(path=str(HERE / "article.png"))
        browser.close()


if __name__ == "__main__":
    main()
