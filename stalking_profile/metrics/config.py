"""Profile configuration: offence families, recording-rule breaks and outcome groups.

The defaults ship in ``data/profile.toml``; ``$STALKING_PROFILE_CONFIG`` or ``--config``
names another file. Outcome groups are checked on load: the *partition* groups must place
every Home Office type 1-22 exactly once, so no outcome can fall through the table.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text

__all__ = ["BLANK_GROUP", "OutcomeGroup", "ProfileConfig", "RecordingBreak", "base_type", "load_config"]

CONFIG_ENV = "STALKING_PROFILE_CONFIG"
BLANK_GROUP = "Not yet assigned an outcome"


def base_type(code: str) -> str:
    """The numeric Home Office type of an outcome code: ``15B`` -> ``15``."""
    return re.sub(r"[A-Z]+$", "", code)


@dataclass(frozen=True)
class OutcomeGroup:
    """A named set of Home Office outcome types."""

    name: str
    codes: tuple[str, ...]
    partition: bool

    @property
    def label(self) -> str:
        """The name with its codes, e.g. ``Charged/summonsed (1, 1A)``, unless the name has numbers
        already (``Outcomes 1-8 (force convention)``)."""
        if any(ch.isdigit() for ch in self.name):
            return self.name
        return f"{self.name} ({', '.join(self.codes)})"

    def contains(self, code: str, listed: frozenset[str] = frozenset()) -> bool:
        """Whether an outcome type belongs here. A code that some partition group lists (``listed``)
        matches only where it is listed; an unlisted sub-code (15B) counts with its base type (15)."""
        if code in self.codes:
            return True
        return code not in listed and base_type(code) in self.codes


@dataclass(frozen=True)
class RecordingBreak:
    """A recording-rule change that starts in ``month`` (``YYYY-MM``)."""

    month: str
    note: str


@dataclass(frozen=True)
class ProfileConfig:
    """Offence families, recording breaks and outcome groups."""

    offence_families: dict[str, tuple[str, ...]]
    recording_breaks: tuple[RecordingBreak, ...]
    outcome_groups: tuple[OutcomeGroup, ...]

    @property
    def listed_codes(self) -> frozenset[str]:
        """Every code that a partition group lists by name."""
        return frozenset(c for g in self.outcome_groups if g.partition for c in g.codes)

    def family(self, name: str) -> tuple[str, ...]:
        """The Home Office codes of an offence family."""
        if name not in self.offence_families:
            raise ConfigError(
                f"unknown offence family '{name}'",
                f"use one of: {', '.join(self.offence_families)} (or add it to the profile configuration)",
            )
        return self.offence_families[name]


def _check_partition(groups: tuple[OutcomeGroup, ...], source: str) -> None:
    listed = frozenset(c for g in groups if g.partition for c in g.codes)
    for code in sorted({str(n) for n in range(1, 23)} | listed, key=lambda c: (int(base_type(c) or 0), c)):
        if not re.fullmatch(r"[1-9]\d?[A-Z]?", code) or not 1 <= int(base_type(code)) <= 22:
            raise ConfigError(f"{source}: '{code}' is not a Home Office outcome type", "use 1-22, with a letter if any")
        owners = [g.name for g in groups if g.partition and g.contains(code, listed)]
        if len(owners) != 1:
            where = "no partition group" if not owners else f"several groups ({', '.join(owners)})"
            raise ConfigError(
                f"{source}: outcome type {code} is in {where}",
                "list every type 1-22 in exactly one group with partition = true",
            )


def parse_config(text: str, source: str) -> ProfileConfig:
    """Parse a profile configuration document."""
    try:
        data = tomllib.loads(text)
        families = {str(k): tuple(str(c).upper() for c in v) for k, v in data["offence_families"].items()}
        breaks = tuple(RecordingBreak(str(b["month"]), str(b["note"])) for b in data.get("recording_breaks", []))
        groups = tuple(
            OutcomeGroup(str(g["name"]), tuple(str(c).upper() for c in g["codes"]), bool(g.get("partition", True)))
            for g in data["outcome_groups"]
        )
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}", "fix the syntax error it names") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{source} is missing or misshapes {exc}",
            "start from the shipped data/profile.toml: [offence_families], [[outcome_groups]] with name and codes",
        ) from exc
    for b in breaks:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", b.month):
            raise ConfigError(f"{source}: recording break month '{b.month}' is not YYYY-MM", "write e.g. 2020-04")
    _check_partition(groups, source)
    return ProfileConfig(families, breaks, groups)


def load_config(path: str | None = None) -> ProfileConfig:
    """The profile configuration from ``path``, ``$STALKING_PROFILE_CONFIG`` or the shipped default.

    Examples
    --------
    >>> load_config().family("harassment")
    ('8L', '8M')
    """
    return _load_config(path or os.environ.get(CONFIG_ENV) or None)


@lru_cache(maxsize=8)
def _load_config(path: str | None) -> ProfileConfig:
    return parse_config(*config_text(path, "profile configuration", f"--config or ${CONFIG_ENV}", "data/profile.toml"))
