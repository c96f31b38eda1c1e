"""The training vocabulary: courses (with synonyms) and targets per district, from a small TOML.

The courses and targets ship in ``data/training.toml``; ``$STALKING_PROFILE_TRAINING`` names a
replacement. A target is the number of officers a district aims to have trained on a course.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["TRAINING_ENV", "Course", "Training", "load_training", "parse_training"]

TRAINING_ENV = "STALKING_PROFILE_TRAINING"


def _key(text: str) -> str:
    """A spelling compared in upper case, letters and digits only: ``Stalking-Champion`` -> ``STALKINGCHAMPION``."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


@dataclass(frozen=True)
class Course:
    """One course: its stored key, full name and other accepted spellings."""

    key: str
    name: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Training:
    """The configured courses (file order), targets by course then district code, and the source."""

    courses: tuple[Course, ...]
    targets: dict[str, dict[str, int]]
    source: str

    @property
    def keys(self) -> tuple[str, ...]:
        """The course keys, in file order."""
        return tuple(c.key for c in self.courses)

    def name(self, key: str) -> str:
        """The full name of the course ``key``."""
        return next(c.name for c in self.courses if c.key == key)

    def resolve(self, text: str | None) -> str | None:
        """The course key a spelling names (key, name or synonym), or None.

        Examples
        --------
        >>> t = load_training()
        >>> t.resolve("iLearn"), t.resolve("stalking-champion"), t.resolve("first aid")
        ('ilearn', 'stalking_champion', None)
        """
        if text is None:
            return None
        return {_key(s): c.key for c in self.courses for s in (c.key, c.name, *c.synonyms)}.get(_key(text))

    def target(self, course: str, district: str) -> int | None:
        """The target for ``course`` in ``district``; None when the course has no targets.

        Examples
        --------
        >>> t = load_training()
        >>> t.target("stalking_investigator", "WD"), t.target("stalking_investigator", "XX"), t.target("ilearn", "BD")
        (16, 0, None)
        """
        per_district = self.targets.get(course)
        return None if per_district is None else per_district.get(district, 0)


def _courses(data: dict[str, object], source: str) -> tuple[Course, ...]:
    entries = data.get("courses")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"training {source} lists no courses", "add [[courses]] tables with a key and a name")
    courses: list[Course] = []
    seen: dict[str, str] = {}
    for entry in entries:
        key, name, synonyms = (entry.get(k) for k in ("key", "name", "synonyms")) if isinstance(entry, dict) \
            else (None, None, None)
        synonyms = [] if synonyms is None else synonyms
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+", key) or not isinstance(name, str) \
                or not name.strip() or not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            raise ConfigError(f"training {source}: a course lacks a key (lower-case letters, digits, _) or a name, "
                              "or has synonyms that are not a list of text",
                              'give each [[courses]] key = "...", name = "..." and synonyms = [...]')
        for spelling in (key, name, *synonyms):
            other = seen.setdefault(_key(spelling), key)
            if other != key:
                raise ConfigError(f"training {source}: '{spelling}' names both {other} and {key}",
                                  "give each spelling to one course")
        courses.append(Course(key, name, tuple(synonyms)))
    return tuple(courses)


def _targets(data: dict[str, object], keys: tuple[str, ...], source: str) -> dict[str, dict[str, int]]:
    raw = data.get("targets", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"training {source}: targets is not a table", "write [targets.<course key>] tables")
    targets: dict[str, dict[str, int]] = {}
    for course, per_district in raw.items():
        if course not in keys:
            raise ConfigError(f"training {source}: targets for '{course}', which is not a course",
                              f"use one of {', '.join(keys)}")
        if not isinstance(per_district, dict) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in per_district.values()):
            raise ConfigError(f"training {source}: targets for {course} are not whole numbers by district",
                              "write them as DISTRICT = number, e.g. BD = 17")
        targets[course] = {str(d).upper(): int(n) for d, n in per_district.items()}
    return targets


def parse_training(text: str, source: str) -> Training:
    """Courses and targets from TOML ``text``; a :class:`ConfigError` names what is wrong.

    Examples
    --------
    >>> t = parse_training('[[courses]]\\nkey = "a"\\nname = "A"\\n[targets.a]\\nBD = 3\\n', "x.toml")
    >>> t.keys, t.targets
    (('a',), {'a': {'BD': 3}})
    """
    data = config_toml(text, source, "training")
    courses = _courses(data, source)
    return Training(courses, _targets(data, tuple(c.key for c in courses), source), source)


def load_training(path: str | None = None) -> Training:
    """The courses and targets from ``path``, ``$STALKING_PROFILE_TRAINING`` or the shipped file.

    Examples
    --------
    >>> t = load_training()
    >>> t.keys[:2], sum(t.targets["stalking_investigator"].values())
    (('ilearn', 'safeguarding_supervisors'), 84)
    """
    return _load(path or os.environ.get(TRAINING_ENV) or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> Training:
    return parse_training(*config_text(path, "training", f"${TRAINING_ENV}", "data/training.toml"))
