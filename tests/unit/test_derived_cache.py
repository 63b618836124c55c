"""The per-(generation, query) cache of what a results page derives from its search."""
from search.web.derived import DerivedCache


def test_the_cache_draws_a_generations_query_once_and_a_new_generation_again():
    drawn = []
    cache = DerivedCache(size=2)

    def draw():
        drawn.append(1)
        return {"n": len(drawn)}

    first = cache.get((1, "/?q=oil"), draw)
    assert cache.get((1, "/?q=oil"), draw) is first
    assert cache.get((2, "/?q=oil"), draw) is not first
    cache.get((2, "/?q=gas"), draw)
    cache.get((1, "/?q=oil"), draw)        # the oldest was let go: drawn again
    assert len(drawn) == 4
    cache.get(None, draw)
    cache.get(None, draw)                  # no generation known: never kept
    assert len(drawn) == 6
