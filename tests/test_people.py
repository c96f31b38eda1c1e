"""Linkage, history measures, the cumulative score and the worklists built on them, on
hand-built histories whose every figure is worked out below (both engines)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pytest
from typer.testing import CliRunner

from stalking_profile.cli import app
from stalking_profile.errors import ConfigError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.periods import parse_period
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.people.measures import entity_measures, window_start
from stalking_profile.people.review import linked_history, score_period
from stalking_profile.people.settings import load_risk_settings, parse_risk_settings
from stalking_profile.store.connection import Store, open_store
from stalking_profile.worklists.build import LEAD_COLUMNS, WorklistRequest, build_worklist
from tests.conftest import rows_of, write_csv

PERIOD = parse_period(None, "2021-06", None)  # 2020-07-01 to 2021-06-30
SETTINGS = load_risk_settings()
DASH_STANDARD = {"risk_assessment": "DASH", "dash_completed": "Y", "risk_level": "standard"}

# A: three standard-risk stalking crimes, one victim, one suspect, 60 days first to last; a fourth
#    after the period, which must not count.
PAIR_A = [dict(victim_id="V1", suspect_id="S1", recorded_date=d, allocated_unit="DA team", **DASH_STANDARD)
          for d in ("2021-03-01", "2021-03-31", "2021-04-30", "2021-08-01")]
# B: a serial suspect: four victims, non-domestic, with patrol, no risk assessment.
SERIAL_B = [dict(victim_id=f"V{n}", suspect_id="S2", recorded_date=d, domestic_flag="N", allocated_unit="patrol",
                 risk_assessment="none")
            for n, d in zip((2, 3, 4, 5), ("2020-09-14", "2020-12-01", "2021-02-03", "2021-05-20"), strict=True)]
# C: an escalating pair: harassment, then stalking, then assault with injury; gaps 41 and 40 days.
ESCALATING_C = [dict(victim_id="V6", suspect_id="S3", recorded_date=d, offence_code=code, allocated_unit="patrol",
                     **DASH_STANDARD)
                for d, code in (("2021-01-10", "8L"), ("2021-02-20", "8Q"), ("2021-04-01", "8N"))]
# F: a single crime, assessed: scores nothing.
LONE_F = [dict(victim_id="V7", suspect_id="S4", recorded_date="2021-06-01", allocated_unit="DA team", **DASH_STANDARD)]
# G: a harassment crime against the victim of A whose victim id was not recorded.
NO_ID_G = [dict(victim_id="", suspect_id="S1", recorded_date="2021-05-10", offence_code="8L")]
# H: a single crime graded high, with an arrest: its own grading and arrest must not score.
LONE_H = [dict(victim_id="V8", suspect_id="S5", recorded_date="2021-06-02", allocated_unit="DA team",
               risk_assessment="DASH", dash_completed="Y", risk_level="high", arrest_made="Y")]
HISTORY = [*PAIR_A, *SERIAL_B, *ESCALATING_C, *LONE_F, *NO_ID_G, *LONE_H]
REF = {i: f"C{i + 1}" for i in range(len(HISTORY))}  # rows_of numbers crimes C1, C2, ...


@pytest.fixture
def people_store(store: Store, tmp_path: Path, options: IngestOptions) -> Store:
    ingest(write_csv(tmp_path / "history.csv", rows_of(*HISTORY)), store, options)
    return store


def _worklist(store: Store, name: str) -> list[dict[str, Any]]:
    rows = build_worklist(store, WorklistRequest(name, to="2021-06")).table.to_pylist()
    assert rows == [] or tuple(rows[0])[:4] == LEAD_COLUMNS
    return rows


def _scored(store: Store) -> dict[str, dict[str, Any]]:
    with linked_history(store, SETTINGS) as linked:
        scored = score_period(linked, ["8Q"], PERIOD, SETTINGS)
    return {r["crime_ref"]: r for r in scored.table.to_pylist()}


def _measures(store: Store, entity: str) -> dict[str, dict[str, Any]]:
    with linked_history(store, SETTINGS) as linked:
        start = window_start(PERIOD.end, SETTINGS.window_months)
        rows = entity_measures(linked, entity, start, PERIOD.end).to_pyarrow().to_pylist()  # type: ignore[arg-type]
    return {r[f"{entity}_key"]: r for r in rows}


def test_three_low_risk_incidents_in_60_days_band_high(people_store: Store) -> None:
    scored = _scored(people_store)
    a = [scored[REF[i]] for i in range(3)]
    assert REF[3] not in scored  # recorded after the period
    # 3 pair incidents (+4), 3 within 60 days (+2), victim of 3 crimes (+2): 8 = high
    assert {r["score"] for r in a} == {8} and {r["band"] for r in a} == {"high"}
    assert a[0]["p_incidents_window"] == 3 and a[0]["p_shortest_span_3_days"] == 60
    assert a[0]["p_interval_slope_days"] == 0.0  # gaps 30, 30: not closing in
    assert a[0]["factors"] == ("3 incidents between this victim and suspect in the window (+4); "
                               "3 incidents between them within 60 days (+2); victim of 3 crimes in the window (+2)")
    listed = {r["crime_ref"]: r for r in _worklist(people_store, "cumulative-risk")}
    assert listed[REF[0]]["reason"] == "cumulative high (score 8) above the recorded risk standard"
    assert listed[REF[0]]["recorded_risk"] == "standard" and listed[REF[0]]["allocated_unit"] == "DA team"


def test_serial_suspect_with_four_victims(people_store: Store) -> None:
    suspects = _measures(people_store, "suspect")
    s2 = next(m for m in suspects.values() if m["victims_all"] == 4)
    assert (s2["incidents_window"], s2["victims_window"], s2["offence_mix"]) == (4, 4, "8Q:4")
    scored = _scored(people_store)
    b = [scored[REF[i]] for i in range(4, 8)]
    # serial suspect (+3), three or more victims (+2): 5 = medium; no one victim is a repeat victim
    assert {r["score"] for r in b} == {5} and {r["band"] for r in b} == {"medium"}
    serial = _worklist(people_store, "serial-suspects")
    assert [r["crime_ref"] for r in serial] == [REF[7]]  # the suspect's latest crime in the period
    assert serial[0]["reason"] == "suspect linked to 4 victims (4 in 12 months; crimes: 8Q:4)"
    assert serial[0]["crimes_in_window"] == " ".join(REF[i] for i in range(4, 8))
    reasons = {r["crime_ref"]: r["reason"] for r in _worklist(people_store, "cumulative-risk")}
    assert reasons[REF[4]] == "cumulative medium (score 5) above the recorded risk (none recorded)"


def test_escalating_pair(people_store: Store) -> None:
    pair = next(m for m in _measures(people_store, "pair").values() if m["offence_mix"] == "8L:1 8N:1 8Q:1")
    assert (pair["escalations"], pair["first_tier"], pair["top_tier"]) == (2, 1, 3)
    assert pair["interval_slope_days"] == -1.0 and pair["shortest_span_3_days"] == 81
    assert pair["violence_all"] == 1
    c = _scored(people_store)[REF[9]]  # the stalking crime of the pair
    # repeat pair 4 + within 91 days 2 + closing 2 + escalation 3 + suspect violence 2 + repeat victim 2
    assert (c["score"], c["band"]) == (15, "high")
    assert "escalation within the pair (2 step(s) up in severity) (+3)" in c["factors"]
    assert "incidents getting closer together (-1.0 days per incident) (+2)" in c["factors"]
    listed = {r["crime_ref"]: r for r in _worklist(people_store, "cumulative-risk")}
    assert listed[REF[9]]["reason"] == ("cumulative high (score 15) above the recorded risk standard; "
                                        "cumulative high with a non-specialist unit (patrol)")


def test_lone_crime_scores_nothing_and_is_not_listed(people_store: Store) -> None:
    scored = _scored(people_store)
    for ref in (REF[11], REF[13]):  # F, and H whose own high grading and arrest count for nothing
        assert (scored[ref]["score"], scored[ref]["band"], scored[ref]["factors"]) == (0, "standard", "")
        assert all(r["crime_ref"] != ref for r in _worklist(people_store, "cumulative-risk"))
    assert scored[REF[13]]["s_high_risk_all"] == 0 and scored[REF[13]]["recorded_rank"] == 3


def test_same_day_crimes_are_simultaneous() -> None:
    """Two crimes of one pair on one day: no escalation, whichever reference comes first."""
    for codes in (("8N", "8L"), ("8L", "8N")):
        rows = [dict(crime_ref=f"C{i}", recorded_date=dt.date(2021, 1, 1), offence_code=code,
                     offence_description=None, victim_id="V", suspect_id="S", risk_level=None, arrest_made=None,
                     outcome_type=None) for i, code in enumerate(codes)]
        crimes = ibis.memtable(rows, schema=dict(crime_ref="string", recorded_date="date", offence_code="string",
                                                 offence_description="string", victim_id="string",
                                                 suspect_id="string", risk_level="string", arrest_made="boolean",
                                                 outcome_type="string"))
        from stalking_profile.people.linkage import link_crimes

        m = entity_measures(link_crimes(crimes, SETTINGS), "pair", dt.date(2020, 7, 1), PERIOD.end)
        assert m.escalations.to_pyarrow().to_pylist() == [0], codes


def test_missing_risk_assessment_and_repeat_victims(people_store: Store) -> None:
    missing = _worklist(people_store, "missing-risk-assessment")
    assert [r["crime_ref"] for r in missing] == [REF[i] for i in range(4, 8)]
    assert {r["reason"] for r in missing} == {"no risk assessment recorded; cumulative medium"}
    assert {r["domestic"] for r in missing} == {"Non-Domestic"}
    victims = {r["crime_ref"]: r for r in _worklist(people_store, "repeat-victims")}
    assert set(victims) == {REF[2], REF[9]}  # V1 at the last of three; V6 at the stalking crime
    assert victims[REF[2]]["reason"] == "victim of 3 crimes in 12 months (8Q:3) by 1 known suspect(s)"
    assert victims[REF[9]]["offence_mix"] == "8L:1 8N:1 8Q:1"


def test_profile_tables_count_bands_flags_and_units(people_store: Store) -> None:
    tables = build_profile(people_store, ProfileRequest(to="2021-06", geography=False)).tables
    risk = {(r["district"], r["domestic"]): r for r in tables["cumulative_risk"].to_pylist()}
    force = risk[("Force", "All")]
    # 8Q crimes in the period: A x3 (high), B x4 (medium), C's stalking crime (high), F and H (standard)
    assert (force["crimes"], force["standard"], force["medium"], force["high"]) == (10, 2, 4, 4)
    assert (force["above_recorded"], force["high_no_assessment"], force["high_non_specialist"]) == (8, 0, 1)
    units = {(r["district"], r["domestic"], r["allocated_unit"]): r for r in tables["allocation"].to_pylist()}
    patrol = units[("Force", "All", "patrol")]
    assert (patrol["non_specialist"], patrol["crimes"], patrol["medium"], patrol["high"]) == (True, 5, 4, 1)
    public = build_profile(people_store, ProfileRequest(to="2021-06", geography=False, audience="public")).tables
    assert "cumulative_risk" not in public and "allocation" not in public


def test_clusters_merge_duplicated_ids(people_store: Store) -> None:
    """Victims V2 and V3 (ids pseudonymised at ingest) are one person by a clustering run."""
    crimes = people_store.current_crimes()
    ids = dict(zip(*[crimes.filter(crimes.crime_ref.isin([REF[4], REF[5]])).order_by("crime_ref")
                     .to_pyarrow().column(c).to_pylist() for c in ("crime_ref", "victim_id")], strict=True))
    clusters = ibis.memtable({"person_id": [ids[REF[4]], ids[REF[5]]], "cluster_id": ["P1", "P1"]})
    with linked_history(people_store, SETTINGS, clusters=(clusters, None)) as linked:
        m = entity_measures(linked, "suspect", window_start(PERIOD.end, 12), PERIOD.end).to_pyarrow().to_pylist()
    assert max(r["victims_all"] for r in m) == 3


def test_clusters_attach_a_crime_with_no_id(people_store: Store) -> None:
    """A clustering run attached crime G (no victim id) to A's victim: the pair now has 4 crimes."""
    crimes = people_store.current_crimes()
    v1 = crimes.filter(crimes.crime_ref == REF[0]).victim_id.to_pyarrow().to_pylist()[0]
    clusters = ibis.memtable({"person_id": [v1, None], "crime_ref": [None, REF[12]], "cluster_id": ["P1", "P1"]},
                             schema={"person_id": "string", "crime_ref": "string", "cluster_id": "string"})
    with linked_history(people_store, SETTINGS, clusters=(clusters, None)) as linked:
        start = window_start(PERIOD.end, 12)
        pairs = entity_measures(linked, "pair", start, PERIOD.end).to_pyarrow().to_pylist()
        victims = entity_measures(linked, "victim", start, PERIOD.end).to_pyarrow().to_pylist()
    assert {r["pair_key"]: r["incidents_window"] for r in pairs}[f"P1|{_suspect_of(people_store, REF[0])}"] == 4
    assert {r["victim_key"]: r["offence_mix"] for r in victims}["P1"] == "8Q:3 8L:1"
    unlinked = _measures(people_store, "victim")
    assert None not in unlinked and v1 in unlinked and unlinked[v1]["incidents_window"] == 3


def _suspect_of(store: Store, ref: str) -> str:
    crimes = store.current_crimes()
    return str(crimes.filter(crimes.crime_ref == ref).suspect_id.to_pyarrow().to_pylist()[0])


def test_stored_risk_forms_count_as_assessments(people_store: Store, tmp_path: Path) -> None:
    """A DASH form graded high, imported for B's first crime: that crime is assessed, its victim
    and the serial suspect now have a high-risk assessment in their histories."""
    from stalking_profile.riskforms.imports import import_forms
    from tests.conftest import TODAY

    form = {"crime_ref": REF[4], "form_type": "DASH", "completed_date": "2020-09-15", "q2": "Y", "q8": "Y",
            "risk_level": "high"}
    import_forms(write_csv(tmp_path / "forms.csv", [form]), people_store, today=TODAY)
    missing = [r["crime_ref"] for r in _worklist(people_store, "missing-risk-assessment")]
    assert missing == [REF[i] for i in range(5, 8)]
    scored = _scored(people_store)
    # B1: serial (+3), three or more victims (+2); its own form does not count for itself.
    # B2-B4: the same, and a high-risk assessment in the suspect's other crimes (+4)
    assert [scored[REF[i]]["score"] for i in range(4, 8)] == [5, 9, 9, 9]
    assert scored[REF[4]]["recorded_rank"] == 3  # the form's grading is the recorded risk
    listed = {r["crime_ref"] for r in _worklist(people_store, "cumulative-risk")}
    assert REF[4] not in listed and {REF[5], REF[6], REF[7]} <= listed
    table = build_profile(people_store, ProfileRequest(to="2021-06", geography=False)).tables["risk_assessment"]
    row = next(r for r in table.to_pylist() if (r["district"], r["domestic"]) == ("Force", "Non-Domestic"))
    assert (row["crimes"], row["assessed"], row["rate_pct"]) == (4, 1, 25.0)  # the profile agrees


def test_settings_are_checked() -> None:
    text = (Path(__file__).parents[1] / "stalking_profile/data/cumulative_risk.toml").read_text()
    with pytest.raises(ConfigError, match="unknown measure 'incidnets_window'"):
        parse_risk_settings(text.replace('measure = "incidents_window"', 'measure = "incidnets_window"', 1), "t")
    with pytest.raises(ConfigError, match="medium = 9, high = 8"):
        parse_risk_settings(text.replace("medium = 4", "medium = 9"), "t")
    with pytest.raises(ConfigError, match="exactly one of at_least or below"):
        parse_risk_settings(text.replace("at_least = 3\npoints = 4", "points = 4", 1), "t")
    with pytest.raises(ConfigError, match="non_specialist_units must be a list of strings"):
        parse_risk_settings(text.replace('non_specialist_units = ["patrol", "district investigation team"]',
                                         'non_specialist_units = "patrol"'), "t")
    custom = parse_risk_settings(text.replace("high = 8", "high = 20"), "t")
    assert custom.band_of(8) == "medium"


def test_worklist_cli(tmp_path: Path, options: IngestOptions) -> None:
    """The command line on a DuckDB file (the engines' parity is the other tests' business)."""
    db = str(tmp_path / "people.duckdb")
    with open_store(db) as made:
        ingest(write_csv(tmp_path / "history.csv", rows_of(*HISTORY)), made, options)
    runner = CliRunner()
    out = tmp_path / "serial.csv"
    done = runner.invoke(app, ["worklist", "serial-suspects", "--db", db, "--to", "2021-06", "--out", str(out)])
    assert done.exit_code == 0, done.output
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["crime_ref"] for r in rows] == [REF[7]]
    refused = runner.invoke(app, ["worklist", "cumulative-risk", "--db", db, "--out", str(out), "--audience", "public"])
    assert refused.exit_code == 2 and "internal" in refused.output
    bad = tmp_path / "risk.toml"
    bad.write_text("[bands]\nmedium = 4\n")
    broken = runner.invoke(app, ["worklist", "cumulative-risk", "--db", db, "--out", str(out),
                                 "--risk-config", str(bad)])
    assert broken.exit_code == 2 and "cumulative_risk.toml" in broken.output and "Traceback" not in broken.output


def test_window_start_counts_back_whole_months() -> None:
    assert window_start(dt.date(2021, 6, 30), 12) == dt.date(2020, 7, 1)
    assert window_start(dt.date(2021, 6, 30), 3) == dt.date(2021, 4, 1)


def test_spo_candidates(people_store: Store, tmp_path: Path) -> None:
    """High cumulative risk or a serial suspect, and no SPO enquiry yet on the crime."""
    from stalking_profile.cases.spo_import import import_events
    from tests.conftest import TODAY

    listed = {r["crime_ref"]: r["reason"] for r in _worklist(people_store, "spo-candidates")}
    assert set(listed) == {REF[0], REF[1], REF[2], REF[4], REF[5], REF[6], REF[7], REF[9]}
    assert listed[REF[0]] == "cumulative high (score 8); no SPO enquiry yet"
    assert listed[REF[4]] == "suspect linked to 4 victims; non-domestic; no SPO enquiry yet"
    header = "case_ref,crime_ref,event,event_date,district,outcome,reason,duration_months,terms\n"
    (tmp_path / "spo.csv").write_text(header + f"SPO-1,{REF[0]},enquiry,2021-05-01,BD,,,,\n", encoding="utf-8")
    assert import_events(tmp_path / "spo.csv", people_store, today=TODAY).rows_accepted == 1
    assert REF[0] not in {r["crime_ref"] for r in _worklist(people_store, "spo-candidates")}
