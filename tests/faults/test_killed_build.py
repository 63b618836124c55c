"""kill -9 of a reindex while its sub-writers run: nothing it started outlives it, the lock is
free at once, and the next reindex succeeds without waiting."""
from __future__ import annotations

import os
import signal

import pytest

from faultkit import (alive, children_of, manage, serving_name, small_archive, start_manage,
                      wait_until)

pytestmark = pytest.mark.slow


def test_a_killed_full_build_leaves_no_process_and_no_lock_behind(tmp_path, reuters_archive):
    index_dir = tmp_path / "idx"
    first = manage("reindex", "--source", small_archive(tmp_path / "small"), "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    build = start_manage("reindex", "--full", "--source", reuters_archive, "--index-dir", index_dir,
                         "--workers", "2")
    # Sub-writers start once the first batch of articles is queued.
    assert wait_until(lambda: len(children_of(build.pid)) >= 2, timeout=120), build.stderr.read()
    sub_writers = children_of(build.pid)
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in sub_writers), timeout=5), \
        "sub-writers outlived the killed reindex"
    assert serving_name(index_dir) == "gen-1"
    again = manage("reindex", "--source", reuters_archive, "--index-dir", index_dir,
                   env={"NEWS_SEARCH_LOCK_TIMEOUT": "5"})
    assert again.returncode == 0, again.stderr
    assert "Another reindex is running" not in again.stderr
    assert serving_name(index_dir) == "gen-2"  # the killed build's gen-2 went first
