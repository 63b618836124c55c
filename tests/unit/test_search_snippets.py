"""Highlighting and snippets (search/engine/snippets.py): exact expected strings; the spans
(search.engine.word_stems) against the tokens of Whoosh's own analyzer, for any text."""
from hypothesis import given, settings
from hypothesis import strategies as st

from index.store.schema import text_analyzer
from search.engine.snippets import marked_html, snippet
from search.engine.word_stems import WordStems

ANALYZER = text_analyzer()
STEMS = WordStems(ANALYZER)


def spans(text, *stems):
    return STEMS.spans(text, stems)


def analyzer_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """The oracle: every token Whoosh's analyzer gives whose text is a term, with its offsets."""
    return [(t.startchar, t.endchar) for t in ANALYZER(text, chars=True, mode="index")
            if t.text in terms]


# Words that stem, fold, stop, repeat and carry digits, dots and odd cases, joined by anything.
PIECES = st.sampled_from(["Oil", "oil", "OILS", "shelled", "shelling", "the", "a", "of", "I",
                          "1987", "1980s", "U.S.", "u.s", "Café", "cafe", "CAFÉS", "Zürich",
                          "İstanbul", "ǅemal", "ß", "STRASSE", "x_y", "4*5", "٣", "naïve"])
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=3))
def test_spans_are_the_analyzers_tokens_of_the_terms(text, extra):
    own = {t.text for t in ANALYZER(text, mode="index")}
    terms = {t.text for word in extra for t in ANALYZER(word, mode="index")} | set(list(own)[:3])
    assert WordStems(ANALYZER).spans(text, terms) == analyzer_spans(text, terms)
    assert STEMS.spans(text, terms) == analyzer_spans(text, terms)  # with words learned before


def test_a_stemmed_variant_is_marked():
    text = "The town was shelled in October."
    assert snippet(text, spans(text, "shell")) == "The town was <mark>shelled</mark> in October."


def test_markup_and_ampersands_come_back_escaped():
    text = "Tags <script>alert(1)</script> & oil"
    assert snippet(text, spans(text, "oil")) == (
        "Tags &lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>oil</mark>")


def test_matches_are_offsets_into_the_text():
    text = "Oil and more oil."
    assert spans(text, "oil") == [(0, 3), (13, 16)]


def test_no_spans_give_the_opening_of_a_long_paragraph():
    text = "word " * 100
    out = snippet(text.strip(), [])
    assert out.endswith(" …") and len(out) <= 205 and "<mark>" not in out


def test_a_long_paragraph_is_cut_around_the_match_with_ellipses():
    text = ("alpha " * 60) + "coffee harvest " + ("omega " * 60)
    out = snippet(text.strip(), spans(text.strip(), "coffe"))
    assert out.startswith("… ") and out.endswith(" …")
    assert "<mark>coffee</mark> harvest" in out and len(out) < 300


def test_far_apart_matches_give_two_fragments():
    text = "oil " + ("filler " * 80) + "gas " + ("filler " * 80)
    out = snippet(text.strip(), spans(text.strip(), "oil", "gas"))
    assert out.count("<mark>") == 2 and " … " in out


def test_marked_html_marks_every_span():
    text = "a & b"
    assert marked_html(text, [(4, 5)]) == "a &amp; <mark>b</mark>"


def test_a_match_followed_by_punctuation_at_the_window_end_keeps_its_mark():
    # Two clusters (oil…oil, then gas) give two half-width windows; the first ends right
    # at the second "oil", followed by a comma.
    text = ("word " * 12 + "oil " + "x" * 82 + " oil, " + "filler " * 40 + "gas "
            + "filler " * 30).strip()
    assert snippet(text, spans(text, "oil", "gas")) == (
        "… " + "word " * 8 + "<mark>oil</mark> " + "x" * 82 + " <mark>oil</mark>, … "
        + "filler " * 5 + "<mark>gas</mark>" + " filler" * 8 + " …")
