"""Opening an archive file so that nothing in it can hang or exhaust a reindex: only regular
files are opened (a FIFO, a device or a link to one is refused without blocking), every byte read
is hashed (the manifest records the bytes that were parsed, not an earlier look at the file), and
content is decompressed as a stream under a byte cap. Imports only the stdlib.
"""
from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import io
import os
import stat
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_READ_AHEAD = 1 << 20
_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotRegularFile(OSError):
    """A path that names a pipe, device or socket: reading it could block or never end."""

    def __init__(self, path: str, kind: str):
        super().__init__(errno.EINVAL, f"{kind}, not a regular file: only regular files are read",
                         path)


class TooLarge(Exception):
    """More bytes than a cap allows. Not an OSError or ValueError, so that readers which turn
    those into "damaged file" skips (warcio's callers) let it through to say what it is."""

    def __init__(self, limit: int, setting: str, what: str = "holds"):
        super().__init__(f"{what} more than {limit / 1e6:,.1f} MB ({setting})")
        self.limit = limit


def open_regular(path: str) -> BinaryIO:
    """`path` opened unbuffered for reading, refused with NotRegularFile unless it is a regular
    file (a symlink is followed). Checked by stat before opening, so a device is never opened,
    and by fstat after (O_NONBLOCK: a FIFO swapped in between cannot block the open)."""
    _require_regular(os.stat(path), path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        _require_regular(os.fstat(fd), path)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb", buffering=0)


def _require_regular(status: os.stat_result, path: str) -> None:
    if stat.S_ISREG(status.st_mode):
        return
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a file")
    raise NotRegularFile(path, kind)


class _HashingReader(io.RawIOBase):
    """The raw file, hashing every byte as it is read and counting them."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._sha256 = hashlib.sha256()
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self._sha256.update(memoryview(buffer)[:n])
        self.position += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()

    def hexdigest_to_end(self) -> str:
        """The SHA-256 of every byte this reader gave out, plus the rest of the file: what was
        parsed, when the reader read to the end; the file as it stood, when it stopped early."""
        while chunk := self._raw.read(_READ_AHEAD):
            self._sha256.update(chunk)
            self.position += len(chunk)
        return self._sha256.hexdigest()


class _CappedReader(io.RawIOBase):
    """A stream that raises TooLarge once more than `cap` bytes came out of it, or (with
    `line_cap`) more than that many bytes without a newline: the guard for a parser that reads
    a line without a limit (warcio's header lines)."""

    def __init__(self, source, cap: int, setting: str, line_cap: int | None = None,
                 decompressed: bool = False):
        self._source = source
        self._holds = "holds, once decompressed," if decompressed else "holds"
        self._cap, self._setting, self._line_cap = cap, setting, line_cap
        self._total = 0
        self._since_newline = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._total

    def readinto(self, buffer) -> int:
        # read1: one read of the source at a time, so that what a damaged gzip stream gave before
        # its damage reaches the reader before the error does.
        data = self._source.read1(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._total += n
        if self._total > self._cap:
            raise TooLarge(self._cap, self._setting, self._holds)
        if self._line_cap is not None and n:
            newline = data.rfind(b"\n")
            self._since_newline = n - newline - 1 if newline >= 0 else self._since_newline + n
            if self._since_newline > self._line_cap:
                raise TooLarge(self._line_cap, "max_record_bytes", "has a line of")
        return n


class ArchiveFile:
    """One archive file open for reading: `content` gives its bytes (decompressed when gzipped)
    up to `cap`, buffered (lines, peeks); `chunks` gives the same bytes a read at a time, for a
    reader that must get what a damaged gzip stream held before its damage (a buffered read
    loses it). Use one or the other. `position()` is how far into the file on disk reading got;
    `sha256()` the hash of the bytes read. Raises NotRegularFile or OSError when it cannot be
    opened."""

    def __init__(self, path: str, *, gzipped: bool | None, cap: int, setting: str,
                 line_cap: int | None = None):
        """`gzipped=None` decides by the file's first bytes (for formats whose readers accept
        both, like web archives)."""
        self.path = path
        self._hashing = _HashingReader(open_regular(path))
        raw = io.BufferedReader(self._hashing, buffer_size=_READ_AHEAD)
        if gzipped is None:
            gzipped = raw.peek(2)[:2] == GZIP_MAGIC
        source = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        self.chunks = _CappedReader(source, cap, setting, line_cap, decompressed=gzipped)
        self.content = io.BufferedReader(self.chunks, buffer_size=_READ_AHEAD)

    def position(self) -> int:
        return self._hashing.position

    def sha256(self) -> str:
        """The hash of the bytes read, after reading what is left of the file (cheap: raw
        bytes, no decompression)."""
        return self._hashing.hexdigest_to_end()

    def close(self) -> None:
        self._hashing.close()

    def __enter__(self) -> "ArchiveFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
