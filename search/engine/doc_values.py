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
from index.store.article_vectors import read_article_vectors
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
    copy_key: np.ndarray              # int32 copy group per document (its lowest docnum)
    copy_members: np.ndarray          # int32 documents of groups of two or more, group by group
    article_key: np.ndarray           # int32 copy group per article number (its earliest article)
    word_ids: np.ndarray              # uint16/int32 each paragraph's distinct words, in turn
    word_starts: np.ndarray           # int64 where each paragraph's words start (doc_count + 1)
    words: list[str]                  # word number -> the word (lower-cased, as the text spells it)
    article_vectors: np.ndarray | None = None  # float32 unit vector per article number, or none

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
        made = cls._made(arrays, meta)
        made.article_vectors = read_article_vectors(gen_dir, int(made.article_key.shape[0]))
        return made

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
            article=arrays["article"], copy_key=arrays["copy_key"],
            copy_members=arrays["copy_members"], article_key=arrays["article_key"],
            word_ids=arrays["word_ids"], word_starts=arrays["word_starts"], words=list(meta["words"]),
        )

    @cached_property
    def alive_count(self) -> int:
        """The paragraphs not deleted: the archive's size, as significant words and the status
        count it."""
        return int(np.count_nonzero(self.alive))

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

    def pairs_of(self, ids: np.ndarray) -> np.ndarray:
        """The (document, place) pairs of the distinct documents `ids`, as indexes into
        place_owner and place_entry: a few documents' pairs without a pass over all of them."""
        starts, order = self._pairs_by_document
        return order[_runs(starts, ids)[1]]

    def words_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct words of each document of `ids` (as numbers into `words`), laid end to
        end, and beside each the position in `ids` of the document it is a word of."""
        owner, at = _runs(self.word_starts, np.asarray(ids))
        return owner, self.word_ids[at]

    @cached_property
    def _pairs_by_document(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each document's pairs start in `order`, and `order`: the pairs sorted by
        document (the files keep them by place). Built on first use."""
        order = np.argsort(self.place_owner, kind="stable").astype(np.int32)
        starts = np.zeros(self.doc_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.place_owner, minlength=self.doc_count), out=starts[1:])
        return starts, order

    def units(self, by_article: bool, collapse: bool) -> np.ndarray | None:
        """What one result is, per document: its article, its copy group, or its article's copy
        group; None when a result is the paragraph itself. Totals, facets and trends count
        distinct units, so they count what the list shows."""
        if by_article:
            return self.article_copy if collapse else self.article
        return self.copy_key if collapse else None

    def unit_place_pairs(self, by_article: bool, collapse: bool) -> ArticlePlacePairs:
        """Each (document, place) pair's (unit, place) group, for facets that count units
        (built on first use: one sort of the pairs per generation instead of one per query)."""
        if by_article:
            return self.article_copy_place_pairs if collapse else self.article_place_pairs
        return self.copy_place_pairs

    @cached_property
    def article_place_pairs(self) -> ArticlePlacePairs:
        return ArticlePlacePairs(self.place_owner, self.place_entry, self.article, len(self.place_ids))

    @cached_property
    def article_copy_place_pairs(self) -> ArticlePlacePairs:
        return ArticlePlacePairs(self.place_owner, self.place_entry, self.article_copy, len(self.place_ids))

    @cached_property
    def copy_place_pairs(self) -> ArticlePlacePairs:
        return ArticlePlacePairs(self.place_owner, self.place_entry, self.copy_key, len(self.place_ids))

    @cached_property
    def article_copy(self) -> np.ndarray:
        """Each document's unit when articles are results and copies collapse: the copy group
        (an article number) of the article holding the first paragraph of its text. So an
        article that copies another folds into it, and so does a paragraph it repeats from
        another story (an update's repeated lead), while its own new paragraphs keep it a result."""
        if not len(self.article_key):
            return self.article
        return self.article_key[self.article[self.copy_key]]

    def copies_of(self, docnum: int) -> np.ndarray:
        """The other paragraphs of `docnum`'s copy group, in document order."""
        key = self.copy_key[docnum]
        first, last = np.searchsorted(self._member_keys, [key, key + 1])
        members = self.copy_members[first:last]
        return members[members != docnum]

    def copy_articles(self, article: int) -> np.ndarray:
        """The other articles of `article`'s copy group (article numbers), earliest group name
        first: the article they are copies of, then its other copies."""
        key = self.article_key[article]
        first, last = np.searchsorted(self._article_keys_sorted, [key, key + 1])
        members = self._articles_by_key[first:last]
        members = members[members != article]
        return np.concatenate([members[members == key], members[members != key]])

    def copy_counts(self, docnums: np.ndarray, by_article: bool) -> np.ndarray:
        """How many copies each document has (other paragraphs with its text), or with
        `by_article` how many other articles are in its article's copy group."""
        if by_article:
            return self._article_group_sizes[self.article_key[self.article[docnums]]] - 1
        return self._copy_group_sizes[self.copy_key[docnums]] - 1

    @cached_property
    def _copy_group_sizes(self) -> np.ndarray:
        return np.bincount(self.copy_key, minlength=self.doc_count)

    @cached_property
    def _article_group_sizes(self) -> np.ndarray:
        return np.bincount(self.article_key, minlength=len(self.article_key))

    def first_document(self, article: int) -> int:
        """One document of the article (its first), to read what the article shows."""
        return int(self._first_documents[article])

    @cached_property
    def _member_keys(self) -> np.ndarray:
        return self.copy_key[self.copy_members]

    @cached_property
    def _articles_by_key(self) -> np.ndarray:
        return np.argsort(self.article_key, kind="stable").astype(np.int32)

    @cached_property
    def _article_keys_sorted(self) -> np.ndarray:
        return self.article_key[self._articles_by_key]

    @cached_property
    def _first_documents(self) -> np.ndarray:
        first = np.full(len(self.article_key), self.doc_count, dtype=np.int64)
        live = np.flatnonzero(self.alive)
        np.minimum.at(first, self.article[live], live)
        return first

    @cached_property
    def place_sets(self) -> PlaceSets | None:
        """The documents' interned place sets (built on first use, in well under a second for
        a million paragraphs), or None in the unlikely case that two sets hash alike."""
        try:
            return PlaceSets(self.doc_count, self.place_owner, self.place_entry, len(self.place_ids))
        except ValueError as e:
            log.warning("%s: place facets and filters read every pair", e)
            return None


def _runs(starts: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs [starts[i], starts[i + 1]) of each i in `ids`, laid end to end: each position's
    run number (its index in `ids`) and the positions."""
    first = starts[ids]
    counts = starts[ids + 1] - first
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    return (np.repeat(np.arange(len(ids)), counts),
            np.arange(total) + np.repeat(first - ends + counts, counts))
