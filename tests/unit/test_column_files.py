"""The column files a build writes into its generation: memory-mapped by the read side, equal to
the columns computed from the Whoosh index, computed afresh for a generation without them, and
rebuilt by the next reindex when they are of an older format."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
from whoosh import index as whoosh_index

from index.build import reindex
from index.settings import Settings
from index.store import columns as stored
from index.store.generations import (CHECKSUMS, MANIFEST, check_generation, file_checksums,
                                     read_manifest, serving_generation)
from index.store.schema import SKETCH, WORDS, build_schema
from search.engine.doc_values import Columns
from search_corpus import built_index


def both(gen_dir) -> tuple[Columns, Columns]:
    with whoosh_index.open_dir(str(gen_dir)).reader() as reader:
        return Columns.opened(gen_dir, reader), Columns.computed(reader)


def assert_same(a: Columns, b: Columns) -> None:
    for f in dataclasses.fields(Columns):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict) and x and isinstance(next(iter(x.values())), np.ndarray):
            assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x), f.name
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def mapped_file(array: np.ndarray) -> bool:
    """Whether the array is a view of a file's memory map (a plain ndarray over a np.memmap)."""
    return not array.flags.owndata and isinstance(array.base, np.memmap)


def test_a_build_writes_column_files_that_map_back_to_the_computed_columns(tmp_path):
    gen_dir = built_index(tmp_path) / "gen-1"
    assert all((gen_dir / stored.array_file(name)).is_file() for name in stored.ARRAYS)
    mapped, computed = both(gen_dir)
    assert mapped_file(mapped.day) and not mapped.day.flags.writeable
    assert_same(mapped, computed)
    assert mapped.doc_count == 10 and mapped.place_ids


def test_each_paragraphs_word_numbers_spell_its_words_column(tmp_path):
    gen_dir = built_index(tmp_path) / "gen-1"
    with whoosh_index.open_dir(str(gen_dir)).reader() as reader:
        column = reader.column_reader(WORDS)
        expected = [column[d].decode("utf-8").split() for d in range(reader.doc_count_all())]
    mapped, _ = both(gen_dir)
    owner, ids = mapped.words_of(np.arange(mapped.doc_count))
    assert mapped_file(mapped.word_ids) and len(ids) == sum(map(len, expected)) > 0
    assert [[mapped.words[i] for i in ids[owner == d]] for d in range(mapped.doc_count)] == expected


def test_a_generation_without_column_files_computes_them(tmp_path):
    gen_dir = built_index(tmp_path) / "gen-1"
    (gen_dir / stored.META).unlink()
    mapped, computed = both(gen_dir)
    assert not mapped_file(mapped.day)
    assert_same(mapped, computed)


def test_a_generation_built_before_copies_has_every_paragraph_its_own_group(tmp_path):
    # The schema of a generation built before copies: no sketch column.
    schema = build_schema()
    schema.remove(SKETCH)
    ix = whoosh_index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        for n in range(3):
            writer.add_document(article_id=f"a{n}", text="the same words in every paragraph here")
    with ix.reader() as reader:
        columns = Columns.computed(reader)
    assert columns.copy_key.tolist() == [0, 1, 2] and len(columns.copy_members) == 0
    assert columns.article_key.tolist() == [0, 1, 2]


def test_a_generation_with_column_files_of_an_older_format_is_rebuilt_when_needed(tmp_path):
    index_dir = built_index(tmp_path)
    gen = index_dir / "gen-1"
    meta = json.loads((gen / stored.META).read_text())
    (gen / stored.META).write_text(json.dumps({**meta, "format": stored.FORMAT - 1}))
    manifest = read_manifest(gen)  # as the older build recorded its files: intact, not damaged
    (gen / MANIFEST).write_text(json.dumps({**manifest, CHECKSUMS: file_checksums(gen)}))
    assert check_generation(gen) is None and not stored.current(gen)
    report = reindex(Settings.from_env({}, index_dir=index_dir, sources=(tmp_path / "archive",),
                                       workers=1), if_needed=True)
    assert not report.up_to_date and serving_generation(index_dir).name == "gen-2"
    assert stored.current(index_dir / "gen-2") and both(index_dir / "gen-2")[0].doc_count == 10
    assert reindex(Settings.from_env({}, index_dir=index_dir, sources=(tmp_path / "archive",),
                                     workers=1), if_needed=True).up_to_date
