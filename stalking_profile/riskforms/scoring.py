"""Scoring one completed risk form: yes count against a threshold, and the stalking check.

Two rules, kept apart:

- **Visible high risk.** SafeLives' guidance is that 14 or more "yes" answers means visible high
  risk (a MARAC referral). SafeLives defines it for its own 24-question Dash; the tool applies it
  to the police's 27-question DASH by default, and the threshold is configurable. Professional
  judgement may refer below it but never downgrades a count at or above it. S-DASH has no
  published cut-off and DARA's questions are not public, so neither gets one by default.
- **Stalking must be recorded.** The seed report's rule: any "yes" to a stalking question (DASH Q8,
  every S-DASH question) means a stalking crime must be recorded. A form that says so, linked to a
  crime whose offence code is not in the stalking family (8Q by default), is flagged.

Answers are ``True`` (yes), ``False`` (no), ``None`` (not answered) or the import's codes
(``"Y"``, ``"N"``, ``"DK"`` for don't know, counted like not answered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stalking_profile.metrics.config import load_config
from stalking_profile.riskforms.checklists import Checklists, load_checklists

__all__ = ["ANSWER_CODES", "Answer", "FormScore", "join_questions", "not_recorded_reason", "score_form"]

#: Spellings of an answer (upper case) and the code stored for each: Y, N or DK (don't know).
ANSWER_CODES: dict[str, str] = {
    "Y": "Y", "YES": "Y", "1": "Y", "TRUE": "Y", "T": "Y",
    "N": "N", "NO": "N", "0": "N", "FALSE": "N", "F": "N",
    "DK": "DK", "DON'T KNOW": "DK", "DONT KNOW": "DK", "NOT KNOWN": "DK", "UNKNOWN": "DK",
}  # fmt: skip

Answer = bool | str | None


@dataclass(frozen=True)
class FormScore:
    """The counts and checks of one form.

    ``unknown`` counts the checklist's questions not answered yes or no (blank or don't know);
    for a form with no question list (DARA) it counts the don't-know answers, as the store does.
    ``visible_high_risk`` is None when no threshold applies (S-DASH by default, DARA always).
    """

    form_type: str
    questions: int
    yes_count: int
    no_count: int
    unknown: int
    threshold: int | None
    visible_high_risk: bool | None
    high_risk_yes: tuple[int, ...]
    stalking_yes: tuple[int, ...]
    offence_code: str | None
    stalking_not_recorded: bool
    reason: str

    @property
    def answered(self) -> int:
        """Questions answered yes or no."""
        return self.yes_count + self.no_count

    @property
    def stalking_indicated(self) -> bool:
        """Whether any stalking question was answered yes."""
        return bool(self.stalking_yes)


def join_questions(numbers: Sequence[int]) -> str:
    """Question numbers as text: ``Q8``, ``Q4 and Q5``, ``Q1, Q4 and Q5``.

    Examples
    --------
    >>> join_questions([4, 5]), join_questions([1, 4, 5])
    ('Q4 and Q5', 'Q1, Q4 and Q5')
    """
    names = [f"Q{n}" for n in numbers]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def not_recorded_reason(form_type: str, stalking_yes: Sequence[int], offence_code: str,
                        stalking_codes: Sequence[str]) -> str:
    """Why a form's crime is flagged: which stalking questions were answered yes, and the code.

    Examples
    --------
    >>> not_recorded_reason("S-DASH", [4, 5], "8L", ["8Q"])
    'S-DASH Q4 and Q5 answered yes but the crime is coded 8L, not stalking (8Q)'
    """
    return (f"{form_type} {join_questions(stalking_yes)} answered yes but the crime is coded {offence_code}, "
            f"not stalking ({', '.join(stalking_codes)})")


def _code(value: Answer, number: int) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else ("Y" if value else "N")
    text = value.strip().upper()
    if not text:
        return None
    if text not in ANSWER_CODES:
        raise ValueError(f"answer to Q{number} is {value!r}: use Y, N, DK (don't know) or blank")
    return ANSWER_CODES[text]


def _codes(answers: Mapping[int, Answer] | Sequence[Answer], size: int, form_type: str) -> dict[int, str | None]:
    pairs = answers.items() if isinstance(answers, Mapping) else enumerate(answers, start=1)
    codes = {int(n): _code(v, int(n)) for n, v in pairs}
    beyond = [n for n, c in codes.items() if c is not None and (n < 1 or (size and n > size))]
    if beyond:
        raise ValueError(f"{form_type} has {size} questions but Q{beyond[0]} is answered")
    return codes


def score_form(
    form_type: str,
    answers: Mapping[int, Answer] | Sequence[Answer],
    offence_code: str | None = None,
    *,
    threshold: int | None = None,
    checklists: Checklists | None = None,
    stalking_codes: Sequence[str] | None = None,
) -> FormScore:
    """Score one form: yes/no/unknown counts, visible high risk, and the stalking check.

    Parameters
    ----------
    form_type : str
        DASH, S-DASH or DARA (any accepted spelling, e.g. ``sdash``).
    answers : mapping or sequence
        Question number -> answer, or answers in question order (the first is Q1).
    offence_code : str, optional
        The linked crime's Home Office code. Without it the stalking check cannot flag.
    threshold : int, optional
        Yes answers meaning visible high risk; default the checklist's (14 for DASH, none for
        S-DASH). Applies to scored forms only.
    checklists, stalking_codes : optional
        Default: the shipped (or ``$STALKING_PROFILE_RISK_FORMS``) checklists and the profile
        configuration's ``stalking`` family.

    Examples
    --------
    >>> s = score_form("DASH", [True] * 13 + [False] * 14)
    >>> s.yes_count, s.answered, s.unknown, s.visible_high_risk
    (13, 27, 0, False)
    >>> score_form("DASH", [True] * 14).visible_high_risk
    True
    >>> s = score_form("s-dash", {4: "Y", 5: "yes", 6: "N"}, offence_code="8L")
    >>> s.stalking_not_recorded, s.reason
    (True, 'S-DASH Q4 and Q5 answered yes but the crime is coded 8L, not stalking (8Q)')
    >>> score_form("S-DASH", {4: "Y"}, offence_code="8Q").stalking_not_recorded
    False
    """
    checklist = (checklists or load_checklists()).get(form_type)
    if threshold is not None and threshold < 1:
        raise ValueError(f"threshold {threshold} is not a positive count of yes answers")
    size = len(checklist.questions)
    codes = _codes(answers, size, checklist.form_type)
    yes = sorted(n for n, c in codes.items() if c == "Y")
    no_count = sum(1 for c in codes.values() if c == "N")
    unknown = size - len(yes) - no_count if size else sum(1 for c in codes.values() if c == "DK")
    limit = (threshold or checklist.threshold) if checklist.scored else None
    by_number = {q.number: q for q in checklist.questions}
    stalking_yes = tuple(n for n in yes if n in by_number and by_number[n].stalking)
    high_risk_yes = tuple(n for n in yes if n in by_number and by_number[n].high_risk)
    codes_8q = tuple(stalking_codes) if stalking_codes is not None else load_config().family("stalking")
    code = offence_code.strip().upper() if offence_code else None
    flagged = bool(stalking_yes) and code is not None and code not in codes_8q
    reason = not_recorded_reason(checklist.form_type, stalking_yes, code, codes_8q) if flagged and code else ""
    return FormScore(checklist.form_type, size, len(yes), no_count, unknown, limit,
                     None if limit is None else len(yes) >= limit, high_risk_yes, stalking_yes, code, flagged, reason)
