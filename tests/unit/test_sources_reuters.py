"""The Reuters `.sgm` reader: tolerant parsing, entities, sign-offs, skips, and the real files."""
from __future__ import annotations

import datetime as dt
import re

from index.sources import discover_files, read_source

LEAKED = re.compile(r"&#?\w+;|[\x00-\x08\x0b-\x1f\x7f-\x9f]")

RECORD = """<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" OLDID="5544" NEWID="{newid}">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D></PLACES>
<PEOPLE><D>sarney</D></PEOPLE>
<ORGS><D>opec</D></ORGS>
<UNKNOWN> &#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute</UNKNOWN>
<TEXT>&#2;
<TITLE>BAHIA &lt;COCOA> REVIEW</TITLE>
<AUTHOR>    by Janie Gabbett, Reuters</AUTHOR>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>{body}</BODY></TEXT>
</REUTERS>
"""
BODY = """Showers continued throughout the week in
the Bahia cocoa zone, said Smith &amp; Co &lt;SMI>.
    The dry&#127; period means the temporao
will be late this year.
 Reuter
&#3;"""


def write_sgm(tmp_path, *records, prefix='<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'):
    path = tmp_path / "reut.sgm"
    path.write_text(prefix + "".join(records), encoding="utf-8")
    return path


def record(newid="1", body=BODY):
    return RECORD.format(newid=newid, body=body)


def test_record_gives_id_date_title_dateline_author(tmp_path):
    articles, skips = read_source(write_sgm(tmp_path, record()))
    article = articles[0]
    assert skips == []
    assert (article.id, article.date) == ("1", dt.date(1987, 2, 26))
    assert (article.title, article.dateline) == ("BAHIA <COCOA> REVIEW", "SALVADOR, Feb 26 -")
    assert (article.author, article.url) == ("Janie Gabbett", "")


def test_body_splits_at_indented_lines_and_joins_wrapped_ones(tmp_path):
    article = read_source(write_sgm(tmp_path, record()))[0][0]
    assert article.paragraphs == (
        "Showers continued throughout the week in the Bahia cocoa zone, said Smith & Co <SMI>.",
        "The dry period means the temporao will be late this year.",
    )


def test_editors_labels_are_not_copied_into_the_article(tmp_path):
    article = read_source(write_sgm(tmp_path, record()))[0][0]
    fields = " ".join([article.title, article.author, article.dateline, *article.paragraphs])
    labels = ("el-salvador", "sarney", "opec", "f0704")
    assert [label for label in labels if label in fields.lower()] == []


def test_record_without_body_is_skipped_with_its_newid_and_type(tmp_path):
    brief = ('<REUTERS NEWID="2"><DATE>26-FEB-1987 15:01:01.79</DATE>\n'
             '<TEXT TYPE="BRIEF">&#2;\n<TITLE>SHORT ONE</TITLE>\n&#3;</TEXT>\n</REUTERS>\n')
    articles, skips = read_source(write_sgm(tmp_path, record("1"), brief, record("3")))
    assert [a.id for a in articles] == ["1", "3"]
    assert [(s.reason, s.detail) for s in skips] == [
        ("no body", 'NEWID 2: no <BODY> (TEXT TYPE="BRIEF")')]


def test_body_holding_only_the_sign_off_is_skipped_as_no_body(tmp_path):
    _, skips = read_source(write_sgm(tmp_path, record(body="\n Reuter\n&#3;")))
    assert [(s.reason, s.detail) for s in skips] == [("no body", "NEWID 1: an empty <BODY>")]


def test_record_without_newid_is_malformed_and_the_others_are_read(tmp_path):
    without_newid = record("").replace('NEWID=""', "")
    articles, skips = read_source(write_sgm(tmp_path, record("1"), without_newid, record("3")))
    assert [a.id for a in articles] == ["1", "3"]
    assert [(s.reason, s.detail) for s in skips] == [("malformed", "record 2: no NEWID")]


def test_repeated_newid_keeps_the_first_record(tmp_path):
    articles, skips = read_source(write_sgm(tmp_path, record("1"), record("1")))
    assert len(articles) == 1
    assert [s.reason for s in skips] == ["malformed"]


def test_file_without_any_record_is_malformed(tmp_path):
    articles, skips = read_source(write_sgm(tmp_path, "<HTML>not a feed</HTML>\n", prefix=""))
    assert articles == []
    assert [s.reason for s in skips] == ["malformed"]


def test_body_without_closing_tag_ends_at_the_end_of_its_text(tmp_path):
    broken = record("1", body="Lost its end.\n").replace("</BODY>", "")
    articles, skips = read_source(write_sgm(tmp_path, broken, record("2")))
    assert [a.paragraphs for a in articles][0] == ("Lost its end.",)
    assert ([a.id for a in articles], skips) == (["1", "2"], [])


def test_unparseable_date_leaves_the_record_indexed_undated(tmp_path):
    text = record().replace("26-FEB-1987", "31-FEB-1987")
    articles, skips = read_source(write_sgm(tmp_path, text))
    assert (articles[0].date, skips) == (None, [])


def test_date_with_trailing_noise_still_gives_the_day(tmp_path):
    text = record().replace("15:01:01.79", "15:01:01.79&#9;&#9;&#9;C T")
    assert read_source(write_sgm(tmp_path, text))[0][0].date == dt.date(1987, 2, 26)


def test_sign_off_variants_are_stripped_but_reuters_in_a_sentence_stays(tmp_path):
    bodies = {"1": "Text one.\nREUTER\n Reuter\n&#3;", "2": "Text two. REUTER\n&#3;",
              "3": "Text three.\nREUTER...^M\n&#3;", "4": "Text four, he told Reuters.\n&#3;"}
    articles, _ = read_source(write_sgm(tmp_path, *(record(k, b) for k, b in bodies.items())))
    assert [a.paragraphs for a in articles] == [
        ("Text one.",), ("Text two.",), ("Text three.",), ("Text four, he told Reuters.",)]


def test_numeric_and_hex_references_decode_and_unknown_names_stay(tmp_path):
    body = "Caf&#233; &#x41;BC &bogus; &#0;x\n"
    article = read_source(write_sgm(tmp_path, record(body=body)))[0][0]
    assert article.paragraphs == ("Café ABC &bogus; x",)


def test_latin1_bytes_are_decoded_instead_of_skipped(tmp_path):
    path = tmp_path / "reut.sgm"
    path.write_bytes(record(body="M\u00fcnchen trade.\n").encode("latin-1"))
    articles, skips = read_source(path)
    assert (articles[0].paragraphs, skips) == (("M\u00fcnchen trade.",), [])


def test_reut2_000_counts_records_bodies_and_paragraphs(shared_dir):
    articles, skips = read_source(shared_dir / "reuters21578" / "reut2-000.sgm")
    assert len(articles) + len(skips) == 1000
    assert len(articles) == 925
    assert {s.reason for s in skips} == {"no body"}
    assert sum(len(a.paragraphs) for a in articles) == 5320


def test_reut2_000_first_article_reads_as_the_feed_wrote_it(shared_dir):
    article = read_source(shared_dir / "reuters21578" / "reut2-000.sgm")[0][0]
    assert (article.id, article.date) == ("1", dt.date(1987, 2, 26))
    assert article.title == "BAHIA COCOA REVIEW"
    assert article.dateline == "SALVADOR, Feb 26 -"
    assert len(article.paragraphs) == 17
    assert article.paragraphs[1] == "The dry period means the temporao will be late this year."
    assert article.paragraphs[-1].endswith("carnival which ends midday on February 27.")


def test_reut2_000_articles_are_unique_dated_and_free_of_entities_and_controls(shared_dir):
    articles, _ = read_source(shared_dir / "reuters21578" / "reut2-000.sgm")
    assert len({a.id for a in articles}) == len(articles)
    assert all(a.date and a.date.year == 1987 for a in articles)
    texts = [t for a in articles for t in (a.title, a.dateline, a.author, *a.paragraphs)]
    assert [t for t in texts if LEAKED.search(t)] == []


def test_whole_collection_reads_every_body_with_no_sign_off_left(shared_dir):
    files = discover_files([shared_dir / "reuters21578"])
    results = [read_source(path) for path in files]
    articles = [a for found, _ in results for a in found]
    assert (len(files), len(articles), sum(len(s) for _, s in results)) == (18, 15997, 2003)
    assert len({a.id for a in articles}) == 15997
    assert sum(len(a.paragraphs) for a in articles) == 90764
    assert [a.id for a in articles if re.fullmatch(r"reuters?", a.paragraphs[-1], re.I)] == []
    texts = (t for a in articles for t in (a.title, a.dateline, *a.paragraphs))
    assert [t for t in texts if LEAKED.search(t)] == []


def test_an_unreadable_reuters_date_is_undated_with_the_problem_said():
    from index.sources import reuters
    record = ('<REUTERS NEWID="7"><DATE>31-FOO-1987 10:00:00.00</DATE><TEXT><TITLE>T</TITLE>'
              "<BODY>Some text.</BODY></TEXT></REUTERS>")
    (article,), _ = reuters.parse(record, "/x.sgm")
    assert article.date is None and article.date_problem == "date '31-FOO-1987 10:00:00.00' is not D-MON-YYYY"
