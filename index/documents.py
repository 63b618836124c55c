"""Turns one annotated article into its paragraph documents (plain dicts for the writer).

Owns the mapping from our records to the schema's fields; knows nothing of files or Whoosh
writers, so it runs unchanged in the worker processes.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from index.dates import MentionedDate, extract_mentioned_dates
from index.model import Article
from index.places import Gazetteer, Place


def paragraph_id(article_id: str, para: int) -> str:
    return f"{article_id}:{para}"


def article_documents(article: Article, gazetteer: Gazetteer) -> list[dict]:
    """Annotate `article` with places and mentioned dates; one document per paragraph."""
    found = gazetteer.find_in_article(article)
    docs = []
    for n, text in enumerate(article.paragraphs):
        places = _unique_places(m.place for m in found.paragraphs[n])
        if found.dateline is not None:
            places = _unique_places([*places, found.dateline])
        mentions = extract_mentioned_dates(text, article.date)
        docs.append(_document(article, n, text, places, mentions, gazetteer))
    return docs


def _document(article: Article, n: int, text: str, places: Sequence[Place],
              mentions: Sequence[MentionedDate], gazetteer: Gazetteer) -> dict:
    place_ids = {p.id for p in places}
    for place in places:
        place_ids.update(place.ancestor_ids)
    return {
        "id": paragraph_id(article.id, n),
        "article_id": article.id,
        "para": n,
        "title": article.title,
        "text": text,
        "date": article.date.isoformat() if article.date else "",
        "day": article.date.toordinal() if article.date else 0,
        "author": article.author,
        "dateline": article.dateline,
        "url": article.url,
        "source": article.source_path,
        "places": ",".join(p.name for p in places),
        "place_ids": ",".join(sorted(place_ids)),
        "mentioned": ",".join(sorted({m.term for m in mentions})),
        "places_json": [p.as_json() for p in places],
        "mentions_json": [m.as_json() for m in mentions],
    }


def _unique_places(places: Iterable[Place]) -> list[Place]:
    """Places in first-seen order, each once."""
    seen: dict[str, Place] = {}
    for place in places:
        seen.setdefault(place.id, place)
    return list(seen.values())
