"""Small statistics for the profile tables: percentages, Wilson intervals, change tests.

Percentages follow the output contract: one decimal place, two for values under 10 (in
absolute value), and ``None`` (blank) where the base is 0.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["change_pct", "change_test", "pct", "round_pct", "wilson"]


def _half_up(value: Decimal) -> float:
    places = Decimal("0.01") if abs(value) < 10 else Decimal("0.1")
    return float(value.quantize(places, rounding=ROUND_HALF_UP))


def round_pct(value: float | None) -> float | None:
    """Round a percentage as the output contract says: 1 d.p., or 2 d.p. under 10; halves away
    from zero, as a spreadsheet does.

    Examples
    --------
    >>> round_pct(86.5225), round_pct(2.75176), round_pct(-3.14159), round_pct(0.125), round_pct(None)
    (86.5, 2.75, -3.14, 0.13, None)
    """
    if value is None or math.isnan(value):
        return None
    return _half_up(Decimal(repr(value)))


def pct(part: int, whole: int) -> float | None:
    """``part`` as a rounded percentage of ``whole``; ``None`` when ``whole`` is 0.

    Examples
    --------
    >>> pct(156, 5668), pct(18, 460), pct(345, 400), pct(0, 0)
    (2.75, 3.91, 86.3, None)
    """
    return _half_up(Decimal(100 * part) / Decimal(whole)) if whole else None


def change_pct(current: int, previous: int) -> float | None:
    """Percentage change from ``previous`` to ``current``; ``None`` when ``previous`` is 0.

    A rise from 1,311 to 4,818 is +267.5% (a ratio of 3.68), not "370%".

    Examples
    --------
    >>> change_pct(6129, 3286), change_pct(4818, 1311), change_pct(5, 0)
    (86.5, 267.5, None)
    """
    return _half_up(Decimal(100 * (current - previous)) / Decimal(previous)) if previous else None


#: What :func:`wilson` and :func:`change_test` import when first called (half a second or more).
LIBRARIES = ("statsmodels.stats.proportion", "statsmodels.stats.rates")


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion, as rounded percentages.

    Parameters
    ----------
    successes, n : int
        Count with the attribute, and the base.
    alpha : float
        1 - confidence level (0.05 gives a 95% interval).

    Returns
    -------
    (low, high) : percentages, or ``(None, None)`` when ``n`` is 0.

    Notes
    -----
    Wilson (1927); computed by ``statsmodels.stats.proportion.proportion_confint``.
    Unlike the normal approximation it stays inside [0, 100] and behaves for small counts.

    Examples
    --------
    >>> wilson(21, 100)
    (14.2, 30.0)
    >>> wilson(3, 100)
    (1.03, 8.45)
    """
    if n == 0:
        return None, None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return round_pct(100.0 * float(low)), round_pct(100.0 * float(high))


def change_test(current: int, previous: int, current_days: int = 1, previous_days: int = 1) -> float | None:
    """Two-sided p-value that two counts share one Poisson rate, given each window's length in days.

    Notes
    -----
    The exact conditional test: given the total, the current count is binomial with
    p = current_days / (current_days + previous_days) under no change
    (``statsmodels.stats.rates.test_poisson_2indep``, ``method="exact-cond"``).
    Returns ``None`` when both counts are 0.

    Examples
    --------
    >>> round(change_test(37, 33), 3)
    0.72
    >>> change_test(6129, 3286) < 1e-100
    True
    """
    if current + previous == 0:
        return None
    import numpy as np
    from statsmodels.stats.rates import test_poisson_2indep

    with np.errstate(divide="ignore", invalid="ignore"):  # a zero count makes the rate ratio infinite
        result = test_poisson_2indep(current, float(current_days), previous, float(previous_days),
                                     method="exact-cond")
    return float(result.pvalue)
