"""A damaged serving generation (same-size garbage in a segment): a reindex notices it, says
so, rebuilds in full, and never leaves a generation without a manifest behind; a server started
on a damaged newest generation answers from the intact one before it, and says why in words
(its log names the file)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager

import pytest

from faultkit import PROJECT, manage, serving_name, small_archive, wait_until, write_jsonl
from json_get import get

pytestmark = pytest.mark.slow


def damage_largest_segment(gen_dir) -> str:
    segment = max(gen_dir.glob("MAIN_*.*"), key=lambda p: p.stat().st_size)
    with open(segment, "r+b") as f:
        f.seek(segment.stat().st_size // 2)
        f.write(b"\xde\xad\xbe\xef" * 8)
    return segment.name


def built(tmp_path):
    index_dir = tmp_path / "idx"
    first = manage("reindex", "--source", small_archive(tmp_path / "archive"), "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    return index_dir


def test_reindex_over_a_damaged_generation_rebuilds_it_instead_of_calling_it_up_to_date(tmp_path):
    index_dir = built(tmp_path)
    name = damage_largest_segment(index_dir / "gen-1")
    status = manage("status", "--index-dir", index_dir)
    assert f"Check: failed ({name}: checksum differs from the one recorded at build time)" in status.stdout
    assert "A reindex would build in full (the serving generation failed its check)" in status.stdout
    result = manage("reindex", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"The serving generation failed its check ({name}: checksum differs from the one "
        "recorded at build time); rebuilt it in full.")
    assert serving_name(index_dir) == "gen-2"
    found = json.loads(manage("search", "cocoa", "--index-dir", index_dir, "--json").stdout)
    assert found["total"] == 3


def test_an_update_over_a_damaged_generation_falls_back_to_a_full_build(tmp_path):
    index_dir = built(tmp_path)
    damage_largest_segment(index_dir / "gen-1")
    write_jsonl(tmp_path / "archive" / "new.jsonl",
                {"id": "n1", "title": "New", "paragraphs": ["Tin output rose in Bolivia."]})
    result = manage("reindex", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert "rebuilt it in full" in result.stdout and "Full build: generation 2" in result.stdout
    for gen_dir in index_dir.glob("gen-*"):
        assert (gen_dir / "manifest.json").is_file(), f"{gen_dir.name} has no manifest"
    found = json.loads(manage("search", "tin", "--index-dir", index_dir, "--json").stdout)
    assert found["total"] == 1


def truncate_segments(gen_dir) -> list[str]:
    """Cut every segment of a generation in half, as a lost write-back after a power cut can."""
    names = []
    for segment in gen_dir.glob("MAIN_*.*"):  # a segment's files (separate, not one .seg)
        with open(segment, "r+b") as f:
            f.truncate(segment.stat().st_size // 2)
        names.append(segment.name)
    assert names
    return names


def updated(tmp_path, index_dir) -> None:
    write_jsonl(tmp_path / "archive" / "new.jsonl",
                {"id": "n1", "title": "New", "paragraphs": ["Tin output rose in Bolivia."]})
    result = manage("reindex", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    assert serving_name(index_dir) == "gen-2"


class Served:
    """A running `manage.py serve`: its address, and its log once it has stopped."""

    def __init__(self, url: str):
        self.url, self.log = url, ""


@contextmanager
def serving(index_dir):
    """`manage.py serve --workers 1` on a free loopback port, stopped with SIGTERM after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(PROJECT / "manage.py"), "serve", "--workers", "1",
                               "--port", str(port), "--index-dir", str(index_dir)],
                              cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    served = Served(f"http://127.0.0.1:{port}")

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        assert wait_until(listening, timeout=60), "the server never listened"
        yield served
    finally:
        os.kill(server.pid, signal.SIGTERM)
        served.log = server.communicate(timeout=30)[1]


def test_a_server_started_on_a_damaged_newest_generation_answers_from_the_one_before(tmp_path):
    index_dir = built(tmp_path)
    updated(tmp_path, index_dir)
    truncate_segments(index_dir / "gen-2")
    with serving(index_dir) as server:
        status, headers, body = get(f"{server.url}/api/search?q=cocoa")
        health = get(f"{server.url}/healthz")
    assert status == 200 and body["total"] == 3
    assert headers["X-Index-Generation"] == "1"
    assert health[:1] == (200,) and health[2]["generation"] == 1


def test_the_status_says_in_words_why_the_newest_generation_is_not_served(tmp_path):
    index_dir = built(tmp_path)
    updated(tmp_path, index_dir)
    segments = truncate_segments(index_dir / "gen-2")
    with serving(index_dir) as server:
        status, _, body = get(f"{server.url}/api/status")
    assert status == 200 and body["generation"] == 1
    refused = body["refused"]
    assert refused["generation"] == 2
    assert "generation 2" in refused["reason"] and "answering from generation 1" in refused["reason"]
    assert "size differs" in refused["reason"] and "manage.py reindex" in refused["reason"]
    assert not any(name in json.dumps(body) for name in segments) and ".seg" not in json.dumps(body)
    assert any(name in server.log for name in segments), server.log


def test_the_503_for_a_damaged_only_generation_names_no_internal_file(tmp_path):
    index_dir = built(tmp_path)
    segments = truncate_segments(index_dir / "gen-1")
    with serving(index_dir) as server:
        answers = [get(f"{server.url}{path}") for path in ("/api/search?q=cocoa", "/api/status", "/healthz")]
    for status, _, body in answers:
        assert status == 503 and body["error"]["code"] == "no_index"
        message = body["error"]["message"]
        assert "generation 1" in message and "manage.py reindex" in message
        assert ".seg" not in message and "manifest" not in message and str(tmp_path) not in message
    assert any(name in server.log for name in segments), server.log
