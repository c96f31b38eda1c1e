"""The same imports give the same store on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.store import tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.store.info import store_info
from tests.conftest import fresh_pg_url, rows_of, write_csv

FIRST = rows_of(
    {"victim_name": "Ada Example", "victim_dob": "1990-01-02", "mo_text": 'texts, "calls",\nand a new line'},
    {"district": "LD", "domestic_flag": "N", "outcome": "18: INVESTIGATION COMPLETE NO SUSPECT IDENTIFIED"},
    {"district": "XX"},
    {"recorded_date": "2020-10-01", "latitude": "53.79", "longitude": "-1.75", "victim_age": "27"},
    {"offence_code": "8L", "relationship": "ex partner", "arrest_made": "Y", "arrest_date": "06/03/2021"},
)
SECOND = rows_of({}, {"district": "LD", "domestic_flag": "N", "outcome": "14: VICTIM DECLINES"}, {}, {}, {}, {})


def _snapshot(store: Store) -> dict[str, list[dict[str, object]]]:
    current = store.current_crimes().order_by("crime_ref").to_pyarrow()
    issues = store.table(tables.ROW_ISSUES).order_by(["batch_id", "row_number", "column_name"]).to_pyarrow()
    batches = store.table(tables.BATCHES).drop("started_at", "finished_at", "tool_version").order_by("batch_id")
    tokens = store.table(tables.LINKAGE_TOKENS).order_by(["crime_ref", "role", "batch_id"]).to_pyarrow()
    rejected = store.table(tables.REJECTED_ROWS).order_by(["batch_id", "row_number"]).to_pyarrow()
    return {
        "rejected": rejected.to_pylist(),
        "meta": store.table(tables.META).order_by("key").to_pyarrow().to_pylist(),
        "current": current.to_pylist(),
        "issues": issues.to_pylist(),
        "batches": batches.to_pyarrow().to_pylist(),
        "tokens": tokens.to_pylist(),
        "as_of_1": store.current_crimes(as_of=1).order_by("crime_ref").to_pyarrow().to_pylist(),
    }


def _load(store: Store, tmp_path: Path) -> None:
    opts = IngestOptions(force=load_force(), today=dt.date(2022, 2, 15))
    ingest(write_csv(tmp_path / "first.csv", FIRST), store, opts)
    ingest(write_csv(tmp_path / "second.csv", SECOND), store, opts)
    assert ingest(tmp_path / "second.csv", store, opts).already_imported


def test_store_round_trip(any_store: Store, tmp_path: Path) -> None:
    _load(any_store, tmp_path)
    snap = _snapshot(any_store)
    assert [b["rows_new"] for b in snap["batches"]] == [4, 2]
    assert [b["rows_changed"] for b in snap["batches"]] == [0, 4]
    assert [r["crime_ref"] for r in snap["current"]] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert snap["as_of_1"][0]["mo_text"] == 'texts, "calls",\nand a new line'
    info = store_info(any_store)
    assert info.row_counts["crimes"] == 4 + 2 + 4 and info.row_counts["current_crimes"] == 6
    volumes = build_profile(any_store, ProfileRequest(period="2021-01-01:2021-12-31")).tables["volumes"]
    force = [(r["domestic"], r["current"]) for r in volumes.to_pylist() if r["district"] == "Force"]
    assert force == [("All", 6), ("Domestic", 5), ("Non-Domestic", 1)]


def test_duckdb_and_postgres_give_identical_stores(tmp_path: Path) -> None:
    url = fresh_pg_url()
    snaps = []
    for target in (str(tmp_path / "p.duckdb"), url):
        with open_store(target) as store:
            _load(store, tmp_path)
            snaps.append(_snapshot(store))
    for name in snaps[0]:
        assert snaps[0][name] == snaps[1][name], name
    assert snaps[0]["rejected"] and snaps[0]["tokens"]  # the comparison covers rows, not empty lists
