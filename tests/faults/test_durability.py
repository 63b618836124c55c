"""A power cut after the switch must not leave CURRENT naming a generation whose files never
reached the disk: a traced `manage.py reindex` (strace) fsyncs every file of the new generation
and the generation folder before CURRENT is renamed, and the index folder after; the one
atomic-write helper syncs the file before its rename and the folder after it."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from faultkit import PROJECT, serving_name, small_archive, write_jsonl
from index.store import files

pytestmark = pytest.mark.slow

STRACE = shutil.which("strace")
needs_strace = pytest.mark.skipif(STRACE is None, reason="strace is not installed")
SYNC = re.compile(r"\bf(?:data)?sync\(\d+<([^>]+)>\)\s*=\s*0")
RENAME = re.compile(r'\brename(?:at2?)?\((?:[^,"]+, )?"([^"]+)", (?:[^,"]+, )?"([^"]+)"[^)]*\)\s*=\s*0')


@dataclass
class Trace:
    """The fsyncs and renames of a traced run, in the order they happened (line numbers)."""

    synced: dict[str, int]   # real path -> line of its first fsync
    renames: list[tuple[int, str, str]]
    synced_after: dict[str, int]  # real path -> line of its last fsync

    def rename_to(self, name: str) -> int:
        lines = [line for line, _, dst in self.renames if Path(dst).name == name]
        assert lines, f"no rename onto {name} in the trace"
        return lines[-1]

    def synced_before(self, path: str, line: int) -> bool:
        """True when `path`, or a file renamed onto it, was fsynced before `line`."""
        if self.synced.get(path, line) < line:
            return True
        return any(dst == path and self.synced.get(src, line) < line
                   for _, src, dst in self.renames)


def traced(args: list[str], cwd: Path = PROJECT) -> Trace:
    """Run `args` under strace (children followed, descriptors shown as paths)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"strace-{os.getpid()}-{len(args)}.txt"
    run = subprocess.run([STRACE, "-f", "-y", "-qq", "-o", str(log), "-e",
                          "trace=fsync,fdatasync,rename,renameat,renameat2", *args],
                         cwd=cwd, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NEWS_SEARCH_WORKERS": "2"})
    assert run.returncode == 0, run.stderr
    lines = log.read_text(errors="replace").splitlines()
    log.unlink()
    synced, last, renames = {}, {}, []
    for number, line in enumerate(lines):
        if found := SYNC.search(line):
            path = os.path.realpath(found.group(1).removesuffix(" (deleted)"))
            synced.setdefault(path, number)
            last[path] = number
        if found := RENAME.search(line):
            src, dst = (os.path.realpath(os.path.join(cwd, p)) for p in found.groups())
            renames.append((number, src, dst))
    return Trace(synced, renames, last)


def reindex_traced(*args) -> Trace:
    return traced([sys.executable, str(PROJECT / "manage.py"), "reindex", *map(str, args)])


def unsynced_before_switch(trace: Trace, gen_dir: Path) -> list[str]:
    switch = trace.rename_to("CURRENT")
    on_disk = [os.path.realpath(p) for p in gen_dir.rglob("*") if p.is_file()]
    assert len(on_disk) > 10, f"{gen_dir} holds only {len(on_disk)} files"
    return [Path(p).name for p in on_disk if not trace.synced_before(p, switch)]


@needs_strace
def test_a_full_build_syncs_every_file_and_its_folder_before_the_switch(tmp_path):
    index_dir = tmp_path / "idx"
    trace = reindex_traced("--full", "--source", small_archive(tmp_path / "archive"),
                           "--index-dir", index_dir)
    gen_dir = index_dir / serving_name(index_dir)
    assert unsynced_before_switch(trace, gen_dir) == []
    assert trace.synced_before(os.path.realpath(gen_dir), trace.rename_to("CURRENT"))


@needs_strace
def test_the_index_folder_is_synced_after_the_pointer_moves(tmp_path):
    index_dir = tmp_path / "idx"
    trace = reindex_traced("--full", "--source", small_archive(tmp_path / "archive"),
                           "--index-dir", index_dir)
    assert trace.synced_after.get(os.path.realpath(index_dir), -1) > trace.rename_to("CURRENT")


@needs_strace
def test_an_incremental_build_syncs_the_files_it_copied_before_the_switch(tmp_path):
    index_dir = tmp_path / "idx"
    archive = small_archive(tmp_path / "archive")
    first = reindex_traced("--source", archive, "--index-dir", index_dir)
    assert first.renames
    write_jsonl(archive / "new.jsonl", {"id": "n1", "title": "New", "date": "1987-03-03",
                                        "paragraphs": ["Tin output rose in Bolivia."]})
    trace = reindex_traced("--index-dir", index_dir)
    gen_dir = index_dir / serving_name(index_dir)
    assert gen_dir.name == "gen-2"
    assert unsynced_before_switch(trace, gen_dir) == []
    assert trace.synced_before(os.path.realpath(gen_dir), trace.rename_to("CURRENT"))


WRITE_ONE = """
import sys
from pathlib import Path
from index.store.files import write_atomically
write_atomically(Path(sys.argv[1]), lambda f: f.write(b"whole"))
"""


@needs_strace
def test_an_atomic_write_syncs_the_file_before_its_rename_and_the_folder_after(tmp_path):
    target = tmp_path / "data.bin"
    trace = traced([sys.executable, "-c", WRITE_ONE, str(target)])
    moved = trace.rename_to(target.name)
    assert trace.synced_before(os.path.realpath(target), moved)
    assert trace.synced_after.get(os.path.realpath(tmp_path), -1) > moved
    assert target.read_bytes() == b"whole"


def test_an_atomic_write_that_fails_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    target = tmp_path / "data.bin"
    files.write_atomically(target, lambda f: f.write(b"old and whole"))

    def half_then_fail(f):
        f.write(b"new but ha")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        files.write_atomically(target, half_then_fail)
    assert target.read_bytes() == b"old and whole"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_only_the_files_module_renames_or_syncs_files():
    """One atomic-write helper for the whole project: a second one that syncs differently is
    how a file came to be renamed into place without ever reaching the disk."""
    calls = set()
    for path in [*(PROJECT / "index").rglob("*.py"), *(PROJECT / "search").rglob("*.py"),
                 *(PROJECT / "cli").rglob("*.py"), PROJECT / "manage.py"]:
        if path == PROJECT / "index" / "store" / "files.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "os" and node.attr in {"replace", "rename", "fsync"}):
                calls.add(f"{path.relative_to(PROJECT)}: os.{node.attr}")
    assert sorted(calls) == []
