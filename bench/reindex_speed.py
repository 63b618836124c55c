"""Reindex speed on the Reuters-21578 files in ../shared: a full build, then a reindex with
nothing changed, then one with a single file touched. Prints paragraphs/s, seconds and peak
memory (resident set of the builder and its worker processes together, sampled every 0.2 s,
and each one's own peak from getrusage).

    python bench/reindex_speed.py [--workers N] [--files 18] [--baseline]
    python bench/reindex_speed.py --corpus /tmp/scale-4 --index-dir /tmp/scale-4-index

`--corpus` builds from a folder made by `bench/make_scale_corpus.py` instead (full build and
the reindex with nothing changed; the corpus itself is never touched); `--index-dir` keeps the
index there for `bench/search_speed.py --index-dir` (default: a temporary folder).

Each full build also prints its stages' times (the gazetteer, reading and indexing, finishing
the segments, columns and posting store, places, checksums, the switch).

`--baseline` also times a straightforward Whoosh build of the same paragraphs (Whoosh's own
StemmingAnalyzer, stored text, procs=1 and procs=2) in the same run, for a ratio that does not
depend on how busy the machine is.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
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
    parser.add_argument("--corpus", type=Path, help="a folder from bench/make_scale_corpus.py")
    parser.add_argument("--index-dir", type=Path, help="build here and keep it (default: temporary)")
    args = parser.parse_args()
    if args.corpus is not None:
        scale_build(args.corpus, args.index_dir, args.workers)
        return
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
              f"index {full.index_bytes / 1e6:.0f} MB; load average {os.getloadavg()[0]:.2f}")
        print(stage_line(full))
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


def scale_build(corpus: Path, index_dir: Path | None, workers: int) -> None:
    """A full build of the scale corpus with its peak memory, then a reindex with nothing changed."""
    if not corpus.is_dir():
        sys.exit(f"no corpus at {corpus}: run bench/make_scale_corpus.py --out {corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, index_dir=index_dir or Path(tmp) / "idx", sources=(corpus,),
                                     workers=workers)
        print(f"machine: {os.cpu_count()} cores; workers={workers}; corpus={corpus}; "
              f"load average {os.getloadavg()[0]:.2f}")
        with PeakMemory() as peak:
            full = reindex(settings, full=True)
        print(f"full reindex: {full.paragraphs_written:,} paragraphs, {full.articles:,} articles "
              f"in {full.seconds:.1f} s = {full.paragraphs_per_second:,.0f} paragraphs/s; "
              f"index {full.index_bytes / 1e6:.0f} MB")
        print(stage_line(full))
        print(f"peak memory: {peak.total / 1e6:,.0f} MB builder + workers together (sampled; "
              f"{peak.anonymous / 1e6:,.0f} MB of it not file-backed, i.e. not index files mapped "
              f"in); builder {peak.own / 1e6:,.0f} MB, largest worker {peak.largest_child / 1e6:,.0f} MB")
        same = reindex(settings)
        print(f"reindex, nothing changed: {same.seconds:.2f} s (up to date: {same.up_to_date})")


def stage_line(report) -> str:
    """Each stage's seconds (index/stages.py), and what is left: reading the files."""
    stages = report.stage_seconds
    reading = report.seconds - sum(stages.values())
    return "stages: " + ", ".join(f"{name} {seconds:.1f} s"
                                  for name, seconds in [("reading and indexing", reading), *stages.items()])


class PeakMemory:
    """Peak resident memory of this process and its descendants: their sum sampled every
    0.2 s (workers run at the same time, so the sum is what the machine must hold), the same
    sum without file-backed pages (Whoosh maps index files in: those pages count as resident
    but are the page cache's to drop), and each one's own peak from getrusage (exact, but the
    children's is the largest one, not a sum)."""

    INTERVAL = 0.2

    def __enter__(self):
        self.total = self.anonymous = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.largest_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        self.total = max(self.total, self.own)

    def _sample(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            sizes = [_rss(pid) for pid in _tree(os.getpid())]
            self.total = max(self.total, sum(total for total, _ in sizes))
            self.anonymous = max(self.anonymous, sum(anonymous for _, anonymous in sizes))


def _tree(pid: int) -> list[int]:
    """`pid` and every process descended from it (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found


def _rss(pid: int) -> tuple[int, int]:
    """(resident bytes, resident bytes not backed by a file) of one process (Linux /proc)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "RssAnon:")):
                    name, kb = line.split()[:2]
                    found[name] = int(kb) * 1024
    except OSError:
        pass
    return found.get("VmRSS:", 0), found.get("RssAnon:", 0)


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
