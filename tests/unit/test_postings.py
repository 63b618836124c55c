"""The fast posting paths return exactly what Whoosh's public matcher API returns, on a real
index of several segments, one of them with deletions, for terms whose postings span several
blocks: `index.store.postings.read_postings` (which decodes Whoosh's posting blocks directly) and the
posting store written from it give the same document numbers and weights, and
`index.store.postings.read_positions` (which decodes only the blocks holding the documents asked
for) the same positions."""
import numpy as np
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.store.generations import serving_generation
from index.store.schema import term_text
from index.settings import Settings
from index.store.postings import (STORE_FIELDS, STORE_MIN_DF, PostingStore, Postings, read_positions,
                                  read_postings, store_file, write_posting_store)
from index.store.whoosh_private import block_matcher, deleted_documents
from search.engine.run import Generation

# Low enough that the store holds most words, high enough that some are left out.
STORE_MIN_DF_HERE = 120
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


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory):
    """A real build, then a second segment written into it without merging, and paragraphs
    deleted from the first segment (as an incremental update leaves them until a merge)."""
    base = tmp_path_factory.mktemp("postings")
    archive = base / "archive"
    archive.mkdir()
    write_archive(archive, _articles("a", 400, 0), "a.jsonl")
    reindex(Settings.from_env({}, index_dir=base / "idx", sources=(archive,), workers=1))
    gen_dir = serving_generation(base / "idx")
    writer = whoosh_index.open_dir(str(gen_dir)).writer()
    for article in _articles("b", 300, 3):
        for n, text in enumerate(article["paragraphs"]):
            writer.add_document(article_id=article["id"], para=n,
                                title=article["title"], text=text, place_ids="BR", day=737791 + n)
    for i in range(0, 400, 3):
        writer.delete_by_term("article_id", f"a-{i}")
    writer.commit(merge=False)
    return gen_dir


@pytest.fixture(scope="module")
def reader(gen_dir):
    gen = Generation(gen_dir, {})
    with gen.searcher() as searcher:
        yield searcher.reader()
    gen.close()


@pytest.fixture(scope="module")
def store(gen_dir, tmp_path_factory) -> PostingStore:
    """The posting store of every word found in at least STORE_MIN_DF_HERE paragraphs, written
    from the index with its second segment and deletions."""
    folder = tmp_path_factory.mktemp("store")
    write_posting_store(whoosh_index.open_dir(str(gen_dir)), folder, min_df=STORE_MIN_DF_HERE)
    return PostingStore.opened(folder)


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
    deleted = deleted_documents(segment)
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


def test_the_store_holds_the_commoner_words_exactly_as_the_matcher_api_gives_them(reader, store):
    held = left_out = 0
    for fieldname, text in [(f, t) for f in ("text", "title") for t in _terms(reader, f)]:
        found = store.get(fieldname, term_text(text))
        if reader.doc_frequency(fieldname, text) < STORE_MIN_DF_HERE:
            assert found is None, text
            left_out += 1
            continue
        ids, weights = _public(reader, fieldname, text)
        assert found.ids.tolist() == ids, text
        assert found.tf.tolist() == pytest.approx(weights), text
        assert type(found.ids) is np.ndarray and _mapped(found.ids)  # a plain view of the file
        held += 1
    assert held and left_out


def _mapped(array: np.ndarray) -> bool:
    """Whether the array views a file's memory map (through any chain of views), unread."""
    while type(array) is np.ndarray and not array.flags.owndata:
        array = array.base
    return isinstance(array, np.memmap)


def test_a_generation_without_a_store_reads_every_word_from_the_index(tmp_path):
    assert PostingStore.opened(tmp_path).get("text", "coffee") is None


def _public_positions(reader, fieldname: str, text, docs: list[int]) -> dict[int, list[int]]:
    found = {}
    for segment, offset in reader.leaf_readers():
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        while matcher.is_active():
            if matcher.id() + offset in docs:
                found[matcher.id() + offset] = matcher.value_as("positions")
            matcher.next()
    return found


def _positions_by_doc(rows: np.ndarray, positions: np.ndarray, docs: np.ndarray) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for row, position in zip(rows.tolist(), positions.tolist()):
        found.setdefault(int(docs[row]), []).append(position)
    return found


@pytest.mark.parametrize("path", ["blocks", "read with positions", "store", "public"])
@pytest.mark.parametrize("fieldname", ["text", "title"])
def test_positions_are_the_matcher_apis_for_any_documents_asked(reader, store, fieldname, path):
    checked = gathered = 0
    for text in _terms(reader, fieldname)[:40]:
        postings = read_postings(reader, fieldname, text, with_positions=path == "read with positions")
        if path == "store":
            postings = store.get(fieldname, term_text(text)) or postings
        elif path == "public":
            postings = Postings(postings.ids, postings.tf)
        gathered += postings.positions is not None
        for docs in (postings.ids, postings.ids[::3], postings.ids[-2:]):
            rows, positions = read_positions(reader, fieldname, text, postings, np.asarray(docs))
            expected = _public_positions(reader, fieldname, text, set(docs.tolist()))
            assert _positions_by_doc(rows, positions, docs) == expected, text
            assert np.all(np.diff(rows) >= 0)
            checked += len(docs)
    assert checked > 1000
    # Positions are gathered from arrays exactly where they were read or stored.
    assert (gathered > 0) == (path in ("read with positions", "store"))


def test_a_build_stores_exactly_its_words_found_in_a_posting_block_or_more(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    write_archive(archive, _articles("a", 400, 0), "a.jsonl")
    reindex(Settings.from_env({}, index_dir=tmp_path / "idx", sources=(archive,), workers=1))
    gen_dir = serving_generation(tmp_path / "idx")
    store = PostingStore.opened(gen_dir)
    with whoosh_index.open_dir(str(gen_dir)).reader() as reader:
        common = {(f, term_text(t)) for f in STORE_FIELDS for t in reader.lexicon(f)
                  if reader.doc_frequency(f, t) >= STORE_MIN_DF}
        stored = {(f, term_text(t)) for f in STORE_FIELDS for t in reader.lexicon(f)
                  if store.get(f, term_text(t)) is not None}
    assert common and stored == common


def test_the_store_is_written_whole_with_no_side_files_left(tmp_path_factory, gen_dir):
    """Each array is spilled to a side file word by word and copied behind its header at the
    end: every file loads as the dtype and length its word starts say, and no side file stays."""
    folder = tmp_path_factory.mktemp("store-files")
    write_posting_store(whoosh_index.open_dir(str(gen_dir)), folder, min_df=STORE_MIN_DF_HERE)
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.endswith((".raw", ".tmp"))], names
    for fieldname in STORE_FIELDS:
        ids = np.load(folder / store_file(fieldname, "ids"), mmap_mode="r")
        starts = np.load(folder / store_file(fieldname, "starts"))
        positions = np.load(folder / store_file(fieldname, "positions"), mmap_mode="r")
        tf = np.load(folder / store_file(fieldname, "tf"), mmap_mode="r")
        term_positions = np.load(folder / store_file(fieldname, "term_positions"))
        assert ids.dtype == np.int32 and starts[0] == 0 and starts[-1] == len(ids) > 0
        assert len(term_positions) == len(starts) and term_positions[-1] == len(positions) == tf.sum()
