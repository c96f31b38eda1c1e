"""Handling: arrest and risk-assessment rates by district and domestic flag, with Wilson intervals."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import by_district, within
from stalking_profile.metrics.stats import pct, wilson

__all__ = ["ASSESSED_FORMS", "arrests", "risk_assessment"]

#: A crime counts as assessed when one of these forms is recorded.
ASSESSED_FORMS = ("DASH", "DARA", "S-DASH")


def _rate_table(grouped: list[dict[str, Any]], force: Force, measure: str) -> pa.Table:
    def build(district: str, domestic: str, sums: dict[str, int]) -> dict[str, Any]:
        low, high = wilson(sums[measure], sums["crimes"])
        return {"district": district, "domestic": domestic, "crimes": sums["crimes"], measure: sums[measure],
                "rate_pct": pct(sums[measure], sums["crimes"]), "ci_low": low, "ci_high": high}

    rows = by_district(grouped, force, ("crimes", measure), build)
    schema = pa.schema([("district", pa.string()), ("domestic", pa.string()), ("crimes", pa.int64()),
                        (measure, pa.int64()), ("rate_pct", pa.float64()), ("ci_low", pa.float64()),
                        ("ci_high", pa.float64())])
    return pa.Table.from_pylist(rows, schema=schema)


def arrests(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Crimes with an arrest recorded, as a rate of crimes, by district and domestic flag."""
    t = within(crimes, period)
    grouped = t.group_by(["district", "domestic_flag"]).aggregate(
        crimes=t.count(), arrested=(t.arrest_made == ibis.literal(True)).ifelse(1, 0).sum()
    ).to_pyarrow().to_pylist()
    return _rate_table(grouped, force, "arrested")


def risk_assessment(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Crimes with a DASH, DARA or S-DASH form recorded, as a rate of crimes."""
    t = within(crimes, period)
    grouped = t.group_by(["district", "domestic_flag"]).aggregate(
        crimes=t.count(), assessed=t.risk_assessment.isin(list(ASSESSED_FORMS)).ifelse(1, 0).sum()
    ).to_pyarrow().to_pylist()
    return _rate_table(grouped, force, "assessed")
