"""The report's sentences, generated from the profile's tables.

Each section function takes a :class:`~stalking_profile.metrics.profile.Profile` and returns a
list of finished sentences; :func:`key_findings` picks the summary page's. A sentence is written
only from figures the profile shows: a cell that is missing (``None``), suppressed by disclosure
control (``<5``, ``[c]``) or in a table the profile lacks gives no sentence, so a partner or
public profile's narrative never quotes or implies a hidden figure. Changes are tested: a
sentence about a change carries its p-value unless the comparison window is not fully covered
by the data. Phrases (counts, percentages, changes) come from :mod:`.phrases`.

Examples
--------
>>> import datetime as dt
>>> import pyarrow as pa
>>> from stalking_profile.metrics.periods import Period
>>> window = Period(dt.date(2020, 10, 1), dt.date(2021, 9, 30))
>>> volumes = pa.table({"district": ["Force"], "domestic": ["All"], "current": [6129], "previous": [3286],
...                     "change_pct": [86.5], "change_p_value": [2.8e-193]})
>>> profile = Profile(window, window.previous(), "stalking", ("8Q",), 1, {"volumes": volumes})
>>> recorded_sentences(profile)  # doctest: +NORMALIZE_WHITESPACE
['Recorded stalking rose by 86.5% (from 3,286 to 6,129) in the 12 months to September 2021 compared with the
  12 months before, a statistically significant change (p < 0.001).']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from stalking_profile.metrics.config import BLANK_GROUP
from stalking_profile.metrics.periods import shift_months
from stalking_profile.metrics.profile import Profile
from stalking_profile.metrics.stats import pct
from stalking_profile.reporting.phrases import (
    Row,
    before,
    change,
    count,
    counts_of,
    during,
    extreme,
    figure,
    join,
    long_date,
    marked,
    percent,
    rate,
    rate_in,
    shown,
    significance,
)

__all__ = ["BREAK_NOTE", "arrest_sentence", "assessment_sentence", "charged_sentence", "cyber_sentences",
           "demographic_sentences", "domestic_share", "family_name", "find_row", "handling_sentences", "movement",
           "online_sentences", "outcome_sentences", "previous_state", "recorded_sentences", "sex_sentence",
           "sex_share", "table_rows", "units_phrase"]

BREAK_NOTE = re.compile(r"Recording-rule change inside the compared windows: (.+)\. Changes across it are not "
                    r"like-for-like\.")
_STARTS = re.compile(r"The store starts on (\d{4}-\d{2}-\d{2}): the previous window (has no data|is only partly)")
_ENDS = re.compile(r"The store ends on (\d{4}-\d{2}-\d{2}): the window runs")
_AGES = {"60+": "60 and over"}


# --- reading tables --------------------------------------------------------------------------------------------


def table_rows(profile: Profile, name: str) -> list[Row]:
    table = profile.tables.get(name)
    return [] if table is None else table.to_pylist()


def find_row(rows: list[Row], **match: Any) -> Row | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


# --- the window -----------------------------------------------------------------------------------------------


def family_name(profile: Profile) -> str:
    return profile.family.replace("_", " ")


def previous_state(profile: Profile) -> tuple[str, dt.date | None]:
    """``full``, ``partial`` or ``none``: how far the data cover the comparison window."""
    for note in profile.notes:
        match = _STARTS.match(note)
        if match:
            return ("none" if match.group(2) == "has no data" else "partial"), dt.date.fromisoformat(match.group(1))
    return "full", None


# --- 1. recorded crimes ---------------------------------------------------------------------------------------


def movement(profile: Profile, row: Row | None, subject: str, window: bool = False) -> str | None:
    counts = counts_of(row, "current", "previous")
    state = previous_state(profile)[0]
    if row is None or counts is None or state == "none" or marked(row, "change_pct"):
        return None
    current, previous = counts
    text = f"{subject} {change(current, previous)}"
    if window:
        text += f" {during(profile.period)} compared with {before(profile.period)}"
    p = figure(row, "change_p_value")
    if state == "full" and p is not None and 0 <= p <= 1 and current != previous:
        text += f", {significance(p)}"
    return text + "."


def domestic_share(profile: Profile, rows: list[Row]) -> str | None:
    total = counts_of(find_row(rows, district="Force", domestic="All"), "current")
    domestic = counts_of(find_row(rows, district="Force", domestic="Domestic"), "current")
    if not total or not domestic or total[0] == 0:
        return None
    return f"Crimes flagged as domestic abuse made up {rate(domestic[0], total[0])} of recorded {family_name(profile)}."


def _districts(profile: Profile, rows: list[Row], names: Mapping[str, str] | None) -> str | None:
    cells = {r["district"]: r.get("current") for r in rows if r.get("domestic") == "All" and r["district"] != "Force"}
    most, fewest = (extreme(cells, True), extreme(cells, False)) if len(cells) > 1 else (None, None)
    if most is None:
        return None
    total = counts_of(find_row(rows, district="Force", domestic="All"), "current")

    def label(keys: list[str]) -> str:
        return join([f"{names[k]} ({k})" if names and k in names else k for k in keys])

    def figures(keys: list[str], n: int, whole: str) -> str:
        share = f", {percent(pct(n, total[0]) or 0.0)}{whole}" if total and total[0] and n else ""
        return f"({n:,}{' each' if len(keys) > 1 else ''}{share})"

    if fewest is not None and fewest[1] == most[1]:
        return f"Each district recorded {count(most[1], family_name(profile) + ' crime')}."
    text = f"{label(most[0])} recorded the most {family_name(profile)} crimes {figures(*most, ' of the force total')}"
    if fewest is not None:
        least = f"the fewest {figures(*fewest, '')}" if fewest[1] else "recorded none"
        text += f" and {label(fewest[0])} {least}"
    return text + "."


def _break_sentences(profile: Profile) -> list[str]:
    out = []
    for note in profile.notes:
        match = BREAK_NOTE.fullmatch(note)
        if match:
            when, sep, what = match.group(1).partition(": ")
            rule = f"in {when} falls inside the compared periods ({what})" if sep else \
                f"falls inside the compared periods ({match.group(1)})"
            out.append(f"A recording-rule change {rule}, so the change between them is not like-for-like.")
    return out


def _across_breaks(profile: Profile) -> list[str]:
    """The 12-month rolling total just before each recording break in the compared windows,
    against the first 12 months wholly after it."""
    rows = table_rows(profile, "rolling_12m")
    by_month = {r.get("month"): r for r in rows}
    out = []
    for r in rows:
        start = dt.date.fromisoformat(f"{r.get('month')}-01") if r.get("recording_break") else None
        if start is None or not profile.previous.start < start <= profile.period.end:
            continue
        before, after = shift_months(start, -1), shift_months(start, 11)
        old = counts_of(by_month.get(f"{before:%Y-%m}"), "all")
        new = counts_of(by_month.get(f"{after:%Y-%m}"), "all")
        if not old or not new or old[0] == 0:
            continue
        brk = str(r["recording_break"])
        when = brk.partition(": ")[0] if ": " in brk else f"{start:%B %Y}"
        out.append(f"Across the {when} change, the 12-month rolling total of {family_name(profile)} crimes "
                   f"{change(new[0], old[0], figures=False)} (from {old[0]:,} in the 12 months to {before:%B %Y} "
                   f"to {new[0]:,} in the 12 months to {after:%B %Y}); that comparison mixes the effect of the new "
                   "rule with any real change.")
    return out


def _coverage_sentences(profile: Profile) -> list[str]:
    out = []
    state, start = previous_state(profile)
    prev = f"the comparison period ({long_date(profile.previous.start)} to {long_date(profile.previous.end)})"
    if state == "none" and start is not None:
        out.append(f"The data start on {long_date(start)}, after {prev}, so no change is given.")
    elif state == "partial" and start is not None:
        out.append(f"The data start on {long_date(start)}, part-way through {prev}, so its count is incomplete: the "
                   "change is not like-for-like and is not tested for significance.")
    for note in profile.notes:
        match = _ENDS.match(note)
        if match:
            end = dt.date.fromisoformat(match.group(1))
            out.append(f"The data end on {long_date(end)}, before the period ends, so its counts are incomplete.")
    return out


def recorded_sentences(profile: Profile, names: Mapping[str, str] | None = None) -> list[str]:
    """Recorded crimes of the profile's offence family: all, domestic and non-domestic, each with
    its change on the window before and that change's significance; the domestic share; the
    recording-rule changes inside the compared windows; the districts with most and fewest.

    Parameters
    ----------
    profile : Profile
        The built profile (internal, partner or public).
    names : mapping, optional
        District names by code, to write "Leeds (LD)" rather than "LD".

    Returns
    -------
    list of str
        Sentences, empty when the ``volumes`` table is absent or shows nothing.
    """
    rows = table_rows(profile, "volumes")
    family = family_name(profile)
    force = {d: find_row(rows, district="Force", domestic=d) for d in ("All", "Domestic", "Non-Domestic")}
    out: list[str | None] = []
    total = counts_of(force["All"], "current")
    if previous_state(profile)[0] == "none" and total:
        out.append(f"The force recorded {count(total[0], family + ' crime')} {during(profile.period)}.")
    out += [movement(profile, force["All"], f"Recorded {family}", window=True), domestic_share(profile, rows),
            movement(profile, force["Domestic"], f"Domestic {family}"),
            movement(profile, force["Non-Domestic"], f"Non-domestic {family}")]
    if rows:
        out += [*_break_sentences(profile), *_across_breaks(profile)]
    out += [_districts(profile, rows, names), *(_coverage_sentences(profile) if rows else [])]
    return [s for s in out if s]


# --- 2. handling ----------------------------------------------------------------------------------------------


def _pair(profile: Profile, lead: str, phrase: Callable[[Row | None], str | None], rows: list[Row],
          **where: Any) -> str | None:
    """``lead`` with the domestic and non-domestic force-wide phrases (either alone if the other is hidden)."""
    family = family_name(profile)
    domestic = phrase(find_row(rows, domestic="Domestic", **where))
    other = phrase(find_row(rows, domestic="Non-Domestic", **where))
    if domestic and other:
        return f"{lead} {domestic} of domestic {family} crimes and {other} of non-domestic ones."
    if domestic or other:
        return f"{lead} {domestic or other} of {'domestic' if domestic else 'non-domestic'} {family} crimes."
    return None


def arrest_sentence(profile: Profile, ci: bool = True) -> str | None:
    bounds = ("ci_low", "ci_high") if ci else None
    return _pair(profile, "An arrest was recorded for", lambda r: rate_in(r, "arrested", bounds=bounds),
                 table_rows(profile, "arrests"), district="Force")


def assessment_sentence(profile: Profile, ci: bool = True) -> str | None:
    bounds = ("ci_low", "ci_high") if ci else None
    return _pair(profile, "A risk assessment (DASH, DARA or S-DASH) was recorded for",
                 lambda r: rate_in(r, "assessed", bounds=bounds), table_rows(profile, "risk_assessment"),
                 district="Force")


def units_phrase(profile: Profile) -> str | None:
    """" (patrol and ...)" naming the non-specialist units; ``None`` when the extract records no units."""
    rows = table_rows(profile, "allocation")
    if rows and all(r.get("allocated_unit") in (None, "not recorded") for r in rows):
        return None
    units = sorted({str(r["allocated_unit"]) for r in rows if r.get("non_specialist") is True})
    return f" ({join(units)})" if units else ""


def _cumulative_sentences(profile: Profile) -> list[str]:
    rows = table_rows(profile, "cumulative_risk")
    whole = find_row(rows, district="Force", domestic="All")
    other = find_row(rows, district="Force", domestic="Non-Domestic")
    base = counts_of(whole, "crimes", "high")
    if base is None or base[0] == 0:
        return []
    crimes, high = base
    family = family_name(profile)
    out = [f"When each crime is scored on the histories of its victim, suspect and victim-suspect pair across all "
           f"offences, {rate(high, crimes)} of {family} crimes fall in the high cumulative-risk band."]
    above = counts_of(whole, "above_recorded")
    if above:
        out.append(f"The cumulative-risk band is above the recorded risk level for {rate(above[0], crimes)} of "
                   f"{family} crimes.")
    held, units = counts_of(whole, "high_non_specialist"), units_phrase(profile)
    if held and high and units is not None:
        text = (f"Non-specialist units{units} hold {held[0]:,} of the {count(high, 'high-band crime')}" if held[0]
                else "No high-band crime is held by a non-specialist unit")
        split = counts_of(other, "high", "high_non_specialist")
        if held[0] and split and split[0]:
            text += f", including {split[1]:,} of the {count(split[0], 'high-band non-domestic crime')}"
        out.append(text + ".")
    missing = counts_of(whole, "high_no_assessment")
    if missing and high:
        out.append(f"No risk assessment is recorded for {missing[0]:,} of the {count(high, 'high-band crime')}."
                   if missing[0] else "A risk assessment is recorded for every high-band crime.")
    return out


def handling_sentences(profile: Profile) -> list[str]:
    """Arrest and risk-assessment rates, domestic against non-domestic, with 95% intervals; and,
    for an internal profile, cumulative risk: the high-band share, high-band crimes held by
    non-specialist units and those with no risk assessment.

    Returns
    -------
    list of str
        Sentences, empty when the tables are absent or every figure is suppressed.
    """
    out = [arrest_sentence(profile), assessment_sentence(profile)]
    return [s for s in out if s] + _cumulative_sentences(profile)


# --- 3. online offending, victims and suspects ----------------------------------------------------------------


def cyber_sentences(profile: Profile) -> list[str]:
    """The recorded cyber-enabled flag rate against the corrected share (flag or technology in
    the MO text), with its interval; crimes showing technology without the flag; MO coverage.

    Returns
    -------
    list of str
        Sentences from the force-wide row of the ``cyber`` table; empty when it is absent.
    """
    row = find_row(table_rows(profile, "cyber"), district="Force", domestic="All")
    family = family_name(profile)
    crimes = counts_of(row, "crimes")
    if row is None or not crimes or crimes[0] == 0:
        return []
    flag = rate_in(row, "flagged", share="flag_rate_pct", bounds=None)
    with_mo = counts_of(row, "with_mo")
    neither = counts_of(row, "neither")
    corrected = None
    if with_mo and with_mo[0] and neither and shown(row.get("corrected_pct")) is not None:
        low, high = figure(row, "corrected_ci_low"), figure(row, "corrected_ci_high")
        corrected = rate(crimes[0] - neither[0], crimes[0], (low, high) if low is not None and high is not None
                         else None)
    out = []
    if flag and corrected:
        out.append(f"The cyber-enabled flag is recorded on {flag} of {family} crimes; counting crimes whose MO text "
                   f"shows the use of technology as well gives a corrected share of {corrected}.")
    elif flag or corrected:
        out.append(f"The cyber-enabled flag is recorded on {flag} of {family} crimes." if flag else
                   f"Counting crimes flagged as cyber-enabled or whose MO text shows the use of technology, "
                   f"{corrected} of {family} crimes are cyber-enabled.")
    unflagged = counts_of(row, "detected_only")
    if unflagged and unflagged[0] and with_mo and with_mo[0]:
        out.append(f"The MO text shows the use of technology in {count(unflagged[0], 'crime')} that "
                   f"{'carries' if unflagged[0] == 1 else 'carry'} no cyber-enabled flag.")
    if with_mo and with_mo[0] < crimes[0]:
        out.append(f"The MO text is recorded for {rate(with_mo[0], crimes[0])} of {family} crimes; technology can "
                   "be detected only in those." if with_mo[0] else
                   "No MO text is recorded, so no corrected cyber-enabled share is given.")
    return out


def _people(profile: Profile, role: str, dimension: str) -> dict[str, Row]:
    return {str(r["category"]): r for r in table_rows(profile, f"demographics_{role}s")
            if (r.get("basis"), r.get("domestic"), r.get("cyber"), r.get("dimension"))
            == ("crimes", "All", "All", dimension)}


def _unknown_age(profile: Profile, role: str) -> str:
    table = profile.tables.get(f"demographics_{role}s")
    meta = table.schema.metadata if table is not None else None
    return str((meta or {}).get(b"unknown_age", b"unknown").decode())


def _share(row: Row) -> str | None:
    return rate_in(row, "count", base="base", share="pct", bounds=None)


def sex_share(profile: Profile, role: str) -> tuple[str, str] | None:
    """The most frequent recorded sex (a tie gives none) and its share of crimes."""
    cells = {k: r for k, r in _people(profile, role, "sex").items() if k != "unknown"}
    top = extreme({k: r.get("count") for k, r in cells.items()}, True)
    if top is None or len(top[0]) != 1 or top[1] == 0:
        return None
    share = _share(cells[top[0][0]])
    return (top[0][0], share) if share else None


def sex_sentence(profile: Profile, role: str) -> str | None:
    found = sex_share(profile, role)
    return f"The {role} was {found[0]} in {found[1]} of {family_name(profile)} crimes." if found else None


def _age_sentence(profile: Profile, role: str) -> str | None:
    unknown = _unknown_age(profile, role)
    everything = _people(profile, role, "age_band")
    cells = {k: r for k, r in everything.items() if k != unknown}
    top = extreme({k: r.get("count") for k, r in cells.items()}, True)
    if top is None or top[1] == 0:
        return None
    share = _share(cells[top[0][0]])
    if share is None:
        return None
    groups = join([_AGES.get(k, k) for k in top[0]])
    plural = len(top[0]) > 1
    text = (f"The largest {role} age group{'s were' if plural else ' was'} {groups}, at {share} of "
            f"{family_name(profile)} crimes{' each' if plural else ''}")
    missing = _share(everything[unknown]) if unknown in everything else None
    if missing and counts_of(everything[unknown], "count") != (0,):
        text += f"; the {role}'s age is unknown for {missing}"
    return text + "."


def demographic_sentences(profile: Profile) -> list[str]:
    """For victims and then suspects (each crime counted once): the largest sex category's share
    and the largest age group, with the share of unknown age.

    Returns
    -------
    list of str
        Sentences from the ``demographics_victims`` and ``demographics_suspects`` tables (basis
        ``crimes``, all crimes); a figure that is suppressed, or a largest group that a suppressed
        count could overtake, gives none.
    """
    out = [f(profile, role) for role in ("victim", "suspect") for f in (sex_sentence, _age_sentence)]
    return [s for s in out if s]


def online_sentences(profile: Profile) -> list[str]:
    """Online offending and the people involved: :func:`cyber_sentences` then
    :func:`demographic_sentences`.

    Returns
    -------
    list of str
        The two lists, joined.
    """
    return cyber_sentences(profile) + demographic_sentences(profile)


# --- 4. outcomes ----------------------------------------------------------------------------------------------


def _group(rows: list[Row], test: Callable[[str], bool]) -> str | None:
    return next((str(r["group"]) for r in rows if isinstance(r.get("group"), str) and test(r["group"])), None)


def _outcome_sentence(profile: Profile, rows: list[Row], group: str | None, lead: str, ci: bool) -> str | None:
    if group is None:
        return None
    bounds = ("ci_low", "ci_high") if ci else None
    return _pair(profile, lead, lambda r: rate_in(r, "count", share="pct", bounds=bounds), rows, group=group)


def charged_sentence(profile: Profile, ci: bool = True) -> str | None:
    rows = table_rows(profile, "outcome_groups")
    group = _group(rows, lambda g: g.lower().startswith("charged"))
    lead = f"The outcome was {group[0].lower()}{group[1:]} for" if group else ""
    return _outcome_sentence(profile, rows, group, lead, ci)


def outcome_sentences(profile: Profile) -> list[str]:
    """The charged/summonsed share (with its interval), the share where the victim did not
    support action (outcome 16), and the share with no outcome yet, domestic against non-domestic.

    Returns
    -------
    list of str
        Sentences from the ``outcome_groups`` table; a group the configuration lacks, or whose
        figures are suppressed, gives none.
    """
    rows = table_rows(profile, "outcome_groups")
    out = [charged_sentence(profile),
           _outcome_sentence(profile, rows, _group(rows, lambda g: g == "Victim does not support (16)"),
                             "The victim did not support further action (outcome 16) for", ci=True),
           _outcome_sentence(profile, rows, _group(rows, lambda g: g == BLANK_GROUP),
                             "When the data were extracted, no outcome had yet been assigned to", ci=False)]
    return [s for s in out if s]
