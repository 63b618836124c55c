"""Archive readers: finds the archive's files and turns each into Articles, one reader per suffix.

Owns the file-level checks (unreadable, not a regular file, too large, binary, empty,
undecodable, `.gz`) so every reader sees clean input, and the split of reading into tasks that
may run in worker processes (web archives and JSON Lines stream, a few records per task). Every
file is read through `files.ArchiveFile`: it cannot block, cannot decompress without limit, and
each file's last batch carries the hash of the bytes read. Imports only `index.model` and its
own modules: no Whoosh, nothing from `search/`.
"""
from __future__ import annotations

import errno
import gzip
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from index.model import Article, ReadLimits, Skip
from index.sources import feed, html, jsonl, plaintext, reuters, warc
from index.sources.files import ArchiveFile, NotRegularFile, TooLarge
from index.sources.names import printable
from index.sources.pages import Page, page_article
from index.sources.text import decode, format_suffix, without_compression

log = logging.getLogger(__name__)
Parsed = tuple[list[Article], list[Skip]]


@dataclass(frozen=True)
class _Reader:
    """How one format is read: `parse` takes the whole file's bytes; `pages` streams a web
    archive's pages, `records` a file's articles (both given the stream and the record cap).
    `extracts` marks formats whose pages need the (CPU-heavy) extractor."""

    parse: Callable[[bytes, str], Parsed] | None = None
    pages: Callable | None = None
    records: Callable | None = None
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
    ".jsonl": _Reader(records=jsonl.records),
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
# Records of a JSON Lines file per task: parsed here, so only the batch's size matters.
RECORDS_PER_TASK = 500
# Why a file read whole is capped by the record limit, for the operator.
_WHOLE_FILE_NOTE = "a file read whole is one record"
_READ_AHEAD = 1 << 20


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """The archive files named by `paths`: absolute, sorted, each once.

    Folders are searched recursively for supported suffixes, skipping hidden files and
    folders. A file named directly is kept whatever its suffix, so that the operator hears
    "unsupported" from `read_source` rather than silence. A FIFO, device or socket is listed
    too (only stat'ed here, never opened), so that its read reports it as "not a file". A
    missing path raises FileNotFoundError naming it.
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


def read_source(path: Path, limits: ReadLimits = ReadLimits()) -> Parsed:
    """The articles in one archive file, and a Skip for the file or each record not read.

    Never raises for bad content: a file that cannot be read at all gives ([], [its Skip]);
    a bad record inside a good file gives a Skip naming the record, and the rest is returned.
    """
    articles: list[Article] = []
    skips: list[Skip] = []
    for task in read_tasks(path, limits):
        batch = task.run()
        articles += batch.articles
        skips += batch.skips
    return articles, skips


@dataclass(frozen=True)
class Batch:
    """Articles and skips read from one file, and how many of its bytes that accounts for.
    `last` marks the file's final batch, which carries `sha256`: the hash of the bytes this read
    took in (None when the file could not be opened), so that a file changed while it was read
    is recorded as what was parsed and read again by the next reindex."""

    path: str
    articles: list[Article]
    skips: list[Skip]
    bytes_read: int
    last: bool
    sha256: str | None = None


@dataclass(frozen=True)
class ReadTask:
    """One piece of reading a file, runnable in another process: the whole file, or a few
    records of a streamed file (read in this process; web pages extracted by `run`). `extracts`
    says whether running it is CPU-heavy (page extraction), so worth a worker process."""

    path: str
    bytes_read: int
    last: bool
    extracts: bool
    pages: tuple[Page, ...] = ()
    skips: tuple[Skip, ...] = ()
    whole_file: bool = False
    articles: tuple[Article, ...] = ()
    sha256: str | None = None
    limits: ReadLimits = ReadLimits()

    def run(self) -> Batch:
        if self.whole_file:
            articles, skips, sha256 = _read_whole(self.path, self.limits)
        else:
            found = [_extracted(p) for p in self.pages]
            articles = [*self.articles, *(a for a in found if isinstance(a, Article))]
            skips = [s for s in found if isinstance(s, Skip)] + list(self.skips)
            sha256 = self.sha256
        return Batch(self.path, articles, skips, self.bytes_read, self.last, sha256)


def _extracted(page: Page) -> Article | Skip:
    """The page's article; running out of memory on one page skips that page, not the build."""
    try:
        return page_article(page)
    except MemoryError:
        where = f"{page.where}: " if page.where else ""
        return Skip(page.source_path, "too large", f"{where}ran out of memory extracting the page")


def read_tasks(path: Path, limits: ReadLimits = ReadLimits()) -> Iterator[ReadTask]:
    """The work of reading one file, in order. Web archives and JSON Lines files are read here
    lazily, a few records per task, so that a large one streams in bounded memory; every other
    file is one task, read whole (at most `limits.record_bytes`) where it runs."""
    source_path = os.path.abspath(path)
    reader = _READERS.get(_suffix(source_path))
    try:
        size = os.path.getsize(source_path)
    except OSError:
        size = 0
    if reader is None or (reader.pages is None and reader.records is None):
        yield ReadTask(source_path, size, last=True, whole_file=True, limits=limits,
                       extracts=reader is not None and reader.extracts)
        return
    yield from _streamed_file_tasks(reader, source_path, size, limits)


def _streamed_file_tasks(reader: _Reader, source_path: str, size: int,
                         limits: ReadLimits) -> Iterator[ReadTask]:
    """The tasks of a web archive or JSON Lines file, read here as they are asked for, the file
    held open between them; the last one carries the hash of the bytes read."""
    # A web archive's reader takes plain or gzipped input under either name; warcio's own
    # decompression would read a header line of a bomb without limit, so it is done here.
    gzipped = None if reader.pages else without_compression(source_path)[1]
    if gzipped:
        problem, sha256 = _gzip_problem(source_path, limits)
        if problem is not None:
            yield ReadTask(source_path, size, last=True, extracts=False, skips=(problem,),
                           sha256=sha256)
            return
    try:
        archive = ArchiveFile(source_path, gzipped=gzipped, cap=limits.file_bytes,
                              setting="max_file_bytes",
                              line_cap=limits.record_bytes if reader.pages else None)
    except OSError as err:
        yield ReadTask(source_path, size, last=True, extracts=False,
                       skips=(_open_skip(source_path, err),))
        return
    with archive:
        # warcio gets the bytes a read at a time (what a damaged stream held before the damage
        # still reaches it); the line reader gets them buffered.
        stream = archive.chunks if reader.pages else archive.content
        per_task = PAGES_PER_TASK if reader.pages else RECORDS_PER_TASK
        items = (reader.pages or reader.records)(stream, source_path, limits.record_bytes)
        yield from _streamed_tasks(_until_the_file_fails(items, source_path), archive,
                                   source_path, size, per_task)


def _gzip_problem(source_path: str, limits: ReadLimits) -> tuple[Skip | None, str | None]:
    """Why a gzipped file of records cannot be read (damaged, too large once decompressed, not
    openable), found by decompressing it once without keeping anything, and the hash of its
    bytes; (None, None) when it reads to the end. Streaming alone would index the records before
    the fault: a damaged or oversized file is skipped whole instead, as a file read whole is."""
    try:
        archive = ArchiveFile(source_path, gzipped=True, cap=limits.file_bytes,
                              setting="max_file_bytes")
    except OSError as err:
        return _open_skip(source_path, err), None
    with archive:
        problem = _whole_content(archive, source_path, keep=False)[1]
        return problem, _sha256(archive) if problem is not None else None


def _streamed_tasks(items: Iterator[Page | Article | Skip], archive: ArchiveFile,
                    source_path: str, size: int, per_task: int) -> Iterator[ReadTask]:
    """`per_task` items a task, each task counting the bytes of the file read for it (the
    progress), then an empty last task with the file's hash."""
    done = 0
    while chunk := list(islice(items, per_task)):
        position = archive.position()
        pages = tuple(i for i in chunk if isinstance(i, Page))
        yield ReadTask(source_path, position - done, last=False, extracts=bool(pages), pages=pages,
                       articles=tuple(i for i in chunk if isinstance(i, Article)),
                       skips=tuple(i for i in chunk if isinstance(i, Skip)))
        done = position
    yield ReadTask(source_path, max(size - done, 0), last=True, extracts=False,
                   sha256=_sha256(archive))


def _until_the_file_fails(items: Iterator, source_path: str) -> Iterator:
    """`items`, ended by a Skip instead of an exception when the file itself fails under the
    reader: too large, a damaged gzip stream, an I/O error, no memory left. What was read
    before stays read."""
    stopped = "reading stopped there"
    try:
        yield from items
    except TooLarge as err:
        yield Skip(source_path, "too large", f"{err}; {stopped}")
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:  # BadGzipFile is an OSError: first
        yield Skip(source_path, "unreadable", f"damaged gzip file ({err}); {stopped}")
    except OSError as err:
        yield Skip(source_path, "unreadable", f"{err.strerror or err}; {stopped}")
    except MemoryError:
        yield Skip(source_path, "too large", f"ran out of memory reading it; {stopped}")


def _sha256(archive: ArchiveFile) -> str | None:
    """The hash of the bytes read, or None when the rest of the file cannot be read (the next
    reindex then reads the file again rather than trust a partial hash)."""
    try:
        return archive.sha256()
    except OSError as err:
        log.warning("cannot finish reading %s: %s", printable(archive.path), err.strerror or err)
        return None


def _open_skip(source_path: str, err: OSError) -> Skip:
    """The Skip for a file that could not be opened: a pipe or device is "not a file", which
    the operator fixes differently from a permission or a broken link."""
    if isinstance(err, NotRegularFile):
        return Skip(source_path, "not a file", err.strerror)
    return Skip(source_path, "unreadable", err.strerror or str(err))


def _read_whole(source_path: str,
                limits: ReadLimits) -> tuple[list[Article], list[Skip], str | None]:
    """The file's articles and skips, and the hash of the bytes read (None: not opened). The
    file is held whole, so it may hold at most `limits.record_bytes` (decompressed)."""
    reader = _READERS.get(_suffix(source_path))
    try:
        archive = ArchiveFile(source_path, gzipped=without_compression(source_path)[1],
                              cap=limits.record_bytes, setting="max_record_bytes")
    except OSError as err:
        return [], [_open_skip(source_path, err)], None
    with archive:
        data, problem = (b"", None) if reader is None else _whole_content(archive, source_path)
        sha256 = _sha256(archive)
    if reader is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        problem = Skip(source_path, "unsupported", f"not one of {supported} (optionally .gz)")
    if problem is not None:
        return [], [problem], sha256
    if not data.strip():
        return [], [Skip(source_path, "empty", "the file holds no text")], sha256
    try:
        articles, skips = reader.parse(data, source_path)
    except MemoryError:
        return [], [Skip(source_path, "too large", "ran out of memory reading it")], sha256
    if not articles and not skips:
        return [], [Skip(source_path, "empty", "no article in the file")], sha256
    return articles, skips, sha256


def _whole_content(archive: ArchiveFile, source_path: str,
                   keep: bool = True) -> tuple[bytes, Skip | None]:
    """The file's bytes, decompressed when gzipped, or the Skip that says why not. With
    `keep=False` the bytes are read and dropped: only the Skip is wanted."""
    try:
        if keep:
            return archive.content.read(), None
        while archive.chunks.read(_READ_AHEAD):
            pass
        return b"", None
    except TooLarge as err:
        note = f": {_WHOLE_FILE_NOTE}" if keep else ""
        return b"", Skip(source_path, "too large", f"{err}{note}")
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:  # BadGzipFile is an OSError: first
        return b"", Skip(source_path, "unreadable", f"damaged gzip file ({err})")
    except OSError as err:
        return b"", Skip(source_path, "unreadable", err.strerror or str(err))
    except MemoryError:
        return b"", Skip(source_path, "too large", "ran out of memory reading it")


def _file_problem(data: bytes) -> tuple[str, str] | None:
    if b"\0" in data:
        return "binary", "NUL bytes: not a text file"
    return None

