"""Which index generation a server process answers from: the one CURRENT names, checked and
opened; a new one noticed between requests; the one before kept open until its last request
ends; a generation that fails its check or its open refused (and remembered, not retried on
every request), the last good one, or at start the newest intact one before it, serving meanwhile.
Knows nothing of searching: it serves whatever `open_generation` returns.
Never imports Whoosh, Bottle or the facade.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from search.errors import REINDEX_COMMAND, NoIndexError

from index.store.generations import (POINTER, Damage, ReaderHold, check_generation,
                                     earlier_generations, generation_number, hold_for_reading,
                                     pointed_generation)

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often (seconds) a request looks at the CURRENT pointer for a new generation.
CHECK_INTERVAL = 0.5
# After a generation is refused, how long (seconds) before the same pointer is tried again
# (a new pointer is tried at once): a damaged generation must not cost every request an open.
RETRY_OPEN_AFTER = 30.0
NO_INDEX = f"no index has been built yet; run `{REINDEX_COMMAND}`"


@dataclass(frozen=True)
class Refusal:
    """A generation that was not served: which pointer, which generation, why and when. The
    reason is in words for anonymous clients; `detail` (a file's name) goes to the log only."""

    stamp: object
    generation: int
    reason: str
    at: str          # ISO 8601 UTC, for operators
    monotonic: float  # for the retry back-off
    detail: str = ""

    def message(self, serving: int | None = None) -> str:
        """The reason with what answers meanwhile (`serving`, when a generation does) and what
        the operator must run: the 503 body and /api/status say this."""
        meanwhile = f"; answering from generation {serving} meanwhile" if serving else ""
        return f"{self.reason}{meanwhile}; run `{REINDEX_COMMAND}` to rebuild it"

    def public(self, serving: int | None = None) -> dict:
        """What /api/status shows: no file or folder names."""
        return {"generation": self.generation, "reason": self.message(serving), "at": self.at}


@dataclass
class _Held(Generic[T]):
    """An open generation, its readers' lock (so no builder removes it meanwhile), and how
    many requests use it now (changed under the switcher's lock)."""

    value: T
    path: Path
    hold: ReaderHold
    users: int = 0


class Switcher(Generic[T]):
    """Thread-safe. `using()` yields the generation to answer one request from.

    At most two generations are open: the current one and, until its last request ends, the
    one before it; a newer pointer waits until then (the builder keeps only these two).
    """

    def __init__(self, index_dir: Path, open_generation: Callable[[Path], T],
                 close_generation: Callable[[T], None]):
        self.index_dir = Path(index_dir)
        self._open = open_generation
        self._close = close_generation
        self._lock = threading.Lock()
        self._current: _Held[T] | None = None
        self._previous: _Held[T] | None = None
        self._stamp = None
        self._checked_at = float("-inf")
        self._loading = False
        self._refused: Refusal | None = None

    @contextmanager
    def using(self) -> Iterator[T]:
        """The serving generation, counted as in use until the block ends. Raises NoIndexError
        when there is none to serve."""
        held = self._acquired()
        try:
            yield held.value
        finally:
            self._released(held)

    def current(self) -> T | None:
        """The generation open now, without looking for a new one (None before the first)."""
        with self._lock:
            return self._current.value if self._current is not None else None

    @property
    def refused(self) -> Refusal | None:
        """The last generation refused since the last successful switch, if any."""
        return self._refused

    def close(self) -> None:
        with self._lock:
            held = [h for h in (self._current, self._previous) if h is not None]
            self._current = self._previous = None
            self._stamp = None
            self._checked_at = float("-inf")
        for h in held:
            self._closed(h)

    # ------------------------------------------------------------ switching

    def _acquired(self) -> _Held[T]:
        now = time.monotonic()
        with self._lock:
            current = self._current
            if current is not None and (self._loading or now - self._checked_at < CHECK_INTERVAL):
                current.users += 1
                return current
            self._checked_at = now
            stamp = pointer_stamp(self.index_dir)
            path = self._to_open(stamp, now)
            if path is None:
                if current is None:
                    raise NoIndexError(self._refused.message() if self._refused else NO_INDEX)
                current.users += 1
                return current
            if current is None:
                # The first generation: every thread waits for it (there is nothing else).
                held = self._opened(path, stamp)
                if held is not None:
                    self._stamp = stamp
                else:
                    # The pointer stays unmatched (self._stamp), so it is retried like any refusal.
                    held = self._fallback(path)
                    if held is None:
                        raise NoIndexError(self._refused.message())
                self._current = held
                held.users += 1
                return held
            self._loading = True
        return self._switched(path, stamp, current)

    def _to_open(self, stamp, now: float) -> Path | None:
        """The generation to open now, if any (called under the lock)."""
        current = self._current
        if current is not None and stamp == self._stamp:
            return None
        refused = self._refused
        if refused is not None and refused.stamp == stamp and now - refused.monotonic < RETRY_OPEN_AFTER:
            return None
        path = pointed_generation(self.index_dir)
        if path is None or (current is not None and path == current.path):
            self._stamp = stamp
            return None
        if current is not None and self._previous is not None:
            # Requests still run on the generation before this one: switching now would make
            # three open generations, and the builder keeps only two. Look again later.
            return None
        return path

    def _switched(self, path: Path, stamp, current: _Held[T]) -> _Held[T]:
        """Open the new generation while other threads keep answering from the current one;
        returns the generation this request uses, counted."""
        try:
            held = self._opened(path, stamp)
        finally:
            with self._lock:
                self._loading = False
        with self._lock:
            if held is None:
                current.users += 1
                return current
            self._current, self._stamp = held, stamp
            self._previous = current if current.users else None
            held.users += 1
        if self._previous is not current:
            self._closed(current)
        return held

    def _opened(self, path: Path, stamp) -> _Held[T] | None:
        """The generation at `path` checked and opened, or None (and the refusal remembered,
        logged once per pointer and reason) when it fails either."""
        held, damage, error = self._checked_open(path)
        if held is None:
            self._refuse(path, stamp, damage, error)
            return None
        self._refused = None
        return held

    def _checked_open(self, path: Path) -> tuple[_Held[T] | None, Damage | None, Exception | None]:
        """(the generation at `path`, checked, opened and held for reading, None, None), or
        (None, why not, the exception its open raised if that was why)."""
        hold = hold_for_reading(path)
        error = None
        try:
            damage = check_generation(path)
            if damage is None:
                try:
                    value = self._open(path)
                except Exception as e:  # noqa: BLE001 — a boundary, see the comment
                    # A damaged generation fails in more ways than Whoosh has exception types
                    # for (EOFError, UnpicklingError, struct.error...); whichever it is, the
                    # process must go on answering from what it has: the traceback goes to
                    # the log, the exception's type to clients (never the server's folders).
                    damage, error = Damage(type(e).__name__, type(e).__name__), e
        except BaseException:
            hold.release()
            raise
        if damage is not None:
            hold.release()
            return None, damage, error
        log.info("serving index generation %s", path)
        return _Held(value, path, hold), None, None

    def _fallback(self, refused: Path) -> _Held[T] | None:
        """The newest generation before `refused` that passes its check and opens, held (called
        under the lock, when the first generation this process tried was refused): a damaged
        newest generation must not take search down while an intact one is kept beside it.
        The refusal stays recorded, so /api/status and the 503s say why."""
        for candidate in earlier_generations(self.index_dir, refused):
            held, damage, error = self._checked_open(candidate)
            if held is not None:
                log.warning("answering from index generation %s, the newest intact one, until %s "
                            "is rebuilt", candidate, refused.name)
                return held
            log.warning("cannot fall back to index generation %s either: %s", candidate, damage,
                        exc_info=error)
        return None

    def _refuse(self, path: Path, stamp, damage: Damage, error: Exception | None) -> None:
        """Remember why `path` was not served; log it (naming the file) once per reason."""
        before = self._refused
        number = generation_number(path)
        if before is None or (before.generation, before.detail) != (number, damage.detail):
            log.error("refused index generation %s: the index could not be opened (%s)", path,
                      damage.detail, exc_info=error)
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        reason = f"index generation {number} could not be opened ({damage.public})"
        self._refused = Refusal(stamp, number, reason, at, time.monotonic(), damage.detail)

    def _released(self, held: _Held[T]) -> None:
        with self._lock:
            held.users -= 1
            done = held is self._previous and held.users == 0
            if done:
                self._previous = None
        if done:
            self._closed(held)

    def _closed(self, held: _Held[T]) -> None:
        self._close(held.value)
        held.hold.release()


def pointer_stamp(index_dir: Path):
    """What changes when CURRENT is replaced (it is renamed over, so the inode changes)."""
    try:
        st = os.stat(Path(index_dir) / POINTER)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
