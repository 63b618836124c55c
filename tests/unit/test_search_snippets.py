"""Highlighting and snippets (search/engine/snippets.py): exact expected strings."""
from index.store.schema import text_analyzer
from search.engine.snippets import marked_html, match_spans, snippet

ANALYZER = text_analyzer()


def spans(text, *stems):
    return match_spans(text, ANALYZER, stems)


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
