"""Phrases for the report's sentences (counts, percentages, changes, rates, p-values, intervals),
and the readers of table cells that decide which figures a sentence may quote.

Every phrase follows the output contract: thousands separators, percentages to one decimal
place (two under 10%), rounded halves away from zero as the tables round them. A change of
ratio 2 or more is given as a percentage *and* a multiple ("rose by 267.5%, to 3.7 times the
previous level"), so that a 3.7-fold rise is never read as a "370% increase". A cell that is
blank or suppressed (``<5``, ``[c]``) reads as ``None``: no sentence quotes it.

Examples
--------
>>> f"Recorded stalking {change(6129, 3286)}, {significance(2.8e-193)}."
'Recorded stalking rose by 86.5% (from 3,286 to 6,129), a statistically significant change (p < 0.001).'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.stats import change_pct, pct, round_pct

__all__ = ["ALPHA", "Row", "before", "change", "count", "counts_of", "during", "extreme", "figure", "interval", "join",
           "long_date", "marked", "number", "p_value", "percent", "rate", "rate_in", "ratio", "shown", "significance",
           "upper_bound"]

#: A table row as ``pyarrow.Table.to_pylist`` gives it.
Row = dict[str, Any]

#: The significance level the report's tests use.
ALPHA = 0.05


def number(n: int) -> str:
    """A whole number with thousands separators.

    Examples
    --------
    >>> number(6129), number(0), number(-1500)
    ('6,129', '0', '-1,500')
    """
    return f"{n:,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural`` when adding "s" is wrong).

    Examples
    --------
    >>> count(1, "crime"), count(6129, "crime"), count(0, "crime"), count(2, "person", "people")
    ('1 crime', '6,129 crimes', '0 crimes', '2 people')
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def percent(value: float) -> str:
    """A percentage as the output contract gives it: one decimal place, two under 10.

    Examples
    --------
    >>> percent(86.5225), percent(2.75176), percent(0.0), percent(1150.0), percent(9.996)
    ('86.5%', '2.75%', '0.00%', '1,150.0%', '10.0%')
    """
    rounded = round_pct(value)
    if rounded is None:
        raise ValueError("no percentage to phrase (the value is missing)")
    return f"{rounded:.2f}%" if abs(rounded) < 10 else f"{rounded:,.1f}%"


def ratio(current: int, previous: int) -> str:
    """``current / previous`` to one decimal place ("twice" when exactly 2).

    Examples
    --------
    >>> ratio(3700, 1000), ratio(4818, 1311), ratio(20, 10)
    ('3.7 times', '3.7 times', 'twice')
    """
    if previous <= 0:
        raise ValueError("a ratio needs a previous count above 0")
    if current == 2 * previous:
        return "twice"
    value = (Decimal(current) / Decimal(previous)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value:,} times"


def change(current: int, previous: int, *, figures: bool = True) -> str:
    """How a count moved from ``previous`` to ``current``, as a verb phrase.

    A ratio of 2 or more is also given as a multiple. ``figures`` adds the two counts.

    Examples
    --------
    >>> change(6129, 3286)
    'rose by 86.5% (from 3,286 to 6,129)'
    >>> change(880, 1000), change(880, 1000, figures=False)
    ('fell by 12.0% (from 1,000 to 880)', 'fell by 12.0%')
    >>> change(3700, 1000)
    'rose by 270.0%, to 3.7 times the previous level (from 1,000 to 3,700)'
    >>> change(1000, 1000), change(12, 0), change(0, 0)
    ('was unchanged (at 1,000)', 'rose from none to 12', 'was unchanged (none in either period)')
    >>> change(0, 5)
    'fell by 100.0% (from 5 to none)'
    >>> change(103, 100)
    'rose by 3.00% (from 100 to 103)'
    """
    if current < 0 or previous < 0:
        raise ValueError("counts cannot be negative")
    if previous == 0:
        return "was unchanged (none in either period)" if current == 0 else f"rose from none to {current:,}"
    if current == previous:
        return f"was unchanged (at {current:,})" if figures else "was unchanged"
    pct_change = change_pct(current, previous)
    assert pct_change is not None  # previous is above 0
    phrase = f"{'rose' if current > previous else 'fell'} by {percent(abs(pct_change))}"
    if current >= 2 * previous:
        phrase += f", to {ratio(current, previous)} the previous level"
    if figures:
        phrase += f" (from {previous:,} to {current:,})" if current else f" (from {previous:,} to none)"
    return phrase


def interval(low: float, high: float, level: int = 95) -> str:
    """A confidence interval in brackets.

    Examples
    --------
    >>> interval(19.9, 24.0), interval(1.03, 8.45)
    ('(95% CI 19.9% to 24.0%)', '(95% CI 1.03% to 8.45%)')
    """
    return f"({level}% CI {percent(low)} to {percent(high)})"


def rate(numerator: int, denominator: int, ci: tuple[float, float] | None = None, level: int = 95) -> str:
    """``numerator`` as a percentage of ``denominator``, with both counts (and the interval).

    Examples
    --------
    >>> rate(344, 1571), rate(18, 460), rate(1, 1)
    ('21.9% (344 of 1,571)', '3.91% (18 of 460)', '100.0% (1 of 1)')
    >>> rate(344, 1571, (19.9, 24.0))
    '21.9% (344 of 1,571; 95% CI 19.9% to 24.0%)'
    """
    share = pct(numerator, denominator)
    if share is None:
        raise ValueError("a rate needs a denominator above 0")
    detail = f"{numerator:,} of {denominator:,}"
    if ci is not None:
        detail += f"; {level}% CI {percent(ci[0])} to {percent(ci[1])}"
    return f"{percent(share)} ({detail})"


def _decimals(p: Decimal, places: int) -> Decimal:
    return p.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def p_value(p: float, alpha: float = ALPHA) -> str:
    """A p-value as text: ``p < 0.001``; three decimal places under 0.01, two otherwise, more
    when rounding would carry it across ``alpha`` (0.0496 is not shown as 0.05).

    Examples
    --------
    >>> p_value(2.8e-193), p_value(0.0042), p_value(0.2134), p_value(0.05), p_value(0.0496), p_value(0.995)
    ('p < 0.001', 'p = 0.004', 'p = 0.21', 'p = 0.05', 'p = 0.0496', 'p > 0.99')
    """
    if not 0 <= p <= 1:
        raise ValueError(f"{p} is not a p-value")
    if p < 0.001:
        return "p < 0.001"
    if p > 0.99:
        return "p > 0.99"
    exact = Decimal(repr(p))
    for places in range(3 if p < 0.01 else 2, 6):
        shown = _decimals(exact, places)
        if (shown < Decimal(repr(alpha))) == (p < alpha):
            return f"p = {shown}"
    return f"p < {alpha}" if p < alpha else f"p = {_decimals(exact, 2)}"


def significance(p: float, alpha: float = ALPHA) -> str:
    """Whether a change is statistically significant at ``alpha``, with its p-value.

    Examples
    --------
    >>> significance(0.0004)
    'a statistically significant change (p < 0.001)'
    >>> significance(0.21)
    'not a statistically significant change (p = 0.21)'
    >>> significance(0.0499), significance(0.05)
    ('a statistically significant change (p = 0.0499)', 'not a statistically significant change (p = 0.05)')
    """
    return f"{'a' if p < alpha else 'not a'} statistically significant change ({p_value(p, alpha)})"


def join(items: list[str], conjunction: str = "and") -> str:
    """Items joined as in prose: "BD", "BD and LD", "BD, CD and LD" (or "or").

    Examples
    --------
    >>> join(["BD"]), join(["BD", "LD"]), join(["BD", "CD", "LD"]), join(["BD", "LD"], "or")
    ('BD', 'BD and LD', 'BD, CD and LD', 'BD or LD')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def long_date(day: dt.date) -> str:
    """A date as the report writes it.

    Examples
    --------
    >>> long_date(dt.date(2021, 9, 30))
    '30 September 2021'
    """
    return f"{day.day} {day:%B %Y}"


def during(period: Period) -> str:
    """When a count was recorded: "in the 12 months to September 2021", or the dates.

    Examples
    --------
    >>> during(Period(dt.date(2020, 10, 1), dt.date(2021, 9, 30)))
    'in the 12 months to September 2021'
    >>> during(Period(dt.date(2021, 1, 1), dt.date(2021, 6, 30)))
    'from 1 January 2021 to 30 June 2021'
    """
    if period.month_aligned and period.months == 12:
        return f"in the 12 months to {period.end:%B %Y}"
    return f"from {long_date(period.start)} to {long_date(period.end)}"


def before(period: Period) -> str:
    """The comparison window of ``period``: the same length just before it.

    Examples
    --------
    >>> before(Period(dt.date(2021, 1, 1), dt.date(2021, 6, 30)))
    'the 6 months before'
    >>> before(Period(dt.date(2021, 1, 5), dt.date(2021, 1, 8)))
    'the 4 days before'
    """
    return f"the {period.months} months before" if period.month_aligned else f"the {period.days} days before"

# --- reading table cells: only figures a sentence may quote ---------------------------------------------------


def shown(value: Any) -> int | float | None:
    """The figure in a table cell that a sentence may quote, or ``None`` when the cell is missing
    or suppressed. Partner and public tables hold figures as text once a column has a mark.

    Examples
    --------
    >>> shown(6129), shown("1207"), shown("8.88"), shown("'-3.14"), shown(2.5)
    (6129, 1207, 8.88, -3.14, 2.5)
    >>> shown("<5"), shown("[c]"), shown(None), shown(float("nan")), shown(""), shown(True)
    (None, None, None, None, None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip().lstrip("'").replace(",", "")  # a CSV-safe "'-3.14" is a number
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def upper_bound(value: Any) -> int | None:
    """The largest a count can be: itself when shown, ``threshold - 1`` for ``<threshold``, else unknown.

    Examples
    --------
    >>> upper_bound(12), upper_bound("<5"), upper_bound("[c]"), upper_bound(None)
    (12, 4, None, None)
    """
    value_shown = shown(value)
    if isinstance(value_shown, int):
        return value_shown
    match = re.fullmatch(r"<(\d+)", value.strip()) if isinstance(value, str) else None
    return int(match.group(1)) - 1 if match else None


def counts_of(row: Row | None, *columns: str) -> tuple[int, ...] | None:
    """The shown whole numbers in ``columns`` of ``row``; ``None`` if any is missing or suppressed.

    Examples
    --------
    >>> counts_of({"crimes": 460, "arrested": "73"}, "arrested", "crimes")
    (73, 460)
    >>> counts_of({"crimes": 37, "arrested": "<5"}, "arrested", "crimes"), counts_of(None, "crimes")
    (None, None)
    """
    values = [shown(row.get(c)) for c in columns] if row is not None else [None]
    if any(not isinstance(v, int) for v in values):
        return None
    return tuple(int(v) for v in values if v is not None)


def marked(row: Row, column: str) -> bool:
    """Whether a cell holds a disclosure mark (``<5``, ``[c]``) rather than a figure or a blank.

    Examples
    --------
    >>> marked({"pct": "[c]"}, "pct"), marked({"pct": "21.9"}, "pct"), marked({"pct": None}, "pct")
    (True, False, False)
    """
    value = row.get(column)
    return isinstance(value, str) and value.strip() != "" and shown(value) is None


def figure(row: Row | None, column: str) -> float | None:
    """The shown number in ``column`` of ``row`` as a float, or ``None``.

    Examples
    --------
    >>> figure({"rate_pct": "21.9"}, "rate_pct"), figure({"rate_pct": "[c]"}, "rate_pct")
    (21.9, None)
    """
    value = shown(row.get(column)) if row is not None else None
    return None if value is None else float(value)


def extreme(cells: Mapping[str, Any], largest: bool) -> tuple[list[str], int] | None:
    """The keys holding the largest (or smallest) count and that count, when no suppressed count
    could beat it: a ``<5`` cannot beat 12, a ``[c]`` could; any suppressed cell could be smallest.

    Examples
    --------
    >>> extreme({"BD": 12, "CD": "<5", "LD": 12}, largest=True)
    (['BD', 'LD'], 12)
    >>> extreme({"BD": 12, "CD": "[c]"}, largest=True), extreme({"BD": 12, "CD": "<5"}, largest=False)
    (None, None)
    """
    visible = {k: int(v) for k, v in ((k, shown(v)) for k, v in cells.items()) if isinstance(v, int)}
    if not visible:
        return None
    best = max(visible.values()) if largest else min(visible.values())
    for key in cells.keys() - visible.keys():
        bound = upper_bound(cells[key])
        if not largest or bound is None or bound >= best:
            return None
    return [k for k, v in visible.items() if v == best], best


def rate_in(row: Row | None, measure: str, base: str = "crimes", share: str = "rate_pct",
            bounds: tuple[str, str] | None = ("ci_low", "ci_high")) -> str | None:
    """:func:`rate` of ``measure`` over ``base`` in ``row``, with the interval in ``bounds`` when
    shown; ``None`` unless the counts and the row's own percentage ``share`` are all shown.

    Examples
    --------
    >>> row = {"crimes": 1571, "arrested": 344, "rate_pct": 21.9, "ci_low": 19.9, "ci_high": 24.0}
    >>> rate_in(row, "arrested")
    '21.9% (344 of 1,571; 95% CI 19.9% to 24.0%)'
    >>> rate_in(row, "arrested", bounds=None), rate_in(dict(row, rate_pct="[c]"), "arrested")
    ('21.9% (344 of 1,571)', None)
    """
    counts = counts_of(row, measure, base)
    if row is None or counts is None or counts[1] == 0 or shown(row.get(share)) is None:
        return None
    low, high = (figure(row, bounds[0]), figure(row, bounds[1])) if bounds else (None, None)
    return rate(counts[0], counts[1], (low, high) if low is not None and high is not None else None)
