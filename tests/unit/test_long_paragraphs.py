"""A paragraph longer than MAX_PARAGRAPH_CHARS is split when its Article is made, and the reindex
summary says so: no single input can stall a build (place matching, indexing, highlighting)."""
from __future__ import annotations

import json

from whoosh import index as whoosh_index
from whoosh.query import Term

from index.build import reindex
from index.model import MAX_PARAGRAPH_CHARS, Article, split_paragraph
from index.settings import Settings
from index.store import generations

SENTENCE = "Officials in Baku met delegates from Georgia. "


def make_article(*paragraphs: str) -> Article:
    return Article(id="a", title="t", date=None, author="", dateline="", url="",
                   source_path="a.txt", paragraphs=paragraphs)


def test_split_cuts_after_sentence_ends_and_loses_no_words():
    text = SENTENCE * 1000
    pieces = split_paragraph(text)
    assert max(map(len, pieces)) <= MAX_PARAGRAPH_CHARS
    assert all(p.endswith("Georgia.") for p in pieces)
    assert " ".join(pieces) == text.strip()


def test_split_of_text_without_spaces_cuts_at_the_limit():
    assert list(map(len, split_paragraph("x" * 25_000))) == [10_000, 10_000, 5_000]


def test_article_splits_only_its_long_paragraphs_and_counts_them():
    article = make_article("Short one.", SENTENCE * 1000, "Short two.")
    assert article.paragraphs_split == 1
    assert article.paragraphs[0] == "Short one." and article.paragraphs[-1] == "Short two."
    assert max(map(len, article.paragraphs)) <= MAX_PARAGRAPH_CHARS


def test_article_with_normal_paragraphs_is_unchanged():
    article = make_article("One.", "Two.")
    assert (article.paragraphs, article.paragraphs_split) == (("One.", "Two."), 0)


def test_reindex_of_a_huge_paragraph_reports_the_split_and_indexes_its_end(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    huge = SENTENCE * 8_000 + "The last word is zanzibarian."  # about 370 KB on one line
    record = {"id": "big", "title": "Big", "date": "2021-04-08", "author": "", "url": "",
              "dateline": "", "paragraphs": ["Before.", huge]}
    (archive / "a.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1,
                                 lock_timeout=5)
    summary = reindex(settings).summary_lines()
    assert (f"Articles with paragraphs over {MAX_PARAGRAPH_CHARS:,} characters, "
            "split at sentence ends: 1") in summary
    assert any("article big: 1 paragraph(s) split" in line for line in summary)
    ix = whoosh_index.open_dir(str(generations.serving_generation(settings.index_dir)))
    with ix.searcher() as searcher:
        assert len(searcher.search(Term("text", "zanzibarian"), limit=None)) == 1
