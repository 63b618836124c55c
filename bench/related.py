"""Related stories on the Reuters files, judged by the editors' TOPICS tags: precision@10 of
`GET /api/articles/<id>/similar` (the share of the 10 stories that share at least one topic
with the story, over every story that has topics) against a TF-IDF cosine over the whole
article (scikit-learn, the same articles) in the same run, and the latency of `similar`
through the service (what the route answers, snippets included). Progress goes to stderr,
figures to stdout.

    python bench/related.py --index-dir /tmp/idx            # quality and latency, 1x
    python bench/related.py --index-dir /tmp/idx-10 --latency-only --stories 1000   # 10x

The index must have been built from the Reuters files (or, for --latency-only, from a corpus
of bench/make_scale_corpus.py); the topics are read from the .sgm files by NEWID, since the
index never stores them (index/sources/reuters.py leaves the editors' labels out).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.settings import Settings  # noqa: E402
from index.sources import discover_files, read_source  # noqa: E402
from search import SearchService  # noqa: E402
from search.service.related import similar  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
TOP = 10
_RECORD = re.compile(r"<REUTERS\b[^>]*?\bNEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.DOTALL)
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.DOTALL)
_TAG = re.compile(r"<D>(.*?)</D>")


def topics_by_id(source: Path) -> dict[str, frozenset[str]]:
    """NEWID -> the editors' TOPICS tags, for every record that has at least one."""
    found = {}
    for path in sorted(source.glob("*.sgm")):
        text = path.read_text(encoding="latin-1")
        for newid, body in _RECORD.findall(text):
            block = _TOPICS.search(body)
            tags = frozenset(_TAG.findall(block[1])) if block else frozenset()
            if tags:
                found[newid] = tags
    return found


def articles(source: Path) -> list[tuple[str, str]]:
    """(id, title and body) of every article the index holds, read as the index read them."""
    found = []
    for path in discover_files([source]):
        read, _ = read_source(path)
        found += [(a.id, "\n".join([a.title, *a.paragraphs])) for a in read]
    return found


def precision(ids: list[str], story: str, topics: dict[str, frozenset[str]]) -> float:
    """Share of TOP answers sharing a topic with the story (missing answers count as misses)."""
    mine = topics[story]
    return sum(1 for other in ids[:TOP] if topics.get(other, frozenset()) & mine) / TOP


def tfidf_neighbours(docs: list[tuple[str, str]], stories: list[str], **options) -> dict[str, list[str]]:
    """The TOP articles by TF-IDF cosine over the whole article, for each story."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    ids = [i for i, _ in docs]
    matrix = TfidfVectorizer(**options).fit_transform([t for _, t in docs])  # rows L2-normalised
    row = {i: n for n, i in enumerate(ids)}
    found = {}
    for start in range(0, len(stories), 500):
        chunk = stories[start:start + 500]
        sims = (matrix[[row[s] for s in chunk]] @ matrix.T).toarray()
        for k, story in enumerate(chunk):
            sims[k, row[story]] = -1.0
            best = np.argpartition(-sims[k], TOP)[:TOP]
            found[story] = [ids[j] for j in best[np.argsort(-sims[k, best])]]
    return found


def percentiles(samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return (f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, p99 {pick(0.99):.1f} ms, "
            f"mean {statistics.fmean(s):.1f} ms")


def run_similar(service: SearchService, stories: list[str]) -> tuple[dict[str, list[str]], list[float], int]:
    found, took, timed_out = {}, [], 0
    for n, story in enumerate(stories, 1):
        t = time.perf_counter()
        body = similar(service, story, {"page_size": str(TOP), "facets": ""})
        took.append((time.perf_counter() - t) * 1000)
        timed_out += body["timed_out"]
        found[story] = [h["article_id"] for h in body["hits"]]
        if n % 1000 == 0:
            print(f"  similar: {n}/{len(stories)}", file=sys.stderr, flush=True)
    return found, took, timed_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, required=True, help="an index of the Reuters files")
    ap.add_argument("--source", type=Path, default=REUTERS, help="the Reuters .sgm files")
    ap.add_argument("--stories", type=int, default=0, help="judge a random sample (0: every story)")
    ap.add_argument("--latency-only", action="store_true",
                    help="time `similar` for random articles of the index (a scale corpus)")
    args = ap.parse_args()
    service = SearchService(args.index_dir, Settings.from_env({}, index_dir=args.index_dir))
    rng = random.Random(42)
    if args.latency_only:
        with service.using() as served:
            ids = sorted({s["article_id"] for s in served.gen.stored_fields(
                rng.sample(range(served.gen.columns.doc_count), 3 * max(args.stories, 1)))})
        stories = rng.sample(ids, min(len(ids), args.stories or 1000))
        similar(service, stories[0], {})  # the first call warms the generation's caches
        _, took, timed_out = run_similar(service, stories)
        print(f"similar, {len(stories)} articles of {args.index_dir}: {percentiles(took)}; "
              f"timed out: {timed_out}")
        return
    topics = topics_by_id(args.source)
    docs = articles(args.source)
    stories = [i for i, _ in docs if i in topics]
    if args.stories:
        stories = sorted(rng.sample(stories, args.stories))
    print(f"articles: {len(docs):,}; stories with topics judged: {len(stories):,}")
    similar(service, stories[0], {})
    found, took, timed_out = run_similar(service, stories)
    ours = statistics.fmean(precision(found[s], s, topics) for s in stories)
    print(f"similar (ours)              P@10 {ours:.4f}   latency {percentiles(took)}; timed out: {timed_out}")
    baselines = {"tf-idf, sklearn defaults": {},
                 "tf-idf, English stop words, sublinear tf": {"stop_words": "english", "sublinear_tf": True}}
    found = {}
    for name, options in baselines.items():
        t = time.perf_counter()
        neighbours = tfidf_neighbours(docs, stories, **options)
        found[name] = statistics.fmean(precision(neighbours[s], s, topics) for s in stories)
        print(f"{name:<40} P@10 {found[name]:.4f}   ({time.perf_counter() - t:.1f} s for all)")
    for name, p in found.items():
        print(f"ours / {name}: {ours / p:.3f} (target >= 1.05)")
    service.close()


if __name__ == "__main__":
    main()
