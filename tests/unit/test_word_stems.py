"""search.engine.significant on a real index: a word's archive count leaves deleted paragraphs
out (the term's document frequency does not), what one search teaches a generation's WordStems
counts the same in the next, and text with accents is read as the index reads it."""
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.settings import Settings
from index.store.generations import serving_generation
from index.store.postings import PostingStore
from search.engine.posting_cache import PostingCache
from search.engine.run import Generation
from search.engine.significant import significant_words
from search.engine.word_stems import WordStems

STORIES = 10
DELETED = 4


def _articles() -> list[dict]:
    return [{"id": f"s-{i}", "title": f"Report {i}", "date": f"1987-03-{1 + i:02d}",
             "paragraphs": [f"Zinc smelters met traders on day {i}.",
                            f"Caf{'é' if i % 2 else 'e'} owners in Zürich spoke on day {i}."]}
            for i in range(STORIES)]


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    """A real build, then the first DELETED stories deleted without a merge (as an incremental
    update leaves them)."""
    base = tmp_path_factory.mktemp("significant")
    archive = base / "archive"
    archive.mkdir()
    write_archive(archive, _articles(), "a.jsonl")
    reindex(Settings.from_env({}, index_dir=base / "idx", sources=(archive,), workers=1))
    gen_dir = serving_generation(base / "idx")
    writer = whoosh_index.open_dir(str(gen_dir)).writer()
    for i in range(DELETED):
        writer.delete_by_term("article_id", f"s-{i}")
    writer.commit(merge=False)
    generation = Generation(gen_dir, {})
    yield generation
    generation.close()


def _words(gen, texts: list[str], stories: list[int], stems: WordStems | None = None) -> dict:
    """The significant words of `texts` by word, every word read from Whoosh (no posting store)."""
    with gen.searcher() as searcher:
        stems = stems or WordStems(gen.analyzer)
        found = significant_words([stems.words(t) for t in texts], stories, searcher.reader(), stems,
                                  PostingCache(store=PostingStore({})), 1000, frozenset(), 25)
    return {w.word: w for w in found}


def test_a_words_archive_count_leaves_deleted_paragraphs_out(gen):
    with gen.searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions() and reader.doc_frequency("text", "smelter") == STORIES
    smelters = _words(gen, [f"Zinc smelters met traders on day {i}." for i in range(3)], [0, 1, 2])["smelters"]
    assert (smelters.count, smelters.archive_count) == (3, STORIES - DELETED)


def test_what_one_search_teaches_the_generation_counts_the_same_in_the_next(gen):
    first = [f"Zinc smelters met traders on day {i}." for i in range(4)]
    second = [f"Cafe owners in Zürich met zinc traders on day {i}." for i in range(4)]
    stems = WordStems(gen.analyzer)
    _words(gen, first, [0, 1, 2, 3], stems)
    assert _words(gen, second, [0, 1, 2, 3], stems) == _words(gen, second, [0, 1, 2, 3])


def test_accented_words_are_counted_with_their_plain_forms_and_shown_as_most_write_them(gen):
    texts = ["Café owners in Zürich spoke.", "Café owners in Zurich spoke.",
             "Cafe owners in Zürich spoke.", "Owners of a café in Zürich spoke."]
    words = _words(gen, texts, [0, 1, 2, 3])
    assert (words["café"].count, words["zürich"].count, words["owners"].count) == (4, 4, 4)
    assert "cafe" not in words and "zurich" not in words


def test_the_words_column_holds_the_words_the_text_gives_that_can_count(gen):
    docs = [d for d in range(gen.columns.doc_count) if gen.columns.alive[d]]
    stems = WordStems(gen.analyzer)
    from_column = gen.paragraph_words(docs)
    from_text = [stems.words(fields["text"]) for fields in gen.stored_fields(docs)]
    assert any("zürich" in words for words in from_column)
    for column, text in zip(from_column, from_text):
        assert len(set(column)) == len(column) and set(column) <= text
        left_out = sorted(text - set(column))  # stop words and numbers: never significant
        assert left_out and all(n < 0 for n in stems.numbers(left_out))
