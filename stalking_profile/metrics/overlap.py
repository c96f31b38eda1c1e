"""Do the hot spots coincide? Stalking against harassment, against all domestic abuse, and
domestic against non-domestic stalking: rank correlation, overlap of the top areas and of the
hot spots, and bivariate Moran's I, each with a sentence a PCC officer can read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from stalking_profile.metrics.hotspot_tables import area_values, varies
from stalking_profile.spatial.hotspots import bivariate_moran, classify_gi, gi_star

__all__ = ["OVERLAP_SCHEMA", "compare", "jaccard", "spearman_ci", "top_areas"]

OVERLAP_SCHEMA = pa.schema([
    ("level", pa.string()), ("area_code", pa.string()), ("area_name", pa.string()), ("district", pa.string()),
    ("offence_family", pa.string()), ("compared_with", pa.string()), ("areas", pa.int64()),
    ("spearman_rho", pa.float64()), ("rho_ci_low", pa.float64()), ("rho_ci_high", pa.float64()),
    ("top10_shared", pa.int64()), ("top10_either", pa.int64()), ("top10_jaccard", pa.float64()),
    ("hot_shared", pa.int64()), ("hot_either", pa.int64()), ("hot_jaccard", pa.float64()),
    ("bivariate_moran_i", pa.float64()), ("bivariate_moran_p", pa.float64()), ("sentence", pa.string()),
])


def spearman_ci(x: np.ndarray, y: np.ndarray, alpha: float = 0.05) -> tuple[float | None, float | None, float | None]:
    """Spearman's rho with a confidence interval (Fisher z, standard error sqrt(1.06 / (n - 3))).

    Notes
    -----
    Fieller, Hartley and Pearson (1957) for the standard error of z(rho).

    Examples
    --------
    >>> rho, low, high = spearman_ci(np.arange(20.0), np.arange(20.0) ** 2)
    >>> rho, low, high
    (1.0, 1.0, 1.0)
    """
    from scipy.stats import norm, spearmanr

    if len(x) < 4 or np.all(x == x[0]) or np.all(y == y[0]):
        return None, None, None
    rho = float(spearmanr(x, y).statistic)
    if abs(rho) >= 1:
        return round(rho, 3), round(rho, 3), round(rho, 3)
    half = norm.ppf(1 - alpha / 2) * math.sqrt(1.06 / (len(x) - 3))
    z = math.atanh(rho)
    return round(rho, 3), round(math.tanh(z - half), 3), round(math.tanh(z + half), 3)


def jaccard(a: set[str], b: set[str]) -> float | None:
    """Shared over either; ``None`` when both are empty.

    Examples
    --------
    >>> jaccard({"a", "b"}, {"b", "c"}), jaccard(set(), set())
    (0.333, None)
    """
    either = a | b
    return round(len(a & b) / len(either), 3) if either else None


def top_areas(codes: list[str], values: np.ndarray, share: float = 0.10) -> set[str]:
    """Exactly the top ``share`` of areas by value (at least one), ties broken by area code, zeros left out."""
    k = max(1, math.ceil(share * len(codes)))
    ranked = sorted((-v, c) for c, v in zip(codes, values, strict=True) if v > 0)
    return {c for _, c in ranked[:k]}


def _strength(rho: float | None) -> str:
    if rho is None:
        return "cannot be compared (one of them does not vary)"
    size = abs(rho)
    word = "strongly" if size >= 0.7 else "moderately" if size >= 0.4 else "weakly" if size >= 0.2 else "barely"
    return f"are {word} {'related' if rho >= 0 else 'inversely related'}"


_NAMES = {"domestic_abuse": "all domestic-abuse crime"}


def _sentence(row: dict[str, Any], unit: str) -> str:
    rho = row["spearman_rho"]
    first = _NAMES.get(row["offence_family"], row["offence_family"])
    second = _NAMES.get(row["compared_with"], row["compared_with"])
    parts = [f"{first[0].upper() + first[1:]} and {second} by {unit} {_strength(rho)}"]
    if rho is not None:
        parts[0] += f" (rank correlation {rho:.2f}, 95% CI {row['rho_ci_low']:.2f} to {row['rho_ci_high']:.2f})"
    parts.append(f"{row['top10_shared']} of the {row['top10_either']} {unit}s in either top 10% are in both")
    if row["hot_either"]:
        parts.append(f"{row['hot_shared']} of the {row['hot_either']} hot spots (95% or more) are shared")
    else:
        parts.append("neither has hot spots at 95% or more")
    if row["bivariate_moran_p"] is not None:
        stat = f"(bivariate Moran's I {row['bivariate_moran_i']:.2f}, p = {row['bivariate_moran_p']:.3f})"
        if row["bivariate_moran_p"] >= 0.05:
            parts.append(f"where one is high, its neighbours' values of the other are no different from chance {stat}")
        elif row["bivariate_moran_i"] > 0:
            parts.append(f"high values of the first sit beside high values of the second more often than chance {stat}")
        else:
            parts.append(f"high values of the first sit beside low values of the second more often than chance {stat}")
    return "; ".join(parts) + "."


def _hot(codes: list[str], values: np.ndarray, w: Any, permutations: int, seed: int) -> set[str]:
    if not values.any():
        return set()
    gi = gi_star(values, w, permutations, seed)
    return {c for c, label in zip(codes, classify_gi(gi.z, gi.p_fdr), strict=True)
            if label in ("Hot spot 99%", "Hot spot 95%")}


def compare(level: str, areas: tuple[list[str], list[str], list[str], Any], first: tuple[str, dict[str, float]],
            second: tuple[str, dict[str, float]], permutations: int, seed: int) -> dict[str, Any]:
    """One comparison row between two series of area values."""
    codes, _, _, w = areas
    x, y = area_values(codes, first[1]), area_values(codes, second[1])
    rho, low, high = spearman_ci(x, y)
    top_x, top_y = top_areas(codes, x), top_areas(codes, y)
    hot_x, hot_y = _hot(codes, x, w, permutations, seed), _hot(codes, y, w, permutations, seed)
    moran_i = moran_p = None
    if varies(x) and varies(y):
        moran_i, moran_p = bivariate_moran(x, y, w, permutations, seed)
        moran_i = round(moran_i, 4)
    row = {"level": level, "area_code": None, "area_name": f"all {level}s", "district": "Force",
           "offence_family": first[0], "compared_with": second[0], "areas": len(codes),
           "spearman_rho": rho, "rho_ci_low": low, "rho_ci_high": high,
           "top10_shared": len(top_x & top_y), "top10_either": len(top_x | top_y),
           "top10_jaccard": jaccard(top_x, top_y), "hot_shared": len(hot_x & hot_y),
           "hot_either": len(hot_x | hot_y), "hot_jaccard": jaccard(hot_x, hot_y),
           "bivariate_moran_i": moran_i, "bivariate_moran_p": moran_p}
    row["sentence"] = _sentence(row, "ward" if level == "ward" else "LSOA")
    return row
