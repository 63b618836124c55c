"""The compact stored record and its reading back (index/store/schema.py, index/documents.py,
search/engine/paragraphs.py): a real build stores what is the article's once and places as
ids, and every paragraph's record comes back whole, in any order it is asked for."""
import pytest
from whoosh import index as whoosh_index

from archive_files import write_archive
from index.build import reindex
from index.documents import display_title
from index.model import Article
from index.places import Gazetteer
from index.settings import Settings
from index.store.generations import read_manifest, serving_generation
from index.store.schema import ARTICLE_FIELDS
from search.engine.paragraphs import PLACE_KEYS
from search.engine.run import Generation

ARTICLES = [
    {"id": "talks", "title": "Talks in Baku", "date": "2021-04-08", "author": "A. Writer",
     "url": "https://example.org/talks", "dateline": "BAKU, April 8 -",
     "paragraphs": ["Ministers met in Baku on Monday.", "Oil prices rose in London.",
                    "The talks go on in Ganja next week."]},
    {"id": "memo", "title": "", "date": "", "author": "", "url": "", "dateline": "",
     "paragraphs": ["The U.S. Treasury said it would sell bonds. Dealers expected it.",
                    "Bonds fell."]},
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("records")
    archive = write_archive(base / "archive", ARTICLES)
    settings = Settings.from_env({}, index_dir=base / "idx", sources=(archive,), workers=1)
    reindex(settings)
    gen_dir = serving_generation(settings.index_dir)
    gen = Generation(gen_dir, read_manifest(gen_dir))
    yield gen_dir, gen, archive / "articles.jsonl"
    gen.close()


def test_later_paragraphs_store_nothing_of_their_article(built):
    gen_dir, _, _ = built
    with whoosh_index.open_dir(str(gen_dir)).searcher() as searcher:
        raw = list(searcher.all_stored_fields())
    later = [r for r in raw if r["para"] > 0]
    assert len(later) == 3 and all(not set(r) & set(ARTICLE_FIELDS) for r in later)
    assert all("id" not in r for r in raw)


def test_every_record_comes_back_whole_in_any_order(built):
    _, gen, source = built
    docnums = list(range(gen.columns.doc_count))
    whole = gen.stored_fields(docnums)
    expected = []
    for record in ARTICLES:
        article = Article(record["id"], record["title"], None, "", "", "", "", tuple(record["paragraphs"]))
        for n, text in enumerate(record["paragraphs"]):
            expected.append({"id": f"{record['id']}:{n}", "para": n, "text": text,
                             "title": record["title"], "display_title": display_title(article),
                             "date": record["date"], "author": record["author"],
                             "url": record["url"], "dateline": record["dateline"],
                             "source": str(source)})
    assert [{k: r[k] for k in expected[0]} for r in whole] == expected
    # A later paragraph asked alone, or before its first paragraph, is as whole.
    assert gen.stored_fields([2]) == [whole[2]]
    assert gen.stored_fields(docnums[::-1]) == whole[::-1]


def test_places_come_back_described_as_the_gazetteer_describes_them(built):
    _, gen, _ = built
    gazetteer = Gazetteer.load()
    places = [p for r in gen.stored_fields(range(gen.columns.doc_count)) for p in r["places_json"]]
    assert {p["name"] for p in places} >= {"Baku", "Ganja", "London"}
    assert all(p == gazetteer.place(p["id"]).as_json() for p in places)
    assert PLACE_KEYS == tuple(places[0])
