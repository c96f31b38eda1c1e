"""Officer training: courses and targets, validation, the import, the measures and the CLI (synthetic data)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from stalking_profile.errors import ConfigError, MissingColumnError
from stalking_profile.force import load_force
from stalking_profile.ingest.pseudonymise import PseudonymKey, load_key
from stalking_profile.store import records, tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.training.courses import TRAINING_ENV, load_training, parse_training
from stalking_profile.training.imports import import_training
from stalking_profile.training.measures import completions_by_month, training_table
from stalking_profile.training.validate import validate_training
from tests.conftest import TODAY, run_cli, write_csv

KEY = PseudonymKey(b"a training test key of 32 bytes.")


def row(officer: str, course: str, district: str, date: str, team: str = "") -> dict[str, str]:
    return {"officer_id": officer, "course": course, "district": district, "team": team, "completed_date": date}


TRAINING = [
    row("PC1001", "Stalking Investigator", "BD", "2021-01-10", "CID Bradford"),
    row("PC1002", "specialist investigator", "Bradford", "2021-01-20"),   # district by name
    row("PC1003", "stalking_investigator", "LD", "2021-03-05", "Leeds DAST"),
    row("PC1001", "iLearn", "BD", "2020-12-01"),                          # another course: fine
    row("PC1004", "Stalking Champion", "KD", "15/03/2021"),
    row("PC1005", "Stalking Investigator", "WD", "2022-01-31"),           # after the measure date below
]


@pytest.fixture(autouse=True)
def _shipped_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRAINING_ENV, raising=False)


def _count(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


# --- courses and targets -----------------------------------------------------------------------

def test_shipped_courses_and_targets() -> None:
    t = load_training()
    assert t.keys == ("ilearn", "safeguarding_supervisors", "stalking_champion", "stalking_investigator")
    assert t.targets == {"stalking_investigator": {"BD": 17, "CD": 17, "KD": 17, "LD": 17, "WD": 16}}
    assert t.resolve("Safeguarding Supervisors' course") == t.resolve("SSC") == "safeguarding_supervisors"
    assert t.resolve("First aid") is None


def test_another_file_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[courses]]\nkey = "vawg"\nname = "VAWG awareness"\n[targets.vawg]\nbd = 5\n')
    monkeypatch.setenv(TRAINING_ENV, str(path))
    assert load_training().keys == ("vawg",) and load_training().target("vawg", "BD") == 5


@pytest.mark.parametrize(("text", "message"), [
    ("[[courses]\n", "not valid TOML"),
    ("x = 1\n", "lists no courses"),
    ('[[courses]]\nkey = "A b"\nname = "A"\n', "lacks a key"),
    ('[[courses]]\nkey = "a"\nname = "A"\nsynonyms = ["Z"]\n[[courses]]\nkey = "b"\nname = "B"\nsynonyms = ["z"]\n',
     "'z' names both"),
    ('[[courses]]\nkey = "a"\nname = "A"\n[targets.b]\nBD = 1\n', "not a course"),
    ('[[courses]]\nkey = "a"\nname = "A"\n[targets.a]\nBD = "ten"\n', "not whole numbers"),
], ids=["syntax", "none", "bad-key", "shared-synonym", "unknown-target", "bad-target"])
def test_bad_training_files_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_training(text, "mine.toml")


# --- validation (pure: the store is replaced by a small lookup) --------------------------------

STORED = {(KEY.token("PC9", "officer"), "ilearn")}


def _validate(rows: list[dict[str, str]]) -> Any:
    table = pa.table({k: [r.get(k) or None for r in rows] for k in rows[0]})
    table = table.append_column("row_number", pa.array(range(2, len(rows) + 2), pa.int64()))
    return validate_training(table, "t.csv", load_training(), load_force(), TODAY, KEY,
                             lambda tokens: {p for p in STORED if p[0] in tokens})


@pytest.mark.parametrize(("bad", "reason"), [
    (row("PC1", "First aid", "BD", "2021-03-10"), "course 'First aid' is not a known course"),
    (row("PC1", "iLearn", "Manchester", "2021-03-10"), "district 'Manchester' is not one of the force's districts"),
    (row("PC1", "iLearn", "BD", "31/02/2021"), "completed_date '31/02/2021' cannot be read"),
    (row("PC1", "iLearn", "BD", "2022-03-01"), "completed_date 2022-03-01 is after today (2022-02-15)"),
    (row("", "iLearn", "BD", "2021-03-10"), "missing officer_id (required)"),
    (row("PC1", "", "BD", "2021-03-10"), "missing course (required)"),
    (row("PC1", "iLearn", "", "2021-03-10"), "missing district (required)"),
    (row("PC9", "College of Policing iLearn", "BD", "2021-03-10"), "officer already has course ilearn stored"),
], ids=["course", "district", "bad-date", "future", "no-officer", "no-course", "no-district", "stored"])
def test_illegal_rows_are_rejected_with_reasons(bad: dict[str, str], reason: str) -> None:
    checked = _validate([bad])
    assert checked.completions.num_rows == 0 and checked.rejected.num_rows == 1
    assert reason in checked.rejected["reasons"][0].as_py()
    assert checked.rejected["row_number"].to_pylist() == [2]
    assert "PC" not in checked.rejected["reasons"][0].as_py() + checked.rejected["raw_json"][0].as_py()


def test_repeats_in_the_file_are_rejected_and_officers_are_tokens() -> None:
    checked = _validate([*TRAINING, row("PC1001", "specialist stalking investigator", "CD", "2021-02-01")])
    got = checked.completions.to_pylist()
    assert [r["course"] for r in got] == ["stalking_investigator"] * 3 + ["ilearn", "stalking_champion",
                                                                          "stalking_investigator"]
    assert [r["district"] for r in got] == ["BD", "BD", "LD", "BD", "KD", "WD"]
    assert got[0]["officer_token"] == got[3]["officer_token"] == KEY.token("PC1001", "officer")
    assert got[4]["completed_date"] == dt.date(2021, 3, 15) and got[0]["team"] == "CID Bradford"
    assert checked.rejected.to_pylist()[0]["reasons"] == "officer already has course stalking_investigator on row 2"
    assert json.loads(checked.rejected["raw_json"][0].as_py()) == {
        "course": "specialist stalking investigator", "district": "CD", "completed_date": "2021-02-01"}


def test_a_file_without_the_columns_is_refused() -> None:
    with pytest.raises(MissingColumnError, match="has no district, completed_date column"):
        _validate([{"officer_id": "PC1", "course": "iLearn"}])


# --- import ------------------------------------------------------------------------------------

def _stored_text(store: Store) -> str:
    parts = [store.table(name).to_pyarrow().to_pylist() for name in
             (tables.TRAINING_COMPLETIONS, tables.REJECTED_ROWS, tables.ROW_ISSUES, tables.BATCHES)]
    return json.dumps(parts, default=str)


def test_import_accounting_rejects_and_reimport(store: Store, tmp_path: Path) -> None:
    bad = [row("PC2001", "First aid", "BD", "2021-03-10", "Response"), row("PC1003", "Specialist Investigator", "LD",
                                                                            "2021-04-01")]
    path = write_csv(tmp_path / "training.csv", TRAINING + bad)
    r = import_training(path, store, today=TODAY)
    assert (r.batch_id, r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_new, r.rows_unchanged) == (
        1, 8, 6, 2, 6, 0)
    assert r.by_course == {"ilearn": 1, "stalking_champion": 1, "stalking_investigator": 4}
    assert _count(store, tables.TRAINING_COMPLETIONS) == 6
    kept = store.table(tables.REJECTED_ROWS).order_by("row_number").to_pyarrow().to_pylist()
    assert [k["row_number"] for k in kept] == [8, 9] and json.loads(kept[0]["raw_json"]) == {
        "course": "First aid", "district": "BD", "team": "Response", "completed_date": "2021-03-10"}
    assert "officer already has course stalking_investigator on row 4" in kept[1]["reasons"]
    stored = _stored_text(store)
    assert "PC1001" not in stored and "PC2001" not in stored and "PC1003" not in stored
    assert load_key().token("PC1001", "officer") in stored

    again = import_training(path, store, today=TODAY)
    assert again.already_imported and again.batch_id == 1
    assert _count(store, tables.TRAINING_COMPLETIONS) == 6 and _count(store, tables.BATCHES) == 1

    more = write_csv(tmp_path / "more.csv", [TRAINING[0], row("PC1001", "SSC", "BD", "2021-06-01")])
    m = import_training(more, store, today=TODAY)  # the first row was stored by batch 1
    assert (m.rows_accepted, m.rows_rejected, m.batch_id) == (1, 1, 2)
    assert m.problems[0][3] == "officer already has course stalking_investigator stored"
    assert _count(store, tables.TRAINING_COMPLETIONS) == 7


def test_import_is_all_or_nothing(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "move_staged", fail)  # every record import writes through it
    with pytest.raises(RuntimeError, match="disk full"):
        import_training(write_csv(tmp_path / "t.csv", TRAINING), store, today=TODAY)
    assert _count(store, tables.TRAINING_COMPLETIONS) == 0 and _count(store, tables.BATCHES) == 0


# --- measures ----------------------------------------------------------------------------------

def test_training_table_hand_worked(store: Store, tmp_path: Path) -> None:
    import_training(write_csv(tmp_path / "t.csv", TRAINING), store, today=TODAY)
    t = training_table(store, dt.date(2021, 12, 31), load_force())
    assert t.num_rows == 6 * 4 and t.column_names == ["district", "course", "course_name", "trained", "target",
                                                      "remaining", "trained_pct"]
    cells = {(r["district"], r["course"]): r for r in t.to_pylist()}
    cols = ("trained", "target", "remaining", "trained_pct")
    # BD: PC1001 and PC1002 (by name) as investigators; PC1001 also did iLearn, which has no target.
    assert [cells["BD", "stalking_investigator"][c] for c in cols] == [2, 17, 15, 11.8]  # pct: 3 significant figures
    assert [cells["BD", "ilearn"][c] for c in cols] == [1, None, None, None]
    assert [cells["LD", "stalking_investigator"][c] for c in cols] == [1, 17, 16, 5.88]
    # WD: PC1005 completed in January 2022, after the date.
    assert [cells["WD", "stalking_investigator"][c] for c in cols] == [0, 16, 16, 0.0]
    assert [cells["Force", "stalking_investigator"][c] for c in cols] == [3, 84, 81, 3.57]
    assert [cells["Force", "stalking_champion"][c] for c in cols] == [1, None, None, None]
    later = {(r["district"], r["course"]): r for r in training_table(store, TODAY, load_force()).to_pylist()}
    assert later["Force", "stalking_investigator"]["trained"] == 4
    assert training_table(store, TODAY, load_force(), as_of=0).column("trained").to_pylist() == [0] * 24


def test_completions_by_month_hand_worked(store: Store, tmp_path: Path) -> None:
    import_training(write_csv(tmp_path / "t.csv", TRAINING), store, today=TODAY)
    got = completions_by_month(store, load_force()).to_pylist()
    months = sorted({r["month"] for r in got})
    assert months[0] == "2020-12" and months[-1] == "2022-01" and len(months) == 14  # gaps filled
    by = {(r["month"], r["course"]): (r["completions"], r["cumulative"]) for r in got}
    assert by["2021-01", "stalking_investigator"] == (2, 2)
    assert by["2021-02", "stalking_investigator"] == (0, 2)
    assert by["2021-03", "stalking_investigator"] == (1, 3)
    assert by["2022-01", "stalking_investigator"] == (1, 4)
    assert by["2021-03", "stalking_champion"] == (1, 1) and by["2020-12", "ilearn"] == (1, 1)
    assert {c for _, c in by} == {"ilearn", "stalking_champion", "stalking_investigator"}
    assert [r["course"] for r in got[:3]] == ["ilearn", "stalking_champion", "stalking_investigator"]
    assert completions_by_month(store, load_force(), as_of=0).num_rows == 0
    until = completions_by_month(store, load_force(), until=dt.date(2021, 3, 31)).to_pylist()
    assert until[-1]["month"] == "2021-03" and {(r["course"], r["cumulative"]) for r in until[-3:]} == {
        ("ilearn", by["2021-03", "ilearn"][1]), ("stalking_champion", 1), ("stalking_investigator", 3)}


# --- command line ------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.duckdb")
    open_store(path).close()
    return path


def test_cli_template_import_and_list(db: str, tmp_path: Path) -> None:
    template = tmp_path / "template.csv"
    code, out, _ = run_cli("training", "template", "--out", str(template))
    assert code == 0 and template.read_text() == "officer_id,course,district,team,completed_date\n"
    assert "stalking_investigator: Specialist stalking training: specialist investigator" in out
    assert "BD (Bradford)" in out
    path = write_csv(tmp_path / "t.csv", TRAINING)
    code, out, _ = run_cli("training", "import", str(path), "--db", db)
    assert code == 0, out
    assert "read 6 = accepted 6 + rejected 0" in out and "stalking_investigator 4" in out
    code, again, _ = run_cli("training", "import", str(path), "--db", db)
    assert code == 0 and "already imported as training batch 1" in again
    code, listed, _ = run_cli("training", "list", "--district", "bd", "--db", db)
    assert code == 0 and "3 completions" in listed and "PC1001" not in listed and "KD" not in listed


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: write_csv(p, [{"officer_id": "PC1", "course": "iLearn"}]), "has no district, completed_date column"),
    (lambda p: p.write_text("officer_id,course,district,team,completed_date\n"), "has a header but no training"),
    (lambda p: p, "not found"),
], ids=["missing-columns", "header-only", "no-file"])
def test_cli_bad_file_exits_2(db: str, tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "bad.csv"
    make(path)
    code, _, err = run_cli("training", "import", str(path), "--db", db)
    assert code == 2 and message in err and "Hint:" in err


def test_cli_never_creates_a_store(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", TRAINING)
    code, _, err = run_cli("training", "import", str(path), "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "there is no store" in err and not (tmp_path / "none.duckdb").exists()


def test_training_reaches_the_profile_and_report(store: Store, tmp_path: Path) -> None:
    """With training records (and crimes) in the store, the internal profile holds the training
    table as at the window's end and the report shows it; partner and public readers do not."""
    from stalking_profile.ingest.pipeline import IngestOptions, ingest
    from stalking_profile.metrics.profile import ProfileRequest, build_profile
    from stalking_profile.reporting.compose import compose
    from tests.conftest import rows_of

    ingest(write_csv(tmp_path / "c.csv", rows_of({})), store, IngestOptions(today=TODAY))
    import_training(write_csv(tmp_path / "t.csv", TRAINING), store, today=TODAY)
    request = ProfileRequest(period="2021-01-01:2021-12-31", geography=False, cumulative=False)
    profile = build_profile(store, request)
    assert profile.tables["training"].to_pylist() == training_table(store, dt.date(2021, 12, 31),
                                                                    load_force()).to_pylist()
    blocks = compose(profile, load_force(), source="t").blocks
    assert "Officer training" in [getattr(b, "text", "") for b in blocks]
    # completions to the window's end only (the January 2022 one is after it), charted as running totals
    assert profile.tables["training_by_month"].to_pylist() == completions_by_month(
        store, load_force(), until=dt.date(2021, 12, 31)).to_pylist()
    assert max(profile.tables["training_by_month"]["month"].to_pylist()) == "2021-03"  # the last one in 2021
    chart = next(b for b in blocks if getattr(b, "name", "") == "training_by_month" and hasattr(b, "spec"))
    assert "Specialist stalking training: specialist investigator" in chart.alt and "then 3" in chart.alt
    public = build_profile(store, ProfileRequest(period="2021-01-01:2021-12-31", geography=False, audience="public"))
    assert "training" not in public.tables and "training_by_month" not in public.tables
