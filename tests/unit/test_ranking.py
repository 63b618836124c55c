"""Ranking on a real index: proximity (sequential dependence), query-term frequency, the stop
list, the phrase check that reads positions for candidate documents only, and RM3 feedback
(only with expand=true: match=any alone stays lexical)."""
import time

import pytest
from whoosh import index as whoosh_index

from index.store.schema import text_analyzer
from search import SearchService
from search.engine.doc_values import Columns
from search.engine.posting_cache import PostingCache
from search.engine.tree import Context, Dependence, Phrase
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


# RM3 only uses words found in at most a tenth of the paragraphs: enough other paragraphs
# (sharing only "district council", found everywhere) make "arabica" and "robusta" rare.
OTHER_TOPICS = ("bridges", "elections", "fisheries", "hospitals", "libraries", "mining", "parks",
                "pensions", "railways", "salaries", "satellites", "shipyards", "stadiums",
                "tariffs", "tourism", "tunnels", "vaccines", "volcanoes", "wages", "zoos")
FEEDBACK_ARTICLES = [
    article("beans", "coffee arabica robusta harvest district council"),
    article("growers", "arabica robusta growers cooperative district council"),
    *(article(topic, f"{topic} district council") for topic in OTHER_TOPICS),
]


@pytest.fixture(scope="module")
def feedback_service(tmp_path_factory):
    s = SearchService(built_index(tmp_path_factory.mktemp("feedback"), FEEDBACK_ARTICLES))
    yield s
    s.close()


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
    return Context(searcher, Columns.computed(searcher.reader()), PostingCache(),
                   time.perf_counter() + seconds, lambda name: [])


def scores(body) -> dict[str, float]:
    return {h["article_id"]: h["score"] for h in body["hits"]}


def test_words_side_by_side_outrank_the_same_words_far_apart(service):
    body = service.search({"q": "interest rates"})
    assert [h["article_id"] for h in body["hits"]] == ["near", "far"]


def test_a_word_repeated_in_the_query_counts_more(service):
    # The two paragraphs differ in one word of 16: copies of each other (index/shingles.py), so
    # both are asked for, not folded into one hit.
    even = scores(service.search({"q": "coffee tea", "match": "any", "collapse": "none"}))
    repeated = scores(service.search({"q": "coffee coffee tea", "match": "any", "collapse": "none"}))
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


def ids(body) -> list[str]:
    return [h["article_id"] for h in body["hits"]]


def test_match_any_without_expand_finds_only_paragraphs_holding_the_word(feedback_service):
    body = feedback_service.search({"q": "coffee", "match": "any"})
    assert ids(body) == ["beans"] and all("coffee" in h["text"] for h in body["hits"])


def test_expand_adds_paragraphs_sharing_the_top_paragraphs_rare_words(feedback_service):
    assert ids(feedback_service.search({"q": "coffee", "match": "any", "expand": "true"})) == ["beans", "growers"]


def test_expand_does_not_change_match_all(feedback_service):
    assert ids(feedback_service.search({"q": "coffee", "expand": "true"})) == ["beans"]


def test_match_all_finds_only_paragraphs_with_the_query_words(feedback_service):
    assert ids(feedback_service.search({"q": "coffee"})) == ["beans"]


def test_feedback_marks_only_the_users_own_words(feedback_service):
    body = feedback_service.search({"q": "coffee", "match": "any", "expand": "true"})
    hits = {h["article_id"]: h["matches"] for h in body["hits"]}
    assert hits == {"beans": [[0, 6]], "growers": []}


def test_feedback_documents_are_the_best_paragraph_of_distinct_articles():
    import numpy as np

    from search.engine.tree import _top_rows_of_distinct_articles

    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0], dtype=np.float32)
    articles = np.array([7, 7, 8, 7, 9], dtype=np.int32)
    assert _top_rows_of_distinct_articles(scores, articles, 2) == [0, 2]
    assert _top_rows_of_distinct_articles(scores, articles, 5) == [0, 2, 4]


def test_relaxed_retry_finds_the_users_words_not_expansion_words(feedback_service):
    body = feedback_service.search({"q": "coffee zeppelin"})
    assert body["relaxed"] is True and ids(body) == ["beans"]


def test_rescore_window_keeps_the_best_documents_the_filters_allow():
    import numpy as np

    from search.engine.tree import RESCORE_WINDOW, Match, _rescore_window

    n = RESCORE_WINDOW + 500
    allowed = np.ones(n, dtype=bool)
    allowed[n - 1] = False  # the best-scoring document is filtered out
    matched = Match(np.arange(n, dtype=np.int32), np.arange(n, dtype=np.float32))
    ctx = Context(None, None, None, 0.0, None, allowed=allowed)
    window = _rescore_window(ctx, matched)
    assert len(window) == RESCORE_WINDOW
    assert window[0] == n - 1 - RESCORE_WINDOW and window[-1] == n - 2
