"""Runs read tasks in order, the page-extraction ones in worker processes so that both cores
extract, the light ones (plain text, feeds) here. Results come back in the tasks' order with a
bounded number in flight, so memory stays flat however large the archive.

Workers are spawned (they inherit no descriptor, so never the reindex lock), ignore Ctrl-C
(the parent handles it) and die with the build (`index.lock.bind_child_to_build`, shared with
the sub-writers). No Whoosh, nothing from `search/`.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from index.lock import bind_child_to_build
from index.sources import Batch, ReadTask

# Extraction tasks queued before the pool starts: a pool takes about a second to start, more
# than a few pages take to extract here.
POOL_AFTER_TASKS = 4


def run_in_order(tasks: Iterable[ReadTask], workers: int) -> Iterator[Batch]:
    """Each task's Batch, in the tasks' order; extraction runs on `workers` processes once
    there is enough of it, light tasks run in this process when their turn comes."""
    window = max(2, workers * 2)
    pending: deque[tuple[ReadTask, Future | None]] = deque()
    waiting_to_extract = 0
    pool: ProcessPoolExecutor | None = None
    upcoming = iter(tasks)
    try:
        while True:
            while len(pending) < window and (task := next(upcoming, None)) is not None:
                pending.append((task, None))
                waiting_to_extract += task.extracts
            if not pending:
                return
            if pool is None and workers > 1 and waiting_to_extract >= POOL_AFTER_TASKS:
                pool = _start_pool(workers)
            if pool is not None:
                pending = deque((t, f or (pool.submit(t.run) if t.extracts else None))
                                for t, f in pending)
            task, future = pending.popleft()
            waiting_to_extract -= task.extracts
            yield future.result() if future is not None else task.run()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_setup, initargs=(os.getpid(),))


def _worker_setup(parent_pid: int) -> None:
    """Die with the build (as its sub-writers do), and leave Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    bind_child_to_build(parent_pid)
