"""Copies on what the API returns: the other paragraphs (or articles) with the same text as a
hit, the copies of each paragraph of an article, and which article an article is a copy of.

The groups themselves are found by the build (index/store/copies.py) and read as columns
(search.engine.doc_values); this module turns their document numbers into ids, titles and
dates, reading each listed copy's stored fields once per request.
"""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import numpy as np

from index.store.schema import DISPLAY_TITLE, TITLE

# A hit lists at most this many of its copies (earliest first); `copy_count` says how many.
MAX_LISTED = 20


def story_link(stored: dict) -> dict:
    """What a list of copies shows of one: its ids, title, date and page."""
    article_id = str(stored.get("article_id"))
    return {"id": stored.get("id"), "article_id": article_id,
            "title": stored.get(DISPLAY_TITLE) or stored.get(TITLE, ""),
            "date": stored.get("date") or None,
            "url": f"/article/{quote(article_id, safe='')}#p{stored.get('para')}"}


def hit_copies(gen, docnums: Sequence[int], by_article: bool) -> list[dict]:
    """For each hit's document: `copies` (ids of the other paragraphs with its text, or with
    `by_article` of the other articles it stands for: `_other_articles`; earliest first, at most
    MAX_LISTED), `copy_count` (all of them) and `copy_stories` (the listed ones' titles, dates
    and links, for the page)."""
    columns = gen.columns
    # Most hits have no copy at all: their groups have one member (one look-up for them all).
    numbers = np.asarray(docnums, dtype=np.int64)
    alone = columns.copy_counts(numbers, False) == 0
    if by_article:
        alone &= columns.copy_counts(numbers, True) == 0
    found = []
    for docnum, single in zip(docnums, alone.tolist()):
        if single:
            found.append([])
            continue
        if by_article:
            others = np.array([columns.first_document(a) for a in _other_articles(columns, docnum)],
                              dtype=np.int64)
        else:
            others = columns.copies_of(docnum)
        found.append(_earliest(columns, others))
    listed = [d for docs in found for d in docs[:MAX_LISTED]]
    stored = dict(zip(listed, gen.stored_fields(listed))) if listed else {}
    key = "article_id" if by_article else "id"
    return [{"copies": [stored[d].get(key) for d in docs[:MAX_LISTED]], "copy_count": len(docs),
             "copy_stories": [story_link(stored[d]) for d in docs[:MAX_LISTED]]} for docs in found]


def _other_articles(columns, docnum: int) -> list[int]:
    """The articles an article hit stands for besides its own: its copy group's, and those that
    print its paragraph (what collapsing by `Columns.article_copy` folds into it)."""
    own = int(columns.article[docnum])
    found = dict.fromkeys(int(a) for a in columns.copy_articles(own))
    found.update(dict.fromkeys(int(a) for a in columns.article[columns.copies_of(docnum)]))
    found.pop(own, None)
    return list(found)


def paragraph_copies(gen, docnums: Sequence[int]) -> list[list[str]]:
    """The ids of each paragraph's copies (earliest first, at most MAX_LISTED each)."""
    found = [_earliest(gen.columns, gen.columns.copies_of(d))[:MAX_LISTED] for d in docnums]
    listed = [d for docs in found for d in docs]
    stored = dict(zip(listed, gen.stored_fields(listed))) if listed else {}
    return [[stored[d].get("id") for d in docs] for docs in found]


def article_copy_of(gen, docnum: int) -> tuple[dict | None, list[dict]]:
    """The article this one is a copy of (the earliest of its copy group, when that is not
    itself), and the other articles of its group: each as `story_link` shows it."""
    columns = gen.columns
    article = int(columns.article[docnum])
    group = int(columns.article_key[article])
    others = _earliest(columns, np.array([columns.first_document(a) for a in columns.copy_articles(article)],
                                         dtype=np.int64))
    stored = dict(zip(others, gen.stored_fields(others))) if others else {}
    original = columns.first_document(group) if group != article else None
    return (story_link(stored[original]) if original is not None else None,
            [story_link(stored[d]) for d in others if d != original][:MAX_LISTED])


def _earliest(columns, docs: np.ndarray) -> list[int]:
    """The documents by date (undated last), then document number."""
    if not len(docs):
        return []
    day = columns.day[docs]
    order = np.lexsort((docs, np.where(day > 0, day, np.iinfo(np.int32).max)))
    return [int(d) for d in docs[order]]
