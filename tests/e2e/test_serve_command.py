"""`python manage.py serve` as an operator runs it: a real process that builds the index when
there is none, listens on a real loopback port, answers, and stops cleanly on Ctrl-C or SIGTERM,
with its worker processes (the default) or as one process (`--workers 1`), saying so once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from processes import announced_url

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
ARTICLE = {"id": "cocoa-1", "title": "Bahia cocoa review", "date": "1987-02-26",
           "paragraphs": ["Showers continued throughout the week in the Bahia cocoa zone."]}


@pytest.mark.parametrize("workers", [[], ["--workers", "1"]], ids=["default", "one-process"])
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_builds_the_missing_index_then_answers_and_stops_cleanly(tmp_path, stop_signal, workers):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "a.jsonl").write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
    env = {**os.environ, "NEWS_SEARCH_SOURCES": str(archive), "NEWS_SEARCH_WORKERS": "1"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", "0", "--index-dir", str(tmp_path / "idx"),
         *workers],
        cwd=PROJECT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = announced_url(server)
        with urllib.request.urlopen(f"{url}/api/search?q=cocoa", timeout=10) as res:
            body = json.load(res)
        assert [h["id"] for h in body["hits"]] == ["cocoa-1:0"]
    finally:
        server.send_signal(stop_signal)
        server.wait(timeout=20)
    assert server.returncode == 0
    printed = server.stderr.read()
    assert printed.count("Stopped.") == 1 and "Traceback" not in printed
    assert (tmp_path / "idx" / "CURRENT").is_file()
