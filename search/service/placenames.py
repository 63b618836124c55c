"""The serving generation's places (its places.json): lookup by name or id, close matches,
autocomplete; names compare accent-folded (Sao Paulo finds São Paulo). Plain Python over plain
dicts; imports neither Whoosh nor the service."""
from __future__ import annotations

import difflib
from collections import defaultdict

from index.folding import fold
from search.service.placelabels import labels


class PlaceDirectory:
    """Places by id and by folded name (a name may belong to several places: Georgia)."""

    def __init__(self, places: dict[str, dict]):
        self.places = places
        self._by_id = {pid.lower(): pid for pid in places}
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._folded = {pid: fold(str(place.get("name", ""))) for pid, place in places.items()}
        for pid, name in self._folded.items():
            self._by_name[name].append(pid)
        # Other names the gazetteer reads as this place (Genève, Peking), after the names
        # themselves: a place's own name wins over another's alias.
        for pid, place in places.items():
            for alias in {fold(str(a)) for a in place.get("aliases") or ()}:
                if alias and pid not in self._by_name[alias]:
                    self._by_name[alias].append(pid)
        # A name with its kind and the unit above it, so that places of one name look unlike.
        self.labels = labels(places)
        # A label names one place: what autocomplete puts in the field ("Washington, D.C.").
        self._by_label = {fold(text): pid for pid, text in self.labels.items()}

    def ids_for(self, value: str) -> list[str]:
        """Ids named by `value` (an id, a label, or a name in any case, with or without its
        accents); empty when unknown."""
        key = value.strip().lower()
        if key in self._by_id:
            return [self._by_id[key]]
        if fold(key) in self._by_label and fold(key) not in self._by_name:
            return [self._by_label[fold(key)]]
        return list(self._by_name.get(fold(key), []))

    def close_names(self, value: str, n: int = 3) -> list[str]:
        names = {folded: self.places[pid]["name"] for pid, folded in self._folded.items() if folded}
        return [names[m] for m in difflib.get_close_matches(fold(value), list(names), n=n, cutoff=0.6)]

    def public(self, pid: str) -> dict:
        """The place as hits show it: id, name, label, kind, country, country_code, and its point
        (lat, lon; None when the generation's places.json has none), so a page can put it on a map."""
        place = self.places.get(pid, {"id": pid, "name": pid})
        shown = {k: place.get(k)
                 for k in ("id", "name", "kind", "country", "country_code", "lat", "lon")}
        return {**shown, "label": self.label(pid)}

    def label(self, pid: str) -> str:
        """The place's label ("Washington, D.C."); its id when this generation does not know it."""
        return self.labels.get(pid) or str(self.places.get(pid, {}).get("name") or pid)

    def labelled(self, stored: list[dict]) -> list[dict]:
        """Place objects as an index document stored them, each with its label added."""
        return [{**place, "label": self.labels.get(str(place.get("id")))
                 or str(place.get("name") or place.get("id"))} for place in stored]

    def completions(self, prefix: str, counts: dict[str, int], limit: int) -> list[dict]:
        """Places whose name (or a word of it) starts with `prefix`, most frequent first."""
        key = fold(prefix.strip())
        found = []
        for pid, name in self._folded.items():
            if not key or name.startswith(key) or any(w.startswith(key) for w in name.split()):
                if counts.get(pid, 0) > 0:
                    found.append(pid)
        found.sort(key=lambda pid: (-counts.get(pid, 0), self.places[pid].get("name", "")))
        return [{**self.public(pid), "count": counts[pid]} for pid in found[:limit]]
