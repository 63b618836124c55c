"""Relevance on the Cranfield collection: nDCG@10, MAP and recall@100 for the 225 queries run
with match=any through SearchService, on an index of the 1,400 documents (title + text),
without and with expand=true (RM3 pseudo-relevance feedback), one line each.

Gains (the collection's TREC-format judgments): grade 1 -> 4, 2 -> 3, 3 -> 2, 4 -> 1, -1 -> 5;
every judged document counts as relevant for MAP and recall.

    python bench/cranfield.py [--work-dir bench/results/cranfield] [--expand off on]
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import reindex  # noqa: E402
from index.settings import Settings  # noqa: E402
from search import SearchService  # noqa: E402

CRANFIELD = ROOT.parent / "shared" / "data" / "cranfield"
GAINS = {1: 4, 2: 3, 3: 2, 4: 1, -1: 5}


def records(path: Path) -> list[dict[str, str]]:
    """`.I` records with their `.X` fields as text."""
    out, field = [], None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"^\.([A-Z])\b\s*(.*)$", line)
        if m and m.group(1) == "I":
            out.append({"I": m.group(2).strip()})
            field = None
        elif m:
            field = m.group(1)
            out[-1][field] = ""
        elif field:
            out[-1][field] += " " + line.strip()
    return out


def write_archive(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "cranfield.jsonl", "w", encoding="utf-8") as f:
        for r in records(CRANFIELD / "cran.all.1400"):
            text = " ".join(r.get("W", "").split()) or " ".join(r.get("T", "").split()) or "(empty)"
            f.write(json.dumps({"id": r["I"], "title": " ".join(r.get("T", "").split()),
                                "date": None, "author": "", "url": "", "dateline": "",
                                "paragraphs": [text]}) + "\n")
    return folder


def judgments() -> dict[int, dict[str, int]]:
    qrels: dict[int, dict[str, int]] = defaultdict(dict)
    for line in (CRANFIELD / "cranqrel").read_text().split("\n"):
        parts = line.split()
        if len(parts) >= 3:
            qrels[int(parts[0])][parts[1]] = GAINS[int(parts[2])]
    return qrels


def ndcg_at(ranked: list[str], gains: dict[str, int], k: int = 10) -> float:
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for i, d in enumerate(ranked, start=1):
        if d in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant) if relevant else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work-dir", type=Path, default=ROOT / "bench" / "results" / "cranfield")
    ap.add_argument("--expand", nargs="+", choices=("off", "on"), default=["off", "on"],
                    help="runs without (off) and with (on) expand=true; default both")
    args = ap.parse_args()
    if not CRANFIELD.is_dir():
        sys.exit(f"needs {CRANFIELD} (the shared Cranfield collection)")
    archive = write_archive(args.work_dir / "archive")
    settings = Settings.from_env({}, index_dir=args.work_dir / "index", sources=(archive,), workers=1)
    reindex(settings, if_needed=True)
    service = SearchService(settings.index_dir, settings)
    qrels = judgments()
    queries = [" ".join(q.get("W", "").split()) for q in records(CRANFIELD / "cran.qry")]
    print(f"queries: {len(queries)}  (gains 1->4, 2->3, 3->2, 4->1, -1->5)")
    for expand in args.expand:
        ndcgs, aps, recalls = [], [], []
        started = time.perf_counter()
        for n, text in enumerate(queries, start=1):
            body = service.search({"q": text, "match": "any", "page_size": "100", "facets": "",
                                   "expand": "true" if expand == "on" else "false"})
            ranked = [h["article_id"] for h in body["hits"]]
            gains = qrels.get(n, {})
            ndcgs.append(ndcg_at(ranked, gains))
            aps.append(average_precision(ranked, set(gains)))
            recalls.append(len(set(ranked) & set(gains)) / len(gains) if gains else 0.0)
        elapsed = time.perf_counter() - started
        mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
        print(f"expand {expand:<3}  nDCG@10 {mean(ndcgs):.4f}   MAP(@100) {mean(aps):.4f}   "
              f"recall@100 {mean(recalls):.4f}   ({elapsed / len(ndcgs) * 1000:.1f} ms/query)")
    service.close()


if __name__ == "__main__":
    main()
