"""The reindex lock: exclusive, says who holds it, times out, and dies with its holder."""
import json
import os
import signal
import subprocess
import time
import sys
from pathlib import Path

import pytest

from index.lock import LOCK_NAME, LockTimeout, ReindexLock

PROJECT = Path(__file__).resolve().parents[2]

def test_holder_is_written_while_held_and_cleared_after(tmp_path):
    with ReindexLock(tmp_path, timeout=1):
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid()
    assert (tmp_path / LOCK_NAME).read_text() == ""


def test_lock_can_be_taken_again_after_release(tmp_path):
    with ReindexLock(tmp_path, timeout=1):
        pass
    with ReindexLock(tmp_path, timeout=0.2, poll=0.05) as lock:
        assert lock.holder().pid == os.getpid()


def test_second_holder_times_out_naming_the_first(tmp_path, lock_held_elsewhere):
    other = lock_held_elsewhere(tmp_path)
    waited_for = []
    with pytest.raises(LockTimeout, match=f"process {other.pid}"):
        with ReindexLock(tmp_path, timeout=0.3, on_wait=waited_for.append, poll=0.05):
            pass
    assert [h.pid for h in waited_for] == [other.pid]


def test_lock_of_a_killed_process_is_free_at_once(tmp_path, lock_held_elsewhere):
    other = lock_held_elsewhere(tmp_path)
    os.kill(other.pid, signal.SIGKILL)
    other.wait()
    with ReindexLock(tmp_path, timeout=0.5, poll=0.05) as lock:
        assert lock.holder().pid == os.getpid()


def test_a_lock_file_left_with_a_dead_holder_written_in_it_does_not_block(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 999999, "host": "h", "started": "then"}))
    with ReindexLock(tmp_path, timeout=0.5, poll=0.05) as lock:
        assert lock.holder().pid == os.getpid()


def test_lock_released_after_an_error_inside(tmp_path):
    with pytest.raises(RuntimeError):
        with ReindexLock(tmp_path, timeout=1):
            raise RuntimeError("build failed")
    with ReindexLock(tmp_path, timeout=0.2, poll=0.05):
        pass


CONTENDER = """
import sys, time
from pathlib import Path
from index.lock import ReindexLock
folder, log, me = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with ReindexLock(folder, timeout=30, poll=0.01):
    with open(log, "a") as f:
        f.write(f"in {me}\\n")
    time.sleep(0.05)
    with open(log, "a") as f:
        f.write(f"out {me}\\n")
"""


def test_contenders_never_overlap(tmp_path):
    log = tmp_path / "log"
    contenders = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(tmp_path), str(log), str(n)],
                                   cwd=PROJECT) for n in range(6)]
    for c in contenders:
        assert c.wait(timeout=60) == 0
    lines = log.read_text().split()
    events = list(zip(lines[::2], lines[1::2]))
    assert len(events) == 12
    for enter, leave in zip(events[::2], events[1::2]):
        assert enter[0] == "in" and leave == ("out", enter[1])


LEAVES_A_CHILD_HOLDING = """
import os, sys, time
from pathlib import Path
from index.lock import ReindexLock
with ReindexLock(Path(sys.argv[1]), timeout=5):
    child = os.fork()  # a plain fork inherits the descriptor, whatever O_CLOEXEC says
    if child == 0:
        time.sleep(60)
        os._exit(0)
    Path(sys.argv[2]).write_text(str(child))
    time.sleep(60)
"""


def test_a_lock_kept_by_a_dead_holders_child_names_the_live_child(tmp_path):
    marker = tmp_path / "child-pid"
    holder = subprocess.Popen([sys.executable, "-c", LEAVES_A_CHILD_HOLDING, str(tmp_path),
                               str(marker)], cwd=PROJECT)
    try:
        child = _pid_written_to(marker)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        with pytest.raises(LockTimeout, match=f"process {child} .* left running by process {holder.pid}"):
            with ReindexLock(tmp_path, timeout=0.2, poll=0.05):
                pass
    finally:
        holder.kill()
        holder.wait()
        if marker.exists() and marker.read_text():
            os.kill(int(marker.read_text()), signal.SIGKILL)


CHILD_OF_A_BUILD = """
import os, sys, time
from pathlib import Path
from index.lock import ReindexLock, bind_child_to_build
with ReindexLock(Path(sys.argv[1]), timeout=5):
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        bind_child_to_build(parent)
        Path(sys.argv[2]).write_text(str(os.getpid()))
        time.sleep(60)
        os._exit(0)
    time.sleep(60)
"""


def test_a_bound_child_drops_the_lock_and_dies_with_its_parent(tmp_path):
    marker = tmp_path / "child-pid"
    parent = subprocess.Popen([sys.executable, "-c", CHILD_OF_A_BUILD, str(tmp_path), str(marker)],
                              cwd=PROJECT)
    try:
        child = _pid_written_to(marker)
        fds = [os.readlink(fd) for fd in Path(f"/proc/{child}/fd").iterdir()]
        assert not any(target.endswith(LOCK_NAME) for target in fds)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for _ in range(100):
            if not Path(f"/proc/{child}").exists():
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{child}").exists()
        with ReindexLock(tmp_path, timeout=0.5, poll=0.05):
            pass
    finally:
        parent.kill()
        parent.wait()


def _pid_written_to(marker: Path) -> int:
    """The pid a helper process writes to `marker` once it is ready (waits up to 30 s)."""
    for _ in range(600):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    return int(marker.read_text())
