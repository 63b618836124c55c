"""Fuzzy-term lookup over a field's word arrays (search/engine/vocabulary.py) on a real index of
random words: exactly the terms within the distance, as Whoosh's own Damerau-Levenshtein
(optimal string alignment) counts it."""
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from whoosh import fields, index as whoosh_index
from whoosh.support.levenshtein import damerau_levenshtein

from search.engine.vocabulary import Vocabulary

ALPHABET = "abcdeéü1"
WORDS = st.text(alphabet=ALPHABET, min_size=1, max_size=9)


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """A real index whose `text` terms are 3,000 random short words and 30 long ones."""
    rng = random.Random(7)
    words = {"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 9))) for _ in range(3000)}
    words |= {"".join(rng.choice("ab") for _ in range(rng.randint(60, 70))) for _ in range(30)}
    words |= {"diplomat", "diploma", "petroleum", "betroleum"}
    ix = whoosh_index.create_in(str(tmp_path_factory.mktemp("vocabulary")),
                                fields.Schema(text=fields.KEYWORD(lowercase=False)))
    with ix.writer() as w:
        for word in words:
            w.add_document(text=word)
    with ix.reader() as r:
        yield r


@pytest.fixture(scope="module")
def terms(reader) -> list[str]:
    return [t.decode("utf-8") for t in reader.lexicon("text")]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary()


def brute(terms: list[str], text: str, maxdist: int) -> list[str]:
    # Words whose length differs by more than maxdist are that many edits away at least.
    return sorted(t for t in terms if abs(len(t) - len(text)) <= maxdist
                  and damerau_levenshtein(text, t) <= maxdist)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=WORDS, maxdist=st.integers(0, 2))
def test_within_finds_exactly_the_words_within_the_distance(reader, terms, vocabulary, text, maxdist):
    assert sorted(vocabulary.within(reader, "text", text, maxdist)) == brute(terms, text, maxdist)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_query_words_of_any_length_are_measured_alike(reader, terms, vocabulary, data):
    # A long indexed word with up to three characters replaced or dropped: beyond 64
    # characters the bit-parallel distance gives way to the row-by-row one.
    text = data.draw(st.sampled_from(sorted(t for t in terms if len(t) >= 60)))
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(text) - 1))
        text = text[:i] + data.draw(st.sampled_from(["", "a", "b"])) + text[i + 1:]
    assert sorted(vocabulary.within(reader, "text", text, 2)) == brute(terms, text, 2)


def test_a_swap_of_two_neighbours_is_one_edit(reader):
    assert Vocabulary().within(reader, "text", "dipolmat", 1) == ["diplomat"]


def test_a_prefix_length_keeps_only_words_starting_alike(reader):
    assert Vocabulary().within(reader, "text", "petroleun", 2, prefix=1) == ["petroleum"]


def test_a_field_missing_from_the_schema_has_no_words(reader):
    assert Vocabulary().within(reader, "title", "petroleum", 1) == []


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=WORDS, limit=st.integers(1, 5))
def test_a_limit_keeps_the_closest_words_then_term_order(reader, terms, vocabulary, text, limit):
    closest = sorted((damerau_levenshtein(text, t), t) for t in brute(terms, text, 2))[:limit]
    assert vocabulary.within(reader, "text", text, 2, limit=limit) == [t for _, t in closest]
