"""The reindex lock: exclusive, says who holds it, times out, clears stale locks."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from index.lock import LOCK_NAME, LockTimeout, ReindexLock


def test_lock_file_exists_while_held_and_is_removed_after(tmp_path):
    with ReindexLock(tmp_path, timeout=1):
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_second_holder_times_out_naming_the_first(tmp_path):
    waited_for = []
    with ReindexLock(tmp_path, timeout=1):
        with pytest.raises(LockTimeout, match=f"process {os.getpid()}"):
            with ReindexLock(tmp_path, timeout=0.3, on_wait=waited_for.append, poll=0.05):
                pass
    assert [h.pid for h in waited_for] == [os.getpid()]


def test_lock_of_a_dead_process_is_cleared(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    (tmp_path / LOCK_NAME).write_text(json.dumps(
        {"pid": int(dead.stdout), "host": socket.gethostname(), "started": "earlier"}))
    with ReindexLock(tmp_path, timeout=0.5, poll=0.05):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_unreadable_lock_is_cleared_once_it_is_old(tmp_path):
    lock = tmp_path / LOCK_NAME
    lock.write_text("")
    old = time.time() - 60
    os.utime(lock, (old, old))
    with ReindexLock(tmp_path, timeout=0.5, poll=0.05):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_lock_released_after_an_error_inside(tmp_path):
    with pytest.raises(RuntimeError):
        with ReindexLock(tmp_path, timeout=1):
            raise RuntimeError("build failed")
    assert not (tmp_path / LOCK_NAME).exists()
