"""Volumes: crimes in the window against the window before, by district and domestic flag
(the seed's page-3 table), and by victim-suspect relationship."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import by_district, by_relationship, within
from stalking_profile.metrics.stats import change_pct, change_test

__all__ = ["VOLUME_SCHEMA", "volumes", "volumes_by_relationship"]

VOLUME_SCHEMA = pa.schema(
    [
        ("district", pa.string()),
        ("domestic", pa.string()),
        ("current", pa.int64()),
        ("previous", pa.int64()),
        ("change_pct", pa.float64()),
        ("change_p_value", pa.float64()),
    ]
)


def _grouped(crimes: ibis.Table, period: Period, keys: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for window, name in ((period, "current"), (period.previous(), "previous")):
        t = within(crimes, window)
        for r in t.group_by(keys).aggregate(n=t.count()).to_pyarrow().to_pylist():
            rows.append({**r, "current": 0, "previous": 0, name: int(r["n"])})
    return rows


def _changes(current: int, previous: int, period: Period) -> dict[str, Any]:
    days = (period.days, period.previous().days)
    return {"current": current, "previous": previous, "change_pct": change_pct(current, previous),
            "change_p_value": change_test(current, previous, *days)}


def volumes(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Crimes recorded in ``period`` and in the window before, with the change and its p-value.

    One row per district (then ``Force``) and ``domestic`` (All, Domestic, Non-Domestic).
    ``change_p_value`` tests whether the two windows share one Poisson rate (exact
    conditional test): a small value means the change is larger than chance.
    """
    grouped = _grouped(crimes, period, ["district", "domestic_flag"])
    rows = by_district(grouped, force, ("current", "previous"), lambda district, domestic, sums: {
        "district": district, "domestic": domestic, **_changes(sums["current"], sums["previous"], period)})
    return pa.Table.from_pylist(rows, schema=VOLUME_SCHEMA)


def volumes_by_relationship(crimes: ibis.Table, period: Period) -> pa.Table:
    """Force-level volumes by victim-suspect relationship, for All, Domestic and Non-Domestic.

    Separates former- and current-partner stalking (swept in by the April 2020 rule) from
    the rest; ``not recorded`` collects crimes with no relationship.
    """
    grouped = _grouped(crimes, period, ["relationship", "domestic_flag"])
    rows = [{"domestic": label, "relationship": rel, **_changes(c["current"], c["previous"], period)}
            for label, rel, c in by_relationship(grouped, ("current", "previous"))]
    schema = pa.schema([("domestic", pa.string()), ("relationship", pa.string()), *list(VOLUME_SCHEMA)[2:]])
    return pa.Table.from_pylist(rows, schema=schema)
