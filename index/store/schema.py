"""The paragraph document: the Whoosh schema, its version stamp, and the analyzer.

`index/build.py` creates each generation with `build_schema` and stamps it with
`SCHEMA_VERSION`; `search/engine/` imports only `term_text` and field names (it takes the
schema and analyzer from the opened index) and never defines fields of its own. Bump
SCHEMA_VERSION whenever a field or the analyzer changes: `reindex --if-needed` rebuilds on a
different stamp.
"""
from __future__ import annotations

from pathlib import Path

from whoosh import columns, fields
from whoosh.analysis import (CharsetFilter, KeywordAnalyzer, LowercaseFilter, PyStemmerFilter,
                             RegexTokenizer, StopFilter)

from index.folding import FOLDING
from index.shingles import SKETCH_BYTES
from index.words import TOKEN_PATTERN

# 2: the Snowball English stop list (index/data/english_stop.txt) replaces Whoosh's default.
# 3: accents fold (café = cafe, Bakü = Baku) in text, title, the spelling words and places.
# 4: `display_title`, one stored title per article (its title, else its lead sentence).
# 5: `copy_sketch` (copies) and `words` (each paragraph's distinct words) columns.
# 6: `text` without character offsets or a spelling sub-field, no `id` field, the compact stored
#    record (article fields once per article, places as ids).
SCHEMA_VERSION = 6

STOP_LIST_FILE = Path(__file__).resolve().parent.parent / "data" / "english_stop.txt"


def term_text(term: str | bytes) -> str:
    """A term as text: Whoosh's lexicons and parsed queries give UTF-8 bytes or str."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def stop_words() -> frozenset[str]:
    """The stop list: Snowball's English function words (see the file's header for why)."""
    lines = STOP_LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def fold_filter() -> CharsetFilter:
    """Accent folding: a token's text loses its accents; its character offsets still point at
    the original letters, so highlighting marks "café" for the query "cafe"."""
    return CharsetFilter(FOLDING)


def place_names_analyzer():
    """The `places` field: comma-separated place names, each one token, lower-cased and
    accent-folded (no stop words dropped: "Isle of Man"; not stemmed)."""
    return KeywordAnalyzer(lowercase=True, commas=True) | fold_filter()


def place_words_analyzer():
    """A query's words as the `places` field holds them: each word lower-cased and folded as
    `place_names_analyzer` folds a name, so a one-word name is found by its word."""
    return RegexTokenizer() | LowercaseFilter() | fold_filter()


def text_analyzer():
    """English words, lower-cased, accents folded, stop words dropped, Snowball-stemmed by the
    C stemmer.

    PyStemmer instead of Whoosh's pure-Python Porter stemmer: the stemmer is the hottest
    call while indexing. The Snowball stop list rather than Whoosh's 34 words: question words
    and auxiliaries ("what", "which", "how", "been", "does") carry no topic, and long
    natural-language queries are full of them (Cranfield nDCG@10 +0.004, docs/benchmarks.md).
    No possessive filter: the tokenizer already splits "Reagan's" into "reagan" and "s", and
    the stop filter drops one-letter tokens.
    """
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | fold_filter() | StopFilter(stop_words())
            | PyStemmerFilter("english", cachesize=100_000))


# Field names, declared once: the schema below, the build and the read side all use these.
ID = "id"  # a paragraph's id in its record (paragraph_id; not a field)
ARTICLE_ID = "article_id"
PARA = "para"
TITLE = "title"
DISPLAY_TITLE = "display_title"
TEXT = "text"
DATE = "date"
DAY = "day"
AUTHOR = "author"
DATELINE = "dateline"
URL = "url"
SOURCE = "source"
PLACES = "places"
PLACE_IDS = "place_ids"
MENTIONED = "mentioned"
PLACES_JSON = "places_json"
MENTIONS_JSON = "mentions_json"
SKETCH = "copy_sketch"
WORDS = "words"

# What is the article's rather than the paragraph's: stored once, in its first paragraph.
ARTICLE_FIELDS = (TITLE, DISPLAY_TITLE, DATE, AUTHOR, DATELINE, URL, SOURCE)
# What a stored record leaves out when it is empty, and what the read side puts back.
STORED_EMPTY = {TITLE: "", DATE: "", AUTHOR: "", DATELINE: "", URL: "", SOURCE: "",
                PLACES_JSON: [], MENTIONS_JSON: []}


def paragraph_id(article_id: str, para: int) -> str:
    """A paragraph's id, `<article id>:<paragraph number>`: derived, never stored."""
    return f"{article_id}:{para}"


def split_paragraph_id(text: str) -> tuple[str, int] | None:
    """The article id and paragraph number a paragraph id names, or None when it names none."""
    article_id, colon, para = text.rpartition(":")
    if not colon or not para.isdigit() or not para.isascii():
        return None
    return article_id, int(para)


def build_schema() -> fields.Schema:
    """The fields of one paragraph document.

    - `text` keeps positions (phrases), not character offsets: a hit's marks come from the
      words' own offsets (search/engine/word_stems.py). No spelling sub-field either: Whoosh
      adds one posting per word and paragraph to it (as many as `text` has) and built it with
      a quarter of the index's postings; did-you-mean reads the `words` column's words instead.
    - A paragraph's id is not a field: it is `paragraph_id(article_id, para)`, and its 90,000
      terms cost the term file and the build (a paragraph is found by its article's id).
    - What is stored is kept small (the stored fields were a third of the index): the
      ARTICLE_FIELDS only in the article's first paragraph (`_stored_title=None` and
      `_stored_source=None` keep the later paragraphs' indexed title and source out of the
      store), `display_title` only where it differs from the title, `places_json` as place
      ids (the generation's places table describes them), and no empty value (STORED_EMPTY).
      search/engine/paragraphs.py puts each record back together.
    - `day` is the article date as a proleptic ordinal (0 = undated): a column only, never
      indexed (numeric terms cost a fifth of indexing time); the read side loads it into an
      array for date filters, date sorting and month facets. `para` is stored only.
    - `place_ids` holds each mentioned place's id and the ids of its ancestors, so a country
      filter finds paragraphs that only name its cities; `places` holds the lower-cased,
      accent-folded canonical names of the places themselves, for `place:` queries.
    - `mentioned` holds dates found in the text as `YYYY-MM-DD` (day) or `YYYY-MM` (month).
    - `places_json` and `mentions_json` are stored, never indexed: what a hit shows.
    - `display_title` is stored only: the title every paragraph of the article shows (its
      lead sentence when it has no title; indexing it would make every paragraph match the
      lead's words).
    - `copy_sketch` is a column only: the paragraph's fixed-size sketch of its shingles
      (index/shingles.py), from which the build finds copies; a column, so it moves with its
      document through merges and incremental builds and is read for every document at once.
    - `words` is a column only: the paragraph's distinct words, lower-cased, as the analyzer's
      tokenizer finds them (stop words and words without a letter left out), space-separated;
      what the significant words count, read in microseconds instead of the stored text, and
      the words did-you-mean offers.
    """
    analyzer = text_analyzer()
    return fields.Schema(**{
        ARTICLE_ID: fields.ID(stored=True),
        PARA: fields.STORED(),
        TITLE: fields.TEXT(analyzer=analyzer, stored=True),
        DISPLAY_TITLE: fields.STORED(),
        TEXT: fields.TEXT(analyzer=analyzer, stored=True),
        DATE: fields.STORED(),
        DAY: fields.COLUMN(columns.NumericColumn("i")),
        AUTHOR: fields.STORED(),
        DATELINE: fields.STORED(),
        URL: fields.STORED(),
        SOURCE: fields.ID(stored=True),
        PLACES: fields.KEYWORD(analyzer=place_names_analyzer()),
        PLACE_IDS: fields.KEYWORD(commas=True),
        MENTIONED: fields.KEYWORD(commas=True),
        PLACES_JSON: fields.STORED(),
        MENTIONS_JSON: fields.STORED(),
        SKETCH: fields.COLUMN(columns.FixedBytesColumn(SKETCH_BYTES)),
        WORDS: fields.COLUMN(columns.VarBytesColumn()),
    })
