"""Synthetic case records for the demo: victim referrals, Stalking Protection Order cases,
officer training and a completed dip-sample audit.

Drawn from a synthetic extract's stalking crimes in proportions that follow the seed report's
picture: few referrals to specialist stalking advocacy (there were no ISACs in West
Yorkshire), domestic victims mostly referred to IDVAs or MARAC, a small and rising number of
enquiries to Legal Services, few of which become orders, and orders taking three to six months.
The proportions below are assumptions for a demonstration, not estimates. Every sequence of SPO
events is a legal one, so the demo's import accepts them all.

Examples
--------
>>> import datetime as dt, pyarrow as pa
>>> crimes = pa.table({"crime_ref": [f"C{i}" for i in range(400)], "offence_code": ["8Q"] * 400,
...                    "recorded_date": [dt.date(2021, 1, 1) + dt.timedelta(days=i % 300) for i in range(400)],
...                    "district": ["LD"] * 400, "domestic_flag": [i % 10 != 0 for i in range(400)]})
>>> referrals, spo = case_records(crimes, seed=1)
>>> referrals.column_names, spo.column_names[:4]
(['crime_ref', 'service', 'status', 'status_date'], ['case_ref', 'crime_ref', 'event', 'event_date'])
>>> set(spo.column("event").to_pylist()) <= {"enquiry", "viability", "application", "interim_order",
...                                          "full_order", "breach_reported", "breach_charged"}
True
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["SPO_COLUMNS", "audit_findings", "case_records", "training_records"]

SPO_COLUMNS = ("case_ref", "crime_ref", "event", "event_date", "district", "outcome", "reason", "duration_months",
               "terms")
#: Share of stalking victims referred, by domestic flag: (service, share made, share accepted of made).
_REFERRALS = {True: (("IDVA", 0.35, 0.6), ("MARAC", 0.08, 1.0), ("Paladin", 0.02, 0.7),
                     ("National Stalking Helpline", 0.03, 0.8)),
              False: (("Victim Support", 0.20, 0.5), ("Paladin", 0.04, 0.7), ("National Stalking Helpline", 0.06, 0.8))}
_ENQUIRY_SHARE = 0.0015  # enquiries to Legal Services per stalking crime (the seed: a handful a year)


def _day(base: dt.date, days: int | np.integer[Any], last: dt.date) -> dt.date | None:
    day = base + dt.timedelta(days=int(days))
    return day if day <= last else None


def _referrals(stalking: list[dict[str, Any]], rng: np.random.Generator, last: dt.date) -> list[dict[str, Any]]:
    rows = []
    for crime in stalking:
        for service, made, accepted in _REFERRALS[bool(crime["domestic_flag"])]:
            if rng.random() >= made:
                continue
            when = _day(crime["recorded_date"], rng.integers(0, 21), last)
            if when is None:
                continue
            rows.append({"crime_ref": crime["crime_ref"], "service": service, "status": "made", "status_date": when})
            answer = _day(when, rng.integers(1, 15), last)
            if answer is not None:
                status = "accepted" if rng.random() < accepted else "declined"
                rows.append({"crime_ref": crime["crime_ref"], "service": service, "status": status,
                             "status_date": answer})
    return rows


def _case(n: int, crime: dict[str, Any], rng: np.random.Generator, last: dt.date) -> list[dict[str, Any]]:
    """One SPO case's events, a legal sequence that stops where the data end."""
    ref = f"SPO-{n:04d}"
    base = {"case_ref": ref, "crime_ref": crime["crime_ref"], "district": crime["district"], "outcome": None,
            "reason": None, "duration_months": None, "terms": None}
    events = []
    day: dt.date | None = _day(crime["recorded_date"], rng.integers(5, 60), last)
    plan: list[tuple[str, dict[str, Any], int]] = [("enquiry", {}, 0)]
    if rng.random() < 0.35:
        plan.append(("viability", {"outcome": "not viable", "reason": "course of conduct not evidenced"}, 14))
    else:
        plan += [("viability", {"outcome": "proceed"}, 14), ("application", {}, int(rng.integers(14, 45)))]
        if rng.random() < 0.5:
            plan.append(("interim_order", {"outcome": "granted"}, int(rng.integers(7, 21))))
        granted = rng.random() < 0.75
        plan.append(("full_order", {"outcome": "granted" if granted else "refused",
                                    "duration_months": 24 if granted else None,
                                    "terms": "no contact; not to enter the victim's street" if granted else None},
                     int(rng.integers(60, 150))))
        if granted and rng.random() < 0.25:
            plan += [("breach_reported", {}, int(rng.integers(20, 200))), ("breach_charged", {}, 10)]
    for event, fields, gap in plan:
        day = None if day is None else _day(day, gap, last)
        if day is None:
            break
        events.append({**base, **fields, "event": event, "event_date": day})
    return events


def case_records(crimes: pa.Table, seed: int = 0, stalking_codes: tuple[str, ...] = ("8Q",)
                 ) -> tuple[pa.Table, pa.Table]:
    """Synthetic referral events and SPO case events for the stalking crimes of ``crimes``.

    Returns ``(referrals, spo_events)`` in the import templates' columns; the same seed gives
    the same records. No event is dated after the last recorded date in ``crimes``.
    """
    rng = np.random.default_rng(seed)
    rows = crimes.select(["crime_ref", "offence_code", "recorded_date", "district", "domestic_flag"]).sort_by(
        "crime_ref").to_pylist()  # the same crimes in any order give the same records
    stalking = [r for r in rows if r["offence_code"] in stalking_codes and r["recorded_date"] is not None]
    last = max((r["recorded_date"] for r in rows if r["recorded_date"]), default=dt.date.today())
    referrals = _referrals(stalking, rng, last)
    chosen = [stalking[i] for i in sorted(rng.choice(len(stalking), int(len(stalking) * _ENQUIRY_SHARE) or 0,
                                                     replace=False))] if stalking else []
    spo = [e for n, crime in enumerate(chosen, start=1) for e in _case(n, crime, rng, last)]
    referral_table = pa.Table.from_pylist(referrals, pa.schema([
        ("crime_ref", pa.string()), ("service", pa.string()), ("status", pa.string()), ("status_date", pa.date32())]))
    spo_schema = pa.schema([(c, pa.date32() if c == "event_date" else pa.int64() if c == "duration_months"
                             else pa.string()) for c in SPO_COLUMNS])
    return referral_table, pa.Table.from_pylist(spo, spo_schema)


#: Completions per district by course: (course key, officers, first and last completion dates).
#: The seed: 48 supervisors trained, 84 officers still to train as specialist investigators.
_TRAINING = (("safeguarding_supervisors", 10, dt.date(2020, 6, 1), dt.date(2021, 9, 30)),
             ("ilearn", 40, dt.date(2019, 4, 1), dt.date(2021, 12, 31)),
             ("stalking_champion", 2, dt.date(2021, 1, 1), dt.date(2021, 12, 31)),
             ("stalking_investigator", 4, dt.date(2021, 6, 1), dt.date(2021, 12, 31)))


def training_records(districts: tuple[str, ...], seed: int = 0) -> pa.Table:
    """Synthetic officer training completions (synthetic officer ids) in the training template's
    columns: a few dozen per district, most of the specialist investigators still to train.

    Examples
    --------
    >>> t = training_records(("BD", "LD"), seed=1)
    >>> t.column_names, sorted(set(t.column("course").to_pylist()))[:2]
    (['officer_id', 'course', 'district', 'team', 'completed_date'], ['ilearn', 'safeguarding_supervisors'])
    """
    rng = np.random.default_rng(seed)
    rows = []
    for district in districts:
        officers = [f"SYN-{district}-{n:04d}" for n in range(1, 120)]
        for course, count, first, last in _TRAINING:
            span = (last - first).days
            for officer in rng.choice(officers, size=int(rng.integers(max(count - 2, 1), count + 3)), replace=False):
                rows.append({"officer_id": str(officer), "course": course, "district": district,
                             "team": f"{district} {'CID' if course == 'stalking_investigator' else 'response'}",
                             "completed_date": first + dt.timedelta(days=int(rng.integers(0, span + 1)))})
    return pa.Table.from_pylist(rows, pa.schema([("officer_id", pa.string()), ("course", pa.string()),
                                                 ("district", pa.string()), ("team", pa.string()),
                                                 ("completed_date", pa.date32())]))


#: Share of sampled crimes meeting each checklist item: (domestic, non-domestic). The seed's audit:
#: good practice with domestic stalking, less so with non-domestic; most non-domestic crimes had
#: no DASH form; cumulative risk seldom considered outside the safeguarding teams.
_AUDIT_YES = {"risk_form": (0.9, 0.2), "sdash": (0.8, 0.25), "cumulative_risk": (0.7, 0.3),
              "allocation": (0.9, 0.55), "victim_referred": (0.65, 0.3), "spo_considered": (0.15, 0.05),
              "supervisor_review": (0.85, 0.6)}
_AUDIT_DEFAULT = (0.7, 0.5)
_NOT_APPLICABLE = 0.04  # items answered n/a (victim not contactable, suspect unknown)
_FINDINGS = {True: ("Good safeguarding; risk reviewed after each report.", "DASH completed; referral to IDVA.",
                    "Earlier incidents not linked to this report."),
             False: ("No DASH form; risk not assessed across earlier reports.", "Handled by response officers "
                     "without specialist advice.", "Victim not offered specialist support.")}


def audit_findings(sample: list[dict[str, Any]], items: tuple[str, ...], audited: dt.date,
                   seed: int = 0) -> list[dict[str, Any]]:
    """A completed checklist for the sampled crimes of ``sample`` (each with ``audit_id``,
    ``crime_ref`` and ``domestic``: ``Domestic``, ``Non-Domestic`` or ``Unknown``): one row per
    crime with an answer (yes, no, n/a) to each of ``items``, the audit date and a finding.

    Examples
    --------
    >>> rows = audit_findings([{"audit_id": 7, "crime_ref": "C1", "domestic": "Domestic"}],
    ...                       ("risk_form", "sdash"), dt.date(2021, 11, 15), seed=1)
    >>> sorted(rows[0]), rows[0]["risk_form"] in ("yes", "no", "n/a")
    (['audit_id', 'audited_date', 'crime_ref', 'finding', 'risk_form', 'sdash'], True)
    """
    rng = np.random.default_rng(seed)
    rows = []
    for case in sample:
        domestic = case["domestic"] == "Domestic"
        row: dict[str, Any] = {"audit_id": case["audit_id"], "crime_ref": case["crime_ref"]}
        for item in items:
            share = _AUDIT_YES.get(item, _AUDIT_DEFAULT)[0 if domestic else 1]
            row[item] = "n/a" if rng.random() < _NOT_APPLICABLE else "yes" if rng.random() < share else "no"
        row["audited_date"] = audited
        row["finding"] = str(rng.choice(_FINDINGS[domestic]))
        rows.append(row)
    return rows
