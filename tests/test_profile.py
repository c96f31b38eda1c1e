"""The profile's core tables: the seed report reproduced cell by cell, and hand-computable cases."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
from scipy.stats import binomtest

from stalking_profile import parallel
from stalking_profile.errors import ConfigError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics import geography_tables
from stalking_profile.metrics.config import load_config, parse_config
from stalking_profile.metrics.periods import parse_period
from stalking_profile.metrics.profile import Profile, ProfileRequest, build_profile
from stalking_profile.metrics.stats import change_test, wilson
from stalking_profile.reporting.tables import write_profile
from stalking_profile.store.connection import Store, open_store
from tests import seed
from tests.conftest import fresh_pg_url, rows_of, write_csv

SEED_WINDOW = ProfileRequest(to="2021-09")


@pytest.fixture(scope="module")
def seed_profile(seed_store: Store) -> Profile:
    return build_profile(seed_store, SEED_WINDOW)


def _rows(table: pa.Table, key: str = "outcome") -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in table.to_pylist()}


def test_volumes_reproduce_page_3(seed_profile: Profile) -> None:
    got = {(r["district"], r["domestic"]): r for r in seed_profile.tables["volumes"].to_pylist()}
    for window in ("current", "previous"):
        dom, non = seed.VOLUMES[window]["Domestic"], seed.VOLUMES[window]["Non-Domestic"]
        for i, district in enumerate((*seed.DISTRICTS, "Force")):
            d = sum(dom) if district == "Force" else dom[i]
            n = sum(non) if district == "Force" else non[i]
            assert got[(district, "Domestic")][window] == d
            assert got[(district, "Non-Domestic")][window] == n
            assert got[(district, "All")][window] == d + n
    assert [got[(d, "All")]["current"] for d in (*seed.DISTRICTS, "Force")] == [1571, 565, 1019, 2088, 886, 6129]
    assert got[("Force", "All")]["previous"] == 3286
    for label, changes in seed.CHANGE.items():
        assert [got[(d, label)]["change_pct"] for d in (*seed.DISTRICTS, "Force")] == list(changes), label
    # the rise is far beyond chance, the small non-domestic Calderdale change is not
    assert got[("Force", "All")]["change_p_value"] < 1e-100
    assert got[("CD", "Non-Domestic")]["change_p_value"] > 0.5


@pytest.mark.parametrize("domestic", [True, False], ids=["domestic", "non-domestic"])
def test_outcome_tables_reproduce_the_last_pages(seed_profile: Profile, domestic: bool) -> None:
    """Every cell of both tables, with two differences explained in tests/seed.py:
    Wakefield's domestic (blank) is 157 and the domestic Totals 5,669 (page 3's volumes), and the
    seed's all-zero row '3A: ALTERNATE OFFENCE ADULT CAUTION' in the domestic table is absent
    (the contract lists the labels present; no record can make a row of zeros)."""
    name = "outcomes_domestic" if domestic else "outcomes_non_domestic"
    expected = dict(seed.OUTCOMES_DOMESTIC if domestic else seed.OUTCOMES_NON_DOMESTIC)
    if domestic:
        expected["(blank)"] = (250, 79, 178, 315, 157)
        del expected["3A: ALTERNATE OFFENCE ADULT CAUTION"]
    table = seed_profile.tables[name]
    assert table.column_names == ["outcome", *seed.DISTRICTS, "Force"]
    got = _rows(table)
    assert [r["outcome"] for r in table.to_pylist()] == [*expected, "Totals"]  # Home Office order kept
    for label, counts in expected.items():
        assert tuple(got[label][d] for d in seed.DISTRICTS) == counts, label
        assert got[label]["Force"] == sum(counts)
    totals = (1434, 528, 948, 1926, 833) if domestic else (137, 37, 71, 162, 53)
    assert tuple(got["Totals"][d] for d in seed.DISTRICTS) == totals
    assert got["Totals"]["Force"] == sum(totals)


def test_outcome_groups_give_the_seed_percentages(seed_profile: Profile) -> None:
    groups = {(r["domestic"], r["group"]): r for r in seed_profile.tables["outcome_groups"].to_pylist()}
    one_to_eight = "Outcomes 1-8 (force convention)"
    dom, non = groups[("Domestic", one_to_eight)], groups[("Non-Domestic", one_to_eight)]
    assert (dom["count"], dom["pct"], non["count"], non["pct"]) == (156, 2.75, 18, 3.91)
    assert groups[("Domestic", "Victim does not support (16)")]["pct"] == 51.3
    assert groups[("Domestic", "Charged/summonsed (1, 1A)")]["count"] == 68 + 6 + 40 + 16
    for label in ("All", "Domestic", "Non-Domestic"):
        rows = [r for (d, _), r in groups.items() if d == label]
        partition = [r for r in rows if r["group"] not in (one_to_eight, "Victim does not support (16)")]
        assert sum(r["count"] for r in partition) == rows[0]["crimes"]  # every crime in exactly one group


def test_default_groups_place_every_type_once() -> None:
    config = load_config()
    for code in [str(n) for n in range(1, 23)] + ["1A", "2A", "3A", "15B", "7C"]:
        owners = [g.name for g in config.outcome_groups if g.partition and g.contains(code)]
        assert len(owners) == 1, (code, owners)
    bad = "[offence_families]\nstalking = ['8Q']\n[[outcome_groups]]\nname = 'All'\ncodes = ['1', '2']\n"
    with pytest.raises(ConfigError, match="outcome type 3 is in no partition group"):
        parse_config(bad, "bad.toml")


_STATISTICS = geography_tables._statistics


def _slow_statistics(*args: Any) -> Any:
    """The hot spots' statistics, a second late: a run whose hot spots are not ready when the
    other tables are (a forked child finds this by name, as it would the real one)."""
    time.sleep(1.0)
    return _STATISTICS(*args)


@pytest.mark.parametrize("fork", [True, False], ids=["second-processes", "one-process"])
def test_work_handed_to_build_profile_runs_while_it_waits_for_the_hot_spots(
    tmp_path: Path, store: Store, options: IngestOptions, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    ingest(write_csv(tmp_path / "r.csv", rows_of({}, {}, {"recorded_date": "2021-03-02"})), store, options)
    monkeypatch.setattr(geography_tables, "_statistics", _slow_statistics)
    if not fork:  # the statistics are computed here when asked for: the work runs meanwhile too
        monkeypatch.setattr(parallel, "can_fork", lambda: False)
    started = threading.Event()
    profile = build_profile(store, ProfileRequest(to="2021-03", permutations=99), meanwhile=started.set)
    assert started.wait(10)
    assert {"hotspots", "hotspot_overlap"} <= set(profile.tables)


def test_rolling_12m_by_hand(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    # 24 months from 2019-04, month m has m+1 crimes (domestic when m is even)
    rows = []
    for m in range(24):
        month = dt.date(2019 + (3 + m) // 12, (3 + m) % 12 + 1, 10)
        rows += [{"recorded_date": month.isoformat(), "domestic_flag": "Y" if m % 2 == 0 else "N"}] * (m + 1)
    ingest(write_csv(tmp_path / "r.csv", rows_of(*rows)), store, options)
    profile = build_profile(store, ProfileRequest(to="2021-03"))
    table = {r["month"]: r for r in profile.tables["rolling_12m"].to_pylist()}
    assert sorted(table) == [f"{y}-{m:02d}" for y, m in [(2020, 3)] + [(2020, k) for k in range(4, 13)]
                             + [(2021, k) for k in range(1, 4)]]
    assert table["2020-03"]["all"] == sum(range(1, 13)) == 78
    assert table["2021-03"]["all"] == sum(range(13, 25)) == 222
    assert table["2021-03"]["domestic"] == sum(m + 1 for m in range(12, 24) if m % 2 == 0)
    assert table["2021-03"]["change_vs_year_before_pct"] == round(100 * (222 - 78) / 78, 1)
    assert table["2021-03"]["ratio_vs_year_before"] == round(222 / 78, 2)
    assert table["2020-04"]["recording_break"].startswith("April 2020")
    assert table["2020-04"]["window_spans_break"] and not table["2021-03"]["window_spans_break"]
    assert table["2021-03"]["comparison_spans_break"]  # 2019-04..2020-03 against 2020-04..2021-03


def test_arrest_and_risk_rates_by_hand(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    non_domestic = [{"domestic_flag": "N", "arrest_made": "Y"}] * 7 + [{"domestic_flag": "N",
                                                                       "risk_assessment": "none"}] * 43
    rows = [{"arrest_made": "Y", "risk_assessment": "DASH"}] * 21 + [{"arrest_made": "N"}] * 79 + non_domestic
    ingest(write_csv(tmp_path / "h.csv", rows_of(*rows)), store, options)
    profile = build_profile(store, ProfileRequest(to="2021-03"))
    arrests = {(r["district"], r["domestic"]): r for r in profile.tables["arrests"].to_pylist()}
    assert (arrests[("BD", "Domestic")]["arrested"], arrests[("BD", "Domestic")]["rate_pct"]) == (21, 21.0)
    assert (arrests[("BD", "Non-Domestic")]["crimes"], arrests[("BD", "Non-Domestic")]["rate_pct"]) == (50, 14.0)
    assert arrests[("Force", "All")]["arrested"] == 28 and arrests[("CD", "All")]["rate_pct"] is None
    assert (arrests[("BD", "Domestic")]["ci_low"], arrests[("BD", "Domestic")]["ci_high"]) == wilson(21, 100)
    risk = {(r["district"], r["domestic"]): r for r in profile.tables["risk_assessment"].to_pylist()}
    assert (risk[("BD", "Domestic")]["assessed"], risk[("BD", "Non-Domestic")]["assessed"]) == (21, 0)


def test_wilson_against_the_formula() -> None:
    import math

    for k, n in ((21, 100), (0, 10), (460, 6129), (10, 10)):
        p, z = k / n, 1.959963984540054
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low, high = wilson(k, n)
        for got, want in ((low, 100 * (centre - half)), (high, 100 * (centre + half))):
            assert got == pytest.approx(want, abs=0.0051 if want < 10 else 0.051)  # rounded as the contract says


def test_change_test_is_the_exact_binomial_test() -> None:
    for current, previous in ((37, 33), (137, 103), (5, 0), (0, 4)):
        expected = binomtest(current, current + previous, 0.5).pvalue
        assert change_test(current, previous) == pytest.approx(expected, rel=1e-9)


def test_periods() -> None:
    p = parse_period("2021-01-01:2021-06-30")
    assert (str(p.previous().start), str(p.previous().end)) == ("2020-07-01", "2020-12-31")
    odd = parse_period("2021-01-10:2021-01-19")
    assert (str(odd.previous().start), str(odd.previous().end)) == ("2020-12-31", "2021-01-09")
    default = parse_period(last_recorded=dt.date(2022, 1, 15))  # January incomplete: window ends December
    assert (str(default.start), str(default.end)) == ("2021-01-01", "2021-12-31")
    assert str(parse_period(last_recorded=dt.date(2022, 1, 31)).end) == "2022-01-31"
    for bad, message in (("2021-09-01:2021-01-01", "before its start"), ("2021-13-01:2021-12-01", "not a date"),
                         ("2021", "not START:END")):
        with pytest.raises(ConfigError, match=message):
            parse_period(bad)
    with pytest.raises(ConfigError, match="is not a month"):
        parse_period(to="2021-9")


def test_as_of_reproduces_an_earlier_state(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    ingest(write_csv(tmp_path / "a.csv", rows_of({}, {}, {})), store, options)
    ingest(write_csv(tmp_path / "b.csv", rows_of({"outcome": "1: CHARGED"}, {}, {}, {})), store, options)
    now = build_profile(store, ProfileRequest(to="2021-03"))
    then = build_profile(store, ProfileRequest(to="2021-03", as_of=1))
    assert _rows(now.tables["volumes"], "domestic")["All"]["current"] == 4
    assert _rows(then.tables["volumes"], "domestic")["All"]["current"] == 3
    assert "1: CHARGED" in _rows(now.tables["outcomes_domestic"]) and "1: CHARGED" not in _rows(
        then.tables["outcomes_domestic"])
    with pytest.raises(ConfigError, match="not a batch of this store"):
        build_profile(store, ProfileRequest(to="2021-03", as_of=7))


def test_bad_requests(tmp_path: Path, seed_store: Store) -> None:
    with pytest.raises(ConfigError, match="unknown offence family 'burglary'"):
        build_profile(seed_store, ProfileRequest(family="burglary"))
    with pytest.raises(ConfigError, match="outside the data"):
        build_profile(seed_store, ProfileRequest(to="2030-01"))
    with open_store(str(tmp_path / "empty.duckdb")) as empty, pytest.raises(ConfigError, match="has no crimes"):
        build_profile(empty)


def test_the_three_formats_hold_the_same_tables(seed_profile: Profile, tmp_path: Path) -> None:
    write_profile(seed_profile, "csv", tmp_path / "csv")
    write_profile(seed_profile, "json", tmp_path / "p.json")
    write_profile(seed_profile, "xlsx", tmp_path / "p.xlsx")
    doc = json.loads((tmp_path / "p.json").read_text())
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    for name, table in seed_profile.tables.items():
        lines = (tmp_path / "csv" / f"{name}.csv").read_text().splitlines()
        assert lines[0].split(",")[: len(table.column_names)] == table.column_names
        assert len(lines) == table.num_rows + 1 == len(doc["tables"][name]["rows"]) + 1
        assert doc["tables"][name]["columns"] == table.column_names
        assert book[name[:31]].max_row == table.num_rows + 1
        # the same cells in all three formats
        csv_rows = list(csv.DictReader((tmp_path / "csv" / f"{name}.csv").open()))
        sheet_rows = list(book[name[:31]].iter_rows(min_row=2, values_only=True))
        for i, row in enumerate(table.to_pylist()[:30]):
            for j, (column, value) in enumerate(row.items()):
                if isinstance(value, int) and not isinstance(value, bool):
                    from_json = doc["tables"][name]["rows"][i][column]
                    assert int(csv_rows[i][column]) == from_json == sheet_rows[i][j] == value
                elif isinstance(value, str):
                    assert csv_rows[i][column] == sheet_rows[i][j] == value
    vol = (tmp_path / "csv" / "volumes.csv").read_text().splitlines()
    assert vol[0] == "district,domestic,current,previous,change_pct,change_p_value"
    assert vol[3].startswith("BD,Non-Domestic,137,103,33.0,")  # one decimal, kept in the text
    assert doc["tables"]["volumes"]["rows"][15]["change_pct"] == 86.5
    assert book["volumes"]["C17"].value == 6129
    with pytest.raises(ConfigError, match="is a folder"):
        write_profile(seed_profile, "xlsx", tmp_path)


def test_formulas_from_an_extract_never_execute(seed_profile: Profile, tmp_path: Path) -> None:
    evil = "=HYPERLINK(\"http://x.invalid\",\"click\")"
    tables = dict(seed_profile.tables, injected=pa.table({"label": [evil, "+1", "-2", "@SUM(A1)", "safe"]}))
    profile = dataclasses.replace(seed_profile, tables=tables)
    write_profile(profile, "csv", tmp_path / "csv")
    write_profile(profile, "xlsx", tmp_path / "p.xlsx")
    lines = (tmp_path / "csv" / "injected.csv").read_text().splitlines()
    assert lines[1:] == ["\"'=HYPERLINK(\"\"http://x.invalid\"\",\"\"click\"\")\"", "'+1", "'-2", "'@SUM(A1)", "safe"]
    sheet = openpyxl.load_workbook(tmp_path / "p.xlsx")["injected"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 7)]
    assert all(c.data_type == "s" for c in cells) and cells[0].value == evil  # text, never a formula


def test_duckdb_and_postgres_give_identical_tables(tmp_path: Path) -> None:
    url = fresh_pg_url()
    extract = seed.write_seed_extract(tmp_path / "seed.csv")
    profiles = []
    for target in (str(tmp_path / "p.duckdb"), url):
        with open_store(target) as s:
            ingest(extract, s, IngestOptions(force=load_force(), today=dt.date(2022, 2, 15)))
            profiles.append(build_profile(s, SEED_WINDOW))
    for name, table in profiles[0].tables.items():
        assert table.to_pylist() == profiles[1].tables[name].to_pylist(), name


def test_relationship_tables_by_hand(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    rows = ([{"relationship": "ex-partner", "arrest_made": "Y", "outcome": "1: CHARGED"}] * 3
            + [{"relationship": "former_partner", "risk_assessment": "DASH"}] * 5
            + [{"relationship": "stranger", "domestic_flag": "N", "arrest_made": "Y"}] * 2
            + [{"relationship": "", "domestic_flag": "N", "recorded_date": "2020-03-01"}])
    ingest(write_csv(tmp_path / "r.csv", rows_of(*rows)), store, options)
    profile = build_profile(store, ProfileRequest(period="2020-07-01:2021-06-30"))
    vol = {(r["domestic"], r["relationship"]): (r["current"], r["previous"])
           for r in profile.tables["volumes_by_relationship"].to_pylist()}
    assert vol == {("All", "former_partner"): (8, 0), ("All", "stranger"): (2, 0), ("All", "not recorded"): (0, 1),
                   ("Domestic", "former_partner"): (8, 0), ("Non-Domestic", "stranger"): (2, 0),
                   ("Non-Domestic", "not recorded"): (0, 1)}
    handling = {(r["domestic"], r["relationship"]): r for r in profile.tables["handling_by_relationship"].to_pylist()}
    partner = handling[("Domestic", "former_partner")]
    assert (partner["crimes"], partner["arrested"], partner["arrested_pct"], partner["assessed_pct"]) == (8, 3, 37.5,
                                                                                                         62.5)
    assert (partner["arrested_ci_low"], partner["arrested_ci_high"]) == wilson(3, 8)
    groups = {(r["domestic"], r["relationship"], r["group"]): r
              for r in profile.tables["outcome_groups_by_relationship"].to_pylist()}
    charged = groups[("All", "former_partner", "Charged/summonsed (1, 1A)")]
    assert (charged["count"], charged["pct"], charged["crimes"]) == (3, 37.5, 8)


def test_review_cases(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    rows = rows_of({"outcome": "01: CHARGED"}, {"outcome": "1A: ALT"}, {"outcome": "15B: NEW"},
                   {"offence_code": "8L"}, {"recorded_date": "2021-03-20"})
    ingest(write_csv(tmp_path / "c.csv", rows), store, options)
    profile = build_profile(store, ProfileRequest(to="2021-06"))  # runs past the data (ends 2021-03-20)
    assert any("runs 102 days past the data" in n for n in profile.notes)
    assert profile.as_of == 1  # the default is recorded, so the figures can be re-derived
    outcomes = [r["outcome"] for r in profile.tables["outcomes_domestic"].to_pylist()]
    assert outcomes == ["1: CHARGED", "1A: ALT", "15B: NEW", "(blank)", "Totals"]
    groups = {r["group"]: r["count"] for r in profile.tables["outcome_groups"].to_pylist() if r["domestic"] == "All"}
    assert groups["Charged/summonsed (1, 1A)"] == 2
    assert groups["Evidential difficulties: victim supports action (15)"] == 1
    arrests = profile.tables["arrests"].to_pylist()
    assert all(r["rate_pct"] is None for r in arrests)  # the extract has no arrest_made column
    assert any("records no arrest_made" in n for n in profile.notes)
    empty = build_profile(store, ProfileRequest(to="2021-03", family="coercive_control"))
    assert empty.tables["volumes"].num_rows == 0 and empty.tables["volumes"].column_names[0] == "district"
    assert any("No coercive_control crimes" in n for n in empty.notes)


def test_overlapping_group_codes_count_once() -> None:
    from importlib import resources

    base = resources.files("stalking_profile").joinpath("data/profile.toml").read_text("utf-8")
    moved = base.replace('codes = ["2", "2A", "3", "3A", "6"]', 'codes = ["1A", "2", "2A", "3", "3A", "6"]')
    moved = moved.replace('codes = ["1", "1A"]\npartition = true', 'codes = ["1"]\npartition = true')
    config = parse_config(moved, "moved.toml")
    owners = [g.name for g in config.outcome_groups if g.partition and g.contains("1A", config.listed_codes)]
    assert owners == ["Out-of-court (formal)"]
    with pytest.raises(ConfigError, match="'99' is not a Home Office outcome type"):
        parse_config(base.replace('codes = ["19"]', 'codes = ["19", "99"]'), "bad.toml")


def test_profile_command_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stalking_profile.cli import app

    db = tmp_path / "p.duckdb"
    with open_store(str(db)) as s:
        ingest(write_csv(tmp_path / "a.csv", rows_of({})), s, IngestOptions(today=dt.date(2022, 2, 15)))
    runner = CliRunner()
    for args, message in ((["--period", "2021-09-01:2021-01-01"], "before its start"),
                          (["--offence", "burglary"], "unknown offence family"),
                          (["--to", "2030-01"], "outside the data"), (["--format", "pdf"], "unknown format"),
                          (["--as-of", "9"], "not a batch")):
        result = runner.invoke(app, ["profile", "--db", str(db), "--out", str(tmp_path / "o"), *args])
        assert result.exit_code == 2 and message in result.stderr.replace("\n", " "), args
    result = runner.invoke(app, ["profile", "--db", str(db), "--to", "2021-03", "--out", str(tmp_path / "o.json"),
                                 "--format", "json"])
    assert result.exit_code == 0 and json.loads((tmp_path / "o.json").read_text())["as_of_batch"] == 1
