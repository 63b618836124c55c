"""The contract of `index/store/whoosh_private.py`, the one module that uses Whoosh's private API:
each of its readings equals what the public API gives on a real index of several segments, one of
them with deletions, and its multiprocess writer indexes exactly what the one-process writer does.
Run these first after any change of the pinned whoosh3."""
import numpy as np
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.settings import Settings
from index.store.generations import serving_generation
from index.store.postings import walked_postings
from index.store.schema import build_schema
from index.store.whoosh_private import (ItemJobWriter, block_at, block_matcher, deleted_documents, read_blocks,
                                       stored_fields, term_pool_writer)

WORDS = ("coffee", "harvest", "growers", "exports", "prices", "rain", "traders", "port")


def _articles(prefix: str, count: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "title": f"{WORDS[i % 8]} report", "date": f"2021-0{1 + i % 9}-11",
             "paragraphs": [" ".join(WORDS[(i + k) % 8] for k in range(1 + i % 5)) * (1 + p)
                            for p in range(1 + i % 3)]} for i in range(count)]


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """The reader of a real generation: a build, a second segment, and deletions."""
    base = tmp_path_factory.mktemp("whoosh-private")
    archive = base / "archive"
    archive.mkdir()
    write_archive(archive, _articles("a", 300), "a.jsonl")
    reindex(Settings.from_env({}, index_dir=base / "idx", sources=(archive,), workers=1))
    ix = whoosh_index.open_dir(str(serving_generation(base / "idx")))
    with ix.writer() as writer:
        for article in _articles("b", 200):
            writer.add_document(article_id=article["id"], para=0,
                                title=article["title"], text=article["paragraphs"][0])
        for i in range(0, 300, 4):
            writer.delete_by_term("article_id", f"a-{i}")
        writer.merge = False
    with ix.searcher() as searcher:
        yield searcher.reader()


@pytest.fixture(scope="module")
def segments(reader):
    """Its leaf readers, each with its document offset."""
    return reader.leaf_readers()


def _common_terms(segment, fieldname="text", count=6):
    return [t for _, t in sorted(((segment.doc_frequency(fieldname, t), t)
                                  for t in segment.lexicon(fieldname)), reverse=True)[:count]]


def test_the_index_has_several_segments_and_deletions(segments):
    assert len(segments) >= 2 and any(s.has_deletions() for s, _ in segments)


def test_deleted_documents_are_those_the_public_api_calls_deleted(segments):
    for segment, _ in segments:
        public = {n for n in range(segment.doc_count_all()) if segment.is_deleted(n)}
        assert deleted_documents(segment) == public


def test_blocks_read_whole_hold_every_posting_the_public_walk_finds(segments):
    for segment, _ in segments:
        deleted = deleted_documents(segment)
        for text in _common_terms(segment):
            leaf = block_matcher(segment.postings("text", text))
            assert leaf is not None
            ids, tf, _starts, _lasts, _ = read_blocks(leaf)
            keep = ~np.isin(ids, list(deleted)) if deleted else np.ones(len(ids), dtype=bool)
            public_ids, public_tf = walked_postings(segment.postings("text", text))
            assert ids[keep].tolist() == public_ids.tolist(), text
            assert tf[keep].tolist() == pytest.approx(public_tf.tolist()), text


def test_a_block_read_at_its_offset_holds_the_public_positions(segments):
    segment, _ = segments[0]
    decode = segment.schema["text"].format.decode_positions
    for text in _common_terms(segment, count=3):
        leaf = block_matcher(segment.postings("text", text))
        _ids, _tf, starts, _lasts, _ = read_blocks(leaf)
        public = {}
        matcher = segment.postings("text", text)
        while matcher.is_active():
            public[matcher.id()] = matcher.value_as("positions")
            matcher.next()
        reread = block_matcher(segment.postings("text", text))
        for start in starts.tolist():
            ids, values = block_at(reread, start)
            for docnum, value in zip(ids.tolist(), values):
                if docnum in public:
                    assert decode(value) == public[docnum], (text, docnum)


def test_the_public_walk_matches_the_matcher_api_one_posting_at_a_time(segments):
    segment, _ = segments[0]
    text = _common_terms(segment, count=1)[0]
    ids, tf = walked_postings(segment.postings("text", text))
    matcher = segment.postings("text", text)
    expected = []
    while matcher.is_active():
        expected.append(matcher.id())
        matcher.next()
    assert ids.tolist() == expected and len(tf) == len(expected)


def _documents(item: tuple[int, str]) -> list[dict]:
    number, text = item
    return [{"article_id": str(number), "para": n, "text": part}
            for n, part in enumerate(text.split(". "))]


def _nothing_to_bind(parent_pid: int) -> None:
    """The sub-writers' start hook; the build binds them to its lifetime, this test has no build."""


def test_the_multiprocess_writer_indexes_what_the_one_process_writer_does(tmp_path):
    items = [(i, f"{WORDS[i % 8]} at the port. {WORDS[(i + 3) % 8]} rose") for i in range(500)]
    stored = {}
    for procs in (1, 2):
        (tmp_path / f"ix{procs}").mkdir()
        ix = whoosh_index.create_in(str(tmp_path / f"ix{procs}"), build_schema())
        if procs == 1:
            with ix.writer() as writer:
                for item in items:
                    for doc in _documents(item):
                        writer.add_document(**doc)
        else:
            writer = ItemJobWriter(ix, procs=2, limitmb=32, item_documents=_documents,
                                   on_start=_nothing_to_bind)
            for item in items:
                writer.add_item(item)
            writer.commit()
        with ix.searcher() as searcher:
            stored[procs] = sorted((f["article_id"], f["para"], f["text"]) for f in searcher.all_stored_fields())
            counts = searcher.doc_count(), len(searcher.reader().leaf_readers())
    assert stored[1] == stored[2] and len(stored[1]) == 1000
    # The sub-writers each added a segment, without a merge.
    assert counts == (1000, 2)


def test_stored_fields_are_those_the_public_api_reads(reader):
    assert not reader.is_atomic()  # several segments: the multi-reader's path
    docs = range(reader.doc_count_all())
    assert [stored_fields(reader, d) for d in docs] == [reader.stored_fields(d) for d in docs]
    for segment, _ in reader.leaf_readers():
        own = range(segment.doc_count_all())
        assert [stored_fields(segment, d) for d in own] == [segment.stored_fields(d) for d in own]


def _index_with(tmp_path, name: str, batches: list[list[dict]], writer_for) -> list:
    """Every posting (public `iter_postings`) and stored record of an index written batch by
    batch (one segment each), then merged into one segment by a last writer."""
    (tmp_path / name).mkdir()
    ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
    for batch in batches:
        writer = writer_for(ix)
        for doc in batch:
            writer.add_document(**doc)
        writer.commit(merge=False)
    writer_for(ix).commit(optimize=True)  # the merge: the segments' postings through the pool
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 1
        return [list(reader.iter_postings()), list(reader.all_stored_fields())]


@pytest.mark.parametrize("limitmb", [1, 64], ids=["runs on disk", "in memory"])
def test_the_term_pool_writes_the_postings_whooshs_own_pool_writes(tmp_path, limitmb):
    """Whoosh's PostingPool sorts every posting; TermPool groups them by term. Same documents,
    same index, whether its postings stay in memory or go through run files (1 MB: several
    runs), and through a merge of segments (postings renumbered by `add_reader`)."""
    items = [(i, f"{WORDS[i % 8]} at the port of {WORDS[(i * 3) % 8]}. {WORDS[(i + 3) % 8]} rose "
                 f"{i % 17} points. traders {WORDS[i % 5]} {WORDS[(i + 1) % 7]}") for i in range(3000)]
    docs = [doc for item in items for doc in _documents(item)]
    batches = [docs[:4000], docs[4000:]]
    whooshs = _index_with(tmp_path, "whoosh", batches, lambda ix: ix.writer(limitmb=limitmb))
    terms = _index_with(tmp_path, "terms", batches, lambda ix: term_pool_writer(ix, limitmb))
    assert len(whooshs[0]) > 30_000 and terms == whooshs
