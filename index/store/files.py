"""Durable writes: the one atomic-write helper of the project and the fsyncs a generation needs
before CURRENT may name it. Nothing else calls os.replace or os.fsync. Imports only the stdlib.

A rename is atomic but not durable: after a power cut the new name may point at a file whose
data never reached the disk, or the rename itself may be lost, unless the file is synced
before it and its folder after it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write `path` whole or not at all, durably: `write(f)` fills a temporary file beside it,
    which is flushed, fsynced and renamed over `path`; then the folder is fsynced so that the
    rename survives a power cut. When `write` fails, the old file stays and the temporary goes."""
    path = Path(path)
    # The process id keeps two processes writing the same file from sharing a temporary.
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def write_text_atomically(path: Path, text: str) -> None:
    """`write_atomically` for UTF-8 text (JSON files, the CURRENT pointer)."""
    write_atomically(path, lambda f: f.write(text.encode("utf-8")))


def sync_file(path: Path) -> None:
    """fsync one file already written (by us or by Whoosh, which syncs nothing itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    """fsync a folder, which makes the names created, renamed or removed in it durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> int:
    """fsync every file under `folder`, then every folder bottom up (the folder last), so that
    whatever wrote them, a reader after a power cut finds them whole; returns the file count."""
    count = 0
    for parent, folders, names in os.walk(folder, topdown=False):
        for name in names:
            sync_file(Path(parent) / name)
            count += 1
        sync_folder(Path(parent))
    return count
