"""One writer at a time: an advisory lock (flock) on a file in the index folder, plus the
holder's pid, host and start time written into it so a waiting reindex can say who holds it.

The kernel releases the lock when its holder dies, however it dies, so a lock left by a killed
reindex never needs clearing and two builds can never both believe they hold it. The file
itself stays: deleting it would let a waiter lock a file that no longer has a name.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "reindex.lock"


class LockTimeout(Exception):
    """Another live reindex held the lock for longer than the timeout."""


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str

    def describe(self) -> str:
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
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
        """Who holds the lock now, as it wrote itself into the file; None when unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return LockHolder(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None


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
