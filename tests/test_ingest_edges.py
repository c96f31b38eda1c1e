"""Edge cases found in review: superseded re-imports, rejects files, redaction, awkward files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from stalking_profile.errors import ConfigError, InputFileError, KeyMismatchError, StoreError
from stalking_profile.ingest import pseudonymise
from stalking_profile.ingest.mapping import load_mapping
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.store import loader, tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.store.migrations import SCHEMA_VERSION
from tests.conftest import rows_of, write_csv


def _current(store: Store) -> dict[str, dict[str, object]]:
    return {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}


def test_a_superseded_file_imported_again_becomes_current(tmp_path: Path, store: Store,
                                                          options: IngestOptions) -> None:
    jan = write_csv(tmp_path / "jan.csv", rows_of({}, {}))
    ingest(jan, store, options)
    ingest(write_csv(tmp_path / "feb.csv", rows_of({"outcome": "15: X"}, {})), store, options)
    assert _current(store)["C1"]["outcome_type"] == "15"
    again = ingest(jan, store, options)  # the right file after a wrong one
    assert not again.already_imported and (again.rows_changed, again.rows_unchanged) == (1, 1)
    assert _current(store)["C1"]["outcome_type"] is None
    assert ingest(jan, store, options).already_imported  # now it is the latest: a no-op


def test_a_conflicting_copy_is_rejected_even_when_the_other_is_invalid(tmp_path: Path, store: Store,
                                                                       options: IngestOptions) -> None:
    rows = rows_of({}, {"recorded_date": "never", "district": "LD"})
    rows[1]["crime_ref"] = "C1"
    result = ingest(write_csv(tmp_path / "d.csv", rows), store, options)
    assert (result.rows_accepted, result.rows_rejected) == (0, 2)


def test_rejects_file_is_owner_only_and_only_written_with_the_batch(
    tmp_path: Path, store: Store, options: IngestOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "r.csv", rows_of({}, {"district": "XX"}))
    with pytest.raises(InputFileError, match="for the rejects file does not exist"):
        ingest(path, store, dataclasses.replace(options, rejects_path=tmp_path / "nowhere" / "r.csv"))
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 0

    def failing(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    target = tmp_path / "rejects.csv"
    monkeypatch.setattr("stalking_profile.ingest.pipeline.write_batch", failing)
    with pytest.raises(RuntimeError):
        ingest(path, store, dataclasses.replace(options, rejects_path=target))
    assert not target.exists() and not list(tmp_path.glob(".rejects.csv.*"))
    monkeypatch.undo()
    ingest(path, store, dataclasses.replace(options, rejects_path=target))
    assert target.stat().st_mode & 0o777 == 0o600


def test_reasons_do_not_quote_free_values(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "p.csv", rows_of({"victim_age": "12/05/1988", "victim_sex": "Jane Doe",
                                                  "relationship": "ex of Jane Doe", "recorded_date": "32/01/2021"}))
    ingest(path, store, options)
    reasons = " ".join(store.table(tables.ROW_ISSUES).reason.to_pyarrow().to_pylist())
    assert "Jane" not in reasons and "1988" not in reasons
    assert "victim_age (a value of 10 characters, not shown) cannot be read" in reasons
    assert "recorded_date '32/01/2021' cannot be read" in reasons  # dates and codes are quoted


def test_warnings_count_only_accepted_rows(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    result = ingest(write_csv(tmp_path / "w.csv", rows_of({"victim_age": "x", "district": "XX"})), store, options)
    assert (result.rows_accepted, result.rows_warned) == (0, 0)


def test_person_ids_ignore_case_and_names_their_accents(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "p.csv", rows_of({"victim_id": "n100", "victim_name": "José García"},
                                                 {"victim_id": "N100", "victim_name": "GARCIA, Jose"}))
    ingest(path, store, options)
    crimes = _current(store)
    assert crimes["C1"]["victim_id"] == crimes["C2"]["victim_id"]
    tokens = store.table(tables.LINKAGE_TOKENS).to_pyarrow().to_pylist()
    assert tokens[0]["full_name"] == tokens[1]["full_name"] and tokens[0]["surname"] == tokens[1]["surname"]


def test_zero_coordinates_and_outcome_spellings(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "z.csv", rows_of({"latitude": "0", "longitude": "0", "outcome": "15 - named"},
                                                 {"outcome": "15:Named"}))
    result = ingest(path, store, options)
    assert (result.rows_accepted, result.rows_warned) == (2, 1)
    crimes = _current(store)
    assert crimes["C1"]["latitude"] is None
    assert crimes["C1"]["outcome"] == crimes["C2"]["outcome"] == "15: NAMED"


def test_awkward_files(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    tsv = write_csv(tmp_path / "x.tsv", rows_of({}), delimiter="\t")
    assert ingest(tsv, store, options).rows_accepted == 1
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = book.add_worksheet()
    header = ["crime_ref", "recorded_date", "offence_code", "district", "domestic_flag", "", "", "Notes"]
    for c, h in enumerate(header):
        sheet.write(0, c, h)
    for c, v in enumerate(["X1", "2021-01-01", "8Q", "KD", "N", "", "stray", "note"]):
        if v:
            sheet.write(1, c, v)
    book.close()
    result = ingest(tmp_path / "x.xlsx", store, options)
    assert result.rows_accepted == 1 and result.ignored_columns == ["column_7", "Notes"]
    stamp = pa.array([dt.datetime(2021, 5, 31, 23, 30, tzinfo=dt.UTC)], pa.timestamp("us", tz="Europe/London"))
    aware = pa.table({"crime_ref": ["P1"], "recorded_date": stamp, "offence_code": ["8Q"], "district": ["BD"],
                      "domestic_flag": [True]})
    pq.write_table(aware, tmp_path / "aware.parquet")
    assert ingest(tmp_path / "aware.parquet", store, options).rows_accepted == 1
    assert str(_current(store)["P1"]["recorded_date"]) == "2021-06-01"  # the local date in London
    pq.write_table(aware.append_column("tags", pa.array([["a"]])), tmp_path / "lists.parquet")
    with pytest.raises(InputFileError, match="column 'tags' holds list"):
        ingest(tmp_path / "lists.parquet", store, options)


@pytest.mark.parametrize(
    ("content", "message"),
    [('[columns]\ncrime_ref = 5\n', "must be a header name"), (b"[columns]\ncrime_ref = '\xff'\n", "not UTF-8")],
    ids=["number", "latin-1"],
)
def test_bad_mapping_files(content: str | bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=message):
        load_mapping(path)


def test_bad_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STALKING_PROFILE_KEY", "  ")
    with pytest.raises(ConfigError, match="set but empty"):
        pseudonymise.load_key()
    monkeypatch.setenv("STALKING_PROFILE_KEY", "twenty-nine characters long!")
    with pytest.raises(ConfigError, match="at least 32 are needed"):
        pseudonymise.load_key()
    monkeypatch.delenv("STALKING_PROFILE_KEY")
    key_file = Path(os.environ["STALKING_PROFILE_KEY_FILE"])
    key_file.write_bytes(b"\xff\xfe not a key")
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="cannot be read as a key"):
        pseudonymise.load_key()
    key_file.write_text("ab" * 32)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="can be read by other users"):
        pseudonymise.load_key()


def test_stores_that_are_not_ours_or_half_made(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE crimes (x INTEGER)")
    with pytest.raises(StoreError, match="did not make"):
        open_store(str(foreign))
    half = tmp_path / "half.duckdb"
    with open_store(str(half)) as s:  # simulate a first migration cut short after two tables
        s.con.raw_sql("DROP VIEW current_crimes; DROP TABLE linkage_tokens; DELETE FROM schema_migrations")
    with open_store(str(half)) as s:
        assert s.schema_version == SCHEMA_VERSION and tables.LINKAGE_TOKENS in s.con.list_tables()
    with pytest.raises(StoreError, match="there is no store"):
        open_store(str(tmp_path / "absent.duckdb"), create=False)


def test_key_check_is_one_function() -> None:
    loader.check_key(None, "ab12")
    loader.check_key("ab12", "ab12")
    with pytest.raises(KeyMismatchError, match="another pseudonymisation key"):
        loader.check_key("ab12", "cd34")


def test_blank_lines_keep_row_numbers(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "b.csv", rows_of({}, {"district": "XX"}))
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", lines[2], ",,,,,,,", ""]) + "\n")
    result = ingest(path, store, options)
    assert (result.rows_read, result.rows_rejected, result.rows_blank) == (2, 1, 3)  # lines 3, 5 and 6
    issues = store.table(tables.ROW_ISSUES).to_pyarrow().to_pylist()
    assert [i["row_number"] for i in issues] == [4]  # the fourth line of the file


def test_a_file_imported_meanwhile_by_another_process_is_refused(
    tmp_path: Path, store: Store, options: IngestOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "a.csv", rows_of({}))
    ingest(path, store, options)
    # as if a second process had passed the first check before the first one committed
    monkeypatch.setattr("stalking_profile.ingest.pipeline._previous_import", lambda *_a: None)
    with pytest.raises(StoreError, match="imported by another process"):
        ingest(path, store, options)
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 1
