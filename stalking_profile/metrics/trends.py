"""Trends: monthly 12-month rolling totals over the whole store, with recording-rule breaks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.metrics.config import RecordingBreak
from stalking_profile.metrics.periods import months_between, shift_months
from stalking_profile.metrics.stats import change_pct

__all__ = ["ROLLING_SCHEMA", "monthly_counts", "rolling_12m"]

ROLLING_SCHEMA = pa.schema(
    [
        ("month", pa.string()),
        ("all", pa.int64()),
        ("domestic", pa.int64()),
        ("non_domestic", pa.int64()),
        ("recording_break", pa.string()),
        ("window_spans_break", pa.bool_()),
        ("comparison_spans_break", pa.bool_()),
        ("change_vs_year_before_pct", pa.float64()),
        ("ratio_vs_year_before", pa.float64()),
    ]
)


def monthly_counts(crimes: ibis.Table) -> dict[str, list[int]]:
    """Crimes per recording month (``YYYY-MM``): ``[domestic, non-domestic]``."""
    t = crimes.mutate(month=crimes.recorded_date.truncate("M"))
    rows = t.group_by(["month", "domestic_flag"]).aggregate(n=t.count()).to_pyarrow().to_pylist()
    counts: dict[str, list[int]] = {}
    for r in rows:
        cell = counts.setdefault(f"{r['month']:%Y-%m}", [0, 0])
        cell[0 if r["domestic_flag"] else 1] += int(r["n"])
    return counts


def rolling_12m(crimes: ibis.Table, last_month: tuple[int, int], breaks: tuple[RecordingBreak, ...]) -> pa.Table:
    """12-month rolling totals for every month from the 12th month of data to ``last_month``.

    ``recording_break`` names a rule change that starts that month; ``window_spans_break`` is
    true when the 12 months mix recording regimes. The change against the rolling total 12
    months before is given as a percentage and as a ratio (1,311 -> 4,818 is +267.5%,
    a ratio of 3.68: never "370%").
    """
    counts = monthly_counts(crimes)
    if not counts:
        return ROLLING_SCHEMA.empty_table()
    first = dt.date.fromisoformat(min(counts) + "-01")
    months = months_between(first, dt.date(*last_month, 1))
    series = [counts.get(m, [0, 0]) for m in months]
    notes = {b.month: b.note for b in breaks}
    totals: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for i in range(11, len(months)):
        window = series[i - 11 : i + 1]
        domestic, other = sum(c[0] for c in window), sum(c[1] for c in window)
        month = months[i]
        totals[month] = domestic + other
        year_before = f"{shift_months(dt.date.fromisoformat(month + '-01'), -12):%Y-%m}"
        before = totals.get(year_before)
        rows.append({
            "month": month, "all": domestic + other, "domestic": domestic, "non_domestic": other,
            "recording_break": notes.get(month),
            "window_spans_break": any(m in notes for m in months[i - 10 : i + 1]),
            # the change against the year before compares months i-23 .. i: a rule starting inside
            # them makes it a comparison across recording regimes
            "comparison_spans_break": before is not None and any(m in notes for m in months[max(i - 22, 0) : i + 1]),
            "change_vs_year_before_pct": change_pct(totals[month], before) if before is not None else None,
            "ratio_vs_year_before": round(totals[month] / before, 2) if before else None,
        })
    return pa.Table.from_pylist(rows, schema=ROLLING_SCHEMA)
