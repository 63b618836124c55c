"""Hostile files in the archive: a symlink loop and a file this user may not read are reported
skips, a symlinked folder is followed (a link back up the tree is walked once), and the rest of
the archive is indexed. Root reads anything, so the reindex runs without its read override."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from faultkit import PROJECT, manage, small_archive

pytestmark = pytest.mark.slow

# Root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: file permissions apply to it as to anyone.
WITHOUT_READ_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                         "--bounding-set=-dac_override,-dac_read_search"]


def manage_without_override(*args):
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's read override")
    return subprocess.run([*WITHOUT_READ_OVERRIDE, sys.executable, str(PROJECT / "manage.py"),
                           *map(str, args)], cwd=PROJECT, capture_output=True, text=True, timeout=300)


def test_loops_and_unreadable_files_are_skips_and_linked_folders_are_read(tmp_path):
    archive = small_archive(tmp_path / "archive")
    (archive / "loop.txt").symlink_to(archive / "loop.txt")
    secret = archive / "secret.jsonl"
    secret.write_text('{"id": "s1", "paragraphs": ["Hidden."]}\n')
    secret.chmod(0)
    linked = small_archive(tmp_path / "elsewhere", articles=1)
    (linked / "f0.jsonl").write_text('{"id": "e1", "paragraphs": ["Zinc from a linked folder."]}\n')
    (archive / "linked").symlink_to(linked)
    (linked / "back").symlink_to(archive)
    result = manage_without_override("reindex", "--source", archive, "--index-dir", tmp_path / "idx")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "Skipped (unreadable): 2" in out
    assert f"{archive / 'loop.txt'}: Too many levels of symbolic links" in out
    assert f"{secret}: Permission denied" in out
    assert "Articles: 4 " in out
    found = json.loads(manage("search", "zinc", "--index-dir", tmp_path / "idx", "--json").stdout)
    assert found["total"] == 1
