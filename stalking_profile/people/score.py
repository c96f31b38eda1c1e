"""The cumulative risk score: each crime scored on its victim's, suspect's and pair's histories.

A crime's score is the sum of the points of every configured factor its people meet, and
the crime lists those factors with their values and points, so a reader can check every
score by hand. Histories are taken as they stood at the end of the analysis period, so a
crime recorded early in the period is scored on the pattern it turned out to be part of.

The score is a transparent aid to review, not a validated risk instrument: it cannot see
what was never reported or recorded, and it should prompt a professional's look, never
replace one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from stalking_profile.people.measures import ENTITY_KEYS, entity_measures, window_start
from stalking_profile.people.settings import BANDS, Factor, RiskSettings

__all__ = ["RECORDED_RANK", "ScoredCrimes", "score_crimes"]

#: Recorded risk levels by rank; no level recorded ranks below standard.
RECORDED_RANK = {"standard": 1, "medium": 2, "high": 3}
_SEP = "; "
#: Measures that count flagged crimes: a scored crime's own flag is taken out of them, so that
#: a crime's own grading, arrest or offence never raises its own score.
_OWN_FLAG = {"violence_all": "is_violence", "breaches_all": "is_breach", "arrests_all": "is_arrest",
             "high_risk_all": "is_high_risk", "charged_all": "is_charged", "open_all": "is_open"}
_PREFIX = {"victim": "v_", "suspect": "s_", "pair": "p_"}
#: Entity measures carried onto every scored crime (beside the factors' own).
_SHOWN = (("pair", "incidents_window"), ("pair", "escalations"), ("victim", "incidents_window"),
          ("suspect", "victims_all"))


@dataclass(frozen=True)
class ScoredCrimes:
    """Scored crimes and the history window they were scored on."""

    table: pa.Table
    window_start: dt.date
    window_end: dt.date


def _column(factor: Factor) -> str:
    return _PREFIX[factor.entity] + factor.measure


def _with_measures(targets: ir.Table, linked: ir.Table, settings: RiskSettings, start: dt.date,
                   end: dt.date) -> ir.Table:
    needed: dict[str, set[str]] = {e: set() for e in _PREFIX}
    for f in settings.factors:
        needed[f.entity].add(f.measure)
    for entity, measure in _SHOWN:
        needed[entity].add(measure)
    t = targets
    for entity, measures in needed.items():
        key = ENTITY_KEYS[entity]
        # only the people the targets name: their histories whole, no one else's
        people = targets.select(_named=targets[key])
        named = linked.semi_join(people, linked[key] == people._named)
        m = entity_measures(named, entity, start, end, measures)  # type: ignore[arg-type]
        m = m.select(_k=m[key], **{_PREFIX[entity] + name: m[name] for name in sorted(measures)})
        t = t.left_join(m, t[key] == m._k).drop("_k")
        t = t.mutate(**{_PREFIX[entity] + name: t[_PREFIX[entity] + name] - t[_OWN_FLAG[name]]
                        for name in measures if name in _OWN_FLAG})
    return t


def _met(t: ir.Table, factor: Factor) -> ir.BooleanValue:
    value = t[_column(factor)]
    met = value >= factor.at_least if factor.at_least is not None else value < factor.below
    return met.fill_null(False)


def _phrase(t: ir.Table, factor: Factor) -> ir.StringValue:
    """The factor's reason with its value and points where it is met, else NULL."""
    value = t[_column(factor)]
    text = (value.cast("decimal(12, 1)") if value.type().is_floating() else value).cast("string")
    head, found, tail = factor.reason.partition("{value}")
    phrase = (ibis.literal(head) + text + ibis.literal(tail)) if found else ibis.literal(factor.reason)
    return _met(t, factor).ifelse(phrase + ibis.literal(f" (+{factor.points})"), ibis.null("string"))


def score_crimes(linked: ir.Table, targets: ir.Table, settings: RiskSettings, end: dt.date) -> ScoredCrimes:
    """Score the ``targets`` (crimes from ``linked``) on histories as they stood on ``end``.

    Measures that count flagged crimes (violence, breaches, arrests, high-risk assessments,
    charges, open crimes) count the person's *other* crimes: the scored crime's own flag is
    taken out, so its own grading never raises its own score.

    Returns the targets' columns with, per factor, its measure; then ``score``,
    ``recorded_rank`` (0 = no risk level recorded), ``band`` (standard, medium, high) and
    ``factors`` (the reasons met, each with its points, joined by ``; ``). Everything is
    computed by the engine (``concat_ws`` skips the factors not met, on DuckDB and PostgreSQL).

    Examples
    --------
    Three crimes between one victim and one suspect within 60 days, each assessed standard
    risk: the pair repeats (+4), three incidents within 91 days (+2), the victim is a
    repeat victim (+2): 8 points, the high band.

    >>> import datetime as dt, ibis
    >>> from stalking_profile.people.linkage import link_crimes
    >>> from stalking_profile.people.settings import load_risk_settings
    >>> rows = [dict(crime_ref=f"C{i}", recorded_date=dt.date(2021, 3, 1) + dt.timedelta(days=d),
    ...              offence_code="8L", offence_description=None, victim_id="V1", suspect_id="S1",
    ...              risk_level="standard", arrest_made=False, outcome_type=None)
    ...         for i, d in enumerate([0, 30, 60])]
    >>> crimes = ibis.memtable(rows, schema=dict(crime_ref="string", recorded_date="date",
    ...     offence_code="string", offence_description="string", victim_id="string", suspect_id="string",
    ...     risk_level="string", arrest_made="boolean", outcome_type="string"))
    >>> linked = link_crimes(crimes, load_risk_settings())
    >>> scored = score_crimes(linked, linked, load_risk_settings(), dt.date(2021, 6, 30)).table
    >>> row = scored.sort_by("crime_ref").to_pylist()[0]
    >>> row["score"], row["band"]
    (8, 'high')
    >>> print(row["factors"].replace("; ", "\\n"))
    3 incidents between this victim and suspect in the window (+4)
    3 incidents between them within 60 days (+2)
    victim of 3 crimes in the window (+2)
    """
    start = window_start(end, settings.window_months)
    t = _with_measures(targets, linked, settings, start, end)
    points = [_met(t, f).ifelse(f.points, 0) for f in settings.factors]
    score = ibis.literal(0)
    for p in points:
        score = score + p
    recorded = ibis.literal(0)
    for level, rank in RECORDED_RANK.items():
        recorded = (t.risk_level == level).fill_null(False).ifelse(rank, recorded)
    if "form_rank" in t.columns:  # a stored risk form's grading counts as recorded too
        recorded = ibis.greatest(recorded, t.form_rank.fill_null(0))
    factors = ibis.literal(_SEP).join([_phrase(t, f) for f in settings.factors]) if settings.factors \
        else ibis.literal("")
    band = (score >= settings.high).ifelse(BANDS[2], (score >= settings.medium).ifelse(BANDS[1], BANDS[0]))
    t = t.mutate(score=score, recorded_rank=recorded, band=band, factors=factors)
    return ScoredCrimes(t.to_pyarrow(), start, end)
