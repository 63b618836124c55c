"""A paragraph's stored record made whole again, as every part of the service reads it.

The build stores each record small (index/store/schema.py): what is the article's (title,
date, author, dateline, url, source, the title shown) only in its first paragraph, places as
ids, no empty values, no paragraph id. Here a record gets all of that back: the article's fields
from its first paragraph (found through the article column), the places described from the
generation's places table, the empty values, the id. A record that already has them (a
generation built before the compact record) passes through unchanged.
"""
from __future__ import annotations

from collections.abc import Iterable

from index.store.schema import (ARTICLE_FIELDS, ARTICLE_ID, DISPLAY_TITLE, ID, MENTIONS_JSON, PARA,
                                PLACES_JSON, STORED_EMPTY, TITLE, paragraph_id)
from index.store.whoosh_private import stored_fields

# The keys of a place as a hit shows it (index.places.entries.Place.as_json); the places table
# holds these and more.
PLACE_KEYS = ("id", "name", "kind", "country", "country_code", "lat", "lon")


class Paragraphs:
    """Reads whole records of one generation; holds its article column and places table.
    Thread-safe: what it keeps (each place described once) is only ever added, whole."""

    def __init__(self, columns, places: dict[str, dict]):
        self._columns = columns
        self._places = places
        self._described: dict[str, dict] = {}

    def records(self, reader, docnums: Iterable[int]) -> list[dict]:
        """The whole record of each document number, in the order given (each article's first
        paragraph read once). Every record and list in it is the caller's own."""
        heads: dict[int, dict] = {}
        out = []
        for docnum in docnums:
            record = stored_fields(reader, int(docnum))
            if record.get(PARA, 0) and TITLE not in record:
                article = int(self._columns.article[int(docnum)])
                head = heads.get(article)
                if head is None:
                    head = heads[article] = stored_fields(reader, self._columns.first_document(article))
                record.update((name, head[name]) for name in ARTICLE_FIELDS if name in head)
            out.append(self._whole(record))
        return out

    def _whole(self, record: dict) -> dict:
        whole = dict(_EMPTY_TEXTS)
        whole.update(record)
        whole.setdefault(DISPLAY_TITLE, whole[TITLE])
        whole.setdefault(ID, paragraph_id(whole.get(ARTICLE_ID), whole.get(PARA)))
        places = whole.get(PLACES_JSON)
        whole[PLACES_JSON] = [self._place(p) if isinstance(p, str) else p for p in places] if places else []
        whole.setdefault(MENTIONS_JSON, [])
        return whole

    def _place(self, place_id: str) -> dict:
        described = self._described.get(place_id)
        if described is None:
            entry = self._places.get(place_id)
            # An id the table lacks (never for a table written with the index): the id alone.
            described = {key: entry.get(key) for key in PLACE_KEYS} if entry else {"id": place_id}
            self._described[place_id] = described
        return dict(described)


# The empty values a record leaves out that are text (the lists are made fresh for each record).
_EMPTY_TEXTS = {name: value for name, value in STORED_EMPTY.items() if isinstance(value, str)}
