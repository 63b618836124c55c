"""Index size on disk over repeated incremental reindexes, with and without the merge that runs
when deleted documents pass MERGE_DELETED_SHARE; and the cost of verifying a generation's
checksums. Uses the Reuters-21578 files in ../shared (copies; the originals are never touched).

    python bench/index_growth.py [--files 6] [--runs 10] [--workers 2]
    python bench/index_growth.py --verify-only INDEX_DIR   # time verify_generation on a built index

Each run appends a blank line to one file (in turn), so that file is re-read: its paragraphs are
deleted and added again, which is what an edited archive file costs.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from index import build  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.store import generations  # noqa: E402

REUTERS = PROJECT.parent / "shared" / "data" / "reuters21578"


def sizes_over_runs(files: int, runs: int, workers: int, merge: bool, scratch: Path) -> list[float]:
    archive = scratch / ("archive-merge" if merge else "archive-nomerge")
    archive.mkdir()
    for source in sorted(REUTERS.glob("*.sgm"))[:files]:
        shutil.copy(source, archive / source.name)
    settings = Settings.from_env({}, index_dir=scratch / ("idx-merge" if merge else "idx-nomerge"),
                                 sources=(archive,), workers=workers)
    threshold = build.MERGE_DELETED_SHARE
    build.MERGE_DELETED_SHARE = threshold if merge else 1.0  # off: never merge
    try:
        sizes = [build.reindex(settings).index_bytes / 1e6]
        targets = sorted(archive.iterdir())
        for run in range(runs):
            with open(targets[run % len(targets)], "ab") as f:
                f.write(b"\n")
            sizes.append(build.reindex(settings).index_bytes / 1e6)
    finally:
        build.MERGE_DELETED_SHARE = threshold
    return sizes


def verify_cost(index_dir: Path, repeats: int = 3) -> None:
    gen_dir = generations.serving_generation(index_dir)
    files = generations.read_manifest(gen_dir).get(generations.CHECKSUMS, {})
    size = generations.folder_size(gen_dir) / 1e6
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        problem = generations.verify_generation(gen_dir)
        timings.append(time.perf_counter() - started)
    print(f"verify_generation({gen_dir.name}): {len(files)} files, {size:.1f} MB, "
          f"result {problem!r}, best of {repeats}: {min(timings):.3f} s (page cache warm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--verify-only", type=Path, metavar="INDEX_DIR")
    args = parser.parse_args()
    if args.verify_only:
        verify_cost(args.verify_only)
        return
    if not REUTERS.is_dir():
        sys.exit(f"needs {REUTERS}")
    with tempfile.TemporaryDirectory(prefix="index-growth-") as tmp:
        for merge in (False, True):
            sizes = sizes_over_runs(args.files, args.runs, args.workers, merge, Path(tmp))
            label = "merge at threshold" if merge else "never merge"
            print(f"{label:>19}: " + " -> ".join(f"{s:.1f}" for s in sizes) + " MB")
        verify_cost(Path(tmp) / "idx-merge")


if __name__ == "__main__":
    main()
