"""Hostile archive files, made for real at test time and read by real `manage.py reindex`
processes or the build function: a file rewritten while it is read, decompression bombs, one huge
record, files that are not regular files, and file names that are not UTF-8 or hold control
characters. Each is a reported skip (or a safe id), the rest of the archive is indexed, and
memory and time stay bounded."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive_files import write_jsonl
from faultkit import PROJECT, manage, small_archive
from index.build import reindex
from index.model import ReadLimits
from index.settings import Settings
from index.sources import RECORDS_PER_TASK, read_source, read_tasks
from index.sources.names import hidden, printable, safe_id

pytestmark = pytest.mark.slow

MB = 1_000_000
PARAGRAPH = ("<p>Officials in Paris said on Monday that the talks with Berlin would resume next "
             "week after a pause of several months, according to people familiar with it.</p>\n")


def gzip_bomb(path: Path, megabytes: int, byte: bytes = b"\0") -> Path:
    """A real gzip file holding `megabytes` MB of one repeated byte (about 1,000:1)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = byte * MB
    with open(path, "wb") as f:
        for _ in range(megabytes):
            f.write(packer.compress(block))
        f.write(packer.flush())
    return path


def measured(*args, env: dict | None = None, address_space: int | None = None,
             timeout: float = 180) -> tuple[subprocess.CompletedProcess, float]:
    """`manage.py ARGS` run to the end under /usr/bin/time (and prlimit when given an address
    space), and its peak resident memory in MB."""
    if not Path("/usr/bin/time").exists() or (address_space and shutil.which("prlimit") is None):
        pytest.skip("needs /usr/bin/time (and prlimit) to measure the reindex")
    limit = ["prlimit", f"--as={address_space}"] if address_space else []
    command = [*limit, "/usr/bin/time", "-f", "MAXRSS %M", sys.executable,
               str(PROJECT / "manage.py"), *map(str, args)]
    # A session of its own: on a timeout the whole chain (prlimit, time, python) is killed.
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, errors="replace", start_new_session=True,
                               env={**os.environ, "NEWS_SEARCH_WORKERS": "2", **(env or {})})
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    peaks = re.findall(r"MAXRSS (\d+)", stderr)
    return result, int(peaks[-1]) / 1024 if peaks else float("inf")


def stories(count: int, prefix: str = "a", day: str = "2021-03-01") -> list[dict]:
    return [{"id": f"{prefix}{i}", "title": f"Story {i}", "date": day,
             "text": f"Oil traders in London discussed shipment number {i} on Monday."}
            for i in range(count)]


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


# 3. A file rewritten in place while the reindex reads it.

def test_a_file_rewritten_between_its_hash_and_its_read_is_read_again_by_the_next_reindex(tmp_path):
    archive = tmp_path / "archive"
    write_jsonl(archive / "a-first.jsonl", *stories(RECORDS_PER_TASK * 2))
    feed = archive / "feed.jsonl"
    final = jsonl_bytes(stories(201, prefix="f"))
    feed.write_bytes(final)
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)

    def rewrite_while_the_first_file_is_read(progress):
        # The plan has hashed feed.jsonl whole; its read comes after a-first.jsonl's.
        if progress.path.endswith("a-first.jsonl") and feed.stat().st_size == len(final):
            with open(feed, "r+b") as f:
                f.truncate(0)
                f.write(final[:len(final) // 2])

    first = reindex(settings, progress=rewrite_while_the_first_file_is_read)
    assert first.articles < RECORDS_PER_TASK * 2 + 201  # the half-written file was read
    feed.write_bytes(final)  # the producer finishes: the file's final version
    second = reindex(settings)
    assert not second.up_to_date
    assert second.articles == RECORDS_PER_TASK * 2 + 201


def test_the_hash_a_read_gives_is_of_the_bytes_it_parsed_when_the_file_changes_under_it(tmp_path):
    path = tmp_path / "feed.jsonl"
    before = jsonl_bytes(stories(20_000))  # a few MB: past the first buffer, reading goes to disk
    path.write_bytes(before)
    tasks = read_tasks(path)
    first = next(tasks)  # the file is open and its first lines read
    middle = before.index(b"\n", len(before) // 2) + 1
    after = before[:middle] + jsonl_bytes(stories(5_000, prefix="n", day="1999-12-31"))
    with open(path, "r+b") as f:  # rewritten in place, as a producer does
        f.seek(middle)
        f.write(after[middle:])
        f.truncate()
    rest = [first, *tasks]
    parsed_days = {a.date.year for t in rest for a in t.run().articles}
    assert rest[-1].sha256 == hashlib.sha256(after).hexdigest() != hashlib.sha256(before).hexdigest()
    assert parsed_days == {2021, 1999}


# 5. Decompression bombs.

def test_gzip_bombs_are_skipped_by_name_with_flat_memory_and_the_rest_indexed(tmp_path):
    archive = small_archive(tmp_path / "archive")
    gzip_bomb(archive / "bomb.jsonl.gz", 400)
    gzip_bomb(archive / "bomb.html.gz", 400)
    gzip_bomb(archive / "spaces.jsonl.gz", 400, b" ")
    result, peak_mb = measured("reindex", "--source", archive, "--index-dir", tmp_path / "idx",
                               env={"NEWS_SEARCH_MAX_FILE_BYTES": str(100 * MB)},
                               address_space=4 * 1024 ** 3, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Skipped (too large): 3" in result.stdout
    for name in ("bomb.jsonl.gz", "bomb.html.gz", "spaces.jsonl.gz"):
        assert f"{archive / name}: holds, once decompressed, more than" in result.stdout
    assert "Articles: 3 " in result.stdout
    assert peak_mb < 350  # each bomb holds 400 MB: none of it is ever held whole


def test_running_out_of_memory_on_one_file_skips_that_file_and_indexes_the_rest(tmp_path):
    archive = small_archive(tmp_path / "archive")
    gzip_bomb(archive / "bomb.txt.gz", 1_200)
    unlimited = {"NEWS_SEARCH_MAX_FILE_BYTES": str(10 ** 12),
                 "NEWS_SEARCH_MAX_RECORD_BYTES": str(10 ** 12), "NEWS_SEARCH_WORKERS": "1"}
    result, _ = measured("reindex", "--source", archive, "--index-dir", tmp_path / "idx",
                         env=unlimited, address_space=10 ** 9, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{archive / 'bomb.txt.gz'}: ran out of memory reading it" in result.stdout
    assert "Articles: 3 " in result.stdout


# 6. One huge record.

def web_archive(path: Path, pages: list[tuple[str, bytes]]) -> Path:
    """A real WARC of HTML response records, each (url, page)."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=False)
        for url, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=headers))
    return path


def html_page(title: str, paragraphs: int) -> bytes:
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body><article>"
            f"<h1>{title}</h1>\n{PARAGRAPH * paragraphs}</article></body></html>\n").encode("utf-8")


def test_a_web_archive_page_over_the_record_cap_is_skipped_and_the_others_read(tmp_path):
    archive = small_archive(tmp_path / "archive")
    huge = html_page("Huge page", 40 * MB // len(PARAGRAPH))
    web_archive(archive / "crawl.warc", [("http://example.com/huge", huge),
                                         ("http://example.com/small", html_page("Small page", 5))])
    result, peak_mb = measured("reindex", "--source", archive, "--index-dir", tmp_path / "idx",
                               address_space=4 * 1024 ** 3, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (f"{archive / 'crawl.warc'}: record 1 (http://example.com/huge): the page holds more "
            "than 16.0 MB (max_record_bytes)") in result.stdout
    assert "Articles: 4 " in result.stdout
    assert peak_mb < 400


def test_a_json_lines_record_over_the_cap_is_skipped_and_the_lines_after_it_read(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(jsonl_bytes([{"id": "before", "text": "Talks in Ganja."},
                                  {"id": "huge", "text": "word " * (3 * MB // 5)},
                                  {"id": "after", "text": "Talks in Baku."}]))
    articles, skips = read_source(path, ReadLimits(record_bytes=MB))
    assert [a.id for a in articles] == ["before", "after"]
    assert [(s.reason, s.detail) for s in skips] == [
        ("too large", "line 2: more than 1.0 MB (max_record_bytes)")]


# 7. Files that are not files.

def odd_files(folder: Path) -> list[str]:
    """A FIFO, a character device (when this user may make one) and a symlink to /dev/zero."""
    os.mkfifo(folder / "pipe.txt")
    os.symlink("/dev/zero", folder / "z2.txt")
    names = ["pipe.txt", "z2.txt"]
    try:
        os.mknod(folder / "zero.txt", 0o644 | 0o020000, os.makedev(1, 5))
        names.append("zero.txt")
    except PermissionError:
        pass
    return names


def test_pipes_devices_and_links_to_them_are_skipped_without_blocking(tmp_path):
    archive = small_archive(tmp_path / "archive")
    names = odd_files(archive)
    index_dir = tmp_path / "idx"
    result = manage("reindex", "--source", archive, "--index-dir", index_dir, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"Skipped (not a file): {len(names)}" in result.stdout
    for name in names:
        assert f"{archive / name}: " in result.stdout
    assert "Articles: 3 " in result.stdout
    status = manage("status", "--index-dir", index_dir, timeout=10)
    assert status.returncode == 0, status.stderr
    assert "A reindex would do nothing: the index is up to date." in status.stdout


# 8. File names that are not UTF-8 or hold control characters.

def test_a_file_name_that_is_not_utf8_is_a_skip_with_its_name_escaped(tmp_path):
    archive = small_archive(tmp_path / "archive")
    (archive / "f0.jsonl").rename(os.fsdecode(bytes(archive) + b"/bad\xff\xfe.jsonl"))
    result = manage("reindex", "--source", archive, "--index-dir", tmp_path / "idx", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Skipped (bad file name): 1" in result.stdout
    assert f"{archive}/bad\\xff\\xfe.jsonl: the name is not UTF-8" in result.stdout
    assert "Articles: 2 " in result.stdout


def test_a_file_name_with_control_characters_is_indexed_under_a_safe_id(tmp_path):
    from search import SearchService

    archive = tmp_path / "archive"
    archive.mkdir()
    name = "evil\n\x1b[2J\x07\r.txt"
    (archive / name).write_text(" date 2021-04-08 By Jane Doe\n\nZinc prices rose in Baku.\n",
                                encoding="utf-8")
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)
    report = reindex(settings)
    assert (report.articles, report.skipped) == (1, [])
    expected = safe_id("evil\n\x1b[2J\x07\r")
    assert expected.startswith("evil-[2J-") and not any(hidden(c) for c in expected)
    service = SearchService(settings.index_dir)
    try:
        [hit] = service.search({"q": "zinc"})["hits"]
        assert hit["article_id"] == expected
        assert service.article(expected)["paragraphs"]
    finally:
        service.close()


def test_a_json_line_with_lone_surrogate_escapes_is_indexed_without_them(tmp_path):
    # JSON may escape a surrogate alone ("\ud800"); Whoosh cannot encode one, and the whole
    # reindex used to stop there.
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "s.jsonl").write_text('{"id": "x\\ud800y", "title": "T \\udcff", '
                                     '"text": "Zinc in Baku \\ud800 rose."}\n', encoding="utf-8")
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)
    report = reindex(settings)
    assert (report.articles, report.skipped) == (1, [])
    [article], _ = read_source(archive / "s.jsonl")
    assert (article.id, article.title, article.paragraphs) == (
        safe_id("x\ud800y"), "T", ("Zinc in Baku rose.",))


def test_printable_escapes_what_a_terminal_acts_on_and_keeps_other_text():
    assert printable("/a/evil\n\x1b[2J\x07\r.txt") == "/a/evil\\n\\x1b[2J\\x07\\r.txt"
    assert printable(os.fsdecode(b"/a/bad\xff\xfe.txt")) == "/a/bad\\xff\\xfe.txt"
    assert printable("/a/\u202etxt.exe") == "/a/\\u202etxt.exe"
    assert printable("/a/Gəncə café 東京.txt") == "/a/Gəncə café 東京.txt"


def test_the_reindex_output_shows_control_characters_in_names_escaped(tmp_path):
    archive = small_archive(tmp_path / "archive")
    (archive / "evil\x1b[2J\x07.jsonl").write_text("not json\n", encoding="utf-8")
    result = manage("reindex", "--source", archive, "--index-dir", tmp_path / "idx", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "evil\\x1b[2J\\x07.jsonl" in result.stdout
