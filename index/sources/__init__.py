"""Archive readers: finds the archive's files and turns each into Articles, one reader per suffix.

Owns the file-level checks (unreadable, binary, empty, undecodable) so every reader sees clean
text. Imports only `index.model` and its own modules: no Whoosh, nothing from `search/`.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from index.model import Article, Skip
from index.sources import jsonl, plaintext, reuters
from index.sources.text import decode

Parser = Callable[[str, str], tuple[list[Article], list[Skip]]]

# suffix -> (parser, whether undecodable UTF-8 falls back to latin-1). Only the Reuters feed
# predates UTF-8; a user's .txt or .jsonl that is not UTF-8 is more likely wrong than latin-1.
_READERS: dict[str, tuple[Parser, bool]] = {
    ".txt": (plaintext.parse, False),
    ".jsonl": (jsonl.parse, False),
    ".sgm": (reuters.parse, True),
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """The archive files named by `paths`: absolute, sorted, each once.

    Folders are searched recursively for supported suffixes, skipping hidden files and
    folders. A file named directly is kept whatever its suffix, so that the operator hears
    "unsupported" from `read_source` rather than silence. A missing path raises
    FileNotFoundError naming it.
    """
    found: set[Path] = set()
    for given in paths:
        path = Path(os.path.abspath(given))
        if path.is_dir():
            found.update(_files_under(path))
        elif path.exists():
            found.add(path)
        else:
            raise FileNotFoundError(errno.ENOENT, "no such archive file or folder", str(given))
    return sorted(found)


def _files_under(folder: Path) -> Iterable[Path]:
    """Symlinked folders are followed, each real folder walked once, so a link back up the tree
    cannot loop. A file symlink is listed as it is: a broken or looping one is then reported
    as an unreadable skip when read."""
    walked: set[str] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in walked:
            dirs[:] = []
            continue
        walked.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and _suffix(name) in _READERS:
                yield Path(root, name)


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def read_source(path: Path) -> tuple[list[Article], list[Skip]]:
    """The articles in one archive file, and a Skip for the file or each record not read.

    Never raises for bad content: a file that cannot be read at all gives ([], [its Skip]);
    a bad record inside a good file gives a Skip naming the record, and the rest is returned.
    """
    source_path = os.path.abspath(path)
    reader = _READERS.get(_suffix(source_path))
    if reader is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        return [], [Skip(source_path, "unsupported", f"not one of {supported}")]
    parser, latin1_fallback = reader
    try:
        data = Path(source_path).read_bytes()
    except OSError as err:
        return [], [Skip(source_path, "unreadable", err.strerror or str(err))]
    problem = _file_problem(data)
    if problem:
        return [], [Skip(source_path, *problem)]
    try:
        text = decode(data, latin1_fallback=latin1_fallback)
    except UnicodeDecodeError as err:
        detail = f"not UTF-8 (byte {err.object[err.start]:#04x} near offset {err.start})"
        return [], [Skip(source_path, "undecodable", detail)]
    articles, skips = parser(text, source_path)
    if not articles and not skips:
        return [], [Skip(source_path, "empty", "no article in the file")]
    return articles, skips


def _file_problem(data: bytes) -> tuple[str, str] | None:
    if not data.strip():
        return "empty", "the file holds no text"
    if b"\0" in data:
        return "binary", "NUL bytes: not a text file"
    return None

