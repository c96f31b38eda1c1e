"""The SPO tables of the profile: activity in the window, orders in force, timeliness, breaches.

A case belongs to the district of its first event. In :func:`spo_table`, for each district then
the Force:

- ``enquiries``, ``applications``: those events dated in the window;
- ``interim_orders``, ``full_orders``: those orders *granted* in the window;
- ``in_force_at_end``: cases with an interim or full order in force on the window's last day;
- ``breaches``, ``breaches_charged``: breaches reported, and charged, in the window;
- ``conversion_pct``: full orders as a percentage of enquiries, both in the window (a flow ratio:
  an order may follow an enquiry of an earlier window);
- ``median_days_to_interim``, ``q1_days_to_interim``, ``q3_days_to_interim``, ``median_days_to_full``,
  ``q1_days_to_full``, ``q3_days_to_full``:
  days from the case's (latest) enquiry to each interim or full order granted in the window;
  quartiles interpolate linearly (:func:`statistics.quantiles`, ``method="inclusive"``, as
  numpy's default and spreadsheets' QUARTILE.INC);
- ``stalking_crimes``: current crimes of the ``stalking`` offence family recorded in the window;
- ``spos_per_1000``: full orders granted per 1,000 of those crimes (one decimal);
- ``in_force_per_1000``: orders in force at the end per 1,000 stalking crimes *a year* (the
  window's crimes scaled to twelve months: by months for a month-aligned window, else by days),
  two decimals: the measure a published "N orders in force from M crimes a year" states, so the
  force's ``spo_baseline`` (force configuration) can stand beside it.

:func:`spo_stages` counts the cases by the stage they had reached on the window's last day;
:func:`spo_trend` counts the Force's activity by calendar quarter, to show whether enquiries
to Legal Services are rising.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.cases.spo_events import SpoEvent, derive_state
from stalking_profile.cases.spo_import import load_events
from stalking_profile.force import Force
from stalking_profile.metrics.config import load_config
from stalking_profile.metrics.periods import Period, month_end
from stalking_profile.metrics.stats import pct
from stalking_profile.store.connection import Store

__all__ = ["SPO_COLUMNS", "STAGES", "TREND_SCHEMA", "quartiles", "spo_stages", "spo_table", "spo_trend"]

SPO_COLUMNS = ("district", "enquiries", "applications", "interim_orders", "full_orders", "in_force_at_end",
               "breaches", "breaches_charged", "conversion_pct", "median_days_to_interim", "q1_days_to_interim",
               "q3_days_to_interim", "median_days_to_full",
               "q1_days_to_full", "q3_days_to_full", "stalking_crimes", "spos_per_1000",
               "in_force_per_1000")
#: The stages a case can be at, in order.
STAGES = ("enquiry", "viable", "not viable", "application", "interim order", "full order", "refused", "discharged",
          "expired")
_COUNTS = ("enquiries", "applications", "interim_orders", "full_orders", "in_force_at_end", "breaches",
           "breaches_charged")
_COUNTED = {"enquiry": "enquiries", "application": "applications", "breach_reported": "breaches",
            "breach_charged": "breaches_charged"}


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTS, 0))
    to_interim: list[int] = field(default_factory=list)
    to_full: list[int] = field(default_factory=list)


def quartiles(days: list[int]) -> tuple[float | None, float | None, float | None]:
    """First quartile, median and third quartile (inclusive linear interpolation); ``None`` when empty.

    Examples
    --------
    >>> quartiles([10, 20, 40, 100]), quartiles([7]), quartiles([])
    ((17.5, 30.0, 55.0), (7.0, 7.0, 7.0), (None, None, None))
    """
    if not days:
        return None, None, None
    if len(days) == 1:
        return float(days[0]), float(days[0]), float(days[0])
    q1, median, q3 = statistics.quantiles(days, n=4, method="inclusive")
    return float(q1), float(median), float(q3)


def _tally_case(events: list[SpoEvent], period: Period, tally: _Tally) -> None:
    enquiry: dt.date | None = None
    for e in events:
        if e.event_date > period.end:
            break
        if e.event == "enquiry":
            enquiry = e.event_date
        if e.event_date < period.start:
            continue
        if e.event in _COUNTED:
            tally.counts[_COUNTED[e.event]] += 1
        elif e.event in ("interim_order", "full_order") and e.outcome == "granted":
            tally.counts["interim_orders" if e.event == "interim_order" else "full_orders"] += 1
            if enquiry is not None:
                (tally.to_interim if e.event == "interim_order" else tally.to_full).append(
                    (e.event_date - enquiry).days)
    if derive_state(events, on=period.end).in_force_on(period.end):
        tally.counts["in_force_at_end"] += 1


def _stalking_crimes(store: Store, period: Period, as_of: int | None) -> dict[str, int]:
    crimes = store.current_crimes(as_of)
    codes = list(load_config().family("stalking"))
    picked = crimes.filter(crimes.offence_code.isin(codes), crimes.recorded_date >= ibis.literal(period.start),
                           crimes.recorded_date <= ibis.literal(period.end))
    rows = picked.group_by("district").aggregate(n=picked.count()).to_pyarrow().to_pylist()
    return {r["district"]: int(r["n"]) for r in rows}


def _years(period: Period) -> float:
    """The window's length in years: months / 12 when month-aligned, else days / 365.25."""
    return period.months / 12 if period.month_aligned else period.days / 365.25


def _row(district: str, tally: _Tally, crimes: int, years: float) -> dict[str, Any]:
    c = tally.counts
    q1_interim, median_interim, q3_interim = quartiles(tally.to_interim)
    q1, median_full, q3 = quartiles(tally.to_full)
    per_1000 = round(1000 * c["full_orders"] / crimes, 1) if crimes else None
    in_force = round(1000 * c["in_force_at_end"] * years / crimes, 2) if crimes else None
    return {"district": district, **c, "conversion_pct": pct(c["full_orders"], c["enquiries"]),
            "median_days_to_interim": median_interim, "q1_days_to_interim": q1_interim,
            "q3_days_to_interim": q3_interim, "median_days_to_full": median_full,
            "q1_days_to_full": q1, "q3_days_to_full": q3, "stalking_crimes": crimes, "spos_per_1000": per_1000,
            "in_force_per_1000": in_force}


def _schema() -> pa.Schema:
    kinds = {"district": pa.string(), "conversion_pct": pa.float64(), "spos_per_1000": pa.float64(),
             "in_force_per_1000": pa.float64()}
    return pa.schema([(c, kinds.get(c, pa.float64() if "days" in c else pa.int64())) for c in SPO_COLUMNS])


def spo_table(store: Store, period: Period, force: Force, as_of: int | None = None) -> pa.Table:
    """SPO activity in ``period`` by district, then the Force (see the module docstring for each column).

    ``as_of`` reads the store as it stood after that batch, for the SPO events and the crimes alike.
    Events of a district the force does not list count in the Force row only.
    """
    tallies = {d: _Tally() for d in (*force.district_codes, "Force")}
    for events in load_events(store, as_of=as_of).values():
        district = derive_state(events).district
        for name in {district, "Force"}:
            if name in tallies:
                _tally_case(events, period, tallies[name])
    crimes = _stalking_crimes(store, period, as_of)
    counts = {d: crimes.get(d, 0) for d in force.district_codes}
    counts["Force"] = sum(crimes.values())
    years = _years(period)
    return pa.Table.from_pylist([_row(d, t, counts[d], years) for d, t in tallies.items()], schema=_schema())


def spo_stages(store: Store, period: Period, force: Force, as_of: int | None = None) -> pa.Table:
    """Cases with an enquiry on or before the window's end, by the stage reached on that day:
    one row per district then the Force, one column per stage of :data:`STAGES`."""
    rows = {d: dict.fromkeys(STAGES, 0) for d in (*force.district_codes, "Force")}
    for events in load_events(store, as_of=as_of).values():
        state = derive_state(events, on=period.end)
        if state.stage not in STAGES:
            continue
        for name in {state.district, "Force"}:
            if name in rows:
                rows[name][state.stage] += 1
    schema = pa.schema([("district", pa.string()), *((s, pa.int64()) for s in STAGES)])
    return pa.Table.from_pylist([{"district": d, **r} for d, r in rows.items()], schema=schema)


TREND_SCHEMA = pa.schema([("quarter", pa.string()), ("quarter_end", pa.date32()), ("enquiries", pa.int64()),
                          ("applications", pa.int64()), ("interim_orders", pa.int64()),
                          ("full_orders", pa.int64()), ("in_force_at_end", pa.int64())])


def _quarter_index(day: dt.date) -> int:
    """Quarters since year 0: ``divmod(index, 4)`` gives the year and the quarter (0-3) back."""
    return day.year * 4 + (day.month - 1) // 3


def spo_trend(store: Store, period: Period, as_of: int | None = None, quarters: int = 8) -> pa.Table:
    """The Force's SPO activity by calendar quarter: the ``quarters`` quarters ending with the one
    that holds the window's last day (fewer when the first event is later).

    Each row counts the events dated in the quarter, up to the window's end (the last quarter
    may be partial, and ``quarter_end`` then says the window's end): enquiries, applications,
    interim and full orders *granted*; and the cases with an order in force on ``quarter_end``.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> spo_trend(open_store(":memory:"), Period(dt.date(2020, 10, 1), dt.date(2021, 9, 30))).num_rows
    0
    """
    cases = load_events(store, as_of=as_of)
    firsts = [e.event_date for events in cases.values() for e in events if e.event_date <= period.end]
    if not firsts:
        return TREND_SCHEMA.empty_table()
    last = _quarter_index(period.end)
    rows: list[dict[str, Any]] = []
    for i in range(max(last - quarters + 1, _quarter_index(min(firsts))), last + 1):
        year, q = divmod(i, 4)
        start, end = dt.date(year, q * 3 + 1, 1), min(month_end(year, q * 3 + 3), period.end)
        tally = _Tally()
        for events in cases.values():
            _tally_case(events, Period(start, end), tally)
        rows.append({"quarter": f"{year}-Q{q + 1}", "quarter_end": end,
                     **{k: tally.counts[k] for k in ("enquiries", "applications", "interim_orders", "full_orders",
                                                     "in_force_at_end")}})
    return pa.Table.from_pylist(rows, schema=TREND_SCHEMA)
