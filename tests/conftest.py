"""Fixtures shared by every test folder: where the shared real data lives, or a clean skip.

Imports nothing from the project, so any test may use it.
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
