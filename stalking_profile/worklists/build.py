"""Building a worklist: the crimes of one offence family in a window that need someone's attention.

Every worklist's first columns are ``crime_ref, district, recorded_date, reason`` (DESIGN.md);
each row says why it is there. Worklists hold record-level data and are for internal use only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import pyarrow as pa

from stalking_profile.disclosure.audience import Audience, require_internal
from stalking_profile.errors import ConfigError
from stalking_profile.force import Force, load_force
from stalking_profile.metrics.config import ProfileConfig, load_config
from stalking_profile.metrics.cyber import with_detection
from stalking_profile.metrics.demographics import domestic_under_16
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.profile import resolve_window
from stalking_profile.metrics.selection import crimes_in, within
from stalking_profile.online.lexicon import Lexicon, load_lexicon
from stalking_profile.people.review import linked_history, score_period
from stalking_profile.people.score import ScoredCrimes
from stalking_profile.people.settings import RiskSettings, load_risk_settings
from stalking_profile.referrals.measures import unreferred
from stalking_profile.riskforms.stalking_check import stalking_not_recorded
from stalking_profile.store.connection import Store
from stalking_profile.worklists.people import cumulative_risk, missing_risk_assessment, repeat_people, spo_candidates

__all__ = ["LEAD_COLUMNS", "WORKLISTS", "Worklist", "WorklistRequest", "build_worklist"]

#: The first columns of every worklist, in order.
LEAD_COLUMNS = ("crime_ref", "district", "recorded_date", "reason")


@dataclass(frozen=True)
class WorklistRequest:
    """Which worklist, for which window (``period`` or ``to``), offence family and store state."""

    name: str
    period: str | None = None
    to: str | None = None
    family: str = "stalking"
    as_of: int | None = None
    audience: Audience = "internal"
    days: int = 28  # unreferred-victims: days after recording with no referral


@dataclass
class Worklist:
    """The rows of a worklist and what a reader needs to use them."""

    name: str
    title: str
    period: Period
    family: str
    as_of: int | None
    table: pa.Table
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    """What a worklist builder may read: the store, and the family's crimes in the window."""

    store: Store
    crimes: ibis.Table
    codes: tuple[str, ...]
    period: Period
    as_of: int | None
    lexicon: Lexicon
    risk: RiskSettings
    days: int = 28


def _cyber_flag(ctx: _Context) -> ibis.Table:
    t = with_detection(ctx.crimes, ctx.lexicon, ctx.store)
    t = t.filter(t.tech_detected.fill_null(False) & ~t.cyber_flag.fill_null(False))
    return t.select(
        "crime_ref", "district", "recorded_date",
        reason=ibis.literal("technology in the MO text (") + t.tech_terms + ibis.literal(") but no cyber-enabled flag"),
        domestic=t.domestic_flag.fill_null(False).ifelse("Domestic", "Non-Domestic"),
        offence_code=t.offence_code, matched_terms=t.tech_terms, categories=t.tech_categories,
    )


def _linked(build: Callable[[ibis.Table, ScoredCrimes, RiskSettings], pa.Table]) -> Callable[[_Context], pa.Table]:
    """A builder that scores the window's crimes on histories linked across the whole store."""

    def run(ctx: _Context) -> pa.Table:
        with linked_history(ctx.store, ctx.risk, ctx.as_of) as linked:
            return build(linked, score_period(linked, ctx.codes, ctx.period, ctx.risk), ctx.risk)

    return run


def _spo(ctx: _Context) -> pa.Table:
    """High cumulative risk or serial suspects, with no SPO enquiry yet on the crime."""
    from stalking_profile.cases.spo_import import load_events

    enquired = {e.crime_ref for events in load_events(ctx.store, as_of=ctx.as_of).values() for e in events
                if e.crime_ref}
    with linked_history(ctx.store, ctx.risk, ctx.as_of) as linked:
        return spo_candidates(score_period(linked, ctx.codes, ctx.period, ctx.risk), ctx.risk, enquired)


@dataclass(frozen=True)
class _Spec:
    title: str
    build: Callable[[_Context], ibis.Table | pa.Table]
    every_offence: bool = False  # lists crimes of any offence code, not just the family's


#: Worklist names and what each lists.
WORKLISTS: dict[str, _Spec] = {
    "cyber-flag": _Spec("Technology in the MO text but no cyber-enabled flag", _cyber_flag),
    "domestic-under-16": _Spec("Domestic-flagged crimes with a victim or suspect under 16",
                               lambda ctx: domestic_under_16(ctx.crimes, ctx.period)),
    "cumulative-risk": _Spec("Cumulative risk above the recorded risk, or high with a non-specialist unit "
                             "or no risk assessment",
                             _linked(lambda linked, scored, risk: cumulative_risk(scored, risk))),
    "missing-risk-assessment": _Spec("Crimes with no DASH, DARA or S-DASH recorded",
                                     _linked(lambda linked, scored, risk: missing_risk_assessment(scored, risk))),
    "repeat-victims": _Spec("Repeat victims", _linked(lambda linked, scored, risk: repeat_people(
        linked, scored, risk, "victim", risk.repeat_victim_at_least))),
    "serial-suspects": _Spec("Serial suspects", _linked(lambda linked, scored, risk: repeat_people(
        linked, scored, risk, "suspect", risk.serial_suspect_at_least))),
    "spo-candidates": _Spec("Crimes a Stalking Protection Order could be considered for", lambda ctx: _spo(ctx)),
    "unreferred-victims": _Spec("Victims of stalking with no referral recorded",
                                lambda ctx: unreferred(ctx.store, ctx.period, ctx.days, ctx.as_of)),
    "stalking-not-recorded": _Spec("Risk forms answering a stalking question yes on crimes not recorded as stalking",
                                   lambda ctx: stalking_not_recorded(ctx.store, ctx.period.start, ctx.period.end,
                                                                     ctx.as_of), every_offence=True),
}


def build_worklist(
    store: Store, request: WorklistRequest, force: Force | None = None, config: ProfileConfig | None = None,
    lexicon: Lexicon | None = None, risk: RiskSettings | None = None,
) -> Worklist:
    """The worklist ``request.name`` for the window asked (default: the last 12 complete months).

    Rows are ordered by district, recorded date and crime reference (missing-risk-assessment:
    district, domestic flag, then date).
    """
    require_internal(request.audience, f"the {request.name} worklist")
    spec = WORKLISTS.get(request.name)
    if spec is None:
        raise ConfigError(f"unknown worklist '{request.name}'", f"use one of: {', '.join(WORKLISTS)}")
    force = force or load_force()
    codes = (config or load_config()).family(request.family)
    period, as_of, _ = resolve_window(store, request.period, request.to, request.as_of, force)
    crimes = within(crimes_in(store, codes, None, as_of), period)
    if request.days < 0:
        raise ConfigError(f"--days {request.days} is negative", "give the days after recording as 0 or more")
    ctx = _Context(store, crimes, codes, period, as_of, lexicon or load_lexicon(), risk or load_risk_settings(),
                   request.days)
    rows = spec.build(ctx)
    if not isinstance(rows, pa.Table):
        rows = rows.order_by(["district", "recorded_date", "crime_ref"]).to_pyarrow()
    table = rows
    scope = "every offence" if spec.every_offence else f"{request.family} ({', '.join(codes)})"
    notes = [f"{spec.title}: {table.num_rows:,} crime{'s' if table.num_rows != 1 else ''}, {scope}, "
             f"recorded {period.start} to {period.end}; store as after batch {as_of}.",
             "OFFICIAL-SENSITIVE: record-level data for internal use only."]
    return Worklist(request.name, spec.title, period, request.family, as_of, table, notes)
