"""Finding archive files, and the file-level checks every reader shares."""
from __future__ import annotations

import pytest

from index.model import Skip
from index.sources import SUPPORTED_SUFFIXES, discover_files, read_source


def touch(path, text="Some text.\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_supported_suffixes_are_the_archive_formats():
    assert SUPPORTED_SUFFIXES == (".txt", ".jsonl", ".sgm", ".html", ".htm", ".rss", ".atom",
                                  ".xml", ".warc")


def test_folder_is_searched_recursively_for_supported_files_only(tmp_path):
    wanted = [touch(tmp_path / "b.txt"), touch(tmp_path / "a" / "deep" / "c.sgm"),
              touch(tmp_path / "a" / "d.jsonl")]
    touch(tmp_path / "notes.md")
    touch(tmp_path / "a" / "data.json")
    assert discover_files([tmp_path]) == sorted(wanted)


def test_hidden_files_and_folders_are_skipped(tmp_path):
    kept = touch(tmp_path / "kept.txt")
    touch(tmp_path / ".hidden.txt")
    touch(tmp_path / ".git" / "inside.txt")
    touch(tmp_path / "sub" / ".cache" / "inside.sgm")
    assert discover_files([tmp_path]) == [kept]


def test_archive_inside_a_hidden_folder_is_still_searched_when_named(tmp_path):
    inside = touch(tmp_path / ".archive" / "a.txt")
    assert discover_files([tmp_path / ".archive"]) == [inside]


def test_suffixes_match_whatever_their_case(tmp_path):
    upper = touch(tmp_path / "A.TXT")
    assert discover_files([tmp_path]) == [upper]


def test_files_named_twice_are_listed_once(tmp_path, monkeypatch):
    path = touch(tmp_path / "sub" / "a.txt")
    monkeypatch.chdir(tmp_path)
    found = discover_files([tmp_path, tmp_path / "sub", path, "sub/a.txt", "sub/../sub/a.txt"])
    assert found == [path]


def test_relative_paths_come_back_absolute(tmp_path, monkeypatch):
    touch(tmp_path / "sub" / "a.txt")
    monkeypatch.chdir(tmp_path)
    assert discover_files(["sub"]) == [tmp_path / "sub" / "a.txt"]


def test_missing_path_raises_file_not_found_naming_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        discover_files([tmp_path, missing])


def test_file_named_directly_is_kept_whatever_its_suffix(tmp_path):
    named = touch(tmp_path / "notes.md")
    assert discover_files([named]) == [named]


def test_unsupported_suffix_is_skipped_as_unsupported(tmp_path):
    path = touch(tmp_path / "notes.md")
    articles, skips = read_source(path)
    assert articles == []
    assert [(s.path, s.reason) for s in skips] == [(str(path), "unsupported")]


@pytest.mark.parametrize("content", [b"", b" \n\n\t\n"])
@pytest.mark.parametrize("name", ["a.txt", "a.jsonl", "a.sgm"])
def test_empty_or_blank_file_is_skipped_as_empty(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert read_source(path) == ([], [Skip(str(path), "empty", "the file holds no text")])


@pytest.mark.parametrize("name", ["a.txt", "a.jsonl", "a.sgm"])
def test_file_with_nul_bytes_is_skipped_as_binary(tmp_path, name):
    (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    articles, skips = read_source(tmp_path / name)
    assert (articles, [s.reason for s in skips]) == ([], ["binary"])


def test_file_with_only_a_byte_order_mark_is_skipped_as_empty(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf\n")
    articles, skips = read_source(path)
    assert (articles, [s.reason for s in skips]) == ([], ["empty"])


def test_file_that_cannot_be_opened_is_skipped_as_unreadable(tmp_path):
    folder = tmp_path / "looks_like.txt"
    folder.mkdir()
    articles, skips = read_source(folder)
    assert (articles, [s.reason for s in skips]) == ([], ["unreadable"])


def test_source_path_is_absolute_when_given_a_relative_path(tmp_path, monkeypatch):
    touch(tmp_path / "a.txt")
    monkeypatch.chdir(tmp_path)
    articles, _ = read_source("a.txt")
    assert articles[0].source_path == str(tmp_path / "a.txt")



def test_a_symlinked_folder_is_followed(tmp_path):
    real = touch(tmp_path / "elsewhere" / "a.txt")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "linked").symlink_to(real.parent)
    assert discover_files([tmp_path / "archive"]) == [tmp_path / "archive" / "linked" / "a.txt"]


def test_a_symlink_loop_between_folders_is_walked_once(tmp_path):
    kept = touch(tmp_path / "archive" / "sub" / "a.txt")
    (tmp_path / "archive" / "sub" / "back").symlink_to(tmp_path / "archive")
    assert discover_files([tmp_path / "archive"]) == [kept]


def test_a_looping_file_symlink_is_listed_so_that_its_read_reports_it(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    assert discover_files([tmp_path]) == [loop]
    articles, skips = read_source(loop)
    assert (articles, [s.reason for s in skips]) == ([], ["unreadable"])
    assert skips[0].detail == "Too many levels of symbolic links"
