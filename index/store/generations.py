"""Index generations on disk: `gen-<n>/` folders, the CURRENT pointer, and each one's manifest.

A generation is complete, immutable and on the disk (fsynced) once CURRENT names it; switching
is one atomic rename. The read side calls `pointed_generation`, `check_generation` and
`read_manifest`; nothing here imports `search/`.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

from index.store import files

log = logging.getLogger(__name__)

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
    """One past every gen-<n> on disk, complete or not: a name a server may have open is never
    reused (only never-served leftovers are removed before a build, and they may be)."""
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
    """Readers see the old or the new file whole, before and after a power cut (files.py)."""
    files.write_text_atomically(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def switch_to(index_dir: Path, gen_dir: Path) -> None:
    """Make `gen_dir` durable, then point CURRENT at it atomically and durably.

    Whoosh and the copy of an incremental build sync nothing, so every file and folder of the
    generation is fsynced here, then the index folder (which holds the `gen-<n>` name), and
    only then is CURRENT renamed over (its folder fsynced after): after a power cut, CURRENT
    names either the old generation or a new one whose files are all on the disk."""
    synced = files.sync_tree(gen_dir)
    files.sync_folder(index_dir)
    log.info("synced %d files of %s; switching %s", synced, Path(gen_dir).name, POINTER)
    files.write_text_atomically(Path(index_dir) / POINTER, Path(gen_dir).name + "\n")


def pointed_generation(index_dir: Path) -> Path | None:
    """The folder CURRENT names, complete or not (None without a pointer or a gen-<n> name):
    what a server must serve or, when it fails its check, fall back from."""
    try:
        name = (Path(index_dir) / POINTER).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return Path(index_dir) / name if _GEN_NAME.match(name) else None


def earlier_generations(index_dir: Path, gen_dir: Path) -> list[Path]:
    """The generations numbered below `gen_dir` that have a manifest, newest first: where a
    server looks for an intact one when the pointed generation fails its check."""
    below = [p for p in existing_generations(index_dir)
             if generation_number(p) < generation_number(gen_dir) and (p / MANIFEST).is_file()]
    return below[::-1]


def remove_leftover_generations(index_dir: Path) -> list[Path]:
    """Delete the folders of killed builds: every gen-<n> other than the one CURRENT names that
    has no manifest (a build dies before writing it) or is numbered above the pointed one (built
    but never switched to). Only a caller holding the reindex lock may call this, so that no
    running build's folder is taken; a folder a server reads is left (see `remove_if_unread`)."""
    removed = []
    for folder in unfinished_generations(index_dir):
        if remove_if_unread(folder):
            log.info("removed %s, left by a build that did not finish", folder)
            removed.append(folder)
    return removed


def unfinished_generations(index_dir: Path) -> list[Path]:
    """The gen-<n> folders a build is writing now or left unfinished: every one but the pointed
    one that has no manifest or is numbered above the pointed one (never switched to)."""
    pointed = pointed_generation(index_dir)
    above = generation_number(pointed) if pointed is not None else 0
    return [folder for folder in existing_generations(index_dir)
            if folder != pointed
            and (generation_number(folder) > above or not (folder / MANIFEST).is_file())]


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


@dataclass(frozen=True)
class Damage:
    """Why a generation failed its check: `detail` names the file (for the log and the operator's
    `status`), `public` says what is wrong without naming it (for anonymous HTTP clients)."""

    detail: str
    public: str

    def __str__(self) -> str:
        return self.detail


def check_generation(gen_dir: Path) -> Damage | None:
    """None when every file the manifest lists is there with its recorded size and checksum;
    otherwise the first problem found (a missing or changed file, or the manifest itself)."""
    gen_dir = Path(gen_dir)
    try:
        recorded = read_manifest(gen_dir).get(CHECKSUMS)
    except (OSError, ValueError, AttributeError) as err:
        return Damage(f"{MANIFEST} is missing or unreadable ({err.__class__.__name__})",
                      "its list of files and checksums is missing or unreadable")
    if not isinstance(recorded, dict) or not recorded:
        return Damage(f"{MANIFEST} records no checksums (built by an older version)",
                      "it was built by an older version that recorded no checksums")
    for name, expected in recorded.items():
        try:
            actual = _checksum(gen_dir / name)
        except OSError as err:
            return Damage(f"{name}: {err.strerror or err}", "one of its files is missing or unreadable")
        if actual != expected:
            size = expected.split(":")[0]
            what = "size" if actual.split(":")[0] != size else "checksum"
            return Damage(f"{name}: {what} differs from the one recorded at build time",
                          f"a file's {what} differs from the one recorded at build time")
    return None


def verify_generation(gen_dir: Path) -> str | None:
    """`check_generation` as text naming the file (None when the generation is intact)."""
    damage = check_generation(gen_dir)
    return None if damage is None else damage.detail


def _checksum(path: Path) -> str:
    crc, size = 0, 0
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            crc = zlib.crc32(block, crc)
            size += len(block)
    return f"{size}:{crc:08x}"


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
