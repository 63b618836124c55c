"""Reindex progress moves with the bytes read, inside a large file too, and is shown as a tqdm
bar with the time left on a terminal, or as plain lines when output is not a terminal; every
stage after reading is shown by name with its elapsed time, on a terminal and piped."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cli.reindex_progress import progress_printer
from index.build import Progress, reindex
from index.settings import Settings
from index.stages import Stage
from manage import cli
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
    show = progress_printer(print, interactive=True)
    for done in (0, 512, 2048):
        show(Progress(done, 2048, done // 2048, 1, done // 100, done // 10, "/a/crawl.warc.gz"))
    err = capsys.readouterr().err
    assert "reading: 100%" in err and "2.05k/2.05k" in err
    assert "<" in err  # elapsed<remaining
    assert "1/1 files, 20 articles" in err


def test_plain_lines_say_how_far_a_large_file_is_and_the_time_left(capsys):
    lines = []
    show = progress_printer(lines.append, interactive=False, seconds_between_lines=0)
    show(Progress(1_000_000, 4_000_000, 0, 2, 120, 900, "/a/crawl.warc.gz"))
    show(Progress(4_000_000, 4_000_000, 2, 2, 480, 3600, "/a/notes.jsonl"))
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


# The stages a full build goes through after reading, in order (no merge: nothing was deleted).
AFTER_READING = ["finishing the index segments", "column files, copies and posting store",
                 "article vectors", "places table", "checksums", "switching to the new generation"]


def test_each_stage_after_reading_begins_ticks_and_ends_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr("index.stages.TICK_SECONDS", 0.001)
    archive = archive_with_a_warc(tmp_path, pages=3)
    seen = []
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)
    report = reindex(settings, full=True, progress=seen.append, on_stage=seen.append)
    stages = [e for e in seen if isinstance(e, Stage)]
    ended = [s.name for s in stages if s.finished]
    assert ended[0] == "loading the gazetteer" and ended[-len(AFTER_READING):] == AFTER_READING
    assert list(report.stage_seconds) == ended
    last_read = max(i for i, e in enumerate(seen) if isinstance(e, Progress))
    first_after = seen.index(Stage("finishing the index segments", 0.0))
    assert last_read < first_after
    for name in ended:  # begun at 0 s, then only later times, ended once
        times = [s.seconds for s in stages if s.name == name]
        assert times[0] == 0.0 and times == sorted(times)
        assert [s.finished for s in stages if s.name == name].count(True) == 1
    assert any(s.seconds > 0 and not s.finished for s in stages)  # a tick while one ran


def test_a_terminal_rewrites_one_line_per_stage_and_ends_it_with_its_time(capsys):
    show = progress_printer(print, interactive=True)
    show(Stage("posting store", 0.0))
    show(Stage("posting store", 2.0))
    show(Stage("posting store", 2.5, finished=True))
    show(Stage("checksums", 0.0))
    err = capsys.readouterr().err
    assert err == ("\rposting store…\x1b[K\rposting store: 2 s…\x1b[K"
                   "\rposting store: done in 2.5 s\x1b[K\n\rchecksums…\x1b[K")


def test_piped_stage_lines_say_when_it_begins_every_so_often_and_its_time(capsys):
    lines = []
    show = progress_printer(lines.append, interactive=False, seconds_between_lines=10)
    for seconds in (0.0, 1.0, 9.0, 10.0, 12.0, 20.5):
        show(Stage("finishing the index segments", seconds))
    show(Stage("finishing the index segments", 21.04, finished=True))
    assert lines == ["finishing the index segments…", "finishing the index segments: 10 s…",
                     "finishing the index segments: 20 s…",
                     "finishing the index segments: done in 21.0 s"]


def test_reindex_piped_names_every_stage_with_its_time(tmp_path):
    archive = archive_with_a_warc(tmp_path, pages=3)
    result = CliRunner().invoke(cli, ["reindex", "--source", str(archive), "--index-dir",
                                      str(tmp_path / "idx"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    ended = [line.split(": done in ")[0] for line in result.stderr.splitlines() if ": done in " in line]
    assert ended[0] == "loading the gazetteer" and ended[-len(AFTER_READING):] == AFTER_READING
