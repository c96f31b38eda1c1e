"""The force's configuration: districts, their local-authority codes and the force area.

West Yorkshire ships as the default (``data/forces/west-yorkshire.toml``); another
force writes its own file and points ``STALKING_PROFILE_FORCE`` or ``--force`` at it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text

__all__ = ["District", "Force", "load_force"]

FORCE_ENV = "STALKING_PROFILE_FORCE"


@dataclass(frozen=True)
class District:
    """One district: short code, name and local-authority (LAD) code."""

    code: str
    name: str
    lad_code: str


@dataclass(frozen=True)
class Force:
    """A force: its districts and the bounding boxes coordinates must fall in."""

    name: str
    slug: str
    districts: tuple[District, ...]
    bbox_wgs84: tuple[float, float, float, float]
    bbox_bng: tuple[float, float, float, float]

    @property
    def district_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.districts)

    def district_aliases(self) -> dict[str, str]:
        """Every accepted spelling of a district (code, name, LAD code), upper-cased, to its code."""
        aliases: dict[str, str] = {}
        for d in self.districts:
            for alias in (d.code, d.name, d.lad_code):
                aliases[alias.upper()] = d.code
        return aliases


def _bbox(raw: object, key: str, source: str) -> tuple[float, float, float, float]:
    if not (isinstance(raw, list) and len(raw) == 4 and all(isinstance(v, int | float) for v in raw)):
        raise ConfigError(
            f"{source}: '{key}' must be a list of four numbers, got {raw!r}",
            "write it as [min_x, min_y, max_x, max_y]",
        )
    a, b, c, d = (float(v) for v in raw)
    return (a, b, c, d)


def parse_force(text: str, source: str) -> Force:
    """Parse a force TOML document."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}", "fix the syntax error it names") from exc
    try:
        districts = tuple(
            District(str(d["code"]).upper(), str(d["name"]), str(d["lad_code"]).upper())
            for d in data["districts"]
        )
        name, slug = str(data["name"]), str(data["slug"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(
            f"{source} is missing {exc} in the force configuration",
            "every force file needs name, slug and [[districts]] with code, name and lad_code",
        ) from exc
    if not districts:
        raise ConfigError(f"{source} lists no districts", "add at least one [[districts]] table")
    return Force(
        name,
        slug,
        districts,
        _bbox(data.get("bbox_wgs84"), "bbox_wgs84", source),
        _bbox(data.get("bbox_bng"), "bbox_bng", source),
    )


def load_force(path: str | None = None) -> Force:
    """Load the force from ``path``, ``$STALKING_PROFILE_FORCE`` or the West Yorkshire default.

    Examples
    --------
    >>> load_force().district_codes
    ('BD', 'CD', 'KD', 'LD', 'WD')
    """
    return _load_force(path or os.environ.get(FORCE_ENV) or None)


@lru_cache(maxsize=8)
def _load_force(path: str | None) -> Force:
    return parse_force(*config_text(path, "force file", f"--force or ${FORCE_ENV}", "data/forces/west-yorkshire.toml"))
