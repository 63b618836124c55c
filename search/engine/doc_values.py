"""A generation's doc values (Lucene's name): per-document day, month, place ids, field lengths
and article numbers, from the column files `index/store/columns.py` writes, memory-mapped.
Filters become boolean masks over document numbers; place counts come from the place sets.
Never imports search.service.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.store import columns as stored
from search.engine.article_places import ArticlePlacePairs
from search.engine.place_sets import PlaceSets

log = logging.getLogger(__name__)

@dataclass
class Columns:
    """Arrays indexed by global document number, loaded once per generation (read-only after)."""

    doc_count: int
    alive: np.ndarray                 # bool: not deleted
    day: np.ndarray                   # int32 date ordinal, 0 = undated
    month: np.ndarray                 # int32 year*100+month, 0 = undated
    lengths: dict[str, np.ndarray]    # field -> float32 length per document
    average_lengths: dict[str, float]
    place_ids: list[str]              # place index -> place id
    place_index: dict[str, int]
    place_owner: np.ndarray           # int32 docnum of each (doc, place) pair
    place_entry: np.ndarray           # int32 place index of each pair
    article: np.ndarray               # int32 article number per document (for grouping)

    @classmethod
    def opened(cls, gen_dir: Path, reader) -> "Columns":
        """The generation's column files, memory-mapped (read-only, shared between processes
        through the page cache); computed from `reader` for a generation built without them."""
        found = stored.read_columns(gen_dir)
        if found is None:
            log.warning("%s has no current column files; computing them (reindex to store them)",
                        gen_dir)
            return cls.computed(reader)
        arrays, meta = found
        return cls._made(arrays, meta)

    @classmethod
    def computed(cls, reader) -> "Columns":
        """The columns computed in memory from a Whoosh reader (what the build stores)."""
        return cls._made(*stored.compute_columns(reader))

    @classmethod
    def _made(cls, arrays: dict[str, np.ndarray], meta: dict) -> "Columns":
        ids = list(meta["place_ids"])
        return cls(
            doc_count=int(meta["doc_count"]), alive=arrays["alive"], day=arrays["day"],
            month=arrays["month"],
            lengths={name: arrays[f"length_{name}"] for name in stored.LENGTH_FIELDS},
            average_lengths=dict(meta["average_lengths"]),
            place_ids=ids, place_index={pid: i for i, pid in enumerate(ids)},
            place_owner=arrays["place_owner"], place_entry=arrays["place_entry"],
            article=arrays["article"],
        )

    def date_mask(self, first: dt.date | None, last: dt.date | None) -> np.ndarray | None:
        """Documents dated within [first, last]; undated documents never match a date filter."""
        if first is None and last is None:
            return None
        mask = self.day > 0
        if first is not None:
            mask &= self.day >= first.toordinal()
        if last is not None:
            mask &= self.day <= last.toordinal()
        return mask

    def place_mask(self, place_ids: list[str]) -> np.ndarray:
        """Documents that carry any of the ids (ancestors included, so a country has its cities)."""
        wanted = np.zeros(len(self.place_ids) + 1, dtype=bool)
        for pid in place_ids:
            if pid in self.place_index:
                wanted[self.place_index[pid]] = True
        if self.place_sets is not None:
            return self.place_sets.mask(wanted)
        mask = np.zeros(self.doc_count, dtype=bool)
        mask[self.place_owner[wanted[self.place_entry]]] = True
        return mask

    def place_counts(self, matched: np.ndarray) -> np.ndarray:
        """Matching documents per place index, for a boolean `matched` mask."""
        if self.place_sets is not None:
            return self.place_sets.counts(matched)
        return np.bincount(self.place_entry[matched[self.place_owner]], minlength=len(self.place_ids))

    @cached_property
    def article_place_pairs(self) -> ArticlePlacePairs:
        """Each (document, place) pair's (article, place) group, for article facets (built on
        first use: one sort of the pairs per generation instead of one per query)."""
        return ArticlePlacePairs(self.place_owner, self.place_entry, self.article,
                                 len(self.place_ids))

    @cached_property
    def place_sets(self) -> PlaceSets | None:
        """The documents' interned place sets (built on first use, in well under a second for
        a million paragraphs), or None in the unlikely case that two sets hash alike."""
        try:
            return PlaceSets(self.doc_count, self.place_owner, self.place_entry, len(self.place_ids))
        except ValueError as e:
            log.warning("%s: place facets and filters read every pair", e)
            return None
