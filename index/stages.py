"""The build's stages after the files are read (the segments finished, column files, posting
store, places table, checksums, the switch), timed and reported as they run.

Reading ends long before a build does (a third of it, on the Reuters files): without these an
operator watches a finished progress bar and then nothing. Knows nothing of Whoosh or files.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# While a stage runs, how often it is reported again (its elapsed time, for a live display).
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Stage:
    """One stage's name and the seconds since it began; sent when it begins (0 s), every
    TICK_SECONDS while it runs, and once more with `finished` when it ends."""

    name: str
    seconds: float
    finished: bool = False


class Stages:
    """Times the stages one after another: `begin(name)` ends the running stage and starts the
    next, `end()` ends the last. Each stage's time is kept in `seconds`; `report`, when given,
    receives every Stage (from a ticker thread too, while the build is busy). Use as a context
    manager, so the ticker stops however the build ends; a stage cut short by an error is not
    reported finished."""

    def __init__(self, report: Callable[[Stage], None] | None = None):
        self.seconds: dict[str, float] = {}
        self._report = report
        self._name: str | None = None
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> "Stages":
        if self._report is not None:
            self._ticker = threading.Thread(target=self._tick, name="build-stages", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if exc[0] is None:
            self.end()

    def begin(self, name: str) -> None:
        self.end()
        with self._lock:
            self._name, self._started = name, time.monotonic()
            self._send(Stage(name, 0.0))

    def end(self) -> None:
        with self._lock:
            if self._name is None:
                return
            seconds = self.seconds[self._name] = time.monotonic() - self._started
            self._send(Stage(self._name, seconds, finished=True))
            self._name = None

    def _tick(self) -> None:
        # Sent under the lock, so that no tick of a stage arrives after its end.
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._name is not None:
                    self._send(Stage(self._name, time.monotonic() - self._started))

    def _send(self, stage: Stage) -> None:
        if self._report is not None:
            self._report(stage)
