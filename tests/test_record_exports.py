"""Case-record `add` and `export` commands (SPO events, referrals, training) and the import/export
round trips, on DuckDB and PostgreSQL (synthetic data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stalking_profile.cases.spo_import import import_events
from stalking_profile.errors import MissingColumnError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.ingest.pseudonymise import PseudonymKey, load_key
from stalking_profile.ingest.readers import read_extract
from stalking_profile.referrals.imports import import_referrals
from stalking_profile.referrals.services import SERVICES_ENV
from stalking_profile.store import tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.training.courses import TRAINING_ENV
from stalking_profile.training.imports import import_training
from tests import test_referrals, test_spo, test_training
from tests.conftest import TODAY, fresh_pg_url, pg_url, run_cli, write_csv

#: Each record kind's source rows, plus one row whose text a spreadsheet would run as a formula.
SPO_ROWS = [*test_spo.EVENTS, test_spo.row("S3", "C3", "variation", "2021-10-01", outcome="granted",
                                           terms="=exclusion zone; -no contact")]
REFERRAL_ROWS = [*test_referrals.REFERRALS, test_referrals.ref("C5", "Stalking Helpline", "made", "2021-12-21", "+R9")]
TRAINING_ROWS = [*test_training.TRAINING, test_training.row("PC1006", "SSC", "CD", "2021-07-01", "-Response")]


@pytest.fixture(autouse=True)
def _shipped_vocabularies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SERVICES_ENV, raising=False)
    monkeypatch.delenv(TRAINING_ENV, raising=False)


@dataclass(frozen=True)
class Kind:
    """One record kind: its command group, stored table, columns that name a batch or row, and how
    its records get into a store (crimes first, when its rows refer to them)."""

    command: str
    table: str
    ignore: tuple[str, ...]
    fill: Callable[[Store, Path], Any]


def _fill_spo(store: Store, folder: Path) -> Any:
    ingest(write_csv(folder / "crimes.csv", test_spo.CRIMES), store, IngestOptions(today=TODAY))
    return import_events(write_csv(folder / "spo.csv", SPO_ROWS), store, today=TODAY)


def _fill_referrals(store: Store, folder: Path) -> Any:
    ingest(write_csv(folder / "crimes.csv", test_referrals.CRIMES), store, IngestOptions(today=TODAY))
    return import_referrals(write_csv(folder / "referrals.csv", REFERRAL_ROWS), store, today=TODAY)


def _fill_training(store: Store, folder: Path) -> Any:
    return import_training(write_csv(folder / "training.csv", TRAINING_ROWS), store, today=TODAY)


SPO = Kind("spo", tables.SPO_EVENTS, ("batch_id", "row_number"), _fill_spo)
REFERRAL = Kind("referral", tables.REFERRAL_EVENTS, ("batch_id", "row_number", "event_id"), _fill_referrals)
TRAINING = Kind("training", tables.TRAINING_COMPLETIONS, ("batch_id", "row_number"), _fill_training)
KINDS = pytest.mark.parametrize("kind", [SPO, REFERRAL, TRAINING], ids=["spo", "referral", "training"])


def _db(store: Store) -> str:
    """The store as `--db` names it (the target string hides a PostgreSQL password)."""
    return (pg_url() or "") if store.engine == "postgres" else store.target


def _records(store: Store, kind: Kind) -> list[dict[str, Any]]:
    """The record table without batch ids and row numbers, in a fixed order."""
    rows = store.table(kind.table).drop(*kind.ignore).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _count(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


def _fresh(store: Store, folder: Path) -> str:
    """An empty store on the same engine: a new DuckDB file, or the PostgreSQL test database emptied."""
    if store.engine == "postgres":
        store.close()
        target = fresh_pg_url()
    else:
        target = str(folder / "fresh.duckdb")
    open_store(target).close()
    return target


# --- round trips -------------------------------------------------------------------------------

@KINDS
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_into_a_fresh_store_gives_the_same_records(store: Store, tmp_path: Path, kind: Kind,
                                                                      suffix: str) -> None:
    filled = kind.fill(store, tmp_path)
    assert filled.rows_rejected == 0
    before = _records(store, kind)
    assert len(before) == {"spo": 21, "referral": 8, "training": 7}[kind.command]
    out = tmp_path / f"export{suffix}"
    code, stdout, stderr = run_cli(kind.command, "export", "--out", str(out), "--db", _db(store))
    assert code == 0, stderr
    assert f"wrote {out}: {len(before)} " in stdout
    fresh = _fresh(store, tmp_path)
    code, stdout, stderr = run_cli(kind.command, "import", str(out), "--db", fresh)
    assert code == 0, stderr
    assert f"read {len(before)} = accepted {len(before)} + rejected 0" in stdout
    with open_store(fresh, create=False) as again:
        assert _records(again, kind) == before


@KINDS
def test_importing_the_export_into_its_own_store_adds_nothing(store: Store, tmp_path: Path, kind: Kind) -> None:
    """SPO events and training completions come back rejected as repeats of stored records;
    referral events are accepted and counted as already stored (the importers' existing rules)."""
    kind.fill(store, tmp_path)
    before = _records(store, kind)
    out = tmp_path / "export.csv"
    assert run_cli(kind.command, "export", "--out", str(out), "--db", _db(store))[0] == 0
    code, stdout, stderr = run_cli(kind.command, "import", str(out), "--db", _db(store))
    assert code == 0, stderr
    n = len(before)
    if kind is REFERRAL:
        assert f"read {n} = accepted {n} + rejected 0" in stdout and f"new 0 + already stored {n}" in stdout
    else:
        assert f"read {n} = accepted 0 + rejected {n}" in stdout
    with open_store(_db(store), create=False) as same:
        assert _records(same, kind) == before
        rejected = same.table(tables.REJECTED_ROWS)
        reasons = set(rejected.filter(rejected.batch_id == same.last_batch_id()).reasons.to_pyarrow().to_pylist())
    expected = {SPO: {"repeats an event already stored for case S1", "repeats an event already stored for case S2",
                      "repeats an event already stored for case S3", "repeats an event already stored for case S4",
                      "repeats an event already stored for case S5"},
                REFERRAL: set(),
                TRAINING: {"officer already has course ilearn stored",
                           "officer already has course safeguarding_supervisors stored",
                           "officer already has course stalking_champion stored",
                           "officer already has course stalking_investigator stored"}}[kind]
    assert reasons == expected


# --- export layouts ----------------------------------------------------------------------------

def test_spo_export_layout(store: Store, tmp_path: Path) -> None:
    _fill_spo(store, tmp_path)
    out = tmp_path / "exported-spo.csv"
    assert run_cli("spo", "export", "--out", str(out), "--db", _db(store))[0] == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case_ref,crime_ref,event,event_date,district,outcome,reason,duration_months,terms"
    assert lines[1:3] == ["S1,C1,enquiry,2021-03-10,BD,,,,", "S1,C1,viability,2021-03-20,BD,proceed,,,"]
    # S4's district was blank in the file and taken from crime C4; the export writes it.
    assert "S4,C4,viability,2021-06-20,LD,not viable,no ongoing risk,," in lines
    assert "S3,C3,variation,2021-10-01,LD,granted,,,'=exclusion zone; -no contact" in lines  # made safe
    assert len(lines) == 22
    leeds = tmp_path / "leeds.xlsx"
    code, stdout, _ = run_cli("spo", "export", "--out", str(leeds), "--district", "leeds", "--db", _db(store))
    assert code == 0 and "7 SPO events in LD" in stdout
    sheet = read_extract(leeds).table
    assert sheet.column_names == list(lines[0].split(","))
    assert sheet["case_ref"].to_pylist() == ["S3"] * 5 + ["S4"] * 2
    assert sheet["event_date"].to_pylist()[:2] == ["2021-05-01", "2021-05-10"]  # date cells read back as ISO
    assert sheet["duration_months"].to_pylist()[3] == "24"
    assert sheet["terms"].to_pylist()[4] == "=exclusion zone; -no contact"  # a string cell: nothing to escape


def test_referral_export_layout(store: Store, tmp_path: Path) -> None:
    _fill_referrals(store, tmp_path)
    out = tmp_path / "exported-referrals.csv"
    assert run_cli("referral", "export", "--out", str(out), "--db", _db(store))[0] == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == ["crime_ref,service,status,status_date,referral_ref",
                     "C1,ISAC,made,2021-03-10,R1", "C1,ISAC,accepted,2021-03-20,R1",
                     "C2,IDVA,made,2021-04-05,", "C3,National Stalking Helpline,offered,2021-05-02,",
                     "C4,Paladin,made,2021-06-03,", "C4,Paladin,declined,2021-06-10,",
                     "C5,National Stalking Helpline,made,2021-12-21,'+R9", "C6,ISAC,made,2021-03-02,"]
    leeds = tmp_path / "leeds.csv"  # C4 and C5 are Leeds crimes; a referral's district is its crime's
    code, stdout, _ = run_cli("referral", "export", "--out", str(leeds), "--district", "Leeds", "--db", _db(store))
    assert code == 0 and "3 referral events for crimes in LD" in stdout
    assert leeds.read_text(encoding="utf-8").splitlines()[1:] == [lines[5], lines[6], lines[7]]


def test_training_export_holds_tokens_never_officer_ids(store: Store, tmp_path: Path) -> None:
    _fill_training(store, tmp_path)
    key = load_key()
    out = tmp_path / "exported-training.csv"
    code, stdout, _ = run_cli("training", "export", "--out", str(out), "--district", "BD", "--db", _db(store))
    assert code == 0 and "3 training completions in BD" in stdout
    text = out.read_text(encoding="utf-8")
    assert "PC10" not in text
    lines = text.splitlines()
    assert lines[0] == "officer_token,course,district,team,completed_date,key_fingerprint"
    assert lines[1:] == [
        f"{key.token('PC1001', 'officer')},ilearn,BD,,2020-12-01,{key.fingerprint}",
        f"{key.token('PC1001', 'officer')},stalking_investigator,BD,CID Bradford,2021-01-10,{key.fingerprint}",
        f"{key.token('PC1002', 'officer')},stalking_investigator,BD,,2021-01-20,{key.fingerprint}"]
    workbook = tmp_path / "training.xlsx"
    assert run_cli("training", "export", "--out", str(workbook), "--db", _db(store))[0] == 0
    sheet = read_extract(workbook).table
    assert sheet.num_rows == 7 and set(sheet["key_fingerprint"].to_pylist()) == {key.fingerprint}
    teams = dict(zip(sheet["officer_token"].to_pylist(), sheet["team"].to_pylist(), strict=True))
    assert teams[key.token("PC1006", "officer")] == "-Response"  # a string cell: nothing to escape


@pytest.mark.parametrize("command", ["spo", "referral", "training"])
def test_export_refuses_an_existing_file_and_other_suffixes(tmp_path: Path, command: str) -> None:
    db = str(tmp_path / "store.duckdb")
    open_store(db).close()
    taken = tmp_path / "taken.csv"
    taken.write_text("mine\n")
    code, _, err = run_cli(command, "export", "--out", str(taken), "--db", db)
    assert code == 2 and "taken.csv already exists; nothing was written" in err and "Hint:" in err
    assert "Traceback" not in err and taken.read_text() == "mine\n"
    code, _, err = run_cli(command, "export", "--out", str(tmp_path / "x.json"), "--db", db)
    assert code == 2 and "the name must end .csv or .xlsx" in err
    code, _, err = run_cli(command, "export", "--out", str(tmp_path / "no" / "x.csv"), "--db", db)
    assert code == 2 and "does not exist" in err
    code, _, err = run_cli(command, "export", "--out", str(tmp_path / "y.csv"), "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "there is no store" in err and not (tmp_path / "y.csv").exists()
    empty = tmp_path / "empty.csv"
    assert run_cli(command, "export", "--out", str(empty), "--db", db)[0] == 0
    assert len(empty.read_text().splitlines()) == 1  # the header only


def test_export_refuses_an_unknown_district(tmp_path: Path) -> None:
    db = str(tmp_path / "store.duckdb")
    open_store(db).close()
    code, _, err = run_cli("training", "export", "--out", str(tmp_path / "t.csv"), "--district", "XX", "--db", db)
    assert code == 2 and "--district 'XX' is not one of the force's districts" in err and "BD, CD, KD, LD, WD" in err


# --- referral add ------------------------------------------------------------------------------

@pytest.fixture
def referral_db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.duckdb")
    with open_store(path) as store:
        ingest(write_csv(tmp_path / "crimes.csv", test_referrals.CRIMES), store, IngestOptions(today=TODAY))
    return path


def test_referral_add_stores_one_event_as_a_batch(referral_db: str) -> None:
    code, out, err = run_cli("referral", "add", "--crime", "C1", "--service", "isac", "--status", "referred",
                             "--date", "10/03/2021", "--referral-ref", "R1", "--db", referral_db)
    assert code == 0, err
    assert out.startswith("crime C1: made referral stored (batch 2)")
    code, out, _ = run_cli("referral", "add", "--crime", "C1", "--service", "ISAC", "--status", "accepted",
                           "--date", "2021-03-20", "--db", referral_db)  # relies on the stored made event
    assert code == 0 and "accepted referral stored (batch 3)" in out
    code, out, _ = run_cli("referral", "add", "--crime", "C1", "--service", "ISAC", "--status", "made",
                           "--date", "2021-03-10", "--referral-ref", "R1", "--db", referral_db)
    assert code == 0 and "already stored; nothing written" in out
    code, out, _ = run_cli("referral", "add", "--crime", "C99", "--service", "IDVA", "--status", "offered",
                           "--date", "2021-05-01", "--db", referral_db)
    assert code == 0 and "warning crime_ref: crime 'C99' is not in the store yet" in out
    with open_store(referral_db, create=False) as store:
        rows = store.table(tables.REFERRAL_EVENTS).order_by("event_id").to_pyarrow().to_pylist()
        batches = store.table(tables.BATCHES).order_by("batch_id").to_pyarrow().to_pylist()
    assert [(r["batch_id"], r["event_id"], r["crime_ref"], r["service"], r["status"], str(r["status_date"]),
             r["referral_ref"]) for r in rows] == [
        (2, 1, "C1", "ISAC", "made", "2021-03-10", "R1"), (3, 2, "C1", "ISAC", "accepted", "2021-03-20", None),
        (4, 3, "C99", "IDVA", "offered", "2021-05-01", None)]
    assert [(b["source_kind"], b["file_name"], b["rows_read"], b["rows_new"], b["rows_warned"])
            for b in batches[1:]] == [("referral_add", "(referral add)", 1, 1, 0),
                                      ("referral_add", "(referral add)", 1, 1, 0),
                                      ("referral_add", "(referral add)", 1, 1, 1)]


@pytest.mark.parametrize(("options", "message"), [
    (("--service", "Samaritans", "--status", "made", "--date", "2021-03-10"),
     "the referral was not stored: service 'Samaritans' is not a known service"),
    (("--service", "ISAC", "--status", "accepted", "--date", "2021-03-10"),
     "accepted but no referral to ISAC was made for crime C1"),
    (("--service", "ISAC", "--status", "maybe", "--date", "2021-03-10"), "status 'maybe' is not a status"),
    (("--service", "ISAC", "--status", "made", "--date", "2021-03-01"),
     "status_date 2021-03-01 is before crime C1 was recorded (2021-03-05)"),
    (("--service", "ISAC", "--status", "made", "--date", "31/02/2021"), "status_date '31/02/2021' cannot be read"),
], ids=["service", "no-made", "status", "before-crime", "bad-date"])
def test_referral_add_rejects_as_import_does(referral_db: str, options: tuple[str, ...], message: str) -> None:
    code, out, err = run_cli("referral", "add", "--crime", "C1", *options, "--db", referral_db)
    assert code == 2 and message in err and "Hint:" in err and "referral list --crime" in err
    assert "Traceback" not in err and out == ""
    with open_store(referral_db, create=False) as store:
        assert _count(store, tables.REFERRAL_EVENTS) == 0 and _count(store, tables.BATCHES) == 1


# --- training add ------------------------------------------------------------------------------

def test_training_add_stores_a_token_never_the_id(tmp_path: Path) -> None:
    db = str(tmp_path / "store.duckdb")
    open_store(db).close()
    code, out, err = run_cli("training", "add", "--officer", "pc7001", "--course", "Stalking Champion",
                             "--district", "Kirklees", "--team", "-Huddersfield", "--date", "2021-04-01", "--db", db)
    assert code == 0, err
    assert out.startswith("stalking_champion completion on 2021-04-01 stored (batch 1;")
    code, _, err = run_cli("training", "add", "--officer", "PC7001", "--course", "champion", "--district", "KD",
                           "--date", "2021-05-01", "--db", db)
    assert code == 2 and "the completion was not stored: officer already has course stalking_champion stored" in err
    assert "PC7001" not in err and "Traceback" not in err
    code, _, err = run_cli("training", "add", "--officer", "PC7002", "--course", "First aid", "--district", "KD",
                           "--date", "2022-05-01", "--db", db)
    assert code == 2 and "course 'First aid' is not a known course" in err
    with open_store(db, create=False) as store:
        rows = store.table(tables.TRAINING_COMPLETIONS).to_pyarrow().to_pylist()
        batch = store.table(tables.BATCHES).to_pyarrow().to_pylist()
        stored = json.dumps([rows, batch, store.table(tables.REJECTED_ROWS).to_pyarrow().to_pylist()], default=str)
    assert [(r["officer_token"], r["course"], r["district"], r["team"], str(r["completed_date"])) for r in rows] == [
        (load_key().token("PC7001", "officer"), "stalking_champion", "KD", "-Huddersfield", "2021-04-01")]
    assert [(b["source_kind"], b["rows_new"], b["key_fingerprint"]) for b in batch] == [
        ("training_add", 1, load_key().fingerprint)]
    assert "PC7001" not in stored.upper()


# --- training import by token ------------------------------------------------------------------

def test_training_import_takes_tokens_only_under_the_same_key(tmp_path: Path) -> None:
    key, other = load_key(), PseudonymKey(b"another deployment's key, 32 b..")
    token, foreign = key.token("PC1", "officer"), other.token("PC2", "officer")
    header = {"officer_id": "", "officer_token": "", "course": "iLearn", "district": "BD", "team": "",
              "completed_date": "2021-05-01", "key_fingerprint": key.fingerprint}
    rows = [
        {**header, "officer_token": token.upper()},                                    # kept (as lower case)
        {**header, "officer_token": foreign, "key_fingerprint": other.fingerprint},    # another key
        {**header, "officer_token": token, "key_fingerprint": ""},                     # no fingerprint
        {**header, "officer_id": "PC3", "officer_token": key.token("PC3", "officer")},  # both
        {**header, "officer_token": "PC4"},                                            # an id in the wrong column
        {**header, "officer_id": "PC1", "course": "SSC"},                              # an id: hashed, same officer
        {**header, "officer_token": token},                                            # repeats row 2
    ]
    store = open_store(str(tmp_path / "s.duckdb"))
    r = import_training(write_csv(tmp_path / "t.csv", rows), store, today=TODAY)
    assert (r.rows_read, r.rows_accepted, r.rows_rejected) == (7, 2, 5)
    done = store.table(tables.TRAINING_COMPLETIONS).order_by("row_number").to_pyarrow().to_pylist()
    assert [(d["row_number"], d["officer_token"], d["course"]) for d in done] == [
        (2, token, "ilearn"), (7, token, "safeguarding_supervisors")]
    rejected = store.table(tables.REJECTED_ROWS).order_by("row_number").to_pyarrow().to_pylist()
    reasons = [x["reasons"] for x in rejected]
    assert [x["row_number"] for x in rejected] == [3, 4, 5, 6, 8]
    assert reasons[0] == (f"officer_token was made under the key with fingerprint '{other.fingerprint}', "
                          f"not this deployment's key ({key.fingerprint}): give the officer_id instead")
    assert "fingerprint ''" in reasons[1]
    assert reasons[2] == "both officer_id and officer_token are given: give one of them"
    assert reasons[3].startswith("officer_token is not a keyed token")
    assert reasons[4] == "officer already has course ilearn on row 2"
    kept = json.dumps(store.table(tables.REJECTED_ROWS).to_pyarrow().to_pylist(), default=str)
    assert foreign not in kept and "PC3" not in kept and "PC4" not in kept
    store.close()


def test_training_file_needs_an_officer_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [{"course": "iLearn", "district": "BD", "completed_date": "2021-05-01"}])
    with open_store(str(tmp_path / "s.duckdb")) as store, pytest.raises(MissingColumnError,
                                                                     match=r"t\.csv has no officer_id column"):
        import_training(path, store, today=TODAY)
