"""Matching articles per place, from the generation's (document, place) pairs: each pair's
(article, place) group found once per generation, so a facet of group=article marks the groups
its matches reach and counts them, linear in the pairs, with no sort per query.

Pure numpy over the generation's columns; imports nothing from the project, no Whoosh.
"""
from __future__ import annotations

import numpy as np


class ArticlePlacePairs:
    """The (article, place) group of every (document, place) pair.

    An article repeats its places across its paragraphs (the dateline's city and country are on
    every one), so there are far fewer groups than pairs. With the pairs kept in group order, a
    query's count per place is one gather of the pairs' matches, one segmented "any" per group
    (a group reached by two paragraphs counts once) and one bincount of the reached groups'
    places: sequential passes, no sort and no scattered writes.
    """

    def __init__(self, owners: np.ndarray, entries: np.ndarray, articles: np.ndarray,
                 place_count: int):
        self.place_count = place_count
        self.owners = np.asarray(owners)
        codes = (np.asarray(articles)[self.owners].astype(np.int64) * max(place_count, 1)
                 + np.asarray(entries, dtype=np.int64))
        # Sorting once here (tens of ms for a million pairs) is what spares every query its
        # sort; the pairs are kept in group order, so a group's pairs are neighbours.
        order = np.argsort(codes, kind="stable")
        ordered = codes[order]
        starts = np.empty(len(ordered), dtype=bool)
        starts[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        self.owners = self.owners[order]
        self.group_starts = np.flatnonzero(starts)
        self.group_place = (ordered[starts] % max(place_count, 1)).astype(np.int32)

    def counts(self, matched: np.ndarray) -> np.ndarray:
        """Matching articles per place index, for a boolean `matched` mask over documents: an
        article counts once for a place however many of its matching paragraphs carry it."""
        if not len(self.group_starts):
            return np.zeros(self.place_count, dtype=np.int64)
        reached = np.logical_or.reduceat(matched[self.owners], self.group_starts)
        return np.bincount(self.group_place[reached], minlength=self.place_count)
