"""A full disk: one `Error:` line, exit 1, the partial generation gone, the serving generation
untouched and searchable, and the next reindex succeeding once there is room (a 40 MB tmpfs)."""
from __future__ import annotations

import os
import shutil

import pytest

from faultkit import last_line, manage, serving_name, small_archive

pytestmark = pytest.mark.slow


def fill(disk, leave_bytes: int):
    """A file that takes all but `leave_bytes` of the disk's free space."""
    filler = disk / "filler"
    size = max(shutil.disk_usage(disk).free - leave_bytes, 0)
    with open(filler, "wb") as f:
        f.truncate(0)
        f.write(b"\0" * size)
    return filler


def generation_folders(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def search_finds(index_dir, word: str) -> bool:
    found = manage("search", word, "--index-dir", index_dir, "--json")
    return found.returncode == 0 and '"total": 0' not in found.stdout


def test_a_full_disk_during_a_build_is_one_line_and_changes_nothing(tmp_path, small_disk,
                                                                    reuters_archive):
    index_dir = small_disk / "idx"
    first = manage("reindex", "--source", small_archive(tmp_path / "small"), "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    filler = fill(small_disk, leave_bytes=2_000_000)
    failed = manage("reindex", "--full", "--source", reuters_archive, "--index-dir", index_dir)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr + failed.stdout
    message = last_line(failed.stderr)
    assert message.startswith(f"Error: no space left on the device holding {index_dir}: gen-2 had reached")
    assert "the partial generation was removed and the serving index is unchanged" in message
    assert generation_folders(index_dir) == ["gen-1"] and serving_name(index_dir) == "gen-1"
    assert search_finds(index_dir, "cocoa")
    filler.unlink()
    again = manage("reindex", "--source", reuters_archive, "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert serving_name(index_dir) == "gen-2" and search_finds(index_dir, "coffee")


def test_an_update_that_cannot_copy_the_generation_says_so_before_copying(tmp_path, small_disk,
                                                                          reuters_archive):
    index_dir = small_disk / "idx"
    first = manage("reindex", "--source", reuters_archive, "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    filler = fill(small_disk, leave_bytes=1_000_000)
    small_archive(reuters_archive)  # new files: an incremental update
    failed = manage("reindex", "--index-dir", index_dir)
    assert failed.returncode == 1
    message = last_line(failed.stderr)
    assert message.startswith(f"Error: not enough free space in {index_dir}: an incremental build "
                              "copies the serving generation (")
    assert "the serving index is unchanged" in message
    assert [line for line in failed.stderr.splitlines() if line.startswith("Error")] == [message.strip()]
    assert generation_folders(index_dir) == ["gen-1"] and search_finds(index_dir, "coffee")
    os.unlink(filler)
    again = manage("reindex", "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert search_finds(index_dir, "bahia")
