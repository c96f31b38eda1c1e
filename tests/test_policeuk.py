"""police.uk street-level files as a public context layer, from the real files in ../shared."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stalking_profile.errors import InputFileError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.ingest.policeuk import ingest_policeuk
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.spatial.geography import default_lsoas
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from tests.conftest import rows_of, write_csv
from tests.test_geography_import import REAL, needs_real

CITY = REAL / "policeuk" / "other-forces" / "city-of-london"
BRADFORD = REAL / "policeuk" / "west-yorkshire" / "databradford_street_crime_sample_bradford_2020-11_2020-12.csv"


@needs_real
def test_both_layouts_read_and_repeated_ids_are_kept(store: Store) -> None:
    months = sorted(CITY.glob("2020-0*-city-of-london-street.csv"))
    rows = 0
    for path in months:
        done = ingest_policeuk(path, store)
        rows += done.rows
        assert done.rows == len(path.read_text().splitlines()) - 1  # every row, repeated Crime IDs included
    assert ingest_policeuk(months[0], store).already_imported
    bradford = ingest_policeuk(BRADFORD, store)  # the snake_case layout with year and month columns
    assert bradford.months == ("2020-11", "2020-12")
    t = store.table(tables.POLICEUK)
    assert t.count().to_pyarrow().as_py() == rows + bradford.rows
    ids = t.filter(t.crime_id.notnull()).crime_id
    assert ids.count().to_pyarrow().as_py() > ids.nunique().to_pyarrow().as_py()  # not unique, and not dropped


def test_not_a_policeuk_file(tmp_path: Path, store: Store) -> None:
    path = write_csv(tmp_path / "x.csv", rows_of({}))
    with pytest.raises(InputFileError, match=r"not a police\.uk street-level file"):
        ingest_policeuk(path, store)


@needs_real
def test_comparison_with_the_force_data(tmp_path: Path, store: Store) -> None:
    areas = default_lsoas()
    bradford = [c for c, d in zip(areas.codes, areas.district_codes, strict=True) if d == "BD"]
    rows = rows_of(*[{"lsoa_code": c, "recorded_date": "2020-11-20"} for c in bradford[:60]])
    ingest(write_csv(tmp_path / "f.csv", rows), store, IngestOptions(today=dt.date(2022, 2, 15)))
    ingest_policeuk(BRADFORD, store)
    profile = build_profile(store, ProfileRequest(period="2020-11-01:2020-12-31"))
    [row] = profile.tables["policeuk_comparison"].to_pylist()
    assert row["level"] == "lsoa" and row["compared_with"].startswith("police.uk violence and sexual offences")
    assert "public proxy" in row["sentence"] and row["areas"] == 1388
    assert any("Open Government Licence" in n and "data.police.uk" in n for n in profile.notes)


def test_the_2012_layout_with_grid_references(tmp_path: Path, store: Store) -> None:
    areas = default_lsoas()
    from pyproj import Transformer

    lon, lat = areas.centroids[10]
    easting, northing = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    path = tmp_path / "2012-01-west-yorkshire-street.csv"
    path.write_text("Crime ID,Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context\n"
                    f",2012-01,West Yorkshire Police,West Yorkshire Police,{easting:.0f},{northing:.0f},"
                    "On or near Somewhere,Violent crime,\n"
                    ",2012-01,West Yorkshire Police,West Yorkshire Police,530000,180000,On or near London,"
                    "Burglary,\n")
    assert ingest_policeuk(path, store).rows == 2
    rows = store.table(tables.POLICEUK).order_by("row_number").to_pyarrow().to_pylist()
    assert rows[0]["lsoa_code"] == areas.codes[10] and rows[0]["latitude"] == pytest.approx(lat, abs=1e-3)
    assert rows[1]["lsoa_code"] is None  # outside the force: kept, not placed
