"""The folders of killed builds (a `gen-<n>` without a manifest, or one built but never switched
to) are removed at the start of the next reindex, even one that finds nothing to do; never the
serving generation, the one before it, nor the folder of a build that is still running."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from faultkit import PROJECT, manage, serving_name, small_archive, wait_until, write_jsonl

pytestmark = pytest.mark.slow


def built(tmp_path):
    index_dir = tmp_path / "idx"
    first = manage("reindex", "--source", small_archive(tmp_path / "archive"), "--index-dir", index_dir)
    assert first.returncode == 0, first.stderr
    return index_dir


def start_build(*args) -> subprocess.Popen:
    """A `manage.py reindex` in its own session, so that it and its sub-writers can be killed
    together the way a power cut or the OOM killer would."""
    return subprocess.Popen([sys.executable, str(PROJECT / "manage.py"), "reindex", *map(str, args)],
                            cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "NEWS_SEARCH_WORKERS": "2"})


def writing(gen_dir) -> bool:
    """The build has created its generation and Whoosh has begun writing into it."""
    return gen_dir.is_dir() and any(gen_dir.iterdir())


def folders(index_dir) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*"))


def test_a_killed_builds_folder_is_removed_by_a_reindex_that_has_nothing_to_do(tmp_path, reuters_archive):
    index_dir = built(tmp_path)
    build = start_build("--full", "--source", reuters_archive, "--index-dir", index_dir)
    assert wait_until(lambda: writing(index_dir / "gen-2"), timeout=120), build.stderr.read()
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    assert folders(index_dir) == ["gen-1", "gen-2"]
    again = manage("reindex", "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Index is up to date (generation 1)")
    assert folders(index_dir) == ["gen-1"]


def test_a_generation_built_but_never_switched_to_is_removed(tmp_path):
    index_dir = built(tmp_path)
    # A build killed after writing its manifest, before moving CURRENT: complete, never served.
    shutil.copytree(index_dir / "gen-1", index_dir / "gen-2")
    again = manage("reindex", "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert folders(index_dir) == ["gen-1"] and serving_name(index_dir) == "gen-1"


def test_the_serving_generation_and_the_one_before_stay_when_leftovers_go(tmp_path):
    index_dir = built(tmp_path)
    write_jsonl(tmp_path / "archive" / "new.jsonl",
                {"id": "n1", "title": "New", "paragraphs": ["Tin output rose in Bolivia."]})
    assert manage("reindex", "--index-dir", index_dir).returncode == 0
    for leftover in ("gen-3", "gen-7"):
        (index_dir / leftover).mkdir()
        (index_dir / leftover / "MAIN_half.seg").write_bytes(b"\0" * 4096)
    again = manage("reindex", "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert folders(index_dir) == ["gen-1", "gen-2"] and serving_name(index_dir) == "gen-2"


def test_if_needed_with_nothing_to_do_removes_leftovers_too(tmp_path):
    index_dir = built(tmp_path)
    (index_dir / "gen-2").mkdir()
    (index_dir / "gen-2" / "MAIN_half.seg").write_bytes(b"\0" * 4096)
    again = manage("reindex", "--if-needed", "--index-dir", index_dir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Index is up to date (generation 1)")
    assert folders(index_dir) == ["gen-1"]


def test_a_reindex_waiting_for_the_lock_leaves_the_running_builds_folder_alone(tmp_path, reuters_archive):
    index_dir = built(tmp_path)
    build = start_build("--full", "--source", reuters_archive, "--index-dir", index_dir)
    try:
        assert wait_until(lambda: writing(index_dir / "gen-2"), timeout=120), build.stderr.read()
        waiting = manage("reindex", "--index-dir", index_dir, env={"NEWS_SEARCH_LOCK_TIMEOUT": "1"})
        assert waiting.returncode != 0 and "still holds" in waiting.stderr
        assert writing(index_dir / "gen-2")
        assert build.wait(timeout=300) == 0, build.stderr.read()
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
    assert serving_name(index_dir) == "gen-2"
