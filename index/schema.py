"""The paragraph document: the Whoosh schema, its version stamp, and the analyzer.

`search/` imports `SCHEMA_VERSION`, `build_schema` and `text_analyzer` from here and never
defines fields of its own. Bump SCHEMA_VERSION whenever a field or the analyzer changes:
`reindex --if-needed` rebuilds on a different stamp.
"""
from __future__ import annotations

from pathlib import Path

from whoosh import columns, fields
from whoosh.analysis import (CharsetFilter, KeywordAnalyzer, LowercaseFilter, PyStemmerFilter,
                             RegexTokenizer, StopFilter)

from index.folding import FOLDING

# 2: the Snowball English stop list (index/data/english_stop.txt) replaces Whoosh's default.
# 3: accents fold (café = cafe, Bakü = Baku) in text, title, the spelling words and places.
SCHEMA_VERSION = 3

STOP_LIST_FILE = Path(__file__).with_name("data") / "english_stop.txt"


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
    return (RegexTokenizer() | LowercaseFilter() | fold_filter() | StopFilter(stop_words())
            | PyStemmerFilter("english", cachesize=100_000))


def build_schema() -> fields.Schema:
    """The fields of one paragraph document (DESIGN.md section 4).

    - `text` keeps character offsets (chars=True) so highlighting never re-analyses, and a
      spelling sub-field of unstemmed words so suggestions are real words, not stems.
    - `day` is the article date as a proleptic ordinal (0 = undated): a column only, never
      indexed (numeric terms cost a fifth of indexing time); the read side loads it into an
      array for date filters, date sorting and month facets. `para` is stored only.
    - `place_ids` holds each mentioned place's id and the ids of its ancestors, so a country
      filter finds paragraphs that only name its cities; `places` holds the lower-cased,
      accent-folded canonical names of the places themselves, for `place:` queries.
    - `mentioned` holds dates found in the text as `YYYY-MM-DD` (day) or `YYYY-MM` (month).
    - `places_json` and `mentions_json` are stored, never indexed: what a hit shows.
    """
    analyzer = text_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        article_id=fields.ID(stored=True),
        para=fields.STORED(),
        title=fields.TEXT(analyzer=analyzer, stored=True),
        text=fields.TEXT(analyzer=analyzer, stored=True, chars=True, spelling=True),
        date=fields.STORED(),
        day=fields.COLUMN(columns.NumericColumn("i")),
        author=fields.STORED(),
        dateline=fields.STORED(),
        url=fields.STORED(),
        source=fields.ID(stored=True),
        places=fields.KEYWORD(analyzer=KeywordAnalyzer(lowercase=True, commas=True) | fold_filter()),
        place_ids=fields.KEYWORD(commas=True),
        mentioned=fields.KEYWORD(commas=True),
        places_json=fields.STORED(),
        mentions_json=fields.STORED(),
    )
