"""The `.jsonl` reader: one article per line; a bad line is a Skip and the rest is read."""
from __future__ import annotations

import datetime as dt
import json

from index.model import Article
from index.sources import read_source


def write_lines(tmp_path, *lines):
    """A `.jsonl` file from JSON-ready objects, or raw strings written as they are."""
    path = tmp_path / "archive.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_record_with_paragraphs_maps_every_field(tmp_path):
    record = {"id": "a1", "title": " The  title ", "date": "2021-04-08", "author": "Jane Doe",
              "url": "https://example.org/a1", "dateline": "BAKU, April 8",
              "paragraphs": ["First\nparagraph.", "  Second. "]}
    path = write_lines(tmp_path, record)
    assert read_source(path) == ([Article(
        id="a1", title="The title", date=dt.date(2021, 4, 8), author="Jane Doe",
        dateline="BAKU, April 8", url="https://example.org/a1", source_path=str(path),
        paragraphs=("First paragraph.", "Second."),
    )], [])


def test_text_field_is_split_into_paragraphs_at_blank_lines(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "text": "One\nline.\n\n \nTwo.\n\n"})
    articles, _ = read_source(path)
    assert articles[0].paragraphs == ("One line.", "Two.")


def test_missing_optional_fields_become_empty_strings_and_no_date(tmp_path):
    article = read_source(write_lines(tmp_path, {"id": "a", "text": "Body."}))[0][0]
    assert (article.title, article.author, article.url, article.dateline) == ("", "", "", "")
    assert article.date is None


def test_blank_lines_in_the_file_are_ignored(tmp_path):
    path = write_lines(tmp_path, "", {"id": "a", "text": "A."}, "   ", "",
                       {"id": "b", "text": "B."})
    articles, skips = read_source(path)
    assert ([a.id for a in articles], skips) == (["a", "b"], [])


def test_malformed_line_is_skipped_with_its_number_and_others_are_read(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "text": "A."}, '{"id": "b", "text": ',
                       {"id": "c", "text": "C."})
    articles, skips = read_source(path)
    assert [a.id for a in articles] == ["a", "c"]
    assert [(s.path, s.reason) for s in skips] == [(str(path), "malformed")]
    assert skips[0].detail.startswith("line 2: invalid JSON")


def test_line_that_is_not_an_object_is_malformed(tmp_path):
    articles, skips = read_source(write_lines(tmp_path, '["a", "b"]'))
    assert articles == []
    assert [(s.reason, s.detail) for s in skips] == [
        ("malformed", "line 1: a JSON list, not an object")]


def test_record_without_id_is_malformed_and_named_by_line(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "text": "A."}, {"title": "T", "text": "B."},
                       {"id": " ", "text": "C."})
    articles, skips = read_source(path)
    assert [a.id for a in articles] == ["a"]
    assert [(s.reason, s.detail.split(":")[0]) for s in skips] == [
        ("malformed", "line 2"), ("malformed", "line 3")]


def test_integer_id_becomes_its_string(tmp_path):
    articles, _ = read_source(write_lines(tmp_path, {"id": 7, "text": "A."}))
    assert articles[0].id == "7"


def test_boolean_id_is_malformed(tmp_path):
    _, skips = read_source(write_lines(tmp_path, {"id": True, "text": "A."}))
    assert [s.reason for s in skips] == ["malformed"]


def test_record_without_text_is_skipped_as_no_body(tmp_path):
    path = write_lines(tmp_path, {"id": "a"}, {"id": "b", "paragraphs": ["", "  "]},
                       {"id": "c", "text": "\n\n"})
    articles, skips = read_source(path)
    assert articles == []
    assert [s.reason for s in skips] == ["no body"] * 3
    assert skips[0].detail == "line 1: id 'a' has no text"


def test_paragraphs_that_are_not_a_list_of_strings_are_malformed(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "paragraphs": "Just a string."},
                       {"id": "b", "paragraphs": [1, 2]})
    _, skips = read_source(path)
    assert [s.reason for s in skips] == ["malformed", "malformed"]


def test_text_field_of_the_wrong_type_is_malformed(tmp_path):
    _, skips = read_source(write_lines(tmp_path, {"id": "a", "title": ["T"], "text": "A."}))
    assert [(s.reason, s.detail) for s in skips] == [
        ("malformed", "line 1: 'title' is a list, not a string")]


def test_repeated_id_keeps_the_first_record_and_skips_the_second(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "text": "First."}, {"id": "a", "text": "Second."})
    articles, skips = read_source(path)
    assert [a.paragraphs for a in articles] == [("First.",)]
    assert [(s.reason, s.detail) for s in skips] == [
        ("malformed", "line 2: id 'a' already used on line 1")]


def test_date_time_with_zone_keeps_the_calendar_day_as_written(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "date": "2021-04-08T23:30:00-05:00", "text": "A."})
    assert read_source(path)[0][0].date == dt.date(2021, 4, 8)


def test_unparseable_or_non_string_date_is_indexed_undated(tmp_path):
    path = write_lines(tmp_path, {"id": "a", "date": "last Tuesday", "text": "A."},
                       {"id": "b", "date": 20210408, "text": "B."},
                       {"id": "c", "date": "2021-02-30", "text": "C."})
    articles, skips = read_source(path)
    assert [(a.id, a.date) for a in articles] == [("a", None), ("b", None), ("c", None)]
    assert skips == []


def test_raw_tab_inside_a_string_is_tolerated(tmp_path):
    articles, skips = read_source(write_lines(tmp_path, '{"id": "a", "text": "A\ttab."}'))
    assert (articles[0].paragraphs, skips) == (("A tab.",), [])


def test_line_separator_inside_a_string_does_not_split_the_record(tmp_path):
    articles, skips = read_source(write_lines(tmp_path, '{"id": "a", "text": "One\u2028two."}'))
    assert (articles[0].paragraphs, skips) == (("One two.",), [])


def test_file_where_every_line_is_bad_gives_one_skip_per_line(tmp_path):
    articles, skips = read_source(write_lines(tmp_path, "not json", "{}"))
    assert articles == []
    assert [s.detail.split(":")[0] for s in skips] == ["line 1", "line 2"]


def test_non_utf8_jsonl_is_skipped_as_undecodable(tmp_path):
    path = tmp_path / "archive.jsonl"
    path.write_bytes('{"id": "a", "text": "Caf\u00e9"}\n'.encode("latin-1"))
    articles, skips = read_source(path)
    assert (articles, [s.reason for s in skips]) == ([], ["undecodable"])


def test_a_missing_date_is_undated_without_a_problem(tmp_path):
    from index.sources import read_source
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "x", "paragraphs": ["Text."]}\n')
    (article,), _ = read_source(path)
    assert article.date is None and article.date_problem == ""


def test_an_unreadable_date_is_undated_with_the_problem_said(tmp_path):
    from index.sources import read_source
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "x", "date": "2021-13-40", "paragraphs": ["Text."]}\n')
    (article,), _ = read_source(path)
    assert article.date is None and article.date_problem == "date '2021-13-40' is not an ISO 8601 date"
