"""Maps: Vega-Lite specs that state what they show, rendered offline to PNG and SVG."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import shapely
from typer.testing import CliRunner

from stalking_profile.cli import app
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.reporting.maps import CLASS_ORDER, area_features, class_map, render, value_map
from stalking_profile.spatial.geography import default_lsoas
from stalking_profile.store.connection import open_store
from tests.conftest import rows_of, write_csv

SQUARES = area_features(["A", "B"], ["Alpha", "Beta"], [shapely.box(-1.6, 53.7, -1.5, 53.8),
                                                       shapely.box(-1.5, 53.7, -1.4, 53.8)])


def test_value_map_states_what_it_shows_and_renders() -> None:
    spec = value_map(SQUARES, {"A": 1.5, "B": 4.0}, title="Stalking by ward", period="12 months to September 2021",
                     family="stalking", measure="rate per 1,000", attribution="Source: ONS, OGL v3.0")
    text = json.dumps(spec)
    for needed in ("12 months to September 2021", "stalking", "rate per 1,000", "OGL v3.0"):
        assert needed in text
    values = {f["properties"]["area_code"]: f["properties"]["value"] for f in spec["data"]["values"]}
    assert values == {"A": 1.5, "B": 4.0}
    assert render(spec)[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in render(spec, "svg")
    blind = value_map(SQUARES, {"A": 1.5}, title="t", period="p", family="f", measure="m", attribution="a",
                      palette="colourblind")
    assert blind["encoding"]["color"]["scale"] == {"scheme": "viridis"}


def test_class_map_keeps_the_legend_order() -> None:
    spec = class_map(SQUARES, {"A": "Hot spot 99%", "B": "Not significant"}, title="t", period="p", family="f",
                     attribution="a")
    assert spec["encoding"]["color"]["scale"]["domain"] == list(CLASS_ORDER)
    assert render(spec)[:4] == b"\x89PNG"


def test_map_command(tmp_path: Path) -> None:
    areas = default_lsoas()
    db = tmp_path / "m.duckdb"
    with open_store(str(db)) as store:
        rows = rows_of(*[{"lsoa_code": areas.codes[i]} for i in range(0, 1388, 3)])
        ingest(write_csv(tmp_path / "a.csv", rows), store, IngestOptions(today=dt.date(2022, 2, 15)))
    runner = CliRunner()
    args = ["map", "--db", str(db), "--to", "2021-03", "--permutations", "99", "--level", "lsoa"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(app, [*args, "--measure", "gi", "--out", str(tmp_path / "m.json")])
    spec = json.loads((tmp_path / "m.json").read_text())
    assert result.exit_code == 0 and len(spec["data"]["values"]) == 1388
    result = runner.invoke(app, ["map", "--db", str(db), "--to", "2021-03", "--out", str(tmp_path / "w.png")])
    assert result.exit_code == 2 and "a ward map needs the ward lookup" in result.stderr
