"""A small pre-forking supervisor: it holds the listening socket, forks the worker processes
that serve on it, replaces one that dies or stops turning its loop, and stops them all on
SIGTERM (gracefully) or SIGINT (at once). Standard library only: what a worker runs is a
function it is given; it never imports a server or the service.

The workers share one listening socket, so whichever wakes first would take every connection
waiting (four keep-alive clients that connect together all landed on one worker, which then did
all the work and read the whole index into its own memory). Each worker therefore publishes how
many connections it holds, beside its heartbeat, and one that holds more than another lets the
others take the next connection first (`Heartbeat.fewest_elsewhere`).
"""
from __future__ import annotations

import logging
import mmap
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Seconds the supervisor sleeps between looks at its workers (a signal wakes it at once).
LOOP_SECONDS = 0.5
# Seconds a new worker may take to open the index before its loop's first beat.
BOOT_TIMEOUT = 120.0
# A worker that dies within this many seconds of starting counts as failing to start: the next
# start waits (doubling up to MAX_RESTART_DELAY), so that a broken setup does not fork in a loop.
QUICK_DEATH = 5.0
MAX_RESTART_DELAY = 30.0
# Seconds, after the graceful timeout (or at once for SIGINT), before a worker still running
# is killed.
KILL_AFTER = 5.0
# A worker's slot: the time of its loop's last turn (0: booting or gone) and its open connections.
_SLOT = struct.Struct("dq")
_CONNECTIONS = struct.Struct("q")
_CONNECTIONS_AT = struct.calcsize("d")


class Heartbeat:
    """A worker's slot in memory shared with the supervisor and the other workers: the worker
    writes the time at every turn of its loop (the supervisor kills a worker whose time stands
    still) and how many connections it holds (the workers read each other's)."""

    def __init__(self, beats: mmap.mmap, slot: int, parent: int):
        self._beats = beats
        self._slot = slot
        self._connections = 0
        self.parent = parent

    def beat(self) -> bool:
        """Record that this worker's loop turns; False once the supervisor is gone (the worker
        was orphaned: it should finish what it is doing and exit)."""
        _SLOT.pack_into(self._beats, self._slot * _SLOT.size, time.monotonic(), self._connections)
        return os.getppid() == self.parent

    def share_connections(self, count: int) -> None:
        """Publish how many connections this worker holds now."""
        self._connections = count
        _CONNECTIONS.pack_into(self._beats, self._slot * _SLOT.size + _CONNECTIONS_AT, count)

    def fewest_elsewhere(self) -> int | None:
        """The fewest connections another serving worker holds (None when there is no other
        serving worker: booting ones and gone ones have no say)."""
        counts = [connections for slot, (last, connections) in
                  enumerate(_SLOT.iter_unpack(self._beats)) if slot != self._slot and last]
        return min(counts, default=None)


@dataclass
class _Worker:
    pid: int
    slot: int
    started: float
    killed: bool = False


class Supervisor:
    """`workers` forked processes serving on `sock`, each running `work(heartbeat)`; `run()`
    returns once they have all stopped (only in the supervisor: a worker exits inside `run`)."""

    def __init__(self, sock: socket.socket, workers: int, work: Callable[[Heartbeat], None], *,
                 timeout: float, graceful_timeout: float):
        self.sock = sock
        self.count = workers
        self.work = work
        self.timeout = timeout
        self.graceful_timeout = graceful_timeout
        self._beats = mmap.mmap(-1, workers * _SLOT.size)
        self._workers: dict[int, _Worker] = {}
        self._stop: str | None = None  # None, "graceful" or "now"
        self._quick_deaths = 0
        self._next_start = 0.0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def stop_on_signals(self) -> None:
        """SIGTERM stops gracefully, SIGINT at once; both, and SIGCHLD, wake the loop through
        the wakeup pipe. Main thread only."""
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGTERM, lambda *_: self.stop(graceful=True))
        signal.signal(signal.SIGINT, lambda *_: self.stop(graceful=False))
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def stop(self, graceful: bool = True) -> None:
        self._stop = "now" if not graceful or self._stop == "now" else "graceful"

    def run(self) -> None:
        log.info("supervising %d workers on %s", self.count, self.url)
        try:
            while self._stop is None:
                self._reap()
                self._kill_the_silent()
                self._start_missing()
                self._sleep(LOOP_SECONDS)
            self._stop_workers()
        finally:
            self.sock.close()
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)

    # ---- workers starting and ending

    def _start_missing(self) -> None:
        if time.monotonic() < self._next_start:
            return
        taken = {w.slot for w in self._workers.values()}
        for slot in (s for s in range(self.count) if s not in taken):
            if time.monotonic() >= self._next_start:
                self._start(slot)

    def _start(self, slot: int) -> None:
        _SLOT.pack_into(self._beats, slot * _SLOT.size, 0.0, 0)  # 0: not beating yet (booting)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as e:  # out of memory or processes: the others go on serving
            log.error("could not start a worker (%s); trying again in %.0f s", e, MAX_RESTART_DELAY)
            self._next_start = time.monotonic() + MAX_RESTART_DELAY
            return
        if pid == 0:
            self._be_worker(Heartbeat(self._beats, slot, parent))
        self._workers[pid] = _Worker(pid, slot, time.monotonic())
        log.info("started worker %d", pid)

    def _be_worker(self, heartbeat: Heartbeat) -> None:
        """In the forked child: run the work, then exit without ever returning into the code
        that started the supervisor (that code prints what only the supervisor should)."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            os.close(self._wake_r)
            os.close(self._wake_w)
            self.work(heartbeat)
            code = 0
        except BaseException:  # the process boundary: log it, the supervisor starts another
            log.exception("worker %d failed", os.getpid())
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)

    def _reap(self) -> list[_Worker]:
        """Collect the workers that ended, logging the unexpected ends; returns them."""
        ended = []
        while self._workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            worker = self._workers.pop(pid, None)
            if worker is not None:
                _SLOT.pack_into(self._beats, worker.slot * _SLOT.size, 0.0, 0)  # gone
                ended.append(worker)
                self._note_end(worker, status)
        return ended

    def _note_end(self, worker: _Worker, status: int) -> None:
        if self._stop is not None:
            return
        how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
               else f"code {os.waitstatus_to_exitcode(status)}")
        log.warning("worker %d ended (%s); starting another", worker.pid, how)
        if time.monotonic() - worker.started < QUICK_DEATH and not worker.killed:
            self._quick_deaths += 1
            delay = min(MAX_RESTART_DELAY, 0.5 * 2 ** self._quick_deaths)
            self._next_start = time.monotonic() + delay
            log.warning("workers are ending as they start; the next starts in %.1f s", delay)
        else:
            self._quick_deaths = 0

    def _kill_the_silent(self) -> None:
        """A worker whose loop has not turned for `timeout` (or that has not booted within
        BOOT_TIMEOUT) is hung: kill it, the loop replaces it."""
        now = time.monotonic()
        for worker in self._workers.values():
            last = _SLOT.unpack_from(self._beats, worker.slot * _SLOT.size)[0]
            silent = now - (last or worker.started)
            if not worker.killed and silent > (self.timeout if last else BOOT_TIMEOUT):
                log.error("worker %d has been silent for %.0f s: killing it", worker.pid, silent)
                worker.killed = True
                _signal(worker.pid, signal.SIGKILL)

    # ---- stopping

    def _stop_workers(self) -> None:
        """Pass the stop on, wait for the workers (the graceful timeout, or a moment for
        SIGINT), then kill what is left."""
        self.sock.close()  # new connections are refused once every worker closed its copy too
        sent = self._stop
        for pid in self._workers:
            _signal(pid, signal.SIGTERM if sent == "graceful" else signal.SIGINT)
        deadline = time.monotonic() + (self.graceful_timeout if sent == "graceful" else 0) + KILL_AFTER
        while self._workers and time.monotonic() < deadline:
            if self._stop != sent:  # SIGINT during a graceful stop: hurry
                sent = self._stop
                deadline = min(deadline, time.monotonic() + KILL_AFTER)
                for pid in self._workers:
                    _signal(pid, signal.SIGINT)
            self._sleep(0.1)
            self._reap()
        for pid in list(self._workers):
            log.warning("worker %d did not stop in time: killing it", pid)
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self._workers.clear()

    def _sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, less when a signal arrives (its byte on the wakeup pipe)."""
        readable, _, _ = select.select([self._wake_r], [], [], seconds)
        if readable:
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
