"""Reindex progress moves with the bytes read, inside a large file too, and is shown as a tqdm
bar with the time left on a terminal, or as plain lines when output is not a terminal."""
from __future__ import annotations

import json

from click.testing import CliRunner

from index.build import Progress, reindex
from index.settings import Settings
from manage import _progress_printer, cli
from tests.unit.test_sources_warc import URL, story, write_warc


def archive_with_a_warc(tmp_path, pages=20):
    archive = tmp_path / "archive"
    archive.mkdir()
    write_warc(archive / "crawl.warc.gz", [("page", URL.format(n), story(n)) for n in range(pages)])
    (archive / "notes.jsonl").write_text(json.dumps({"id": "n1", "text": "A note."}) + "\n")
    return archive


def test_progress_moves_within_a_web_archive_and_ends_at_every_byte(tmp_path):
    archive = archive_with_a_warc(tmp_path)
    seen: list[Progress] = []
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)
    report = reindex(settings, full=True, progress=seen.append)
    total = sum(p.stat().st_size for p in archive.iterdir())
    inside_the_warc = [p for p in seen if p.path.endswith(".warc.gz") and p.files_done == 0]
    assert len(inside_the_warc) >= 2
    assert [p.bytes_done for p in seen] == sorted(p.bytes_done for p in seen)
    assert {p.bytes_total for p in seen} == {total}
    last = seen[-1]
    assert (last.bytes_done, last.files_done, last.files_total, last.articles, last.paragraphs) == (
        total, 2, 2, report.articles, report.paragraphs)


def test_terminal_shows_a_bar_with_rate_and_time_left(capsys):
    show = _progress_printer(interactive=True)
    for done in (0, 512, 2048):
        show(Progress(done, 2048, done // 2048, 1, done // 100, done // 10, "/a/crawl.warc.gz"))
    err = capsys.readouterr().err
    assert "reading: 100%" in err and "2.05k/2.05k" in err
    assert "<" in err  # elapsed<remaining
    assert "1/1 files, 20 articles" in err


def test_plain_lines_say_how_far_a_large_file_is_and_the_time_left(capsys):
    show = _progress_printer(interactive=False, seconds_between_lines=0)
    show(Progress(1_000_000, 4_000_000, 0, 2, 120, 900, "/a/crawl.warc.gz"))
    show(Progress(4_000_000, 4_000_000, 2, 2, 480, 3600, "/a/notes.jsonl"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("read 25% of 4.00MB (120 articles), about ")
    assert lines[0].endswith(" left: /a/crawl.warc.gz")
    assert lines[1] == "indexed 2/2 files (3,600 paragraphs): /a/notes.jsonl"


def test_reindex_piped_prints_plain_lines_not_a_bar(tmp_path):
    archive = archive_with_a_warc(tmp_path, pages=3)
    result = CliRunner().invoke(cli, ["reindex", "--source", str(archive), "--index-dir",
                                      str(tmp_path / "idx"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr
    assert "indexed 2/2 files" in result.stderr and "%|" not in result.stderr
