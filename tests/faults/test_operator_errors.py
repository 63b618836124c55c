"""Mistakes and surprises an operator meets, each one `Error:` line with what to do, nothing
changed: an index folder this user cannot write, `serve` with a missing source or behind a held
lock, a remembered source that went missing (an unmounted disk), and a mass deletion."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from faultkit import PROJECT, last_line, manage, serving_name, small_archive, wait_until

pytestmark = pytest.mark.slow

_HOLD = ("import sys, time; from pathlib import Path; from index.lock import ReindexLock\n"
         "with ReindexLock(Path(sys.argv[1]), 5):\n"
         "    Path(sys.argv[2]).write_text('held'); time.sleep(60)\n")


def test_an_index_folder_that_cannot_be_written_is_one_line(tmp_path):
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's write override")
    locked = tmp_path / "readonly"
    locked.mkdir()
    locked.chmod(0o555)
    result = subprocess.run(
        ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
         "--bounding-set=-dac_override,-dac_read_search", sys.executable, str(PROJECT / "manage.py"),
         "reindex", "--source", small_archive(tmp_path / "archive"), "--index-dir", locked / "idx"],
        cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot write to the index folder {locked / 'idx'} (Permission denied: "
        f"{locked / 'idx'}); the serving index is unchanged. Give this user write access or "
        "choose another --index-dir."]


def test_serve_with_a_missing_source_is_one_line_and_exit_1(tmp_path):
    result = manage("serve", "--index-dir", tmp_path / "idx", "--port", 0,
                    env={"NEWS_SEARCH_SOURCES": str(tmp_path / "absent")}, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert last_line(result.stderr).startswith("Error: ") and "absent" in last_line(result.stderr)


def test_serve_behind_a_held_lock_is_one_line_naming_the_holder(tmp_path):
    marker = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path / "idx"), str(marker)],
                              cwd=PROJECT)
    try:
        assert wait_until(marker.exists, timeout=30)
        result = manage("serve", "--index-dir", tmp_path / "idx", "--port", 0, timeout=60,
                        env={"NEWS_SEARCH_SOURCES": str(small_archive(tmp_path / "archive")),
                             "NEWS_SEARCH_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert last_line(result.stderr).startswith(f"Error: another reindex (process {holder.pid} on ")


def test_a_missing_remembered_source_stops_the_reindex_and_keeps_the_index(tmp_path):
    archive = small_archive(tmp_path / "archive")
    assert manage("reindex", "--source", archive, "--index-dir", tmp_path / "idx").returncode == 0
    archive.rename(tmp_path / "unmounted")
    result = manage("reindex", "--index-dir", tmp_path / "idx")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: source {archive} (remembered by the index) is missing; the serving index is "
        "unchanged. Restore it (is its disk mounted?), or drop it and its articles with "
        f"--remove-source {archive}")
    assert serving_name(tmp_path / "idx") == "gen-1"


def test_most_files_gone_needs_prune_and_says_how_many_articles_go(tmp_path):
    archive = small_archive(tmp_path / "archive", articles=5)
    assert manage("reindex", "--source", archive, "--index-dir", tmp_path / "idx").returncode == 0
    for n in range(3):
        (archive / f"f{n}.jsonl").unlink()
    status = manage("status", "--index-dir", tmp_path / "idx")
    assert "delete 3 file(s) with 3 article(s) (more than 20% of 5: needs --prune)" in status.stdout
    refused = manage("reindex", "--index-dir", tmp_path / "idx")
    assert refused.returncode == 1
    assert last_line(refused.stderr).startswith("Error: this reindex would delete 3 of 5 articles (60%)")
    assert serving_name(tmp_path / "idx") == "gen-1"
    pruned = manage("reindex", "--index-dir", tmp_path / "idx", "--prune")
    assert pruned.returncode == 0 and "Articles deleted: 3" in pruned.stdout
