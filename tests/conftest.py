"""Fixtures shared by every test folder: where the shared real data lives (or a clean skip),
and a reindex lock held by another process.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SHARED_MISSING = "needs ../shared/data (the shared real data), absent on this machine"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared/data` beside the project root; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SHARED_MISSING)
    return SHARED_DATA


def pytest_collection_modifyitems(items):
    # Tests that use the shared data carry the `shared` marker, so `-m "not shared"` works.
    for item in items:
        if "shared_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)


_HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from index.lock import ReindexLock
with ReindexLock(Path(sys.argv[1]), timeout=5):
    Path(sys.argv[2]).write_text("held")
    time.sleep(60)
"""


@pytest.fixture
def lock_held_elsewhere(tmp_path):
    """A function that makes another process take the reindex lock of a folder and keep it
    until the test ends; it returns that process."""
    import subprocess
    import sys
    import time

    held = []

    def hold(folder: Path) -> subprocess.Popen:
        marker = tmp_path / f"lock-held-{len(held)}"
        process = subprocess.Popen([sys.executable, "-c", _HOLD_THE_LOCK, str(folder), str(marker)],
                                   cwd=Path(__file__).resolve().parents[1])
        held.append(process)
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the other process never took the lock"
        return process

    yield hold
    for process in held:
        process.kill()
        process.wait()
