"""How a serving process uses memory: the C library's allocator (glibc's malloc; elsewhere
nothing here applies and its calls do nothing), and Python's collector of reference cycles.

glibc gives each thread that allocates an arena of its own, up to eight per core, and keeps
what they free for reuse. A query on the 10x archive allocates arrays of several MB (a word's
postings and weights, masks of the whole archive), and glibc raises its threshold for serving
such sizes from fresh maps each time one is freed, so they come from the arenas and stay there:
one process running 2,500 varied queries on 8 request threads held 521 MB of its own memory, of
which its caches were 34 MB. With two arenas it held 259 MB, as fast; returning the arenas'
free pages to the system now and then (`malloc_trim`) took it to 186 MB.
(`python3 bench/memory_soak.py`; docs/benchmarks.md, "Memory per worker at 10x".)
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time

log = logging.getLogger(__name__)

# Arenas the request threads share (glibc's M_ARENA_MAX, a mallopt parameter).
ARENAS = 2
_M_ARENA_MAX = -8
# Seconds between two returns of free memory to the system.
TRIM_EVERY_SECONDS = 10.0
# Seconds between two moves of the objects that survived out of the cycle collector's reach.
FREEZE_EVERY_SECONDS = 10.0


class Allocator:
    """This process's glibc allocator, or nothing when the C library is another one."""

    def __init__(self):
        self._libc = _glibc()
        self._trimmed_at = time.monotonic()

    def share_arenas(self) -> None:
        """Let the request threads share ARENAS arenas; call before they start."""
        if self._libc is not None and not self._libc.mallopt(_M_ARENA_MAX, ARENAS):
            log.warning("could not limit the allocator's arenas to %d", ARENAS)

    def trim_now_and_then(self) -> None:
        """Return free memory to the system, at most every TRIM_EVERY_SECONDS (a few ms each)."""
        now = time.monotonic()
        if self._libc is not None and now - self._trimmed_at >= TRIM_EVERY_SECONDS:
            self._trimmed_at = now
            self._libc.malloc_trim(0)


class Collector:
    """Python's cycle collector in a serving process. A full collection walks every container
    object the process holds, while the request threads wait for the lock it holds: once a
    generation is open and the page has drawn a few queries, 65,000 to 83,000 objects and 30 to
    60 ms, which one first view in about 150 paid (`bench/page_render.py`: 51 ms in a column of
    9 ms). Nearly all of them live as long as the process or the generation (modules, the
    opened index, its caches), so `settle` collects what is garbage now and freezes the rest
    (`gc.freeze`, as Instagram's servers do): later collections walk only what came after, a
    freeze every FREEZE_EVERY_SECONDS at most. A frozen cycle that becomes garbage waits for the
    next generation: on a switch everything is unfrozen and collected once (one full walk per
    reindex), so the generation before is freed."""

    def __init__(self):
        self._settled_at: float | None = None
        self._generation: int | None = None

    def settle(self, generation: int | None) -> None:
        """Collect and freeze, when FREEZE_EVERY_SECONDS have passed since the last time or the
        serving `generation` is not the one of the last time; call between requests."""
        now = time.monotonic()
        if generation != self._generation:
            gc.unfreeze()
            self._generation = generation
        elif self._settled_at is not None and now - self._settled_at < FREEZE_EVERY_SECONDS:
            return
        self._settled_at = now
        gc.collect()
        gc.freeze()


def _glibc():
    """The C library when it is glibc (it has `malloc_trim`), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
