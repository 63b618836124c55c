"""The feed reader: one article per RSS or Atom item, with its full content (else its summary),
dated by the UTC day of its date, identified by its guid or link; bad feeds and items are Skips."""
from __future__ import annotations

import datetime as dt
from html import escape

from index.build import reindex
from index.settings import Settings
from index.sources import read_source
from index.sources.text import stable_id
from search import SearchService

# (pubDate as the feed writes it, the UTC day it names)
DATES = [("Tue, 06 Apr 2021 23:30:00 -0500", dt.date(2021, 4, 7)),
         ("Wed, 07 Apr 2021 01:15:00 +0400", dt.date(2021, 4, 6)),
         ("Thu, 08 Apr 2021 12:00:00 GMT", dt.date(2021, 4, 8)),
         ("Fri, 09 Apr 2021 00:00:00 Z", dt.date(2021, 4, 9))]


def item_paragraphs(n: int) -> list[str]:
    return [f"Item {n} opens with the news from Baku about the restoration of building {n}.",
            f"Its second paragraph has a quote: “We will finish by {2021 + n % 3},” the engineer said.",
            f"A third paragraph for item {n} lists costs & dates < and > signs included."]


def rss(items: list[str], channel_extra: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Example News</title>'
            f'<link>https://news.example.org/</link><language>en-gb</language>{channel_extra}'
            + "".join(items) + "</channel></rss>")


def full_item(n: int) -> str:
    html = "".join(f"<p>{escape(p, quote=False)}</p>" for p in item_paragraphs(n))
    return (f"<item><title>Story {n} &amp; more</title><link>https://news.example.org/story-{n}</link>"
            f'<guid isPermaLink="false">story-guid-{n}</guid><dc:creator>Writer {n}</dc:creator>'
            f"<pubDate>{DATES[n % len(DATES)][0]}</pubDate><description>Short summary {n}.</description>"
            f"<content:encoded><![CDATA[{html}<script>track({n})</script>]]></content:encoded></item>")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_full_content_feed_of_20_items_is_indexed_whole_dated_by_pubdate(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    write(archive, "news.rss", rss([full_item(n) for n in range(20)]))
    settings = Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1)
    report = reindex(settings, full=True)
    assert (report.articles, report.skipped) == (20, [])
    service = SearchService(settings.index_dir, settings)
    try:
        for n in range(20):
            body = service.article(stable_id(f"story-guid-{n}"))
            assert [p["text"] for p in body["paragraphs"]] == item_paragraphs(n)
            assert body["date"] == DATES[n % len(DATES)][1].isoformat()
            assert (body["title"], body["author"], body["url"]) == (
                f"Story {n} & more", f"Writer {n}", f"https://news.example.org/story-{n}")
    finally:
        service.close()


def test_time_zone_aware_dates_become_the_day_they_name_in_utc(tmp_path):
    path = write(tmp_path, "news.rss", rss([full_item(n) for n in range(len(DATES))]))
    articles, _ = read_source(path)
    assert [a.date for a in articles] == [day for _, day in DATES]


def test_item_id_is_stable_from_the_guid_else_the_link(tmp_path):
    no_guid = full_item(1).replace('<guid isPermaLink="false">story-guid-1</guid>', "")
    path = write(tmp_path, "news.rss", rss([full_item(0), no_guid]))
    first, second = read_source(path)[0]
    assert first.id == stable_id("story-guid-0") == read_source(path)[0][0].id
    assert second.id == stable_id("https://news.example.org/story-1")
    assert first.language == "en-gb"


def test_summary_only_item_gives_its_summary(tmp_path):
    item = ("<item><title>Brief</title><link>https://news.example.org/brief</link>"
            "<description>&lt;p&gt;One line.&lt;/p&gt;&lt;p&gt;Two lines.&lt;/p&gt;</description></item>")
    [article] = read_source(write(tmp_path, "brief.xml", rss([item])))[0]
    assert article.paragraphs == ("One line.", "Two lines.")
    assert article.date is None


def test_atom_entry_with_html_content(tmp_path):
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example</title><id>urn:example:feed</id>
<updated>2021-04-08T10:00:00Z</updated>
<entry><title>Atom story</title><id>urn:example:story-1</id>
<link href="https://news.example.org/atom-1"/><author><name>Ann Author</name></author>
<published>2021-04-08T22:30:00-04:00</published><updated>2021-04-08T22:30:00-04:00</updated>
<summary>A summary.</summary>
<content type="html">&lt;p&gt;Full first paragraph.&lt;/p&gt;&lt;p&gt;Full second.&lt;/p&gt;</content>
</entry></feed>"""
    [article] = read_source(write(tmp_path, "news.atom", atom))[0]
    assert (article.id, article.title, article.author, article.url, article.date, article.paragraphs) == (
        stable_id("urn:example:story-1"), "Atom story", "Ann Author", "https://news.example.org/atom-1",
        dt.date(2021, 4, 9), ("Full first paragraph.", "Full second."))


def test_item_without_guid_or_link_and_item_without_text_are_skipped(tmp_path):
    anonymous = "<item><title>Who am I</title><description>Some text.</description></item>"
    hollow = "<item><title>Empty</title><guid>hollow-1</guid></item>"
    path = write(tmp_path, "news.rss", rss([anonymous, full_item(3), hollow]))
    articles, skips = read_source(path)
    assert [a.id for a in articles] == [stable_id("story-guid-3")]
    assert [(s.reason, s.detail.split(" ")[:2]) for s in skips] == [
        ("malformed", ["item", "1:"]), ("no body", ["item", "3"])]


def test_unreadable_date_is_reported_and_the_item_indexed_undated(tmp_path):
    item = full_item(2).replace(DATES[2][0], "the day after tomorrow")
    [article] = read_source(write(tmp_path, "news.rss", rss([item])))[0]
    assert article.date is None and "the day after tomorrow" in article.date_problem


def test_feed_that_does_not_parse_is_skipped_as_malformed(tmp_path):
    path = write(tmp_path, "broken.rss", "<rss><channel><item><title>Cut off")
    articles, skips = read_source(path)
    assert articles == [] and [(s.path, s.reason) for s in skips] == [(str(path), "malformed")]


def test_xml_that_is_not_a_feed_is_skipped_as_unsupported(tmp_path):
    path = write(tmp_path, "sitemap.xml", '<?xml version="1.0"?><urlset><url><loc>x</loc></url></urlset>')
    articles, skips = read_source(path)
    assert articles == [] and [s.reason for s in skips] == ["unsupported"]
