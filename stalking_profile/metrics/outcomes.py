"""Outcomes: label by district (the seed's last pages), configured groups, and maturity by month."""

from __future__ import annotations

import json
import re
from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.config import BLANK_GROUP, OutcomeGroup
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import DOMESTIC_LABELS, by_relationship, flag_label, within
from stalking_profile.metrics.stats import pct, wilson

__all__ = ["BLANK", "TOTALS", "outcome_groups", "outcome_groups_by_relationship", "outcome_maturity",
           "outcome_sort_key", "outcomes_by_district"]

BLANK = "(blank)"
TOTALS = "Totals"
_KNOWN = {str(n) for n in range(1, 23)} | {"1A", "2A", "3A"}


def outcome_sort_key(code: str, label: str) -> tuple[int, int, str, str]:
    """Home Office order: 1, 1A, 2, 3, 3A ... 22, then unknown sub-codes (15B ...), then label.

    Examples
    --------
    >>> sorted(["15B: X", "3A: Y", "15: Z", "1: A"], key=lambda l: outcome_sort_key(l.split(":")[0], l))
    ['1: A', '3A: Y', '15: Z', '15B: X']
    """
    match = re.fullmatch(r"(\d+)([A-Z]*)", code)
    number, suffix = (int(match.group(1)), match.group(2)) if match else (99, code)
    return (0 if code in _KNOWN else 1, number, suffix, label)


def _counts(crimes: ibis.Table, period: Period, keys: list[str]) -> list[dict[str, Any]]:
    t = within(crimes, period)
    return t.group_by(keys).aggregate(n=t.count()).to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def outcomes_by_district(crimes: ibis.Table, period: Period, force: Force, domestic: bool) -> pa.Table:
    """One row per outcome label present (Home Office order), then ``(blank)``, then ``Totals``;
    a column per district and ``Force``."""
    rows = _counts(crimes, period, ["outcome", "outcome_type", "district", "domestic_flag"])
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        if bool(r["domestic_flag"]) != domestic:
            continue
        key = (r["outcome_type"] or "", r["outcome"] or BLANK)
        cell = cells.setdefault(key, {})
        cell[r["district"]] = cell.get(r["district"], 0) + int(r["n"])
    labelled = sorted((k for k in cells if k[1] != BLANK), key=lambda k: outcome_sort_key(*k))
    order = [*labelled, ("", BLANK)]
    districts = force.district_codes
    out = []
    totals = dict.fromkeys(districts, 0)
    for key in order:
        cell = cells.get(key, {})
        row: dict[str, Any] = {"outcome": key[1], **{d: cell.get(d, 0) for d in districts}}
        row["Force"] = sum(row[d] for d in districts)
        out.append(row)
        for d in districts:
            totals[d] += row[d]
    out.append({"outcome": TOTALS, **totals, "Force": sum(totals.values())})
    schema = pa.schema([("outcome", pa.string())] + [(d, pa.int64()) for d in (*districts, "Force")])
    # each row's Home Office type, so that outcome groups can be tied to the rows (disclosure control)
    schema = schema.with_metadata({"outcome_types": json.dumps([k[0] for k in order])})
    return pa.Table.from_pylist(out, schema=schema)


def _group_rows(label: str, by_type: dict[str, int], groups: tuple[OutcomeGroup, ...]) -> list[dict[str, Any]]:
    total = sum(by_type.values())
    listed = frozenset(c for g in groups if g.partition for c in g.codes)
    rows = []
    for group in groups:
        count = sum(n for code, n in by_type.items() if code and group.contains(code, listed))
        rows.append((group.label, count))
    rows.append((BLANK_GROUP, by_type.get("", 0)))
    out = []
    for name, count in rows:
        low, high = wilson(count, total)
        out.append({"domestic": label, "group": name, "count": count, "pct": pct(count, total),
                    "ci_low": low, "ci_high": high, "crimes": total})
    return out


GROUP_SCHEMA = pa.schema([("domestic", pa.string()), ("group", pa.string()), ("count", pa.int64()),
                          ("pct", pa.float64()), ("ci_low", pa.float64()), ("ci_high", pa.float64()),
                          ("crimes", pa.int64())])


def _by_flag_and_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    by_flag: dict[str, dict[str, int]] = {label: {} for label in DOMESTIC_LABELS}
    for r in rows:
        code = r["outcome_type"] or ""
        for label in ("All", flag_label(bool(r["domestic_flag"]))):
            by_flag[label][code] = by_flag[label].get(code, 0) + int(r["n"])
    return by_flag


def outcome_groups(crimes: ibis.Table, period: Period, groups: tuple[OutcomeGroup, ...]) -> pa.Table:
    """Every configured group's count and share of all crimes in the window (``(blank)`` included
    in the denominator), with a Wilson 95% interval; the last group is ``Not yet assigned``."""
    by_flag = _by_flag_and_type(_counts(crimes, period, ["outcome_type", "domestic_flag"]))
    rows = [row for label in DOMESTIC_LABELS for row in _group_rows(label, by_flag[label], groups)]
    return pa.Table.from_pylist(rows, schema=GROUP_SCHEMA)


def outcome_maturity(crimes: ibis.Table, period: Period, groups: tuple[OutcomeGroup, ...]) -> pa.Table:
    """Outcome groups by recording month: crimes recorded late in the window have had less
    time to reach an outcome, so their rates are not yet comparable."""
    t = within(crimes, period)
    t = t.mutate(month=t.recorded_date.truncate("M"))
    rows = t.group_by(["month", "outcome_type", "domestic_flag"]).aggregate(n=t.count()).to_pyarrow().to_pylist()
    months = sorted({f"{r['month']:%Y-%m}" for r in rows})
    out: list[dict[str, Any]] = []
    for month in months:
        by_flag = _by_flag_and_type([r for r in rows if f"{r['month']:%Y-%m}" == month])
        for label in DOMESTIC_LABELS:
            out.extend({"month": month, **row} for row in _group_rows(label, by_flag[label], groups))
    schema = pa.schema([("month", pa.string()), *GROUP_SCHEMA])
    return pa.Table.from_pylist(out, schema=schema)


def outcome_groups_by_relationship(crimes: ibis.Table, period: Period, groups: tuple[OutcomeGroup, ...]) -> pa.Table:
    """The outcome groups by victim-suspect relationship: do partner cases, swept into stalking
    in April 2020, end differently from the rest?"""
    rows = _counts(crimes, period, ["relationship", "outcome_type", "domestic_flag"])
    keyed = [{**r, "type_key": r["outcome_type"] or "", "n": int(r["n"])} for r in rows]
    types = sorted({r["type_key"] for r in keyed})
    measures = tuple(types)
    wide = []
    for r in keyed:
        wide.append({"relationship": r["relationship"], "domestic_flag": r["domestic_flag"],
                     **{t: (r["n"] if t == r["type_key"] else 0) for t in types}})
    out: list[dict[str, Any]] = []
    for label, relationship, by_type in by_relationship(wide, measures):
        out.extend({"relationship": relationship, **row} for row in _group_rows(label, by_type, groups))
    schema = pa.schema([("relationship", pa.string()), *GROUP_SCHEMA])
    return pa.Table.from_pylist(out, schema=schema)
