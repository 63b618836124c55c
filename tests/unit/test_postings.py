"""The fast posting path (`search.columns.read_postings`, which decodes W3LeafMatcher blocks
directly) returns exactly what Whoosh's public matcher API returns: the same document numbers
and the same weights, on a real index of several segments, one of them with deletions, and
for terms whose postings span several blocks."""
import json

import numpy as np
import pytest
from whoosh import index as whoosh_index

from index.build import reindex
from index.generations import serving_generation
from index.settings import Settings
from search.columns import block_matcher, read_postings
from search.engine import Generation

WORDS = ("coffee", "harvest", "growers", "exports", "prices", "rain", "traders", "port")


def _articles(prefix: str, count: int, shift: int) -> list[dict]:
    """Generated articles whose common words recur with varying frequency, so that their
    postings fill several blocks and their weights differ."""
    articles = []
    for i in range(count):
        words = [WORDS[(i + shift + k) % len(WORDS)] for k in range(1 + i % 5)]
        place = ("Brazil", "Colombia", "Kenya")[i % 3]
        paragraphs = [" ".join(words * (1 + (i + p) % 3)) + f" item{i % 17} in {place}."
                      for p in range(1 + i % 3)]
        articles.append({"id": f"{prefix}-{i}", "title": f"{WORDS[i % len(WORDS)]} report {i % 11}",
                         "date": f"2021-0{1 + i % 9}-1{i % 10}", "paragraphs": paragraphs})
    return articles


def _write(path, articles) -> None:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """A real build, then a second segment written into it without merging, and paragraphs
    deleted from the first segment (as an incremental update leaves them until a merge)."""
    base = tmp_path_factory.mktemp("postings")
    archive = base / "archive"
    archive.mkdir()
    _write(archive / "a.jsonl", _articles("a", 400, 0))
    reindex(Settings.from_env({}, index_dir=base / "idx", sources=(archive,), workers=1))
    gen_dir = serving_generation(base / "idx")
    writer = whoosh_index.open_dir(str(gen_dir)).writer()
    for article in _articles("b", 300, 3):
        for n, text in enumerate(article["paragraphs"]):
            writer.add_document(id=f"{article['id']}:{n}", article_id=article["id"], para=n,
                                title=article["title"], text=text, place_ids="BR", day=737791 + n)
    for i in range(0, 400, 3):
        writer.delete_by_term("article_id", f"a-{i}")
    writer.commit(merge=False)
    gen = Generation(gen_dir, {})
    with gen.searcher() as searcher:
        yield searcher.reader()
    gen.close()


def _public(reader, fieldname: str, text) -> tuple[list[int], list[float]]:
    """The term's postings as the public API gives them: each segment's matcher (deleted
    documents filtered out by Whoosh), its documents offset to global numbers."""
    ids, weights = [], []
    for segment, offset in reader.leaf_readers():
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        while matcher.is_active():
            ids.append(matcher.id() + offset)
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights


def _terms(reader, fieldname: str) -> list:
    return list(reader.lexicon(fieldname))


def test_the_index_has_several_segments_one_with_deletions(reader):
    segments = [segment for segment, _ in reader.leaf_readers()]
    assert len(segments) >= 2
    assert any(segment.has_deletions() for segment in segments)


@pytest.mark.parametrize("fieldname", ["text", "title", "place_ids", "article_id"])
def test_block_path_returns_what_the_matcher_api_returns(reader, fieldname):
    terms = _terms(reader, fieldname)
    assert terms
    for text in terms:
        ids, weights = _public(reader, fieldname, text)
        found = read_postings(reader, fieldname, text)
        assert found.ids.tolist() == ids, text
        assert found.tf.tolist() == pytest.approx(weights), text
        assert found.ids.dtype == np.int32


def test_common_words_span_several_blocks_and_lose_their_deleted_postings(reader):
    segment = next(s for s, _ in reader.leaf_readers() if s.has_deletions())
    deleted = segment.deleted_docs_set
    _, common = max((segment.doc_frequency("text", t), t) for t in segment.lexicon("text"))
    matcher = segment.postings("text", common)
    leaf = block_matcher(matcher)
    # The block path is taken even where Whoosh wraps the matcher to hide deleted documents.
    assert leaf is not None and leaf is not matcher
    blocks = 0
    while leaf.is_active():
        blocks += 1
        leaf._next_block()
    assert blocks > 1
    found = read_postings(segment, "text", common)
    assert len(found.ids) and not set(found.ids.tolist()) & deleted
    assert found.ids.tolist() == _public(segment, "text", common)[0]


def test_a_missing_term_has_no_postings(reader):
    found = read_postings(reader, "text", "nosuchword")
    assert len(found.ids) == 0 and len(found.tf) == 0
