"""Ingest: every rejection reason, the accounting, versions, re-import, all-or-nothing."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import ibis
import pytest

from stalking_profile.errors import InputFileError, KeyMismatchError, MissingColumnError
from stalking_profile.ingest import pipeline
from stalking_profile.ingest.mapping import load_mapping
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.store import loader, tables
from stalking_profile.store.connection import Store, open_store
from tests.conftest import rows_of, write_csv


def _issues(store: Store) -> list[tuple[int, str, str, str]]:
    t = store.table(tables.ROW_ISSUES).order_by(["row_number", "column_name"]).to_pyarrow().to_pylist()
    return [(r["row_number"], r["column_name"], r["severity"], r["reason"]) for r in t]


REJECTIONS = [
    pytest.param({"crime_ref": ""}, "crime_ref", "missing crime_ref (required)", id="missing-crime-ref"),
    pytest.param({"recorded_date": ""}, "recorded_date", "missing recorded_date (required)", id="missing-date"),
    pytest.param({"recorded_date": "31/02/2021"}, "recorded_date", "'31/02/2021' cannot be read", id="impossible-date"),
    pytest.param({"recorded_date": "March 5th"}, "recorded_date", "'March 5th' cannot be read", id="unparseable-date"),
    pytest.param({"recorded_date": "05/03/21"}, "recorded_date", "'05/03/21' cannot be read", id="two-digit-year"),
    pytest.param({"recorded_date": "2023-01-01"}, "recorded_date", "is after today (2022-02-15)", id="future-date"),
    pytest.param({"arrest_date": "2022-03-01"}, "arrest_date", "is after today", id="future-arrest-date"),
    pytest.param({"committed_date": "yesterday"}, "committed_date", "'yesterday' cannot be read", id="bad-committed"),
    pytest.param({"district": "XX"}, "district", "unknown district 'XX' (use one of BD, CD, KD, LD, WD)",
                 id="unknown-district"),
    pytest.param({"offence_code": ""}, "offence_code", "missing offence_code", id="missing-offence"),
    pytest.param({"domestic_flag": "maybe"}, "domestic_flag", "'maybe' cannot be read (use Y/N", id="bad-flag"),
    pytest.param({"outcome": "CHARGED"}, "outcome", "'CHARGED' cannot be read (use a Home Office outcome",
                 id="outcome-without-code"),
    pytest.param({"outcome": "23: NOT A TYPE"}, "outcome", "'23: NOT A TYPE' cannot be read", id="outcome-23"),
    pytest.param({"latitude": "51.5", "longitude": "-0.12"}, "longitude", "is outside the West Yorkshire Police area",
                 id="coordinates-outside"),
    pytest.param({"easting": "530000", "northing": "180000"}, "easting", "is outside the West Yorkshire Police area",
                 id="grid-outside"),
    pytest.param({"latitude": "53.8"}, "longitude", "must both be given", id="half-coordinates"),
    pytest.param({"latitude": "north"}, "latitude", "'north' cannot be read", id="bad-latitude"),
]


@pytest.mark.parametrize(("override", "column", "reason"), REJECTIONS)
def test_each_rejection_reason_rejects_only_its_row(
    override: dict[str, str], column: str, reason: str, tmp_path: Path, store: Store, options: IngestOptions
) -> None:
    path = write_csv(tmp_path / "x.csv", rows_of({}, override, {}))
    result = ingest(path, store, options)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    errors = [i for i in _issues(store) if i[2] == "error"]
    assert [(row, col) for row, col, _, _ in errors] == [(3, column)]
    assert reason in errors[0][3]
    rejected = store.table(tables.REJECTED_ROWS).to_pyarrow().to_pylist()
    assert [r["row_number"] for r in rejected] == [3] and reason in rejected[0]["reasons"]
    assert sorted(store.current_crimes().crime_ref.to_pyarrow().to_pylist()) == ["C1", "C3"]


def test_duplicate_crime_refs(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    rows = rows_of({}, {}, {}, {}, {})
    rows[1]["crime_ref"] = "C1"  # identical copy of row 2
    rows[3]["crime_ref"] = "C3"  # same ref as row 4 with other values: conflict
    rows[3]["district"] = "LD"
    result = ingest(write_csv(tmp_path / "d.csv", rows), store, options)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (5, 2, 3)
    reasons = {row: reason for row, _, _, reason in _issues(store)}
    assert reasons[3] == "identical copy of row 2 (same crime_ref and values); the first copy was kept"
    assert reasons[4].startswith("crime_ref 'C3' appears on rows 4, 5 with different values")
    assert 5 in reasons
    assert sorted(store.current_crimes().crime_ref.to_pyarrow().to_pylist()) == ["C1", "C5"]


def test_warnings_blank_the_value_and_keep_the_row(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "w.csv", rows_of({"victim_age": "abc", "relationship": "ex-partner"},
                                                 {"relationship": "lodger", "risk_level": "HIGH", "outcome": "0"}))
    result = ingest(path, store, options)
    assert (result.rows_accepted, result.rows_rejected, result.rows_warned) == (2, 0, 2)
    got = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert got["C1"]["victim_age"] is None and got["C1"]["relationship"] == "former_partner"
    assert got["C2"]["relationship"] is None and got["C2"]["risk_level"] == "high"
    assert got["C2"]["outcome"] is None and got["C2"]["outcome_type"] is None
    assert {(row, col) for row, col, sev, _ in _issues(store) if sev == "warning"} == {
        (2, "victim_age"), (3, "relationship"), (3, "outcome")}


def test_values_are_parsed_into_types(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "t.csv", rows_of(
        {"recorded_date": "05/03/2021", "district": "Leeds", "domestic_flag": "no", "outcome":
         "15: police - named suspect,  victim supports", "victim_age": "23", "latitude": "53.8", "longitude": "-1.55"},
        {"district": "e08000036", "outcome": "1a", "offence_code": " 8q "},
        {"outcome": "15B: SOMETHING NEW"},
    ))
    ingest(path, store, options)
    got = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert str(got["C1"]["recorded_date"]) == "2021-03-05" and got["C1"]["district"] == "LD"
    assert got["C1"]["domestic_flag"] is False and got["C1"]["victim_age"] == 23
    assert got["C1"]["outcome"] == "15: POLICE - NAMED SUSPECT, VICTIM SUPPORTS" and got["C1"]["outcome_type"] == "15"
    assert (got["C2"]["district"], got["C2"]["outcome_type"], got["C2"]["offence_code"]) == ("WD", "1A", "8Q")
    assert got["C3"]["outcome_type"] == "15B"


def test_reimport_of_same_file_is_a_noop(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "a.csv", rows_of({}, {}))
    first = ingest(path, store, options)
    second = ingest(path, store, options)
    assert second.already_imported and second.batch_id == first.batch_id == 1
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 1
    assert store.table(tables.CRIMES).count().to_pyarrow().as_py() == 2


def test_changed_records_become_new_versions(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    ingest(write_csv(tmp_path / "jan.csv", rows_of({}, {}, {})), store, options)
    later = rows_of({}, {"outcome": "16: VICTIM DECLINES"}, {}, {})
    result = ingest(write_csv(tmp_path / "feb.csv", later), store, options)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (1, 1, 2)
    assert store.table(tables.CRIMES).count().to_pyarrow().as_py() == 5
    current = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert current["C2"]["outcome_type"] == "16" and current["C2"]["batch_id"] == 2
    as_of_1 = {r["crime_ref"]: r for r in store.current_crimes(as_of=1).to_pyarrow().to_pylist()}
    assert sorted(as_of_1) == ["C1", "C2", "C3"] and as_of_1["C2"]["outcome_type"] is None
    ingest(write_csv(tmp_path / "mar.csv", rows_of({}, {"outcome": "15: EVIDENTIAL DIFFICULTIES"}, {}, {})),
           store, options)  # a third version of C2

    def versions(t: ibis.Table) -> list[tuple[str, int]]:
        return sorted((r["crime_ref"], r["batch_id"]) for r in t.to_pyarrow().to_pylist())

    latest = [("C1", 1), ("C2", 3), ("C3", 1), ("C4", 2)]
    assert versions(store.current_crimes()) == latest
    assert versions(store.table(tables.CURRENT_CRIMES)) == latest  # the view users query agrees
    assert versions(store.current_crimes(as_of=2)) == [("C1", 1), ("C2", 2), ("C3", 1), ("C4", 2)]


def _versions(t: ibis.Table) -> list[tuple[str, int]]:
    return sorted((r["crime_ref"], r["batch_id"]) for r in t.to_pyarrow().to_pylist())


def test_current_crimes_skip_the_version_search_only_where_no_batch_stored_a_second_version(
    tmp_path: Path, store: Store, options: IngestOptions
) -> None:
    ingest(write_csv(tmp_path / "jan.csv", rows_of({}, {}, {})), store, options)
    assert _versions(store.current_crimes(as_of=1)) == [("C1", 1), ("C2", 1), ("C3", 1)]  # kept for batch 1
    assert len(_versions(store.current_crimes(as_of=9))) == 3  # batch 9 is yet to come: not kept
    ingest(write_csv(tmp_path / "feb.csv", rows_of({}, {"outcome": "16: VICTIM DECLINES"}, {}, {})), store, options)
    # batch 2 stored a second version of C2: every later question looks for versions; batch 1's answer stands
    assert _versions(store.current_crimes(as_of=1)) == [("C1", 1), ("C2", 1), ("C3", 1)]
    latest = [("C1", 1), ("C2", 2), ("C3", 1), ("C4", 2)]
    assert _versions(store.current_crimes()) == _versions(store.current_crimes(as_of=2)) == latest
    assert _versions(store.current_crimes(as_of=9)) == latest
    # the version search is skipped on ingest's count alone: a count of 0 is trusted (shown by a false one) ...
    store.con.raw_sql("UPDATE batches SET rows_changed = 0 WHERE batch_id = 2")
    assert _versions(store.current_crimes()) == sorted([*latest, ("C2", 1)])
    # ... and a count unknown (a batch from before counts were kept) means the versions are looked for
    store.con.raw_sql("UPDATE batches SET rows_changed = NULL WHERE batch_id = 2")
    assert _versions(store.current_crimes()) == latest


def test_failed_load_leaves_the_store_as_it_was(
    tmp_path: Path, store: Store, options: IngestOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(write_csv(tmp_path / "a.csv", rows_of({}, {})), store, options)
    before = store.table(tables.CRIMES).count().to_pyarrow().as_py()
    original = loader.move_staged

    def failing_move(tx: object, stage: str, target: str, *args: object, **kw: object) -> None:
        original(tx, stage, target, *args, **kw)  # type: ignore[arg-type]
        if target == tables.ROW_ISSUES:
            raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "move_staged", failing_move)
    with pytest.raises(RuntimeError):
        ingest(write_csv(tmp_path / "b.csv", rows_of({}, {}, {}, {"district": "XX"})), store, options)
    assert store.table(tables.CRIMES).count().to_pyarrow().as_py() == before
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 1
    assert store.table(tables.ROW_ISSUES).count().to_pyarrow().as_py() == 0


def test_killed_import_leaves_the_store_as_it_was(tmp_path: Path, options: IngestOptions) -> None:
    db = tmp_path / "k.duckdb"
    with open_store(str(db)) as s:
        ingest(write_csv(tmp_path / "a.csv", rows_of({}, {})), s, options)
    big = write_csv(tmp_path / "b.csv", rows_of(*[{} for _ in range(500)]))
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from stalking_profile.store import loader, tables
        from stalking_profile.store.connection import open_store
        from stalking_profile.ingest.pipeline import ingest
        original = loader.move_staged
        def killing_move(tx, stage, target, *a, **k):
            original(tx, stage, target, *a, **k)
            if target == tables.CRIMES:
                os.kill(os.getpid(), signal.SIGKILL)
        loader.move_staged = killing_move
        ingest(Path({str(big)!r}), open_store({str(db)!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    with open_store(str(db)) as s:
        assert s.table(tables.CRIMES).count().to_pyarrow().as_py() == 2
        assert s.table(tables.BATCHES).count().to_pyarrow().as_py() == 1
        result = ingest(big, s, options)  # the store still works and the file imports cleanly
        assert result.batch_id == 2 and result.rows_accepted == 500


def test_pseudonymisation(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "p.csv", rows_of(
        {"victim_id": "RAWVICTIM1", "suspect_id": "RAWSUSPECT9", "victim_name": "Zelda Quixote",
         "victim_dob": "1991-07-04", "suspect_name": "Yorick Bramblewood"},
        {"victim_id": "RAWVICTIM1", "suspect_id": "RAWSUSPECT8"},
        {"victim_id": "RAWSUSPECT9", "suspect_id": "", "district": "XX"},
    ))
    ingest(path, store, options)
    crimes = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert crimes["C1"]["victim_id"] == crimes["C2"]["victim_id"]
    assert crimes["C1"]["suspect_id"] != crimes["C2"]["suspect_id"]
    assert len(crimes["C1"]["victim_id"]) == 32
    # the rejected row keeps its values pseudonymised too
    rejected = store.table(tables.REJECTED_ROWS).to_pyarrow().to_pylist()[0]["raw_json"]
    assert crimes["C1"]["suspect_id"] in rejected
    dump = _all_text(store)
    # (a bare "1991" is not searched: it turns up by chance inside the hex tokens)
    for raw in ("RAWVICTIM1", "RAWSUSPECT9", "RAWSUSPECT8", "Zelda", "Quixote", "Yorick", "1991-07-04", "04/07/1991"):
        assert raw.lower() not in dump.lower()
    tokens = {t["role"]: t for t in store.table(tables.LINKAGE_TOKENS).to_pyarrow().to_pylist()}
    assert sorted(tokens) == ["suspect", "victim"]  # one row per crime and role with a name or birth date
    assert tokens["victim"]["crime_ref"] == "C1" and len(tokens["victim"]["surname_phonetic"]) == 32
    assert tokens["victim"]["birth_month"] is not None and tokens["suspect"]["full_name"] is not None
    assert tokens["suspect"]["birth_year"] is None


def test_a_changed_name_is_a_new_version(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    ingest(write_csv(tmp_path / "a.csv", rows_of({"victim_name": "Ann Lee"}, {"victim_name": "Bo Ray"})), store,
           options)
    result = ingest(write_csv(tmp_path / "b.csv", rows_of({"victim_name": "Ann Lee"}, {"victim_name": "Bo Wray"})),
                    store, options)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (0, 1, 1)
    tokens = store.table(tables.LINKAGE_TOKENS).filter(lambda t: t.crime_ref == "C2").order_by("batch_id")
    surnames = tokens.surname_phonetic.to_pyarrow().to_pylist()
    assert len(surnames) == 2 and surnames[0] == surnames[1]  # Ray and Wray sound alike
    assert len(set(tokens.surname.to_pyarrow().to_pylist())) == 2


def _all_text(store: Store) -> str:
    parts = []
    for name in tables.SCHEMAS:
        parts.append(store.table(name).to_pyarrow().to_pandas().to_csv())
    return "\n".join(parts)


def test_same_id_and_key_give_same_token_across_stores(tmp_path: Path, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "p.csv", rows_of({"victim_id": "N42"}))
    tokens = []
    for name in ("one", "two"):
        with open_store(str(tmp_path / f"{name}.duckdb")) as s:
            ingest(path, s, options)
            tokens.append(s.current_crimes().victim_id.to_pyarrow().to_pylist()[0])
    assert tokens[0] == tokens[1]


def test_import_under_another_key_is_refused(
    tmp_path: Path, store: Store, options: IngestOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(write_csv(tmp_path / "a.csv", rows_of({})), store, options)
    monkeypatch.setenv("STALKING_PROFILE_KEY", "a completely different deployment key")
    with pytest.raises(KeyMismatchError, match="another pseudonymisation key"):
        ingest(write_csv(tmp_path / "b.csv", rows_of({}, {})), store, options)
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 1


def test_key_file_is_created_owner_only(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    key_file = Path(os.environ["STALKING_PROFILE_KEY_FILE"])
    assert not key_file.exists()
    ingest(write_csv(tmp_path / "a.csv", rows_of({})), store, options)
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_file_level_problems_write_nothing(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    no_district = [{k: v for k, v in r.items() if k != "district"} for r in rows_of({})]
    with pytest.raises(MissingColumnError, match="required district"):
        ingest(write_csv(tmp_path / "m.csv", no_district), store, options)
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputFileError, match="is empty"):
        ingest(tmp_path / "e.csv", store, options)
    (tmp_path / "h.csv").write_text("crime_ref,recorded_date,offence_code,district,domestic_flag\n")
    with pytest.raises(InputFileError, match="header but no data rows"):
        ingest(tmp_path / "h.csv", store, options)
    assert store.table(tables.BATCHES).count().to_pyarrow().as_py() == 0


def test_mapping_profile_for_another_export(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    path = write_csv(tmp_path / "niche.csv", [
        {"Occurrence Number": "14/1", "Reported Date": "01/06/2021", "HO Class": "8Q", "Division": "Calderdale",
         "DA Flag": "Yes", "Victim URN": "V1", "Clear Up Code": "16: VICTIM DECLINES", "Extra": "x"},
    ])
    result = ingest(path, store, options)  # chosen automatically: the canonical profile misses columns
    assert result.mapping == "niche-example" and result.ignored_columns == ["Extra"]
    row = store.current_crimes().to_pyarrow().to_pylist()[0]
    assert (row["crime_ref"], row["district"], row["outcome_type"]) == ("14/1", "CD", "16")


def test_user_mapping_file(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    (tmp_path / "m.toml").write_text(
        'name = "mine"\n[columns]\ncrime_ref = "Ref"\nrecorded_date = "When"\noffence_code = "Code"\n'
        'district = "Area"\ndomestic_flag = "DA"\n')
    row = {"Ref": "R1", "When": "2021-05-01", "Code": "8L", "Area": "KD", "DA": "0"}
    path = write_csv(tmp_path / "mine.csv", [row])
    opts = dataclasses.replace(options, mapping=load_mapping(tmp_path / "m.toml"))
    assert ingest(path, store, opts).rows_accepted == 1


def test_rejects_file_has_original_values(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    target = tmp_path / "rejects.csv"
    path = write_csv(tmp_path / "r.csv", rows_of({}, {"district": "Narnia", "victim_id": "V9"}))
    opts = dataclasses.replace(options, rejects_path=target)
    result = ingest(path, store, opts)
    assert result.rejects_path == target
    lines = target.read_text().splitlines()
    assert lines[0].endswith('"rejected_row","reasons"')
    assert '"C2"' in lines[1] and '"Narnia"' in lines[1] and '"V9"' in lines[1] and ",3," in lines[1]


def test_pipeline_accounting_holds_on_a_mixed_file(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    overrides = [{}, {"district": "XX"}, {"recorded_date": "bad"}, {"victim_age": "old"}, {}, {"crime_ref": ""}]
    result = ingest(write_csv(tmp_path / "mix.csv", rows_of(*overrides)), store, options)
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 6
    assert result.rows_accepted == result.rows_new + result.rows_changed + result.rows_unchanged == 3
    batch = store.table(tables.BATCHES).to_pyarrow().to_pylist()[0]
    assert (batch["rows_read"], batch["rows_accepted"], batch["rows_rejected"], batch["rows_warned"]) == (6, 3, 3, 1)
    assert batch["source_kind"] == pipeline.SOURCE_KIND
