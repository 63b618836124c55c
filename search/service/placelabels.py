"""Place labels a reader can tell apart ("New York (state, US)", "Washington, D.C.",
"Washington (England)"): a place's name with its kind and the unit above it, computed once per
generation from its places.json. Pure functions over plain dicts; imports nothing of the project.
"""
from __future__ import annotations

from collections.abc import Mapping

# What a first-level division is called, where it has one English word; else "region".
UNIT_NAMES = {"US": "state", "AU": "state", "BR": "state", "DE": "state", "IN": "state",
              "MX": "state", "MY": "state", "NG": "state", "VE": "state", "AT": "state",
              "CA": "province", "CN": "province", "AR": "province", "PH": "province",
              "PK": "province", "ZA": "province", "NL": "province", "BE": "province",
              "IR": "province", "TR": "province", "ID": "province", "ZM": "province",
              "JP": "prefecture", "GB": "nation", "CH": "canton"}
# Countries written short after a region's kind.
SHORT_COUNTRY = {"US": "US", "GB": "UK"}
# Countries whose towns are written "Town, Region" (Birmingham, Alabama); elsewhere the unit
# above goes in brackets (Washington (England), Geneva (Switzerland)).
COMMA_STYLE = frozenset({"US", "CA", "AU"})
# A region whose kind is not the country's usual one, and how a town in it is written.
SPECIAL_REGIONS = {("US", "District of Columbia"): ("federal district", "D.C.")}


def labels(places: Mapping[str, dict]) -> dict[str, str]:
    """Every place id of a generation's places table → its label."""
    return {pid: label(place, places) for pid, place in places.items()}


def label(place: dict, places: Mapping[str, dict]) -> str:
    """One place's label; `places` gives its ancestors (ids in `ancestor_ids`, nearest first)."""
    name = str(place.get("name") or place.get("id") or "")
    kind = place.get("kind")
    code = place.get("country_code") or ""
    country = SHORT_COUNTRY.get(code) or place.get("country") or ""
    if kind == "country" or not kind:
        return name
    region = _region_of(place, places)
    if kind == "region":
        unit = SPECIAL_REGIONS.get((code, name), (UNIT_NAMES.get(code, "region"),))[0]
        return f"{name} ({unit}, {country})" if country else f"{name} ({unit})"
    if kind == "county":
        if region is None or region.get("name") == name:
            return f"{name} (county, {country})" if country else f"{name} (county)"
        return f"{name}, {region['name']}" if "county" in name.lower() \
            else f"{name} (county, {region['name']})"
    # A city or town.
    if region is not None:
        region_name = str(region.get("name") or "")
        written = SPECIAL_REGIONS.get((code, region_name), (None, region_name))[1]
        return f"{name}, {written}" if code in COMMA_STYLE else f"{name} ({written})"
    return f"{name} ({place.get('country')})" if place.get("country") else name


def _region_of(place: dict, places: Mapping[str, dict]) -> dict | None:
    """The nearest ancestor that is a region (a US state, a Canadian province, England)."""
    for ancestor_id in place.get("ancestor_ids") or ():
        ancestor = places.get(ancestor_id)
        if ancestor is not None and ancestor.get("kind") == "region":
            return ancestor
    return None
