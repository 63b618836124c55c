"""The users' `.txt` reader: the date line, paragraphs, and files without a date line."""
from __future__ import annotations

import datetime as dt

import pytest

from index.sources import read_source

SEED = "seed/000_6d2201c64f15c868.txt"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_article(path):
    articles, skips = read_source(path)
    assert skips == []
    assert len(articles) == 1
    return articles[0]


def test_seed_article_has_eleven_paragraphs_its_date_and_author(shared_dir):
    article = only_article(shared_dir / SEED)
    assert len(article.paragraphs) == 11
    assert article.date == dt.date(2021, 4, 8)
    assert article.author == "Vafa Ismayilova"


def test_seed_article_has_no_title_and_opens_with_its_lead(shared_dir):
    article = only_article(shared_dir / SEED)
    assert article.title == ""
    assert article.paragraphs[0].startswith("The Organization of Islamic Cooperation (OIC)")
    assert article.paragraphs[-1].endswith("since the early 1990s.")


def test_seed_article_id_is_file_stem_and_source_path_is_absolute(shared_dir):
    article = only_article(shared_dir / SEED)
    assert article.id == "000_6d2201c64f15c868"
    assert article.source_path == str(shared_dir / SEED)


@pytest.mark.parametrize("header", [
    " date 2021-04-08 By Jane Doe",
    "date 2021-04-08 by Jane Doe",
    "   date   2021-04-08\t By   Jane Doe   ",
    "Date: 2021-04-08 BY Jane Doe",
])
def test_date_line_spacing_and_case_variants_give_date_and_author(tmp_path, header):
    article = only_article(write(tmp_path, "a.txt", f"{header}\n\nFirst paragraph.\n"))
    assert (article.date, article.author) == (dt.date(2021, 4, 8), "Jane Doe")
    assert article.paragraphs == ("First paragraph.",)


def test_date_line_without_by_takes_the_rest_as_author(tmp_path):
    article = only_article(write(tmp_path, "a.txt", " date 2021-04-08 Jane Doe\n\nText.\n"))
    assert (article.date, article.author) == (dt.date(2021, 4, 8), "Jane Doe")


def test_date_line_without_author_gives_empty_author(tmp_path):
    article = only_article(write(tmp_path, "a.txt", " date 2021-04-08\n\nText.\n"))
    assert (article.date, article.author) == (dt.date(2021, 4, 8), "")


def test_date_line_with_time_and_zone_keeps_the_day_as_written(tmp_path):
    path = write(tmp_path, "a.txt", " date 2021-04-08T23:30:00-05:00 By Jane Doe\n\nText.\n")
    assert only_article(path).date == dt.date(2021, 4, 8)


def test_unparseable_date_is_indexed_undated_with_its_author(tmp_path):
    article = only_article(write(tmp_path, "a.txt", " date 2021-13-45 By Jane Doe\n\nText.\n"))
    assert (article.date, article.author, article.paragraphs) == (None, "Jane Doe", ("Text.",))


def test_date_line_with_missing_date_keeps_author_and_is_undated(tmp_path):
    article = only_article(write(tmp_path, "a.txt", " date By Jane Doe\n\nText.\n"))
    assert (article.date, article.author, article.paragraphs) == (None, "Jane Doe", ("Text.",))


def test_file_without_date_line_is_undated_and_keeps_its_first_line(tmp_path):
    article = only_article(write(tmp_path, "a.txt", "Opening line.\n\nSecond paragraph.\n"))
    assert (article.date, article.author) == (None, "")
    assert article.paragraphs == ("Opening line.", "Second paragraph.")


def test_first_line_starting_with_the_word_date_is_text_not_a_date_line(tmp_path):
    article = only_article(write(tmp_path, "a.txt", "Date palms grow by the river.\n\nMore.\n"))
    assert article.date is None
    assert article.paragraphs[0] == "Date palms grow by the river."


def test_wrapped_lines_and_space_runs_become_one_space_within_a_paragraph(tmp_path):
    text = " date 2021-04-08 By J\n\nOne  line\nwrapped   here.\n\n\n\n  Next\t one. \n"
    article = only_article(write(tmp_path, "a.txt", text))
    assert article.paragraphs == ("One line wrapped here.", "Next one.")


def test_blank_lines_holding_spaces_separate_paragraphs(tmp_path):
    article = only_article(write(tmp_path, "a.txt", "First.\n   \t\nSecond.\n"))
    assert article.paragraphs == ("First.", "Second.")


def test_windows_line_ends_and_byte_order_mark_are_read_like_unix_ones(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff date 2021-04-08 By J\r\n\r\nOne\r\ntwo.\r\n\r\nThree.\r\n".encode())
    article = only_article(path)
    assert (article.date, article.paragraphs) == (dt.date(2021, 4, 8), ("One two.", "Three."))


def test_control_characters_are_dropped_from_text(tmp_path):
    article = only_article(write(tmp_path, "a.txt", "Cla\x7fimed\x03 it.\n"))
    assert article.paragraphs == ("Claimed it.",)


def test_date_line_without_any_text_is_skipped_as_empty(tmp_path):
    path = write(tmp_path, "a.txt", " date 2021-04-08 By Jane Doe\n\n\n")
    articles, skips = read_source(path)
    assert articles == []
    assert [(s.path, s.reason) for s in skips] == [(str(path), "empty")]


def test_latin1_text_file_is_skipped_as_undecodable(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("Caf\u00e9 society.\n".encode("latin-1"))
    articles, skips = read_source(path)
    assert articles == []
    assert [s.reason for s in skips] == ["undecodable"]
    assert "0xe9" in skips[0].detail


def test_a_date_line_with_an_unreadable_date_is_undated_with_the_problem_said(tmp_path):
    from index.sources import read_source
    path = tmp_path / "a.txt"
    path.write_text(" date 2021-04-31 By Someone\n\nText.\n")
    (article,), _ = read_source(path)
    assert (article.date, article.author) == (None, "Someone")
    assert article.date_problem == "date '2021-04-31' is not a calendar date"
