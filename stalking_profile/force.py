"""The force's configuration: districts, their local-authority codes and the force area.

West Yorkshire ships as the default (``data/forces/west-yorkshire.toml``); another
force writes its own file and points ``STALKING_PROFILE_FORCE`` or ``--force`` at it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["District", "Force", "SpoBaseline", "load_force"]

FORCE_ENV = "STALKING_PROFILE_FORCE"


@dataclass(frozen=True)
class District:
    """One district: short code, name and local-authority (LAD) code."""

    code: str
    name: str
    lad_code: str


@dataclass(frozen=True)
class SpoBaseline:
    """A published count of Stalking Protection Orders in force, to set the store's figures beside.

    ``orders_in_force`` orders in force against about ``stalking_crimes_per_year`` stalking crimes
    a year, as ``source`` said on ``as_of`` (free text, e.g. ``January 2022``).
    """

    orders_in_force: int
    stalking_crimes_per_year: int
    as_of: str
    source: str

    @property
    def per_1000(self) -> float:
        """Orders in force per 1,000 stalking crimes a year, to two decimals."""
        return round(1000 * self.orders_in_force / self.stalking_crimes_per_year, 2)


@dataclass(frozen=True)
class Force:
    """A force: its districts and the bounding boxes coordinates must fall in."""

    name: str
    slug: str
    districts: tuple[District, ...]
    bbox_wgs84: tuple[float, float, float, float]
    bbox_bng: tuple[float, float, float, float]
    spo_baseline: SpoBaseline | None = None

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
    data = config_toml(text, source)
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
        _spo_baseline(data.get("spo_baseline"), source),
    )


def _spo_baseline(raw: object, source: str) -> SpoBaseline | None:
    """The optional ``[spo_baseline]`` table: two positive whole numbers and two texts."""
    if raw is None:
        return None
    fix = ("write [spo_baseline] with orders_in_force and stalking_crimes_per_year (whole numbers, the second "
           "above 0), as_of and source (text)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: spo_baseline is not a table", fix)
    orders, crimes = raw.get("orders_in_force"), raw.get("stalking_crimes_per_year")
    as_of, said = raw.get("as_of"), raw.get("source")
    if not (isinstance(orders, int) and isinstance(crimes, int) and orders >= 0 and crimes > 0
            and isinstance(as_of, str) and isinstance(said, str)):
        raise ConfigError(f"{source}: spo_baseline is incomplete or not numbers where numbers belong", fix)
    return SpoBaseline(orders, crimes, as_of, said)


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
