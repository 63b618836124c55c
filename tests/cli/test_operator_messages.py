"""What an operator reads when a command is stopped or given a bad value: one clear line each.
A reindex stopped by Ctrl-C (to its whole process group, as a terminal sends it) or by SIGTERM
cleans up and says so once; `status` tells a build running now from a folder a killed one left;
`serve` on a taken port names --port; the summary's speed and the date messages say what is
true. Real processes where signals and ports are the point."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive_files import write_jsonl
from index.build import ReindexReport
from manage import cli

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE_REUTERS = PROJECT / "samples" / "reut2-000.sgm"  # enough paragraphs for sub-writers


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """An index folder serving gen-1 of two small articles; tests copy it."""
    folder = tmp_path_factory.mktemp("built")
    write_jsonl(folder / "archive" / "a.jsonl",
                {"id": "a1", "title": "Cocoa", "date": "1987-02-26",
                 "paragraphs": ["Cocoa prices rose in Bahia."]},
                {"id": "a2", "title": "Oil", "date": "1987-03-02", "paragraphs": ["Oil was steady."]})
    result = run("reindex", "--source", folder / "archive", "--index-dir", folder / "idx",
                 "--workers", 1)
    assert result.exit_code == 0, result.output
    return folder / "idx"


@pytest.fixture
def index_dir(built, tmp_path) -> Path:
    shutil.copytree(built, tmp_path / "idx")
    return tmp_path / "idx"


def start(*args) -> subprocess.Popen:
    """`manage.py ARGS` in a session of its own, so that a signal can go to its whole group."""
    return subprocess.Popen([sys.executable, "manage.py", *map(str, args)], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "NEWS_SEARCH_WORKERS": "2"})


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()


def full_build_with_sub_writers(index_dir: Path, tmp_path: Path) -> subprocess.Popen:
    """A full reindex of the sample Reuters file, once its sub-writers run (gen-2 being written)."""
    shutil.copy(SAMPLE_REUTERS, tmp_path / SAMPLE_REUTERS.name)
    build = start("reindex", "--full", "--source", tmp_path / SAMPLE_REUTERS.name,
                  "--index-dir", index_dir)
    # gen-2 first: before it, two children may be the first pass's (counting place readings).
    assert wait_until(lambda: (index_dir / "gen-2").is_dir() and len(children_of(build.pid)) >= 2,
                      timeout=120), build.stderr.read()
    return build


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_stopped_reindex_removes_its_generation_and_says_so_in_one_line(index_dir, tmp_path, how):
    build = full_build_with_sub_writers(index_dir, tmp_path)
    try:
        if how == "ctrl-c":
            os.killpg(build.pid, signal.SIGINT)  # what a terminal does: the whole group
        else:
            build.send_signal(signal.SIGTERM)  # what `kill` and service managers do: the process
        _, printed = build.communicate(timeout=60)
    finally:
        if build.poll() is None:  # a stop that never finished must not outlive the test
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
    name = "Ctrl-C (SIGINT)" if how == "ctrl-c" else "SIGTERM"
    assert printed.splitlines()[-1] == (f"Stopped by {name}: the unfinished generation was "
                                        "removed; still serving gen-1, unchanged."), printed
    assert printed.count("Stopped by") == 1
    assert "Traceback" not in printed and "Aborted!" not in printed, printed
    assert build.returncode == (130 if how == "ctrl-c" else 143)
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-1"]


def test_status_names_a_build_running_now(index_dir, lock_held_elsewhere):
    holder = lock_held_elsewhere(index_dir)
    (index_dir / "gen-2").mkdir()
    result = run("status", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    assert re.search(rf"^Building now: process {holder.pid} on .+, since .+, writing gen-2 "
                     r"\(0\.0 MB\)$", result.output, re.MULTILINE), result.output


def test_status_names_a_generation_a_killed_build_left_behind(index_dir):
    # What a reindex killed with SIGKILL leaves: a gen-<n> with segments and no manifest, and
    # the lock file still naming the dead process (the kernel released the lock itself).
    (index_dir / "gen-2").mkdir()
    (index_dir / "gen-2" / "_MAIN_1.toc").write_bytes(b"x" * 300_000)
    (index_dir / "reindex.lock").write_text('{"pid": 999999, "host": "h", "started": "t"}')
    result = run("status", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    assert ("Left behind by a build that did not finish: gen-2 (0.3 MB); the next reindex "
            "removes it.") in result.output
    assert "Building now" not in result.output


@pytest.mark.slow
def test_serve_on_a_port_in_use_is_one_line_that_suggests_another_port(index_dir):
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        server = start("serve", "--port", port, "--index-dir", index_dir)
        out, err = server.communicate(timeout=30)
    finally:
        taken.close()
    assert server.returncode == 1
    assert (out + err).strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port"]


@pytest.mark.slow
def test_ctrl_c_of_serve_with_workers_says_stopped_once(index_dir):
    server = start("serve", "--port", 0, "--workers", 2, "--index-dir", index_dir)
    assert wait_until(lambda: len(children_of(server.pid)) == 2, timeout=60)
    time.sleep(1.0)  # the workers open the index and serve
    os.killpg(server.pid, signal.SIGINT)
    _, printed = server.communicate(timeout=30)
    assert server.returncode == 0
    assert printed.count("Stopped.") == 1 and "Traceback" not in printed, printed


@pytest.mark.parametrize("written, seconds, shown", [
    (1, 1.9, "Speed: 0.53 paragraphs/s"), (3, 1.0, "Speed: 3 paragraphs/s"),
    (5_331, 6.1, "Speed: 874 paragraphs/s"), (0, 0.4, "Speed: nothing written")])
def test_the_summary_speed_is_never_a_rounded_zero(written, seconds, shown):
    report = ReindexReport(generation=2, up_to_date=False, full=False, articles=1, paragraphs=1,
                           paragraphs_written=written, seconds=seconds)
    assert shown in report.summary_lines()[2]


def test_an_article_dated_with_no_such_day_is_said_to_be_no_calendar_date(tmp_path):
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "a.txt").write_text(" date 2020-02-30 By X\n\nTalks ended.\n")
    result = run("reindex", "--source", tmp_path / "archive", "--index-dir", tmp_path / "idx",
                 "--workers", 1)
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'archive' / 'a.txt'}: article a: date '2020-02-30' is not a calendar date" \
        in result.output


@pytest.mark.parametrize("value, message", [
    ("2020-02-30", "Invalid value for --from: '2020-02-30' is not a calendar date; check the "
                   "year, month and day"),
    ("soon", "Invalid value for --from: must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not 'soon'")])
def test_a_bad_from_date_names_the_option_once(index_dir, value, message):
    result = run("search", "oil", "--from", value, "--index-dir", index_dir)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {message}"
