"""How the whole archive reads its ambiguous place names: for each name, in how many articles a
first pass chose each of its readings. A name the archive reads one way in most of its
articles keeps that reading in the next one unless the article itself says otherwise strongly
(a pair such as "Washington, Ga.", its dateline, a namesake not tiny beside it). The same
counts give the archive's home country, the one most of its articles are about. The build
counts in a first pass (`count_readings`) and keeps the counts per file in the generation, so an
incremental build counts only the files it reads. Must not import Whoosh or anything under search/.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Protocol
from dataclasses import dataclass, field
from pathlib import Path

from index.store.files import write_atomically

# A reading leads a name only when the archive read the name in at least this many articles
# and gave it this reading in at least this share of them: a handful of articles, or a name
# the archive splits between two places, says nothing about the next article.
PRIOR_MIN_ARTICLES = 8
PRIOR_MIN_SHARE = 0.75
# The pseudo-name under which each article counts its main country (the country most of its
# places lie in): the archive's home country is the one most of its articles are about.
HOME_KEY = "*home"
# A country is the archive's home when at least this share of its articles are mainly about it
# (a local paper's archive: its own country; a wire service's may have none).
HOME_MIN_SHARE = 0.6
# The file a generation keeps its counts in.
READINGS_FILE = "place_readings.json"


class _Reader(Protocol):
    def readings(self, article) -> set[tuple[str, str]]: ...


def count_readings(gazetteer: _Reader, batches: Iterable, kept: "ReadingCounts") -> "ReadingCounts":
    """`kept` (the counts of files not read again) plus every article of `batches` (anything
    with `.path` and `.articles`: the build's read batches), counted as `gazetteer` reads it."""
    counts = ReadingCounts(dict(kept.by_file))
    for batch in batches:
        for article in batch.articles:
            counts.add(str(batch.path), gazetteer.readings(article))
    return counts


@dataclass
class ReadingCounts:
    """Per file, name key → place id → the articles of that file that read the name so. Kept
    per file so that an incremental build re-counts only the files it reads."""

    by_file: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def add(self, path: str, readings: Iterable[tuple[str, str]]) -> None:
        """One article's (name key, place id) readings, each counted once for the article."""
        names = self.by_file.setdefault(path, {})
        for key, place_id in set(readings):
            ids = names.setdefault(key, {})
            ids[place_id] = ids.get(place_id, 0) + 1

    def keep_only(self, paths: Iterable[str]) -> "ReadingCounts":
        """The counts of these files only (those still in the archive)."""
        return ReadingCounts({p: self.by_file[p] for p in paths if p in self.by_file})

    def prior(self) -> "ReadingPrior":
        totals: dict[str, Counter] = {}
        for names in self.by_file.values():
            for key, ids in names.items():
                totals.setdefault(key, Counter()).update(ids)
        return ReadingPrior.of(totals)

    def write(self, path: Path) -> None:
        data = json.dumps(self.by_file, sort_keys=True, separators=(",", ":")).encode()
        write_atomically(path, lambda f: f.write(data))

    @classmethod
    def read(cls, path: Path) -> "ReadingCounts":
        """The counts a generation kept; none when it kept none or they cannot be read (the
        files are then counted again by the build that reads them)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls(data if isinstance(data, dict) else {})


@dataclass(frozen=True)
class ReadingPrior:
    """Name key → (the reading that leads it in the archive, that reading's share, articles);
    and the archive's home country (`HOME_KEY`), when it has one."""

    leaders: Mapping[str, tuple[str, float, int]] = field(default_factory=dict)
    home: str | None = None

    @classmethod
    def of(cls, totals: Mapping[str, Mapping[str, int]]) -> "ReadingPrior":
        leaders = {}
        home = None
        for key, ids in totals.items():
            articles = sum(ids.values())
            place_id, count = max(ids.items(), key=lambda item: (item[1], item[0]))
            if key == HOME_KEY:
                if articles >= PRIOR_MIN_ARTICLES and count >= HOME_MIN_SHARE * articles:
                    home = place_id
            elif articles >= PRIOR_MIN_ARTICLES and count >= PRIOR_MIN_SHARE * articles:
                leaders[key] = (place_id, count / articles, articles)
        return cls(leaders, home)

    def leader(self, key: str) -> str | None:
        """The place id the archive reads this name as, when it reads it so clearly."""
        found = self.leaders.get(key)
        return found[0] if found else None
