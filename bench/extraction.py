"""Article extraction quality and speed on ../shared/data/html-pages (61 pages of the public
article-extraction benchmark, with the text a person marked as the article).

    python bench/extraction.py                  # F1 of /api/articles/<id> text, pages as .html.gz
    python bench/extraction.py --warc           # the same pages inside one WARC (.warc.gz)
    python bench/extraction.py --speed 300      # pages/s of a 300-page WARC, 1 and 2 workers

Quality: the pages are indexed with `reindex` like any archive, each article is fetched through
the API's WSGI app (`GET /api/articles/<id>`), its paragraphs joined with newlines, and scored
with the benchmark's metric (word 4-gram shingles, per-page tp/fp/fn normalised, mean precision
over pages with a prediction, mean recall, F1 of the means; see the data's README).
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import mean
from wsgiref.util import setup_testing_defaults

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.sources import read_tasks  # noqa: E402
from index.sources.pool import run_in_order  # noqa: E402
from index.sources.text import stable_id  # noqa: E402
from search.web.app import create_app  # noqa: E402

PAGES = PROJECT.parent / "shared" / "data" / "html-pages"
_WORD = re.compile(r"\w+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--warc", action="store_true", help="score the pages read from one WARC")
    parser.add_argument("--speed", type=int, metavar="N", help="time a WARC of N pages instead")
    args = parser.parse_args()
    if not (args.pages / "ground-truth.json").is_file():
        sys.exit(f"needs {args.pages} (the shared extraction pages)")
    truth = json.loads((args.pages / "ground-truth.json").read_text(encoding="utf-8"))
    print(f"machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.speed:
            speed(args.pages, truth, args.speed, Path(tmp))
            return
        if args.warc:
            archive = write_warc(Path(tmp) / "pages.warc.gz", pages_of(args.pages, truth))
            ids = {name: stable_id(page["url"]) for name, page in truth.items()}
        else:
            archive, ids = args.pages, {name: name for name in truth}
        settings = Settings.from_env({}, index_dir=Path(tmp) / "idx", sources=(archive,))
        report = reindex(settings, full=True)
        print(f"indexed {report.articles} articles from {archive.name} in {report.seconds:.1f} s; "
              f"skipped {len(report.skipped)}")
        predicted = api_texts(settings, ids)
        scores = score(truth, predicted)
        print(f"pages {len(truth)}  precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  "
              f"F1 {scores['f1']:.4f}")


def pages_of(folder: Path, truth: dict) -> list[tuple[str, bytes]]:
    """(URL, HTML bytes) of every page in the ground truth."""
    return [(page["url"], gzip.decompress((folder / f"{name}.html.gz").read_bytes()))
            for name, page in sorted(truth.items())]


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """A gzipped WARC holding each page as an HTTP 200 text/html response record."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, html in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(html), http_headers=headers))
    return path


def api_texts(settings: Settings, ids: dict[str, str]) -> dict[str, str]:
    """Each page's article text as `GET /api/articles/<id>` returns it ("" when not found)."""
    app = create_app(settings)
    try:
        return {name: "\n".join(p["text"] for p in get_json(app, f"/api/articles/{aid}").get("paragraphs", []))
                for name, aid in ids.items()}
    finally:
        app.close()


def get_json(app, path: str) -> dict:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    answer = {}
    body = b"".join(app(environ, lambda status, headers, *exc: answer.setdefault("status", status)))
    return json.loads(body) if answer["status"].startswith("200") else {}


def score(truth: dict, predicted: dict[str, str]) -> dict[str, float]:
    """The benchmark's metric over every page of `truth`."""
    counts = [shingle_counts(truth[name]["articleBody"], predicted.get(name, "")) for name in truth]
    precision = mean(_ratio(tp, fp) for tp, fp, fn in counts if tp + fp > 0)
    recall = mean(_ratio(tp, fn) for tp, fp, fn in counts if tp + fn > 0)
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall)}


def shingle_counts(true: str, pred: str) -> tuple[float, float, float]:
    """tp, fp, fn over word 4-gram shingles of one page, normalised to sum 1 so that long
    pages weigh no more than short ones."""
    true_shingles, pred_shingles = _shingles(true), _shingles(pred)
    tp = sum((true_shingles & pred_shingles).values())
    fp = sum((pred_shingles - true_shingles).values())
    fn = sum((true_shingles - pred_shingles).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _shingles(text: str, n: int = 4) -> Counter:
    words = _WORD.findall(text)
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)) if words[i:i + n])


def _ratio(tp: float, other: float) -> float:
    # A page where both texts are empty scores 1 (nothing to find, nothing wrong).
    return 1.0 if tp + other == 0 else tp / (tp + other)


def speed(folder: Path, truth: dict, count: int, tmp: Path) -> None:
    """Pages/s of extraction alone (read + extract, no indexing) and of a full reindex, on a
    WARC of `count` pages (the 61 pages repeated under distinct URLs), with 1 and 2 workers.
    The peak memory after extraction shows whether reading streams (compare two `count`s)."""
    pages = pages_of(folder, truth)
    repeated = [(f"{url}#copy-{n}", html) for n in range(count // len(pages) + 1)
                for url, html in pages][:count]
    archive = write_warc(tmp / "speed.warc.gz", repeated)
    print(f"WARC of {count} pages, {archive.stat().st_size / 1e6:.1f} MB gzipped")
    for workers in (1, 2):
        started, cpu_before = time.monotonic(), _cpu_seconds()
        read = sum(len(b.articles) for b in run_in_order(read_tasks(archive), workers))
        seconds, cpu = time.monotonic() - started, _cpu_seconds() - cpu_before
        print(f"workers={workers}: extraction {read} pages in {seconds:.1f} s = {read / seconds:.1f} pages/s "
              f"({cpu:.1f} CPU s = {read / cpu:.1f} pages per CPU second); peak memory of this "
              f"process so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for workers in (1, 2):
        settings = Settings.from_env({}, index_dir=tmp / f"idx-{workers}", sources=(archive,),
                                     workers=workers)
        report = reindex(settings, full=True)
        print(f"workers={workers}: reindex {report.articles} articles in {report.seconds:.1f} s = "
              f"{report.articles / report.seconds:.1f} pages/s ({report.paragraphs:,} paragraphs)")


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes: on a shared machine,
    pages per CPU second is the figure that does not depend on what else runs."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


if __name__ == "__main__":
    main()
