"""Hot spots: local Getis-Ord Gi* and local Moran's I on areas, with false-discovery-rate control.

Pure statistics on arrays plus a weights object (PySAL); no I/O. Gi* uses binary queen
contiguity with each area counted in its own neighbourhood (self-weight 1), two-sided
conditional-permutation p-values with an explicit seed, and Benjamini-Hochberg adjustment
across areas before areas are called hot or cold at 99, 95 or 90% confidence.
"""

from __future__ import annotations

import hashlib
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["LocalResult", "bivariate_moran", "classify_gi", "classify_lisa", "computed", "contiguity", "fdr_adjust",
           "gi_star", "local_moran", "remember"]

FloatArray = npt.NDArray[np.float64]
_LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))
_QUADRANTS = {1: "High-High cluster", 2: "Low-High outlier", 3: "Low-Low cluster", 4: "High-Low outlier"}
T = TypeVar("T")


@dataclass(frozen=True)
class LocalResult:
    """A local statistic per area: its value, z-score, p-values and, for local Moran's I, quadrant.

    The z-score is Gi*'s own (Ord and Getis 1995); for local Moran's I it is the analytical
    one under randomisation (esda's ``EI`` and ``VI``). The p-values are from permutations.
    """

    statistic: FloatArray
    z: FloatArray
    p_sim: FloatArray
    p_fdr: FloatArray
    quadrant: npt.NDArray[np.int64] | None = None


def contiguity(polygons: list[Any]) -> Any:
    """Queen contiguity (shared edge or corner) between polygons, as a libpysal ``W``."""
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; callers check w.islands themselves
        return Queen.from_iterable(polygons)


def fdr_adjust(p: FloatArray) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN).

    Examples
    --------
    >>> fdr_adjust(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    from statsmodels.stats.multitest import multipletests

    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def _two_sided(p_sim: Any) -> FloatArray:
    """esda's permutation p-value is one-sided (the tail the observed value falls in): double it."""
    return np.minimum(2.0 * np.asarray(p_sim, dtype=float), 1.0)


class _SharedDraws:
    """esda's conditional randomisation draws its permutation ids from the cardinality, the number
    of areas, the permutations and the seed alone: not from the values. So every statistic on one
    set of areas with one seed draws the very same ids, which took a fifth of a second each time at
    9,999 permutations. This stands in for ``esda.crand.vec_permutations``, draws each set once,
    and leaves NumPy's global generator in the state the draw left it in, as the original does;
    results are bit-identical (tests/test_hotspots.py checks)."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.sets: dict[tuple[int, int, int, int], tuple[Any, Any]] = {}

    def __call__(self, max_card: int, n: int, k_replications: int, seed: int) -> Any:
        key = (int(max_card), int(n), int(k_replications), int(seed))
        if key not in self.sets:
            if len(self.sets) >= 4:  # a few sets of areas per run; 9,999 x 20 ids is 1.6 MB each
                self.sets.pop(next(iter(self.sets)))
            ids = self.draw(max_card, n, k_replications, seed)
            ids.setflags(write=False)
            self.sets[key] = (ids, np.random.get_state())
        ids, state = self.sets[key]
        np.random.set_state(state)
        return ids


def _share_draws() -> None:
    """Put :class:`_SharedDraws` in esda's randomisation engine (once)."""
    import inspect

    import esda.crand

    draw = esda.crand.vec_permutations
    # Only esda's plain-Python draw (numba absent, as in our pins): compiled by numba it seeds numba's
    # own generator, not NumPy's, and its ids would reach compiled code, which this has not been tried with.
    if not isinstance(draw, _SharedDraws) and inspect.isfunction(draw):
        esda.crand.vec_permutations = _SharedDraws(draw)


#: Results by weights object (held weakly: dropped with the weights), then by statistic, values,
#: permutations and seed: the same inputs give the same result, so each is computed once per run.
_RESULTS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()


def _once(statistic: str, w: Any, arrays: tuple[FloatArray, ...], permutations: int, seed: int,
          compute: Callable[[], T]) -> T:
    key = (statistic, *(hashlib.sha256(a.tobytes()).hexdigest() for a in arrays), len(arrays[0]), permutations, seed)
    results = _RESULTS.setdefault(w, {})
    if key not in results:
        results[key] = compute()
    return results[key]  # type: ignore[no-any-return]


def computed(w: Any) -> dict[tuple[Any, ...], Any]:
    """The results computed so far on ``w``, to hand to :func:`remember` in another process."""
    return dict(_RESULTS.get(w, {}))


def remember(w: Any, results: dict[tuple[Any, ...], Any]) -> None:
    """Keep ``results`` computed on a copy of ``w`` (in another process), so they are not computed again.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> w, copy, y = lat2W(3, 3), lat2W(3, 3), np.arange(9.0)
    >>> result = gi_star(y, copy, 99, 0)
    >>> remember(w, computed(copy))
    >>> gi_star(y, w, 99, 0) is result
    True
    """
    _RESULTS.setdefault(w, {}).update(results)


def gi_star(values: FloatArray, w: Any, permutations: int, seed: int) -> LocalResult:
    """Local Getis-Ord Gi* (binary weights, self-weight 1) with two-sided permutation p-values.

    Parameters
    ----------
    values : array of float
        The measure per area (count or rate).
    w : libpysal W
        Contiguity weights, without self-neighbours (they are added).
    permutations, seed : int
        Conditional randomisation draws and the random seed (the same seed gives the same p-values).
        The p-values are two-sided: twice esda's one-sided ``p_sim``, at most 1.

    Notes
    -----
    Getis and Ord (1992); Ord and Getis (1995). ``esda.G_Local(..., star=True, transform="B")``.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> r = gi_star(np.array([1., 1, 1, 1, 9, 9, 1, 9, 9]), lat2W(3, 3, rook=False), 99, 0)
    >>> bool(r.z[8] > 1 and r.z[0] < 0)
    True
    """
    import esda

    y = np.ascontiguousarray(values, dtype=float)

    def compute() -> LocalResult:
        _share_draws()
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")
            # one process: on these 2-core machines joblib's worker start-up costs more than it saves
            # (1.0 s against 1.8 s for 1,388 LSOAs and 9,999 permutations), and one draw order is one result
            # the 9,999 simulated values per area are not kept: only the p-values are wanted from them
            g = esda.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1,
                             keep_simulations=False)
        z, p = np.asarray(g.Zs, dtype=float), _two_sided(g.p_sim)
        return LocalResult(np.asarray(g.Gs, dtype=float), z, p, fdr_adjust(p))

    return _once("gi_star", w, (y,), permutations, seed, compute)


def local_moran(values: FloatArray, w: Any, permutations: int, seed: int) -> LocalResult:
    """Local Moran's I (row-standardised weights) for clusters (High-High, Low-Low) and outliers.

    Notes
    -----
    Anselin (1995); ``esda.Moran_Local`` with two-sided conditional-permutation p-values.
    """
    import esda

    y = np.ascontiguousarray(values, dtype=float)

    def compute() -> LocalResult:
        _share_draws()
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")
            m = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed,
                                 keep_simulations=False)
            z = (np.asarray(m.Is, dtype=float) - m.EI) / np.sqrt(m.VI)
        # without the simulations esda leaves its p-values in single precision: the counts behind
        # them are recovered and divided again, as esda does when it keeps them
        larger = np.rint(np.asarray(m.p_sim, dtype=float) * (permutations + 1.0))
        p = _two_sided(larger / (permutations + 1.0))
        return LocalResult(np.asarray(m.Is, dtype=float), z, p, fdr_adjust(p), np.asarray(m.q, dtype=np.int64))

    return _once("local_moran", w, (y,), permutations, seed, compute)


def bivariate_moran(x: FloatArray, y: FloatArray, w: Any, permutations: int, seed: int) -> tuple[float, float]:
    """Bivariate Moran's I of ``x`` against the spatial lag of ``y`` (row-standardised weights),
    with a two-sided permutation p-value.

    Notes
    -----
    Anselin, Syabri and Smirnov (2002); ``esda.Moran_BV``. esda draws its permutations from NumPy's
    global generator: it is seeded with ``seed`` for the draw and restored afterwards.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> x = np.array([9., 9, 9, 1, 9, 9, 1, 1, 9, 1, 1, 1, 1, 1, 1, 1])  # high values in one corner
    >>> i, p = bivariate_moran(x, x, lat2W(4, 4), 999, 0)
    >>> round(i, 3), p
    (0.494, 0.008)
    """
    import esda

    a, b = np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=float)

    def compute() -> tuple[float, float]:
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")
            w.transform = "r"
            state = np.random.get_state()
            np.random.seed(seed)
            try:
                bv = esda.Moran_BV(a, b, w, permutations=permutations)
            finally:
                np.random.set_state(state)
        return float(bv.I), min(2.0 * float(bv.p_sim), 1.0)  # two-sided, as Gi*

    return _once("bivariate_moran", w, (a, b), permutations, seed, compute)


def classify_gi(z: FloatArray, p: FloatArray) -> list[str]:
    """``Hot spot 99%`` ... ``Cold spot 90%`` by adjusted p-value and the sign of z; else ``Not significant``.

    Examples
    --------
    >>> classify_gi(np.array([3.0, -2.0, 1.7, 0.1]), np.array([0.001, 0.03, 0.08, 0.5]))
    ['Hot spot 99%', 'Cold spot 95%', 'Hot spot 90%', 'Not significant']
    """
    labels = []
    for zi, pi in zip(z, p, strict=True):
        label = "Not significant"
        for level, name in _LEVELS:
            if not np.isnan(pi) and not np.isnan(zi) and pi < level:
                label = f"{'Hot' if zi > 0 else 'Cold'} spot {name}"
                break
        labels.append(label)
    return labels


def classify_lisa(quadrant: npt.NDArray[np.int64], p: FloatArray, alpha: float = 0.05) -> list[str]:
    """Cluster or outlier type where the adjusted p-value is below ``alpha``.

    Examples
    --------
    >>> classify_lisa(np.array([1, 3, 4]), np.array([0.01, 0.2, 0.04]))
    ['High-High cluster', 'Not significant', 'High-Low outlier']
    """
    return [_QUADRANTS.get(int(q), "Not significant") if not np.isnan(pi) and pi < alpha else "Not significant"
            for q, pi in zip(quadrant, p, strict=True)]
