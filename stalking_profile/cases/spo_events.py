"""Stalking Protection Order (SPO) events and the case state derived from them.

A case is the events recorded under one ``case_ref``, append-only; its state is derived from
them, never stored. The vocabulary, in the order a case usually runs:

``enquiry`` (to Legal Services), ``viability`` (outcome ``proceed`` or ``not viable`` with a
reason), ``application``, ``interim_order`` and ``full_order`` (outcome ``granted`` or
``refused``; a granted full order needs ``duration_months``), ``variation``, ``renewal``
(``duration_months`` extends the order's end), ``discharge``, ``expiry``, ``breach_reported``,
``breach_charged``.

The rules :func:`check_sequence` applies (each broken rule is one reason):

- a case starts with an enquiry, and a new enquiry is allowed only when none is open: the case
  is new, or its last cycle closed (not viable, full order refused, discharged, expired, or a
  full order whose term has run out);
- after a close, only a new enquiry may follow;
- one viability decision and one application per cycle; no viability decision after the
  application;
- interim and full orders need an application; no interim order once the full order is made;
  one full order per cycle;
- a variation, renewal, discharge or reported breach needs an order in force on its date; a
  renewal and an expiry need a full order; a charged breach needs a reported one not yet charged;
- events are recorded in date order: none may be dated before the case's latest event.

An interim order is in force from its date until the full order is decided or it is discharged.
A full order is in force from its date for ``duration_months`` (extended by each renewal) or
until it is discharged or expires; an order is not in force on the day it ends.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["CLOSED_STAGES", "COLUMNS", "EVENTS", "OUTCOMES", "CaseState", "SpoEvent", "add_months",
           "check_sequence", "derive_state", "sort_key"]

#: The columns of an event row, in the template's order.
COLUMNS = ("case_ref", "crime_ref", "event", "event_date", "district", "outcome", "reason", "duration_months",
           "terms")
#: The events, in the order they usually happen (used to order events of one day).
EVENTS = ("enquiry", "viability", "application", "interim_order", "full_order", "variation", "renewal",
          "breach_reported", "breach_charged", "discharge", "expiry")
#: Every outcome, and the outcomes each event takes (events not listed take none).
OUTCOMES = ("granted", "refused", "proceed", "not viable")
_EVENT_OUTCOMES = {"viability": ("proceed", "not viable"), "interim_order": ("granted", "refused"),
                   "full_order": ("granted", "refused"), "variation": ("granted", "refused"),
                   "renewal": ("granted", "refused")}
#: Stages after which only a new enquiry may follow.
CLOSED_STAGES = ("not viable", "refused", "discharged", "expired")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter).

    Examples
    --------
    >>> add_months(dt.date(2021, 1, 31), 1), add_months(dt.date(2021, 3, 5), 24)
    (datetime.date(2021, 2, 28), datetime.date(2023, 3, 5))
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class SpoEvent:
    """One event of an SPO case (``district`` already resolved)."""

    case_ref: str
    crime_ref: str
    event: str
    event_date: dt.date
    district: str | None = None
    outcome: str | None = None
    reason: str | None = None
    duration_months: int | None = None
    terms: str | None = None


def sort_key(e: SpoEvent) -> tuple[dt.date, int]:
    """Events of a case in date order; on one day, in the usual order of :data:`EVENTS`."""
    return e.event_date, EVENTS.index(e.event) if e.event in EVENTS else len(EVENTS)


@dataclass
class CaseState:
    """A case as its events leave it (the latest cycle when the case was re-opened).

    ``periods`` holds each spell an order was in force as ``(start, end)``, ``end`` exclusive
    and ``None`` while open-ended.
    """

    case_ref: str
    crime_ref: str | None = None
    district: str | None = None
    stage: str = "none"
    enquiry_date: dt.date | None = None
    viability: str | None = None
    application_date: dt.date | None = None
    interim_date: dt.date | None = None
    full_order_date: dt.date | None = None
    order_end: dt.date | None = None
    closed_date: dt.date | None = None
    breaches_reported: int = 0
    breaches_charged: int = 0
    last_date: dt.date | None = None
    lapsed: bool = False
    periods: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)

    def in_force_on(self, day: dt.date) -> bool:
        """Whether an interim or full order was in force on ``day``.

        Examples
        --------
        >>> s = derive_state([SpoEvent("S1", "C1", "enquiry", dt.date(2021, 1, 4)),
        ...                   SpoEvent("S1", "C1", "application", dt.date(2021, 2, 1)),
        ...                   SpoEvent("S1", "C1", "full_order", dt.date(2021, 3, 1), outcome="granted",
        ...                            duration_months=24)], on=dt.date(2021, 6, 1))
        >>> s.stage, s.in_force_on(dt.date(2021, 3, 1)), s.in_force_on(dt.date(2023, 3, 1))
        ('full order', True, False)
        """
        return any(start <= day and (end is None or day < end) for start, end in self.periods)

    @property
    def closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    def _end_open(self, day: dt.date) -> None:
        if self.periods and self.periods[-1][1] is None:
            self.periods[-1] = (self.periods[-1][0], day)

    def _end_full(self, end: dt.date) -> None:
        self.order_end = end
        start = self.periods[-1][0]
        self.periods[-1] = (start, end)


def _reopen(state: CaseState, e: SpoEvent) -> None:
    for name in ("viability", "application_date", "interim_date", "full_order_date", "order_end", "closed_date"):
        setattr(state, name, None)
    state.enquiry_date, state.stage = e.event_date, "enquiry"


def _apply(state: CaseState, e: SpoEvent) -> None:
    """Move ``state`` on by one event (assumed legal)."""
    day, kind, granted = e.event_date, e.event, e.outcome != "refused"
    if kind == "enquiry":
        _reopen(state, e)
    elif kind == "viability":
        state.viability = e.outcome
        state.stage = "not viable" if e.outcome == "not viable" else "viable"
        state.closed_date = day if e.outcome == "not viable" else None
    elif kind == "application":
        state.application_date, state.stage = day, "application"
    elif kind == "interim_order" and granted:
        state.interim_date, state.stage = day, "interim order"
        state.periods.append((day, None))
    elif kind == "full_order":
        state._end_open(day)
        if granted:
            state.full_order_date, state.stage = day, "full order"
            state.periods.append((day, None))
            state._end_full(add_months(day, e.duration_months or 0))
        else:
            state.stage, state.closed_date = "refused", day
    elif kind == "renewal" and granted and state.order_end is not None:
        state._end_full(add_months(state.order_end, e.duration_months or 0))
    elif kind in ("discharge", "expiry"):
        state._end_open(day)
        if state.order_end is not None and state.order_end > day:
            state._end_full(day)
        state.stage, state.closed_date = ("discharged" if kind == "discharge" else "expired"), day
    elif kind == "breach_reported":
        state.breaches_reported += 1
    elif kind == "breach_charged":
        state.breaches_charged += 1


def derive_state(events: Iterable[SpoEvent], on: dt.date | None = None) -> CaseState:
    """The state of one case from its events, as it stood on ``on`` (default: after all of them).

    A full order whose term has run out by ``on`` is at stage ``expired`` even without an expiry
    event.

    Examples
    --------
    >>> e = [SpoEvent("S1", "C1", "enquiry", dt.date(2021, 1, 4), "BD"),
    ...      SpoEvent("S1", "C1", "application", dt.date(2021, 2, 1)),
    ...      SpoEvent("S1", "C1", "interim_order", dt.date(2021, 2, 3), outcome="granted")]
    >>> s = derive_state(e)
    >>> s.stage, s.district, s.interim_date, s.in_force_on(dt.date(2021, 2, 3))
    ('interim order', 'BD', datetime.date(2021, 2, 3), True)
    >>> derive_state(e, on=dt.date(2021, 1, 31)).stage
    'enquiry'
    """
    ordered = sorted(events, key=sort_key)
    state = CaseState(ordered[0].case_ref if ordered else "")
    for e in ordered:
        if on is not None and e.event_date > on:
            break
        state.crime_ref = state.crime_ref or e.crime_ref
        state.district = state.district or e.district
        _apply(state, e)
        state.last_date = e.event_date
    when = on if on is not None else dt.date.today()
    if state.stage == "full order" and state.order_end is not None and state.order_end <= when:
        state.stage, state.closed_date, state.lapsed = "expired", state.order_end, True
    return state


def _field_reasons(e: SpoEvent) -> list[str]:
    reasons = []
    allowed = _EVENT_OUTCOMES.get(e.event)
    if allowed and e.outcome is None and e.event not in ("variation", "renewal"):
        reasons.append(f"{e.event} needs an outcome ({' or '.join(allowed)})")
    elif e.outcome is not None and e.outcome not in (allowed or ()):
        takes = f"takes {' or '.join(allowed)}" if allowed else "takes no outcome"
        reasons.append(f"outcome '{e.outcome}' does not fit {e.event} (it {takes})")
    if e.event == "viability" and e.outcome == "not viable" and not e.reason:
        reasons.append("a not-viable decision needs a reason")
    needs_term = e.event in ("full_order", "renewal") and e.outcome != "refused"
    if needs_term and e.duration_months is None:
        reasons.append(f"a granted {e.event.replace('_', ' ')} needs duration_months")
    elif e.duration_months is not None and e.duration_months <= 0:
        reasons.append(f"duration_months {e.duration_months} is not positive")
    return reasons


def _order_reasons(s: CaseState, e: SpoEvent) -> list[str]:
    kind, day = e.event, e.event_date
    if kind == "viability" and s.viability is not None:
        return [f"viability was already decided ({s.viability})"]
    if kind == "viability" and s.application_date is not None:
        return [f"the application was already made on {s.application_date}"]
    if kind == "application" and s.application_date is not None:
        return [f"an application was already made on {s.application_date}"]
    if kind in ("interim_order", "full_order") and s.application_date is None:
        return [f"{kind.replace('_', ' ')} before an application"]
    if kind in ("interim_order", "full_order") and s.full_order_date is not None:
        return [f"the full order was already made on {s.full_order_date}"]
    if kind in ("variation", "renewal", "discharge", "breach_reported") and not s.in_force_on(day):
        return [f"{kind.replace('_', ' ')} without an order in force on {day}"]
    if kind in ("renewal", "expiry") and s.full_order_date is None:
        return [f"{kind} without a full order"]
    if kind == "expiry" and s.order_end is not None and day < s.order_end:
        return [f"expiry on {day} is before the order's end ({s.order_end}): record a discharge instead"]
    if kind == "breach_charged" and s.breaches_charged >= s.breaches_reported:
        return ["breach charged without a reported breach to charge"]
    return []


def check_sequence(existing: Sequence[SpoEvent], new: SpoEvent) -> list[str]:
    """Reasons ``new`` cannot follow the case's ``existing`` events (empty when it can).

    Examples
    --------
    >>> enquiry = SpoEvent("S1", "C1", "enquiry", dt.date(2021, 1, 4))
    >>> check_sequence([enquiry], SpoEvent("S1", "C1", "full_order", dt.date(2021, 2, 1), outcome="granted",
    ...                                    duration_months=24))
    ['full order before an application']
    >>> check_sequence([], SpoEvent("S1", "C1", "application", dt.date(2021, 2, 1)))
    ['no enquiry to Legal Services is recorded for case S1']
    """
    reasons = _field_reasons(new)
    if new.event not in EVENTS:
        return [f"event '{new.event}' is not an SPO event (use {', '.join(EVENTS)})"]
    state = derive_state(existing, on=new.event_date)
    latest = max((e.event_date for e in existing), default=None)
    if latest is not None and latest > new.event_date:
        return [*reasons, f"dated {new.event_date}, before the case's latest event ({latest})"]
    if new.event == "enquiry":
        if state.stage not in ("none", *CLOSED_STAGES):
            reasons.append(f"an enquiry is already open for case {new.case_ref} (since {state.enquiry_date})")
        return reasons
    if state.stage == "none":
        return [*reasons, f"no enquiry to Legal Services is recorded for case {new.case_ref}"]
    late_charge = new.event == "breach_charged" and state.breaches_charged < state.breaches_reported
    if state.closed and not late_charge and not (new.event == "expiry" and state.lapsed):
        return [*reasons, f"the case is {state.stage} (since {state.closed_date}): only a new enquiry may follow"]
    return reasons + _order_reasons(state, new)
