"""The referral vocabulary: victim services (from a small TOML) and referral statuses.

The services ship in ``data/referral_services.toml``; ``$STALKING_PROFILE_REFERRAL_SERVICES``
names a replacement. Each service may be marked ``specialist_stalking`` (ISAC, Paladin and the
National Stalking Helpline in the shipped file): those are the services the "referred to
specialist stalking advocacy" measure counts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["SERVICES_ENV", "STATUSES", "Service", "Services", "load_services", "parse_services", "resolve_status"]

SERVICES_ENV = "STALKING_PROFILE_REFERRAL_SERVICES"
#: A referral's statuses, in the order they happen.
STATUSES = ("offered", "made", "accepted", "declined")
_STATUS_SYNONYMS = {"offer": "offered", "referred": "made", "referral made": "made", "refused": "declined"}


def _key(text: str) -> str:
    """A spelling compared in upper case, letters and digits only: ``Suzy-Lamplugh`` -> ``SUZYLAMPLUGH``."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def resolve_status(text: str | None) -> str | None:
    """The status a spelling names, or None.

    Examples
    --------
    >>> resolve_status(" Accepted "), resolve_status("referred"), resolve_status("pending")
    ('accepted', 'made', None)
    """
    if text is None:
        return None
    value = " ".join(text.lower().split())
    return value if value in STATUSES else _STATUS_SYNONYMS.get(value)


@dataclass(frozen=True)
class Service:
    """One victim service."""

    name: str
    description: str
    specialist_stalking: bool
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Services:
    """The configured services, in file order, and where they came from."""

    services: tuple[Service, ...]
    source: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    @property
    def specialist(self) -> tuple[str, ...]:
        """The names of the specialist stalking services."""
        return tuple(s.name for s in self.services if s.specialist_stalking)

    def resolve(self, text: str | None) -> str | None:
        """The service a spelling names (its name or a synonym, any case or punctuation), or None.

        Examples
        --------
        >>> s = load_services()
        >>> s.resolve("suzy lamplugh"), s.resolve("NSH"), s.resolve("isac"), s.resolve("Samaritans")
        ('National Stalking Helpline', 'National Stalking Helpline', 'ISAC', None)
        """
        return None if text is None else self._spellings().get(_key(text))

    def _spellings(self) -> dict[str, str]:
        return {_key(spelling): s.name for s in self.services for spelling in (s.name, *s.synonyms)}


def parse_services(text: str, source: str) -> Services:
    """Services from TOML ``text``; a :class:`ConfigError` names what is wrong.

    Examples
    --------
    >>> parse_services('[[services]]\\nname = "ISAC"\\nspecialist_stalking = true\\n', "x.toml").specialist
    ('ISAC',)
    """
    data = config_toml(text, source, "referral services")
    entries = data.get("services")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"referral services {source} lists no services", "add [[services]] tables with a name")
    services: list[Service] = []
    seen: dict[str, str] = {}
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        flag = entry.get("specialist_stalking", False) if isinstance(entry, dict) else None
        synonyms = entry.get("synonyms", []) if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip() or not isinstance(flag, bool) \
                or not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
            raise ConfigError(f"referral services {source}: a service lacks a name, or has a specialist_stalking "
                              "that is not true/false or synonyms that are not a list of text",
                              "give each [[services]] a name, specialist_stalking = true/false, synonyms = [...]")
        for spelling in (name, *synonyms):
            other = seen.setdefault(_key(spelling), name)
            if other != name:
                raise ConfigError(f"referral services {source}: '{spelling}' names both {other} and {name}",
                                  "give each spelling to one service")
        services.append(Service(name, str(entry.get("description", "")), flag, tuple(synonyms)))
    return Services(tuple(services), source)


def load_services(path: str | None = None) -> Services:
    """The services from ``path``, ``$STALKING_PROFILE_REFERRAL_SERVICES`` or the shipped file.

    Examples
    --------
    >>> load_services().specialist
    ('ISAC', 'National Stalking Helpline', 'Paladin')
    """
    return _load(path or os.environ.get(SERVICES_ENV) or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> Services:
    return parse_services(*config_text(path, "referral services", f"${SERVICES_ENV}",
                                       "data/referral_services.toml"))
