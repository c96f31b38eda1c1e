"""Cumulative-risk settings: history window, severity tiers, breaches, units, factors and bands.

The defaults ship in ``data/cumulative_risk.toml``; ``$STALKING_PROFILE_RISK`` or
``--risk-config`` names another file. Every weight is configuration, so a force can agree
its own with its safeguarding leads; the file is checked on load so that a factor can only
name a measure that exists.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from stalking_profile.errors import ConfigError, config_text

__all__ = ["BANDS", "MEASURES", "Factor", "RiskSettings", "Tier", "load_risk_settings", "parse_risk_settings"]

RISK_ENV = "STALKING_PROFILE_RISK"
Entity = Literal["victim", "suspect", "pair"]
#: Bands, lowest first.
BANDS = ("standard", "medium", "high")

#: The measures of each entity, with what they count (the README and `--help` show this list).
MEASURES: dict[str, str] = {
    "incidents_window": "crimes in the history window",
    "incidents_all": "crimes up to the end of the period",
    "victims_window": "distinct victims in the window",
    "victims_all": "distinct victims, all time",
    "suspects_window": "distinct suspects in the window",
    "suspects_all": "distinct suspects, all time",
    "interval_slope_days": "change in days between successive incidents in the window (negative: closer together)",
    "shortest_span_3_days": "fewest days spanned by 3 successive incidents in the window",
    "escalations": "incidents in the window in a higher severity tier than every one on an earlier day",
    "violence_all": "crimes in the violence tier, all time (scoring: other than the crime scored)",
    "breaches_all": "breaches of orders, all time (scoring: other than the crime scored)",
    "arrests_all": "crimes with an arrest, all time (scoring: other than the crime scored)",
    "high_risk_all": "crimes assessed high risk, all time (scoring: other than the crime scored)",
    "charged_all": "crimes charged or summonsed (outcome 1 or 1A), all time (scoring: other than the crime scored)",
    "open_all": "crimes with no outcome yet, all time (scoring: other than the crime scored)",
}
_ENTITIES: tuple[Entity, ...] = ("victim", "suspect", "pair")


@dataclass(frozen=True)
class Tier:
    """A severity tier: its name and offence codes."""

    name: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Factor:
    """One scored factor: met when ``entity``'s ``measure`` is >= ``at_least`` (or < ``below``)."""

    name: str
    entity: Entity
    measure: str
    points: int
    reason: str
    at_least: float | None = None
    below: float | None = None

    def describe(self) -> str:
        """The rule in words, e.g. ``pair incidents_window >= 3: +4``."""
        rule = f">= {self.at_least:g}" if self.at_least is not None else f"< {self.below:g}"
        return f"{self.entity} {self.measure} {rule}: +{self.points}"


@dataclass(frozen=True)
class RiskSettings:
    """Everything that shapes linkage measures and the cumulative score."""

    window_months: int
    medium: int
    high: int
    tiers: tuple[Tier, ...]
    breach_codes: tuple[str, ...]
    breach_words: tuple[str, ...]
    non_specialist_units: tuple[str, ...]
    factors: tuple[Factor, ...]
    source: str
    repeat_victim_at_least: int = 3
    serial_suspect_at_least: int = 2

    def band_of(self, score: int) -> str:
        """The band of a score.

        Examples
        --------
        >>> s = load_risk_settings()
        >>> [s.band_of(n) for n in (0, s.medium - 1, s.medium, s.high)]
        ['standard', 'standard', 'medium', 'high']
        """
        return "high" if score >= self.high else "medium" if score >= self.medium else "standard"

    @property
    def violence_codes(self) -> tuple[str, ...]:
        """The codes of the top tier."""
        return self.tiers[-1].codes if self.tiers else ()


def _strings(value: Any, what: str, source: str) -> tuple[str, ...]:
    """A list of strings from the file, or a clear error (a bare string would split into letters)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {what} must be a list of strings, not {value!r}",
                          f'write it in brackets, e.g. {what.split(" ")[-1]} = ["8Q"]')
    return tuple(value)


def _factor(raw: dict[str, Any], source: str) -> Factor:
    name = str(raw["name"])
    entity, measure = str(raw["entity"]), str(raw["measure"])
    if entity not in _ENTITIES:
        raise ConfigError(f"{source}: factor '{name}' has entity '{entity}'", "use victim, suspect or pair")
    if measure not in MEASURES:
        raise ConfigError(f"{source}: factor '{name}' names an unknown measure '{measure}'",
                          f"use one of: {', '.join(MEASURES)}")
    at_least, below = raw.get("at_least"), raw.get("below")
    if (at_least is None) == (below is None):
        raise ConfigError(f"{source}: factor '{name}' needs exactly one of at_least or below",
                          "write e.g. at_least = 3 (met when the measure is 3 or more)")
    points = raw["points"]
    if not isinstance(points, int) or points < 0:
        raise ConfigError(f"{source}: factor '{name}' has points {points!r}", "use a whole number of 0 or more")
    return Factor(name, entity, measure, points, str(raw.get("reason", name)),  # type: ignore[arg-type]
                  None if at_least is None else float(at_least), None if below is None else float(below))


def parse_risk_settings(text: str, source: str) -> RiskSettings:
    """Parse a cumulative-risk settings document (see ``data/cumulative_risk.toml``)."""
    try:
        data = tomllib.loads(text)
        window = int(data.get("window_months", 12))
        medium, high = int(data["bands"]["medium"]), int(data["bands"]["high"])
        tiers = tuple(Tier(str(t["name"]), tuple(c.upper() for c in _strings(t["codes"], "tier codes", source)))
                      for t in data["tiers"])
        breaches = data.get("breaches", {})
        units = _strings(data.get("allocation", {}).get("non_specialist_units", []), "non_specialist_units", source)
        _strings(breaches.get("codes", []), "breach codes", source)
        _strings(breaches.get("description_words", []), "description_words", source)
        factors = tuple(_factor(f, source) for f in data["factors"])
        lists = data.get("worklists", {})
        settings = RiskSettings(
            window, medium, high, tiers, tuple(str(c).upper() for c in breaches.get("codes", [])),
            tuple(str(w).lower() for w in breaches.get("description_words", [])),
            tuple(str(u).lower() for u in units), factors, source,
            int(lists.get("repeat_victim_at_least", 3)), int(lists.get("serial_suspect_at_least", 2)))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}", "fix the syntax error it names") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{source} is missing or misshapes {exc}",
                          "start from the shipped data/cumulative_risk.toml") from exc
    if not 1 <= window <= 120:
        raise ConfigError(f"{source}: window_months = {window}", "use a number of months from 1 to 120")
    if not 0 < medium < high:
        raise ConfigError(f"{source}: bands medium = {medium}, high = {high}", "use 0 < medium < high")
    if not tiers:
        raise ConfigError(f"{source} has no [[tiers]]", "list the severity tiers, lowest first")
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: factor names repeat", "give every [[factors]] entry its own name")
    return settings


def load_risk_settings(path: str | None = None) -> RiskSettings:
    """The settings from ``path``, ``$STALKING_PROFILE_RISK`` or the shipped default.

    Examples
    --------
    >>> s = load_risk_settings()
    >>> s.window_months, s.tiers[-1].name, s.factors[0].describe()
    (12, 'violence', 'pair incidents_window >= 3: +4')
    """
    return _load(path or os.environ.get(RISK_ENV) or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> RiskSettings:
    return parse_risk_settings(*config_text(path, "cumulative-risk settings", f"--risk-config or ${RISK_ENV}",
                                            "data/cumulative_risk.toml"))
