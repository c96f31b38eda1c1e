"""Disclosure control: crafted tables checked by brute force, and a public profile checked by an
independent integer program: no hidden count can be worked out from what is published with it."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from typer.testing import CliRunner

from stalking_profile.cli import app
from stalking_profile.disclosure.apply import HIDDEN, disclosable, disclose
from stalking_profile.disclosure.cells import CellSystem, Dimension, Key, key
from stalking_profile.disclosure.layouts import INTERNAL_TABLES, profile_system
from stalking_profile.disclosure.protect import Protection, protect, recoverable
from stalking_profile.errors import ConfigError
from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.config import load_config
from stalking_profile.metrics.profile import Profile, ProfileRequest, build_profile
from stalking_profile.store.connection import Store, open_store
from tests import seed


def _grid(data: dict[tuple[str, str], int]) -> CellSystem:
    """A two-way table with its row, column and grand totals."""
    s = CellSystem()
    rows, cols = sorted({r for r, _ in data}), sorted({c for _, c in data})
    s.dimension(Dimension("r", tuple(rows)))
    s.dimension(Dimension("c", tuple(cols)))
    for (r, c), v in data.items():
        s.add("t", 0, c, key(m="n", r=r, c=c), v)
    for r in rows:
        s.add("t", 0, "total", key(m="n", r=r), sum(v for (rr, _), v in data.items() if rr == r))
    for c in cols:
        s.add("t", 0, "total", key(m="n", c=c), sum(v for (_, cc), v in data.items() if cc == c))
    s.add("t", 0, "total", key(m="n"), sum(data.values()))
    return s


def _brute_force(system: CellSystem, hidden: set[Key], threshold: int, ceiling: int) -> dict[Key, set[int]]:
    """Every value each hidden count can take, by trying every combination from 0 to ``ceiling``
    against every sum (a hidden primary count is 1 to threshold - 1, a hidden secondary one
    threshold or more): a check that shares nothing with the engine but the sums."""
    values = system.values()
    order = sorted(hidden)
    primary = {k for k in order if 1 <= values[k] < threshold}
    ranges = [range(1, threshold) if k in primary else range(threshold, ceiling + 1) if values[k] >= threshold
              else range(0, ceiling + 1) for k in order]
    relations = system.relations()
    possible: dict[Key, set[int]] = {k: set() for k in order}
    for combo in itertools.product(*ranges):
        guess = {**values, **dict(zip(order, combo, strict=True))}
        if all(guess.get(p, 0) == sum(guess.get(c, 0) for c in children) for p, children in relations):
            for k, v in zip(order, combo, strict=True):
                possible[k].add(v)
    return possible


def test_two_way_table_needs_a_cycle_of_four() -> None:
    system = _grid({("A", "x"): 3, ("A", "y"): 10, ("A", "z"): 7, ("B", "x"): 8, ("B", "y"): 2, ("B", "z"): 9})
    result = protect(system)
    assert result.primary == {key(m="n", r="A", c="x"), key(m="n", r="B", c="y")}
    assert result.secondary == {key(m="n", r="A", c="y"), key(m="n", r="B", c="x")}  # the cheapest protection
    possible = _brute_force(system, set(result.suppressed), 5, 25)
    assert all(len(v) >= 2 for v in possible.values()), possible
    assert recoverable(system, result.primary, result.secondary, 5) == []


def test_a_row_with_one_small_cell_is_found_by_subtraction() -> None:
    system = _grid({("A", "x"): 3, ("A", "y"): 10, ("B", "x"): 8, ("B", "y"): 12})
    a = key(m="n", r="A", c="x")
    assert recoverable(system, {a}, set(), 5) == [a]  # 13 - 10
    assert _brute_force(system, {a}, 5, 20)[a] == {3}


def test_three_sums_of_pairs_give_each_cell_away() -> None:
    """x + y, y + z and x + z published: x = (xy - yz + xz) / 2, although no sum has one hidden cell."""
    s = CellSystem()
    x, y, z = key(m="n", v="x"), key(m="n", v="y"), key(m="n", v="z")
    pairs = {"xy": (x, y), "yz": (y, z), "xz": (x, z)}
    values = {x: 2, y: 6, z: 7}
    for k, v in values.items():
        s.add("t", 0, "v", k, v)
    for name, (p, q) in pairs.items():
        total = key(m="n", pair=name)
        s.add("t", 0, name, total, values[p] + values[q])
        s.relate(total, (p, q))
    assert sorted(recoverable(s, {x}, {y, z}, 5)) == sorted([x, y, z])
    result = protect(s)
    assert recoverable(s, result.primary, result.secondary, 5) == []
    assert any(dict(k).get("pair") for k in result.secondary)  # a pair total had to go
    possible = _brute_force(s, set(result.suppressed), 5, 20)
    assert all(len(v) >= 2 for v in possible.values()), possible


def test_bounds_a_reader_knows_can_pin_a_count() -> None:
    """6 = a + b with a shown as <5 (1-4) and b hidden as a secondary (5 or more): a = 1, b = 5."""
    s = CellSystem()
    t, a, b = key(m="n"), key(m="n", v="a"), key(m="n", v="b")
    for k, v in ((t, 6), (a, 1), (b, 5)):
        s.add("t", 0, "v", k, v)
    s.relate(t, (a, b))
    assert recoverable(s, {a}, {b}, 5) == [a, b]
    result = protect(s)
    assert t in result.secondary
    assert recoverable(s, result.primary, result.secondary, 5) == []


def test_derived_figures_of_hidden_counts_are_withheld() -> None:
    system = _grid({("A", "x"): 3, ("A", "y"): 10, ("A", "z"): 7, ("B", "x"): 8, ("B", "y"): 12, ("B", "z"): 9})
    system.figure("t", 0, "rate_x", key(m="n", r="A", c="x"), key(m="n", r="A"))
    system.figure("t", 1, "rate_z", key(m="n", r="B", c="z"), key(m="n", r="B"))
    result = protect(system)
    assert ("t", 0, "rate_x") in result.withheld
    hidden_z = key(m="n", r="B", c="z") in result.suppressed
    assert (("t", 1, "rate_z") in result.withheld) == hidden_z


def test_the_threshold_is_configurable() -> None:
    system = _grid({("A", "x"): 7, ("A", "y"): 10, ("A", "z"): 12, ("B", "x"): 8, ("B", "y"): 11, ("B", "z"): 9})
    assert protect(system, 5).suppressed == frozenset()
    tight = protect(system, 10)
    assert tight.primary == {key(m="n", r="A", c="x"), key(m="n", r="B", c="x"), key(m="n", r="B", c="z")}
    assert recoverable(system, tight.primary, tight.secondary, 10) == []
    with pytest.raises(ValueError, match="2 or more"):
        protect(system, 1)


# --- a public profile of the seed data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def internal(seed_store: Store) -> Profile:
    return build_profile(seed_store, ProfileRequest(to="2021-09", geography=False))


@pytest.fixture(scope="module")
def public(internal: Profile) -> Profile:
    return disclose(internal, "public", load_force().district_codes, load_config())


def _integer_range(system: CellSystem, result: Protection, target: Key) -> tuple[float, float]:
    """The smallest and largest whole value ``target`` can take given every sum and every figure
    published (solved as an integer program, independently of the engine's linear checks)."""
    values = system.values()
    relations = system.relations()
    shown = {k: v for k, v in {**system.known, **values}.items() if k not in result.suppressed}
    unknown = sorted({k for p, c in relations for k in (p, *c)} - set(shown))
    index = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for parent, children in relations:
        row = np.zeros(len(unknown))
        constant = 0.0
        for k, coef in ((parent, 1.0), *((c, -1.0) for c in children)):
            if k in index:
                row[index[k]] += coef
            else:
                constant -= coef * shown[k]
        if row.any():
            rows.append(row)
            rhs.append(constant)
    low = [1 if k in result.primary else result.threshold if k in result.secondary and values[k] >= result.threshold
           else 0 for k in unknown]
    high = [result.threshold - 1 if k in result.primary else np.inf for k in unknown]
    constraint = LinearConstraint(np.array(rows), np.array(rhs), np.array(rhs))
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(unknown))
        c[index[target]] = sign
        res = milp(c, constraints=constraint, integrality=np.ones(len(unknown)), bounds=Bounds(low, high))
        assert res.status in (0, 3), res.message  # 0: optimal, 3: unbounded
        ends.append(sign * np.inf if res.status == 3 else sign * res.fun)
    return ends[0], ends[1]


def test_no_hidden_count_of_the_public_profile_can_be_recovered(internal: Profile, public: Profile) -> None:
    system = profile_system(disclosable(internal), load_force().district_codes, load_config())
    result = public.suppression
    assert result is not None and result.primary and result.secondary
    values = system.values()
    rng = np.random.default_rng(5)
    targets = sorted(k for k in result.suppressed if k in result.primary or values[k] > 0)
    sample = [targets[i] for i in rng.choice(len(targets), size=min(60, len(targets)), replace=False)]
    for target in sample:  # an integer program per count: a sample keeps the test quick
        low, high = _integer_range(system, result, target)
        assert high - low >= 1, (target, low, high)


def _counts_shown(profile: Profile, system: CellSystem) -> list[tuple[str, int, str, Any]]:
    return [(c.table, c.row, c.column, profile.tables[c.table].column(c.column)[c.row].as_py())
            for c in system.cells if c.table in profile.tables]


def test_public_tables_show_no_count_from_1_to_4(internal: Profile, public: Profile) -> None:
    system = profile_system(disclosable(internal), load_force().district_codes, load_config())
    shown = _counts_shown(public, system)
    assert shown
    for table, row, column, value in shown:
        text = str(value)
        assert text in ("<5", HIDDEN) or not re.fullmatch(r"[1-4]", text), (table, row, column, value)
    assert any(v == "<5" for *_, v in shown) and any(v == HIDDEN for *_, v in shown)


def test_the_same_count_is_hidden_in_every_table_or_in_none(public: Profile) -> None:
    volumes = {(r["district"], r["domestic"]): r["current"] for r in public.tables["volumes"].to_pylist()}
    for flag, name in ((True, "outcomes_domestic"), (False, "outcomes_non_domestic")):
        totals = public.tables[name].to_pylist()[-1]
        for district in (*seed.DISTRICTS, "Force"):
            assert str(totals[district]) == str(volumes[(district, "Domestic" if flag else "Non-Domestic")])
    arrests = {(r["district"], r["domestic"]): r["crimes"] for r in public.tables["arrests"].to_pylist()}
    assert {k: str(v) for k, v in arrests.items()} == {k: str(v) for k, v in volumes.items()}


def test_headline_volumes_stay_published(public: Profile) -> None:
    assert all(isinstance(r["current"], int) for r in public.tables["volumes"].to_pylist())


def test_public_profile_states_the_rule_and_drops_what_it_cannot_publish(public: Profile) -> None:
    assert public.audience == "public" and public.marking == "OFFICIAL"
    assert not set(INTERNAL_TABLES) & set(public.tables)
    notes = " ".join(public.notes)
    assert "counts of 1 to 4 are shown as <5" in notes
    assert not any(re.search(r"\b\d[\d,]* crimes\b", n) for n in public.notes)


def test_rates_on_hidden_counts_are_withheld(public: Profile) -> None:
    for r in public.tables["arrests"].to_pylist():
        if r["arrested"] in ("<5", HIDDEN) or r["crimes"] in ("<5", HIDDEN):
            assert r["rate_pct"] == HIDDEN and r["ci_low"] == HIDDEN


def test_profile_cli_public_and_a_bad_audience(tmp_path: Path, seed_store: Store) -> None:
    runner = CliRunner()
    db = str(tmp_path / "one.duckdb")
    store = open_store(db)
    ingest(seed.write_seed_extract(tmp_path / "seed.csv"), store, IngestOptions(force=load_force(),
                                                                                today=dt.date(2022, 2, 15)))
    store.close()
    out = tmp_path / "public"
    result = runner.invoke(app, ["profile", "--db", db, "--to", "2021-09", "--audience", "public",
                                 "--permutations", "99", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "public (OFFICIAL)" in result.stdout
    text = (out / "outcomes_non_domestic.csv").read_text(encoding="utf-8")
    assert "<5" in text
    assert not (out / "outcome_maturity.csv").exists()
    bad = runner.invoke(app, ["profile", "--db", db, "--audience", "press", "--out", str(out)])
    assert bad.exit_code == 2 and "unknown audience" in bad.stderr
    with pytest.raises(ConfigError, match="hides nothing"):
        disclose(build_profile(seed_store, ProfileRequest(to="2021-09", geography=False)), "partner",
                 load_force().district_codes, load_config(), threshold=1)


def _with_wards(internal: Profile) -> Profile:
    """The seed profile with a ward table whose wards add up to the Force's domestic and
    non-domestic crimes, one ward holding 3 domestic and 2 non-domestic crimes."""
    import pyarrow as pa

    from stalking_profile.metrics.wards import WARD_SCHEMA

    volumes = {(r["district"], r["domestic"]): r["current"] for r in internal.tables["volumes"].to_pylist()}
    domestic, other = volumes[("Force", "Domestic")], volumes[("Force", "Non-Domestic")]
    split = [(3, 2)] + [((domestic - 3) // 7 + (i < (domestic - 3) % 7), (other - 2) // 7 + (i < (other - 2) % 7))
                        for i in range(7)]
    rows = [{"level": "ward", "area_code": f"W{i}", "area_name": f"Ward {i}", "district": "CD",
             "offence_family": internal.family, "crimes": d + n, "domestic": d, "non_domestic": n,
             "population": None, "rate_per_1000": None, "population_20_29": None, "rate_20_29_per_1000": None}
            for i, (d, n) in enumerate(split)]
    placement = pa.table({"offence_family": [internal.family], "placed_by": ["lsoa_code"],
                          "crimes": [domestic + other]})
    tables = {**internal.tables, "placement": placement, "wards": pa.Table.from_pylist(rows, schema=WARD_SCHEMA)}
    return Profile(internal.period, internal.previous, internal.family, internal.codes, internal.as_of, tables)


def test_ward_domestic_counts_are_protected_against_the_force_totals(internal: Profile) -> None:
    profile = _with_wards(internal)
    public = disclose(profile, "public", load_force().district_codes, load_config())
    wards = public.tables["wards"].to_pylist()
    assert (wards[0]["domestic"], wards[0]["non_domestic"]) == ("<5", "<5")
    assert any(HIDDEN in (w["domestic"], w["non_domestic"]) for w in wards[1:])  # 5669 - 7 wards = 3 otherwise
    system = profile_system(disclosable(profile), load_force().district_codes, load_config())
    assert public.suppression is not None
    for target in sorted(k for k in public.suppression.suppressed if dict(k).get("level") == "ward"):
        low, high = _integer_range(system, public.suppression, target)
        assert high - low >= 1, (target, low, high)


def test_public_profile_leaves_out_persons_and_lsoa_rows(public: Profile) -> None:
    for name in ("demographics_victims", "demographics_suspects"):
        assert set(public.tables[name].column("basis").to_pylist()) == {"crimes"}


def test_lsoa_maps_are_refused_for_a_public_audience(public: Profile) -> None:
    from stalking_profile.reporting.maps import profile_map

    with pytest.raises(ConfigError, match="LSOA maps are not drawn for a public audience"):
        profile_map(public, ([], [], []), "lsoa", "value")
