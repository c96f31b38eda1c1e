"""Audiences: who an output is for, what it may hold, and its protective marking."""

from __future__ import annotations

from typing import Literal

from stalking_profile.errors import ConfigError

__all__ = ["AUDIENCES", "Audience", "marking", "parse_audience", "require_internal"]

Audience = Literal["internal", "partner", "public"]
#: Audiences in order of trust: internal outputs hold everything; partner and public ones are
#: aggregate and small-count suppressed.
AUDIENCES: tuple[Audience, ...] = ("internal", "partner", "public")


def parse_audience(value: str) -> Audience:
    """An audience from its name (any case).

    Examples
    --------
    >>> parse_audience("Partner")
    'partner'
    """
    name = value.strip().lower()
    if name not in AUDIENCES:
        raise ConfigError(f"unknown audience '{value}'", "use --audience internal, partner or public")
    return name  # type: ignore[return-value]


def require_internal(audience: Audience, what: str) -> None:
    """Refuse record-level ``what`` for any audience but ``internal``."""
    if audience != "internal":
        raise ConfigError(f"{what} holds record-level data and is for internal use only, not for a {audience} "
                          "audience", "run it with --audience internal, or share the aggregate profile "
                          f"(stalking-profile profile --audience {audience}) instead")


def marking(audience: Audience) -> str:
    """The Government Security Classification marking for an output to ``audience``.

    Examples
    --------
    >>> marking("internal"), marking("public")
    ('OFFICIAL-SENSITIVE', 'OFFICIAL')
    """
    return "OFFICIAL-SENSITIVE" if audience == "internal" else "OFFICIAL"
