"""The search page's world map as plain template data: countries shaded by the search's country
facet, other places as circles sized by count, each a link that adds the place to the filters,
zoomed to the results' region when they all lie in one part of the world. The outlines come
projected and simplified once, at build time (map_outlines.json, made by
bench/make_map_outlines.py), so a request only picks classes and a view box. Imports nothing
of the project.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

OUTLINES_PATH = Path(__file__).with_name("map_outlines.json")
# SVG path data as the outlines hold it: commands, numbers, spaces and commas, nothing to escape.
_PATH_DATA = re.compile(r"[MmLlHhVvZzCcSsQqTtAa0-9.,\-+eE ]*")
# Shade classes map-shade-1 … map-shade-5 in static/style.css (no inline styles: the CSP).
SHADES = 5
# The map zooms in when the results' places fit in this share of the world's width and of its
# height; a zoomed view is never narrower than MIN_VIEW of the world (the outlines are drawn
# for a world map, 1:110m: closer in they would show their corners).
ZOOM_SHARE = 0.5
MIN_VIEW = 0.2
PADDING = 0.15           # of the results' box, on each side, so edge shapes are not cut
# A circle's radius as a share of the view's width: the smallest count and the largest.
MIN_RADIUS, MAX_RADIUS = 0.007, 0.022

# Equal Earth (Šavrič, Patterson & Jenny 2018): equal-area, with straight parallels and a
# world outline close to Robinson's; both the outline builder and the points use it.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lat: float, lon: float) -> tuple[float, float]:
    """Latitude and longitude in degrees → Equal Earth x (east) and y (north), unscaled."""
    theta = math.asin(_M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = (math.radians(lon) * math.cos(theta)
         / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2))))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


@dataclass(frozen=True)
class Outline:
    """One country in map units: its SVG path, the box of its largest part (what a zoom
    frames: mainland France, not French Guiana) and the box of all of it."""

    code: str
    d: str
    main: tuple[float, float, float, float]
    bounds: tuple[float, float, float, float]


@dataclass(frozen=True)
class Outlines:
    """The projected world: map units are `scale` times Equal Earth's, shifted by `x0`, `y0`
    so that the map spans 0…width and 0…height (y down, as in SVG)."""

    width: int
    height: int
    scale: float
    x0: float
    y0: float
    countries: dict[str, Outline]

    @classmethod
    def load(cls, path: Path = OUTLINES_PATH) -> "Outlines":
        """The outlines file; a path that is not plain SVG path data is refused, so templates
        may write paths unescaped."""
        data = json.loads(path.read_text(encoding="utf-8"))
        countries = {c["code"]: Outline(c["code"], c["d"], tuple(c["main"]),
                                        tuple(c["bounds"])) for c in data["countries"]}
        for outline in countries.values():
            if not _PATH_DATA.fullmatch(outline.d):
                raise ValueError(f"{path}: the outline of {outline.code} is not SVG path data")
        return cls(data["width"], data["height"], data["scale"], data["x0"], data["y0"], countries)

    @cached_property
    def land(self) -> dict[str, dict]:
        """Each country's shape when the search does not shade it (the same for every map:
        made once, read by every page)."""
        return {code: {"d": o.d, "cls": "map-land", "href": None, "text": None}
                for code, o in self.countries.items()}

    def point(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = equal_earth(lat, lon)
        return self.x0 + self.scale * x, self.y0 - self.scale * y


def world_map(outlines: Outlines, countries: list[dict], places: list[dict],
              href: Callable[[str], str], active: set[str], unit: str) -> dict | None:
    """The map of a search's `countries` and `places` facet rows (each `id`, `label`, `count`,
    and `lat`/`lon` when known), or None when neither has a row. `href(id)` is the link that
    adds a place to the filters; a place in `active` is filtered on already and links nowhere.
    `unit` is what the counts count ("article" or "paragraph")."""
    country_ids = {row["id"] for row in countries}
    # A place row that is a country (the place facet lists countries too) is shaded, not a point.
    others = [row for row in places
              if row["id"] not in country_ids and row["id"] not in outlines.countries]
    if not countries and not others:
        return None
    scale = _Shades([row["count"] for row in countries])
    shaded = {row["id"]: row for row in countries if row["id"] in outlines.countries}
    # A small country without an outline (Singapore, Bahrain) is shaded as a dot at its point.
    dots = [row for row in countries if row["id"] not in outlines.countries and _located(row)]
    pointed = [row for row in others if _located(row)]
    view = _view(outlines, [outlines.countries[code].main for code in shaded]
                 + [_dot_box(outlines, row) for row in [*dots, *pointed]])
    largest = max((row["count"] for row in pointed), default=1)

    def link(row: dict) -> dict:
        name = row.get("label") or row.get("value") or row["id"]
        on = row["id"] in active or row.get("value") in active
        return {"label": name, "count": row["count"], "active": on,
                "href": None if on else href(row["id"]),
                "text": f"{name}: {row['count']:,} {unit}{'' if row['count'] == 1 else 's'}"}

    links = {row["id"]: link(row) for row in [*countries, *others]}   # one link per place
    shapes = []
    zoomed = view[2] < outlines.width
    for code, outline in outlines.countries.items():
        if zoomed and not _overlaps(outline.bounds, view):
            continue
        row = shaded.get(code)
        if row is None:
            shapes.append(outlines.land[code])
        else:
            found = links[code]
            shapes.append({**found, "d": outline.d,
                           "cls": _classes(scale.shade(row["count"]), found)})
    points = []
    for row, shade in [*((r, scale.shade(r["count"])) for r in dots), *((r, 0) for r in pointed)]:
        x, y = outlines.point(row["lat"], row["lon"])
        share = (MIN_RADIUS if shade  # a dot for a small country: its count is its shade
                 else MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(row["count"] / largest))
        found = links[row["id"]]
        points.append({**found, "cx": round(x, 1), "cy": round(y, 1),
                       "r": round(share * view[2], 1),
                       "cls": _classes(shade, found) if shade else "map-point"})
    # Larger circles first, so that a small one on top of a large one can still be clicked.
    points.sort(key=lambda p: -p["r"])
    rows = [{**links[row["id"]], "kind": "Country"} for row in countries] \
        + [{**links[row["id"]], "kind": "Place"} for row in others]
    return {"view": " ".join(f"{v:g}" for v in view), "zoomed": zoomed,
            "shapes": shapes, "points": points, "legend": scale.legend(unit),
            "has_points": bool(pointed), "unit": unit,
            "rows": sorted(rows, key=lambda r: -r["count"])}


class _Shades:
    """Counts → shade classes 1…SHADES in steps that grow geometrically (news counts are
    skewed: one country often has ten times the next), the largest count always the darkest."""

    def __init__(self, counts: list[int]):
        top = max(counts, default=1)
        uppers = sorted({math.ceil(top ** (i / SHADES)) for i in range(1, SHADES + 1)} | {top})
        self.uppers = [u for u in uppers if u <= top]
        self.first = SHADES - len(self.uppers) + 1

    def shade(self, count: int) -> int:
        for i, upper in enumerate(self.uppers):
            if count <= upper:
                return self.first + i
        return SHADES

    def legend(self, unit: str) -> list[dict]:
        steps, low = [], 1
        for i, upper in enumerate(self.uppers):
            text = f"{low:,}" if low == upper else f"{low:,}–{upper:,}"
            steps.append({"cls": f"map-shade-{self.first + i}",
                          "text": f"{text} {unit}{'' if upper == 1 else 's'}"})
            low = upper + 1
        return steps


def _classes(shade: int, link: dict) -> str:
    return f"map-shade-{shade}" + (" map-active" if link["active"] else "")


def _located(row: dict) -> bool:
    return row.get("lat") is not None and row.get("lon") is not None


def _dot_box(outlines: Outlines, row: dict) -> tuple[float, float, float, float]:
    x, y = outlines.point(row["lat"], row["lon"])
    return x, y, x, y


def _view(outlines: Outlines, boxes: list[tuple[float, float, float, float]]) -> tuple[float, ...]:
    """The view box (x, y, width, height): the whole world, or the region holding every box,
    padded, with the world's proportions, kept inside the world."""
    world = (0.0, 0.0, float(outlines.width), float(outlines.height))
    if not boxes:
        return world
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    bottom = max(b[3] for b in boxes)
    w, h = right - left, bottom - top
    if w > ZOOM_SHARE * outlines.width or h > ZOOM_SHARE * outlines.height:
        return world
    ratio = outlines.height / outlines.width
    width = max(w * (1 + 2 * PADDING), h * (1 + 2 * PADDING) / ratio, MIN_VIEW * outlines.width)
    height = width * ratio
    x = min(max(0.0, (left + right - width) / 2), outlines.width - width)
    y = min(max(0.0, (top + bottom - height) / 2), outlines.height - height)
    return round(x, 1), round(y, 1), round(width, 1), round(height, 1)


def _overlaps(box: tuple[float, float, float, float], view: tuple[float, ...]) -> bool:
    x, y, w, h = view
    return box[0] <= x + w and box[2] >= x and box[1] <= y + h and box[3] >= y
