"""Copies: which paragraphs repeat another's text (syndicated stories, repeated filings, updates
that repeat paragraphs), and which articles are copies of another, found once per generation
from the committed index's sketches (index/shingles.py) and kept as column arrays.

Linear in the archive, never all pairs: identical paragraphs share their sketch's exact hash
and are grouped by one sort; the remaining distinct texts meet only when they share a MinHash
band key (one sort per band), and each such candidate pair is kept only if the exact Jaccard of
its shingles, read from the stored text, is at least COPY_JACCARD. Groups are the connected
pieces of those pairs. Computed afresh by every build from every document's sketch, so an
incremental build's groups are right whichever files came or went.

The arrays (indexed by global document number, or by article number of the `article` column):
- `copy_key`: the group of each paragraph, named by its lowest document number (its own number
  when it has no copy): search collapses on it.
- `copy_members`: the documents of groups of two or more, in (group, document) order.
- `article_key`: each article's group of copies, named by its earliest article (dated first,
  then first written); an article is in another's group when at least ARTICLE_COPY_SHARE of its
  long paragraphs have a copy in that article.
"""
from __future__ import annotations

import numpy as np

from index.shingles import COPY_JACCARD, jaccard, shingles, sketch_arrays
from index.store.schema import SKETCH, TEXT

ARTICLE_COPY_SHARE = 0.8
# A band bucket of more distinct texts than this (a template many stories fill in) pairs each
# text with its neighbour in the bucket instead of with every other.
MAX_BUCKET_PAIRS = 64
# A group of more paragraphs than this is boilerplate repeated everywhere (a standard notice):
# it makes no article a copy of another.
MAX_ARTICLE_GROUP = 1_000
# Meetings of (group, article) entries joined at a time when finding articles that copy others.
JOIN_SLICE = 1_000_000
ARRAYS = ("copy_key", "copy_members", "article_key")


def compute_copies(reader, article: np.ndarray, alive: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    n = len(article)
    key = np.arange(n, dtype=np.int32)
    articles = int(article.max()) + 1 if n else 0
    if not n or SKETCH not in reader.schema or not reader.has_column(SKETCH):
        # A generation built before copies (or empty): every paragraph is its own group.
        return _arrays(key, np.zeros(0, dtype=np.int32), articles, article, day)
    exact, bands = sketch_arrays(_column_bytes(reader.column_reader(SKETCH)), n)
    sketched = np.flatnonzero((exact != 0) & alive).astype(np.int32)
    if not len(sketched):
        return _arrays(key, sketched, articles, article, day)
    leader = _identical_leaders(sketched, exact[sketched])
    key[sketched] = leader
    distinct = np.unique(leader)
    pairs = _candidate_pairs(distinct, bands[distinct])
    if len(pairs):
        texts = _Shingles(reader)
        kept = np.array([texts.similar(int(a), int(b)) for a, b in pairs], dtype=bool)
        joined = _components(n, pairs[kept])
        key[sketched] = joined[key[sketched]]
    return _arrays(key, sketched, articles, article, day)


def _column_bytes(column) -> bytearray:
    """Every document's sketch end to end (one buffer, not a million small bytes objects)."""
    found = bytearray()
    for value in column:
        found += value
    return found


def _identical_leaders(docs: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """For each document, the lowest document with the same word sequence (same exact hash)."""
    order = np.lexsort((docs, exact))
    sorted_exact = exact[order]
    starts = np.r_[True, sorted_exact[1:] != sorted_exact[:-1]]
    leaders = np.empty(len(docs), dtype=np.int32)
    leaders[order] = docs[order][np.flatnonzero(starts)][np.cumsum(starts) - 1]
    return leaders


def _candidate_pairs(docs: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """(a, b) document pairs, a < b, that share at least one band key."""
    found = []
    for band in range(bands.shape[1]):
        keys = bands[:, band]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(ordered)]
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
            members = docs[order[start:end]]
            if len(members) <= MAX_BUCKET_PAIRS:
                a, b = np.triu_indices(len(members), 1)
                found.append(np.stack([members[a], members[b]], axis=1))
            else:
                members = np.sort(members)
                found.append(np.stack([members[:-1], members[1:]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int32)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


class _Shingles:
    """Shingle sets of the candidates, each read from the stored text once."""

    def __init__(self, reader):
        self._reader = reader
        self._seen: dict[int, frozenset[str]] = {}

    def of(self, doc: int) -> frozenset[str]:
        if doc not in self._seen:
            self._seen[doc] = shingles(self._reader.stored_fields(doc).get(TEXT, ""))
        return self._seen[doc]

    def similar(self, a: int, b: int) -> bool:
        return jaccard(self.of(a), self.of(b)) >= COPY_JACCARD


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """For each of `n` nodes, the lowest node connected to it by `edges` (min-label
    propagation with pointer jumping: a few rounds, as copy groups are shallow)."""
    label = np.arange(n, dtype=np.int32)
    if not len(edges):
        return label
    u, v = edges[:, 0], edges[:, 1]
    while True:
        low = np.minimum(label[u], label[v])
        before = label.copy()
        np.minimum.at(label, u, low)
        np.minimum.at(label, v, low)
        label = label[label]
        if np.array_equal(label, before):
            return label


def _arrays(key: np.ndarray, sketched: np.ndarray, articles: int, article: np.ndarray,
            day: np.ndarray) -> dict[str, np.ndarray]:
    sizes = np.bincount(key, minlength=len(key))
    grouped = np.flatnonzero(sizes[key] > 1).astype(np.int32)
    members = grouped[np.lexsort((grouped, key[grouped]))]
    long_paragraphs = np.bincount(article[sketched], minlength=articles)
    return {"copy_key": key, "copy_members": members,
            "article_key": _article_groups(key, members[sizes[key[members]] <= MAX_ARTICLE_GROUP],
                                           long_paragraphs, article, day)}


def _article_groups(key: np.ndarray, members: np.ndarray, long_paragraphs: np.ndarray,
                    article: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Each article's copy group, named by its earliest article (see the module's docstring)."""
    articles = len(long_paragraphs)
    if not len(members):
        return np.arange(articles, dtype=np.int32)
    a, b, shared = _articles_sharing(key[members], article[members])
    copy = shared >= ARTICLE_COPY_SHARE * np.maximum(long_paragraphs[a], 1)
    rank = _earliest_first(articles, article, day)  # article -> its place in time order
    by_rank = np.argsort(rank).astype(np.int32)
    edges = np.stack([rank[a[copy]], rank[b[copy]]], axis=1).astype(np.int32)
    return by_rank[_components(articles, edges)][rank]


def _articles_sharing(groups: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every ordered pair of different articles (A, B) with paragraphs in a common group:
    A, B, and how many of A's paragraphs have a copy in B. Groups are joined a slice at a time
    (at most JOIN_SLICE meetings of entries), so memory stays bounded when every article of a
    large archive has copies (at 10x the scale corpus, 7 million meetings)."""
    pairs, per_pair = np.unique(np.stack([groups, owners], axis=1), axis=0, return_counts=True)
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    sizes = np.diff(np.r_[starts, len(pairs)])
    articles = int(owners.max()) + 1
    keys, counts = [], []
    for first, last in _slices(starts, sizes):
        joined, shared = _meetings(pairs[first:last], per_pair[first:last], articles)
        keys.append(joined)
        counts.append(shared)
    joined, where = np.unique(np.concatenate(keys), return_inverse=True)
    shared = np.bincount(where, weights=np.concatenate(counts))
    return joined // articles, joined % articles, shared


def _slices(starts: np.ndarray, sizes: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) entry ranges of whole groups, each with at most JOIN_SLICE meetings
    (a group of k entries has k * k), or one group when it alone has more."""
    found, first, meetings = [], 0, 0
    for start, size in zip(starts.tolist(), sizes.tolist()):
        if meetings and meetings + size * size > JOIN_SLICE:
            found.append((first, start))
            first, meetings = start, 0
        meetings += size * size
    found.append((first, int(starts[-1] + sizes[-1])))
    return found


def _meetings(pairs: np.ndarray, per_pair: np.ndarray, articles: int) -> tuple[np.ndarray, np.ndarray]:
    """Within whole groups of (group, article) entries: each (A, B) pair of different articles
    as A * articles + B, and how many of A's paragraphs meet B's (summed per pair)."""
    new_group = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    starts = np.flatnonzero(new_group)
    sizes = np.diff(np.r_[starts, len(pairs)])
    # Each entry meets every entry of its group, itself included: entry i is repeated as often
    # as its group has entries, and the repeats walk through that group.
    width = sizes[np.cumsum(new_group) - 1]
    first = np.repeat(np.arange(len(pairs)), width)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(width) - width, width)
    second = np.repeat(starts, sizes)[first] + offset
    differ = pairs[first, 1] != pairs[second, 1]
    joined, where = np.unique(pairs[first[differ], 1].astype(np.int64) * articles + pairs[second[differ], 1],
                              return_inverse=True)
    return joined, np.bincount(where, weights=per_pair[first[differ]], minlength=len(joined))


def _earliest_first(articles: int, article: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Each article's rank by (date, first document), undated articles last."""
    first_doc = np.full(articles, len(article), dtype=np.int64)
    np.minimum.at(first_doc, article, np.arange(len(article)))
    article_day = np.zeros(articles, dtype=np.int64)
    article_day[article] = day
    dated = np.where(article_day > 0, article_day, np.iinfo(np.int32).max)
    order = np.lexsort((first_doc, dated))
    rank = np.empty(articles, dtype=np.int32)
    rank[order] = np.arange(articles, dtype=np.int32)
    return rank
