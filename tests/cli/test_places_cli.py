"""`manage.py places --json --file F…`: one JSON line per file, the gazetteer loaded once."""
from __future__ import annotations

import json

from click.testing import CliRunner

from manage import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_prints_one_line_per_file_with_places_and_dates(tmp_path):
    first = write(tmp_path, "a.txt", "Talks in Bakü ended on November 10.")
    second = write(tmp_path, "b.txt", "Police in Alexandria, La., arrested 14.")
    result = run("places", "--json", "--file", first, "--file", second, "--date", "2021-04-08")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(second)]
    baku = lines[0]["places"][0]
    assert {k: baku[k] for k in ("start", "end", "surface", "id", "name", "kind", "country",
                                 "country_code")} == {
        "start": 9, "end": 13, "surface": "Bakü", "id": "geonames:587084", "name": "Baku",
        "kind": "city", "country": "Azerbaijan", "country_code": "AZ"}
    assert (round(baku["lat"], 1), round(baku["lon"], 1)) == (40.4, 49.9)
    assert lines[0]["dates"] == [{"start": 23, "end": 34, "surface": "November 10",
                                  "value": "2020-11-10", "granularity": "day"}]
    assert [p["name"] for p in lines[1]["places"]] == ["Alexandria", "Louisiana"]


def test_json_of_a_text_argument_has_no_file(tmp_path):
    result = run("places", "--json", "Shipments from Japan.")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["file"] is None


def test_text_form_names_each_file_when_there_are_several(tmp_path):
    first = write(tmp_path, "a.txt", "Shipments from Japan.")
    second = write(tmp_path, "b.txt", "Nothing here.")
    result = run("places", "--file", first, "--file", second)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{first}:", "place     15-20    'Japan' -> Japan (country, id JP)",
        f"{second}:", "no places or dates found"]


def test_a_file_that_is_not_utf8_is_a_usage_error_naming_it(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 in Paris")
    result = run("places", "--json", "--file", bad)
    assert result.exit_code == 2
    assert f"{bad} is not UTF-8 text" in result.output


def test_text_and_file_together_are_refused(tmp_path):
    result = run("places", "Japan", "--file", write(tmp_path, "a.txt", "Japan"))
    assert result.exit_code == 2
    assert "give either TEXT or --file PATH" in result.output
