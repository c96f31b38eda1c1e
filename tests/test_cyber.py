"""The cyber-enabled audit table and the cyber-flag worklist, on hand-made stores (both engines)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from stalking_profile.cli import app
from stalking_profile.errors import ConfigError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.metrics.stats import wilson
from stalking_profile.store.connection import Store, open_store
from stalking_profile.worklists.build import LEAD_COLUMNS, WorklistRequest, build_worklist
from tests.conftest import TODAY, rows_of, write_csv

TECH = "Suspect sent her 30 WhatsApp messages."
NONE = "Suspect waits outside her house."
NEGATED = "No social media contact. Suspect follows her."
WINDOW = ProfileRequest(to="2021-06", geography=False)

# BD domestic: flagged+detected, detected only (x2), flagged only, neither (negated); LD non-domestic: detected only
CRIMES = (
    {"district": "BD", "cyber_flag": "Y", "mo_text": TECH},
    {"district": "BD", "cyber_flag": "N", "mo_text": TECH},
    {"district": "BD", "cyber_flag": "", "mo_text": "Ex keeps ringing her from a withheld number."},
    {"district": "BD", "cyber_flag": "Y", "mo_text": NONE},
    {"district": "BD", "cyber_flag": "N", "mo_text": NEGATED},
    {"district": "LD", "domestic_flag": "N", "cyber_flag": "N", "mo_text": "He set up a fake Instagram account."},
    {"district": "LD", "domestic_flag": "N", "cyber_flag": "N", "mo_text": ""},
)


@pytest.fixture
def cyber_store(store: Store, tmp_path: Path, options: IngestOptions) -> Store:
    ingest(write_csv(tmp_path / "c.csv", rows_of(*CRIMES)), store, options)
    return store


def test_cyber_table_counts_flag_against_detection(cyber_store: Store) -> None:
    table = build_profile(cyber_store, WINDOW).tables["cyber"]
    rows = {(r["district"], r["domestic"]): r for r in table.to_pylist()}
    bd = rows[("BD", "Domestic")]
    assert (bd["crimes"], bd["flagged"], bd["detected"]) == (5, 2, 3)
    assert (bd["flagged_and_detected"], bd["flagged_only"], bd["detected_only"], bd["neither"]) == (1, 1, 2, 1)
    assert bd["flag_rate_pct"] == 40.0 and bd["corrected_pct"] == 80.0
    assert (bd["corrected_ci_low"], bd["corrected_ci_high"]) == wilson(4, 5)
    ld = rows[("LD", "Non-Domestic")]
    assert (ld["crimes"], ld["with_mo"], ld["detected_only"], ld["neither"]) == (2, 1, 1, 1)
    force = rows[("Force", "All")]
    assert (force["crimes"], force["flagged"], force["detected"], force["neither"]) == (7, 2, 4, 2)
    assert rows[("CD", "All")]["crimes"] == 0 and rows[("CD", "All")]["flag_rate_pct"] is None


def test_cyber_note_states_the_corrected_share(cyber_store: Store) -> None:
    notes = " ".join(build_profile(cyber_store, WINDOW).notes)
    assert "28.6% of crimes carry the flag" in notes and "gives 71.4%" in notes
    assert "3 crimes show technology without the flag" in notes


def test_worklist_lists_detected_but_unflagged_crimes(cyber_store: Store) -> None:
    worklist = build_worklist(cyber_store, WorklistRequest("cyber-flag", to="2021-06"))
    table = worklist.table
    assert tuple(table.column_names[:4]) == LEAD_COLUMNS
    rows = table.to_pylist()
    assert [(r["crime_ref"], r["district"]) for r in rows] == [("C2", "BD"), ("C3", "BD"), ("C6", "LD")]
    assert rows[0]["matched_terms"] == "whatsapp; messages"
    assert rows[0]["reason"] == "technology in the MO text (whatsapp; messages) but no cyber-enabled flag"
    assert rows[2]["categories"] == "fake profile" and rows[2]["domestic"] == "Non-Domestic"
    assert "mo_text" not in table.column_names  # the free text stays in the store


def test_worklist_refuses_partner_and_public_audiences(cyber_store: Store) -> None:
    with pytest.raises(ConfigError, match="internal use only"):
        build_worklist(cyber_store, WorklistRequest("cyber-flag", to="2021-06", audience="public"))
    with pytest.raises(ConfigError, match="unknown worklist"):
        build_worklist(cyber_store, WorklistRequest("cyber", to="2021-06"))


def test_domestic_under_16_worklist(store: Store, tmp_path: Path, options: IngestOptions) -> None:
    rows = rows_of({"victim_age": "15"}, {"victim_age": "16", "suspect_age": "14"}, {"victim_age": "15",
                                                                                      "domestic_flag": "N"})
    ingest(write_csv(tmp_path / "a.csv", rows), store, options)
    table = build_worklist(store, WorklistRequest("domestic-under-16", to="2021-06")).table
    assert table.column("crime_ref").to_pylist() == ["C1", "C2"]
    assert table.column("reason").to_pylist()[1].startswith("domestic flag but the suspect is 14")


def test_worklist_cli_writes_csv_xlsx_json_and_refuses_public(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    store = open_store(db)
    ingest(write_csv(tmp_path / "c.csv", rows_of(*CRIMES)), store,
           IngestOptions(force=load_force(), today=TODAY))
    store.close()
    runner = CliRunner()
    base = ["worklist", "cyber-flag", "--db", db, "--to", "2021-06"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "w.csv")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "w.csv").open(encoding="utf-8") as f:
        got = list(csv.reader(f))
    assert got[0][:4] == list(LEAD_COLUMNS) and len(got) == 4
    assert runner.invoke(app, [*base, "--format", "xlsx", "--out", str(tmp_path / "w.xlsx")]).exit_code == 0
    sheet = openpyxl.load_workbook(tmp_path / "w.xlsx")["cyber-flag"]
    assert sheet.cell(2, 1).value == "C2"
    assert runner.invoke(app, [*base, "--format", "json", "--out", str(tmp_path / "w.json")]).exit_code == 0
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["marking"] == "OFFICIAL-SENSITIVE" and len(doc["tables"]["cyber-flag"]["rows"]) == 3
    refused = runner.invoke(app, [*base, "--audience", "partner", "--out", str(tmp_path / "p.csv")])
    assert refused.exit_code == 2 and "internal use only" in refused.stderr
    assert not (tmp_path / "p.csv").exists()


def test_detections_are_kept_in_the_store_per_detector_version(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each MO text is read once per detector version; only hashes are stored, never the text."""
    from stalking_profile.online import cache
    from stalking_profile.online.lexicon import load_lexicon, parse_lexicon
    from stalking_profile.store import tables

    texts = [TECH, NONE, TECH, None, NEGATED]
    first = cache.detections(store, texts)
    assert first.column("detected").to_pylist() == [True, False, True, False, False]
    stored = store.table(tables.MO_DETECTIONS).to_pyarrow()
    assert stored.num_rows == 3 and TECH not in str(stored.to_pylist())  # 3 distinct texts, no text kept
    calls: list[str] = []
    real = cache.detect
    monkeypatch.setattr(cache, "detect", lambda text, lexicon: calls.append(text) or real(text, lexicon))
    assert cache.detections(store, texts).equals(first) and calls == []  # all read back from the store
    shipped = (Path(__file__).parents[1] / "stalking_profile/data/technology.toml").read_text()
    other = parse_lexicon(shipped.replace('"landlines?",', '"landlines?", "carrier pigeons?",', 1), "other")
    assert cache.detector_version(other) != cache.detector_version(load_lexicon())
    cache.detections(store, texts, other)
    assert sorted(calls) == sorted([TECH, NONE, NEGATED])  # a new version reads every text again


def test_detections_read_ahead_in_a_second_process_are_the_same(store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts read ahead in a forked process give the detections the caller would make, are stored
    like the others, and are not read again by the caller; texts the store holds are not sent."""
    from stalking_profile.online import cache
    from stalking_profile.parallel import can_fork
    from stalking_profile.store import tables

    texts = [TECH, NONE, TECH, None, NEGATED, f"{TECH} Again."]
    expected = cache.detections(store, texts[:2])  # the store holds these two already
    with cache.detections_ahead(store, texts, at_least=1) as ahead:
        assert sorted(ahead.hashes) == sorted(cache.text_hash(t) for t in (NEGATED, f"{TECH} Again."))
        if can_fork():
            assert ahead.pending is not None
        calls: list[str] = []
        real = cache.detect
        monkeypatch.setattr(cache, "detect", lambda text, lexicon: calls.append(text) or real(text, lexicon))
        found = cache.detections(store, texts, ahead=ahead)
    assert calls == ([] if ahead.pending is not None else [NEGATED, f"{TECH} Again."])
    assert found.column("detected").to_pylist() == [True, False, True, False, False, True]
    assert found.slice(0, 2).equals(expected)
    assert store.table(tables.MO_DETECTIONS).count().to_pyarrow().as_py() == 4
    with cache.detections_ahead(store, texts[:3]) as few:  # under AHEAD_AT_LEAST new texts: no process
        assert few.pending is None and few.result(few.version) == {}
