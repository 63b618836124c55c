"""Significant words: what a search's results are about, for `GET /api/significant-words` and
the page's "What these results are about" list. Owns the body's shape and the sample; the
counting and scoring are search.engine.significant's. Never imports Bottle or Whoosh.

The words come from a sample: the search's best SAMPLE_SIZE matching paragraphs by relevance
(every match when there are fewer), as Elasticsearch pairs `significant_text` with a sampler,
so a common word costs what a rare one does. The background is the whole archive.
"""
from __future__ import annotations

import dataclasses
import time

from search.engine.significant import Sample, significant_words
from search.errors import QueryError
from search.service.facade import SearchService, engine_request
from search.service.params import RawParams, parse_params

WORDS = 25
# Paragraphs read per request: enough for a topic's words to recur (a word counts once it is in
# MIN_STORIES stories), few enough to read and count in a few milliseconds.
SAMPLE_SIZE = 200
# The results page's list reads half as many: it is made with every new search on the page (then
# kept per query, search.web.derived), where it is most of what a first view costs beyond the
# search (reading the sample's stored text is two fifths of it, counting its words as much).
PAGE_SAMPLE_SIZE = 100


def significant(service: SearchService, params: RawParams, size: int = WORDS,
                sample: int = SAMPLE_SIZE) -> dict:
    """The `size` words most over-represented in the search's matches (a sample of its best
    paragraphs) against the archive, best first, with the counts behind each score. Takes the
    search parameters of /api/search; those that only order, page, group or facet its results
    change nothing here. An empty query is refused: the archive is not over-represented in
    itself."""
    started = time.perf_counter()
    p = parse_params(params)
    if not p.q:
        raise QueryError("q", "significant words describe a search's results: give q, the "
                              "words to search for (for example q=coffee)")
    with service.using() as served, service.search_slot():
        place_ids = service.place_ids(served, p.places)
        request = dataclasses.replace(engine_request(p, place_ids), sort="relevance",
                                      group_by_article=False, needed=sample)
        gen = served.gen
        outcome = gen.search(request, service.settings.query_time_limit,
                             served.directory.ids_for)
        docnums = outcome.match.ids[outcome.order[:sample]]
        owner, word_ids = gen.columns.words_of(docnums)
        drawn = Sample(len(docnums), owner, gen.word_stem_numbers[word_ids], word_ids,
                       gen.columns.words)
        archive = gen.columns.alive_count
        with gen.searcher() as searcher:
            words = significant_words(drawn, gen.columns.article[docnums], searcher.reader(),
                                      gen.word_stems, gen.cache, archive, outcome.highlight,
                                      size)
    return {
        "query": p.echo(place_ids),
        "total": outcome.total,
        "sample": {"paragraphs": len(docnums), "of": outcome.total,
                   "whole": len(docnums) == outcome.total, "order": "relevance"},
        "archive_paragraphs": archive,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
        "timed_out": outcome.timed_out,
        "relaxed": outcome.relaxed,
        "words": [{"word": w.word, "count": w.count, "archive_count": w.archive_count,
                   "score": round(w.score, 4)} for w in words],
    }
