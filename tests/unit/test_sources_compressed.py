"""`.gz` after any supported suffix is read as the file it compresses; a damaged one is a Skip."""
from __future__ import annotations

import gzip
import json

from index.sources import discover_files, read_source
from tests.unit.test_sources_feed import full_item, rss
from tests.unit.test_sources_html import page

SGM = ('<REUTERS NEWID="7">\n<DATE>26-FEB-1987 15:01:01.79</DATE>\n<TEXT>\n'
       '<TITLE>COCOA TALKS</TITLE>\n<BODY>Cocoa talks opened in London.\n Reuter\n</BODY></TEXT>\n</REUTERS>\n')
FILES = {
    "story.txt": " date 2021-04-08 By Jane Doe\n\nFirst paragraph.\n\nSecond.\n",
    "feed.jsonl": json.dumps({"id": "j1", "title": "T", "text": "Body."}) + "\n",
    "reut2-x.sgm": SGM,
    "page.html": page(),
    "news.rss": rss([full_item(1)]),
}


def write_both(tmp_path, name: str, text: str):
    plain, packed = tmp_path / "plain" / name, tmp_path / "packed" / f"{name}.gz"
    for path in (plain, packed):
        path.parent.mkdir(exist_ok=True)
    plain.write_text(text, encoding="utf-8")
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    return plain, packed


def test_every_format_reads_the_same_from_its_gz(tmp_path):
    for name, text in FILES.items():
        plain, packed = write_both(tmp_path, name, text)
        (plain_articles, plain_skips), (articles, skips) = read_source(plain), read_source(packed)
        assert plain_articles and plain_skips == [] == skips, name
        assert [a.__class__(**{**vars(a), "source_path": ""}) for a in articles] == \
               [a.__class__(**{**vars(a), "source_path": ""}) for a in plain_articles], name


def test_one_article_file_keeps_its_id_without_the_gz(tmp_path):
    _, packed = write_both(tmp_path, "story.txt", FILES["story.txt"])
    assert read_source(packed)[0][0].id == "story"


def test_folders_yield_gz_files_of_supported_formats_only(tmp_path):
    for name in ("a.jsonl.gz", "b.html.gz", "c.warc.gz", "d.tar.gz", "e.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"x"))
    assert [p.name for p in discover_files([tmp_path])] == ["a.jsonl.gz", "b.html.gz", "c.warc.gz"]


def test_damaged_gz_is_skipped_as_unreadable(tmp_path):
    _, packed = write_both(tmp_path, "feed.jsonl", FILES["feed.jsonl"] * 200)
    packed.write_bytes(packed.read_bytes()[:-30])
    articles, skips = read_source(packed)
    assert articles == [] and [(s.path, s.reason) for s in skips] == [(str(packed), "unreadable")]
    assert skips[0].detail.startswith("damaged gzip file")


def test_gz_that_is_not_gzip_is_skipped_as_unreadable(tmp_path):
    path = tmp_path / "story.txt.gz"
    path.write_text("plain text with a .gz name", encoding="utf-8")
    [skip] = read_source(path)[1]
    assert (skip.reason, skip.detail.startswith("damaged gzip file (Not a gzipped file")) == ("unreadable", True)
