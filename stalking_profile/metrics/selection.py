"""Selecting crimes for a table, and laying counts out by district and domestic flag."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ibis

from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.store.connection import Store

__all__ = ["DOMESTIC_LABELS", "by_district", "by_relationship", "crimes_in", "flag_label", "within"]

#: The ``domestic`` column's values, in output order.
DOMESTIC_LABELS = ("All", "Domestic", "Non-Domestic")
Row = dict[str, Any]


def crimes_in(store: Store, codes: Iterable[str], period: Period | None = None, as_of: int | None = None) -> ibis.Table:
    """Current crimes with one of the offence ``codes``, recorded within ``period`` if given."""
    crimes = store.current_crimes(as_of)
    selected = crimes.filter(crimes.offence_code.isin(list(codes)))
    if period is not None:
        selected = selected.filter(
            selected.recorded_date >= ibis.literal(period.start), selected.recorded_date <= ibis.literal(period.end)
        )
    return selected


def within(crimes: ibis.Table, period: Period) -> ibis.Table:
    """The crimes recorded in ``period`` (both ends inclusive)."""
    return crimes.filter(crimes.recorded_date >= ibis.literal(period.start),
                         crimes.recorded_date <= ibis.literal(period.end))


def flag_label(flag: bool) -> str:
    """``Domestic`` or ``Non-Domestic``."""
    return "Domestic" if flag else "Non-Domestic"


def by_district(
    grouped: list[Row], force: Force, measures: tuple[str, ...], build: Callable[[str, str, dict[str, int]], Row]
) -> list[Row]:
    """Rows for each district (force order) then ``Force``, each as All, Domestic, Non-Domestic.

    ``grouped`` holds rows with ``district``, ``domestic_flag`` and the integer ``measures``;
    ``build(district, domestic, sums)`` turns the summed measures into an output row.
    """
    sums: dict[tuple[str, str], dict[str, int]] = {}
    for r in grouped:
        for district in (r["district"], "Force"):
            for label in ("All", flag_label(bool(r["domestic_flag"]))):
                cell = sums.setdefault((district, label), dict.fromkeys(measures, 0))
                for m in measures:
                    cell[m] += int(r[m] or 0)
    rows = []
    for district in (*force.district_codes, "Force"):
        for label in DOMESTIC_LABELS:
            rows.append(build(district, label, sums.get((district, label), dict.fromkeys(measures, 0))))
    return rows


_RELATIONSHIPS = ("current_partner", "former_partner", "family", "acquaintance", "stranger", "unknown", "not recorded")


def by_relationship(grouped: list[Row], measures: tuple[str, ...]) -> list[tuple[str, str, dict[str, int]]]:
    """Sums of ``measures`` by (domestic label, relationship), labels in output order and
    relationships in the contract's order, ``not recorded`` last; ``grouped`` holds rows with
    ``relationship``, ``domestic_flag`` and the measures."""
    sums: dict[tuple[str, str], dict[str, int]] = {}
    for r in grouped:
        relationship = r["relationship"] or "not recorded"
        for label in ("All", flag_label(bool(r["domestic_flag"]))):
            cell = sums.setdefault((label, relationship), dict.fromkeys(measures, 0))
            for m in measures:
                cell[m] += int(r[m] or 0)

    def order(relationship: str) -> tuple[int, str]:
        known = relationship in _RELATIONSHIPS
        return (_RELATIONSHIPS.index(relationship) if known else len(_RELATIONSHIPS), relationship)

    return [(label, rel, sums[(label, rel)]) for label in DOMESTIC_LABELS
            for rel in sorted({k[1] for k in sums if k[0] == label}, key=order)]
