"""Deterministic quota allocation: exact integer counts, then seeded assignment to rows.

Marginals of the synthetic extract are hit *exactly*, not by chance: every count is
computed by largest-remainder rounding, and only the choice of which rows carry which
value is random.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "assign_counts",
    "assign_shares",
    "counts_for_groups",
    "dense_codes",
    "group_codes",
    "largest_remainder",
    "matrix_round",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def largest_remainder(weights: npt.ArrayLike, total: int) -> IntArray:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method).

    Ties in the remainders go to the earlier position, so the result is deterministic.

    Examples
    --------
    >>> largest_remainder([1, 1, 1], 10).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if total <= 0 or w.size == 0 or w.sum() <= 0:
        out = np.zeros(w.size, dtype=np.int64)
        if total > 0 and w.size:
            out[0] = total
        return out
    exact = w / w.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = np.lexsort((np.arange(w.size), -(exact - base)))
        base[order[:short]] += 1
    return np.asarray(base, dtype=np.int64)


def matrix_round(row_totals: npt.ArrayLike, col_totals: npt.ArrayLike) -> IntArray:
    """An integer matrix with exactly the given row and column totals, close to proportional.

    Rows are filled in order, each split in proportion to what is left of every column.
    A cell never exceeds what its column has left (it is at most the ceiling of a share
    of it), and the last row takes exactly the remainder.

    Examples
    --------
    >>> matrix_round([3, 3], [2, 4]).tolist()
    [[1, 2], [1, 2]]
    """
    rows = np.asarray(row_totals, dtype=np.int64)
    left = np.asarray(col_totals, dtype=np.int64).copy()
    if rows.sum() != left.sum():
        raise ValueError(f"row totals ({rows.sum()}) and column totals ({left.sum()}) differ")
    out = np.zeros((rows.size, left.size), dtype=np.int64)
    for i, r in enumerate(rows):
        cells = largest_remainder(left, int(r))
        out[i] = cells
        left -= cells
    return out


def dense_codes(values: npt.ArrayLike) -> tuple[IntArray, int]:
    """Renumber non-negative integers 0, 1, ... in order of value, and the number of distinct values.

    Uses a presence table rather than sorting, so it is linear in the input and the range.

    Examples
    --------
    >>> dense_codes([7, 3, 7, 9])[0].tolist()
    [1, 0, 1, 2]
    """
    v = np.asarray(values, dtype=np.int64)
    present = np.bincount(v) > 0 if v.size else np.zeros(0, dtype=bool)
    number = np.cumsum(present) - 1
    return number[v].astype(np.int64), int(present.sum())


def group_codes(*keys: npt.ArrayLike) -> tuple[IntArray, int]:
    """Dense group numbers for the combinations of several small non-negative integer keys.

    Examples
    --------
    >>> codes, n = group_codes([0, 1, 0, 1], [5, 5, 5, 6])
    >>> codes.tolist(), n
    ([0, 1, 0, 2], 3)
    """
    arrays = [np.asarray(k, dtype=np.int64) for k in keys]
    combined = np.zeros(arrays[0].shape, dtype=np.int64)
    for a in arrays:
        combined = combined * (int(a.max(initial=0)) + 1) + a
    return dense_codes(combined)


def counts_for_groups(group: npt.ArrayLike, n_groups: int, shares: npt.ArrayLike) -> IntArray:
    """Exact category counts per group: each group's size split by its row of ``shares``.

    ``shares`` is (n_groups, k), or (k,) for the same shares in every group.

    Examples
    --------
    >>> counts_for_groups([0, 0, 0, 1], 2, [0.5, 0.5]).tolist()
    [[2, 1], [1, 0]]
    """
    sizes = np.bincount(np.asarray(group, dtype=np.int64), minlength=n_groups)
    s = np.asarray(shares, dtype=np.float64)
    s = np.broadcast_to(s, (n_groups, s.shape[-1]))
    return np.stack([largest_remainder(s[g], int(sizes[g])) for g in range(n_groups)])


def assign_counts(
    group: npt.ArrayLike,
    counts: npt.ArrayLike,
    rng: np.random.Generator,
    weight: npt.ArrayLike | None = None,
) -> IntArray:
    """Give each row a category so that group ``g`` has exactly ``counts[g, k]`` rows of ``k``.

    Rows are put in a random order within their group and categories handed out in order
    0, 1, ...; with ``weight``, the order is a weighted sample without replacement
    (Efraimidis-Spirakis keys), so rows with a larger weight tend to get the earlier
    categories. A zero weight puts a row last.

    Examples
    --------
    >>> labels = assign_counts([0, 0, 0, 1], [[2, 1], [0, 1]], np.random.default_rng(0))
    >>> np.bincount(labels[:3], minlength=2).tolist(), int(labels[3])
    ([2, 1], 1)
    """
    g = np.asarray(group, dtype=np.int64)
    c = np.asarray(counts, dtype=np.int64)
    sizes = np.bincount(g, minlength=c.shape[0])
    if not np.array_equal(c.sum(axis=1), sizes):
        raise ValueError("counts must add up to the size of each group")
    u = rng.random(g.size)
    if weight is None:
        key = u
    else:
        w = np.asarray(weight, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            es = -np.log1p(-u) / w
            # Map the keys monotonically into [0, 0.5] (zero weight -> 0.5, last) to sort once.
            key = np.where(w > 0, 0.5 * es / (1.0 + es), 0.5)
    order = np.argsort(g + key)
    labels = np.empty(g.size, dtype=np.int64)
    labels[order] = np.repeat(np.tile(np.arange(c.shape[1]), c.shape[0]), c.reshape(-1))
    return labels


def assign_shares(
    group: npt.ArrayLike,
    shares: npt.ArrayLike,
    rng: np.random.Generator,
    weight: npt.ArrayLike | None = None,
) -> IntArray:
    """:func:`assign_counts` with counts from shares (per group, or one row for all groups).

    Examples
    --------
    >>> labels = assign_shares(np.zeros(10, dtype=int), [0.8, 0.2], np.random.default_rng(0))
    >>> np.bincount(labels).tolist()
    [8, 2]
    """
    g = np.asarray(group, dtype=np.int64)
    s = np.asarray(shares, dtype=np.float64)
    n_groups = int(g.max(initial=-1)) + 1 if s.ndim == 1 else s.shape[0]
    return assign_counts(g, counts_for_groups(g, n_groups, s), rng, weight)
