"""Stored forms with their scores, and crimes whose forms say stalking but whose code does not.

Both are Ibis expressions over the store, so they run unchanged on DuckDB and PostgreSQL.

*Current form.* Forms are never overwritten: for each crime and form type, the current form is
the latest by completed date, then by import (batch), then by row. Form types are kept apart
because they are different instruments: a DARA or an S-DASH completed after a DASH does not undo
the DASH's answers.

*The check.* The seed report's rule is that any "yes" to a stalking question (DASH Q8, any S-DASH
question) means a stalking crime must be recorded. A crime in the window whose offence code is not
in the stalking family (8Q by default) and that has a current form with such a "yes" is listed,
once, with every such form named in its reason. Under the counting rules the stalking may have been
recorded as a separate crime; the list is for someone to check, not a finding of error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import reduce

import ibis

from stalking_profile.metrics.config import ProfileConfig, load_config
from stalking_profile.riskforms.checklists import Checklists, load_checklists
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["LEAD_COLUMNS", "flag_not_recorded", "form_scores", "stalking_not_recorded"]

#: The first columns of :func:`stalking_not_recorded`, as every worklist's.
LEAD_COLUMNS = ("crime_ref", "district", "recorded_date", "reason")


def _by_type(column: ibis.Value, values: dict[str, int | None]) -> ibis.Value:
    """A per-form-type constant (question count, threshold) as a CASE expression."""
    case = ibis.cases(*((column == t, ibis.literal(v, "int64")) for t, v in values.items()),
                      else_=ibis.null("int64"))
    return case


def form_scores(store: Store, as_of: int | None = None, checklists: Checklists | None = None,
                threshold: int | None = None) -> ibis.Table:
    """Every stored form with its yes/no/unknown counts, checks and whether it is current.

    Columns: the ``risk_forms`` columns, then ``questions``, ``yes_count``, ``no_count``,
    ``unknown_count``, ``threshold``, ``visible_high_risk`` (null where no threshold applies),
    ``stalking_questions`` (e.g. ``Q4 and Q5``: stalking questions answered yes, else null),
    ``stalking_indicated`` and ``is_current``. ``threshold`` overrides the checklists' own
    (14 for DASH) for every scored form; DARA is never scored.
    """
    checklists = checklists or load_checklists()
    forms, answers = store.table(tables.RISK_FORMS), store.table(tables.RISK_FORM_ANSWERS)
    if as_of is not None:
        forms, answers = forms.filter(forms.batch_id <= as_of), answers.filter(answers.batch_id <= as_of)
    a = answers.join(forms.select("form_id", "form_type"), "form_id")
    stalking = [(a.form_type == f.form_type) & a.question.isin(list(f.stalking_questions))
                for f in checklists.forms.values() if f.stalking_questions]
    on_stalking = reduce(lambda x, y: x | y, stalking) if stalking else ibis.literal(False)
    yes = a.answer == "Y"
    counts = a.group_by("form_id").aggregate(
        yes_count=yes.ifelse(1, 0).sum(), no_count=(a.answer == "N").ifelse(1, 0).sum(),
        dk_count=(a.answer == "DK").ifelse(1, 0).sum(),
        listed=(ibis.literal("Q") + a.question.cast("string")).group_concat(", ", where=yes & on_stalking,
                                                                             order_by=a.question),
    )
    t = forms.left_join(counts, forms.form_id == counts.form_id).drop("form_id_right")
    size = _by_type(t.form_type, {f.form_type: len(f.questions) for f in checklists.forms.values()})
    limit = _by_type(t.form_type, {f.form_type: (threshold or f.threshold) if f.scored else None
                                   for f in checklists.forms.values()})
    yes_count, no_count = t.yes_count.fill_null(0).cast("int64"), t.no_count.fill_null(0).cast("int64")
    window = ibis.window(group_by=[t.crime_ref, t.form_type],
                         order_by=[ibis.desc(t.completed_date), ibis.desc(t.batch_id), ibis.desc(t.row_number)])
    scored = t.mutate(
        questions=size.fill_null(0), yes_count=yes_count, no_count=no_count,
        unknown_count=(size > 0).ifelse(size - yes_count - no_count, t.dk_count.fill_null(0).cast("int64")),
        threshold=limit, visible_high_risk=yes_count >= limit,
        stalking_questions=t.listed.re_replace(r", (Q[0-9]+)$", r" and \1"),
        stalking_indicated=t.listed.notnull(), is_current=ibis.row_number().over(window) == 0,
    )
    return scored.drop("dk_count", "listed")


def flag_not_recorded(crimes: ibis.Table, scored: ibis.Table, stalking_codes: Sequence[str]) -> ibis.Table:
    """The ``crimes`` not coded as stalking that have a current form indicating stalking.

    ``scored`` is :func:`form_scores`. One row per crime; the form columns come from its latest
    indicating form, and ``forms`` counts the indicating forms named in ``reason``.

    Examples
    --------
    >>> day = dt.date(2021, 3, 5)
    >>> crimes = ibis.memtable({"crime_ref": ["C1", "C2"], "district": ["BD", "LD"],
    ...                         "recorded_date": [day, day], "offence_code": ["8L", "8Q"]})
    >>> scored = ibis.memtable({"crime_ref": ["C1", "C2"], "form_type": ["S-DASH", "S-DASH"],
    ...     "completed_date": [day, day], "batch_id": [2, 2], "form_id": [1, 2], "yes_count": [2, 1],
    ...     "stalking_questions": ["Q4 and Q5", "Q1"], "stalking_indicated": [True, True],
    ...     "is_current": [True, True], "risk_level": ["medium", None], "form_ref": [None, None]})
    >>> flag_not_recorded(crimes, scored, ["8Q"]).reason.to_pyarrow().to_pylist()
    ['S-DASH Q4 and Q5 answered yes but the crime is coded 8L, not stalking (8Q)']
    """
    codes = list(stalking_codes)
    f = scored.filter(scored.is_current & scored.stalking_indicated)
    c = crimes.filter(~crimes.offence_code.isin(codes)).select("crime_ref", "district", "recorded_date",
                                                                "offence_code")
    j = c.join(f, "crime_ref")
    part = j.form_type + ibis.literal(" ") + j.stalking_questions
    per_crime = j.group_by("crime_ref").aggregate(
        parts=part.group_concat("; ", order_by=[j.completed_date, j.form_type]), forms=j.count())
    window = ibis.window(group_by=j.crime_ref,
                         order_by=[ibis.desc(j.completed_date), ibis.desc(j.batch_id), ibis.desc(j.form_id)])
    latest = j.filter(ibis.row_number().over(window) == 0)
    out = latest.join(per_crime, "crime_ref")
    reason = (out.parts + ibis.literal(" answered yes but the crime is coded ") + out.offence_code
              + ibis.literal(f", not stalking ({', '.join(codes)})"))
    return out.select(*LEAD_COLUMNS[:3], reason=reason, form_type=out.form_type,
                      completed_date=out.completed_date, yes_count=out.yes_count, offence_code=out.offence_code,
                      stalking_questions=out.stalking_questions, risk_level=out.risk_level, form_ref=out.form_ref,
                      forms=out.forms.cast("int64"))


def stalking_not_recorded(store: Store, period_start: dt.date, period_end: dt.date, as_of: int | None = None, *,
                          checklists: Checklists | None = None, config: ProfileConfig | None = None) -> ibis.Table:
    """Crimes recorded in the window (both ends inclusive) whose current risk form answers a
    stalking question yes while the crime is not coded as stalking.

    First columns ``crime_ref, district, recorded_date, reason`` (e.g. ``S-DASH Q4 and Q5 answered
    yes but the crime is coded 8L, not stalking (8Q)``), then ``form_type, completed_date,
    yes_count, offence_code``, the stalking questions, grading, form reference and ``forms``.
    ``as_of`` reads crimes and forms as they stood after that batch. Stalking codes come from the
    profile configuration's ``stalking`` family.
    """
    codes = (config or load_config()).family("stalking")
    crimes = store.current_crimes(as_of)
    crimes = crimes.filter(crimes.recorded_date >= ibis.literal(period_start),
                           crimes.recorded_date <= ibis.literal(period_end))
    return flag_not_recorded(crimes, form_scores(store, as_of, checklists), codes)
