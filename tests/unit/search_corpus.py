"""A small hand-written archive and its real index, built once per test session, for the
search tests (imported by tests/unit/test_search_*.py; holds no tests itself)."""
from __future__ import annotations

from pathlib import Path

from index.build import reindex
from index.settings import Settings
from archive_files import write_archive

LONG = ("The committee met for many hours on Monday and discussed budgets, roads, schools, "
        "hospitals and the weather in great detail before anyone mentioned the harvest. "
        "Later in the evening the members turned to other business, including the parking "
        "rules, the library opening hours and a long list of complaints about noise. "
        "Finally the chairman said the coffee harvest would be the largest in a decade.")

ARTICLES = [
    {"id": "karabakh-1", "title": "Restoration begins in Karabakh", "date": "2021-04-08",
     "author": "A. Writer", "url": "https://example.org/k1", "dateline": "BAKU",
     "paragraphs": [
         "Azerbaijan began the restoration of Aghdam after the shelling stopped.",
         "Engineers from Ganja cleared mines; the town was shelled in October.",
         "Officials said on April 6, 2021 that <script>alert(1)</script> & other tags are text.",
     ]},
    {"id": "wine-1", "title": "Wine exports rise", "date": "2020-12-31", "author": "", "url": "",
     "dateline": "", "paragraphs": [
         "France exported more wine than ever, traders in Paris said.",
         "Prices of wine and cheese rose in December.",
     ]},
    {"id": "coffee-undated", "title": "Coffee market report", "date": None, "author": "",
     "url": "", "dateline": "", "paragraphs": ["Coffee prices rose sharply in Brazil."]},
    {"id": "coffee-jan", "title": "Growers meet", "date": "2021-01-01", "author": "", "url": "",
     "dateline": "", "paragraphs": [
         "Coffee growers in Colombia expect a large harvest.",
         "The growers said coffee exports to Japan would rise.",
     ]},
    {"id": "long-1", "title": "Council meeting", "date": "2021-02-15", "author": "", "url": "",
     "dateline": "", "paragraphs": [LONG]},
    {"id": "nagorno-1", "title": "Talks on Nagorno-Karabakh", "date": "2021-05-31", "author": "",
     "url": "", "dateline": "", "paragraphs": [
         "Diplomats discussed Nagorno-Karabakh in Moscow, and later the Karabakh ceasefire.",
     ]},
]




def built_index(base: Path, articles=ARTICLES) -> Path:
    """The index of `articles` under `base`, built on first use and reused after."""
    index_dir = base / "idx"
    if not (index_dir / "CURRENT").is_file():
        archive = write_archive(base / "archive", articles)
        reindex(Settings.from_env({}, index_dir=index_dir, sources=(archive,), workers=1))
    return index_dir
