"""Hot spots after adjusting for deprivation and young adults: do they persist?

A Poisson regression (statsmodels GLM, log link) of ward counts on the ward's mean IMD decile
and its share of residents aged 20-29, with log population as offset. Each ward's expected count
comes from the model; Gi* is then run on observed / expected, so a ward is an *adjusted* hot spot
when it has more crime than its deprivation and age mix predict, and more so with its neighbours.
If the data are over-dispersed, a negative binomial model is used instead (its alpha estimated).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from stalking_profile.metrics.hotspot_tables import Areas
from stalking_profile.spatial.hotspots import classify_gi, gi_star

__all__ = ["ADJUSTED_SCHEMA", "AdjustedModel", "adjusted_rows", "fit_model"]

ADJUSTED_SCHEMA = pa.schema([
    ("level", pa.string()), ("area_code", pa.string()), ("area_name", pa.string()), ("district", pa.string()),
    ("offence_family", pa.string()), ("observed", pa.int64()), ("expected", pa.float64()),
    ("observed_expected", pa.float64()), ("imd_mean_decile", pa.float64()), ("share_20_29_pct", pa.float64()),
    ("gi_z", pa.float64()), ("gi_p_fdr", pa.float64()), ("gi_class", pa.string()), ("raw_gi_class", pa.string()),
    ("model", pa.string()),
])


class AdjustedModel:
    """A fitted model: expected counts and readable rate ratios per covariate."""

    def __init__(self, expected: np.ndarray, kind: str, ratios: dict[str, tuple[float, float, float]]) -> None:
        self.expected = expected
        self.kind = kind
        self.ratios = ratios

    def summary(self) -> str:
        parts = [f"{name}: rate ratio {r:.2f} (95% CI {lo:.2f} to {hi:.2f})" for name, (r, lo, hi) in
                 self.ratios.items()]
        return f"{self.kind}; " + "; ".join(parts)


def _negative_binomial(sm: Any, counts: np.ndarray, x: np.ndarray, offset: np.ndarray, dispersion: float,
                       poisson: Any) -> tuple[Any, str]:
    """A negative binomial fit when it converges and reproduces the total; else quasi-Poisson."""
    nb = sm.NegativeBinomial(counts, x, offset=offset).fit(disp=0, maxiter=200)
    alpha = float(nb.params[-1])
    if nb.mle_retvals.get("converged", False) and 0 < alpha < 50:
        fitted = sm.GLM(counts, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit()
        if abs(float(fitted.fittedvalues.sum()) - float(counts.sum())) <= 0.1 * max(float(counts.sum()), 1.0):
            return fitted, f"negative binomial (alpha {alpha:.3f}; Poisson dispersion {dispersion:.1f})"
    quasi = sm.GLM(counts, x, family=sm.families.Poisson(), offset=offset).fit(scale="X2")
    return quasi, f"quasi-Poisson (dispersion {dispersion:.1f}; the negative binomial fit did not settle)"


def fit_model(counts: np.ndarray, population: np.ndarray, imd_decile: np.ndarray,
              share_young: np.ndarray) -> AdjustedModel:
    """Fit counts ~ IMD decile + share aged 20-29 (per 10 points), offset log(population).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pop = np.full(200, 5000.0); imd = rng.integers(1, 11, 200).astype(float); young = rng.uniform(.1, .3, 200)
    >>> counts = rng.poisson(pop / 1000 * np.exp(-0.2 * imd + 3 * young))
    >>> model = fit_model(counts, pop, imd, young)
    >>> round(model.ratios["IMD decile (1 = most deprived)"][0], 1)
    0.8
    """
    import statsmodels.api as sm

    x = sm.add_constant(np.column_stack([imd_decile, share_young * 10]))
    offset = np.log(population)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        poisson = sm.GLM(counts, x, family=sm.families.Poisson(), offset=offset).fit()
        dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid > 0 else 1.0
        fitted, kind = poisson, "Poisson"
        if dispersion > 1.5:
            fitted, kind = _negative_binomial(sm, counts, x, offset, dispersion, poisson)
    ci = np.asarray(fitted.conf_int())
    names = ("IMD decile (1 = most deprived)", "share aged 20-29 (per 10 points)")
    ratios = {name: (float(np.exp(fitted.params[i + 1])), float(np.exp(ci[i + 1][0])), float(np.exp(ci[i + 1][1])))
              for i, name in enumerate(names)}
    return AdjustedModel(np.asarray(fitted.fittedvalues, dtype=float), kind, ratios)


def adjusted_rows(areas: Areas, family: str, counts: dict[str, float],
                  covariates: dict[str, tuple[float, float, float]], raw_classes: dict[str, str],
                  permutations: int, seed: int) -> tuple[list[dict[str, Any]], str]:
    """Rows for the wards with population and covariates, and the model's one-line summary.

    ``covariates`` maps ward code to (population, mean IMD decile, share aged 20-29).
    """
    codes, names, districts, w = areas
    keep = [i for i, c in enumerate(codes) if c in covariates and covariates[c][0] > 0]
    if len(keep) < 10 or sum(counts.get(codes[i], 0.0) for i in keep) == 0:
        return [], ""
    observed = np.array([counts.get(codes[i], 0.0) for i in keep])
    pop, imd, young = (np.array([covariates[codes[i]][k] for i in keep]) for k in range(3))
    model = fit_model(observed, pop, imd, young)
    ratio = np.divide(observed, model.expected, out=np.zeros_like(observed), where=model.expected > 0)
    from libpysal.weights import w_subset

    sub_w = w_subset(w, [w.id_order[i] for i in keep], silence_warnings=True)  # wards with no people are left out
    gi = gi_star(ratio, sub_w, permutations, seed)
    classes = classify_gi(gi.z, gi.p_fdr)
    rows = []
    for k, i in enumerate(keep):
        rows.append({
            "level": "ward", "area_code": codes[i], "area_name": names[i], "district": districts[i],
            "offence_family": family, "observed": int(observed[k]), "expected": round(float(model.expected[k]), 2),
            "observed_expected": round(float(ratio[k]), 3), "imd_mean_decile": round(float(imd[k]), 2),
            "share_20_29_pct": round(100 * float(young[k]), 2), "gi_z": round(float(gi.z[k]), 6),
            "gi_p_fdr": round(float(gi.p_fdr[k]), 6), "gi_class": classes[k],
            "raw_gi_class": raw_classes.get(codes[i], "Not significant"), "model": model.kind,
        })
    return rows, model.summary()
