"""The scale corpus: the 18 shared Reuters files copied N times as JSONL, for measuring the
index at 4× and 10× today's archive. Copy k's dates are moved k × 5 years later and its article
ids prefixed `c<k>-`, so copies never collide and date filters still pick out one copy's days.

    python bench/make_scale_corpus.py --copies 4 --out /tmp/scale-4

Writes one `.jsonl` file per copy and Reuters file (`copy-<k>/reut2-000.jsonl`, …): a build
reads and hashes them one at a time, as it would a real archive of many files. Prints what it
wrote; the folder is then a source for `bench/search_speed.py --corpus` and
`bench/reindex_speed.py --corpus`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.sources import discover_files, read_source  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
YEARS_PER_COPY = 5


def shifted(day: dt.date | None, years: int) -> dt.date | None:
    """The same calendar day `years` later (29 February becomes the 28th in a common year)."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def record(article, copy: int) -> dict:
    """One JSONL line: the article as copy `copy` holds it."""
    day = shifted(article.date, copy * YEARS_PER_COPY)
    return {"id": f"c{copy}-{article.id}", "title": article.title,
            "date": day.isoformat() if day else None, "author": article.author,
            "url": article.url, "dateline": article.dateline, "paragraphs": list(article.paragraphs)}


def write_corpus(sources: list[Path], copies: int, out: Path) -> tuple[int, int]:
    """Write the corpus; returns (articles, paragraphs) written. Each source file is read once
    and written `copies` times, so memory holds one file's articles at a time."""
    articles = paragraphs = 0
    for k in range(copies):
        (out / f"copy-{k}").mkdir(parents=True, exist_ok=True)
    for path in sources:
        found, _ = read_source(path)
        for k in range(copies):
            target = out / f"copy-{k}" / f"{Path(path).stem}.jsonl"
            with open(target, "w", encoding="utf-8") as f:
                for article in found:
                    f.write(json.dumps(record(article, k), ensure_ascii=False) + "\n")
        articles += copies * len(found)
        paragraphs += copies * sum(len(a.paragraphs) for a in found)
    return articles, paragraphs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, required=True, help="how many copies of the archive (1 or more)")
    ap.add_argument("--out", type=Path, required=True, help="folder to write (created; files replaced)")
    ap.add_argument("--source", type=Path, default=REUTERS, help="the Reuters files (default ../shared)")
    args = ap.parse_args()
    if args.copies < 1:
        sys.exit("--copies must be 1 or more")
    if not args.source.is_dir():
        sys.exit(f"needs {args.source} (the shared Reuters files)")
    sources = [p for p in discover_files([args.source]) if p.suffix == ".sgm"]
    articles, paragraphs = write_corpus(sources, args.copies, args.out)
    print(f"{args.out}: {args.copies} copies of {len(sources)} files: "
          f"{articles:,} articles, {paragraphs:,} paragraphs")


if __name__ == "__main__":
    main()
