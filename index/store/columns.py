"""The per-generation columns (day, month, place pairs, field lengths, articles, alive, copies,
each paragraph's words as numbers) computed from a committed Whoosh index and written beside it
as `.npy` files plus `columns.json`.

Owns the files' format both ways: written here, opened here (`read_columns`) for the read side's
`search/engine/doc_values.py`, memory-mapped, so every server process shares one
copy through the page cache and opening a generation costs milliseconds. Never imports `search/`.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from index.store import copies
from index.store.files import write_atomically
from index.store.schema import ARTICLE_ID, DAY, PLACE_IDS, TEXT, TITLE, WORDS, term_text

# Bumped when a file's meaning changes; a generation whose stamp differs is computed afresh.
# 3: each paragraph's words as numbers (word_ids, word_starts, and the words in columns.json).
FORMAT = 3
META = "columns.json"
ARRAYS = ("alive", "day", "month", "article", "place_owner", "place_entry",
          "length_text", "length_title", "word_ids", "word_starts", *copies.ARRAYS)
# Fields whose per-document lengths BM25F normalises by.
LENGTH_FIELDS = (TEXT, TITLE)


def array_file(name: str) -> str:
    return f"column-{name}.npy"


def compute_columns(reader) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays (indexed by global document number) and the small facts beside them."""
    n = reader.doc_count_all()
    day = _day_column(reader, n)
    owners, entries, place_ids = _place_pairs(reader)
    alive = _alive_mask(reader, n)
    article = _article_column(reader, n)
    word_ids, word_starts, words = _word_arrays(reader, n)
    arrays = {"alive": alive, "day": day, "month": month_column(day), "article": article,
              "place_owner": owners, "place_entry": entries, "word_ids": word_ids,
              "word_starts": word_starts, **copies.compute_copies(reader, article, alive, day)}
    for name in LENGTH_FIELDS:
        arrays[f"length_{name}"] = _length_column(reader, name, n)
    meta = {"format": FORMAT, "doc_count": n, "place_ids": place_ids, "words": words,
            "average_lengths": {name: float(arrays[f"length_{name}"][alive].mean()) if alive.any()
                                else 1.0 for name in LENGTH_FIELDS}}
    return arrays, meta


def write_columns(ix, gen_dir: Path) -> None:
    """Compute the columns of the committed index `ix` and write them into `gen_dir` (each file
    written atomically and durably, `files.write_atomically`: an incremental build's copied
    files are replaced whole). The build calls this before it checksums the generation's files."""
    with ix.reader() as reader:
        arrays, meta = compute_columns(reader)
    for name, values in arrays.items():
        write_atomically(Path(gen_dir) / array_file(name), lambda f, v=values: np.save(f, v))
    write_atomically(Path(gen_dir) / META, lambda f: f.write(json.dumps(meta).encode("utf-8")))


def current(gen_dir: Path) -> bool:
    """Whether the generation has column files of the current format: a generation that has
    not is rebuilt by the next reindex, even when no archive file changed (computing them at
    each opening costs seconds at scale)."""
    try:
        meta = json.loads((Path(gen_dir) / META).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    return meta.get("format") == FORMAT


def read_columns(gen_dir: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """The generation's column arrays, memory-mapped read-only (so every server process shares
    one copy through the page cache), and the facts beside them; None when the generation has
    no column files of the current format."""
    try:
        meta = json.loads((Path(gen_dir) / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if meta.get("format") != FORMAT:
        return None
    # Plain ndarray views of the maps (no copy): indexing a np.memmap goes through its Python
    # __getitem__ and __array_finalize__, about 30 calls a page view (1.5 ms of a first view).
    arrays = {name: np.asarray(np.load(Path(gen_dir) / array_file(name), mmap_mode="r"))
              for name in ARRAYS}
    return arrays, meta


def month_column(day: np.ndarray) -> np.ndarray:
    """year*100+month for every dated document (0 for undated)."""
    month = np.zeros(len(day), dtype=np.int32)
    dated = day > 0
    if dated.any():
        # numpy datetime64 days count from 1970-01-01; ordinals from 0001-01-01.
        days = (day[dated] - dt.date(1970, 1, 1).toordinal()).astype("datetime64[D]")
        months = days.astype("datetime64[M]").astype(np.int64)
        month[dated] = (1970 + months // 12) * 100 + months % 12 + 1
    return month


def _day_column(reader, n: int) -> np.ndarray:
    if not reader.has_column(DAY):
        return np.zeros(n, dtype=np.int32)
    return np.fromiter(reader.column_reader(DAY), dtype=np.int32, count=n)


def _length_column(reader, fieldname: str, n: int) -> np.ndarray:
    if fieldname not in reader.schema or not reader.schema[fieldname].scorable:
        return np.ones(n, dtype=np.float32)
    lengths = np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)),
                          dtype=np.float32, count=n)
    return np.maximum(lengths, 1.0)


def _word_arrays(reader, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each paragraph's `words` column (its distinct words that can be significant) as numbers:
    the words of paragraph d are words[word_ids[word_starts[d]:word_starts[d + 1]]], numbered
    in order of first use. So a sample's words are a few slices of one array, and a word is
    stemmed once per generation, when it opens, not once per paragraph of every sample (the
    page's significant words took 1.5 ms of a first view reading, splitting and looking up
    strings). 0.4 s for the 90,764 paragraphs of the Reuters files. A generation built before
    the words column has none (no significant words until it is rebuilt)."""
    values = list(reader.column_reader(WORDS)) if reader.has_column(WORDS) else [b""] * n
    counts = np.fromiter(map(len, map(bytes.split, values)), dtype=np.int64, count=n)
    flat = b" ".join(values).split()
    number = {word: i for i, word in enumerate(dict.fromkeys(flat))}
    # Two bytes a word where the archive has at most 65,536 distinct words (Reuters: 36,721).
    dtype = np.uint16 if len(number) <= 1 << 16 else np.int32
    word_ids = np.fromiter(map(number.__getitem__, flat), dtype=dtype, count=len(flat))
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return word_ids, starts, [word.decode("utf-8") for word in number]


def _alive_mask(reader, n: int) -> np.ndarray:
    alive = np.ones(n, dtype=bool)
    if reader.has_deletions():
        for d in range(n):
            if reader.is_deleted(d):
                alive[d] = False
    return alive


def _place_pairs(reader) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(document, place index) for every place id a document carries, and the ids in order."""
    ids = [term_text(t) for t in reader.lexicon(PLACE_IDS)]
    owners, entries = [], []
    for i, pid in enumerate(ids):
        docs = _postings(reader, PLACE_IDS, pid)
        owners.append(docs)
        entries.append(np.full(len(docs), i, dtype=np.int32))
    if not ids:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), ids
    return np.concatenate(owners), np.concatenate(entries), ids


def _article_column(reader, n: int) -> np.ndarray:
    """An article's paragraphs are written together, so within a segment its postings are
    usually the whole range from its first to its last document: the term info says so
    (document frequency = range width) without reading postings. Other articles read theirs."""
    articles = np.zeros(n, dtype=np.int32)
    if ARTICLE_ID not in reader.schema:
        return articles
    number: dict = {}
    for segment, offset in reader.leaf_readers():
        for text, info in segment.iter_field(ARTICLE_ID):
            i = number.setdefault(text, len(number))
            first, last = info.min_id(), info.max_id()
            if first is not None and last - first + 1 == info.doc_frequency():
                articles[offset + first:offset + last + 1] = i
            else:
                articles[_postings(segment, ARTICLE_ID, text) + offset] = i
    return articles


def _postings(reader, fieldname: str, text) -> np.ndarray:
    """A term's document numbers through Whoosh's public matcher (deleted documents skipped)."""
    return np.fromiter(reader.postings(fieldname, text).all_ids(), dtype=np.int32)

