"""Worklists built on linked histories: cumulative risk, missing risk assessments, repeat
victims and serial suspects.

Rows carry pseudonymous person keys (keyed hashes of RMS ids, or cluster ids), never names.
Each row's ``reason`` says why it is on the list; the columns after it give the figures
behind the reason, so that a reviewer can check it without opening the store.
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.people.measures import ENTITY_KEYS, entity_measures
from stalking_profile.people.review import review_flags
from stalking_profile.people.score import RECORDED_RANK, ScoredCrimes
from stalking_profile.people.settings import RiskSettings

__all__ = ["cumulative_risk", "missing_risk_assessment", "repeat_people", "spo_candidates"]

_LEVEL_OF = {rank: level for level, rank in RECORDED_RANK.items()}
_SCORE_COLUMNS = ("domestic", "offence_code", "band", "score", "recorded_risk", "risk_assessment", "allocated_unit",
                  "factors", "victim_key", "suspect_key")


def _domestic(flags: pa.ChunkedArray) -> pa.Array:
    return pc.if_else(pc.fill_null(flags, False), "Domestic", "Non-Domestic")


def _rows(scored: pa.Table, keep: pa.Array, reasons: list[str]) -> pa.Table:
    """The kept rows with the lead columns, ``reasons`` aligned with the kept rows."""
    t = scored.filter(keep)
    t = t.append_column("reason", pa.array(reasons, pa.string()))
    t = t.append_column("domestic", _domestic(t.column("domestic_flag")))
    t = t.append_column("recorded_risk", pa.array([_LEVEL_OF.get(r, "none recorded")
                                                   for r in t.column("recorded_rank").to_pylist()], pa.string()))
    return t.select(["crime_ref", "district", "recorded_date", "reason", *_SCORE_COLUMNS]).sort_by(
        [("district", "ascending"), ("recorded_date", "ascending"), ("crime_ref", "ascending")])


def cumulative_risk(scored: ScoredCrimes, settings: RiskSettings) -> pa.Table:
    """Crimes whose cumulative band is above their recorded risk, or high with a non-specialist
    unit, or high with no risk assessment; every reason that applies, joined by ``; ``."""
    t = review_flags(scored.table, settings)
    reasons: list[str] = []
    keep = pc.or_(pc.or_(t.column("above_recorded"), t.column("high_no_assessment")), t.column("high_non_specialist"))
    kept = t.filter(keep).select(["band", "score", "recorded_rank", "allocated_unit", *(
        "above_recorded", "high_no_assessment", "high_non_specialist")]).to_pylist()
    for r in kept:
        parts = []
        if r["above_recorded"]:
            recorded = _LEVEL_OF.get(r["recorded_rank"])
            parts.append(f"cumulative {r['band']} (score {r['score']}) above the recorded risk "
                         + (recorded if recorded else "(none recorded)"))
        if r["high_non_specialist"]:
            parts.append(f"cumulative high with a non-specialist unit ({r['allocated_unit']})")
        if r["high_no_assessment"]:
            parts.append("cumulative high and no DASH, DARA or S-DASH recorded")
        reasons.append("; ".join(parts))
    return _rows(t, keep, reasons)


def spo_candidates(scored: ScoredCrimes, settings: RiskSettings, enquired: set[str]) -> pa.Table:
    """Crimes a Stalking Protection Order could be considered for: high cumulative risk, or a
    suspect linked to ``serial_suspect_at_least`` victims, with no SPO enquiry yet on the crime
    (``enquired``: the crime references any SPO event names). Non-domestic crimes, for which
    orders were meant above all, say so in their reason."""
    t = review_flags(scored.table, settings)
    high = pc.equal(t.column("band"), "high")
    serial = pc.greater_equal(pc.fill_null(t.column("s_victims_all"), 0), settings.serial_suspect_at_least)
    fresh = pc.invert(pc.is_in(t.column("crime_ref"), pa.array(sorted(enquired), pa.string())))
    keep = pc.and_(pc.or_(high, serial), fresh)
    kept = t.filter(keep).select(["band", "score", "s_victims_all", "domestic_flag"]).to_pylist()
    reasons = []
    for r in kept:
        parts = [f"cumulative high (score {r['score']})"] if r["band"] == "high" else []
        if (r["s_victims_all"] or 0) >= settings.serial_suspect_at_least:
            parts.append(f"suspect linked to {r['s_victims_all']} victims")
        if not r["domestic_flag"]:
            parts.append("non-domestic")
        reasons.append("; ".join(parts) + "; no SPO enquiry yet")
    return _rows(t, keep, reasons)


def missing_risk_assessment(scored: ScoredCrimes, settings: RiskSettings) -> pa.Table:
    """Crimes with no DASH, DARA or S-DASH form recorded, with their cumulative band to prioritise by."""
    t = review_flags(scored.table, settings)
    keep = pc.invert(t.column("assessed"))
    kept = t.filter(keep).select(["risk_assessment", "band"]).to_pylist()
    reasons = [("no risk assessment recorded" if r["risk_assessment"] in (None, "", "none") else
                f"risk assessment recorded as '{r['risk_assessment']}', not DASH, DARA or S-DASH")
               + (f"; cumulative {r['band']}" if r["band"] != "standard" else "") for r in kept]
    rows = _rows(t, keep, reasons)
    return rows.sort_by([("district", "ascending"), ("domestic", "ascending"), ("recorded_date", "ascending"),
                         ("crime_ref", "ascending")])


def _history(linked: ibis.Table, key: str, start: Any, end: Any) -> ibis.Table:
    """Each person's crime references in the window, oldest first."""
    t = linked.filter(linked[key].notnull(), linked.recorded_date >= ibis.literal(start),
                      linked.recorded_date <= ibis.literal(end))
    return t.group_by(t[key]).aggregate(crimes=t.crime_ref.group_concat(" ", order_by=[t.recorded_date, t.crime_ref]))


#: Columns of the repeat-victims and serial-suspects worklists after the lead ones.
_PERSON_COLUMNS = (("domestic", pa.string()), ("band", pa.string()), ("score", pa.int64()),
                   ("person_key", pa.string()), ("incidents_window", pa.int64()), ("incidents_all", pa.int64()),
                   ("victims_all", pa.int64()), ("suspects_all", pa.int64()), ("first_date", pa.date32()),
                   ("last_date", pa.date32()), ("offence_mix", pa.string()), ("high_risk_all", pa.int64()),
                   ("arrests_all", pa.int64()), ("crimes_in_window", pa.string()))
_PERSON_SCHEMA = pa.schema([("crime_ref", pa.string()), ("district", pa.string()), ("recorded_date", pa.date32()),
                            ("reason", pa.string()), *_PERSON_COLUMNS])


def _reason(role: str, p: dict[str, Any], months: int) -> str:
    if role == "victim":
        return (f"victim of {p['incidents_window']} crimes in {months} months ({p['offence_mix']}) "
                f"by {p['suspects_window']} known suspect(s)")
    return (f"suspect linked to {p['victims_all']} victims ({p['victims_window']} in {months} months; "
            f"crimes: {p['offence_mix']})")


def repeat_people(linked: ibis.Table, scored: ScoredCrimes, settings: RiskSettings, role: str,
                  at_least: int) -> pa.Table:
    """Victims (``role='victim'``) with ``at_least`` crimes in the history window, or suspects
    (``role='suspect'``) linked to ``at_least`` victims, among the people of the ``scored``
    crimes: one row per person, at their latest scored crime, with their history's figures
    and the crime references of their window (``person_key`` is pseudonymous)."""
    key = ENTITY_KEYS[role]
    measure = "incidents_window" if role == "victim" else "victims_all"
    m = entity_measures(linked, role, scored.window_start, scored.window_end)  # type: ignore[arg-type]
    m = m.filter(m[measure] >= at_least)
    history = _history(linked, key, scored.window_start, scored.window_end)
    m = m.left_join(history, m[key] == history[key]).select(m, history.crimes)
    people = {r[key]: r for r in m.to_pyarrow().to_pylist()}
    latest: dict[str, dict[str, Any]] = {}
    for r in scored.table.select(["crime_ref", "district", "recorded_date", "domestic_flag", "band", "score", key]) \
            .sort_by([("recorded_date", "ascending"), ("crime_ref", "ascending")]).to_pylist():
        if r[key] in people:
            latest[r[key]] = r
    rows = []
    for person, crime in latest.items():
        p = people[person]
        rows.append({"crime_ref": crime["crime_ref"], "district": crime["district"],
                     "recorded_date": crime["recorded_date"], "reason": _reason(role, p, settings.window_months),
                     "domestic": "Domestic" if crime["domestic_flag"] else "Non-Domestic",
                     "band": crime["band"], "score": crime["score"], "person_key": person,
                     **{name: p[name] for name, _ in _PERSON_COLUMNS[4:-1]}, "crimes_in_window": p["crimes"]})
    rows.sort(key=lambda r: (r["district"], r["recorded_date"], r["crime_ref"]))
    return pa.Table.from_pylist(rows, _PERSON_SCHEMA)
