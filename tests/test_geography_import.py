"""Geography import from the real open files in ../shared/data/real, placement and ward rates."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely

from stalking_profile.errors import GeographyError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.spatial.assign import place_crimes
from stalking_profile.spatial.geography import default_lsoas
from stalking_profile.spatial.imports import import_imd, import_lookup, import_ward_population, latest_layer
from stalking_profile.store.connection import Store
from tests.conftest import SHARED, rows_of, write_csv

REAL = SHARED / "data" / "real"
LOOKUP20 = REAL / "lookups" / "LSOA11_WD20_LAD20_EW_LU.csv"
LOOKUP21 = REAL / "lookups" / "LSOA11_WD21_LAD21_EW_LU.csv"
WARD_POP = REAL / "population" / "ward2020_mid2020_sape23dt8a_persons.csv"
IMD = REAL / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"

needs_real = pytest.mark.skipif(
    not REAL.is_dir() and not os.environ.get("CI"),
    reason="the real open data lives in ../shared/data/real (present for developers and CI)",
)


@pytest.fixture
def areas() -> object:
    return default_lsoas()


@needs_real
def test_real_files_import_and_match(store: Store) -> None:
    force = load_force()
    lookup = import_lookup(store, LOOKUP20, force)
    assert (lookup.rows, lookup.vintage) == (1388, "LSOA11/WD20")
    population = import_ward_population(store, WARD_POP, force)
    assert population.rows == 124 and population.unmatched == ()  # every ward matched by authority and name
    totals = latest_layer(store, "ward_population").group_by("district").aggregate(
        n=lambda t: t.population.sum()).order_by("district").to_pyarrow().to_pylist()
    assert [r["n"] for r in totals] == [542128, 211439, 441290, 798786, 351592]  # PROVENANCE.md, mid-2020
    imd = import_imd(store, IMD, force)
    assert imd.rows == 1388 and imd.unmatched == ()
    deciles = latest_layer(store, "imd").imd_decile.to_pyarrow().to_pylist()
    assert min(deciles) == 1 and max(deciles) == 10
    assert import_lookup(store, LOOKUP21, force).rows == 1388  # the 2021 vintage reads too
    wards = latest_layer(store, "lookup").to_pyarrow()
    assert len(set(wards["ward_code"].to_pylist())) == 124


@needs_real
def test_population_needs_the_lookup(store: Store) -> None:
    with pytest.raises(GeographyError, match="needs the LSOA-to-ward lookup first"):
        import_ward_population(store, WARD_POP, load_force())


def _shared_edge_point(areas: object) -> tuple[float, float, int, int]:
    polys = areas.polygons  # type: ignore[attr-defined]
    tree = shapely.STRtree(polys)
    for i in range(len(polys)):
        for j in tree.query(polys[i], predicate="touches"):
            edge = shapely.intersection(polys[i].boundary, polys[j].boundary)
            if edge.length > 0:
                mid = shapely.line_interpolate_point(shapely.line_merge(edge) if edge.geom_type != "LineString"
                                                     else edge, 0.5, normalized=True)
                return mid.x, mid.y, i, int(j)
    raise AssertionError("no shared edge found")


def test_every_route_and_every_failure_is_counted(areas: object) -> None:
    lon, lat, i, j = _shared_edge_point(areas)
    inside = areas.centroids[0]  # type: ignore[attr-defined]
    crimes = pa.table({
        "crime_ref": ["ward", "badward", "lsoa", "foreign", "wgs", "edge", "bng", "nowhere", "none"],
        "ward_code": ["W1", "W9", None, None, None, None, None, None, None],
        "lsoa_code": [None, None, areas.codes[3], "E01000001", None, None, None, None, None],  # type: ignore
        "latitude": [None, None, None, None, inside[1], lat, None, 53.5005, None],
        "longitude": [None, None, None, None, inside[0], lon, None, -1.1605, None],
        "easting": [None, None, None, None, None, None, 430000.0, None, None],
        "northing": [None, None, None, None, None, None, 433500.0, None, None],
    })
    lookup = pa.table({"lsoa_code": list(areas.codes), "ward_code": ["W1"] * len(areas.codes)})  # type: ignore
    placed = {r["crime_ref"]: r for r in place_crimes(crimes, areas, lookup).to_pylist()}  # type: ignore[arg-type]
    assert placed["ward"]["placed_by"] == "ward_code"
    assert placed["badward"]["placed_by"] == "unplaced: unknown ward code"
    assert (placed["lsoa"]["placed_by"], placed["lsoa"]["lsoa_code"]) == ("lsoa_code", areas.codes[3])  # type: ignore
    assert placed["foreign"]["placed_by"] == "unplaced: LSOA not in the force"
    assert (placed["wgs"]["placed_by"], placed["wgs"]["lsoa_code"]) == ("coordinates", areas.codes[0])  # type: ignore
    assert placed["edge"]["lsoa_code"] == areas.codes[min(i, j)]  # type: ignore  # one LSOA, the first listed
    assert placed["bng"]["placed_by"] == "coordinates" and placed["bng"]["ward_code"] == "W1"
    assert placed["nowhere"]["placed_by"] == "unplaced: coordinates outside every LSOA"
    assert placed["none"]["placed_by"] == "unplaced: no location"
    reversed_table = place_crimes(crimes.take(np.arange(8, -1, -1)), areas, lookup)  # type: ignore[arg-type]
    assert {r["crime_ref"]: r["lsoa_code"] for r in reversed_table.to_pylist()}["edge"] == placed["edge"]["lsoa_code"]


@needs_real
def test_ward_rates_in_the_profile(tmp_path: Path, store: Store, areas: object) -> None:
    force = load_force()
    options = IngestOptions(force=force, today=dt.date(2022, 2, 15))
    lsoas = list(areas.codes[:40])  # type: ignore[attr-defined]
    rows = rows_of(*[{"lsoa_code": code, "domestic_flag": "Y" if k % 3 else "N"} for k, code in enumerate(lsoas)],
                   *[{"offence_code": "8L", "lsoa_code": lsoas[0]}] * 3)
    ingest(write_csv(tmp_path / "w.csv", rows), store, options)
    before = build_profile(store, ProfileRequest(to="2021-03"))
    assert before.tables["wards"].num_rows == 0
    assert any("geography import --lookup" in n for n in before.notes)
    import_lookup(store, LOOKUP20, force)
    import_ward_population(store, WARD_POP, force)
    profile = build_profile(store, ProfileRequest(to="2021-03"))
    wards = profile.tables["wards"].to_pylist()
    stalking = [w for w in wards if w["offence_family"] == "stalking"]
    assert len(stalking) == 124 and {w["district"] for w in stalking} == set(force.district_codes)
    assert sum(w["crimes"] for w in stalking) == 40
    busiest = max(stalking, key=lambda w: w["crimes"])
    assert busiest["rate_per_1000"] == round(1000 * busiest["crimes"] / busiest["population"], 2)
    assert sum(w["crimes"] for w in wards if w["offence_family"] == "harassment") == 3
    placement = {(r["offence_family"], r["placed_by"]): r["crimes"] for r in profile.tables["placement"].to_pylist()}
    assert placement == {("stalking", "lsoa_code"): 40, ("harassment", "lsoa_code"): 3,
                         ("domestic_abuse", "lsoa_code"): 29}


def test_online_crimes_at_the_suspects_home_can_leave_the_map(tmp_path: Path, store: Store, areas: object) -> None:
    code = areas.codes[5]  # type: ignore[attr-defined]
    rows = rows_of(*[{"lsoa_code": code}] * 4,
                   *[{"lsoa_code": code, "location_basis": "suspect_home", "cyber_flag": "Y"}] * 3,
                   {"lsoa_code": code, "location_basis": "suspect_home", "cyber_flag": "N"})
    ingest(write_csv(tmp_path / "o.csv", rows), store, IngestOptions(force=load_force(), today=dt.date(2022, 2, 15)))
    shown = build_profile(store, ProfileRequest(to="2021-03"))
    left = build_profile(store, ProfileRequest(to="2021-03", exclude_suspect_home_online=True))
    count = {p.tables["placement"].to_pylist()[0]["crimes"] for p in (shown, left)}
    assert count == {8, 5}
    assert any("3 cyber-enabled crimes recorded at the suspect's home (3 stalking) are left off" in n
               for n in left.notes)
    assert any("--exclude-suspect-home-online leaves them off" in n for n in shown.notes)


@needs_real
def test_boundaries_import_and_draw(tmp_path: Path, store: Store) -> None:
    from stalking_profile.spatial.imports import boundary_polygons, import_boundaries

    force = load_force()
    with pytest.raises(GeographyError, match="need the LSOA-to-ward lookup first"):
        import_boundaries(store, REAL / "boundaries" / "wd22_wards_north_of_england.geojson", "ward", force)
    import_lookup(store, LOOKUP20, force)
    wards = import_boundaries(store, REAL / "boundaries" / "wd22_wards_north_of_england.geojson", "ward", force)
    assert (wards.rows, wards.unmatched, wards.vintage) == (124, (), "WD22")  # 2020 and 2022 codes agree here
    files = sorted((REAL / "boundaries" / "lsoa11_by_lad").glob("*.json"))
    lsoas = import_boundaries(store, files, "lsoa", force)
    assert (lsoas.rows, lsoas.unmatched) == (1388, ())
    with pytest.raises(GeographyError, match="none of the lookup's ward codes"):  # Leeds was re-warded in 2018
        import_boundaries(store, REAL / "boundaries" / "wards_wd13_by_lad" / "E08000035.json", "ward", force)
    assert boundary_polygons(store, "ward") is not None  # the good import stays in use
    codes, _names, polygons = boundary_polygons(store, "lsoa")  # type: ignore[misc]
    assert len(codes) == 1388 and all(p.is_valid for p in polygons)


@needs_real
def test_lsoa_population_gives_lsoa_rates(tmp_path: Path, store: Store, areas: object) -> None:
    from stalking_profile.spatial.imports import import_lsoa_population

    force = load_force()
    import_lookup(store, LOOKUP20, force)
    done = import_lsoa_population(store, REAL / "population" / "lsoa11_mid2019_population_all_ages_SAPE22DT2.csv",
                                  force)
    assert (done.rows, done.unmatched) == (1388, ())
    population = latest_layer(store, "lsoa_population").to_pyarrow()
    assert sum(population["population"].to_pylist()) == 2332469  # PROVENANCE.md, mid-2019 West Yorkshire
    rows = rows_of(*[{"lsoa_code": c} for c in list(areas.codes)[:50]])  # type: ignore[attr-defined]
    ingest(write_csv(tmp_path / "p.csv", rows), store, IngestOptions(force=force, today=dt.date(2022, 2, 15)))
    hotspots = build_profile(store, ProfileRequest(to="2021-03")).tables["hotspots"].to_pylist()
    lsoa = [r for r in hotspots if r["level"] == "lsoa" and r["offence_family"] == "stalking"]
    assert {r["measure"] for r in lsoa} == {"rate_per_1000"}
    first = next(r for r in lsoa if r["area_code"] == areas.codes[0])  # type: ignore[attr-defined]
    people = dict(zip(*population.to_pydict().values(), strict=True))[first["area_code"]]
    assert first["value"] == pytest.approx(1000 / people)


@needs_real
def test_lookup_lsoas_outside_the_default_geography_are_reported(tmp_path: Path, store: Store) -> None:
    text = LOOKUP20.read_text(encoding="utf-8-sig").replace("E01011229", "E01099999")  # a Leeds LSOA renamed
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    done = import_lookup(store, path, load_force())
    assert done.unmatched == ("E01099999",)
