"""Measures of a person's or a pair's history: incidents, offence mix, pace, escalation, prior handling.

Each entity (victim, suspect, victim-suspect pair) is measured as its history stood at the
end of the analysis period: "window" measures count the crimes recorded in the history
window ending then (default 12 months), "all" measures every crime up to then. The names
and meanings are in :data:`stalking_profile.people.settings.MEASURES`.

Pace is measured two ways. ``interval_slope_days`` is the least-squares slope of the gaps
between successive incidents against their order: -10 means each gap is ten days shorter
than the one before (incidents closing in). ``shortest_span_3_days`` is the fewest days
spanned by three successive incidents. Escalation counts incidents in a higher severity
tier than every incident on an earlier day in the window (harassment and communications,
then stalking or coercive control, then violence); crimes on the same day count as
simultaneous, so the order of their references never matters.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection
from typing import Literal

import ibis
import ibis.expr.types as ir

__all__ = ["ENTITY_KEYS", "entity_measures", "window_start"]

Entity = Literal["victim", "suspect", "pair"]
#: The key column of each entity in a linked crimes table.
ENTITY_KEYS: dict[str, str] = {"victim": "victim_key", "suspect": "suspect_key", "pair": "pair_key"}
#: Measures computed from the window's crimes in date order.
_SEQUENCE = ("interval_slope_days", "shortest_span_3_days", "escalations", "first_tier", "top_tier")


def window_start(end: dt.date, months: int) -> dt.date:
    """First day of the ``months``-month history window ending on ``end``.

    Examples
    --------
    >>> window_start(dt.date(2021, 9, 30), 12)
    datetime.date(2020, 10, 1)
    >>> window_start(dt.date(2021, 6, 30), 3)
    datetime.date(2021, 4, 1)
    >>> window_start(dt.date(2021, 6, 15), 3)
    datetime.date(2021, 3, 16)
    """
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    if end.day == calendar.monthrange(end.year, end.month)[1]:  # a month end: whole calendar months
        return dt.date(year, month, calendar.monthrange(year, month)[1]) + dt.timedelta(days=1)
    day = min(end.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=1)


def _sequence(window: ir.Table, key: str) -> ir.Table:
    """Pace and escalation of each entity, from its crimes in the window taken in date order."""
    order = [window.day, window.crime_ref]
    w = ibis.window(group_by=window[key], order_by=order)
    earlier = ibis.window(group_by=window[key], order_by=window.day, range=(None, -1))  # strictly earlier days
    s = window.mutate(
        _seq=ibis.row_number().over(w),
        _gap=window.day - window.day.lag().over(w),
        _span3=window.day - window.day.lag(2).over(w),
        _prevmax=window.tier.max().over(earlier),
    )
    s = s.mutate(_step=(s.tier > s._prevmax).fill_null(False).ifelse(1, 0),
                 _x=s._gap.notnull().ifelse(s._seq.cast("float64"), ibis.null("float64")),
                 _y=s._gap.cast("float64"))
    variance = s._x.var(how="pop")
    return s.group_by(s[key]).aggregate(
        interval_slope_days=(s._y.cov(s._x, how="pop") / variance.nullif(0)).round(1),
        shortest_span_3_days=s._span3.min(),
        escalations=s._step.sum(),
        first_tier=s.tier.min(where=s._seq == 0),
        top_tier=s.tier.max(),
    )


def _offence_mix(crimes: ir.Table, key: str) -> ir.Table:
    """``8Q:3 8L:1``: the offence codes of each entity's crimes, commonest first."""
    counts = crimes.group_by([crimes[key], crimes.offence_code]).aggregate(_n=ibis._.count())
    label = counts.offence_code.fill_null("?").concat(":", counts._n.cast("string"))
    return counts.group_by(counts[key]).aggregate(
        offence_mix=label.group_concat(" ", order_by=[counts._n.desc(), counts.offence_code]))


def entity_measures(linked: ir.Table, entity: Entity, start: dt.date, end: dt.date,
                    only: Collection[str] | None = None) -> ir.Table:
    """One row per ``entity`` key with every measure, as its history stood on ``end``.

    ``linked`` is a table from :func:`stalking_profile.people.linkage.link_crimes`; the
    history window runs from ``start`` to ``end`` (both inclusive). ``only`` names the
    measures wanted, so that the costlier ones (pace, escalation, offence mix) are
    computed only when asked for.

    Examples
    --------
    A pair with crimes on days 0, 30, 50 and 60 of a window: the gaps are 30, 20 and 10
    days, so each gap is 10 days shorter than the one before, and three successive
    incidents span as little as 30 days (days 30 to 60).

    >>> import datetime as dt, ibis
    >>> from stalking_profile.people.linkage import link_crimes
    >>> from stalking_profile.people.settings import load_risk_settings
    >>> day0 = dt.date(2021, 1, 1)
    >>> rows = [dict(crime_ref=f"C{i}", recorded_date=day0 + dt.timedelta(days=d), offence_code=code,
    ...              offence_description=None, victim_id="V1", suspect_id="S1", risk_level=None,
    ...              arrest_made=False, outcome_type=None) for i, (d, code) in enumerate(
    ...              [(0, "8L"), (30, "8L"), (50, "8Q"), (60, "8N")])]
    >>> crimes = ibis.memtable(rows, schema=dict(crime_ref="string", recorded_date="date",
    ...     offence_code="string", offence_description="string", victim_id="string", suspect_id="string",
    ...     risk_level="string", arrest_made="boolean", outcome_type="string"))
    >>> linked = link_crimes(crimes, load_risk_settings())
    >>> m = entity_measures(linked, "pair", dt.date(2020, 4, 1), dt.date(2021, 3, 31)).to_pyarrow().to_pylist()[0]
    >>> m["incidents_window"], m["interval_slope_days"], m["shortest_span_3_days"], m["escalations"]
    (4, -10.0, 30, 2)
    >>> m["offence_mix"], m["violence_all"]
    ('8L:2 8N:1 8Q:1', 1)
    """
    key = ENTITY_KEYS[entity]
    t = linked.filter(linked[key].notnull(), linked.recorded_date <= ibis.literal(end))
    in_window = t.recorded_date >= ibis.literal(start)
    one = ibis.literal(1, "int64")  # a victim has one victim, a pair one of each: no need to count
    victims = (one, one) if entity != "suspect" else (t.victim_key.nunique(where=in_window), t.victim_key.nunique())
    suspects = (one, one) if entity != "victim" else (t.suspect_key.nunique(where=in_window),
                                                      t.suspect_key.nunique())
    totals = t.group_by(t[key]).aggregate(
        incidents_window=in_window.ifelse(1, 0).sum(),
        incidents_all=t.count(),
        first_date=t.recorded_date.min(),
        last_date=t.recorded_date.max(),
        victims_window=victims[0],
        victims_all=victims[1],
        suspects_window=suspects[0],
        suspects_all=suspects[1],
        violence_all=t.is_violence.sum(),
        breaches_all=t.is_breach.sum(),
        arrests_all=t.is_arrest.sum(),
        high_risk_all=t.is_high_risk.sum(),
        charged_all=t.is_charged.sum(),
        open_all=t.is_open.sum(),
    )
    wanted = set((*_SEQUENCE, "offence_mix") if only is None else only)
    if wanted & set(_SEQUENCE):
        sequence = _sequence(t.filter(in_window), key)
        totals = totals.left_join(sequence, totals[key] == sequence[key]).select(
            totals, *[sequence[c] for c in _SEQUENCE])
        totals = totals.mutate(escalations=totals.escalations.fill_null(0))
    if "offence_mix" in wanted:
        mix = _offence_mix(t, key)
        totals = totals.left_join(mix, totals[key] == mix[key]).select(totals, mix.offence_mix)
    return totals
