"""The operator's one-line messages: a reindex or publish stopped by Ctrl-C or SIGTERM (it cleans
up, then says what is left in one line, never a traceback), a search option's error without
the option named twice, and what a publish did.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from index.lock import is_held
from index.publish import PublishReport
from index.store.generations import serving_generation, unfinished_generations

# Seconds after which a stop signal that a hook swallowed is delivered again.
REDELIVER_SECONDS = 0.05
# Where a stop signal waits instead of raising (see `_inside_uncuttable`).
_UNCUTTABLE_FILES = ("multiprocessing/popen_fork.py", "multiprocessing/util.py",
                     "logging/__init__.py")
_PROCESS_FILE = "multiprocessing/process.py"
_SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Terminated(BaseException):
    """SIGTERM raised where the command is, so that it unwinds as for Ctrl-C: the build's
    clean-up runs, and no `except Exception` on the way keeps it."""


@contextmanager
def one_line_when_stopped(outcome: Callable[[], str]) -> Iterator[None]:
    """Within the block, SIGTERM unwinds like Ctrl-C; either ends the command with one line on
    stderr, the signal's name and `outcome()` (what is left, looked at after the clean-up), and
    the shell's exit code for the signal (130, 143). A second signal during the clean-up is
    ignored: the clean-up is short, and cutting it would leave what it was removing."""
    owner = os.getpid()

    def stop(signum, frame):
        if os.getpid() != owner:  # a forked child (a sub-writer) inherited this: die as usual
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if _inside_uncuttable(frame):  # raise once that code is done
            threading.Timer(REDELIVER_SECONDS, os.kill, (owner, signum)).start()
            return
        for each in _SIGNAL_NAMES:
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated

    def swallowed(unraisable) -> None:
        """A signal that came while Python ran a hook that cannot raise (a fork handler, a
        finalizer) was dropped there: deliver it again a moment later, from another thread, to
        land in the command's own code rather than in this hook."""
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated)):
            signum = signal.SIGINT if isinstance(unraisable.exc_value, KeyboardInterrupt) \
                else signal.SIGTERM
            signal.signal(signum, stop)
            threading.Timer(REDELIVER_SECONDS, os.kill, (owner, signum)).start()
            return
        previous_hook(unraisable)

    previous = {each: signal.signal(each, stop) for each in _SIGNAL_NAMES}
    previous_hook, sys.unraisablehook = sys.unraisablehook, swallowed
    try:
        yield
    except (KeyboardInterrupt, Terminated) as stopped:
        signum = signal.SIGINT if isinstance(stopped, KeyboardInterrupt) else signal.SIGTERM
        click.echo(f"Stopped by {_SIGNAL_NAMES[signum]}: {outcome()}", err=True)
        raise click.exceptions.Exit(128 + signum) from None
    finally:
        sys.unraisablehook = previous_hook
        for each, handler in previous.items():
            signal.signal(each, handler)


def _inside_uncuttable(frame) -> bool:
    """Whether the interrupted code is the standard library's starting of a process or its
    bookkeeping, which an exception cut halfway leaves broken (a finalizer without its key, a
    logging lock held): seen with a reindex's sub-writers starting."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.endswith(_UNCUTTABLE_FILES) or (
                code.co_filename.endswith(_PROCESS_FILE) and code.co_name == "start"):
            return True
        frame = frame.f_back
    return False


def reindex_outcome(index_dir: Path) -> str:
    """After a stopped reindex: whether its folder went, and what is served."""
    serving = serving_generation(index_dir)
    served = f"still serving {serving.name}, unchanged" if serving else "nothing is served yet"
    left = [] if is_held(index_dir) else unfinished_generations(index_dir)
    if left:
        names = ", ".join(f.name for f in left)
        return f"{names} left unfinished (the next reindex removes it); {served}."
    return f"the unfinished generation was removed; {served}."


def publish_outcome(target: str) -> str:
    return (f"the replica {target} serves what it served before (a partly copied generation "
            "there is completed by the next publish).")


def option_message(param: str, message: str) -> str:
    """A search parameter's error for `Invalid value for --from: …`: click names the option
    already, so the API's leading `from: ` or `from ` goes."""
    for prefix in (f"{param}: ", f"{param} must "):
        if message.startswith(prefix):
            return message[len(param):].lstrip(": ")
    return message


def publish_lines(report: PublishReport) -> list[str]:
    if not report.copied:
        return [f"{report.target} serves {report.generation} already; nothing was sent."]
    sent = "" if report.sent_bytes is None else f", {report.sent_bytes / 1e6:.1f} MB sent"
    if report.sent_bytes is not None and report.previous:
        sent += f" (unchanged files linked from {report.previous})"
    return [f"Published {report.generation} to {report.target} (it served "
            f"{report.previous or 'nothing'} before); every file matched its checksum on arrival.",
            f"Size: {report.generation_bytes / 1e6:.1f} MB{sent}   Time: {report.seconds:.1f} s"]
