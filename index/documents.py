"""Turns one annotated article into its paragraph documents (plain dicts for the writer).

Owns the mapping from our records to the schema's fields; knows nothing of files or Whoosh
writers, so it runs unchanged in the worker processes.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from index.dates import MentionedDate, extract_mentioned_dates
from index.model import Article
from index.places import Gazetteer, Place
from index.shingles import sketches
from index.words import tokens
from index.store.schema import (ARTICLE_ID, AUTHOR, DATE, DATELINE, DAY, DISPLAY_TITLE, MENTIONED,
                                MENTIONS_JSON, PARA, PLACES, PLACES_JSON, PLACE_IDS, SKETCH, SOURCE,
                                TEXT, TITLE, URL, WORDS, stop_words)

_LETTER = re.compile(r"[^\W\d_]")
_STOPS = stop_words()
# An untitled article is named by its lead sentence, cut at a word within this many characters.
LEAD_TITLE_CHARS = 110
# A sentence ends at . ! or ? (maybe closing a quote) before a space and a capital or a quote,
# unless the word before the stop is an initial or a usual abbreviation ("U.S. Treasury").
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?(?=\s+[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr co corp inc ltd no gen gov sen rep prof vs jan feb mar apr jun jul "
    "aug sep sept oct nov dec".split())


def article_documents(article: Article, gazetteer: Gazetteer) -> list[dict]:
    """Annotate `article` with places and mentioned dates; one document per paragraph, the
    first also storing what is the article's (index/store/schema.py: the stored record)."""
    found = gazetteer.find_in_article(article)
    docs = []
    for n, text in enumerate(article.paragraphs):
        places = _unique_places(m.place for m in found.paragraphs[n])
        if found.dateline is not None:
            places = _unique_places([*places, found.dateline])
        mentions = extract_mentioned_dates(text, article.date)
        docs.append(_document(article, n, text, places, mentions))
    if docs:
        docs[0].update(_article_record(article))
    words = [tokens(text) for text in article.paragraphs]  # once, for the sketch and the column
    for doc, found, sketch in zip(docs, words, sketches(words)):
        doc[SKETCH] = sketch
        doc[WORDS] = distinct_words(found)
    return docs


def _article_record(article: Article) -> dict:
    """The stored-only fields that are the article's, for its first paragraph: those not empty,
    and the title shown when it is not the title itself."""
    record = {DATE: article.date.isoformat() if article.date else "", AUTHOR: article.author,
              DATELINE: article.dateline, URL: article.url}
    shown = display_title(article)
    if shown != article.title:
        record[DISPLAY_TITLE] = shown
    return {name: value for name, value in record.items() if value}


def display_title(article: Article) -> str:
    """The one title every paragraph of the article shows: its title, else its lead sentence
    shortened at a word boundary (chosen here once, so no paragraph is named by its own start)."""
    if article.title.strip():
        return " ".join(article.title.split())
    return lead_sentence(article.paragraphs[0]) if article.paragraphs else ""


def lead_sentence(text: str, limit: int = LEAD_TITLE_CHARS) -> str:
    """The first sentence of `text`, cut at the last word within `limit` characters (with
    " …" when cut)."""
    text = " ".join(text.split())
    for end in _SENTENCE_END.finditer(text):
        word = text[:end.start()].rsplit(" ", 1)[-1].rstrip(".!?\"'”’)").lower()
        if len(word) > 1 and "." not in word and word not in _ABBREVIATIONS:
            text = text[:end.end()]
            break
    if len(text) <= limit:
        return text
    cut = text[:limit + 1].rsplit(" ", 1)[0] if " " in text[:limit + 1] else text[:limit]
    return cut.rstrip(",;:-–— ") + " …"


def _document(article: Article, n: int, text: str, places: Sequence[Place],
              mentions: Sequence[MentionedDate]) -> dict:
    place_ids = {p.id for p in places}
    for place in places:
        place_ids.update(place.ancestor_ids)
    doc = {
        ARTICLE_ID: article.id,
        PARA: n,
        TITLE: article.title,
        TEXT: text,
        DAY: article.date.toordinal() if article.date else 0,
        SOURCE: article.source_path,
        PLACES: ",".join(p.name for p in places),
        PLACE_IDS: ",".join(sorted(place_ids)),
        MENTIONED: ",".join(sorted({m.term for m in mentions})),
    }
    if places:
        doc[PLACES_JSON] = [p.id for p in places]
    if mentions:
        doc[MENTIONS_JSON] = [m.as_json() for m in mentions]
    if n > 0 or not article.title:
        doc[f"_stored_{TITLE}"] = None  # indexed on every paragraph, stored on the first
    if n > 0:
        doc[f"_stored_{SOURCE}"] = None
    return doc


def distinct_words(words: list[str]) -> bytes:
    """The `words` column's value: a paragraph's distinct words (index.words.tokens) without
    stop words and words that have no letter; sorted, space-separated, UTF-8."""
    found = {w for w in words if w not in _STOPS and _LETTER.search(w)}
    return " ".join(sorted(found)).encode("utf-8")


def _unique_places(places: Iterable[Place]) -> list[Place]:
    """Places in first-seen order, each once."""
    seen: dict[str, Place] = {}
    for place in places:
        seen.setdefault(place.id, place)
    return list(seen.values())
