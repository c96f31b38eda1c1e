"""Victim referrals: services, validation, the referrals import, the measures and the CLI (synthetic data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from stalking_profile.errors import ConfigError, MissingColumnError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.periods import Period
from stalking_profile.referrals.imports import import_referrals
from stalking_profile.referrals.measures import referral_table, unreferred
from stalking_profile.referrals.services import SERVICES_ENV, load_services, parse_services
from stalking_profile.referrals.validate import validate_referrals
from stalking_profile.store import records, tables
from stalking_profile.store.connection import Store, open_store
from tests.conftest import TODAY, rows_of, run_cli, write_csv

YEAR = Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31))
#: Stalking (8Q) crimes C1-C5 and C8 in 2021; C6 is harassment (8L), C7 was recorded in 2020.
CRIMES = rows_of(
    {"district": "BD", "domestic_flag": "Y", "victim_id": "V1", "recorded_date": "2021-03-05"},
    {"district": "BD", "domestic_flag": "N", "victim_id": "V2", "recorded_date": "2021-04-01"},
    {"district": "BD", "domestic_flag": "N", "victim_id": "V2", "recorded_date": "2021-05-01"},
    {"district": "LD", "domestic_flag": "Y", "victim_id": "V3", "recorded_date": "2021-06-01"},
    {"district": "LD", "domestic_flag": "N", "victim_id": "V4", "recorded_date": "2021-12-20"},
    {"district": "KD", "domestic_flag": "Y", "victim_id": "V5", "recorded_date": "2021-03-01", "offence_code": "8L"},
    {"district": "BD", "domestic_flag": "Y", "victim_id": "V6", "recorded_date": "2020-06-01"},
    {"district": "LD", "domestic_flag": "N", "victim_id": "V4", "recorded_date": "2021-07-01"},
)


def ref(crime: str, service: str, status: str, date: str, referral_ref: str = "") -> dict[str, str]:
    return {"crime_ref": crime, "service": service, "status": status, "status_date": date,
            "referral_ref": referral_ref}


REFERRALS = [
    ref("C1", "ISAC", "made", "2021-03-10", "R1"),
    ref("C1", "isac", "Accepted", "20/03/2021", "R1"),
    ref("C2", "IDVA", "made", "2021-04-05"),             # not a specialist stalking service
    ref("C3", "Suzy Lamplugh", "offered", "2021-05-02"),  # offered only: not referred
    ref("C4", "Paladin", "made", "2021-06-03"),
    ref("C4", "paladin", "declined", "2021-06-10"),
    ref("C6", "ISAC", "made", "2021-03-02"),              # harassment: outside the measures
]


@pytest.fixture(autouse=True)
def _shipped_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SERVICES_ENV, raising=False)


@pytest.fixture
def crime_store(store: Store, tmp_path: Path) -> Store:
    """A store (DuckDB, and PostgreSQL when available) holding C1-C8 as batch 1."""
    assert ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, IngestOptions(today=TODAY)).rows_accepted == 8
    return store


def _count(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


# --- services ----------------------------------------------------------------------------------

def test_shipped_services() -> None:
    s = load_services()
    assert s.names == ("ISAC", "National Stalking Helpline", "Paladin", "Victim Support", "IDVA", "MARAC", "Other")
    assert s.specialist == ("ISAC", "National Stalking Helpline", "Paladin")
    assert s.resolve("Suzy-Lamplugh Trust") == s.resolve("nsh") == "National Stalking Helpline"
    assert s.resolve("Samaritans") is None


@pytest.mark.parametrize(("text", "message"), [
    ("[[services]\n", "not valid TOML"),
    ("x = 1\n", "lists no services"),
    ('[[services]]\nname = "A"\nspecialist_stalking = "yes"\n', "lacks a name"),
    ('[[services]]\nname = "A"\nsynonyms = ["Z"]\n[[services]]\nname = "B"\nsynonyms = ["z"]\n', "'z' names both"),
], ids=["syntax", "none", "bad-flag", "shared-synonym"])
def test_bad_services_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_services(text, "mine.toml")


# --- validation (pure: the store is replaced by two small lookups) -----------------------------

RECORDED = {"C1": dt.date(2021, 3, 5), "C2": dt.date(2021, 4, 1)}
STORED = {("C2", "Paladin")}


def _validate(rows: list[dict[str, str]]) -> Any:
    table = pa.table({k: [r.get(k) or None for r in rows] for k in rows[0]})
    table = table.append_column("row_number", pa.array(range(2, len(rows) + 2), pa.int64()))
    return validate_referrals(table, "r.csv", load_services(), TODAY,
                              lambda refs: {r: RECORDED[r] for r in refs if r in RECORDED},
                              lambda refs: {p for p in STORED if p[0] in refs})


@pytest.mark.parametrize(("row", "reason"), [
    (ref("C1", "Samaritans", "made", "2021-03-10"), "service 'Samaritans' is not a known service"),
    (ref("C1", "ISAC", "pending", "2021-03-10"), "status 'pending' is not a status"),
    (ref("C1", "ISAC", "made", "2022-03-01"), "status_date 2022-03-01 is after today (2022-02-15)"),
    (ref("C1", "ISAC", "made", "2021-03-01"), "before crime C1 was recorded (2021-03-05)"),
    (ref("C1", "ISAC", "made", "31/02/2021"), "status_date '31/02/2021' cannot be read"),
    (ref("C1", "ISAC", "accepted", "2021-03-10"), "accepted but no referral to ISAC was made for crime C1"),
    (ref("C2", "IDVA", "declined", "2021-04-10"), "declined but no referral to IDVA was made for crime C2"),
    (ref("", "ISAC", "made", "2021-03-10"), "missing crime_ref (required)"),
    (ref("C1", "", "made", "2021-03-10"), "missing service (required)"),
], ids=["service", "status", "future", "before-crime", "bad-date", "accepted-unmade", "declined-unmade",
        "no-crime", "no-service"])
def test_illegal_rows_are_rejected_with_reasons(row: dict[str, str], reason: str) -> None:
    checked = _validate([row])
    assert checked.events.num_rows == 0 and checked.rejected.num_rows == 1
    assert reason in checked.rejected["reasons"][0].as_py()
    assert checked.rejected["row_number"].to_pylist() == [2]


def test_made_earlier_in_the_file_or_stored_allows_an_outcome() -> None:
    checked = _validate([
        ref("C1", "ISAC", "made", "2021-03-10"),
        ref("C1", "Independent Stalking Advocate", "accepted", "2021-03-11"),  # made on the row above
        ref("C2", "Paladin", "declined", "2021-04-10"),                         # made in an earlier import
        ref("C2", "NSH", "accepted", "2021-04-10"),                             # made on a LATER row: rejected
        ref("C2", "NSH", "made", "2021-04-09"),
        ref("C1", "ISAC", "made", "2021-03-10"),                                # repeats row 2
        ref("C9", "MARAC", "offered", "2021-05-01"),                            # crime not in the store: warning
    ])
    assert checked.events["status"].to_pylist() == ["made", "accepted", "declined", "made", "offered"]
    assert checked.events["service"].to_pylist()[1] == "ISAC"
    assert checked.rejected["row_number"].to_pylist() == [5, 7]
    assert "repeats row 2" in checked.rejected["reasons"][1].as_py()
    assert checked.rows_warned == 1


def test_a_file_without_the_columns_is_refused() -> None:
    with pytest.raises(MissingColumnError, match="has no status, status_date column"):
        _validate([{"crime_ref": "C1", "service": "ISAC"}])


# --- import ------------------------------------------------------------------------------------

def test_import_accounting_rejects_and_reimport(crime_store: Store, tmp_path: Path) -> None:
    bad = [ref("C1", "Samaritans", "made", "2021-03-10"), ref("C2", "ISAC", "accepted", "2021-04-02")]
    path = write_csv(tmp_path / "referrals.csv", REFERRALS + bad)
    r = import_referrals(path, crime_store, today=TODAY)
    assert (r.batch_id, r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_new) == (2, 9, 7, 2, 7)
    assert r.by_status == {"offered": 1, "made": 4, "accepted": 1, "declined": 1}
    assert _count(crime_store, tables.REFERRAL_EVENTS) == 7
    rejected = crime_store.table(tables.REJECTED_ROWS)
    kept = rejected.filter(rejected.batch_id == 2).order_by("row_number").to_pyarrow().to_pylist()
    assert [k["row_number"] for k in kept] == [9, 10] and "Samaritans" in kept[0]["raw_json"]
    assert "no referral to ISAC was made" in kept[1]["reasons"]
    batches = crime_store.table(tables.BATCHES)
    assert batches.filter(batches.source_kind == "referrals").count().to_pyarrow().as_py() == 1

    again = import_referrals(path, crime_store, today=TODAY)
    assert again.already_imported and again.batch_id == 2
    assert _count(crime_store, tables.REFERRAL_EVENTS) == 7 and _count(crime_store, tables.BATCHES) == 2

    more = write_csv(tmp_path / "more.csv", [REFERRALS[0], ref("C2", "IDVA", "accepted", "2021-04-20")])
    m = import_referrals(more, crime_store, today=TODAY)  # the accepted row relies on the stored made
    assert (m.rows_accepted, m.rows_new, m.rows_unchanged, m.rows_rejected) == (2, 1, 1, 0)
    assert _count(crime_store, tables.REFERRAL_EVENTS) == 8


def test_import_is_all_or_nothing(crime_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "move_staged", fail)  # every record import writes through it
    with pytest.raises(RuntimeError, match="disk full"):
        import_referrals(write_csv(tmp_path / "r.csv", REFERRALS), crime_store, today=TODAY)
    assert _count(crime_store, tables.REFERRAL_EVENTS) == 0 and _count(crime_store, tables.BATCHES) == 1


# --- measures ----------------------------------------------------------------------------------

def _rows(table: pa.Table, district: str) -> dict[str, dict[str, Any]]:
    return {r["domestic"]: r for r in table.to_pylist() if r["district"] == district}


def test_referral_table_hand_worked(crime_store: Store, tmp_path: Path) -> None:
    import_referrals(write_csv(tmp_path / "r.csv", REFERRALS), crime_store, today=TODAY)
    t = referral_table(crime_store, YEAR, load_force())
    assert t.num_rows == 18 and t.column_names[:9] == ["district", "domestic", "crimes", "victims",
                                                        "referred_specialist", "rate_pct", "ci_low", "ci_high",
                                                        "accepted"]
    cols = ("crimes", "victims", "referred_specialist", "rate_pct", "accepted")
    bd, ld, force = _rows(t, "BD"), _rows(t, "LD"), _rows(t, "Force")
    # BD: C1 (V1, ISAC made+accepted), C2 and C3 (both V2: IDVA made, helpline only offered).
    assert [bd["All"][c] for c in cols] == [3, 2, 1, 50.0, 1]
    assert [bd["Domestic"][c] for c in cols] == [1, 1, 1, 100.0, 1]
    assert [bd["Non-Domestic"][c] for c in cols] == [2, 1, 0, 0.0, 0]
    # LD: C4 (V3, Paladin made then declined), C5 and C8 (both V4, no referral).
    assert [ld["All"][c] for c in cols] == [3, 2, 1, 50.0, 0]
    assert [ld["Non-Domestic"][c] for c in cols] == [2, 1, 0, 0.0, 0]
    # Force: V1..V4 (V5's crime is harassment, V6's is from 2020); V1 and V3 referred.
    assert [force["All"][c] for c in cols] == [6, 4, 2, 50.0, 1]
    assert (force["All"]["ci_low"], force["All"]["ci_high"]) == (15.0, 85.0)  # Wilson, 2 of 4, 95%
    assert [force["Domestic"][c] for c in cols] == [2, 2, 2, 100.0, 1]
    assert (force["Domestic"]["ci_low"], force["Domestic"]["ci_high"]) == (34.2, 100.0)
    kd = _rows(t, "KD")["All"]
    assert (kd["crimes"], kd["victims"], kd["rate_pct"], kd["ci_low"]) == (0, 0, None, None)
    before = _rows(referral_table(crime_store, YEAR, load_force(), as_of=1), "Force")["All"]
    assert (before["victims"], before["referred_specialist"]) == (4, 0)  # no referral batch yet


def test_unreferred_worklist(crime_store: Store, tmp_path: Path) -> None:
    import_referrals(write_csv(tmp_path / "r.csv", REFERRALS), crime_store, today=TODAY)
    got = unreferred(crime_store, YEAR, 28).to_pyarrow()
    assert got.column_names[:4] == ["crime_ref", "district", "recorded_date", "reason"]
    # C8 had no referral of any kind; C5 has none either but was recorded 11 days before the end.
    assert got["crime_ref"].to_pylist() == ["C8"]
    assert got["reason"].to_pylist() == ["no referral recorded 28 days after recording"]
    assert got["recorded_date"].to_pylist() == [dt.date(2021, 7, 1)]
    assert unreferred(crime_store, YEAR, 0).to_pyarrow()["crime_ref"].to_pylist() == ["C8", "C5"]
    assert unreferred(crime_store, YEAR, 28, as_of=1).to_pyarrow()["crime_ref"].to_pylist() == [
        "C1", "C2", "C3", "C4", "C8"]


# --- command line ------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.duckdb")
    with open_store(path) as store:
        ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, IngestOptions(today=dt.date.today()))
    return path


def test_cli_template_import_and_list(db: str, tmp_path: Path) -> None:
    template = tmp_path / "template.csv"
    code, out, _ = run_cli("referral", "template", "--out", str(template))
    assert code == 0 and template.read_text() == "crime_ref,service,status,status_date,referral_ref\n"
    assert "* ISAC" in out and "Suzy Lamplugh" in out
    path = write_csv(tmp_path / "r.csv", REFERRALS)
    code, out, _ = run_cli("referral", "import", str(path), "--db", db)
    assert code == 0, out
    assert "read 7 = accepted 7 + rejected 0" in out
    code, again, _ = run_cli("referral", "import", str(path), "--db", db)
    assert code == 0 and "already imported as referrals batch 2" in again
    code, listed, _ = run_cli("referral", "list", "--crime", "C1", "--db", db)
    assert code == 0 and "accepted" in listed and "2 events" in listed and "C4" not in listed


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: write_csv(p, [{"crime_ref": "C1", "service": "ISAC"}]), "has no status, status_date column"),
    (lambda p: p.write_text("crime_ref,service,status,status_date\n"), "has a header but no referrals"),
    (lambda p: p, "not found"),
], ids=["missing-columns", "header-only", "no-file"])
def test_cli_bad_file_exits_2(db: str, tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "bad.csv"
    make(path)
    code, _, err = run_cli("referral", "import", str(path), "--db", db)
    assert code == 2 and message in err and "Hint:" in err


def test_cli_never_creates_a_store(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", REFERRALS)
    code, _, err = run_cli("referral", "import", str(path), "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "there is no store" in err and not (tmp_path / "none.duckdb").exists()


def test_referrals_reach_the_profile_worklist_and_report(crime_store: Store, tmp_path: Path) -> None:
    """Once referral records exist the profile gains its table, the worklist lists the unreferred,
    and the report swaps the placeholder for a section; partner and public readers see neither."""
    from stalking_profile.metrics.profile import ProfileRequest, build_profile
    from stalking_profile.reporting.compose import compose
    from stalking_profile.worklists.build import WorklistRequest, build_worklist

    request = ProfileRequest(period="2021-01-01:2021-12-31", geography=False, cumulative=False)
    assert "referrals" not in build_profile(crime_store, request).tables
    import_referrals(write_csv(tmp_path / "r.csv", REFERRALS), crime_store, today=TODAY)
    profile = build_profile(crime_store, request)
    force = {r["domestic"]: r for r in profile.tables["referrals"].to_pylist() if r["district"] == "Force"}
    assert (force["All"]["victims"], force["All"]["referred_specialist"]) == (4, 2)  # as referral_table says
    listed = build_worklist(crime_store, WorklistRequest("unreferred-victims", period="2021-01-01:2021-12-31"))
    assert listed.table["crime_ref"].to_pylist() == ["C8"]
    headings = [getattr(b, "text", "") for b in compose(profile, load_force(), source="test").blocks]
    assert "Victim referrals" in headings and "Stalking Protection Orders" not in headings
    public = build_profile(crime_store, ProfileRequest(period="2021-01-01:2021-12-31", geography=False,
                                                       audience="public"))
    assert "referrals" not in public.tables
