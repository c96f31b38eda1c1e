"""Dip-sample audits: checklist, allocation, the draw, the workbook, findings, measures and the CLI (synthetic data)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from stalking_profile.audits.allocation import allocate, draw_key, draw_order
from stalking_profile.audits.checklist import CHECKLIST_ENV, load_checklist, parse_checklist, resolve_answer
from stalking_profile.audits.imports import add_review, import_findings
from stalking_profile.audits.measures import audit_compliance, audit_samples_table, design_weighted
from stalking_profile.audits.reviews import current_reviews
from stalking_profile.audits.sample import draw_sample, load_sample
from stalking_profile.audits.workbook import export_checklist, write_checklist
from stalking_profile.errors import ConfigError, InputFileError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.periods import Period
from stalking_profile.store import records, tables
from stalking_profile.store.connection import Store, open_store
from tests.conftest import BASE_ROW, TODAY, fresh_pg_url, run_cli, write_csv

PERIOD = Period(dt.date(2021, 4, 1), dt.date(2021, 9, 30))
ITEMS = ("risk_form", "sdash", "cumulative_risk", "allocation", "victim_referred", "spo_considered",
         "supervisor_review")


def crime(ref: str, district: str, domestic: str, date: str, code: str = "8Q") -> dict[str, str]:
    return {**BASE_ROW, "crime_ref": ref, "district": district, "domestic_flag": domestic, "recorded_date": date,
            "offence_code": code}


#: In the period: Bradford 12 domestic (B00-B11) and 4 non-domestic (N0-N3) stalking crimes, Leeds 3
#: domestic; outside the population: a harassment crime (8L) and a crime recorded before the period.
CRIMES = ([crime(f"B{i:02d}", "BD", "Y", f"2021-{4 + i % 6:02d}-{10 + i:02d}") for i in range(12)]
          + [crime(f"N{i}", "BD", "N", f"2021-05-0{i + 1}") for i in range(4)]
          + [crime(f"L{i}", "LD", "Y", f"2021-06-1{i}") for i in range(3)]
          + [crime("H1", "BD", "Y", "2021-05-01", code="8L"), crime("OLD", "BD", "Y", "2021-01-05")])
BD_DOMESTIC = [f"B{i:02d}" for i in range(12)]
BD_NON = ["N0", "N1", "N2", "N3"]


@pytest.fixture(autouse=True)
def _shipped_checklist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CHECKLIST_ENV, raising=False)


def _ingest(store: Store, path: Path, rows: list[dict[str, str]]) -> None:
    assert ingest(write_csv(path, rows), store, IngestOptions(today=TODAY)).rows_accepted == len(rows)


@pytest.fixture
def crime_store(store: Store, tmp_path: Path) -> Store:
    """A store (DuckDB, and PostgreSQL when available) holding CRIMES as batch 1."""
    _ingest(store, tmp_path / "crimes.csv", CRIMES)
    return store


def _count(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


def review(audit: int, ref: str, answers: str | list[str], date: str = "", finding: str = "") -> dict[str, str]:
    """A findings row; ``answers`` is one answer for every item or a list, item by item ('' = blank)."""
    given = [answers] * len(ITEMS) if isinstance(answers, str) else answers
    return {"audit_id": str(audit), "crime_ref": ref, **dict(zip(ITEMS, given, strict=True)), "audited_date": date,
            "finding": finding}


# --- checklist ---------------------------------------------------------------------------------

def test_shipped_checklist_and_answers() -> None:
    c = load_checklist()
    assert c.keys == ITEMS
    assert c.question("risk_form") == "A DASH risk assessment was completed"
    assert all(i.guidance for i in c.items)
    assert [resolve_answer(t) for t in ("YES", "y", " No ", "n", "NA", "n/a", "N/A", "Not applicable", "x", "")] == [
        "yes", "yes", "no", "no", "n/a", "n/a", "n/a", "n/a", None, None]


def test_another_checklist_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[items]]\nkey = "bwv"\nquestion = "Body-worn video was reviewed"\n')
    monkeypatch.setenv(CHECKLIST_ENV, str(path))
    assert load_checklist().keys == ("bwv",) and load_checklist().items[0].guidance == ""


@pytest.mark.parametrize(("text", "message"), [
    ("[[items]\n", "not valid TOML"),
    ("x = 1\n", "lists no items"),
    ('[[items]]\nkey = "Risk Form"\nquestion = "A"\n', "lacks a key"),
    ('[[items]]\nkey = "a"\n', "lacks a key .* or a question"),
    ('[[items]]\nkey = "a"\nquestion = "A"\nguidance = 3\n', "guidance that is not text"),
    ('[[items]]\nkey = "a"\nquestion = "A"\n[[items]]\nkey = "a"\nquestion = "B"\n', "'a' is listed twice"),
    ('[[items]]\nkey = "finding"\nquestion = "A"\n', "'finding' is a column of the workbook"),
], ids=["syntax", "none", "bad-key", "no-question", "bad-guidance", "twice", "reserved"])
def test_bad_checklists_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_checklist(text, "mine.toml")


# --- allocation and the draw order (pure) -------------------------------------------------------

D, ND, U = "Domestic", "Non-Domestic", "Unknown"


@pytest.mark.parametrize(("populations", "size", "method", "expected"), [
    ({D: 40, ND: 12}, 15, "equal", {D: 8, ND: 7}),                  # the remainder to the larger stratum
    ({D: 12, ND: 40}, 15, "equal", {D: 7, ND: 8}),
    ({D: 40, ND: 12}, 14, "equal", {D: 7, ND: 7}),
    ({D: 40, ND: 3}, 15, "equal", {D: 12, ND: 3}),                  # a small stratum's surplus to the other
    ({D: 40, ND: 3, U: 1}, 15, "equal", {D: 11, ND: 3, U: 1}),
    ({D: 20, ND: 20, U: 20}, 10, "equal", {D: 4, ND: 3, U: 3}),
    ({D: 30, ND: 20, U: 6}, 20, "equal", {D: 7, ND: 7, U: 6}),
    ({D: 1, ND: 9}, 1, "equal", {D: 0, ND: 1}),                     # fewer than the strata: the larger first
    ({D: 5, ND: 4}, 9, "equal", {D: 5, ND: 4}),                     # size = population: all
    ({D: 5, ND: 4}, 50, "proportional", {D: 5, ND: 4}),             # size > population: all
    ({D: 40, ND: 12}, 15, "proportional", {D: 12, ND: 3}),          # 11.54 + 3.46: largest remainder
    ({D: 98, ND: 2}, 15, "proportional", {D: 14, ND: 1}),           # 14.7 + 0.3 -> 15 + 0, then at least one
    ({D: 50, ND: 30, U: 20}, 7, "proportional", {D: 4, ND: 2, U: 1}),   # 3.5, 2.1, 1.4: the .5 wins
    ({D: 98, ND: 1, U: 1}, 2, "proportional", {D: 2, ND: 0, U: 0}),     # too small for one from each
    ({D: 0, ND: 7}, 5, "equal", {ND: 5}),                           # empty strata are left out
], ids=["equal", "equal-nd-larger", "equal-even", "equal-small", "equal-three", "equal-three-even",
        "equal-one-small", "equal-tiny", "all", "all-proportional", "proportional", "proportional-min-one",
        "proportional-three", "proportional-too-small", "empty-stratum"])
def test_allocation(populations: dict[str, int], size: int, method: str, expected: dict[str, int]) -> None:
    got = allocate(populations, size, method)
    assert {k: v for k, v in got.items() if v or k in expected} == expected
    assert sum(got.values()) == min(size, sum(populations.values()))
    assert all(got[s] <= populations[s] for s in got)


@pytest.mark.parametrize(("size", "method", "message"), [
    (0, "equal", "must be 1 or more"), (5, "random", "unknown allocation 'random'")])
def test_allocation_refuses_bad_arguments(size: int, method: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        allocate({D: 4}, size, method)


def test_draw_order_is_the_sha256_rank_whatever_the_input_order() -> None:
    refs = [f"C{i}" for i in range(50)]
    first = draw_order(refs, 7)
    assert first == draw_order(list(reversed(refs)), 7) == sorted(
        refs, key=lambda r: hashlib.sha256(f"7:{r}".encode()).hexdigest())
    assert draw_key(7, "C1") == hashlib.sha256(b"7:C1").hexdigest()
    assert draw_order(refs, 8)[:5] != first[:5]


# --- drawing a sample from the store -----------------------------------------------------------

def test_draw_sample_stratified_reproducible_and_stored(crime_store: Store) -> None:
    s = draw_sample(crime_store, "Bradford", PERIOD, 6, seed=7, force=load_force())
    assert s.created and s.audit_id == 2 and s.spec.district == "BD" and s.spec.crimes_batch == 1
    assert [(x.label, x.population, x.sample) for x in s.strata] == [(D, 12, 3), (ND, 4, 3)]
    crimes = s.crimes.to_pylist()
    assert [c["crime_ref"] for c in crimes] == draw_order(BD_DOMESTIC, 7)[:3] + draw_order(BD_NON, 7)[:3]
    assert [c["draw_rank"] for c in crimes] == [1, 2, 3, 1, 2, 3]
    assert {c["offence_code"] for c in crimes} == {"8Q"}
    batch = crime_store.table(tables.BATCHES).filter(lambda b: b.batch_id == 2).to_pyarrow().to_pylist()[0]
    assert batch["source_kind"] == "audit_sample" and batch["file_sha256"] == hashlib.sha256(
        s.spec.canonical.encode()).hexdigest()
    assert (batch["rows_read"], batch["rows_accepted"]) == (16, 6) and "seed 7" in batch["file_name"]
    stored = crime_store.table(tables.AUDIT_SAMPLES).to_pyarrow().to_pylist()
    assert stored == [{"batch_id": 2, "district": "BD", "offence_family": "stalking", "period_start": PERIOD.start,
                       "period_end": PERIOD.end, "requested_size": 6, "seed": 7, "allocation": "equal",
                       "crimes_batch": 1}]
    members = crime_store.table(tables.AUDIT_SAMPLE_CRIMES).order_by(["stratum", "draw_rank"]).to_pyarrow()
    assert members["stratum_population"].to_pylist() == [12, 12, 12, 4, 4, 4]
    assert members["stratum_sample"].to_pylist() == [3] * 6 and members["domestic"].to_pylist() == [True] * 3 + [
        False] * 3

    again = draw_sample(crime_store, "bd", PERIOD, 6, seed=7)  # the same spec: the stored sample
    assert not again.created and again.audit_id == 2 and again.crimes.equals(s.crimes)
    assert _count(crime_store, tables.BATCHES) == 2 and _count(crime_store, tables.AUDIT_SAMPLE_CRIMES) == 6
    assert load_sample(crime_store, 2).crimes.equals(s.crimes)

    other = draw_sample(crime_store, "BD", PERIOD, 6, seed=8)
    assert other.audit_id == 3 and set(other.crimes["crime_ref"].to_pylist()) != set(crimes_of(s))
    proportional = draw_sample(crime_store, "BD", PERIOD, 6, seed=7, allocation="proportional")
    assert [(x.label, x.sample) for x in proportional.strata] == [(D, 5), (ND, 1)]
    assert crimes_of(proportional) == draw_order(BD_DOMESTIC, 7)[:5] + draw_order(BD_NON, 7)[:1]


def crimes_of(sample: Any) -> list[str]:
    return list(sample.crimes["crime_ref"].to_pylist())


def test_size_above_the_population_takes_all_and_as_of(crime_store: Store, tmp_path: Path) -> None:
    leeds = draw_sample(crime_store, "LD", PERIOD, 15, seed=1)
    assert leeds.size == 3 and [(x.label, x.sample) for x in leeds.strata] == [(D, 3)]
    _ingest(crime_store, tmp_path / "more.csv", [crime("L9", "LD", "N", "2021-07-01")])  # batch 3
    now = draw_sample(crime_store, "LD", PERIOD, 15, seed=1)
    assert now.created and now.audit_id == 4 and now.spec.crimes_batch == 3 and now.size == 4
    before = draw_sample(crime_store, "LD", PERIOD, 15, seed=1, as_of=2)  # crimes as after batch 1: audit 2
    assert not before.created and before.audit_id == 2


def test_the_draw_does_not_depend_on_the_stores_row_order(tmp_path: Path) -> None:
    drawn = []
    for name, rows in (("forward", CRIMES), ("reversed", list(reversed(CRIMES)))):
        with open_store(str(tmp_path / f"{name}.duckdb")) as store:
            _ingest(store, tmp_path / f"{name}.csv", rows)
            drawn.append(crimes_of(draw_sample(store, "BD", PERIOD, 7, seed=11)))
    assert drawn[0] == drawn[1] and len(drawn[0]) == 7


def test_duckdb_and_postgresql_draw_the_same_crimes(tmp_path: Path) -> None:
    url = fresh_pg_url()
    drawn = []
    for target in (str(tmp_path / "s.duckdb"), url):
        with open_store(target) as store:
            _ingest(store, tmp_path / "c.csv", CRIMES)
            sample = draw_sample(store, "BD", PERIOD, 9, seed=3)
            drawn.append((sample.audit_id, crimes_of(sample), [(x.label, x.population, x.sample)
                                                               for x in sample.strata]))
    assert drawn[0] == drawn[1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"district": "Manchester"}, "district 'Manchester' is not one of West Yorkshire Police's districts"),
    ({"district": "WD"}, "no stalking crimes were recorded in WD from 2021-04-01 to 2021-09-30"),
    ({"period": Period(dt.date(2020, 1, 1), dt.date(2020, 12, 31))}, "no stalking crimes were recorded in BD"),
    ({"size": 0}, "must be from 1 to 1,000,000"), ({"size": 10**20}, "must be from 1 to 1,000,000"),
    ({"seed": 2**64}, "the seed must be a whole number from 0"), ({"seed": -1}, "the seed must be a whole number"),
    ({"family": "burglary"}, "unknown offence family 'burglary'"),
    ({"allocation": "random"}, "unknown allocation"),
    ({"as_of": 9}, "--as-of 9 is not a batch of this store"),
], ids=["district", "empty-district", "empty-period", "size", "huge-size", "huge-seed", "negative-seed", "family",
        "allocation", "as-of"])
def test_draw_refuses_with_reasons(crime_store: Store, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"district": "BD", "period": PERIOD, "size": 5, "seed": 1, **kwargs}
    with pytest.raises(ConfigError, match=message):
        draw_sample(crime_store, args.pop("district"), args.pop("period"), args.pop("size"), args.pop("seed"),
                    **args)
    assert _count(crime_store, tables.AUDIT_SAMPLES) == 0


def test_an_empty_store_has_nothing_to_sample(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "s.duckdb")) as store, pytest.raises(ConfigError, match="no crimes to sample"):
        draw_sample(store, "BD", PERIOD, 5, seed=1)


# --- the workbook ------------------------------------------------------------------------------

def test_workbook_read_back(crime_store: Store, tmp_path: Path) -> None:
    import openpyxl

    sample = draw_sample(crime_store, "BD", PERIOD, 6, seed=7)
    path = write_checklist(tmp_path / "audit.xlsx", sample, load_checklist(), force=load_force())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Checklist", "Guide"]
    sheet = book["Checklist"]
    header = [c.value for c in sheet[1]]
    assert header == ["audit_id", "crime_ref", "district", "recorded_date", "domestic", "offence_code", *ITEMS,
                      "audited_date", "finding"]
    assert sheet.freeze_panes == "C2" and sheet.max_row == 7
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in body] == crimes_of(sample) and {r[0] for r in body} == {2} and {r[2] for r in body} == {"BD"}
    assert [r[4] for r in body] == [D] * 3 + [ND] * 3 and all(isinstance(r[3], dt.datetime) for r in body)
    assert all(v is None for r in body for v in r[6:])
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(rules) == {f"{col}2:{col}7" for col in "GHIJKLM"}
    assert {(v.type, v.formula1) for v in rules.values()} == {("list", '"yes,no,n/a"')}
    guide = "\n".join(" | ".join(str(v) for v in row if v is not None)
                      for row in book["Guide"].iter_rows(values_only=True))
    assert "OFFICIAL-SENSITIVE: record-level data for internal use only" in guide
    assert "Domestic | 12 | 3 | 4.00 crimes" in guide and "Non-Domestic | 4 | 3 | 1.33 crimes" in guide
    assert "seed | 7" in guide and "allocation | equal" in guide and "period | 2021-04-01 to 2021-09-30" in guide
    assert "stalking-profile audit import FILE" in guide
    assert "sdash | The S-DASH stalking screening questions were asked" in guide

    with pytest.raises(InputFileError, match="already exists"):
        write_checklist(path, sample, load_checklist())
    with pytest.raises(InputFileError, match=r"the name must end \.csv or \.xlsx"):
        write_checklist(tmp_path / "audit.json", sample, load_checklist())


# --- importing findings ------------------------------------------------------------------------

@pytest.fixture
def sampled(crime_store: Store) -> Store:
    """CRIMES (batch 1) and a Bradford sample of 6 (audit 2): B-crimes then N-crimes, 3 of each."""
    draw_sample(crime_store, "BD", PERIOD, 6, seed=7)
    return crime_store


def _sample_refs(store: Store) -> list[str]:
    return crimes_of(load_sample(store, 2))


def _stored_reviews(store: Store) -> dict[str, Any]:
    return {ref: (r.answers, r.audited_date, r.finding) for (_, ref), r in current_reviews(store).items()}


def test_import_accounting_and_reimport(sampled: Store, tmp_path: Path) -> None:
    refs = _sample_refs(sampled)
    rows = [review(2, refs[0], "yes", "2021-11-02", "All done"), review(2, refs[1], "Y"),
            review(2, refs[2], ["y", "n", "na", "not applicable", "N/A", "no", "yes"], "03/11/2021"),
            review(2, refs[3], ""), review(2, refs[4], "maybe")]
    path = write_csv(tmp_path / "findings.csv", rows)
    r = import_findings(path, sampled, today=TODAY)
    assert (r.batch_id, r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_new, r.rows_unchanged) == (
        3, 5, 3, 2, 3, 0)
    assert r.rows_not_audited == 1 and r.by_audit == {2: 3} and not r.nothing_new
    assert _count(sampled, tables.AUDIT_REVIEWS) == 3 and _count(sampled, tables.AUDIT_ANSWERS) == 21
    got = _stored_reviews(sampled)
    assert got[refs[0]] == (dict.fromkeys(ITEMS, "yes"), dt.date(2021, 11, 2), "All done")
    assert got[refs[2]][0] == dict(zip(ITEMS, ["yes", "no", "n/a", "n/a", "n/a", "no", "yes"], strict=True))
    assert got[refs[2]][1] == dt.date(2021, 11, 3) and got[refs[1]][1:] == (None, None)
    kept = sampled.table(tables.REJECTED_ROWS).order_by("row_number").to_pyarrow().to_pylist()
    assert [(k["row_number"], k["crime_ref"], k["batch_id"]) for k in kept] == [(5, refs[3], 3), (6, refs[4], 3)]
    assert kept[0]["reasons"] == "not audited yet: no checklist item is answered"
    assert json.loads(kept[1]["raw_json"])["risk_form"] == "maybe"
    batch = sampled.table(tables.BATCHES).filter(lambda b: b.batch_id == 3).to_pyarrow().to_pylist()[0]
    assert (batch["source_kind"], batch["rows_read"], batch["rows_new"], batch["rows_changed"]) == (
        "audit_findings", 5, 3, 0)

    again = import_findings(path, sampled, today=TODAY)
    assert again.already_imported and again.batch_id == 3 and _count(sampled, tables.BATCHES) == 3


@pytest.mark.parametrize(("make", "reason"), [
    (lambda refs: review(9, refs[0], "yes"), "audit_id 9 is not a stored audit sample"),
    (lambda refs: review(1, refs[0], "yes"), "audit_id 1 is not a stored audit sample"),  # batch 1 is crimes
    (lambda refs: {**review(2, refs[0], "yes"), "audit_id": "two"}, "audit_id 'two' is not a number"),
    (lambda refs: {**review(2, refs[0], "yes"), "audit_id": ""}, "missing audit_id (required)"),
    (lambda refs: review(2, "L0", "yes"), "crime_ref L0 is not in audit 2's sample"),
    (lambda refs: review(2, "", "yes"), "missing crime_ref (required)"),
    (lambda refs: review(2, refs[0], "", finding="looked at it"), "not audited yet: no checklist item is answered"),
    (lambda refs: review(2, refs[0], ["yes", "", "no", "yes", "", "yes", "yes"]),
     "unanswered: sdash, victim_referred (answer yes, no, n/a)"),
    (lambda refs: review(2, refs[0], ["yes"] * 6 + ["partly"]),
     "supervisor_review answer 'partly' is not an answer (use yes, no, n/a)"),
    (lambda refs: review(2, refs[0], "yes", "2021-13-01"), "audited_date '2021-13-01' cannot be read"),
    (lambda refs: review(2, refs[0], "yes", "2022-03-01"), "audited_date 2022-03-01 is after today (2022-02-15)"),
    (lambda refs: review(2, refs[0], "yes", "2021-01-01"), "audited_date 2021-01-01 is before the crime was recorded"),
], ids=["unknown-audit", "not-a-sample", "audit-text", "no-audit", "crime-not-sampled", "no-crime", "not-audited",
        "partial", "bad-answer", "bad-date", "future", "before-recorded"])
def test_each_rejection_reason(sampled: Store, tmp_path: Path, make: Any, reason: str) -> None:
    r = import_findings(write_csv(tmp_path / "f.csv", [make(_sample_refs(sampled))]), sampled, today=TODAY)
    assert (r.rows_read, r.rows_accepted, r.rows_rejected) == (1, 0, 1)
    reasons = [p[3] for p in r.problems]
    assert any(reason in p for p in reasons), reasons
    assert _count(sampled, tables.AUDIT_REVIEWS) == 0


def test_a_crime_twice_in_the_file_rejects_the_later_row(sampled: Store, tmp_path: Path) -> None:
    ref = _sample_refs(sampled)[0]
    r = import_findings(write_csv(tmp_path / "f.csv", [review(2, ref, "yes"), review(2, ref, "no")]), sampled,
                        today=TODAY)
    assert (r.rows_accepted, r.rows_rejected) == (1, 1)
    assert r.problems[0][3] == f"crime_ref {ref} of audit 2 is also on row 2"
    assert _stored_reviews(sampled)[ref][0] == dict.fromkeys(ITEMS, "yes")


def test_partial_then_complete_then_revised(sampled: Store, tmp_path: Path) -> None:
    refs = _sample_refs(sampled)
    first = [review(2, refs[0], "yes"), review(2, refs[1], "no"), *(review(2, ref, "") for ref in refs[2:])]
    a = import_findings(write_csv(tmp_path / "a.csv", first), sampled, today=TODAY)
    assert (a.rows_accepted, a.rows_rejected, a.rows_not_audited, a.rows_new) == (2, 4, 4, 2)
    complete = [review(2, refs[0], "yes"), review(2, refs[1], "no")] + [review(2, ref, "n/a") for ref in refs[2:]]
    b = import_findings(write_csv(tmp_path / "b.csv", complete), sampled, today=TODAY)
    assert (b.rows_accepted, b.rows_rejected, b.rows_new, b.rows_unchanged, b.rows_revised) == (6, 0, 4, 2, 0)
    assert _count(sampled, tables.AUDIT_REVIEWS) == 6
    revised = [review(2, refs[0], ["no"] + ["yes"] * 6, "2021-12-01", "no DASH on file"), *complete[1:]]
    c = import_findings(write_csv(tmp_path / "c.csv", revised), sampled, today=TODAY)
    assert (c.rows_new, c.rows_unchanged, c.rows_revised, c.batch_id) == (1, 5, 1, 5)
    batch = sampled.table(tables.BATCHES).filter(lambda t: t.batch_id == 5).to_pyarrow().to_pylist()[0]
    assert (batch["rows_new"], batch["rows_changed"], batch["rows_unchanged"]) == (0, 1, 5)
    assert _stored_reviews(sampled)[refs[0]] == ({**dict.fromkeys(ITEMS, "yes"), "risk_form": "no"},
                                                 dt.date(2021, 12, 1), "no DASH on file")
    assert current_reviews(sampled, as_of=4)[(2, refs[0])].answers == dict.fromkeys(ITEMS, "yes")
    d = import_findings(write_csv(tmp_path / "d.csv", [review(2, r, "") for r in refs]), sampled, today=TODAY)
    assert d.nothing_new and d.batch_id is None and (d.rows_rejected, d.rows_not_audited) == (6, 6)
    assert _count(sampled, tables.BATCHES) == 5


def test_import_is_all_or_nothing(sampled: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "move_staged", fail)  # every record import writes through it
    with pytest.raises(RuntimeError, match="disk full"):
        import_findings(write_csv(tmp_path / "f.csv", [review(2, _sample_refs(sampled)[0], "yes")]), sampled,
                        today=TODAY)
    assert _count(sampled, tables.AUDIT_REVIEWS) == 0 and _count(sampled, tables.BATCHES) == 2


def test_the_completed_workbook_imports(sampled: Store, tmp_path: Path) -> None:
    import openpyxl

    path = write_checklist(tmp_path / "audit.xlsx", load_sample(sampled, 2), load_checklist())
    book = openpyxl.load_workbook(path)
    sheet = book["Checklist"]
    for row in range(2, 5):  # three crimes audited, three not yet
        for col in range(7, 14):
            sheet.cell(row, col, "Yes" if col % 2 else "no")
        sheet.cell(row, 14, dt.datetime(2021, 12, 1))
        sheet.cell(row, 15, "checked")
    book.save(path)
    r = import_findings(path, sampled, today=TODAY)
    assert (r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_not_audited, r.ignored_columns) == (6, 3, 3, 3, [])
    got = _stored_reviews(sampled)
    first = _sample_refs(sampled)[0]
    assert got[first] == ({k: "yes" if i % 2 == 0 else "no" for i, k in enumerate(ITEMS)}, dt.date(2021, 12, 1),
                          "checked")


def test_add_one_review(sampled: Store) -> None:
    ref = _sample_refs(sampled)[0]
    answers = {**dict.fromkeys(ITEMS, "yes"), "sdash": "No"}
    r = add_review(sampled, 2, ref, answers, finding="S-DASH not asked", audited_date="2021-12-01", today=TODAY)
    assert r.batch_id == 3 and r.rows_new == 1
    assert _stored_reviews(sampled)[ref] == ({**dict.fromkeys(ITEMS, "yes"), "sdash": "no"}, dt.date(2021, 12, 1),
                                             "S-DASH not asked")
    same = add_review(sampled, 2, ref, answers, finding="S-DASH not asked", audited_date="01/12/2021", today=TODAY)
    assert same.nothing_new and same.rows_unchanged == 1 and _count(sampled, tables.BATCHES) == 3
    with pytest.raises(InputFileError, match="unanswered: supervisor_review"):
        add_review(sampled, 2, ref, {k: "yes" for k in ITEMS[:-1]}, today=TODAY)
    with pytest.raises(InputFileError, match="'bwv' is not a checklist item"):
        add_review(sampled, 2, ref, {"bwv": "yes"}, today=TODAY)
    with pytest.raises(InputFileError, match="audit_id 7 is not a stored audit sample"):
        add_review(sampled, 7, ref, answers, today=TODAY)
    assert _count(sampled, tables.AUDIT_REVIEWS) == 1


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_changes_nothing(sampled: Store, tmp_path: Path, suffix: str) -> None:
    refs = _sample_refs(sampled)
    rows = [review(2, refs[0], "yes", "2021-12-01", "fine"), review(2, refs[1], ["no", "n/a"] + ["yes"] * 5)]
    import_findings(write_csv(tmp_path / "f.csv", rows), sampled, today=TODAY)
    before = (_stored_reviews(sampled), _count(sampled, tables.BATCHES), _count(sampled, tables.REJECTED_ROWS))
    path = tmp_path / f"export{suffix}"
    sample, audited = export_checklist(sampled, 2, path, load_checklist())
    assert audited == 2 and sample.audit_id == 2
    r = import_findings(path, sampled, today=TODAY)
    assert r.nothing_new and (r.rows_read, r.rows_unchanged, r.rows_not_audited, r.rows_new) == (6, 2, 4, 0)
    assert (_stored_reviews(sampled), _count(sampled, tables.BATCHES), _count(sampled, tables.REJECTED_ROWS)) == before
    with pytest.raises(ConfigError, match="audit 9 is not a stored audit sample"):
        export_checklist(sampled, 9, tmp_path / f"other{suffix}", load_checklist())


def test_a_formula_in_a_finding_is_made_safe_in_csv_and_read_back_unchanged(sampled: Store, tmp_path: Path) -> None:
    ref = _sample_refs(sampled)[0]
    formula = '=HYPERLINK("http://x","click")'
    add_review(sampled, 2, ref, dict.fromkeys(ITEMS, "yes"), finding=formula, today=TODAY)
    path = tmp_path / "e.csv"
    export_checklist(sampled, 2, path, load_checklist())
    row = next(r for r in csv.DictReader(path.open(encoding="utf-8")) if r["crime_ref"] == ref)
    assert row["finding"] == "'" + formula  # a spreadsheet shows it as text, never runs it
    assert import_findings(path, sampled, today=TODAY).nothing_new
    assert _stored_reviews(sampled)[ref][2] == formula


# --- measures ----------------------------------------------------------------------------------

def _wilson(p: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """The textbook Wilson score interval, in percent, for checking by hand."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def test_design_weighted_by_hand() -> None:
    weights, yes = [4.0, 4.0, 4.0, 4 / 3, 4 / 3], [True, True, False, True, False]
    rate, low, high = design_weighted(weights, yes)
    # sum w = 44/3, sum w y = 28/3: 63.6%; n_eff = (44/3)^2 / (3 x 16 + 2 x 16/9) = 1936/464 = 4.172
    n_eff = 1936 / 464
    lo, hi = _wilson(28 / 44, n_eff)
    assert rate == 63.6 and low == pytest.approx(lo, abs=0.05) and high == pytest.approx(hi, abs=0.05)
    assert design_weighted([], []) == (None, None, None)


def test_audit_compliance_hand_worked(sampled: Store, tmp_path: Path) -> None:
    """Bradford (audit 2): Domestic 3 of 12 (weight 4), Non-Domestic 3 of 4 (weight 4/3); Leeds (audit 3):
    all 3 domestic crimes (weight 1)."""
    draw_sample(sampled, "LD", PERIOD, 6, seed=7)
    refs = _sample_refs(sampled)
    rows = [review(2, refs[0], "yes"), review(2, refs[1], "yes"), review(2, refs[2], ["no"] + ["yes"] * 6),
            review(2, refs[3], "yes"), review(2, refs[4], ["n/a"] + ["yes"] * 6), review(2, refs[5], "no"),
            review(3, "L0", "no"), review(3, "L1", "no"), review(3, "L2", ["yes"] + ["no"] * 6)]
    import_findings(write_csv(tmp_path / "f.csv", rows), sampled, today=TODAY)
    t = audit_compliance(sampled, PERIOD, load_force())
    assert t.num_rows == 6 * 3 * 7 and t.column_names == ["district", "domestic", "item", "question", "audited",
                                                          "answered", "yes", "not_applicable", "rate_pct", "ci_low",
                                                          "ci_high"]
    cells = {(r["district"], r["domestic"], r["item"]): r for r in t.to_pylist()}
    cols = ("audited", "answered", "yes", "not_applicable", "rate_pct")

    bd_d = cells["BD", D, "risk_form"]  # one stratum of one sample: 2 of 3, plain Wilson
    assert [bd_d[c] for c in cols] == [3, 3, 2, 0, 66.7]
    assert (bd_d["ci_low"], bd_d["ci_high"]) == pytest.approx(_wilson(2 / 3, 3), abs=0.05)
    bd_n = cells["BD", ND, "risk_form"]  # yes, n/a, no: n/a leaves the base
    assert [bd_n[c] for c in cols] == [3, 2, 1, 1, 50.0]
    bd_all = cells["BD", "All", "risk_form"]  # weights 4, 4, 4 | 4/3, 4/3 over the answered cases
    assert [bd_all[c] for c in cols] == [6, 5, 3, 1, 63.6]
    assert (bd_all["ci_low"], bd_all["ci_high"]) == pytest.approx(_wilson(28 / 44, 1936 / 464), abs=0.05)
    # sdash: only one non-domestic 'no', weighing 4/3: (12 + 8/3) / 16 = 91.7%
    assert cells["BD", "All", "sdash"]["rate_pct"] == round(100 * (12 + 8 / 3) / (12 + 4), 1)

    force_d = cells["Force", D, "risk_form"]  # BD 4, 4, 4 (yes, yes, no) and LD 1, 1, 1 (no, no, yes)
    assert [force_d[c] for c in cols] == [6, 6, 3, 0, round(100 * 9 / 15, 1)]
    n_eff = 15 ** 2 / (3 * 16 + 3 * 1)
    assert (force_d["ci_low"], force_d["ci_high"]) == pytest.approx(_wilson(9 / 15, n_eff), abs=0.05)
    assert cells["LD", ND, "risk_form"]["audited"] == 0 and cells["LD", "All", "sdash"]["rate_pct"] == 0.0
    for district in ("CD", "KD", "WD"):
        assert [cells[district, "All", "risk_form"][c] for c in cols] == [0, 0, 0, 0, None]
    assert cells["BD", D, "risk_form"]["question"] == "A DASH risk assessment was completed"

    outside = audit_compliance(sampled, Period(dt.date(2021, 10, 1), dt.date(2022, 3, 31)), load_force())
    assert set(outside["audited"].to_pylist()) == {0}
    assert set(audit_compliance(sampled, PERIOD, load_force(), as_of=3)["audited"].to_pylist()) == {0}

    samples = audit_samples_table(sampled, PERIOD, load_force()).to_pylist()
    assert [(s["audit_id"], s["district"], s["stratum"], s["population"], s["sample"], s["audited"])
            for s in samples] == [(2, "BD", D, 12, 3, 3), (2, "BD", ND, 4, 3, 3), (3, "LD", D, 3, 3, 3)]


def test_weights_count_the_crimes_reviewed_once_each(sampled: Store, tmp_path: Path) -> None:
    """A half-reviewed sample stands for its whole stratum, and a second draw of the same frame pools
    with the first: each crime once, weight = the frame's crimes / the frame's crimes reviewed."""
    refs = _sample_refs(sampled)  # 3 domestic (of 12), then 3 non-domestic (of 4)
    rows = [review(2, refs[0], "yes"), *(review(2, r, "no") for r in refs[3:])]
    import_findings(write_csv(tmp_path / "a.csv", rows), sampled, today=TODAY)
    cell = {(r["district"], r["domestic"], r["item"]): r
            for r in audit_compliance(sampled, PERIOD, load_force()).to_pylist()}
    # 1 domestic yes standing for 12 crimes, 3 non-domestic no standing for 4: 12 / 16 (not 4 / 8 by drawn size)
    assert cell["BD", "All", "risk_form"]["rate_pct"] == 75.0
    second = draw_sample(sampled, "BD", PERIOD, 6, seed=8)  # the same frames again
    again = crimes_of(second)
    shared = sorted(set(again) & set(refs))
    new_domestic = [r for r in again if r.startswith("B") and r not in refs]
    assert shared and new_domestic
    later = [review(second.audit_id, r, "no") for r in shared] + [review(second.audit_id, new_domestic[0], "yes")]
    import_findings(write_csv(tmp_path / "b.csv", later), sampled, today=TODAY)
    rows_now = audit_compliance(sampled, PERIOD, load_force()).to_pylist()
    cell = {(r["district"], r["domestic"], r["item"]): r for r in rows_now}
    # Each crime once, its latest review: crimes reviewed in both samples take the second's 'no'.
    latest = {r: "yes" if r == refs[0] else "no" for r in refs[:1] + refs[3:]}
    latest.update({r: "no" for r in shared})
    latest[new_domestic[0]] = "yes"
    domestic = [r for r in latest if r.startswith("B")]
    non = [r for r in latest if r.startswith("N")]
    yes_d = sum(latest[r] == "yes" for r in domestic)
    expected = 100 * (12 / len(domestic) * yes_d) / (12 + 4)  # no non-domestic yes
    assert cell["BD", "All", "risk_form"]["rate_pct"] == round(expected, 1)
    assert cell["BD", D, "risk_form"]["audited"] == len(domestic) and cell["BD", ND, "risk_form"]["audited"] == len(non)
    assert cell["Force", "All", "risk_form"]["rate_pct"] == cell["BD", "All", "risk_form"]["rate_pct"]


def test_audits_reach_the_profile_and_report(sampled: Store, tmp_path: Path) -> None:
    from stalking_profile.metrics.profile import ProfileRequest, build_profile
    from stalking_profile.reporting.compose import compose

    request = ProfileRequest(period="2021-04-01:2021-09-30", geography=False, cumulative=False)
    assert "audits" not in build_profile(sampled, request).tables  # a sample, but no review yet
    refs = _sample_refs(sampled)
    rows = [review(2, refs[0], "yes"), review(2, refs[3], ["no"] * 7)]
    import_findings(write_csv(tmp_path / "f.csv", rows), sampled, today=TODAY)
    profile = build_profile(sampled, request)
    assert profile.tables["audits"].to_pylist() == audit_compliance(sampled, PERIOD, load_force()).to_pylist()
    assert profile.tables["audit_samples"].to_pylist() == audit_samples_table(sampled, PERIOD, load_force()).to_pylist()
    blocks = compose(profile, load_force(), source="test").blocks
    texts = [getattr(b, "text", "") for b in blocks]
    assert ("The dip-sample audit reviewed 2 crimes in 1 sample (BD); the force figures cover this district "
            "only.") in texts
    # One domestic yes (weight 4) and one non-domestic no (weight 4/3) on every item: 75.0% each, so the
    # first item is the lowest, and the gap is 100% against 0% on the first item too.
    assert ('The item met least often was "A DASH risk assessment was completed" (75.0%, weighted to the crimes '
            "the samples stand for).") in texts
    assert ('The widest gap between domestic and non-domestic crimes was on "A DASH risk assessment was '
            'completed": 100.0% against 0.00%.') in texts
    chart = next(b for b in blocks if getattr(b, "name", "") == "audits" and hasattr(b, "spec"))
    assert "A DASH risk assessment was completed: domestic 100.0%" in chart.alt
    assert not any("dip-sample audit" in t and "holds no" in t for t in texts)
    partner = build_profile(sampled, ProfileRequest(period="2021-04-01:2021-09-30", geography=False,
                                                    cumulative=False, audience="partner"))
    assert "audits" not in partner.tables and "audit_samples" not in partner.tables


def test_synthetic_findings_follow_the_seed_picture() -> None:
    from stalking_profile.synth.cases import audit_findings

    cases = [{"audit_id": 1, "crime_ref": f"C{i}", "domestic": "Domestic" if i % 2 else "Non-Domestic"}
             for i in range(2000)]
    rows = audit_findings(cases, ITEMS, dt.date(2021, 11, 15), seed=3)
    assert rows == audit_findings(cases, ITEMS, dt.date(2021, 11, 15), seed=3)

    def share(domestic: bool) -> float:
        mine = [r["risk_form"] for r, c in zip(rows, cases, strict=True) if (c["domestic"] == "Domestic") == domestic]
        return sum(a == "yes" for a in mine) / len(mine)

    # The seed: most domestic stalking had a DASH form; 80% of non-domestic did not.
    assert share(True) > 0.8 and share(False) < 0.3


# --- command line ------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "store.duckdb")
    with open_store(path) as store:
        _ingest(store, tmp_path / "crimes.csv", CRIMES)
    return path


def test_cli_sample_import_add_list_export(db: str, tmp_path: Path) -> None:
    out_file = tmp_path / "audit.xlsx"
    args = ("audit", "sample", "--district", "Bradford", "--period", "2021-04-01:2021-09-30", "--size", "6",
            "--seed", "7", "--db", db)
    code, out, err = run_cli(*args, "--out", str(out_file))
    assert code == 0, err
    assert "audit 2: 6 stalking crimes drawn from 16 in BD" in out and "Domestic 3 of 12; Non-Domestic 3 of 4" in out
    assert out_file.exists() and "OFFICIAL-SENSITIVE" in out
    code, out, _ = run_cli(*args, "--out", str(tmp_path / "again.xlsx"))
    assert code == 0 and "drawn before" in out and (tmp_path / "again.xlsx").exists()
    code, out, _ = run_cli("audit", "sample", "--district", "LD", "--to", "2021-09", "--seed", "1",
                           "--out", str(tmp_path / "ld.csv"), "--db", db)
    assert code == 0 and "audit 3: 3 stalking crimes drawn from 3 in LD" in out

    refs = crimes_of(draw_sample(open_store(db), "BD", PERIOD, 6, seed=7))
    findings = write_csv(tmp_path / "f.csv", [review(2, refs[0], "yes", "2021-12-01"), review(2, refs[1], "")])
    code, out, _ = run_cli("audit", "import", str(findings), "--db", db)
    assert code == 0 and "read 2 = accepted 1 + rejected 1" in out and "reviews stored: 1 in audit 2" in out
    code, out, _ = run_cli("audit", "import", str(findings), "--db", db)
    assert code == 0 and "already imported as audit findings batch 4" in out
    answers = [a for k in ITEMS for a in ("--answer", f"{k}=n")]
    code, out, _ = run_cli("audit", "add", "--audit", "2", "--crime", refs[1], *answers, "--finding", "poor",
                           "--db", db)
    assert code == 0 and f"audit 2, crime {refs[1]}: review stored (batch 5)" in out
    code, out, _ = run_cli("audit", "list", "--db", db)
    assert code == 0 and "2      BD" in out and out.splitlines()[1].split()[-3:] == ["6", "16", "2"]
    code, out, _ = run_cli("audit", "list", "--audit", "2", "--db", db)
    assert code == 0 and "2 of 6 crimes audited" in out and "2021-12-01  yes  yes" in out and "poor" in out
    exported = tmp_path / "export.csv"
    code, out, _ = run_cli("audit", "export", "--audit", "2", "--out", str(exported), "--db", db)
    assert code == 0 and "2 of 6 crimes audited" in out
    code, out, _ = run_cli("audit", "import", str(exported), "--db", db)
    assert code == 0 and "nothing new: 2 reviews already stored, 4 rows not audited yet; nothing changed" in out


@pytest.mark.parametrize(("args", "message"), [
    (("sample", "--district", "Manchester", "--period", "2021-04-01:2021-09-30", "--seed", "1"),
     "district 'Manchester' is not one of"),
    (("sample", "--district", "WD", "--period", "2021-04-01:2021-09-30", "--seed", "1"),
     "no stalking crimes were recorded in WD"),
    (("sample", "--district", "BD", "--period", "2021-04-01:2021-09-30", "--seed", "1", "--allocation", "random"),
     "unknown allocation 'random'"),
    (("list", "--audit", "99"), "audit 99 is not a stored audit sample"),
    (("export", "--audit", "99"), "audit 99 is not a stored audit sample"),
    (("add", "--audit", "99", "--crime", "B01", "--answer", "risk_form=yes"),
     "the review was not stored: audit_id 99 is not a stored audit sample"),
    (("add", "--audit", "2", "--crime", "B01", "--answer", "risk_form"), "--answer 'risk_form' is not ITEM=ANSWER"),
], ids=["district", "empty", "allocation", "list", "export", "add", "answer"])
def test_cli_user_errors_exit_2(db: str, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out_args = ("--out", str(tmp_path / "x.xlsx")) if args[0] in ("sample", "export") else ()
    code, out, err = run_cli("audit", *args, *out_args, "--db", db)
    assert code == 2 and message in err and "Hint:" in err and "Traceback" not in out + err
    assert err.splitlines()[0].startswith("Error:") and len(err.strip().splitlines()) == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_refuses_an_existing_out_before_drawing(db: str, tmp_path: Path) -> None:
    existing = tmp_path / "audit.xlsx"
    existing.write_bytes(b"keep me")
    code, _, err = run_cli("audit", "sample", "--district", "BD", "--period", "2021-04-01:2021-09-30", "--seed", "1",
                           "--out", str(existing), "--db", db)
    assert code == 2 and "already exists" in err and existing.read_bytes() == b"keep me"
    with open_store(db) as store:
        assert _count(store, tables.AUDIT_SAMPLES) == 0


def test_cli_import_needs_the_file(db: str, tmp_path: Path) -> None:
    code, _, err = run_cli("audit", "import", str(tmp_path / "none.xlsx"), "--db", db)
    assert code == 2 and "not found" in err

