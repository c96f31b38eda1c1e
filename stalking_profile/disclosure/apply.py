"""Applying disclosure control to a profile for a partner or public audience.

Counts from 1 to ``threshold - 1`` are shown as ``<5`` (for the default threshold 5), counts
hidden to protect them as ``[c]``, and every rate, percentage, interval, change or p-value
computed from a hidden count as ``[c]``. A column holding any of these becomes text; the others
keep their numbers. Notes that quote figures are left out (the tables carry the figures), and a
note states the rule applied.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pyarrow as pa

from stalking_profile.disclosure.audience import Audience
from stalking_profile.disclosure.cells import CellSystem
from stalking_profile.disclosure.layouts import DROPPED, INTERNAL_TABLES, profile_system
from stalking_profile.disclosure.protect import Protection, protect
from stalking_profile.metrics.config import ProfileConfig
from stalking_profile.metrics.profile import Profile

__all__ = ["DEFAULT_THRESHOLD", "HIDDEN", "disclosable", "disclose", "rule"]

DEFAULT_THRESHOLD = 5
#: How a count hidden to protect another, or a figure computed from a hidden count, is shown.
HIDDEN = "[c]"
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
#: What a note may hold without quoting a figure: dates, month names with years, window lengths,
#: offence codes and batch numbers. Any other digit means the note quotes a figure.
_NOT_FIGURES = re.compile(rf"\b\d{{4}}-\d{{2}}(?:-\d{{2}})?\b|\b(?:{_MONTHS}) (?:19|20)\d{{2}}\b|\b12 months\b"
                          r"|\b\d+[A-Z]\b|\bbatch \d+\b")


def rule(threshold: int) -> str:
    """The sentence that says what was suppressed and how."""
    return (f"Disclosure control: counts of 1 to {threshold - 1} are shown as <{threshold}; further counts are hidden "
            f"as {HIDDEN} so that no hidden count can be worked out from the totals, the other tables or the "
            f"rates published with it; every rate, percentage, interval, change or p-value computed from a hidden "
            f"count is shown as {HIDDEN}. Zeros are shown (a zero is hidden only where nothing else can protect a "
            f"count). Record-level data is left out.")


def _quotes_figures(note: str) -> bool:
    """Whether a note quotes a figure (so it may not go to a partner or public audience).

    Examples
    --------
    >>> _quotes_figures("Window: 2020-10-01 to 2021-09-30 (12 months to September 2021).")
    False
    >>> _quotes_figures("placement: 2015 stalking crimes could not be placed.")
    True
    """
    return bool(re.search(r"\d", _NOT_FIGURES.sub("", note)))


#: Rows left out of partner and public outputs, by table: people counted once each (a person's
#: count sits so close to the crimes count that one gives the other away) and LSOAs (counts too
#: small to publish; wards carry the map).
_INTERNAL_ROWS: dict[str, tuple[str, str]] = {
    "demographics_victims": ("basis", "persons"), "demographics_suspects": ("basis", "persons"),
    "hotspots": ("level", "lsoa"),
}


def _public_rows(name: str, table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    rule = _INTERNAL_ROWS.get(name)
    if rule is None or rule[0] not in table.column_names:
        return table
    return table.filter(pc.not_equal(table[rule[0]], rule[1]))


def _format(column: str, value: Any) -> str | None:
    from stalking_profile.reporting.tables import format_cell

    return None if value is None else format_cell(column, value)


def _marks(system: CellSystem, protection: Protection) -> dict[tuple[str, int, str], str]:
    marks = {}
    for cell in system.cells:
        if cell.key in protection.primary:
            marks[(cell.table, cell.row, cell.column)] = f"<{protection.threshold}"
        elif cell.key in protection.secondary:
            marks[(cell.table, cell.row, cell.column)] = HIDDEN
    for where in protection.withheld:
        marks.setdefault(where, HIDDEN)
    return marks


def _hide(name: str, table: pa.Table, marks: dict[tuple[str, int, str], str]) -> pa.Table:
    table = table.drop_columns([c for c in DROPPED.get(name, ()) if c in table.column_names])
    columns = []
    for field_ in table.schema:
        values = table.column(field_.name).to_pylist()
        hidden = {i: marks[(name, i, field_.name)] for i, v in enumerate(values)
                  if (name, i, field_.name) in marks and v is not None}
        if not hidden:
            columns.append(table.column(field_.name))
            continue
        shown = [hidden.get(i, _format(field_.name, v)) for i, v in enumerate(values)]
        columns.append(pa.array(shown, pa.string()))
    fields = [pa.field(f.name, c.type) for f, c in zip(table.schema, columns, strict=True)]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def disclosable(profile: Profile) -> Profile:
    """``profile`` with only what a partner or public output may hold: no internal tables, no
    persons rows, no LSOA rows (before any suppression)."""
    tables = {name: _public_rows(name, t) for name, t in profile.tables.items() if name not in INTERNAL_TABLES}
    return dataclasses.replace(profile, tables=tables)


def disclose(profile: Profile, audience: Audience, districts: tuple[str, ...], config: ProfileConfig,
             threshold: int = DEFAULT_THRESHOLD) -> Profile:
    """``profile`` as it may be shown to ``audience``: unchanged for ``internal``; otherwise
    small counts suppressed with secondary suppression across all its tables (see :mod:`.protect`)."""
    if audience == "internal":
        return dataclasses.replace(profile, audience=audience)
    if threshold < 2:
        from stalking_profile.errors import ConfigError

        raise ConfigError(f"a suppression threshold of {threshold} hides nothing", "use --suppress-below 5 or more")
    checked = disclosable(profile)
    kept = checked.tables
    system = profile_system(checked, districts, config)
    protection = protect(system, threshold)
    marks = _marks(system, protection)
    tables = {name: _hide(name, t, marks) for name, t in kept.items()}
    notes = [n for n in profile.notes
             if not _quotes_figures(n) and not any(t in n for t in (*INTERNAL_TABLES, "'persons'"))]
    left_out = len(profile.notes) - len(notes)
    notes.append(rule(threshold))
    if left_out:
        plural = left_out != 1
        notes.append(f"{left_out} note{'s' if plural else ''} quoting figures {'are' if plural else 'is'} left out of "
                     f"this {audience} output; the tables carry the figures, suppressed.")
    left = [name for name in INTERNAL_TABLES if name in profile.tables]
    if left:
        notes.append(f"Left out of this {audience} output as too detailed to publish safely or for internal use: "
                     f"{', '.join(left)}; and the persons basis of the demographic tables and LSOA-level hot spots.")
    dropped = [f"{name}: {', '.join(c for c in cols if c in profile.tables[name].column_names)}"
               for name, cols in DROPPED.items() if name in profile.tables]
    if dropped:
        notes.append("Area statistics from which counts could be rebuilt are left out (" + "; ".join(dropped) + ").")
    return dataclasses.replace(profile, tables=tables, notes=notes, audience=audience, suppression=protection)
