"""Helpers for tests that run `manage.py serve` as a real process."""
from __future__ import annotations

import re
import subprocess
import time

import pytest

ANNOUNCE_SECONDS = 60


def announced_url(server: subprocess.Popen) -> str:
    """The URL a starting `serve` prints on stderr once it listens (it may build the index
    first); fails the test with everything it printed when no such line comes."""
    deadline = time.monotonic() + ANNOUNCE_SECONDS
    seen = []
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"on (http://127\.0\.0\.1:\d+) ", line)
        if found:
            return found.group(1)
    pytest.fail("serve never said where it listens:\n" + "".join(seen))
