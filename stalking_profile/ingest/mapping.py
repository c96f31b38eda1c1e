"""Column-mapping profiles: map a force's export headers onto the canonical columns.

A profile is a TOML file::

    name = "niche-example"
    description = "..."
    [columns]
    crime_ref = "Occurrence Number"          # canonical = source header
    recorded_date = ["Reported Date", "Date Reported"]   # or alternatives

Headers match case-insensitively and ignoring spaces, underscores and punctuation.
Shipped profiles live in ``stalking_profile/data/mappings``; a user passes their own
with ``--mapping FILE``. Without one, the first shipped profile that finds every
required column is used (the canonical profile is tried first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa

from stalking_profile.errors import ConfigError, InputFileError, MissingColumnError, config_toml, read_text_file
from stalking_profile.schema.columns import CRIME_COLUMNS, REQUIRED_COLUMNS

__all__ = ["ColumnMapping", "apply_mapping", "choose_mapping", "load_mapping", "shipped_mapping", "shipped_mappings"]

_CANONICAL = {c.name for c in CRIME_COLUMNS}


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", header.lower())


@dataclass(frozen=True)
class ColumnMapping:
    """A named mapping: canonical column -> accepted source headers."""

    name: str
    description: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """Canonical name -> the header in ``headers`` that supplies it."""
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(_norm(h), h)
        found: dict[str, str] = {}
        for canonical, sources in self.columns.items():
            for source in sources:
                if _norm(source) in by_norm:
                    found[canonical] = by_norm[_norm(source)]
                    break
        return found

    def to_toml(self) -> str:
        """The profile as TOML, to copy and adapt with ``--mapping``."""
        lines = [f"name = {json.dumps(self.name)}", f"description = {json.dumps(self.description)}", "", "[columns]"]
        for canonical, sources in self.columns.items():
            quoted = [json.dumps(s) for s in sources]
            lines.append(f"{canonical} = {quoted[0] if len(quoted) == 1 else '[' + ', '.join(quoted) + ']'}")
        return "\n".join(lines) + "\n"

    def missing(self, headers: list[str]) -> list[str]:
        found = self.resolve(headers)
        return [c for c in REQUIRED_COLUMNS if c not in found]


def parse_mapping(text: str, source: str) -> ColumnMapping:
    """Parse a mapping profile; unknown canonical names are a configuration error."""
    data = config_toml(text, source, "mapping")
    raw = data.get("columns")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"mapping {source} has no [columns] table", "add [columns] with canonical = \"Your header\"")
    columns: dict[str, tuple[str, ...]] = {}
    for canonical, value in raw.items():
        if canonical not in _CANONICAL:
            raise ConfigError(
                f"mapping {source} maps unknown column '{canonical}'",
                f"use canonical names: {', '.join(sorted(_CANONICAL))}",
            )
        if isinstance(value, str):
            sources: tuple[str, ...] = (value,)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            sources = tuple(value)
        else:
            raise ConfigError(f"mapping {source}: '{canonical}' must be a header name or a list of them, got {value!r}",
                              f'write {canonical} = "Your header" or {canonical} = ["One", "Another"]')
        columns[canonical] = sources
    return ColumnMapping(str(data.get("name", Path(source).stem)), str(data.get("description", "")), columns)


def load_mapping(path: Path) -> ColumnMapping:
    """Read a user's mapping profile."""
    if not path.is_file():
        raise ConfigError(f"mapping file {path} not found", "check the path given to --mapping")
    return parse_mapping(read_text_file(path, "mapping file"), str(path))


def shipped_mapping(name: str) -> ColumnMapping:
    """A shipped profile by name."""
    found = {m.name: m for m in shipped_mappings()}
    if name not in found:
        raise ConfigError(f"no mapping profile called '{name}'", f"use one of: {', '.join(found)}")
    return found[name]


def shipped_mappings() -> list[ColumnMapping]:
    """The profiles that ship with the package, canonical first."""
    folder = resources.files("stalking_profile").joinpath("data/mappings")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    profiles = [parse_mapping(e.read_text("utf-8"), e.name) for e in entries]
    return sorted(profiles, key=lambda m: m.name != "canonical")


def choose_mapping(headers: list[str], mapping: ColumnMapping | None, file_name: str) -> ColumnMapping:
    """The given mapping, or the first shipped one that finds every required column."""
    candidates = [mapping] if mapping is not None else shipped_mappings()
    for candidate in candidates:
        if not candidate.missing(headers):
            return candidate
    best = candidates[0]
    missing = best.missing(headers)
    shown = ", ".join(repr(h) for h in headers[:25]) + (" ..." if len(headers) > 25 else "")
    raise MissingColumnError(
        f"{file_name} has no column for required {', '.join(missing)} "
        f"(mapping '{best.name}'; columns found: {shown})",
        "rename the column in the extract, or pass --mapping FILE mapping your headers onto the canonical "
        "names (`stalking-profile mapping show canonical` prints a template)",
    )


def apply_mapping(table: pa.Table, mapping: ColumnMapping, file_name: str) -> tuple[pa.Table, list[str]]:
    """Rename and select the mapped columns; returns the table and the source columns ignored."""
    headers = table.column_names
    duplicated = sorted({h for h in headers if headers.count(h) > 1})
    if duplicated:
        raise InputFileError(
            f"{file_name} has duplicated column names: {', '.join(duplicated)}",
            "give every column a distinct name in the header",
        )
    found = mapping.resolve(headers)
    used = set(found.values())
    arrays = [table.column(found[c.name]) for c in CRIME_COLUMNS if c.name in found]
    names = [c.name for c in CRIME_COLUMNS if c.name in found]
    return pa.table(arrays, names=names), [h for h in headers if h not in used]
