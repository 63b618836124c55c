"""Helpers for the fault suite: the real `manage.py` in a subprocess, the processes it started,
what it printed, and small archives."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from archive_files import write_jsonl

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE_REUTERS = PROJECT / "samples" / "reut2-000.sgm"


def manage(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python manage.py ARGS` to the end, as the operator would, and return what it printed."""
    return subprocess.run([sys.executable, str(PROJECT / "manage.py"), *map(str, args)],
                          cwd=PROJECT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NEWS_SEARCH_WORKERS": "2", **(env or {})})


def start_manage(*args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(PROJECT / "manage.py"), *map(str, args)],
                            cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in listed]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def serving_name(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text().strip()


def small_archive(folder: Path, articles: int = 3) -> Path:
    for n in range(articles):
        write_jsonl(folder / f"f{n}.jsonl",
                    {"id": f"a{n}", "title": f"Story {n}", "date": "1987-03-02",
                     "paragraphs": [f"Cocoa prices rose in Bahia, report {n}.", "Oil was steady."]})
    return folder
