"""Risk forms: checklists, scoring, the forms import and the stalking check (synthetic data only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from stalking_profile.errors import ConfigError, InputFileError, MissingColumnError, StalkingProfileError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.riskforms.checklists import CHECKLISTS_ENV, load_checklists, parse_checklists
from stalking_profile.riskforms.imports import import_forms
from stalking_profile.riskforms.scoring import score_form
from stalking_profile.riskforms.stalking_check import form_scores, stalking_not_recorded
from stalking_profile.store import records, tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.worklists.build import LEAD_COLUMNS, WorklistRequest, build_worklist
from tests.conftest import TODAY, fresh_pg_url, rows_of, run_cli, write_csv

WINDOW = (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
CRIMES = rows_of({"offence_code": "8L"}, {"offence_code": "8Q", "district": "LD"},
                 {"offence_code": "8L", "district": "KD", "recorded_date": "2021-04-01"})


def form(crime: str, kind: str, date: str, answers: dict[int, str], **extra: str) -> dict[str, str]:
    """One row of a forms file; answers by question number, blank elsewhere (up to q27)."""
    row = {"crime_ref": crime, "form_type": kind, "completed_date": date}
    row.update({f"q{n}": answers.get(n, "") for n in range(1, 28)})
    row.update({"risk_level": "", "form_ref": ""} | extra)
    return row


GOOD = [
    form("C1", "S-DASH", "2021-03-06", {1: "N", 4: "Y", 5: "Yes", 6: "0"}, risk_level="medium", form_ref="F1"),
    form("C2", "sdash", "07/03/2021", {1: "Y", 2: "1"}, risk_level="high", form_ref="F2"),
    form("C3", "DASH", "2021-04-02", {n: "Y" for n in range(1, 15) if n != 8}, risk_level="high", form_ref="F3"),
    form("C3", "dara", "2021-04-03", {1: "Y", 2: "DK"}, risk_level="standard", form_ref="F4"),
]


@pytest.fixture(autouse=True)
def _shipped_checklists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CHECKLISTS_ENV, raising=False)


@pytest.fixture
def crime_store(store: Store, tmp_path: Path) -> Store:
    """A store (DuckDB, and PostgreSQL when available) holding C1 (8L), C2 (8Q) and C3 (8L)."""
    opts = IngestOptions(today=TODAY)
    assert ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, opts).rows_accepted == 3
    return store


def _count(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


# --- checklists --------------------------------------------------------------------------------

def test_shipped_checklists() -> None:
    c = load_checklists()
    dash, sdash, dara = (c.get(t) for t in ("DASH", "S-DASH", "DARA"))
    assert (len(dash.questions), len(sdash.questions), len(dara.questions)) == (27, 11, 0)
    assert dash.stalking_questions == (8,) and sdash.stalking_questions == tuple(range(1, 12))
    assert dash.threshold == 14 and "24-question" in dash.threshold_note
    assert sdash.threshold is None and not dara.scored
    assert all(q.text and q.topic for q in (*dash.questions, *sdash.questions))
    assert c.resolve("S DASH") == c.resolve("sst") == "S-DASH" and c.resolve("ODARA") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[forms]\n", "not valid TOML"),
        ("title = 'x'\n", "lists no forms"),
        ('[[forms]]\ntype = "X"\n[[forms.questions]]\nnumber = 2\ntopic = "a"\ntext = "t"\nhigh_risk = false\n'
         "stalking = false\n", r"numbered \[2\], not 1 to 1"),
        ('[[forms]]\ntype = "X"\nthreshold = 3\n[[forms.questions]]\nnumber = 1\ntopic = "a"\ntext = "t"\n'
         "high_risk = false\nstalking = false\n", "threshold 3 is not a count from 1 to 1"),
        ('[[forms]]\ntype = "X"\n[[forms.questions]]\nnumber = 1\ntopic = "a"\ntext = "t"\n', "lacks high_risk"),
        ('[[forms]]\ntype = "A"\nscored = false\nsynonyms = ["Z"]\n[[forms]]\ntype = "B"\nscored = false\n'
         'synonyms = ["z"]\n', "'z' names both A and B"),
    ],
    ids=["syntax", "no-forms", "gap", "threshold", "missing-key", "shared-synonym"],
)
def test_bad_checklists_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_checklists(text, "mine.toml")


def test_checklists_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own.toml"
    own.write_text('[[forms]]\ntype = "DASH"\nthreshold = 2\n' + "".join(
        f'[[forms.questions]]\nnumber = {n}\ntopic = "t{n}"\ntext = "q{n}"\nhigh_risk = false\nstalking = {s}\n'
        for n, s in ((1, "false"), (2, "true"), (3, "false"))))
    monkeypatch.setenv(CHECKLISTS_ENV, str(own))
    score = score_form("DASH", [True, True], "8L")
    assert score.questions == 3 and score.visible_high_risk and score.stalking_yes == (2,)


# --- scoring -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("yes", "high"), [(13, False), (14, True)], ids=["13-yes", "14-yes"])
def test_default_threshold_is_14(yes: int, high: bool) -> None:
    s = score_form("DASH", [True] * yes + [False] * (27 - yes))
    assert (s.yes_count, s.no_count, s.answered, s.unknown, s.threshold) == (yes, 27 - yes, 27, 0, 14)
    assert s.visible_high_risk is high


def test_custom_threshold() -> None:
    assert score_form("DASH", [True] * 10, threshold=10).visible_high_risk is True
    assert score_form("DASH", [True] * 9, threshold=10).visible_high_risk is False
    assert score_form("S-DASH", [True] * 11).visible_high_risk is None  # no published cut-off
    assert score_form("S-DASH", [True] * 6, threshold=6).visible_high_risk is True
    assert score_form("DARA", {1: True}, threshold=1).visible_high_risk is None  # never scored


def test_unknown_answers_are_not_counted() -> None:
    answers: dict[int, Any] = {n: True for n in range(1, 14)} | {14: None, 15: "DK", 16: "", 17: "n"}
    s = score_form("DASH", answers)
    assert (s.yes_count, s.no_count, s.unknown, s.visible_high_risk) == (13, 1, 13, False)
    assert s.high_risk_yes == (2, 3, 4, 6, 8, 13)


def test_stalking_check_against_the_offence_code() -> None:
    flagged = score_form("S-DASH", {4: "Y", 5: "Y"}, offence_code="8L")
    assert flagged.stalking_not_recorded
    assert flagged.reason == "S-DASH Q4 and Q5 answered yes but the crime is coded 8L, not stalking (8Q)"
    assert not score_form("S-DASH", {4: "Y", 5: "Y"}, offence_code="8Q").stalking_not_recorded
    assert score_form("DASH", {8: True}, offence_code="8l").reason.startswith("DASH Q8 answered yes")
    assert not score_form("DASH", {7: True, 9: True}, offence_code="8L").stalking_indicated
    assert not score_form("S-DASH", {1: True}).stalking_not_recorded  # no crime: nothing to check
    assert score_form("S-DASH", {1: True}, "8L", stalking_codes=["8Q", "8L"]).reason == ""


def test_scoring_refuses_bad_answers() -> None:
    with pytest.raises(ValueError, match="maybe"):
        score_form("DASH", {3: "maybe"})
    with pytest.raises(ValueError, match="S-DASH has 11 questions but Q12"):
        score_form("S-DASH", [None] * 11 + [True])
    with pytest.raises(ConfigError, match="unknown form type 'ODARA'"):
        score_form("ODARA", [True])


# --- import ------------------------------------------------------------------------------------

def test_good_file_lands(crime_store: Store, tmp_path: Path) -> None:
    result = import_forms(write_csv(tmp_path / "forms.csv", GOOD), crime_store, today=TODAY)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected, result.rows_new) == (4, 4, 0, 4)
    assert result.by_type == {"DASH": 1, "S-DASH": 2, "DARA": 1} and result.batch_id == 2
    assert _count(crime_store, tables.RISK_FORMS) == 4
    assert _count(crime_store, tables.RISK_FORM_ANSWERS) == 4 + 2 + 13 + 2  # blank answers are not rows
    batch = crime_store.table(tables.BATCHES).filter(lambda t: t.batch_id == 2).to_pyarrow().to_pylist()[0]
    assert batch["source_kind"] == "risk_forms" and batch["mapping"] == "risk_forms.toml"
    assert (batch["rows_read"], batch["rows_accepted"], batch["rows_new"]) == (4, 4, 4)
    stored = form_scores(crime_store).order_by("form_id").to_pyarrow().to_pylist()
    assert [r["form_type"] for r in stored] == ["S-DASH", "S-DASH", "DASH", "DARA"]
    assert stored[1]["completed_date"] == dt.date(2021, 3, 7)  # dd/mm/yyyy read
    assert [r["yes_count"] for r in stored] == [2, 2, 13, 1]
    assert stored[2]["visible_high_risk"] is False and stored[3]["visible_high_risk"] is None
    assert stored[3]["unknown_count"] == 1 and stored[0]["stalking_questions"] == "Q4 and Q5"


def test_bad_rows_are_rejected_with_reasons_and_kept(crime_store: Store, tmp_path: Path) -> None:
    bad = [
        form("C1", "XDASH", "2021-03-06", {1: "Y"}),
        form("C1", "S-DASH", "2021-03-06", {2: "maybe", 12: "Y"}),
        form("", "DASH", "31/02/2021", {}, risk_level="severe"),
        form("C2", "DASH", "2030-01-01", {1: "Y"}),
        GOOD[0], GOOD[0],
        form("C9", "DASH", "2021-03-06", {8: "Y"}, form_ref="F1"),
    ]
    result = import_forms(write_csv(tmp_path / "bad.csv", bad), crime_store, today=TODAY)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (7, 1, 6)
    rejected = {r["row_number"]: r for r in crime_store.table(tables.REJECTED_ROWS)
                .filter(lambda t: t.batch_id == result.batch_id).to_pyarrow().to_pylist()}
    assert sorted(rejected) == [2, 3, 4, 5, 7, 8]
    assert "form_type 'XDASH' is not a known form" in rejected[2]["reasons"]
    assert "q2 'maybe' is not an answer" in rejected[3]["reasons"]
    assert "q12 is answered but S-DASH has 11 questions" in rejected[3]["reasons"]
    assert all(s in rejected[4]["reasons"] for s in ("missing crime_ref", "'31/02/2021' cannot be read",
                                                     "risk_level 'severe' is not a grading"))
    assert "is after today (2022-02-15)" in rejected[5]["reasons"]
    assert rejected[7]["reasons"] == "repeats row 6"
    assert rejected[8]["reasons"] == "form_ref 'F1' is also on row 6"
    assert '"form_type": "XDASH"' in rejected[2]["raw_json"]
    issues = crime_store.table(tables.ROW_ISSUES).filter(lambda t: t.batch_id == result.batch_id).to_pyarrow()
    assert issues.num_rows >= 9


def test_identical_reimport_is_a_no_op(crime_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "forms.csv", GOOD)
    first = import_forms(path, crime_store, today=TODAY)
    again = import_forms(path, crime_store, today=TODAY)
    assert again.already_imported and again.batch_id == first.batch_id and again.rows_read == 0
    assert _count(crime_store, tables.BATCHES) == 2 and _count(crime_store, tables.RISK_FORMS) == 4
    # the same forms in another file (another column order, one more form) are not stored twice
    other = write_csv(tmp_path / "other.csv", [dict(reversed(list(r.items()))) for r in GOOD]
                      + [form("C2", "DASH", "2021-03-08", {8: "N"})])
    result = import_forms(other, crime_store, today=TODAY)
    assert (result.rows_accepted, result.rows_new, result.rows_unchanged) == (5, 1, 4)
    assert _count(crime_store, tables.RISK_FORMS) == 5


def test_failed_write_leaves_the_store_as_it_was(crime_store: Store, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import_forms(write_csv(tmp_path / "a.csv", GOOD[:1]), crime_store, today=TODAY)
    counted = (tables.BATCHES, tables.RISK_FORMS, tables.RISK_FORM_ANSWERS, tables.ROW_ISSUES, tables.REJECTED_ROWS)
    before = {name: _count(crime_store, name) for name in counted}
    original = records.move_staged

    def failing_move(tx: Any, stage: str, target: str, *args: Any) -> None:
        original(tx, stage, target, *args)
        if target == tables.REJECTED_ROWS:  # forms and answers are in by now
            raise RuntimeError("disk full")

    monkeypatch.setattr(records, "move_staged", failing_move)
    rows = [*GOOD[1:], form("C1", "XDASH", "2021-03-06", {1: "Y"})]
    with pytest.raises(RuntimeError, match="disk full"):
        import_forms(write_csv(tmp_path / "b.csv", rows), crime_store, today=TODAY)
    assert {name: _count(crime_store, name) for name in counted} == before
    monkeypatch.undo()
    assert import_forms(tmp_path / "b.csv", crime_store, today=TODAY).rows_new == 3  # nothing half-written


def test_file_level_problems(crime_store: Store, tmp_path: Path) -> None:
    no_type = write_csv(tmp_path / "n.csv", [{k: v for k, v in r.items() if k != "form_type"} for r in GOOD])
    with pytest.raises(MissingColumnError, match="has no form_type column"):
        import_forms(no_type, crime_store)
    (tmp_path / "h.csv").write_text("crime_ref,form_type,completed_date,q1\n,,,\n")
    with pytest.raises(InputFileError, match="header but no forms"):
        import_forms(tmp_path / "h.csv", crime_store)
    (tmp_path / "twice.csv").write_text("crime_ref,form_type,completed_date,Q1,q01\nC1,DASH,2021-03-05,Y,N\n")
    with pytest.raises(InputFileError, match="two columns for q1"):
        import_forms(tmp_path / "twice.csv", crime_store)
    assert _count(crime_store, tables.BATCHES) == 1


def test_form_before_its_crime_is_kept_and_checked_later(store: Store, tmp_path: Path) -> None:
    result = import_forms(write_csv(tmp_path / "f.csv", GOOD[:1]), store, today=TODAY)
    assert result.rows_accepted == 1 and result.rows_warned == 1
    assert result.problems[0][:3] == ("warning", "crime_ref", 1) and "not in the store yet" in result.problems[0][3]
    ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, IngestOptions(today=TODAY))
    rows = stalking_not_recorded(store, *WINDOW).to_pyarrow().to_pylist()
    assert [r["crime_ref"] for r in rows] == ["C1"]
    assert stalking_not_recorded(store, *WINDOW, as_of=1).to_pyarrow().num_rows == 0  # before the crime came


def test_later_form_does_not_overwrite(crime_store: Store, tmp_path: Path) -> None:
    import_forms(write_csv(tmp_path / "a.csv", [form("C1", "S-DASH", "2021-03-10", {4: "Y"})]), crime_store,
                 today=TODAY)
    import_forms(write_csv(tmp_path / "b.csv", [form("C1", "S-DASH", "2021-03-01", {4: "N"}),
                                                 form("C3", "S-DASH", "2021-04-02", {4: "N"})]), crime_store,
                 today=TODAY)
    scores = form_scores(crime_store).order_by("form_id").to_pyarrow().to_pylist()
    assert [(r["completed_date"].day, r["is_current"]) for r in scores if r["crime_ref"] == "C1"] == [
        (10, True), (1, False)]  # the later-imported form was completed earlier: not current
    assert [r["crime_ref"] for r in stalking_not_recorded(crime_store, *WINDOW).to_pyarrow().to_pylist()] == ["C1"]
    import_forms(write_csv(tmp_path / "c.csv", [form("C1", "S-DASH", "2021-03-20", {4: "N"})]), crime_store,
                 today=TODAY)
    assert stalking_not_recorded(crime_store, *WINDOW).to_pyarrow().num_rows == 0
    assert _count(crime_store, tables.RISK_FORMS) == 4


def test_sample_file(store: Store) -> None:
    sample = Path(__file__).parent / "data" / "risk_forms.csv"
    result = import_forms(sample, store, today=TODAY)  # its crimes are in no store here: all warned
    assert (result.rows_read, result.rows_accepted, result.rows_rejected, result.rows_warned) == (9, 7, 2, 7)
    assert result.by_type == {"DASH": 3, "S-DASH": 3, "DARA": 1}


# --- the stalking check --------------------------------------------------------------------------

def test_stalking_not_recorded(crime_store: Store, tmp_path: Path) -> None:
    rows = [*GOOD, form("C3", "DASH", "2021-04-05", {8: "Y", 9: "Y"}, form_ref="F5"),
            form("C1", "DASH", "2021-03-05", {8: "Y"}, form_ref="F6")]
    import_forms(write_csv(tmp_path / "forms.csv", rows), crime_store, today=TODAY)
    table = stalking_not_recorded(crime_store, *WINDOW).order_by("crime_ref").to_pyarrow()
    assert table.column_names[:8] == ["crime_ref", "district", "recorded_date", "reason", "form_type",
                                      "completed_date", "yes_count", "offence_code"]
    got = table.to_pylist()
    assert [r["crime_ref"] for r in got] == ["C1", "C3"]  # C2 is coded 8Q: recorded as stalking
    assert got[0]["reason"] == "DASH Q8; S-DASH Q4 and Q5 answered yes but the crime is coded 8L, not stalking (8Q)"
    assert (got[0]["form_type"], got[0]["forms"], got[0]["district"]) == ("S-DASH", 2, "BD")
    assert got[1]["reason"] == score_form("DASH", {8: True, 9: True}, "8L").reason
    assert (got[1]["yes_count"], got[1]["completed_date"]) == (2, dt.date(2021, 4, 5))
    assert stalking_not_recorded(crime_store, dt.date(2021, 3, 6), dt.date(2021, 12, 31)).to_pyarrow()[
        "crime_ref"].to_pylist() == ["C3"]


def test_stalking_not_recorded_worklist(crime_store: Store, tmp_path: Path) -> None:
    """The same check as a worklist: crimes of every offence, internal only, lead columns first."""
    import_forms(write_csv(tmp_path / "forms.csv", GOOD), crime_store, today=TODAY)
    period = f"{WINDOW[0]}:{WINDOW[1]}"
    worklist = build_worklist(crime_store, WorklistRequest("stalking-not-recorded", period=period))
    assert worklist.table.column_names[:4] == list(LEAD_COLUMNS)
    assert worklist.table["crime_ref"].to_pylist() == ["C1"]
    with pytest.raises(StalkingProfileError, match="internal use only"):
        build_worklist(crime_store, WorklistRequest("stalking-not-recorded", period=period, audience="public"))


# --- CLI -----------------------------------------------------------------------------------------

_run = run_cli


def test_cli_import_and_questions(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    open_store(db).close()  # an existing store (forms import never creates one)
    path = write_csv(tmp_path / "forms.csv", [*GOOD, form("C1", "ODARA", "2021-03-06", {})])
    code, out, _ = _run("forms", "import", str(path), "--db", db)
    assert code == 0 and "forms.csv -> batch 1 (risk forms)" in out
    assert "read 5 = accepted 4 + rejected 1" in out and "DASH 1, S-DASH 2, DARA 1" in out
    assert "form_type 'ODARA' is not a known form" in out and "not in the store yet" in out
    code, out, _ = _run("forms", "import", str(path), "--db", db)
    assert code == 0 and "already imported as risk forms batch 1; nothing changed" in out
    code, out, _ = _run("forms", "questions", "--type", "sdash")
    assert code == 0 and out.startswith("S-DASH:") and out.count("\n  Q") == 11 and "Q12" not in out
    code, out, _ = _run("forms", "questions")
    assert code == 0 and "14 or more yes answers" in out and "24-question" in out and "not scored" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forms", "import", "{tmp}/missing.csv", "--db", "{tmp}/s.duckdb"], "missing.csv not found"),
        (["forms", "import", "{tmp}/notype.csv", "--db", "{tmp}/s.duckdb"], "has no form_type column"),
        (["forms", "questions", "--type", "ODARA"], "unknown form type 'ODARA'"),
        (["forms", "questions", "--checklists", "{tmp}/bad.toml"], "is not valid TOML"),
    ],
    ids=["missing-file", "no-form-type-column", "unknown-type", "bad-checklists"],
)
def test_cli_user_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    write_csv(tmp_path / "notype.csv", [{k: v for k, v in r.items() if k != "form_type"} for r in GOOD])
    (tmp_path / "bad.toml").write_text("[[forms]\n")
    if "notype.csv" in " ".join(args):
        open_store(str(tmp_path / "s.duckdb")).close()
    code, out, err = _run(*[a.format(tmp=tmp_path) for a in args])
    assert code == 2 and message in err.replace("\n", " ")
    assert "Hint:" in err and "Traceback" not in err + out
    if "missing.csv" in args[2]:
        assert not (tmp_path / "s.duckdb").exists()  # a mistyped path leaves no empty store behind


# --- DuckDB / PostgreSQL parity ------------------------------------------------------------------

def _snapshot(store: Store, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    ingest(write_csv(tmp_path / "crimes.csv", CRIMES), store, IngestOptions(today=TODAY))
    rows = [*GOOD, form("C1", "DASH", "2021-03-05", {8: "Y"}), form("C1", "BAD", "2021-03-05", {})]
    import_forms(write_csv(tmp_path / "forms.csv", rows), store, today=TODAY)
    order = ["form_id"]
    return {
        "forms": store.table(tables.RISK_FORMS).order_by(order).to_pyarrow().to_pylist(),
        "answers": store.table(tables.RISK_FORM_ANSWERS).order_by([*order, "question"]).to_pyarrow().to_pylist(),
        "rejected": store.table(tables.REJECTED_ROWS).order_by(["batch_id", "row_number"]).to_pyarrow().to_pylist(),
        "scores": form_scores(store).order_by(order).to_pyarrow().to_pylist(),
        "not_recorded": stalking_not_recorded(store, *WINDOW).order_by("crime_ref").to_pyarrow().to_pylist(),
    }


@pytest.mark.postgres
def test_duckdb_and_postgres_agree(tmp_path: Path) -> None:
    url = fresh_pg_url()
    snaps = []
    for target in (str(tmp_path / "p.duckdb"), url):
        with open_store(target) as s:
            snaps.append(_snapshot(s, tmp_path))
    for name in snaps[0]:
        assert snaps[0][name] == snaps[1][name], name
    assert snaps[0]["not_recorded"] and snaps[0]["rejected"] and snaps[0]["answers"]


def test_cli_import_into_a_missing_store_is_refused(tmp_path: Path) -> None:
    sample = Path(__file__).parent / "data" / "risk_forms.csv"
    code, _, err = _run("forms", "import", str(sample), "--db", str(tmp_path / "typo.duckdb"))
    assert code == 2 and "there is no store" in err and not (tmp_path / "typo.duckdb").exists()
