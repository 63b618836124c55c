"""One writer at a time: an exclusive lock file in the index folder naming its holder.

A lock whose holder process is gone (killed, crashed) is stale and is cleared on sight.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_NAME = "reindex.lock"
# A lock file still empty or garbled after this many seconds was left by a killed writer.
UNREADABLE_GRACE = 5.0


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

    def __enter__(self) -> "ReindexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        told = False
        while not self._try_acquire():
            holder = self.holder()
            if self._stale(holder):
                log.warning("clearing a stale reindex lock (%s)",
                            holder.describe() if holder else "unreadable")
                self.path.unlink(missing_ok=True)
                continue
            if not told and holder is not None and self.on_wait:
                self.on_wait(holder)
                told = True
            if time.monotonic() >= deadline:
                who = holder.describe() if holder else "another process"
                raise LockTimeout(
                    f"another reindex ({who}) still holds {self.path} after {self.timeout:g} s; "
                    "try again when it has finished")
            time.sleep(self.poll)
        return self

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)

    def _try_acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(holder, f)
        return True

    def _stale(self, holder: LockHolder | None) -> bool:
        """Its holder is dead, or it stayed unreadable longer than a write can take."""
        if holder is not None:
            return not _alive(holder)
        try:
            return time.time() - self.path.stat().st_mtime > UNREADABLE_GRACE
        except FileNotFoundError:
            return False

    def holder(self) -> LockHolder | None:
        """Who holds the lock now; None when it vanished or is unreadable mid-write."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return LockHolder(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None


def _alive(holder: LockHolder) -> bool:
    """A holder on another host is presumed alive: we cannot see its processes."""
    if holder.host != socket.gethostname():
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
