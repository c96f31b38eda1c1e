"""The risk-form checklists as data: DASH, S-DASH and DARA, their questions and markers.

The shipped checklists live in ``data/risk_forms.toml`` (question texts in our own words; the
file says which numbers and markers are confirmed). ``$STALKING_PROFILE_RISK_FORMS`` or a
``path`` names another file, for a force that numbers its DASH differently or has DARA's list.
A bad file raises :class:`~stalking_profile.errors.ConfigError` naming the problem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["CHECKLISTS_ENV", "Checklist", "Checklists", "Question", "load_checklists", "parse_checklists"]

CHECKLISTS_ENV = "STALKING_PROFILE_RISK_FORMS"


def _key(name: str) -> str:
    """A form-type spelling compared in upper case without punctuation: ``s-dash`` -> ``SDASH``."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())


@dataclass(frozen=True)
class Question:
    """One question of a checklist."""

    number: int
    topic: str
    text: str
    high_risk: bool
    stalking: bool


@dataclass(frozen=True)
class Checklist:
    """A form type and its questions.

    ``scored`` forms have their yes answers counted; ``threshold`` (if any) is the default
    count of yes answers that means visible high risk.
    """

    form_type: str
    name: str
    scored: bool
    questions: tuple[Question, ...]
    synonyms: tuple[str, ...] = ()
    threshold: int | None = None
    threshold_note: str = ""

    @property
    def stalking_questions(self) -> tuple[int, ...]:
        """The numbers of the stalking questions."""
        return tuple(q.number for q in self.questions if q.stalking)

    def question(self, number: int) -> Question:
        """The question numbered ``number``."""
        for q in self.questions:
            if q.number == number:
                return q
        raise KeyError(f"{self.form_type} has no question {number}")


@dataclass(frozen=True)
class Checklists:
    """Every known form type, by its canonical name, plus the file they came from.

    Examples
    --------
    >>> c = load_checklists()
    >>> [(t, len(c.forms[t].questions)) for t in c.types]
    [('DASH', 27), ('S-DASH', 11), ('DARA', 0)]
    >>> c.resolve("sdash"), c.resolve("Stalking screening tool"), c.resolve("ODARA")
    ('S-DASH', 'S-DASH', None)
    """

    forms: dict[str, Checklist]
    source: str

    @property
    def types(self) -> tuple[str, ...]:
        """The canonical form types, in file order."""
        return tuple(self.forms)

    def spellings(self) -> dict[str, str]:
        """Every accepted spelling, upper case without punctuation, and its canonical form type."""
        return {_key(s): f.form_type for f in self.forms.values() for s in (f.form_type, *f.synonyms)}

    def resolve(self, name: str) -> str | None:
        """The canonical form type of a spelling (case and punctuation ignored), or None."""
        return self.spellings().get(_key(name))

    def get(self, name: str) -> Checklist:
        """The checklist of a form type (any accepted spelling); ConfigError if unknown."""
        form_type = self.resolve(name)
        if form_type is None:
            raise ConfigError(f"unknown form type '{name}'", f"use one of: {', '.join(self.types)}")
        return self.forms[form_type]


def _question(raw: Any, where: str) -> Question:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table", "write each question as [[forms.questions]] with its keys")
    missing = [k for k in ("number", "topic", "text", "high_risk", "stalking") if k not in raw]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)}",
                          "give every question number, topic, text, high_risk and stalking")
    number, topic, text = raw["number"], raw["topic"], raw["text"]
    if not isinstance(number, int) or isinstance(number, bool):
        raise ConfigError(f"{where}: number {number!r} is not a whole number", "number questions 1, 2, 3, ...")
    if not isinstance(topic, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", topic):
        raise ConfigError(f"{where}: topic {topic!r} is not a short key", "use lower-case letters, digits and _")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: the question has no text", "write the question in a few words")
    for flag in ("high_risk", "stalking"):
        if not isinstance(raw[flag], bool):
            raise ConfigError(f"{where}: {flag} = {raw[flag]!r} is not true or false", f"write {flag} = true or false")
    return Question(number, topic, text.strip(), raw["high_risk"], raw["stalking"])


def _threshold(raw: dict[str, Any], form_type: str, scored: bool, size: int, source: str) -> int | None:
    value = raw.get("threshold")
    if value is None:
        return None
    if not scored:
        raise ConfigError(f"{source}: {form_type} has a threshold but is not scored", "remove the threshold")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= size:
        raise ConfigError(f"{source}: {form_type} threshold {value!r} is not a count from 1 to {size}",
                          f"give a whole number of yes answers between 1 and {size}")
    return value


def _checklist(raw: Any, index: int, source: str) -> Checklist:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) or not raw["type"].strip():
        raise ConfigError(f"{source}: form {index} has no type", 'give every [[forms]] a type, e.g. type = "DASH"')
    form_type = raw["type"].strip()
    scored = raw.get("scored", True)
    if not isinstance(scored, bool):
        raise ConfigError(f"{source}: {form_type} scored = {scored!r} is not true or false", "write scored = true")
    questions = tuple(_question(q, f"{source}: {form_type} question {i}")
                      for i, q in enumerate(raw.get("questions", []), start=1))
    numbers = [q.number for q in questions]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ConfigError(f"{source}: {form_type} questions are numbered {numbers}, not 1 to {len(numbers)}",
                          "list the questions in order, numbered from 1 with no gaps")
    topics = [q.topic for q in questions]
    if len(set(topics)) != len(topics):
        twice = sorted({t for t in topics if topics.count(t) > 1})
        raise ConfigError(f"{source}: {form_type} repeats the topic {', '.join(twice)}",
                          "give each question its own topic")
    if scored and not questions:
        raise ConfigError(f"{source}: {form_type} is scored but has no questions",
                          "list its questions, or set scored = false")
    synonyms = raw.get("synonyms", [])
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise ConfigError(f"{source}: {form_type} synonyms are not a list of names", 'write synonyms = ["SDASH"]')
    return Checklist(form_type, str(raw.get("name", form_type)), scored, questions, tuple(synonyms),
                     _threshold(raw, form_type, scored, len(questions), source), str(raw.get("threshold_note", "")))


def parse_checklists(text: str, source: str) -> Checklists:
    """Parse a checklists document (the layout of ``data/risk_forms.toml``)."""
    data = config_toml(text, source)
    raw_forms = data.get("forms")
    if not isinstance(raw_forms, list) or not raw_forms:
        raise ConfigError(f"{source} lists no forms", "start from the shipped data/risk_forms.toml: [[forms]] tables")
    forms: dict[str, Checklist] = {}
    owner: dict[str, str] = {}
    for index, raw in enumerate(raw_forms, start=1):
        form = _checklist(raw, index, source)
        if form.form_type in forms:
            raise ConfigError(f"{source}: the form type {form.form_type} is listed twice", "list each form once")
        for spelling in (form.form_type, *form.synonyms):
            other = owner.setdefault(_key(spelling), form.form_type)
            if other != form.form_type:
                raise ConfigError(f"{source}: '{spelling}' names both {other} and {form.form_type}",
                                  "give each spelling to one form only")
        forms[form.form_type] = form
    return Checklists(forms, source)


def load_checklists(path: str | None = None) -> Checklists:
    """The checklists from ``path``, ``$STALKING_PROFILE_RISK_FORMS`` or the shipped default.

    Examples
    --------
    >>> dash = load_checklists().get("dash")
    >>> dash.threshold, dash.stalking_questions, dash.question(8).topic
    (14, (8,), 'stalking')
    """
    return _load(path or os.environ.get(CHECKLISTS_ENV) or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> Checklists:
    return parse_checklists(*config_text(path, "risk-form checklists", f"--checklists or ${CHECKLISTS_ENV}",
                                         "data/risk_forms.toml"))
