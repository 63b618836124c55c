"""Index generations on disk: `gen-<n>/` folders, the CURRENT pointer, and each one's manifest.

A generation is complete and immutable once CURRENT names it; switching is one atomic rename.
The read side calls `serving_generation` and `read_manifest`; nothing here imports `search/`.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import zlib
from pathlib import Path

# What an operator runs to build a generation; the read side names it in its 503 answers.
REINDEX_COMMAND = "python manage.py reindex"
POINTER = "CURRENT"
MANIFEST = "manifest.json"
PLACES = "places.json"
# Server processes hold a shared flock on this file while a generation is open for reading.
READERS = ".readers"
CHECKSUMS = "checksums"  # manifest key: {path relative to the generation: "<bytes>:<crc32>"}
_BLOCK = 1 << 20
_GEN_NAME = re.compile(r"^gen-(\d+)$")


def generation_dir(index_dir: Path, number: int) -> Path:
    return Path(index_dir) / f"gen-{number}"


def serving_generation(index_dir: Path) -> Path | None:
    """The folder CURRENT points at, or None before the first complete build."""
    try:
        name = (Path(index_dir) / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = Path(index_dir) / name
    return folder if _GEN_NAME.match(name) and (folder / MANIFEST).is_file() else None


def generation_number(gen_dir: Path) -> int:
    match = _GEN_NAME.match(Path(gen_dir).name)
    if not match:
        raise ValueError(f"{gen_dir} is not a generation folder (gen-<n>)")
    return int(match.group(1))


def next_generation_number(index_dir: Path) -> int:
    """One past every gen-<n> on disk, complete or not: a folder name is never reused, so a
    server that still has an old generation open never sees it change under it."""
    numbers = [generation_number(p) for p in existing_generations(index_dir)]
    return max(numbers, default=0) + 1


def existing_generations(index_dir: Path) -> list[Path]:
    if not Path(index_dir).is_dir():
        return []
    found = [p for p in Path(index_dir).iterdir() if p.is_dir() and _GEN_NAME.match(p.name)]
    return sorted(found, key=generation_number)


def read_manifest(gen_dir: Path) -> dict:
    return read_json(Path(gen_dir) / MANIFEST)


def write_json_atomically(path: Path, data) -> None:
    """Write to a temporary file, fsync, then rename: readers see the old or the new file whole."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def switch_to(index_dir: Path, gen_dir: Path) -> None:
    """Point CURRENT at `gen_dir` atomically (rename over the old pointer)."""
    pointer = Path(index_dir) / POINTER
    tmp = pointer.with_name(POINTER + ".tmp")
    tmp.write_text(Path(gen_dir).name + "\n", encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, pointer)


def remove_stale_generations(index_dir: Path, keep: set[Path]) -> list[Path]:
    """Delete every gen-<n> not in `keep` (older ones and the leftovers of killed builds) that
    no server process is reading; one still read goes at a later build's clean-up."""
    removed = []
    keep_names = {Path(k).name for k in keep}
    for folder in existing_generations(index_dir):
        if folder.name not in keep_names and remove_if_unread(folder):
            removed.append(folder)
    return removed


class ReaderHold:
    """A server process's shared lock on a generation's READERS file while it has the
    generation open; `release()` lets a builder remove the folder again."""

    def __init__(self, fd: int | None):
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its flock


def hold_for_reading(gen_dir: Path) -> ReaderHold:
    """Take a shared flock on `gen_dir/READERS` (created if missing) for as long as a reader
    has the generation open. Locks die with their process, so a killed server holds nothing.
    A folder the reader may not write to is read without a hold (nothing guards it then)."""
    path = Path(gen_dir) / READERS
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return ReaderHold(None)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return ReaderHold(fd)


def remove_if_unread(folder: Path) -> bool:
    """Delete a generation folder unless a server process holds it for reading (see
    `hold_for_reading`); True when it was removed. The exclusive lock is kept while deleting,
    so no reader can take the folder meanwhile."""
    try:
        fd = os.open(Path(folder) / READERS, os.O_RDONLY)
    except FileNotFoundError:
        shutil.rmtree(folder, ignore_errors=True)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)
    return True


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def file_checksums(gen_dir: Path) -> dict[str, str]:
    """Size and CRC-32 of every file in a generation but its manifest, computed last in a build
    so that a damaged or truncated file is caught before a server opens it. CRC-32 because it
    finds random damage at disk speed; nobody forges a segment. Hidden files (a server's
    bookkeeping, such as its reader lock) are not index data and are left out."""
    gen_dir = Path(gen_dir)
    files = sorted(p for p in gen_dir.rglob("*")
                   if p.is_file() and p.name != MANIFEST and not p.name.startswith("."))
    return {p.relative_to(gen_dir).as_posix(): _checksum(p) for p in files}


def verify_generation(gen_dir: Path) -> str | None:
    """None when every file the manifest lists is there with its recorded size and checksum;
    otherwise a short reason naming the first file that is not (or the manifest itself)."""
    gen_dir = Path(gen_dir)
    try:
        recorded = read_manifest(gen_dir).get(CHECKSUMS)
    except (OSError, ValueError, AttributeError) as err:
        return f"{MANIFEST} is missing or unreadable ({err.__class__.__name__})"
    if not isinstance(recorded, dict) or not recorded:
        return f"{MANIFEST} records no checksums (built by an older version)"
    for name, expected in recorded.items():
        try:
            actual = _checksum(gen_dir / name)
        except OSError as err:
            return f"{name}: {err.strerror or err}"
        if actual != expected:
            size = expected.split(":")[0]
            what = "size" if actual.split(":")[0] != size else "checksum"
            return f"{name}: {what} differs from the one recorded at build time"
    return None


def _checksum(path: Path) -> str:
    crc, size = 0, 0
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            crc = zlib.crc32(block, crc)
            size += len(block)
    return f"{size}:{crc:08x}"


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
