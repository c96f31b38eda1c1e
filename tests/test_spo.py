"""Stalking Protection Order cases: the event state machine, the import, the measures and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stalking_profile.cases.spo_events import SpoEvent, check_sequence, derive_state
from stalking_profile.cases.spo_import import add_event, import_events, load_events
from stalking_profile.cases.spo_measures import spo_stages, spo_table, spo_trend
from stalking_profile.errors import InputFileError, MissingColumnError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.periods import Period
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from tests.conftest import TODAY, pg_url, rows_of, run_cli, write_csv

D = dt.date
WINDOW = Period(D(2021, 1, 1), D(2021, 12, 31))
CRIMES = rows_of({}, {"recorded_date": "2021-04-01"}, {"district": "LD", "recorded_date": "2021-05-01"},
                 {"offence_code": "8L", "district": "LD", "recorded_date": "2021-05-01"},
                 {"recorded_date": "2020-06-01"})


def ev(kind: str, day: D, outcome: str | None = None, months: int | None = None, reason: str | None = None,
       case: str = "S1") -> SpoEvent:
    return SpoEvent(case, "C1", kind, day, "BD", outcome, reason, months)


def row(case: str, crime: str, kind: str, day: str, district: str = "", outcome: str = "", reason: str = "",
        months: str = "", terms: str = "") -> dict[str, str]:
    return {"case_ref": case, "crime_ref": crime, "event": kind, "event_date": day, "district": district,
            "outcome": outcome, "reason": reason, "duration_months": months, "terms": terms}


ENQ = ev("enquiry", D(2021, 1, 4))
APP = ev("application", D(2021, 2, 1))
FULL = ev("full_order", D(2021, 3, 1), "granted", 24)
ORDERED = [ENQ, APP, FULL]
DISCHARGED = [*ORDERED, ev("discharge", D(2021, 6, 1))]
EXPIRED = [*ORDERED, ev("expiry", D(2023, 3, 1))]


# --- the state machine ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("existing", "new", "reason"),
    [
        ([ENQ], ev("full_order", D(2021, 2, 1), "granted", 24), "full order before an application"),
        ([ENQ], ev("interim_order", D(2021, 2, 1), "granted"), "interim order before an application"),
        (DISCHARGED, ev("breach_reported", D(2021, 7, 1)), "the case is discharged (since 2021-06-01)"),
        ([ENQ, APP], ev("renewal", D(2021, 3, 1), months=12), "renewal without an order in force on 2021-03-01"),
        ([ENQ, APP], ev("variation", D(2021, 3, 1)), "variation without an order in force"),
        ([ENQ, APP], ev("breach_reported", D(2021, 3, 1)), "breach reported without an order in force"),
        (EXPIRED, ev("application", D(2023, 4, 1)), "the case is expired (since 2023-03-01): only a new enquiry"),
        ([ENQ, APP], ev("full_order", D(2021, 3, 1), "granted"), "a granted full order needs duration_months"),
        ([ENQ, APP], ev("full_order", D(2021, 3, 1), "granted", 0), "duration_months 0 is not positive"),
        ([ENQ, APP], ev("full_order", D(2021, 3, 1)), "full_order needs an outcome (granted or refused)"),
        ([], ev("application", D(2021, 2, 1)), "no enquiry to Legal Services is recorded for case S1"),
        ([ENQ], ev("enquiry", D(2021, 2, 1)), "an enquiry is already open for case S1 (since 2021-01-04)"),
        ([ENQ], ev("viability", D(2021, 2, 1), "not viable"), "a not-viable decision needs a reason"),
        ([ENQ], ev("application", D(2021, 1, 1)), "dated 2021-01-01, before the case's latest event (2021-01-04)"),
        (ORDERED, ev("breach_charged", D(2021, 4, 1)), "breach charged without a reported breach"),
        (ORDERED, ev("expiry", D(2022, 1, 1)), "expiry on 2022-01-01 is before the order's end (2023-03-01)"),
        (ORDERED, ev("full_order", D(2021, 4, 1), "granted", 12), "the full order was already made on 2021-03-01"),
        (ORDERED, ev("application", D(2021, 4, 1)), "an application was already made on 2021-02-01"),
        ([ENQ, APP], ev("viability", D(2021, 3, 1), "proceed"), "the application was already made"),
        ([ENQ], ev("enquiry", D(2021, 2, 1), "granted"), "outcome 'granted' does not fit enquiry"),
        ([ENQ, ev("viability", D(2021, 1, 9), "not viable", reason="no risk")], ev("application", D(2021, 2, 1)),
         "the case is not viable"),
    ],
    ids=["full-before-application", "interim-before-application", "breach-on-discharged", "renewal-no-order",
         "variation-no-order", "breach-no-order", "after-expiry", "no-duration", "zero-duration", "no-outcome",
         "no-enquiry", "second-enquiry", "not-viable-no-reason", "out-of-order", "charge-without-report",
         "early-expiry", "second-full-order", "second-application", "viability-after-application",
         "outcome-on-enquiry", "after-not-viable"],
)
def test_illegal_sequences(existing: list[SpoEvent], new: SpoEvent, reason: str) -> None:
    reasons = check_sequence(existing, new)
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ([], ENQ),
        ([ENQ], ev("viability", D(2021, 1, 9), "proceed")),
        ([ENQ, APP], ev("interim_order", D(2021, 2, 1), "granted")),
        ([ENQ, APP, ev("interim_order", D(2021, 2, 1), "granted")], ev("breach_reported", D(2021, 2, 10))),
        (ORDERED, ev("variation", D(2021, 5, 1), "granted")),
        (ORDERED, ev("renewal", D(2023, 2, 1), "granted", 12)),
        ([*DISCHARGED[:3], ev("breach_reported", D(2021, 5, 1)), DISCHARGED[3]], ev("breach_charged", D(2021, 7, 1))),
        (DISCHARGED, ev("enquiry", D(2021, 8, 1))),
        (ORDERED, ev("expiry", D(2023, 3, 1))),
        ([ENQ, APP, ev("full_order", D(2021, 3, 1), "refused")], ev("enquiry", D(2021, 9, 1))),
    ],
    ids=["first-enquiry", "proceed", "interim", "breach-of-interim", "variation", "renewal", "late-charge",
         "re-enquiry-after-discharge", "expiry-at-end", "re-enquiry-after-refusal"],
)
def test_legal_sequences(existing: list[SpoEvent], new: SpoEvent) -> None:
    assert check_sequence(existing, new) == []


def test_derived_state_and_in_force() -> None:
    interim = ev("interim_order", D(2021, 2, 5), "granted")
    events = [ENQ, APP, interim, FULL, ev("breach_reported", D(2021, 5, 1)),
              ev("renewal", D(2023, 1, 10), "granted", 12)]
    s = derive_state(events, on=D(2023, 6, 1))
    assert (s.stage, s.enquiry_date, s.application_date, s.interim_date, s.full_order_date) == (
        "full order", D(2021, 1, 4), D(2021, 2, 1), D(2021, 2, 5), D(2021, 3, 1))
    assert s.order_end == D(2024, 3, 1) and s.breaches_reported == 1
    assert not s.in_force_on(D(2021, 2, 4)) and s.in_force_on(D(2021, 2, 5)) and s.in_force_on(D(2021, 3, 1))
    assert s.in_force_on(D(2024, 2, 29)) and not s.in_force_on(D(2024, 3, 1))
    assert derive_state(events, on=D(2021, 2, 20)).stage == "interim order"
    assert derive_state(events[:4], on=D(2023, 3, 1)).stage == "expired"  # term ran out without a renewal
    gone = derive_state(DISCHARGED)
    assert gone.stage == "discharged" and gone.in_force_on(D(2021, 5, 31)) and not gone.in_force_on(D(2021, 6, 1))
    refused = derive_state([ENQ, APP, interim, ev("full_order", D(2021, 4, 1), "refused")])
    assert refused.stage == "refused" and refused.in_force_on(D(2021, 3, 31)) and not refused.in_force_on(D(2021, 4, 1))
    again = derive_state([*DISCHARGED, ev("enquiry", D(2021, 8, 1))])
    assert (again.stage, again.enquiry_date, again.full_order_date) == ("enquiry", D(2021, 8, 1), None)


# --- the import -------------------------------------------------------------------------------

@pytest.fixture
def crime_store(store: Store, tmp_path: Path) -> Store:
    """A store (both engines) holding C1-C3 (8Q: BD, BD, LD), C4 (8L, LD) and C5 (8Q, BD, 2020)."""
    assert ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, IngestOptions(today=TODAY)).rows_accepted == 5
    return store


EVENTS = [
    row("S1", "C1", "application", "01/04/2021"),  # before its enquiry in the file: rows are taken in date order
    row("S1", "C1", "enquiry", "2021-03-10", "BD"),
    row("S1", "C1", "viability", "2021-03-20", outcome="proceed"),
    row("S1", "C1", "interim_order", "2021-04-05", outcome="granted"),
    row("S1", "C1", "full_order", "2021-06-08", outcome="granted", months="24", terms="no contact"),
    row("S1", "C1", "breach_reported", "2021-08-01"),
    row("S1", "C1", "breach_charged", "2021-08-15"),
    row("S2", "C2", "enquiry", "2021-04-05"),
    row("S2", "C2", "application", "2021-04-20"),
    row("S2", "C2", "full_order", "2021-05-05", outcome="Granted", months="12"),
    row("S2", "C2", "discharge", "2021-10-01"),
    row("S3", "C3", "enquiry", "2021-05-01", "Leeds"),
    row("S3", "C3", "application", "2021-05-10"),
    row("S3", "C3", "interim_order", "2021-05-12", outcome="granted"),
    row("S3", "C3", "full_order", "2021-09-08", outcome="granted", months="24"),
    row("S4", "C4", "enquiry", "2021-06-01"),
    row("S4", "C4", "viability", "2021-06-20", outcome="not viable", reason="no ongoing risk"),
    row("S5", "C5", "enquiry", "2020-11-01"),
    row("S5", "C5", "application", "2020-12-01"),
    row("S5", "C5", "full_order", "2021-02-01", outcome="granted", months="24"),
]
BAD = [
    row("S2", "C2", "breach_reported", "2021-11-01"),  # on a discharged order
    row("S6", "C9", "enquiry", "2021-07-01"),  # crime not in the store and no district
    row("S7", "C1", "interim_order", "2021-07-01", "BD", outcome="granted"),  # no enquiry, no application
    row("S8", "C1", "enquiry", "2021-07-01", "XX"),
    row("S9", "C1", "summons", "31/02/2021", "BD"),
    row("S3", "C3", "full_order", "2021-10-01", outcome="granted", months="24"),  # a second full order
    row("S1", "C1", "enquiry", "2022-03-01", "BD"),  # after today
]


def test_import_accounting_rejects_and_reimport(crime_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "spo.csv", EVENTS)
    result = import_events(path, crime_store, today=TODAY)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (20, 20, 0)
    assert result.by_event["full_order"] == 4 and result.by_event["enquiry"] == 5
    stored = load_events(crime_store)
    assert sorted(stored) == ["S1", "S2", "S3", "S4", "S5"]
    assert {stored["S4"][0].district, stored["S3"][0].district} == {"LD"}  # from the crime; from the name Leeds
    assert stored["S1"][4].terms == "no contact" and stored["S2"][2].outcome == "granted"
    again = import_events(path, crime_store, today=TODAY)
    assert again.already_imported and again.batch_id == result.batch_id
    assert crime_store.table(tables.SPO_EVENTS).count().to_pyarrow().as_py() == 20

    bad = import_events(write_csv(tmp_path / "bad.csv", BAD), crime_store, today=TODAY)
    assert (bad.rows_read, bad.rows_accepted, bad.rows_rejected) == (7, 0, 7)
    r = crime_store.table(tables.REJECTED_ROWS)
    got = {x["row_number"]: x["reasons"] for x in r.filter(r.batch_id == bad.batch_id).to_pyarrow().to_pylist()}
    assert "the case is discharged (since 2021-10-01): only a new enquiry may follow" in got[2]
    assert "crime C9 is not in the store" in got[3]
    assert got[4] == "no enquiry to Legal Services is recorded for case S7"
    assert "district 'XX' is not one of BD, CD, KD, LD, WD" in got[5]
    assert "event 'summons' is not an SPO event" in got[6] and "'31/02/2021' cannot be read" in got[6]
    assert "the full order was already made on 2021-09-08" in got[7]
    assert "is after today (2022-02-15)" in got[8]
    issues = crime_store.table(tables.ROW_ISSUES)
    assert issues.filter(issues.batch_id == bad.batch_id).count().to_pyarrow().as_py() == 8
    assert crime_store.table(tables.SPO_EVENTS).count().to_pyarrow().as_py() == 20


def test_file_level_problems(crime_store: Store, tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="has no terms column"):
        import_events(write_csv(tmp_path / "a.csv", [{k: v for k, v in EVENTS[1].items() if k != "terms"}]),
                      crime_store)
    shuffled = {k: EVENTS[1][k] for k in reversed(list(EVENTS[1]))}
    with pytest.raises(InputFileError, match="template's columns in order"):
        import_events(write_csv(tmp_path / "b.csv", [shuffled]), crime_store)


def test_add_checks_against_the_store(crime_store: Store) -> None:
    add_event(crime_store, row("S1", "C1", "enquiry", "2021-03-10"), today=TODAY)
    with pytest.raises(InputFileError, match="full order before an application"):
        add_event(crime_store, row("S1", "C1", "full_order", "2021-04-10", outcome="granted", months="24"),
                  today=TODAY)
    add_event(crime_store, row("S1", "C1", "application", "2021-04-01"), today=TODAY)
    assert derive_state(load_events(crime_store)["S1"]).stage == "application"


# --- the measures (hand-worked in the comments) -----------------------------------------------

def test_spo_table_by_hand(crime_store: Store, tmp_path: Path) -> None:
    import_events(write_csv(tmp_path / "spo.csv", EVENTS), crime_store, today=TODAY)
    force = load_force()
    table = {r["district"]: r for r in spo_table(crime_store, WINDOW, force).to_pylist()}
    assert list(table) == ["BD", "CD", "KD", "LD", "WD", "Force"]
    # BD: S1, S2 enquire in 2021 (S5 in 2020); full orders S1 (90 days), S2 (30), S5 (92); in force at the
    # end S1 and S5 (S2 discharged); quartiles of 30, 90, 92: 60, 90, 91; stalking crimes C1, C2 (C5 is 2020).
    assert table["BD"] == {
        "district": "BD", "enquiries": 2, "applications": 2, "interim_orders": 1, "full_orders": 3,
        "in_force_at_end": 2, "breaches": 1, "breaches_charged": 1, "conversion_pct": 150.0,
        "median_days_to_interim": 26.0, "q1_days_to_interim": 26.0, "q3_days_to_interim": 26.0,
        "median_days_to_full": 90.0, "q1_days_to_full": 60.0,
        "q3_days_to_full": 91.0, "stalking_crimes": 2, "spos_per_1000": 1500.0, "in_force_per_1000": 1000.0}
    # LD: S3 (interim 11 days, full 130) and S4 (not viable); one stalking crime (C4 is 8L).
    assert table["LD"] == {
        "district": "LD", "enquiries": 2, "applications": 1, "interim_orders": 1, "full_orders": 1,
        "in_force_at_end": 1, "breaches": 0, "breaches_charged": 0, "conversion_pct": 50.0,
        "median_days_to_interim": 11.0, "q1_days_to_interim": 11.0, "q3_days_to_interim": 11.0,
        "median_days_to_full": 130.0, "q1_days_to_full": 130.0,
        "q3_days_to_full": 130.0, "stalking_crimes": 1, "spos_per_1000": 1000.0, "in_force_per_1000": 1000.0}
    # Force: interim days 26, 11 -> 18.5; full days 30, 90, 92, 130 -> 75, 91, 101.5; 4 orders / 3 crimes.
    f = table["Force"]
    assert (f["enquiries"], f["applications"], f["interim_orders"], f["full_orders"], f["in_force_at_end"]) == (
        4, 3, 2, 4, 3)
    assert (f["conversion_pct"], f["median_days_to_interim"], f["median_days_to_full"]) == (100.0, 18.5, 91.0)
    assert (f["q1_days_to_interim"], f["q3_days_to_interim"]) == (14.75, 22.25)  # 11 and 26, interpolated
    assert (f["q1_days_to_full"], f["q3_days_to_full"], f["stalking_crimes"], f["spos_per_1000"]) == (
        75.0, 101.5, 3, 1333.3)
    assert table["KD"]["enquiries"] == 0 and table["KD"]["conversion_pct"] is None
    assert table["KD"]["median_days_to_full"] is None and table["KD"]["spos_per_1000"] is None
    stages = {r["district"]: r for r in spo_stages(crime_store, WINDOW, force).to_pylist()}
    assert (stages["BD"]["full order"], stages["BD"]["discharged"], stages["LD"]["full order"],
            stages["LD"]["not viable"], stages["Force"]["full order"]) == (2, 1, 1, 1, 3)
    early = {r["district"]: r for r in spo_table(crime_store, Period(D(2021, 1, 1), D(2021, 5, 31)), force).to_pylist()}
    assert (early["BD"]["in_force_at_end"], early["BD"]["full_orders"], early["Force"]["in_force_at_end"]) == (
        3, 2, 4)  # S1's interim, S2 and S5 in BD; S3's interim in LD
    # Five months hold C1 (March) and C2 (April) in BD: 3 in force per 2 crimes in 5/12 of a year = 625.
    assert early["BD"]["in_force_per_1000"] == 625.0 and early["KD"]["in_force_per_1000"] is None
    days = {r["district"]: r for r in spo_table(crime_store, Period(D(2021, 1, 2), D(2021, 5, 31)), force).to_pylist()}
    assert days["BD"]["in_force_per_1000"] == round(1500 * 150 / 365.25, 2)  # not month-aligned: by days


def test_spo_trend_by_quarter(crime_store: Store, tmp_path: Path) -> None:
    import_events(write_csv(tmp_path / "spo.csv", EVENTS), crime_store, today=TODAY)
    # 2020-Q4: S5's enquiry and application. 2021-Q1: S1's enquiry, S5's full order; S5 in force on 31 March.
    # Q2: enquiries S2 S3 S4, applications S1 S2 S3, interim S1 S3, full S1 S2; in force S1 S2 S3 S5.
    # Q3: S3's full order; the same four in force. Q4: S2 discharged on 1 October; three in force.
    columns = ("quarter", "enquiries", "applications", "interim_orders", "full_orders", "in_force_at_end")
    trend = [tuple(r[c] for c in columns) for r in spo_trend(crime_store, WINDOW).to_pylist()]
    assert trend == [("2020-Q4", 1, 1, 0, 0, 0), ("2021-Q1", 1, 0, 0, 1, 1), ("2021-Q2", 3, 3, 2, 2, 4),
                     ("2021-Q3", 0, 0, 0, 1, 4), ("2021-Q4", 0, 0, 0, 0, 3)]
    # The year's quarters add up to the year's table.
    year = spo_table(crime_store, WINDOW, load_force()).to_pylist()[-1]
    assert [sum(t[i] for t in trend[1:]) for i in (1, 2, 3, 4)] == [
        year["enquiries"], year["applications"], year["interim_orders"], year["full_orders"]]
    assert [r["quarter"] for r in spo_trend(crime_store, WINDOW, quarters=2).to_pylist()] == ["2021-Q3", "2021-Q4"]
    partial = spo_trend(crime_store, Period(D(2021, 1, 1), D(2021, 5, 31))).to_pylist()[-1]
    assert (partial["quarter"], partial["quarter_end"], partial["enquiries"], partial["full_orders"],
            partial["in_force_at_end"]) == ("2021-Q2", D(2021, 5, 31), 2, 1, 4)


# --- the command line -------------------------------------------------------------------------

def test_cli(crime_store: Store, tmp_path: Path) -> None:
    db = (pg_url() or "") if crime_store.engine == "postgres" else crime_store.target  # target hides the password
    code, stdout, _ = run_cli("spo", "template", "--out", str(tmp_path / "t.csv"))
    assert code == 0 and (tmp_path / "t.csv").read_text().startswith("case_ref,crime_ref,event,event_date,")
    path = write_csv(tmp_path / "spo.csv", EVENTS[:7])
    code, stdout, stderr = run_cli("spo", "import", str(path), "--db", db)
    assert code == 0 and "read 7 = accepted 7 + rejected 0" in stdout, stderr
    code, stdout, _ = run_cli("spo", "import", str(path), "--db", db)
    assert code == 0 and "already imported" in stdout
    code, _, stderr = run_cli("spo", "add", "--case", "S1", "--crime", "C1", "--event", "renewal",
                              "--date", "2021-09-01", "--db", db)
    assert code == 2 and "needs duration_months" in stderr
    code, stdout, _ = run_cli("spo", "list", "--case", "S1", "--db", db)
    assert code == 0 and "full order" in stdout and "breach_charged" in stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("case_ref,event\nS1,enquiry\n")
    code, _, stderr = run_cli("spo", "import", str(bad), "--db", db)
    assert code == 2 and "has no crime_ref" in stderr and "spo template" in stderr
    code, _, stderr = run_cli("spo", "list", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and not (tmp_path / "none.duckdb").exists()


def test_spo_table_reaches_the_profile_and_report(crime_store: Store, tmp_path: Path) -> None:
    from stalking_profile.metrics.profile import ProfileRequest, build_profile
    from stalking_profile.reporting.compose import compose

    request = ProfileRequest(period="2021-01-01:2021-12-31", geography=False, cumulative=False)
    assert "spo" not in build_profile(crime_store, request).tables
    import_events(write_csv(tmp_path / "spo.csv", EVENTS), crime_store, today=TODAY)
    profile = build_profile(crime_store, request)
    assert profile.tables["spo"].to_pylist() == spo_table(crime_store, WINDOW, load_force()).to_pylist()
    blocks = compose(profile, load_force(), source="test").blocks
    texts = [getattr(b, "text", "") for b in blocks]
    assert "Stalking Protection Orders" in texts
    # Three orders in force on 31 December 2021 (S1, S3, S5) from three stalking crimes in the year.
    assert ("On 31 December 2021, 3 Stalking Protection Orders were in force: 1,000.00 per 1,000 stalking crimes "
            "a year.") in texts
    baseline = ("The published baseline (West Yorkshire Police's report to the Mayor's office, January/February "
                "2022): 3 orders in force from about 6,600 stalking crimes a year, 0.45 per 1,000.")
    assert baseline in texts
    assert "In the 12 months to December 2021, 4 enquiries went to Legal Services and 4 full orders were " \
           "granted." in texts
    assert "Enquiries to Legal Services fell from 1 in 2020-Q4 to 0 in 2021-Q4." in texts
    charts = [b for b in blocks if getattr(b, "name", "") == "spo_trend" and hasattr(b, "spec")]
    assert len(charts) == 1 and "Enquiries 1 then 0" in charts[0].alt
    assert ("The store holds no victim referral, dip-sample audit or training records yet, so this report gives no "
            "figures for them. They will appear here once those records are kept in the store.") in texts


def test_force_spo_baseline_is_optional_and_checked() -> None:
    from stalking_profile.errors import ConfigError
    from stalking_profile.force import parse_force

    head = 'name = "F"\nslug = "f"\nbbox_wgs84 = [0, 0, 1, 1]\nbbox_bng = [0, 0, 1, 1]\n'
    district = '[[districts]]\ncode = "A"\nname = "A"\nlad_code = "E1"\n'
    assert parse_force(head + district, "f.toml").spo_baseline is None
    good = parse_force(head + '[spo_baseline]\norders_in_force = 2\nstalking_crimes_per_year = 800\nas_of = "2023"\n'
                       'source = "S"\n' + district, "f.toml").spo_baseline
    assert good is not None and good.per_1000 == 2.5
    for bad in ('orders_in_force = 2\nas_of = "2023"\nsource = "S"\n',
                'orders_in_force = "3"\nstalking_crimes_per_year = 800\nas_of = "2023"\nsource = "S"\n',
                'orders_in_force = 3\nstalking_crimes_per_year = 0\nas_of = "2023"\nsource = "S"\n'):
        with pytest.raises(ConfigError, match="spo_baseline"):
            parse_force(head + "[spo_baseline]\n" + bad + district, "f.toml")
