"""Handling: arrest and risk-assessment rates by district and domestic flag, with Wilson intervals."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import by_district, by_relationship, within
from stalking_profile.metrics.stats import pct, wilson

__all__ = ["ASSESSED_FORMS", "arrests", "assessed", "handling_by_relationship", "risk_assessment"]

#: A crime counts as assessed when one of these forms is recorded.
ASSESSED_FORMS = ("DASH", "DARA", "S-DASH")


def _rate_table(grouped: list[dict[str, Any]], force: Force, measure: str) -> pa.Table:
    """Rates by district; blank throughout when the extract never recorded the field (a blank
    value among recorded ones counts as 'no', as an RMS leaves the field empty)."""
    supplied = any(r["recorded"] for r in grouped)

    def build(district: str, domestic: str, sums: dict[str, int]) -> dict[str, Any]:
        base = sums["crimes"] if supplied else 0
        low, high = wilson(sums[measure], base)
        return {"district": district, "domestic": domestic, "crimes": sums["crimes"],
                measure: sums[measure] if supplied else None, "rate_pct": pct(sums[measure], base),
                "ci_low": low, "ci_high": high}

    rows = by_district(grouped, force, ("crimes", measure, "recorded"), build)
    schema = pa.schema([("district", pa.string()), ("domestic", pa.string()), ("crimes", pa.int64()),
                        (measure, pa.int64()), ("rate_pct", pa.float64()), ("ci_low", pa.float64()),
                        ("ci_high", pa.float64())])
    return pa.Table.from_pylist(rows, schema=schema)


def arrests(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Crimes with an arrest recorded, as a rate of crimes, by district and domestic flag."""
    t = within(crimes, period)
    grouped = t.group_by(["district", "domestic_flag"]).aggregate(
        crimes=t.count(), arrested=(t.arrest_made == ibis.literal(True)).ifelse(1, 0).sum(),
        recorded=t.arrest_made.notnull().ifelse(1, 0).sum(),
    ).to_pyarrow().to_pylist()
    return _rate_table(grouped, force, "arrested")


def assessed(t: ibis.Table) -> ibis.BooleanValue:
    """A DASH, DARA or S-DASH form is recorded: in the extract's ``risk_assessment`` column or,
    where the crimes carry ``forms_stored``, as a form imported with ``forms import``."""
    in_extract = t.risk_assessment.isin(list(ASSESSED_FORMS)).fill_null(False)
    return in_extract | (t.forms_stored > 0).fill_null(False) if "forms_stored" in t.columns else in_extract


def risk_assessment(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Crimes with a DASH, DARA or S-DASH form recorded, as a rate of crimes."""
    t = within(crimes, period)
    grouped = t.group_by(["district", "domestic_flag"]).aggregate(
        crimes=t.count(), assessed=assessed(t).ifelse(1, 0).sum(),
        recorded=(t.risk_assessment.notnull() | assessed(t)).ifelse(1, 0).sum(),
    ).to_pyarrow().to_pylist()
    return _rate_table(grouped, force, "assessed")


def _measures(t: ibis.Table) -> dict[str, ibis.Value]:
    return {"crimes": t.count(), "arrested": (t.arrest_made == ibis.literal(True)).ifelse(1, 0).sum(),
            "assessed": assessed(t).ifelse(1, 0).sum()}


def handling_by_relationship(crimes: ibis.Table, period: Period) -> pa.Table:
    """Arrest and risk-assessment rates by victim-suspect relationship (force level), so that
    partner stalking brought in by the April 2020 rule can be told apart from the rest."""
    t = within(crimes, period)
    grouped = t.group_by(["relationship", "domestic_flag"]).aggregate(**_measures(t)).to_pyarrow().to_pylist()
    rows = []
    for label, relationship, c in by_relationship(grouped, ("crimes", "arrested", "assessed")):
        row: dict[str, Any] = {"domestic": label, "relationship": relationship, "crimes": c["crimes"]}
        for measure in ("arrested", "assessed"):
            low, high = wilson(c[measure], c["crimes"])
            row.update({measure: c[measure], f"{measure}_pct": pct(c[measure], c["crimes"]),
                        f"{measure}_ci_low": low, f"{measure}_ci_high": high})
        rows.append(row)
    fields = [("domestic", pa.string()), ("relationship", pa.string()), ("crimes", pa.int64())]
    for measure in ("arrested", "assessed"):
        fields += [(measure, pa.int64()), (f"{measure}_pct", pa.float64()), (f"{measure}_ci_low", pa.float64()),
                   (f"{measure}_ci_high", pa.float64())]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))
