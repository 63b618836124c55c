"""Fixtures for the fault suite: a Reuters archive big enough for sub-writers, and a small
size-limited folder (tmpfs) for the full-disk cases."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from faultkit import SAMPLE_REUTERS


@pytest.fixture
def reuters_archive(tmp_path) -> Path:
    """A folder holding the sample Reuters file: big enough that reindex uses sub-writers."""
    folder = tmp_path / "reuters"
    folder.mkdir()
    shutil.copy(SAMPLE_REUTERS, folder / SAMPLE_REUTERS.name)
    return folder


@pytest.fixture
def small_disk(tmp_path):
    """A 40 MB tmpfs mounted on a fresh folder, unmounted after the test; skips when this
    machine cannot mount one (not root, or no permission in a container)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 40 MB tmpfs here: {mounted.stderr.strip() or 'mount failed'}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)
