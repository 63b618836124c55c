"""The world map on the results page and the front page: countries shaded as the country facet
counts them, places as circles, each a link adding its place, a legend, a table, a zoom to the
results' region, and nothing inline or from another server."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from built_apps import app_over


def _article(i: int, city: str, paragraphs: int = 1) -> dict:
    return {"id": f"{city.lower()}-{i}", "title": f"Harvest report {i}", "date": "1987-03-02",
            "author": "", "url": "", "dateline": "",
            # Each text its own (the same text in two articles would be copies, folded).
            "paragraphs": [f"Wine growers near {city} reported harvest {i}, part {p}."
                           for p in range(paragraphs)]}


# Wine: France in 4 articles (6 paragraphs), Germany in 2, Spain in 1: all in Europe.
# Rice: Japan and the United States, half a world apart.
ARTICLES = ([_article(i, "Paris", 3 if i == 0 else 1) for i in range(3)]
            + [_article(3, "Lyon"), _article(4, "Berlin"), _article(5, "Munich"),
               _article(6, "Madrid")]
            + [{"id": f"rice-{city}", "title": "Rice prices", "date": "1987-03-03", "author": "",
                "url": "", "dateline": "", "paragraphs": [f"Rice prices rose in {city}."]}
               for city in ("Tokyo", "Chicago")])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    yield from app_over(tmp_path_factory.mktemp("map-index"), ARTICLES)


def _map(page):
    return page.html.select_one("section.map")


def _shaded(section) -> dict[str, tuple[str, str]]:
    """Each shaded country's (accessible text, shade class), by its name."""
    found = {}
    for shape in section.select("svg path[class*=map-shade-], svg circle[class*=map-shade-]"):
        text = shape.parent.get("aria-label") or shape.title.get_text()
        shade = next(c for c in shape["class"] if c.startswith("map-shade-"))
        found[text.split(":")[0]] = (text, shade)
    return found


@pytest.mark.parametrize("group", ["article", "paragraph"])
def test_each_country_is_shaded_with_the_country_facets_count(app, group):
    facet = app.get(f"/api/search?q=wine&group={group}&facets=country").json["facets"]["country"]
    shaded = _shaded(_map(app.get(f"/?q=wine&group={group}")))
    assert {row["label"] for row in facet} == set(shaded) == {"France", "Germany", "Spain"}
    for row in facet:
        text, _ = shaded[row["label"]]
        assert text == f"{row['label']}: {row['count']} {group}{'' if row['count'] == 1 else 's'}"
    # France has the most, so the darkest shade; no country with fewer is darker.
    top = max(facet, key=lambda row: row["count"])
    assert shaded[top["label"]][1] == "map-shade-5"
    by_count = sorted(facet, key=lambda row: row["count"])
    shades = [int(shaded[row["label"]][1].rsplit("-", 1)[1]) for row in by_count]
    assert shades == sorted(shades)


def test_france_counts_articles_on_the_grouped_page_and_paragraphs_when_ungrouped(app):
    grouped = _shaded(_map(app.get("/?q=wine")))
    ungrouped = _shaded(_map(app.get("/?q=wine&group=paragraph")))
    assert grouped["France"][0] == "France: 4 articles"
    assert ungrouped["France"][0] == "France: 6 paragraphs"


def test_every_shape_and_circle_that_counts_links_to_the_search_with_its_place_added(app):
    section = _map(app.get("/?q=wine&from=1987"))
    links = section.select("svg a")
    places = {parse_qs(urlsplit(a["href"]).query)["place"][0] for a in links}
    assert {"FR", "DE", "ES"} <= places and len(places) > 3   # cities too
    for a in links:
        query = parse_qs(urlsplit(a["href"]).query)
        assert query["q"] == ["wine"] and query["from"] == ["1987"]
        assert a.select("path, circle") and a["aria-label"] == a.title.get_text()
    # A circle for a city, sized by its count: Paris (3 articles) is larger than Lyon (1).
    radius = {a["aria-label"].split(":")[0]: float(a.circle["r"])
              for a in links if a.circle is not None}
    paris = next(r for name, r in radius.items() if name.startswith("Paris"))
    lyon = next(r for name, r in radius.items() if name.startswith("Lyon"))
    assert paris > lyon


def test_a_place_filtered_on_is_shaded_but_links_nowhere(app):
    section = _map(app.get("/?q=wine&place=FR"))
    france = section.select_one("path.map-active")
    assert france is not None and france.parent.name != "a"
    assert "France" in france.title.get_text()
    hrefs = [a["href"] for a in section.select("svg a")]
    assert hrefs and all("place=FR" in h for h in hrefs)   # the others add to the filter


def test_the_map_zooms_to_europe_when_every_result_is_there_and_shows_the_world_otherwise(app):
    europe = _map(app.get("/?q=wine"))
    world = _map(app.get("/?q=rice"))
    europe_box = [float(v) for v in europe.svg["viewbox"].split()]
    world_box = [float(v) for v in world.svg["viewbox"].split()]
    assert world_box[:2] == [0, 0] and europe_box[2] < world_box[2] / 2
    assert "region of the results" in europe.h3.get_text()
    assert "region" not in world.h3.get_text()
    # Zoomed, the map leaves out the countries outside the view (Japan, Australia).
    assert len(europe.select("svg path")) < len(world.select("svg path"))


def test_the_legend_and_the_table_say_what_the_shapes_say(app):
    section = _map(app.get("/?q=wine"))
    legend = [li.get_text(" ", strip=True) for li in section.select(".map-legend li")]
    assert legend[-1] == "a city or region, larger for more"
    assert any(text.endswith("articles") for text in legend[:-1])
    rows = {tr.td.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
            for tr in section.select("table tbody tr")}
    assert rows["France"] == ["France", "Country", "4"]
    assert rows["Germany"] == ["Germany", "Country", "2"]
    assert any(name.startswith("Berlin") and row[1] == "Place" for name, row in rows.items())


def test_the_map_is_drawn_from_the_page_alone(app):
    page = app.get("/?q=wine")
    markup = str(_map(page))
    assert " style=" not in markup and "<script" not in markup
    assert not re.search(r"(src|href)=\"(https?:)?//", markup)
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_search_without_places_has_no_map(app):
    assert _map(app.get("/?q=nothingmatchesthis")) is None


def test_the_front_page_maps_the_whole_archive(app):
    section = _map(app.get("/"))
    assert section is not None and section.h2 is not None
    shaded = _shaded(section)
    assert {"France", "Germany", "Spain", "Japan", "United States"} <= set(shaded)
    assert shaded["France"][0] == "France: 4 articles"
    assert all(a["href"].startswith("/?place=") for a in section.select("svg a"))
