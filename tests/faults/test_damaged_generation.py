"""A damaged serving generation (same-size garbage in a segment): a reindex notices it, says
so, rebuilds in full, and never leaves a generation without a manifest behind."""
from __future__ import annotations

import json

import pytest

from faultkit import manage, serving_name, small_archive, write_jsonl

pytestmark = pytest.mark.slow


def damage_largest_segment(gen_dir) -> str:
    segment = max((p for p in gen_dir.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
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
