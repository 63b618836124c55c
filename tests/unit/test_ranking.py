"""Ranking on a real index: proximity (sequential dependence), query-term frequency, the stop
list, and the phrase check that reads positions for candidate documents only."""
import time

import pytest
from whoosh import index as whoosh_index

from index.schema import text_analyzer
from search import SearchService
from search.columns import Columns, PostingCache
from search.query_tree import Context, Dependence, Phrase
from search_corpus import built_index

FILLER = "the report covered many other matters such as roads schools budgets and weather"


def article(article_id: str, text: str) -> dict:
    return {"id": article_id, "title": "", "date": "2021-01-01", "author": "", "url": "",
            "dateline": "", "paragraphs": [text]}


ARTICLES = [
    # The same words and the same length; only the distance between "interest" and "rates" differs.
    article("near", f"interest rates rose {FILLER}"),
    article("far", f"interest rose {FILLER} rates"),
    # One word each, the same length: which ranks first depends only on the query.
    article("coffee", f"coffee {FILLER}"),
    article("tea", f"tea {FILLER}"),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return built_index(tmp_path_factory.mktemp("ranking"), ARTICLES)


@pytest.fixture(scope="module")
def service(index_dir):
    s = SearchService(index_dir)
    yield s
    s.close()


def context(index_dir, seconds: float):
    """A query context on the index's current generation, with `seconds` left."""
    ix = whoosh_index.open_dir(str(next(index_dir.glob("gen-*"))))
    searcher = ix.searcher()
    return Context(searcher, Columns.load(searcher.reader()), PostingCache(),
                   time.perf_counter() + seconds, lambda name: [])


def scores(body) -> dict[str, float]:
    return {h["article_id"]: h["score"] for h in body["hits"]}


def test_words_side_by_side_outrank_the_same_words_far_apart(service):
    body = service.search({"q": "interest rates"})
    assert [h["article_id"] for h in body["hits"]] == ["near", "far"]


def test_a_word_repeated_in_the_query_counts_more(service):
    even = scores(service.search({"q": "coffee tea", "match": "any"}))
    repeated = scores(service.search({"q": "coffee coffee tea", "match": "any"}))
    assert even["coffee"] == pytest.approx(even["tea"])
    assert repeated["coffee"] > repeated["tea"]


def test_the_stop_list_drops_question_words_and_auxiliaries():
    assert [t.text for t in text_analyzer()("what which how does been would the")] == []


def test_the_stop_list_keeps_words_news_queries_need():
    assert [t.text for t in text_analyzer()("new first state")] == ["new", "first", "state"]


def test_a_quoted_phrase_finds_only_the_paragraph_with_its_words_adjacent(service):
    assert [h["article_id"] for h in service.search({"q": '"interest rose"'})["hits"]] == ["far"]


def test_proximity_is_computed_only_for_the_documents_asked_about(index_dir):
    ctx = context(index_dir, 5.0)
    both = ctx.postings("text", "interest").ids
    near = Dependence(("interest", "rate")).evaluate(ctx)
    others = Dependence(("interest", "rate")).evaluate(ctx, within=both[~(both == near.ids[0])])
    assert len(both) == 2 and len(near.ids) == 1 and len(others.ids) == 0


def test_a_phrase_past_its_deadline_reports_the_time_out(index_dir):
    ctx = context(index_dir, -1.0)
    Phrase(("interest", "rate")).evaluate(ctx)
    assert ctx.timed_out is True
