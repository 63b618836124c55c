"""The paths that keep ordinary queries fast: no spelling corrector for known words, a searcher
pool opened with the generation, the article column read from term ranges, grouping by
article that sorts only the head of the order, and the array helpers that replace numpy's
slow hashing np.unique / np.isin."""
import numpy as np
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.store.generations import serving_generation
from index.store.schema import build_schema
from index.settings import Settings
from search import SearchService
from search.engine.arrays import distinct
from search.engine.doc_values import Columns
from index.store.postings import EMPTY_IDS
from search.engine.run import GROUP_PREFIX, Generation, Outcome, _group, ordered
from search.engine.arrays import members as _members
from search.engine.tree import Match
from search.engine.suggest import needs_correction
from index.folding import fold
from index.store.schema import stop_words
from index.words import tokens
from search_corpus import built_index

STOPS = stop_words()


@pytest.fixture(scope="module")
def generation(tmp_path_factory):
    gen = Generation(serving_generation(built_index(tmp_path_factory.getbasetemp() / "search-corpus")), {})
    yield gen
    gen.close()


@pytest.fixture
def reader(generation):
    with generation.searcher() as searcher:
        yield searcher.reader()


# -- the spelling corrector runs only for unknown words


def test_a_stop_word_needs_no_correction(reader, generation):
    assert needs_correction("with", reader, generation.spelling) is False


def test_a_word_found_only_in_titles_needs_no_correction(reader, generation):
    assert ("title", "talk") in reader and ("text", "talk") not in reader
    assert needs_correction("talks", reader, generation.spelling) is False


def test_a_stemmed_variant_of_an_indexed_word_needs_no_correction(reader, generation):
    assert needs_correction("shellings", reader, generation.spelling) is False


def test_a_misspelled_word_needs_correction(reader, generation):
    assert needs_correction("cofee", reader, generation.spelling) is True


def test_the_spelling_words_count_the_paragraphs_that_hold_each_word(reader, generation):
    """Oracle: the stored texts of the live paragraphs, tokenised and folded as a query word is."""
    expected: dict[str, int] = {}
    for docnum, stored in reader.iter_docs():
        if generation.columns.alive[docnum]:
            for word in {fold(w) for w in tokens(stored["text"])}:
                if len(word) > 1 and word not in STOPS and any(c.isalpha() for c in word):
                    expected[word] = expected.get(word, 0) + 1
    assert generation.spelling.frequency == expected


def test_a_short_word_or_a_number_is_never_corrected(reader, generation):
    assert needs_correction("cof", reader, generation.spelling) is False and needs_correction("12345", reader, generation.spelling) is False


# -- searchers


def test_sequential_requests_share_the_searcher_opened_with_the_generation(generation):
    with generation.searcher() as first:
        pass
    with generation.searcher() as second:
        assert second is first and not second.is_closed


def test_overlapping_requests_get_different_searchers(generation):
    with generation.searcher() as outer, generation.searcher() as inner:
        assert outer is not inner


def test_a_searcher_borrowed_when_the_generation_closes_is_closed_when_given_back(tmp_path):
    gen = Generation(serving_generation(built_index(tmp_path)), {})
    with gen.searcher() as searcher:
        gen.close()
        assert not searcher.is_closed
    assert searcher.is_closed


def test_closing_the_service_closes_the_generation_searchers(tmp_path):
    service = SearchService(built_index(tmp_path))
    service.search({"q": "coffee"})
    with service.using() as served, served.gen.searcher() as searcher:
        pass
    service.close()
    assert searcher.is_closed


# -- the article column


def _brute_articles(reader) -> dict[int, str]:
    return {d: reader.stored_fields(d)["article_id"] for d in range(reader.doc_count_all())}


def _same_partition(column: np.ndarray, owners: dict[int, str]) -> bool:
    pairs = {(int(column[d]), a) for d, a in owners.items()}
    return len(pairs) == len({a for a in owners.values()}) == len({n for n, _ in pairs})


def test_the_article_column_groups_the_paragraphs_of_each_article(reader):
    assert _same_partition(Columns.computed(reader).article, _brute_articles(reader))


def test_the_article_column_handles_paragraphs_that_are_not_side_by_side(tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    with ix.writer() as w:
        for n, article in enumerate(["a", "b", "a", "c", "b", "a"]):
            w.add_document(article_id=article, para=n, text=f"word {n}")
    with ix.reader() as r:
        column = Columns.computed(r).article
        owners = _brute_articles(r)
    assert _same_partition(column, owners)


# -- grouping by article sorts only the head


@pytest.fixture(scope="module")
def many_articles(tmp_path_factory):
    """600 articles of 1-6 paragraphs (some undated, many on the same day): more paragraphs
    than the first prefix grouping sorts."""
    base = tmp_path_factory.mktemp("grouping")
    articles = [{"id": f"g-{i}", "title": f"report {i % 7}", "date": None if i % 11 == 0 else f"2020-0{1 + i % 9}-1{i % 3}",
                 "paragraphs": [f"harvest news {i} part {n}" for n in range(1 + i % 6)]} for i in range(600)]
    write_archive(base / "archive", articles)
    reindex(Settings.from_env({}, index_dir=base / "idx", sources=(base / "archive",), workers=1))
    gen = Generation(serving_generation(base / "idx"), {})
    yield gen
    gen.close()


def _grouped_by_full_sort(match, columns, sort: str) -> list[int]:
    order = ordered(match, columns, sort, None)
    owners = columns.article[match.ids[order]]
    _, first = np.unique(owners, return_index=True)
    return order[np.sort(first)].tolist()


@pytest.mark.parametrize("scores", ["ties", "long articles first"])
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_grouping_from_a_prefix_gives_the_articles_a_full_sort_gives(many_articles, sort, scores):
    columns = many_articles.columns
    docs = np.flatnonzero(columns.alive).astype(np.int32)
    rng = np.random.default_rng(7)
    if scores == "ties":
        # Few distinct scores: ties are settled by date and document number, as a full sort does.
        values = rng.integers(0, 4, len(docs))
    else:
        # Paragraphs of long articles score highest: the head of the order holds few articles,
        # so the prefix must grow.
        owners = columns.article[docs]
        values = np.bincount(owners)[owners] + rng.random(owners.max() + 1)[owners] / 2
    match = Match(docs, values.astype(np.float32))
    expected = _grouped_by_full_sort(match, columns, sort)
    assert len(expected) == 600 and len(docs) > 4 * GROUP_PREFIX
    for needed in (1, 5, 20, 50, 100, 300, len(expected) + 5):
        outcome = Outcome(match, EMPTY_IDS, False, False, frozenset())
        _group(outcome, columns.article, sort, columns, needed, columns.article)
        assert outcome.order[:needed].tolist() == expected[:needed]
        assert outcome.total == len(expected)
        counts = np.bincount(columns.article[docs])
        assert outcome.group_counts == {int(docs[r]): int(counts[columns.article[docs[r]]])
                                        for r in expected[:needed]}


@pytest.mark.parametrize("size", [0, 1, 2, 1000, 50_000])
def test_distinct_is_np_unique(size):
    rng = np.random.default_rng(size)
    # Two sorted runs that overlap, as a word's text and title postings do, then any order.
    runs = np.concatenate([np.sort(rng.integers(0, size + 1, size)), np.sort(rng.integers(0, size + 1, size // 3))])
    for values in (runs.astype(np.int32), rng.permutation(runs).astype(np.int64)):
        found = distinct(values)
        assert found.tolist() == np.unique(values).tolist()
        assert found.dtype == values.dtype


def test_members_is_np_isin_even_with_repeated_values():
    rng = np.random.default_rng(7)
    sorted_values = np.sort(rng.integers(0, 5_000, 3_000))  # repeats included
    values = rng.integers(-10, 5_010, 4_000)
    assert _members(values, sorted_values).tolist() == np.isin(values, sorted_values).tolist()
    assert _members(values, sorted_values[:0]).tolist() == [False] * len(values)
