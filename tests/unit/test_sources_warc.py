"""The WARC reader: every HTML response record is an article (url = its target URI, id from it),
revisits and other records are counted; a cut-off archive keeps the records before the cut;
large archives stream in tasks and extract on worker processes with the same result."""
from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from index.build import reindex
from index.lock import ReindexLock
from index.settings import Settings
from index.sources import PAGES_PER_TASK, read_source, read_tasks
from index.sources.pool import run_in_order
from index.sources.text import stable_id
from tests.unit.test_sources_html import page

URL = "https://news.example.org/2021/04/08/story-{}"


def response(writer, url, body: bytes, content_type="text/html; charset=utf-8", status="200 OK"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                  http_headers=headers))


def write_warc(path, records, gzipped=True):
    """A real WARC: `records` is a list of (kind, url, body) written with warcio."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for kind, url, body in records:
            if kind == "page":
                response(writer, url, body)
            elif kind == "image":
                response(writer, url, body, content_type="image/png")
            elif kind == "redirect":
                response(writer, url, b"", status="301 Moved Permanently")
            elif kind == "request":
                writer.write_record(writer.create_warc_record(
                    url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
            elif kind == "revisit":
                writer.write_record(writer.create_revisit_record(
                    url, digest="sha1:AAAA", refers_to_uri=url, refers_to_date="2021-04-08T00:00:00Z"))
    return path


def story(n: int) -> bytes:
    return page().replace("Aghdam", f"Aghdam{n}").encode("utf-8")


MIXED = [("request", URL.format(1), b""), ("page", URL.format(1), story(1)),
         ("image", "https://news.example.org/logo.png", b"\x89PNG\r\n\x1a\n...."),
         ("revisit", URL.format(1), b""), ("redirect", "https://news.example.org/old", b""),
         ("page", URL.format(2), story(2))]


@pytest.mark.parametrize("name,gzipped", [("crawl.warc.gz", True), ("crawl.warc", False)])
def test_html_responses_become_articles_and_other_records_are_counted(tmp_path, name, gzipped):
    path = write_warc(tmp_path / name, MIXED, gzipped)
    articles, skips = read_source(path)
    assert [(a.id, a.url) for a in articles] == [(stable_id(URL.format(n)), URL.format(n)) for n in (1, 2)]
    assert articles[0].title == "Restoration begins in Aghdam1"
    assert articles[0].paragraphs[0].startswith("The restoration of the old mosque in Aghdam1")
    assert [(s.path, s.reason) for s in skips] == [(str(path), "revisit"), (str(path), "not html")]
    assert skips[1].detail == "2 response(s) that are not HTML pages: image/png 1, HTTP 301 1"


def test_record_id_is_stable_and_readable():
    assert stable_id(URL.format(1)) == stable_id(URL.format(1)) != stable_id(URL.format(2))
    assert stable_id(URL.format(1)).startswith("news-example-org-2021-04-08-story-1-")


def test_truncated_archive_keeps_the_records_before_the_cut(tmp_path):
    whole = write_warc(tmp_path / "whole.warc.gz", [("page", URL.format(n), story(n)) for n in range(4)])
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:len(data) * 3 // 4])
    articles, skips = read_source(cut)
    assert [a.url for a in articles] == [URL.format(n) for n in range(2)]
    [skip] = skips
    assert skip.reason == "malformed"
    assert skip.detail.startswith("record 4 (offset ") and "reading stopped there" in skip.detail


def test_file_that_is_not_a_warc_is_skipped(tmp_path):
    path = tmp_path / "notes.warc"
    path.write_text("these are my notes, not an archive\n")
    articles, skips = read_source(path)
    assert articles == [] and [s.reason for s in skips] == ["malformed"]


def test_empty_archive_is_skipped_as_empty(tmp_path):
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    assert [s.reason for s in read_source(path)[1]] == ["empty"]


def test_page_in_an_unknown_charset_is_a_skip_naming_the_record(tmp_path):
    path = tmp_path / "odd.warc"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=False)
        response(writer, URL.format(9), story(9).replace(b"Aghdam9", b"Agh\xffdam"),
                 content_type="text/html; charset=x-klingon")
    articles, skips = read_source(path)
    assert articles == []
    assert [(s.reason, s.detail.split(": ")[0]) for s in skips] == [
        ("undecodable", f"record 1 ({URL.format(9)})")]


def test_large_archive_streams_in_small_tasks_covering_the_file(tmp_path):
    count = PAGES_PER_TASK * 3 + 2
    path = write_warc(tmp_path / "big.warc.gz", [("page", URL.format(n), story(n)) for n in range(count)])
    tasks = list(read_tasks(path))
    assert [len(t.pages) for t in tasks] == [PAGES_PER_TASK] * 3 + [2, 0]
    assert sum(t.bytes_read for t in tasks) == path.stat().st_size
    assert [t.last for t in tasks] == [False] * 4 + [True]


@pytest.mark.slow
def test_worker_processes_give_the_same_articles_in_the_same_order(tmp_path):
    path = write_warc(tmp_path / "big.warc.gz", [("page", URL.format(n), story(n)) for n in range(40)])
    in_process = [b for b in run_in_order(read_tasks(path), workers=1)]
    on_workers = [b for b in run_in_order(read_tasks(path), workers=2)]
    assert on_workers == in_process
    assert sum(len(b.articles) for b in on_workers) == 40


@pytest.mark.slow
def test_shared_pages_inside_one_warc_give_the_articles_of_the_html_files(tmp_path, shared_dir):
    pages = shared_dir / "html-pages"
    truth = json.loads((pages / "ground-truth.json").read_text(encoding="utf-8"))
    names = sorted(truth)
    archive = tmp_path / "archive"
    archive.mkdir()
    write_warc(archive / "pages.warc.gz",
               [("page", truth[n]["url"], gzip.decompress((pages / f"{n}.html.gz").read_bytes()))
                for n in names])
    from_html = {a.id: a for a in read_source_all(pages)}
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=2)
    report = reindex(settings, full=True)
    assert (report.articles, report.skipped) == (len(names), [])
    from_warc = {a.id: a for a in read_source(archive / "pages.warc.gz")[0]}
    for name in names:
        assert from_warc[stable_id(truth[name]["url"])].paragraphs == from_html[name].paragraphs


def read_source_all(folder):
    return [a for path in sorted(folder.glob("*.html.gz")) for a in read_source(path)[0]]


def spawned_workers(pid: int) -> list[int]:
    """The pids of `pid`'s children started by multiprocessing's spawn (Linux /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(c) for c in task.read_text().split()]
    return [c for c in children if b"spawn_main" in _cmdline(c)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_extraction_workers_die_with_a_killed_reindex_and_leave_the_lock_free(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    write_warc(archive / "big.warc.gz", [("page", URL.format(n), story(n)) for n in range(400)])
    reindex_process = subprocess.Popen(
        [sys.executable, "manage.py", "reindex", "--source", str(archive), "--index-dir",
         str(tmp_path / "idx"), "--workers", "2"],
        cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(workers := spawned_workers(reindex_process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 2, "the extraction workers never started"
    reindex_process.kill()
    reindex_process.wait()
    deadline = time.monotonic() + 10
    while any(_cmdline(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_cmdline(w) for w in workers)
    with ReindexLock(tmp_path / "idx", timeout=1):
        pass
