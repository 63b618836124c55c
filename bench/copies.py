"""Copies found by the build against the exact answer: every pair of paragraphs of at least 10
words whose 5-word-shingle Jaccard is at least 0.8, found here by an exact all-pairs join
(prefix filtering, which prunes only pairs that cannot reach the threshold; no MinHash), and
compared with the groups the index stores (index/store/copies.py's `copy_key`).

    python bench/copies.py --index-dir /tmp/idx

Recall: the share of exact pairs whose two paragraphs the index put in one group. Precision:
the share of the pairs within the index's groups that are exact pairs. Reads the paragraphs from
the index's stored text, so the paragraphs compared are the ones indexed. Also prints the
groups, the articles that are copies of another, and the time of the two computations.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.shingles import COPY_JACCARD, jaccard, shingles  # noqa: E402
from index.store import generations  # noqa: E402
from index.store.columns import compute_columns  # noqa: E402
from index.store.schema import TEXT  # noqa: E402
from index.store.whoosh_private import open_mapped_index  # noqa: E402


def exact_pairs(sets: dict[int, frozenset[str]], threshold: float) -> set[tuple[int, int]]:
    """Every pair with Jaccard >= threshold. Prefix filtering (Chaudhuri et al. 2006): with the
    shingles of each set in one global order (rarest first), two sets that reach the threshold
    share a shingle within the first |s| - ceil(t |s|) + 1 of each; sets are met smallest first,
    and the size bound |a| >= t |b| holds for every such pair."""
    frequency = Counter(s for shingle_set in sets.values() for s in shingle_set)
    seen: dict[str, list[int]] = defaultdict(list)
    found = set()
    for doc in sorted(sets, key=lambda d: len(sets[d])):
        ordered = sorted(sets[doc], key=lambda s: (frequency[s], s))
        prefix = ordered[:len(ordered) - math.ceil(threshold * len(ordered)) + 1]
        candidates = {other for s in prefix for other in seen[s]}
        for other in candidates:
            if jaccard(sets[doc], sets[other]) >= threshold - 1e-12:
                found.add((min(doc, other), max(doc, other)))
        for s in prefix:
            seen[s].append(doc)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    args = ap.parse_args()
    gen_dir = generations.serving_generation(args.index_dir)
    ix = open_mapped_index(gen_dir)
    with ix.reader() as reader:
        started = time.perf_counter()
        arrays, _ = compute_columns(reader)
        grouping = time.perf_counter() - started
        alive = np.flatnonzero(arrays["alive"])
        print(f"reading {len(alive):,} paragraphs' text…", file=sys.stderr)
        sets = {int(d): s for d in alive if (s := shingles(reader.stored_fields(int(d)).get(TEXT, "")))}
    started = time.perf_counter()
    truth = exact_pairs(sets, COPY_JACCARD)
    exact_seconds = time.perf_counter() - started
    key, article_key = arrays["copy_key"], arrays["article_key"]
    stored = {(a, b) for members in _groups(key, arrays["copy_members"])
              for a, b in combinations(sorted(members), 2)}
    recall = sum(key[a] == key[b] for a, b in truth) / len(truth) if truth else 1.0
    precision = len(stored & truth) / len(stored) if stored else 1.0
    print(f"paragraphs of {len(alive):,} with >= 10 words: {len(sets):,}")
    print(f"exact pairs (Jaccard >= {COPY_JACCARD}): {len(truth):,} "
          f"({sum(sets[a] == sets[b] for a, b in truth):,} identical shingle sets), {exact_seconds:.1f} s")
    print(f"index groups: {len(np.unique(key[arrays['copy_members']])):,} holding "
          f"{len(arrays['copy_members']):,} paragraphs, {len(stored):,} pairs within groups")
    print(f"recall {recall:.4f}  precision {precision:.4f}")
    print(f"articles that are copies of another: {int((article_key != np.arange(len(article_key))).sum()):,} "
          f"of {len(article_key):,}")
    print(f"columns with copies computed in {grouping:.1f} s (copies are part of that)")


def _groups(key: np.ndarray, members: np.ndarray) -> list[np.ndarray]:
    if not len(members):
        return []
    keys = key[members]
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return [group.tolist() for group in np.split(members, cuts)]


if __name__ == "__main__":
    main()
