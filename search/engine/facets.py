"""Facet counts over the matches, from the generation's doc values: days, months and years (of
paragraphs, or of distinct articles), and places per article. Pure numpy; sort-based
(`search.engine.arrays`) or by marking precomputed groups, never np.unique's hashing on large
inputs."""
from __future__ import annotations

import datetime as dt

import numpy as np

from search.engine.arrays import distinct
from search.engine.doc_values import Columns

# Below one matching document in this many, article facets sort the matches' own pairs; above,
# they mark precomputed groups (1.4 ms flat on the Reuters files; the sort costs 0.6 ms at 1 %
# of the documents, 7 ms at 10 %, 17 ms at all).
FEW_MATCHES = 32


def month_counts(columns: Columns, ids: np.ndarray, units: np.ndarray | None = None) -> list[tuple[str, int]]:
    """("YYYY-MM", count) for the dated documents among `ids` (or their distinct units: each
    document's article or copy group, `Columns.units`)."""
    keys, counts = _key_counts(columns.month[ids], units[ids] if units is not None else None)
    return [(f"{k // 100:04d}-{k % 100:02d}", int(c)) for k, c in zip(keys, counts) if k]


def day_counts(columns: Columns, ids: np.ndarray, units: np.ndarray | None = None) -> list[tuple[str, int]]:
    """("YYYY-MM-DD", count) for the dated documents among `ids` (or their distinct units)."""
    keys, counts = _key_counts(columns.day[ids], units[ids] if units is not None else None)
    return [(dt.date.fromordinal(int(k)).isoformat(), int(c)) for k, c in zip(keys, counts) if k]


def year_counts(columns: Columns, ids: np.ndarray, units: np.ndarray | None = None) -> list[tuple[str, int]]:
    keys, counts = _key_counts(columns.month[ids] // 100, units[ids] if units is not None else None)
    return [(f"{k:04d}", int(c)) for k, c in zip(keys, counts) if k]


def place_unit_counts(columns: Columns, ids: np.ndarray, matched: np.ndarray, by_article: bool,
                      collapse: bool) -> np.ndarray:
    """Matching units per place index (articles, copy groups or articles' copy groups:
    `Columns.units`), for the matching documents `ids` (distinct) and their boolean `matched`
    mask: a unit counts once for a place however many of its matching paragraphs carry it
    (facets of group=article, and of collapsed copies).

    Many matches: the (article, place) groups their pairs reach (`ArticlePlacePairs`, one pass,
    no sort); a few (under 1/FEW_MATCHES of the documents): a sort of their own pairs, found by
    document (`Columns.pairs_of`), which is then cheaper than a pass over every group or every
    pair (0.7 ms of a first view of the page). Either way the grouped page's search stays
    within 20 % of the paragraph page's (docs/benchmarks.md)."""
    places = len(columns.place_ids)
    if not places:
        return np.zeros(places, dtype=np.int64)
    if len(ids) * FEW_MATCHES >= columns.doc_count:
        return columns.unit_place_pairs(by_article, collapse).counts(matched)
    pairs = columns.pairs_of(ids)
    articles = columns.units(by_article, collapse)[columns.place_owner[pairs]].astype(np.int64)
    pairs = distinct(articles * places + columns.place_entry[pairs])
    return np.bincount(pairs % places, minlength=places)


def _key_counts(keys: np.ndarray, articles: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys and how many documents have each, or how many distinct units when
    `articles` (each document's unit: article number or copy group) is given."""
    if articles is None or not len(keys):
        return _distinct_counts(keys)
    width = int(articles.max()) + 1
    pairs = distinct(keys.astype(np.int64) * width + articles)
    return np.unique(pairs // width, return_counts=True)


def _distinct_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_counts=True) without sorting, when the keys other than 0
    (undated) span a narrow range, as months and years do: one bincount over that range,
    linear in the matches."""
    dated = keys[keys != 0]
    if not len(dated):
        return np.unique(keys, return_counts=True)
    low, high = int(dated.min()), int(dated.max())
    if high - low > 4 * len(dated) + 4096:
        return np.unique(keys, return_counts=True)
    counts = np.bincount(dated - low, minlength=high - low + 1)
    present = np.flatnonzero(counts)
    undated = len(keys) - len(dated)
    if undated:
        return np.concatenate(([0], present + low)), np.concatenate(([undated], counts[present]))
    return present + low, counts[present]
