"""Outcomes, arrests, risk assessment and allocation of the synthetic crimes.

Stalking recorded from October 2020 to September 2021 gets the seed's outcome tables exactly
(per district and DA flag); its blanks go preferentially to the most recent months and its
"no suspect identified" outcomes (14, 18) to pairs whose suspect is unknown or a stranger.
Other crimes draw outcomes from the same tables' force-level mix, with more blanks the more
recent the crime. Arrest, risk-assessment and allocation shares are exact quotas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stalking_profile.schema.columns import RELATIONSHIPS, RISK_FORMS
from stalking_profile.synth import calibration as cal
from stalking_profile.synth import shares
from stalking_profile.synth.allocation import assign_counts, assign_shares, group_codes, largest_remainder
from stalking_profile.synth.volumes import CODES, Crimes, month_starts

__all__ = ["OUTCOME_LABELS", "UNIT_NAMES", "Handling", "assign_handling", "assign_outcomes"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]

#: Every outcome label the generator writes; index 0 is "" (no outcome yet).
OUTCOME_LABELS: tuple[str, ...] = (
    "",
    *dict.fromkeys(label for label, _ in cal.OUTCOMES_DOMESTIC + cal.OUTCOMES_NON_DOMESTIC if label),
)
_CODE = np.asarray([label.split(":")[0] for label in OUTCOME_LABELS], dtype=object)
_NO_SUSPECT = np.flatnonzero(np.isin(_CODE, ("14", "18")))
_BLANK = np.asarray([0])
#: How strongly each outcome draws an arrest (Efraimidis-Spirakis weight).
_ARREST_WEIGHT = np.select(
    [np.isin(_CODE, ("1", "1A")), np.isin(_CODE, ("3", "3A")), np.isin(_CODE, ("8", "22")), _CODE == "15",
     _CODE == ""],
    [6.0, 3.0, 2.0, 1.3, 1.0],
    0.8,
)  # fmt: skip
#: How likely a relationship is to leave the suspect unidentified (outcomes 14 and 18).
_NO_SUSPECT_WEIGHT = np.asarray(
    [{"unknown": 40.0, "stranger": 8.0, "acquaintance": 1.5}.get(r, 0.4) for r in RELATIONSHIPS]
)
_UNKNOWN = RELATIONSHIPS.index("unknown")
UNIT_NAMES: tuple[str, ...] = tuple(dict.fromkeys(u for table in shares.UNITS.values() for u in table))
_FAMILIES = tuple(dict.fromkeys(shares.FAMILY_OF.values()))
_FAMILY = np.asarray([_FAMILIES.index(shares.FAMILY_OF[c]) for c in CODES], dtype=np.int64)
_EXTRACT = np.datetime64(cal.EXTRACT_DATE, "D")


@dataclass(frozen=True)
class Handling:
    """Per crime: outcome, arrest, risk assessment and allocated unit."""

    outcome: IntArray  # index into OUTCOME_LABELS
    outcome_date: DateArray
    suspect_known: BoolArray
    arrest: BoolArray
    arrest_date: DateArray
    risk_form: IntArray  # index into columns.RISK_FORMS
    risk_level: IntArray  # 0 standard, 1 medium, 2 high; -1 not assessed
    unit: IntArray  # index into UNIT_NAMES


def _table_matrix(domestic: bool, n_districts: int, seed_districts: bool) -> IntArray:
    """Seed outcome counts as (district, label); for another force, force totals in every row."""
    rows = cal.OUTCOMES_DOMESTIC if domestic else cal.OUTCOMES_NON_DOMESTIC
    m = np.zeros((len(cal.DISTRICTS), len(OUTCOME_LABELS)), dtype=np.int64)
    for label, counts in rows:
        m[:, OUTCOME_LABELS.index(label)] = counts
    return m if seed_districts else np.repeat(m.sum(axis=0, keepdims=True), n_districts, axis=0)


def _staged(
    group: IntArray, counts: IntArray, stages: list[tuple[IntArray, FloatArray]], rng: np.random.Generator
) -> IntArray:
    """Labels with exact counts per group; each stage's labels go preferentially to high-weight rows."""
    out = np.full(group.size, -1, dtype=np.int64)
    rows = np.arange(group.size)
    left = counts.copy()
    for labels, weight in stages:
        k = left[:, labels].sum(axis=1)
        sizes = np.bincount(group[rows], minlength=left.shape[0])
        pick = assign_counts(group[rows], np.column_stack((k, sizes - k)), rng, weight[rows]) == 0
        chosen = rows[pick]
        out[chosen] = labels[assign_counts(group[chosen], left[:, labels], rng)]
        left[:, labels] = 0
        rows = rows[~pick]
    out[rows] = assign_counts(group[rows], left, rng)
    return out


def _window_outcomes(
    crimes: Crimes, rows: IntArray, rel: IntArray, seed_districts: bool, rng: np.random.Generator
) -> IntArray:
    """Seed-table outcomes for window stalking, scaled to each district x DA cell's size."""
    n_d = int(crimes.district.max(initial=0)) + 1
    group = crimes.district[rows] * 2 + crimes.domestic[rows]
    sizes = np.bincount(group, minlength=2 * n_d)
    counts = np.zeros((2 * n_d, len(OUTCOME_LABELS)), dtype=np.int64)
    for da in (0, 1):
        table = _table_matrix(bool(da), n_d, seed_districts)
        for d in range(n_d):
            counts[2 * d + da] = largest_remainder(table[d], int(sizes[2 * d + da]))
    recency = np.exp((crimes.month[rows] - cal.OUTCOME_WINDOW[0]) / 4.0)
    stages = [(_BLANK, recency), (_NO_SUSPECT, _NO_SUSPECT_WEIGHT[rel[rows]])]
    return _staged(group, counts, stages, rng)


def _blank_share(month: IntArray) -> FloatArray:
    """Share still without an outcome at extraction, by months since recording."""
    age = (_EXTRACT - month_starts()[month]).astype(np.float64) / 30.44 - 0.5
    return np.asarray(0.03 + 0.9 * np.exp(-age / 5.0), dtype=np.float64)


def _other_outcomes(crimes: Crimes, rows: IntArray, rel: IntArray, rng: np.random.Generator) -> IntArray:
    """Outcomes from the seed's force-level mix, with more blanks for recent crimes."""
    group, n_groups = group_codes(crimes.domestic[rows], crimes.month[rows], _FAMILY[crimes.code[rows]])
    sizes = np.bincount(group, minlength=n_groups)
    first = rows[_first_rows(group, n_groups)]
    counts = np.zeros((n_groups, len(OUTCOME_LABELS)), dtype=np.int64)
    mixes = {da: _table_matrix(da, 1, False)[0].astype(np.float64) for da in (False, True)}
    for g in range(n_groups):
        mix = mixes[bool(crimes.domestic[first[g]])].copy()
        mix[0] = 0.0
        blank = round(float(_blank_share(crimes.month[first[g : g + 1]])[0]) * int(sizes[g]))
        counts[g] = largest_remainder(mix, int(sizes[g]) - blank)
        counts[g, 0] = blank
    stages = [(_BLANK, np.ones(rows.size)), (_NO_SUSPECT, _NO_SUSPECT_WEIGHT[rel[rows]])]
    return _staged(group, counts, stages, rng)


def _lagged(start: DateArray, lag: FloatArray, rng: np.random.Generator) -> DateArray:
    """``start`` plus a lag of at least a day, kept on or before the extraction date."""
    days = 1 + np.floor(lag).astype(np.int64)
    room = (_EXTRACT - start).astype(np.int64)
    late = days > room
    days[late] = 1 + np.floor(rng.random(int(late.sum())) * np.maximum(room[late] - 1, 0)).astype(np.int64)
    return np.asarray(start + days.astype("timedelta64[D]"), dtype="datetime64[D]")


def assign_outcomes(
    crimes: Crimes, relationship: IntArray, seed_districts: bool, rng: np.random.Generator
) -> tuple[IntArray, DateArray]:
    """Outcome label index and outcome date (NaT when blank) of every crime."""
    first, last = cal.OUTCOME_WINDOW
    window = crimes.stalking & (crimes.month >= first) & (crimes.month <= last)
    outcome = np.zeros(len(crimes), dtype=np.int64)
    rows = np.flatnonzero(window)
    outcome[rows] = _window_outcomes(crimes, rows, relationship, seed_districts, rng)
    rows = np.flatnonzero(~window)
    outcome[rows] = _other_outcomes(crimes, rows, relationship, rng)
    dated = _lagged(crimes.recorded, rng.gamma(1.4, 55.0, len(crimes)), rng)
    return outcome, np.where(outcome == 0, np.datetime64("NaT"), dated).astype("datetime64[D]")


def _first_rows(group: IntArray, n_groups: int) -> IntArray:
    """A row of each group (its first)."""
    first = np.zeros(n_groups, dtype=np.int64)
    first[group[::-1]] = np.arange(group.size)[::-1]
    return first


def _arrests(
    crimes: Crimes, outcome: IntArray, outcome_date: DateArray, known: BoolArray, rng: np.random.Generator
) -> tuple[BoolArray, DateArray]:
    """Arrest quotas per family and DA flag, favouring charged outcomes; never without a suspect."""
    family = _FAMILY[crimes.code]
    group, n_groups = group_codes(family, crimes.domestic)
    rate = np.zeros((n_groups, 2))
    for g, row in enumerate(_first_rows(group, n_groups)):
        name, da = _FAMILIES[int(family[row])], bool(crimes.domestic[row])
        r = cal.ARREST_RATE[da] if name == "stalking" else shares.ARREST_RATE_OTHER[name][da]
        rate[g] = (r, 1.0 - r)
    arrest = assign_shares(group, rate, rng, _ARREST_WEIGHT[outcome] * known) == 0
    same_day = rng.random(len(crimes)) < 0.4
    lag = np.where(same_day, 0.0, rng.exponential(6.0, len(crimes)))
    date = _lagged(crimes.recorded - np.timedelta64(1, "D"), lag, rng)
    date = np.where(np.isnat(outcome_date), date, np.minimum(date, outcome_date))
    return arrest, np.where(arrest, date, np.datetime64("NaT")).astype("datetime64[D]")


def _risk(crimes: Crimes, arrest: BoolArray, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Risk form (index into RISK_FORMS) and level (-1 when no form), as exact quotas."""
    forms = ("none", "DASH", "S-DASH", "DARA")
    stalking = crimes.stalking
    group, n_groups = group_codes(stalking, crimes.domestic)
    table = np.zeros((n_groups, len(forms)))
    for g, row in enumerate(_first_rows(group, n_groups)):
        da = bool(crimes.domestic[row])
        none = (cal.NO_RISK_ASSESSMENT_SHARE if stalking[row] else shares.NO_RISK_ASSESSMENT_OTHER)[da]
        table[g] = [none] + [(1.0 - none) * shares.RISK_FORMS[da][f] for f in forms[1:]]
    form = assign_shares(group, table, rng)
    assessed = np.flatnonzero(form > 0)
    levels = np.asarray([shares.RISK_LEVELS[False][::-1], shares.RISK_LEVELS[True][::-1]])
    da_assessed = crimes.domestic[assessed].astype(np.int64)
    high_first = assign_shares(da_assessed, levels, rng, np.where(arrest[assessed], 2.5, 1.0))
    level = np.full(len(crimes), -1, dtype=np.int64)
    level[assessed] = 2 - high_first
    lookup = np.asarray([RISK_FORMS.index(f) for f in forms], dtype=np.int64)
    return lookup[form], level


def _units(crimes: Crimes, level: IntArray, rng: np.random.Generator) -> IntArray:
    """Allocated unit by DA flag and high risk (seed page 4)."""
    high = level == 2
    group = crimes.domestic.astype(np.int64) * 2 + high
    table = np.zeros((4, len(UNIT_NAMES)))
    for (da, is_high), mix in shares.UNITS.items():
        for unit, share in mix.items():
            table[int(da) * 2 + int(is_high), UNIT_NAMES.index(unit)] = share
    return assign_shares(group, table, rng)


def assign_handling(
    crimes: Crimes, relationship: IntArray, seed_districts: bool, rng: np.random.Generator
) -> Handling:
    """Outcomes, arrests, risk assessments and units for every crime.

    Examples
    --------
    >>> from stalking_profile.synth.volumes import base_cells, expand_cells
    >>> rng = np.random.default_rng(0)
    >>> crimes = expand_cells(base_cells(), rng)
    >>> h = assign_handling(crimes, np.zeros(len(crimes), dtype=np.int64), True, rng)
    >>> round(float(h.arrest[crimes.stalking & crimes.domestic].mean()), 2)
    0.21
    """
    outcome, outcome_date = assign_outcomes(crimes, relationship, seed_districts, rng)
    known = ~np.isin(outcome, _NO_SUSPECT) & (relationship != _UNKNOWN)
    arrest, arrest_date = _arrests(crimes, outcome, outcome_date, known, rng)
    form, level = _risk(crimes, arrest, rng)
    return Handling(
        outcome=outcome,
        outcome_date=outcome_date,
        suspect_known=known,
        arrest=arrest,
        arrest_date=arrest_date,
        risk_form=form,
        risk_level=level,
        unit=_units(crimes, level, rng),
    )
