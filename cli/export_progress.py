"""What `manage.py search --export FILE` writes and shows: the export's file, whole or not at all,
and its progress: a tqdm bar of rows written, with the rate and the time left, on a terminal;
piped or logged, a line every few seconds with how far it is and the time left (as `reindex`
does). Prints through the `say` it is given, or tqdm's bar. Imports the service's Export only.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from search.service.export import Export


class ExportProgress:
    """Rows written so far out of `total`: `advance(rows)` after each batch, `close()` at the end."""

    def __init__(self, total: int, say: Callable[[str], None], interactive: bool | None = None,
                 seconds_between_lines: float = 10.0):
        self.total = total
        self.done = 0
        self._say = say
        self._every = seconds_between_lines
        self._started = self._last_line = time.monotonic()
        interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = (tqdm(total=total, unit=" rows", unit_scale=True, desc="exporting",
                          file=sys.stderr, dynamic_ncols=True) if interactive else None)

    def advance(self, rows: int) -> None:
        self.done += rows
        if self._bar is not None:
            self._bar.update(rows)
            return
        now = time.monotonic()
        if rows and now - self._last_line >= self._every:
            self._last_line = now
            self._say(self.line(now - self._started))

    def line(self, elapsed: float) -> str:
        """`exported 12,000 of 40,000 rows (30%), about 00:04 left`."""
        share = self.done / self.total if self.total else 1.0
        left = elapsed * (self.total - self.done) / self.done if self.done else 0.0
        return (f"exported {self.done:,} of {self.total:,} rows ({share:.0%}), "
                f"about {tqdm.format_interval(left)} left")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def write_export(export: Export, path: Path, progress: ExportProgress) -> int:
    """Write every row of `export` to `path`, through `<path>.part` renamed when complete (an
    interrupted export leaves no file that looks whole); the rows written."""
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as out:
            for chunk, rows in export.batches():
                out.write(chunk)
                progress.advance(rows)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        export.close()
        progress.close()
    return progress.done
