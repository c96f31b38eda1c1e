"""Hot spots: Gi* and local Moran checked against esda and by hand; no area is an island."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import esda
import numpy as np
import pytest
from libpysal.weights import lat2W

from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.hotspot_tables import lsoa_areas, ward_areas
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.spatial.geography import default_lsoas
from stalking_profile.spatial.hotspots import contiguity, gi_star, local_moran
from stalking_profile.spatial.imports import import_lookup, latest_layer
from stalking_profile.store.connection import Store
from tests.conftest import rows_of, write_csv
from tests.test_geography_import import LOOKUP20, needs_real

VALUES = np.array([2.0, 3, 1, 8, 9, 7, 1, 2, 3, 0, 5, 6, 2, 1, 9, 8], dtype=float)


def test_gi_star_matches_esda_for_the_same_seed() -> None:
    w = lat2W(4, 4, rook=False)
    ours = gi_star(VALUES, w, permutations=999, seed=7)
    theirs = esda.G_Local(VALUES, lat2W(4, 4, rook=False), transform="B", star=True, permutations=999, seed=7,
                          n_jobs=1)
    np.testing.assert_allclose(ours.z, theirs.Zs, rtol=1e-12)
    np.testing.assert_allclose(ours.p_sim, np.minimum(2 * theirs.p_sim, 1), rtol=1e-12)


def test_shared_draws_give_esdas_own_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing the permutation ids once per set of areas changes nothing: Gi* and local Moran on
    two value series, and NumPy's global generator afterwards, match esda with its own draws."""
    import esda.crand

    from stalking_profile.spatial.hotspots import _SharedDraws

    other = VALUES[::-1].copy()
    ours = [gi_star(v, lat2W(4, 4, rook=False), 999, 5) for v in (VALUES, other)]
    moran = local_moran(other, lat2W(4, 4, rook=False), 999, 5)
    after_ours = np.random.get_state()[1].copy()
    draws = esda.crand.vec_permutations
    assert isinstance(draws, _SharedDraws) and len(draws.sets) >= 1
    monkeypatch.setattr(esda.crand, "vec_permutations", draws.draw)  # esda as it ships
    for mine, values in zip(ours, (VALUES, other), strict=True):
        g = esda.G_Local(values, lat2W(4, 4, rook=False), transform="B", star=True, permutations=999, seed=5,
                         n_jobs=1)
        np.testing.assert_array_equal(mine.p_sim, np.minimum(2 * g.p_sim, 1))
    m = esda.Moran_Local(other, lat2W(4, 4, rook=False), transformation="r", permutations=999, seed=5)
    np.testing.assert_array_equal(moran.p_sim, np.minimum(2 * m.p_sim, 1))
    np.testing.assert_array_equal(np.random.get_state()[1], after_ours)


def test_gi_star_by_hand_on_a_grid() -> None:
    """Ord and Getis (1995): Gi* = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1))),
    binary queen weights with the area itself included."""
    n, x = 16, VALUES
    w = lat2W(4, 4, rook=False)
    xbar, s = x.mean(), math.sqrt((x**2).mean() - x.mean() ** 2)
    z = gi_star(x, w, permutations=99, seed=0).z
    for i in range(n):
        neighbours = [i, *w.neighbors[i]]
        wi = len(neighbours)
        expected = (x[neighbours].sum() - xbar * wi) / (s * math.sqrt((n * wi - wi**2) / (n - 1)))
        assert z[i] == pytest.approx(expected, rel=1e-9)


def test_local_moran_matches_esda() -> None:
    ours = local_moran(VALUES, lat2W(4, 4, rook=False), permutations=999, seed=3)
    theirs = esda.Moran_Local(VALUES, lat2W(4, 4, rook=False), transformation="r", permutations=999, seed=3)
    np.testing.assert_allclose(ours.statistic, theirs.Is, rtol=1e-12)
    np.testing.assert_array_equal(ours.quadrant, theirs.q)
    # the same p-values to the last bit as esda's own when it keeps its simulations (ours does not)
    np.testing.assert_array_equal(ours.p_sim, np.minimum(2 * theirs.p_sim, 1))
    np.testing.assert_allclose(ours.z, (theirs.Is - theirs.EI) / np.sqrt(theirs.VI), rtol=1e-12)


def test_no_lsoa_is_an_island() -> None:
    areas = default_lsoas()
    codes, _, _, w = lsoa_areas(areas)
    assert len(codes) == 1388 and w.islands == [] and w.n == 1388


@needs_real
def test_wards_built_from_lsoas_have_neighbours(store: Store) -> None:
    import_lookup(store, LOOKUP20, load_force())
    codes, _names, districts, w = ward_areas(default_lsoas(), latest_layer(store, "lookup").to_pyarrow())
    assert len(codes) == 124 and w.islands == [] and set(districts) == {"BD", "CD", "KD", "LD", "WD"}


def test_a_planted_hotspot_is_found(tmp_path: Path, store: Store) -> None:
    areas = default_lsoas()
    w = contiguity(list(areas.polygons))
    centre = 600
    cluster = [centre, *w.neighbors[centre]]
    rows = rows_of(*[{"lsoa_code": areas.codes[i]} for i in cluster for _ in range(12)],
                   *[{"lsoa_code": areas.codes[i]} for i in range(1388)])  # one crime everywhere else
    ingest(write_csv(tmp_path / "h.csv", rows), store, IngestOptions(force=load_force(), today=dt.date(2022, 2, 15)))
    profile = build_profile(store, ProfileRequest(to="2021-03", permutations=999, seed=1))
    hot = {r["area_code"]: r for r in profile.tables["hotspots"].to_pylist()
           if r["level"] == "lsoa" and r["offence_family"] == "stalking"}
    assert hot[areas.codes[centre]]["gi_class"] == "Hot spot 99%"
    assert hot[areas.codes[centre]]["lisa_i"] > 0 and hot[areas.codes[centre]]["lisa_class"] != "Low-Low cluster"
    called = {c for c, r in hot.items() if r["gi_class"] in ("Hot spot 99%", "Hot spot 95%")}
    assert called <= {areas.codes[i] for i in cluster} | {areas.codes[j] for i in cluster for j in w.neighbors[i]}
    assert all(r["permutations"] == 999 and r["seed"] == 1 for r in hot.values())
    # The permutation statistics (shared out between two forked processes on two cores) and the MO
    # texts (read ahead in one when there are many) give the same tables as the same work done in this
    # process (on weights built afresh: nothing is taken from the first build's results).
    import stalking_profile.parallel as parallel

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "can_fork", lambda: False)
        alone = build_profile(store, ProfileRequest(to="2021-03", permutations=999, seed=1))
    for name in ("hotspots", "hotspot_overlap", "cyber"):
        assert profile.tables[name].equals(alone.tables[name]), name




def test_overlap_measures() -> None:
    from scipy.stats import spearmanr

    from stalking_profile.metrics.overlap import compare, jaccard, spearman_ci, top_areas

    rng = np.random.default_rng(5)
    x = rng.poisson(4, 40).astype(float)
    y = x + rng.normal(0, 2, 40)
    rho, low, high = spearman_ci(x, y)
    assert rho == round(spearmanr(x, y).statistic, 3) and low < rho < high
    z = math.atanh(spearmanr(x, y).statistic)
    assert high == round(math.tanh(z + 1.959963984540054 * math.sqrt(1.06 / 37)), 3)  # Fieller et al. (1957)
    assert jaccard({"a", "b", "c"}, {"c", "d"}) == 0.25
    assert top_areas(["a", "b", "c", "d"], np.array([5.0, 9, 9, 0]), share=0.25) == {"b"}  # exactly k, by code
    w = lat2W(4, 4, rook=False)
    codes = [str(i) for i in range(16)]
    grid = (codes, codes, ["BD"] * 16, w)
    row = compare("lsoa", grid, ("stalking", dict(zip(codes, VALUES, strict=True))),
                  ("harassment", dict(zip(codes, VALUES[::-1], strict=True))), permutations=999, seed=2)
    np.random.seed(2)
    expected = esda.Moran_BV(VALUES, VALUES[::-1], lat2W(4, 4, rook=False), permutations=999)
    assert row["bivariate_moran_i"] == round(float(expected.I), 4)
    assert row["bivariate_moran_p"] == min(2 * expected.p_sim, 1)  # two-sided, as for Gi*
    if row["bivariate_moran_p"] < 0.05:  # the reversed series: high beside low, and the sentence says so
        assert ("beside low values" in row["sentence"]) == (row["bivariate_moran_i"] < 0)
    assert row["sentence"].startswith("Stalking and harassment by LSOA are")


def test_fit_model_recovers_known_rate_ratios() -> None:
    from stalking_profile.metrics.adjusted import fit_model

    rng = np.random.default_rng(11)
    n = 400
    pop = rng.uniform(5000, 15000, n)
    imd = rng.integers(1, 11, n).astype(float)
    young = rng.uniform(0.08, 0.25, n)
    counts = rng.poisson(pop / 1000 * np.exp(0.5 - 0.3 * imd + 2.0 * young))
    model = fit_model(counts, pop, imd, young)
    ratio, low, high = model.ratios["IMD decile (1 = most deprived)"]
    assert low < math.exp(-0.3) < high and model.kind == "Poisson"
    ratio, low, high = model.ratios["share aged 20-29 (per 10 points)"]
    assert low < math.exp(2.0 * 0.1) < high and low < ratio < high  # 10 points of share = 0.1 of the covariate
    np.testing.assert_allclose(model.expected.sum(), counts.sum(), rtol=1e-6)  # Poisson GLM with a constant


@needs_real
def test_adjusted_hotspots_with_real_geography(tmp_path: Path, store: Store) -> None:
    from stalking_profile.spatial.imports import import_imd, import_ward_population
    from tests.test_geography_import import IMD, WARD_POP

    force = load_force()
    import_lookup(store, LOOKUP20, force)
    import_ward_population(store, WARD_POP, force)
    import_imd(store, IMD, force)
    areas = default_lsoas()
    rows = rows_of(*[{"lsoa_code": code} for code in areas.codes for _ in range(2)])
    ingest(write_csv(tmp_path / "a.csv", rows), store, IngestOptions(force=force, today=dt.date(2022, 2, 15)))
    profile = build_profile(store, ProfileRequest(to="2021-03", permutations=99))
    adjusted = [r for r in profile.tables["hotspot_adjusted"].to_pylist() if r["offence_family"] == "stalking"]
    assert len(adjusted) == 124 and sum(r["observed"] for r in adjusted) == 2 * 1388
    assert sum(r["expected"] for r in adjusted) == pytest.approx(2 * 1388, rel=0.02)
    assert any(n.startswith("hotspot_adjusted (stalking):") and "rate ratio" in n for n in profile.notes)


def test_rate_series_leave_out_areas_without_people() -> None:
    from stalking_profile.metrics.hotspot_tables import hotspot_rows, with_denominator

    codes = [str(i) for i in range(16)]
    areas = (codes, codes, ["BD"] * 16, lat2W(4, 4, rook=False))
    rated = with_denominator(areas, set(codes) - {"5"})  # area 5 has no population
    rows = hotspot_rows("ward", rated, "stalking", "rate_per_1000", dict(zip(codes, VALUES, strict=True)), 99, 0)
    assert len(rows) == 15 and "5" not in {r["area_code"] for r in rows}
    flat = hotspot_rows("ward", areas, "stalking", "count", dict.fromkeys(codes, 2.0), 99, 0)
    assert flat == []  # the same value everywhere: no spot can stand out
