"""Reindex speed on the Reuters-21578 files in ../shared: a full build, then a reindex with
nothing changed, then one with a single file touched. Prints paragraphs/s and seconds.

    python bench/reindex_speed.py [--workers N] [--files 18] [--baseline]

`--baseline` also times a straightforward Whoosh build of the same paragraphs (Whoosh's own
StemmingAnalyzer, stored text, procs=1 and procs=2) in the same run, for a ratio that does not
depend on how busy the machine is.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from whoosh import fields, index as whoosh_index  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.sources import read_source  # noqa: E402

REUTERS = PROJECT.parent / "shared" / "data" / "reuters21578"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--files", type=int, default=18)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if not REUTERS.is_dir():
        sys.exit(f"needs {REUTERS} (the shared Reuters files)")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        archive.mkdir()
        for path in sorted(REUTERS.glob("reut2-*.sgm"))[: args.files]:
            shutil.copy(path, archive / path.name)
        settings = Settings.from_env({}, index_dir=Path(tmp) / "idx", sources=(archive,),
                                     workers=args.workers)
        print(f"machine: {os.cpu_count()} cores; workers={args.workers}; files={args.files}")
        full = reindex(settings, full=True)
        print(f"full reindex: {full.paragraphs_written:,} paragraphs, {full.articles:,} articles "
              f"in {full.seconds:.1f} s = {full.paragraphs_per_second:,.0f} paragraphs/s; "
              f"index {full.index_bytes / 1e6:.0f} MB")
        same = reindex(settings)
        print(f"reindex, nothing changed: {same.seconds:.2f} s (up to date: {same.up_to_date})")
        touched = archive / "reut2-000.sgm"
        touched.write_bytes(touched.read_bytes() + b"\n")
        one = reindex(settings)
        print(f"reindex, one file changed: {one.seconds:.1f} s ({one.paragraphs_written:,} paragraphs re-read)")
        if args.baseline:
            paragraphs = [(a.id, n, a.title, text) for p in sorted(archive.glob("*.sgm"))
                          for a in read_source(p)[0] for n, text in enumerate(a.paragraphs)]
            for procs in (1, 2):
                seconds = plain_whoosh_build(paragraphs, Path(tmp) / f"plain-{procs}", procs)
                print(f"plain Whoosh build, procs={procs}: {len(paragraphs) / seconds:,.0f} paragraphs/s "
                      f"({seconds:.1f} s, writing only)")


def plain_whoosh_build(paragraphs, folder: Path, procs: int) -> float:
    folder.mkdir()
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), title=fields.TEXT(stored=True),
                           text=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True))
    ix = whoosh_index.create_in(str(folder), schema)
    started = time.monotonic()
    with ix.writer(procs=procs, limitmb=256) as writer:
        for aid, n, title, text in paragraphs:
            writer.add_document(id=f"{aid}:{n}", title=title, text=text)
    return time.monotonic() - started


if __name__ == "__main__":
    main()
