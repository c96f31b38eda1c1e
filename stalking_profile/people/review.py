"""Cumulative-risk review of a period: scored crimes, the flags worklists use, and profile tables.

A crime is flagged when its cumulative band sits above the risk level recorded for it
(no level recorded counts as below standard, but a standard band is never "above"), when
its band is high and it is allocated to a non-specialist unit (patrol, district
investigation team: configurable), or when its band is high and no DASH, DARA or S-DASH
form is recorded, either in the extract's ``risk_assessment`` column or as a form imported
with ``stalking-profile forms import``. A stored form graded high (or at its checklist's
visible-high-risk threshold) counts as a high-risk assessment in the histories.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.force import Force
from stalking_profile.metrics.handling import ASSESSED_FORMS
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import DOMESTIC_LABELS, by_district, flag_label, within
from stalking_profile.people.clusters import latest_run
from stalking_profile.people.linkage import PersonClusters, linked_crimes
from stalking_profile.people.score import RECORDED_RANK, ScoredCrimes, score_crimes
from stalking_profile.people.settings import BANDS, RiskSettings
from stalking_profile.store.connection import Store

__all__ = ["FLAGS", "cumulative_tables", "linked_history", "review_flags", "risk_tables", "score_period",
           "with_stored_forms"]

#: The review flags added by :func:`review_flags`, counted in the ``cumulative_risk`` table.
FLAGS = ("above_recorded", "high_no_assessment", "high_non_specialist")
_LINK_COLUMNS = ("crime_ref", "recorded_date", "offence_code", "offence_description", "district", "domestic_flag",
                 "victim_id", "suspect_id", "risk_assessment", "risk_level", "arrest_made", "outcome_type",
                 "allocated_unit")


@contextmanager
def linked_history(store: Store, settings: RiskSettings, as_of: int | None = None,
                   clusters: PersonClusters | None = None) -> Iterator[ibis.Table]:
    """Every current crime linked to its people, computed once into a temporary table and read
    for each entity (see :func:`stalking_profile.people.linkage.linked_crimes`)."""
    crimes = with_stored_forms(store.current_crimes(as_of).select(*_LINK_COLUMNS), store, as_of)
    with store.materialised(crimes) as base:
        yield linked_crimes(store, settings, as_of, clusters, base)


def with_stored_forms(crimes: ibis.Table, store: Store, as_of: int | None = None) -> ibis.Table:
    """``crimes`` with ``forms_stored`` (current DASH, DARA or S-DASH forms imported with
    ``stalking-profile forms import``), ``form_high`` (one of them graded high risk, or at or
    above its checklist's visible-high-risk threshold) and ``form_rank`` (the highest grading
    on them: 1 standard, 2 medium, 3 high, 0 none)."""
    from stalking_profile.riskforms.stalking_check import form_scores

    forms = form_scores(store, as_of)
    forms = forms.filter(forms.is_current)
    high = (forms.risk_level == "high").fill_null(False) | forms.visible_high_risk.fill_null(False)
    rank = ibis.cases(*((forms.risk_level == level, r) for level, r in RECORDED_RANK.items()), else_=0)
    per_crime = forms.group_by(_ref=forms.crime_ref).aggregate(forms_stored=forms.count(),
                                                              form_high=high.ifelse(1, 0).max(),
                                                              form_rank=rank.max())
    joined = crimes.left_join(per_crime, crimes.crime_ref == per_crime._ref).drop("_ref")
    return joined.mutate(forms_stored=joined.forms_stored.fill_null(0).cast("int64"),
                         form_high=joined.form_high.fill_null(0).cast("int64"),
                         form_rank=joined.form_rank.fill_null(0).cast("int64"))


def score_period(linked: ibis.Table, codes: Iterable[str], period: Period, settings: RiskSettings) -> ScoredCrimes:
    """Score the crimes with ``codes`` recorded in ``period``, on histories across every offence."""
    targets = within(linked.filter(linked.offence_code.isin(list(codes))), period)
    return score_crimes(linked, targets, settings, period.end)


def review_flags(scored: pa.Table, settings: RiskSettings) -> pa.Table:
    """``scored`` with ``assessed``, ``non_specialist`` and the :data:`FLAGS` columns (booleans)."""
    band_rank = pc.add(pc.index_in(scored.column("band"), pa.array(BANDS)), 1)
    floor = pc.max_element_wise(scored.column("recorded_rank"), 1)
    high = pc.equal(scored.column("band"), "high")
    assessed = pc.fill_null(pc.is_in(scored.column("risk_assessment"), pa.array(ASSESSED_FORMS)), False)
    if "forms_stored" in scored.column_names:  # a form imported with `forms import` counts too
        assessed = pc.or_(assessed, pc.greater(pc.fill_null(scored.column("forms_stored"), 0), 0))
    unit = pc.utf8_lower(scored.column("allocated_unit"))
    non_specialist = pc.fill_null(pc.is_in(unit, pa.array(settings.non_specialist_units, pa.string())), False)
    columns = {
        "assessed": assessed,
        "non_specialist": non_specialist,
        "above_recorded": pc.greater(band_rank, floor),
        "high_no_assessment": pc.and_(high, pc.invert(assessed)),
        "high_non_specialist": pc.and_(high, non_specialist),
    }
    for name, values in columns.items():
        scored = scored.append_column(name, values)
    return scored


def _risk_row(district: str, domestic: str, sums: dict[str, int]) -> dict[str, Any]:
    return {"district": district, "domestic": domestic, **sums}


def _allocation(rows: list[dict[str, Any]], force: Force) -> pa.Table:
    sums: dict[tuple[str, str, str], dict[str, int]] = {}
    specialist: dict[str, bool] = {}
    for r in rows:
        unit = r["allocated_unit"] or "not recorded"
        specialist[unit] = bool(r["non_specialist"])
        for district in (r["district"], "Force"):
            for label in ("All", flag_label(bool(r["domestic_flag"]))):
                cell = sums.setdefault((district, label, unit), dict.fromkeys(("crimes", *BANDS), 0))
                cell["crimes"] += r["crimes"]
                cell[r["band"]] += r["crimes"]
    units = sorted(specialist, key=lambda u: (u == "not recorded", u.lower()))
    out = [{"district": d, "domestic": label, "allocated_unit": unit, "non_specialist": specialist[unit],
            **sums[(d, label, unit)]}
           for d in (*force.district_codes, "Force") for label in DOMESTIC_LABELS for unit in units
           if (d, label, unit) in sums]
    schema = pa.schema([("district", pa.string()), ("domestic", pa.string()), ("allocated_unit", pa.string()),
                        ("non_specialist", pa.bool_()), ("crimes", pa.int64()),
                        *[(b, pa.int64()) for b in BANDS]])
    return pa.Table.from_pylist(out, schema)


def cumulative_tables(scored: pa.Table, force: Force, settings: RiskSettings) -> dict[str, pa.Table]:
    """``cumulative_risk`` (bands and review flags by district and domestic flag) and ``allocation``
    (allocated unit x band x domestic flag by district), from scored crimes with review flags.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from stalking_profile.force import load_force
    >>> from stalking_profile.people.settings import load_risk_settings
    >>> scored = pa.table({"district": ["LD", "LD"], "domestic_flag": [True, False], "band": ["high", "standard"],
    ...     "recorded_rank": [1, 0], "risk_assessment": [None, "DASH"], "allocated_unit": ["patrol", "DA team"]})
    >>> t = cumulative_tables(review_flags(scored, load_risk_settings()), load_force(), load_risk_settings())
    >>> [r for r in t["cumulative_risk"].to_pylist() if r["district"] == "LD" and r["domestic"] == "All"][0]
    ... # doctest: +NORMALIZE_WHITESPACE
    {'district': 'LD', 'domestic': 'All', 'crimes': 2, 'standard': 1, 'medium': 0, 'high': 1,
     'above_recorded': 1, 'high_no_assessment': 1, 'high_non_specialist': 1}
    """
    measures = ("crimes", *BANDS, *FLAGS)
    keys = ["district", "domestic_flag", "band", "allocated_unit", "non_specialist"]
    # one row per combination of the keys (a few hundred), not per crime
    counted = scored.select(keys).append_column("crimes", pa.array(np.ones(scored.num_rows, np.int64)))
    for f in FLAGS:
        counted = counted.append_column(f, pc.cast(scored[f], pa.int64()))
    rows = [{**r, **{f: r.pop(f"{f}_sum") for f in FLAGS}, "crimes": r.pop("crimes_sum")}
            for r in counted.group_by(keys).aggregate([("crimes", "sum"), *[(f, "sum") for f in FLAGS]]).to_pylist()]
    grouped = [{"district": r["district"], "domestic_flag": r["domestic_flag"], "crimes": r["crimes"],
                **{b: r["crimes"] if r["band"] == b else 0 for b in BANDS}, **{f: r[f] for f in FLAGS}} for r in rows]
    risk = pa.Table.from_pylist(by_district(grouped, force, measures, _risk_row),
                                pa.schema([("district", pa.string()), ("domestic", pa.string()),
                                           *[(m, pa.int64()) for m in measures]]))
    return {"cumulative_risk": risk, "allocation": _allocation(rows, force)}


def risk_tables(store: Store, codes: Iterable[str], period: Period, force: Force, settings: RiskSettings,
                as_of: int | None = None) -> tuple[dict[str, pa.Table], list[str]]:
    """The profile's ``cumulative_risk`` and ``allocation`` tables for the crimes with ``codes`` in
    ``period``, and the notes that say how they were made."""
    with linked_history(store, settings, as_of) as linked:
        scored = score_period(linked, codes, period, settings)
    tables = cumulative_tables(review_flags(scored.table, settings), force, settings)
    runs = {role: latest_run(store, role, as_of) for role in ("victim", "suspect")}
    used = sorted({run for run in runs.values() if run is not None})
    linkage = (f"RMS ids merged by clustering run {', '.join(map(str, used))} (stalking-profile link)"
               if used else "RMS ids alone (no clustering run in the store)")
    notes = [f"cumulative_risk, allocation: each crime scored on its victim's, suspect's and pair's histories "
             f"across every offence in the store, as they stood on {period.end} (history window "
             f"{scored.window_start} to {scored.window_end}); people linked on {linkage}; bands medium from "
             f"{settings.medium} points, high from {settings.high} (settings: {settings.source}). Internal only."]
    return tables, notes
