"""One writer at a time: an advisory lock (flock) on a file in the index folder, plus the
holder's pid, host and start time written into it so a waiting reindex can say who holds it.

The kernel releases the lock when its holder dies, however it dies, so a lock left by a killed
reindex never needs clearing and two builds can never both believe they hold it. The file
itself stays: deleting it would let a waiter lock a file that no longer has a name. A flock
belongs to the open file, so a child process that inherited the descriptor would hold it past
its parent's death: children of a build call `bind_child_to_build` first thing.
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "reindex.lock"
_PR_SET_PDEATHSIG = 1


class LockTimeout(Exception):
    """Another live reindex held the lock for longer than the timeout."""


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str
    left_by: int | None = None  # the dead reindex that started the live holder, if it died

    def describe(self) -> str:
        if self.left_by is not None:
            return (f"process {self.pid} on {self.host}, left running by process {self.left_by} "
                    f"which started at {self.started} and has died")
        return f"process {self.pid} on {self.host}, since {self.started}"


class ReindexLock:
    """Context manager: `with ReindexLock(index_dir, timeout, on_wait):` runs alone.

    `on_wait(holder)` is called once when the lock is busy, so the CLI can say who holds it.
    """

    def __init__(self, index_dir: Path, timeout: float,
                 on_wait: Callable[[LockHolder], None] | None = None, poll: float = 0.2):
        self.path = Path(index_dir) / LOCK_NAME
        self.timeout = timeout
        self.on_wait = on_wait
        self.poll = poll
        self._fd: int | None = None

    def __enter__(self) -> "ReindexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + self.timeout
        told = False
        while not _try_flock(fd):
            holder = self.holder()
            if not told and holder is not None and self.on_wait:
                self.on_wait(holder)
                told = True
            if time.monotonic() >= deadline:
                os.close(fd)
                who = holder.describe() if holder else "another process"
                raise LockTimeout(
                    f"another reindex ({who}) still holds {self.path} after {self.timeout:g} s; "
                    "try again when it has finished")
            time.sleep(self.poll)
        self._fd = fd
        _write_holder(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> LockHolder | None:
        """Who holds the lock now: the process that wrote itself into the file or, when that one
        has died on this host, a live process that still has the file open. None when unknown."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            written = LockHolder(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if written.host != socket.gethostname() or _alive(written.pid):
            return written
        survivors = [pid for pid in _pids_with_open(self.path) if pid != os.getpid()]
        if not survivors:
            return written
        return LockHolder(survivors[0], written.host, written.started, left_by=written.pid)


def is_held(index_dir: Path) -> bool:
    """Whether a reindex (or a publish) holds the lock of `index_dir` now (`ReindexLock.holder`
    says who). Writes nothing: a shared lock taken for a moment tells a held lock from the
    holder's file a killed process left."""
    try:
        fd = os.open(Path(index_dir) / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def bind_child_to_build(parent_pid: int) -> None:
    """Called first in a child process of a build: the child dies with its parent (Linux's
    PR_SET_PDEATHSIG; a no-op elsewhere) and drops its inherited copy of the lock descriptor, so
    a killed build leaves neither a working child nor a held lock behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    # Ctrl-C reaches the whole foreground process group; the build alone answers it (it stops
    # its children and removes its folder), so a child neither stops early nor prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd, target in _open_files(os.getpid()):
        if Path(target).name == LOCK_NAME:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids_with_open(path: Path) -> list[int]:
    """Processes on this host that have `path` open (Linux /proc; empty elsewhere)."""
    target = str(Path(path).resolve())
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        if any(opened == target for _, opened in _open_files(int(proc.name))):
            found.append(int(proc.name))
    return sorted(found)


def _open_files(pid: int) -> list[tuple[int, str]]:
    try:
        entries = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    opened = []
    for entry in entries:
        try:
            opened.append((int(entry.name), os.readlink(entry)))
        except OSError:
            continue
    return opened


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int) -> None:
    holder = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
