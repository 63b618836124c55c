"""Place facets that count units (search.engine.facets.place_unit_counts): a few matches read
their own (document, place) pairs by document (`Columns.pairs_of`), many matches mark the
precomputed groups; both count what a plain loop over the pairs counts."""
from __future__ import annotations

import numpy as np
import pytest

from search.engine.doc_values import Columns
from search.engine.facets import FEW_MATCHES, place_unit_counts

DOCS, PLACES, ARTICLES = 640, 7, 90


@pytest.fixture(scope="module")
def columns() -> Columns:
    """Random documents of random articles, each with up to four places, the pairs kept in
    place order as the column files keep them."""
    rng = np.random.default_rng(11)
    owners = np.repeat(np.arange(DOCS), rng.integers(0, 5, DOCS)).astype(np.int32)
    entries = rng.integers(0, PLACES, len(owners)).astype(np.int32)
    by_place = np.argsort(entries, kind="stable")
    article = np.sort(rng.integers(0, ARTICLES, DOCS)).astype(np.int32)
    ids = [f"p{i}" for i in range(PLACES)]
    every = np.arange(DOCS, dtype=np.int32)
    return Columns(doc_count=DOCS, alive=np.ones(DOCS, bool), day=np.zeros(DOCS, np.int32),
                   month=np.zeros(DOCS, np.int32), lengths={}, average_lengths={}, place_ids=ids,
                   place_index={p: i for i, p in enumerate(ids)}, place_owner=owners[by_place],
                   place_entry=entries[by_place], article=article, copy_key=every,
                   copy_members=np.zeros(0, np.int32), article_key=np.arange(ARTICLES, dtype=np.int32),
                   word_ids=np.zeros(0, np.int32), word_starts=np.zeros(DOCS + 1, np.int64), words=[])


def looped(columns: Columns, matched: np.ndarray) -> list[int]:
    """Per place, the distinct articles of the matching documents that carry it."""
    seen = [set() for _ in range(PLACES)]
    for owner, entry in zip(columns.place_owner.tolist(), columns.place_entry.tolist()):
        if matched[owner]:
            seen[entry].add(int(columns.article[owner]))
    return [len(s) for s in seen]


@pytest.mark.parametrize("matches", [0, 1, 3, DOCS // FEW_MATCHES - 1, DOCS // FEW_MATCHES, 200, DOCS])
def test_a_place_counts_each_matching_article_once_however_many_matches_there_are(columns, matches):
    rng = np.random.default_rng(matches)
    ids = np.sort(rng.choice(DOCS, matches, replace=False)).astype(np.int32)
    matched = np.zeros(DOCS, bool)
    matched[ids] = True
    counts = place_unit_counts(columns, ids, matched, by_article=True, collapse=False)
    assert counts.tolist() == looped(columns, matched)


def test_a_documents_pairs_are_found_by_document(columns):
    ids = np.array([0, 5, 17, DOCS - 1])
    pairs = columns.pairs_of(ids)
    expected = np.flatnonzero(np.isin(columns.place_owner, ids))
    assert sorted(pairs.tolist()) == expected.tolist()
