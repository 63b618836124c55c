"""The column files a build writes into its generation: memory-mapped by the read side, equal to
the columns computed from the Whoosh index, and computed afresh for a generation without them."""
from __future__ import annotations

import dataclasses

import numpy as np
from whoosh import index as whoosh_index

from index.store import columns as stored
from index.store.schema import SKETCH, build_schema
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
            writer.add_document(id=f"a{n}:0", article_id=f"a{n}", text="the same words in every paragraph here")
    with ix.reader() as reader:
        columns = Columns.computed(reader)
    assert columns.copy_key.tolist() == [0, 1, 2] and len(columns.copy_members) == 0
    assert columns.article_key.tolist() == [0, 1, 2]
