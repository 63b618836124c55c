"""`manage.py search --export FILE`: the same rows as /api/export written to a file (whole or not
at all), its format chosen by the file's suffix, progress on stderr, bad input as usage errors."""
from __future__ import annotations

import csv
import json

import pytest
from built_apps import built_settings
from click.testing import CliRunner

from cli.export_progress import ExportProgress
from manage import cli
from search.service.export import COLUMNS

ARTICLES = [{"id": f"cocoa-{n}", "title": f"Cocoa review {n}", "date": f"1987-02-{n + 1:02d}",
             "author": "", "url": "", "dateline": "",
             "paragraphs": [f"Cocoa prices rose {n} percent in Bahia.", "Shipments were light."]}
            for n in range(12)]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return built_settings(tmp_path_factory.mktemp("cli-export"), ARTICLES).index_dir


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={}, catch_exceptions=False)


def test_export_to_csv_writes_every_hit_in_order_and_says_so(index_dir, tmp_path):
    out = tmp_path / "prices.csv"
    result = run("search", "prices", "--sort", "oldest", "--index-dir", index_dir, "--export", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == list(COLUMNS)
    assert [r[0] for r in rows[1:]] == [f"cocoa-{n}:0" for n in range(12)]
    assert "Exported 12 paragraph row(s) from index generation 1 to" in result.output
    assert not (tmp_path / "prices.csv.part").exists()


def test_export_to_jsonl_takes_the_search_options(index_dir, tmp_path):
    out = tmp_path / "cocoa.jsonl"
    result = run("search", "cocoa", "--from", "1987-02-05", "--group", "article",
                 "--index-dir", index_dir, "--export", out)
    assert result.exit_code == 0, result.output
    head, *rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert head["export"]["total"] == len(rows) == 8
    assert all(r["date"] >= "1987-02-05" and r["matching_paragraphs"] == 2 for r in rows)


def test_export_file_with_another_suffix_is_a_usage_error_naming_export(index_dir, tmp_path):
    result = run("search", "cocoa", "--index-dir", index_dir, "--export", tmp_path / "out.xlsx")
    assert result.exit_code == 2
    assert "--export" in result.output and ".csv or .jsonl" in result.output
    assert not list(tmp_path.iterdir())


def test_export_with_a_bad_search_option_names_that_option(index_dir, tmp_path):
    result = run("search", "cocoa", "--to", "1987-13", "--index-dir", index_dir,
                 "--export", tmp_path / "out.csv")
    assert result.exit_code == 2 and "--to" in result.output


def test_export_progress_lines_say_how_far_and_the_time_left():
    lines: list[str] = []
    progress = ExportProgress(40_000, lines.append, interactive=False, seconds_between_lines=0)
    progress.advance(10_000)
    progress.advance(0)
    progress.advance(30_000)
    assert len(lines) == 2
    assert lines[0].startswith("exported 10,000 of 40,000 rows (25%), about ")
    assert lines[1] == "exported 40,000 of 40,000 rows (100%), about 00:00 left"


def test_export_progress_on_a_terminal_is_a_bar_of_rows(capsys):
    progress = ExportProgress(2_000, lambda line: None, interactive=True)
    progress.advance(2_000)
    progress.close()
    err = capsys.readouterr().err
    assert "exporting: 100%" in err and "2.00k/2.00k" in err
