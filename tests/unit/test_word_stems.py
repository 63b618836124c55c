"""search.engine.significant on a real index: a word's archive count leaves deleted paragraphs
out (the term's document frequency does not), what one search teaches a generation's WordStems
counts the same in the next, text with accents is read as the index reads it, and a sample
read from the generation's word numbers counts what the same paragraphs' text gives."""
import numpy as np
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.documents import distinct_words
from index.words import tokens
from index.settings import Settings
from index.store.generations import serving_generation
from index.store.postings import PostingStore
from search.engine.posting_cache import PostingCache
from search.engine.run import Generation
from search.engine.significant import Sample, significant_words
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


def _sample(texts: list[str], stems: WordStems) -> Sample:
    """A sample of paragraphs with these texts, their words as the build's words column holds
    them, numbered here."""
    paragraphs = [distinct_words(tokens(text)).decode("utf-8").split() for text in texts]
    words = [w for found in paragraphs for w in found]
    number = {word: i for i, word in enumerate(dict.fromkeys(words))}
    return Sample(len(paragraphs), np.repeat(np.arange(len(paragraphs)), [len(f) for f in paragraphs]),
                  stems.numbers(words), np.array([number[w] for w in words], dtype=np.int64),
                  list(number))


def _words(gen, texts: list[str], stories: list[int], stems: WordStems | None = None) -> dict:
    """The significant words of `texts` by word, every word read from Whoosh (no posting store)."""
    with gen.searcher() as searcher:
        stems = stems or WordStems(gen.analyzer)
        found = significant_words(_sample(texts, stems), stories, searcher.reader(), stems,
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
    docs = np.flatnonzero(gen.columns.alive)
    owner, ids = gen.columns.words_of(docs)
    from_column = [[gen.columns.words[i] for i in ids[owner == k]] for k in range(len(docs))]
    from_text = [set(tokens(fields["text"])) for fields in gen.stored_fields(docs)]
    assert any("zürich" in words for words in from_column)
    for column, text in zip(from_column, from_text):
        assert len(set(column)) == len(column) and set(column) <= text
        left_out = sorted(text - set(column))  # stop words and numbers: never significant
        assert left_out and all(n < 0 for n in gen.word_stems.numbers(left_out))


def test_a_sample_of_word_numbers_counts_what_its_paragraphs_text_gives(gen):
    docs = np.flatnonzero(gen.columns.alive)[::-1]  # any order: the sample's, not the index's
    owner, ids = gen.columns.words_of(docs)
    drawn = Sample(len(docs), owner, gen.word_stem_numbers[ids], ids, gen.columns.words)
    texts = [fields["text"] for fields in gen.stored_fields(docs)]
    stories = gen.columns.article[docs]
    with gen.searcher() as searcher:
        cache = PostingCache(store=PostingStore({}))
        from_numbers = significant_words(drawn, stories, searcher.reader(), gen.word_stems, cache,
                                         1000, frozenset(), 25)
        from_text = significant_words(_sample(texts, gen.word_stems), stories, searcher.reader(),
                                      gen.word_stems, cache, 1000, frozenset(), 25)
    assert from_numbers and from_numbers == from_text
