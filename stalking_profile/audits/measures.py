"""Audit measures: compliance with each checklist item by district and domestic flag, and the samples.

Both read the samples whose period ends within the profile's window (drawn by batch ``as_of`` when
given) and the latest review of each sampled crime (as stored after ``as_of``). Because a sample
takes about as many crimes from each domestic stratum however unequal the strata are, a rate
that combines strata or samples weights each crime by the crimes it stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from stalking_profile.audits.allocation import STRATA
from stalking_profile.audits.checklist import Checklist, load_checklist
from stalking_profile.audits.reviews import current_reviews
from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import DOMESTIC_LABELS
from stalking_profile.metrics.stats import pct, round_pct, wilson
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["COMPLIANCE_SCHEMA", "SAMPLES_SCHEMA", "audit_compliance", "audit_samples_table", "design_weighted"]

COMPLIANCE_SCHEMA = pa.schema([
    ("district", pa.string()), ("domestic", pa.string()), ("item", pa.string()), ("question", pa.string()),
    ("audited", pa.int64()), ("answered", pa.int64()), ("yes", pa.int64()), ("not_applicable", pa.int64()),
    ("rate_pct", pa.float64()), ("ci_low", pa.float64()), ("ci_high", pa.float64()),
])
SAMPLES_SCHEMA = pa.schema([
    ("audit_id", pa.int64()), ("district", pa.string()), ("offence_family", pa.string()),
    ("period_start", pa.date32()), ("period_end", pa.date32()), ("seed", pa.int64()), ("allocation", pa.string()),
    ("stratum", pa.string()), ("population", pa.int64()), ("sample", pa.int64()), ("audited", pa.int64()),
])
Row = dict[str, Any]


def design_weighted(weights: Sequence[float], yes: Sequence[bool],
                    alpha: float = 0.05) -> tuple[float | None, float | None, float | None]:
    """A design-weighted proportion and its interval, as rounded percentages.

    Parameters
    ----------
    weights : sequence of float
        Each answered case's design weight: its stratum's population over its stratum's sample.
    yes : sequence of bool
        Whether each case answered yes.
    alpha : float
        1 - confidence level (0.05 gives a 95% interval).

    Returns
    -------
    (rate, low, high) : percentages, or ``(None, None, None)`` with no cases.

    Notes
    -----
    The rate is the weighted mean :math:`\\hat p = \\sum w_i y_i / \\sum w_i`, an estimate of the
    share of the sampled populations (all strata, all samples) that comply. Its interval is the
    Wilson (1927) score interval for :math:`\\hat p` on Kish's (1965) effective sample size
    :math:`n_{eff} = (\\sum w_i)^2 / \\sum w_i^2`, which shrinks the base to reflect unequal
    weights (with equal weights it is the plain count, and the result is the plain Wilson interval).
    Computed with ``statsmodels.stats.proportion.proportion_confint`` as
    :func:`stalking_profile.metrics.stats.wilson` is; the finite-population correction is ignored,
    which errs on the wide side.

    Examples
    --------
    Eight domestic crimes sampled from 40 (weight 5), six answering yes; seven non-domestic from 12
    (weight 12/7), two answering yes: the rate is (6 x 5 + 2 x 12/7) / 52 = 64.3%, on
    n_eff = 52² / (8 x 25 + 7 x (12/7)²) = 12.26 cases.

    >>> design_weighted([5.0] * 8 + [12 / 7] * 7, [True] * 6 + [False] * 2 + [True] * 2 + [False] * 5)
    (64.3, 37.2, 84.5)
    >>> design_weighted([2.0] * 4, [True, True, True, False]) == (75.0, *wilson(3, 4))
    True
    """
    if len(weights) != len(yes):
        raise ValueError(f"{len(weights)} weights for {len(yes)} answers")
    total = float(sum(weights))
    if not weights or total <= 0:
        return None, None, None
    rate = sum(w for w, y in zip(weights, yes, strict=True) if y) / total
    n_eff = total ** 2 / sum(w * w for w in weights)
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(rate * n_eff, n_eff, alpha=alpha, method="wilson")
    return round_pct(100.0 * rate), round_pct(100.0 * float(low)), round_pct(100.0 * float(high))


def _samples(store: Store, period: Period | None, force: Force | None, as_of: int | None) -> list[Row]:
    s = store.table(tables.AUDIT_SAMPLES)
    if as_of is not None:
        s = s.filter(s.batch_id <= as_of)
    if period is not None:
        s = s.filter((s.period_end >= period.start) & (s.period_end <= period.end))
    if force is not None:
        s = s.filter(s.district.isin(list(force.district_codes)))
    rows: list[Row] = s.order_by("batch_id").to_pyarrow().to_pylist()
    return rows


def _members(store: Store, ids: list[int]) -> list[Row]:
    if not ids:
        return []
    c = store.table(tables.AUDIT_SAMPLE_CRIMES)
    rows: list[Row] = c.filter(c.batch_id.isin(ids)).select(
        "batch_id", "crime_ref", "stratum", "stratum_population", "stratum_sample").to_pyarrow().to_pylist()
    return rows


def audit_samples_table(store: Store, period: Period | None = None, force: Force | None = None,
                        as_of: int | None = None) -> pa.Table:
    """The samples whose period ends in ``period`` (all when None), one row per sample and stratum:
    its crimes in the period (``population``), drawn (``sample``) and reviewed so far (``audited``).

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> audit_samples_table(open_store(":memory:")).num_rows
    0
    """
    samples = _samples(store, period, force, as_of)
    ids = [s["batch_id"] for s in samples]
    reviewed = set(current_reviews(store, ids, as_of))
    strata: dict[tuple[int, str], Row] = {}
    for m in _members(store, ids):
        cell = strata.setdefault((m["batch_id"], m["stratum"]), {"population": m["stratum_population"],
                                                                 "sample": m["stratum_sample"], "audited": 0})
        cell["audited"] += (m["batch_id"], m["crime_ref"]) in reviewed
    order = list(force.district_codes) if force else sorted({s["district"] for s in samples})
    samples.sort(key=lambda s: (order.index(s["district"]) if s["district"] in order else len(order), s["batch_id"]))
    rows = [{"audit_id": s["batch_id"], "district": s["district"], "offence_family": s["offence_family"],
             "period_start": s["period_start"], "period_end": s["period_end"], "seed": s["seed"],
             "allocation": s["allocation"], "stratum": label, **strata[(s["batch_id"], label)]}
            for s in samples for label in STRATA if (s["batch_id"], label) in strata]
    return pa.Table.from_pylist(rows, schema=SAMPLES_SCHEMA)


def _cells(store: Store, period: Period, force: Force, as_of: int | None) -> dict[tuple[str, str], list[Row]]:
    """The reviewed cases of each (district or Force, domestic label), with their weight and answers.

    A *frame* is what a stratum of a sample was drawn from: the district's crimes of the family,
    period and domestic stratum. Samples drawn from one frame (the same draw again with another
    seed, say) pool their reviews. A crime counts once, with its latest review in any sample, in
    the frame of that sample; its weight is the frame's crimes over the frame's crimes *reviewed*
    (not drawn), so a sample half reviewed still stands for its whole stratum.
    """
    samples = {s["batch_id"]: s for s in _samples(store, period, force, as_of)}
    reviews = current_reviews(store, list(samples), as_of)
    latest: dict[tuple[str, str], tuple[int, tuple[Any, ...], Row]] = {}
    population: dict[tuple[Any, ...], int] = {}
    for m in _members(store, list(samples)):
        review = reviews.get((m["batch_id"], m["crime_ref"]))
        if review is None:
            continue
        s = samples[m["batch_id"]]
        frame = (s["district"], s["offence_family"], s["period_start"], s["period_end"], m["stratum"])
        population[frame] = max(population.get(frame, 0), m["stratum_population"])
        key, batch = (s["district"], m["crime_ref"]), review.batch_id or 0
        if key not in latest or batch > latest[key][0]:
            latest[key] = (batch, frame, {"stratum": m["stratum"], "answers": review.answers})
    reviewed: dict[tuple[Any, ...], int] = {}
    for _, frame, _ in latest.values():
        reviewed[frame] = reviewed.get(frame, 0) + 1
    cells: dict[tuple[str, str], list[Row]] = {}
    for (district, _), (_, frame, case) in latest.items():
        case = {**case, "weight": population[frame] / reviewed[frame]}
        labels = ("All",) if case["stratum"] == "Unknown" else ("All", case["stratum"])
        for name in (district, "Force"):
            for label in labels:
                cells.setdefault((name, label), []).append(case)
    return cells


def _row(district: str, domestic: str, item: str, question: str, cases: list[Row]) -> Row:
    given = [(c["weight"], c["answers"][item]) for c in cases if item in c["answers"]]
    answered = [(w, a == "yes") for w, a in given if a in ("yes", "no")]
    yes = sum(y for _, y in answered)
    weights = [w for w, _ in answered]
    if len(set(weights)) <= 1:  # one stratum of one sample (or equal weights): the plain proportion
        rate, (low, high) = pct(yes, len(answered)), wilson(yes, len(answered))
    else:
        rate, low, high = design_weighted(weights, [y for _, y in answered])
    return {"district": district, "domestic": domestic, "item": item, "question": question, "audited": len(given),
            "answered": len(answered), "yes": yes, "not_applicable": sum(a == "n/a" for _, a in given),
            "rate_pct": rate, "ci_low": low, "ci_high": high}


def audit_compliance(store: Store, period: Period, force: Force, as_of: int | None = None,
                     checklist: Checklist | None = None) -> pa.Table:
    """Compliance with each checklist item, by district (force order) then ``Force``, each as All,
    Domestic and Non-Domestic, each item in checklist order.

    - ``audited``: sampled crimes with a review answering the item, among the samples whose period
      ends in ``period`` (crimes of the ``Unknown`` stratum count in All only);
    - ``answered``: those answered yes or no; ``not_applicable`` (n/a) are left out of the rate;
    - ``yes``: those answered yes;
    - ``rate_pct``, ``ci_low``, ``ci_high``: the share answering yes, with a 95% interval. Within
      one stratum of one sample this is ``yes / answered`` with a Wilson interval; a row that
      combines strata (All) or samples (Force, or a district audited twice) is design-weighted
      (see :func:`design_weighted`). Null when nothing is answered (districts without audits).

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> from stalking_profile.force import load_force
    >>> from stalking_profile.metrics.periods import parse_period
    >>> t = audit_compliance(open_store(":memory:"), parse_period("2021-04-01:2021-09-30"), load_force())
    >>> t.num_rows == 6 * 3 * 7, t.to_pylist()[0]["audited"], t.to_pylist()[0]["rate_pct"]
    (True, 0, None)
    """
    checklist = checklist or load_checklist()
    cells = _cells(store, period, force, as_of)
    rows = [_row(district, label, item.key, item.question, cells.get((district, label), []))
            for district in (*force.district_codes, "Force") for label in DOMESTIC_LABELS
            for item in checklist.items]
    return pa.Table.from_pylist(rows, schema=COMPLIANCE_SCHEMA)
