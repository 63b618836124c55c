"""Archive readers: finds the archive's files and turns each into Articles, one reader per suffix.

Owns the file-level checks (unreadable, binary, empty, undecodable, `.gz`) so every reader sees
clean input, and the split of reading into tasks that may run in worker processes (a web archive
streams, a few pages per task). Imports only `index.model` and its own modules: no Whoosh,
nothing from `search/`.
"""
from __future__ import annotations

import errno
import gzip
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from index.model import Article, Skip
from index.sources import feed, html, jsonl, plaintext, reuters, warc
from index.sources.pages import Page, page_article
from index.sources.text import decode, format_suffix, without_compression

Parsed = tuple[list[Article], list[Skip]]


@dataclass(frozen=True)
class _Reader:
    """How one format is read: `parse` takes the whole file's bytes; `pages` streams a web
    archive's pages. `extracts` marks formats whose pages need the (CPU-heavy) extractor."""

    parse: Callable[[bytes, str], Parsed] | None = None
    pages: Callable | None = None
    extracts: bool = False


def _decoded(parser: Callable[[str, str], Parsed], data: bytes, source_path: str, *,
             latin1_fallback: bool) -> Parsed:
    problem = _file_problem(data)
    if problem:
        return [], [Skip(source_path, *problem)]
    try:
        text = decode(data, latin1_fallback=latin1_fallback)
    except UnicodeDecodeError as err:
        detail = f"not UTF-8 (byte {err.object[err.start]:#04x} near offset {err.start})"
        return [], [Skip(source_path, "undecodable", detail)]
    return parser(text, source_path)


# Only the Reuters feed predates UTF-8 (latin-1 fallback); a user's .txt or .jsonl that is not
# UTF-8 is more likely wrong than latin-1. Web pages and feeds name their own encodings.
_READERS: dict[str, _Reader] = {
    ".txt": _Reader(partial(_decoded, plaintext.parse, latin1_fallback=False)),
    ".jsonl": _Reader(partial(_decoded, jsonl.parse, latin1_fallback=False)),
    ".sgm": _Reader(partial(_decoded, reuters.parse, latin1_fallback=True)),
    ".html": _Reader(html.parse, extracts=True),
    ".htm": _Reader(html.parse, extracts=True),
    ".rss": _Reader(feed.parse),
    ".atom": _Reader(feed.parse),
    ".xml": _Reader(feed.parse),
    ".warc": _Reader(pages=warc.pages, extracts=True),
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)
# Pages of a web archive sent to a worker process at a time: enough to outweigh the pickling,
# few enough that memory stays flat and the progress moves.
PAGES_PER_TASK = 8


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
    """The format's suffix, after any `.gz`: `a.html.gz` -> `.html`."""
    return format_suffix(name)


def read_source(path: Path) -> Parsed:
    """The articles in one archive file, and a Skip for the file or each record not read.

    Never raises for bad content: a file that cannot be read at all gives ([], [its Skip]);
    a bad record inside a good file gives a Skip naming the record, and the rest is returned.
    """
    articles: list[Article] = []
    skips: list[Skip] = []
    for task in read_tasks(path):
        batch = task.run()
        articles += batch.articles
        skips += batch.skips
    return articles, skips


@dataclass(frozen=True)
class Batch:
    """Articles and skips read from one file, and how many of its bytes that accounts for.
    `last` marks the file's final batch."""

    path: str
    articles: list[Article]
    skips: list[Skip]
    bytes_read: int
    last: bool


@dataclass(frozen=True)
class ReadTask:
    """One piece of reading a file, runnable in another process: the whole file, or a few
    pages of a web archive (read in this process, extracted by `run`). `extracts` says
    whether running it is CPU-heavy (page extraction), so worth a worker process."""

    path: str
    bytes_read: int
    last: bool
    extracts: bool
    pages: tuple[Page, ...] = ()
    skips: tuple[Skip, ...] = ()
    whole_file: bool = False

    def run(self) -> Batch:
        if self.whole_file:
            articles, skips = _read_whole(self.path)
        else:
            found = [page_article(p) for p in self.pages]
            articles = [a for a in found if isinstance(a, Article)]
            skips = [s for s in found if isinstance(s, Skip)] + list(self.skips)
        return Batch(self.path, articles, skips, self.bytes_read, self.last)


def read_tasks(path: Path) -> Iterator[ReadTask]:
    """The work of reading one file, in order. A web archive is read here lazily, a few pages
    per task, so that a large one streams; every other file is one task."""
    source_path = os.path.abspath(path)
    reader = _READERS.get(_suffix(source_path))
    try:
        size = os.path.getsize(source_path)
    except OSError:
        size = 0
    if reader is None or reader.pages is None:
        yield ReadTask(source_path, size, last=True, whole_file=True,
                       extracts=reader is not None and reader.extracts)
        return
    try:
        stream = open(source_path, "rb")
    except OSError as err:
        yield ReadTask(source_path, size, last=True, extracts=False,
                       skips=(Skip(source_path, "unreadable", err.strerror or str(err)),))
        return
    with stream:
        yield from _page_tasks(reader.pages(stream, source_path), stream, source_path, size)


def _page_tasks(items: Iterator[Page | Skip], stream, source_path: str,
                size: int) -> Iterator[ReadTask]:
    done = 0
    while chunk := list(islice(items, PAGES_PER_TASK)):
        position = stream.tell()
        yield ReadTask(source_path, position - done, last=False, extracts=True,
                       pages=tuple(i for i in chunk if isinstance(i, Page)),
                       skips=tuple(i for i in chunk if isinstance(i, Skip)))
        done = position
    yield ReadTask(source_path, max(size - done, 0), last=True, extracts=False)


def _read_whole(source_path: str) -> Parsed:
    reader = _READERS.get(_suffix(source_path))
    if reader is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        return [], [Skip(source_path, "unsupported", f"not one of {supported} (optionally .gz)")]
    try:
        data = _file_bytes(source_path)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:  # BadGzipFile is an OSError: first
        return [], [Skip(source_path, "unreadable", f"damaged gzip file ({err})")]
    except OSError as err:
        return [], [Skip(source_path, "unreadable", err.strerror or str(err))]
    if not data.strip():
        return [], [Skip(source_path, "empty", "the file holds no text")]
    articles, skips = reader.parse(data, source_path)
    if not articles and not skips:
        return [], [Skip(source_path, "empty", "no article in the file")]
    return articles, skips


def _file_bytes(source_path: str) -> bytes:
    """The file's bytes, decompressed when its name ends in `.gz`."""
    data = Path(source_path).read_bytes()
    return gzip.decompress(data) if without_compression(source_path)[1] else data


def _file_problem(data: bytes) -> tuple[str, str] | None:
    if b"\0" in data:
        return "binary", "NUL bytes: not a text file"
    return None

