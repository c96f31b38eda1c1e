"""The summary page's key findings, chosen from the section sentences of :mod:`.narrative`.

Like every sentence of the report, a finding is written only from figures the profile shows.
"""

from __future__ import annotations

from collections.abc import Callable

from stalking_profile.metrics.profile import Profile
from stalking_profile.reporting.narrative import (
    BREAK_NOTE,
    arrest_sentence,
    assessment_sentence,
    charged_sentence,
    cyber_sentences,
    domestic_share,
    family_name,
    find_row,
    movement,
    previous_state,
    sex_sentence,
    sex_share,
    table_rows,
    units_phrase,
)
from stalking_profile.reporting.phrases import count, counts_of, during, join

__all__ = ["key_findings"]


def _headline(profile: Profile) -> str | None:
    rows = table_rows(profile, "volumes")
    whole = find_row(rows, district="Force", domestic="All")
    sentence = movement(profile, whole, f"Recorded {family_name(profile)}", window=True)
    if sentence is None:
        total = counts_of(whole, "current") if previous_state(profile)[0] == "none" else None
        return f"The force recorded {count(total[0], family_name(profile) + ' crime')} {during(profile.period)}." \
            if total else None
    caveats = []
    breaks = [m.group(1).partition(": ")[0] for m in map(BREAK_NOTE.fullmatch, profile.notes) if m]
    if breaks:
        caveats.append(f"the recording-rule change of {join(breaks)} falls within the compared periods")
    if previous_state(profile)[0] == "partial":
        caveats.append("the data cover only part of the comparison period")
    if caveats:
        sentence = f"{sentence[:-1]}; {' and '.join(caveats)}, so the two periods are not like-for-like."
    return sentence


def _domestic_finding(profile: Profile) -> str | None:
    rows = table_rows(profile, "volumes")
    share = domestic_share(profile, rows)
    row = find_row(rows, district="Force", domestic="Non-Domestic")
    other = movement(profile, row, f"non-domestic {family_name(profile)}")
    if share and other:
        return f"{share[:-1]}; {other}"
    return share


def _cumulative_finding(profile: Profile) -> str | None:
    row = find_row(table_rows(profile, "cumulative_risk"), district="Force", domestic="All")
    figures = counts_of(row, "high", "high_non_specialist", "high_no_assessment")
    if not figures or not figures[0]:
        return None
    high, held, missing = figures
    units = units_phrase(profile)
    parts = [] if units is None else [f"{held:,} {'is' if held == 1 else 'are'} held by non-specialist units{units}"]
    parts.append(f"{missing:,} {'has' if missing == 1 else 'have'} no risk assessment recorded")
    return f"Of the {count(high, 'crime')} in the high cumulative-risk band, {join(parts)}."


def _cyber_finding(profile: Profile) -> str | None:
    sentences = cyber_sentences(profile)
    return sentences[0] if sentences else None


def _people_finding(profile: Profile) -> str | None:
    victim, suspect = sex_share(profile, "victim"), sex_share(profile, "suspect")
    if victim and suspect:
        return (f"The victim was {victim[0]} in {victim[1]} of {family_name(profile)} crimes, and the suspect "
                f"{suspect[0]} in {suspect[1]}.")
    return sex_sentence(profile, "victim") or sex_sentence(profile, "suspect")


def key_findings(profile: Profile) -> list[str]:
    """Up to eight one-sentence findings for the summary page, most important first: the change
    in recorded crimes, the domestic share, risk assessment, cumulative risk (internal), arrests,
    charges, the cyber-enabled share, and victims' and suspects' sex.

    Returns
    -------
    list of str
        Findings; fewer when figures are missing or suppressed. Observed rates leave out their
        intervals here (the sections give them); the corrected cyber-enabled share, an estimate,
        keeps its interval.
    """
    builders: list[Callable[[Profile], str | None]] = [
        _headline, _domestic_finding, lambda p: assessment_sentence(p, ci=False), _cumulative_finding,
        lambda p: arrest_sentence(p, ci=False), lambda p: charged_sentence(p, ci=False), _cyber_finding,
        _people_finding,
    ]
    return [s for s in (b(profile) for b in builders) if s][:8]

