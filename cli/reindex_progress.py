"""What `manage.py reindex` shows while it runs, on stderr: reading (a tqdm bar of the bytes read
with articles, rate and time left on a terminal; piped or logged, a line per finished file and
a line every few seconds inside a large file), then each later stage of the build by name with
its elapsed time (a line rewritten in place on a terminal; piped, a line when it begins, one
every few seconds while it runs, and one with its time when it ends).

Imports only the build's progress records.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm import tqdm

from index.build import Progress
from index.stages import Stage

# Clears the rest of a terminal line after a carriage return.
CLEAR_LINE = "\x1b[K"


def progress_printer(say: Callable[[str], None], interactive: bool | None = None,
                     seconds_between_lines: float = 10.0) -> Callable[[Progress | Stage], None]:
    """A callback for `reindex(progress=…)` that prints through `say` (piped) or draws on
    stderr (a terminal)."""
    interactive = sys.stderr.isatty() if interactive is None else interactive
    reading = _Reading(say, interactive, seconds_between_lines)
    stages = _Stages(say, interactive, seconds_between_lines)

    def show(event: Progress | Stage) -> None:
        if isinstance(event, Stage):
            reading.close()
            stages.show(event)
        else:
            reading.show(event)
    return show


class _Reading:
    """The files read so far."""

    def __init__(self, say: Callable[[str], None], interactive: bool, seconds_between_lines: float):
        self._say, self._interactive, self._every = say, interactive, seconds_between_lines
        self._bar = None
        self._files_done = 0
        self._last_line = self._started = time.monotonic()

    def show(self, p: Progress) -> None:
        if self._interactive:
            if self._bar is None:
                self._bar = tqdm(total=p.bytes_total, unit="B", unit_scale=True,
                                 desc="reading", file=sys.stderr, dynamic_ncols=True)
            self._bar.set_postfix_str(f"{p.files_done}/{p.files_total} files, {p.articles:,} articles",
                                      refresh=False)
            self._bar.update(p.bytes_done - self._bar.n)
            if p.files_done == p.files_total:
                self.close()
            return
        now = time.monotonic()
        if p.files_done > self._files_done:
            self._files_done = p.files_done
            self._say(f"indexed {p.files_done}/{p.files_total} files ({p.paragraphs:,} paragraphs): "
                      f"{p.path}")
        elif now - self._last_line >= self._every and p.bytes_done:
            left = (now - self._started) * (p.bytes_total - p.bytes_done) / p.bytes_done
            self._say(f"read {p.bytes_done / max(p.bytes_total, 1):.0%} of "
                      f"{tqdm.format_sizeof(p.bytes_total, 'B')} ({p.articles:,} articles), "
                      f"about {tqdm.format_interval(left)} left: {p.path}")
        else:
            return
        self._last_line = now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Stages:
    """The stages after reading, each by name with its elapsed time."""

    def __init__(self, say: Callable[[str], None], interactive: bool, seconds_between_lines: float):
        self._say, self._interactive, self._every = say, interactive, seconds_between_lines
        self._last_line = 0.0

    def show(self, stage: Stage) -> None:
        if self._interactive:
            end = "\n" if stage.finished else ""
            sys.stderr.write(f"\r{stage_line(stage)}{CLEAR_LINE}{end}")
            sys.stderr.flush()
            return
        if stage.finished or stage.seconds == 0 or stage.seconds - self._last_line >= self._every:
            self._last_line = 0.0 if stage.finished else stage.seconds
            self._say(stage_line(stage))


def stage_line(stage: Stage) -> str:
    """`posting store…` as it begins, `posting store: 3 s…` while it runs, `posting store: done
    in 3.2 s` when it has ended."""
    if stage.finished:
        return f"{stage.name}: done in {stage.seconds:.1f} s"
    return f"{stage.name}: {stage.seconds:.0f} s…" if stage.seconds >= 1 else f"{stage.name}…"
