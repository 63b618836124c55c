"""A generation keeps its last evaluated matches (search.engine.recent): the same words and
filters asked again with another page, order or grouping reuse them, and the answers are those
of a generation that never kept anything."""
import numpy as np
import pytest

from search import SearchService
from search.engine.recent import RecentMatches
from search.engine.tree import Match
from search_corpus import built_index

ASKED = [{"q": "coffee"}, {"q": "coffee", "page": "2", "page_size": "3"},
         {"q": "coffee", "group": "article"}, {"q": "coffee", "sort": "newest"},
         {"q": "coffee brazil", "match": "any"}, {"q": "zzzz coffee"}]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return built_index(tmp_path_factory.getbasetemp() / "search-corpus")


def answers(service: SearchService) -> list[tuple]:
    found = []
    for params in ASKED:
        body = service.search(params)
        found.append((body["total"], body["relaxed"], [(h["id"], h["score"], h["snippet"]) for h in body["hits"]]))
    return found


def test_asked_again_the_answers_are_those_of_a_fresh_evaluation(index_dir):
    kept = SearchService(index_dir)
    fresh = SearchService(index_dir)
    try:
        twice = answers(kept)
        assert answers(kept) == twice  # every request found its match kept this time
        with fresh.using() as served:
            served.gen.recent = RecentMatches(size=0)  # keeps nothing: every request evaluates
        assert answers(fresh) == twice
        assert any(relaxed for _, relaxed, _ in twice)  # "zzzz coffee" relaxed to any word
    finally:
        kept.close()
        fresh.close()


def test_a_kept_match_is_read_only_and_the_oldest_goes_first():
    recent = RecentMatches(size=2)
    for n in range(3):
        recent.keep(("q", n), Match(np.arange(3, dtype=np.int32), np.ones(3, dtype=np.float32)),
                    False, frozenset())
    assert recent.get(("q", 0)) is None and recent.get(("q", 2)) is not None
    match = recent.get(("q", 1))[0]
    with pytest.raises(ValueError):
        match.ids[0] = 7
