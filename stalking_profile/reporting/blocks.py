"""How a profile table becomes a block of the report: column headings, cells as printed, long
tables cut to their most useful rows; and the small helpers every section shares.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from stalking_profile.metrics.profile import Profile
from stalking_profile.reporting.document import Block, Paragraph, TableBlock

__all__ = ["LABELS", "display_cell", "has_rows", "label", "paragraphs", "table_block"]

#: Column headings as the reader sees them.
LABELS = {
    "district": "District", "domestic": "Domestic", "current": "This period", "previous": "Previous period",
    "change_pct": "Change %", "change_p_value": "p-value", "crimes": "Crimes", "arrested": "Arrested",
    "assessed": "Risk assessed", "rate_pct": "Rate %", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "relationship": "Relationship", "outcome": "Outcome", "group": "Outcome group", "count": "Count", "pct": "%",
    "allocated_unit": "Allocated unit", "non_specialist": "Non-specialist", "standard": "Standard",
    "medium": "Medium", "high": "High", "above_recorded": "Above recorded risk",
    "high_no_assessment": "High, no assessment", "high_non_specialist": "High, non-specialist unit",
    "with_mo": "With MO text", "flagged": "Cyber flag", "detected": "Technology in MO",
    "flag_rate_pct": "Flag rate %", "corrected_pct": "Corrected %", "corrected_ci_low": "95% CI low",
    "corrected_ci_high": "95% CI high", "category": "Group", "area_name": "Area", "area_code": "Code",
    "value": "Value", "gi_class": "Gi* class", "observed": "Observed", "expected": "Expected",
    "observed_expected": "Observed / expected", "placed_by": "Placed by", "offence_family": "Offence family",
    "in_force_at_end": "In force at end", "conversion_pct": "Conversion %",
    "spos_per_1000": "Full orders per 1,000 crimes", "in_force_per_1000": "In force per 1,000 crimes a year",
    "stalking_crimes": "Stalking crimes", "victims": "Victims", "referred_specialist": "Referred (specialist)",
    "accepted": "Accepted", "breaches_charged": "Breaches charged", "interim_orders": "Interim orders",
    "full_orders": "Full orders",
}


def label(column: str) -> str:
    """A column's heading as the reader sees it.

    Examples
    --------
    >>> label("rate_pct"), label("arrested_ci_low"), label("median_days_to_full")
    ('Rate %', 'Arrested 95% CI low', 'Median days to full')
    """
    if column in LABELS:
        return LABELS[column]
    text = column.replace("_ci_low", " 95% CI low").replace("_ci_high", " 95% CI high").replace("_pct", " %")
    return text.replace("_", " ").capitalize().replace("95% ci", "95% CI")

def display_cell(name: str, value: Any) -> str:
    """A cell as printed in the report: thousands separators, percentages to one decimal place
    (two below 10), p-values to three, blanks for missing, suppressed markers as they are.

    Examples
    --------
    >>> display_cell("crimes", 6129), display_cell("rate_pct", 21.93), display_cell("pct", 2.333)
    ('6,129', '21.9', '2.33')
    >>> display_cell("change_p_value", 2e-58), display_cell("crimes", "<5"), display_cell("x", None)
    ('<0.001', '<5', '')
    >>> display_cell("count", "1449"), display_cell("pct", "'-3.14"), display_cell("area_code", "E01010568")
    ('1,449', '-3.14', 'E01010568')
    >>> display_cell("in_force_per_1000", 0.65), display_cell("spos_per_1000", 1333.3)
    ('0.65', '1,333.3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if name.endswith("p_value") or name.endswith("_p") or name.endswith("p_fdr"):
            return "<0.001" if value < 0.001 else f"{value:.3f}"
        if name.endswith("pct") or name.startswith("ci_") or "_ci_" in name:
            return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
        if name == "in_force_per_1000":  # a few orders per 1,000 crimes: two decimals, as it is rounded
            return f"{value:.2f}"
        if "days" in name or name.endswith("per_1000"):
            return f"{value:,.1f}"
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    number = text[1:] if text.startswith("'") else text  # spreadsheet-safe text from a suppressed table
    if re.fullmatch(r"-?\d+", number):  # a partner or public table holds numbers as text beside <5
        return display_cell(name, int(number))
    if re.fullmatch(r"-?\d+\.\d*", number):
        return display_cell(name, float(number))
    return text


def _numeric(table: pa.Table, column: str) -> bool:
    kind = table.schema.field(column).type
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or column not in (
        "district", "domestic", "relationship", "outcome", "group", "allocated_unit", "category", "area_name",
        "area_code", "gi_class", "offence_family", "placed_by", "level", "dimension", "basis", "cyber")


def table_block(table: pa.Table, name: str, title: str, columns: Sequence[str] | None = None,
                limit: int | None = None, note: str = "") -> TableBlock:
    """A profile table as the report shows it: ``columns`` (default all) with their labels,
    the first ``limit`` rows (a note says how many were left out)."""
    columns = [c for c in (columns or table.column_names) if c in table.column_names]
    rows = table.select(columns).to_pylist()
    if limit is not None and len(rows) > limit:
        note = (note + " " if note else "") + (f"The first {limit} of {len(rows):,} rows are shown; "
                                               "tables.xlsx has them all.")
        rows = rows[:limit]
    return TableBlock(name, title, tuple(label(c) for c in columns),
                      tuple(tuple(display_cell(c, r[c]) for c in columns) for r in rows),
                      tuple(_numeric(table, c) for c in columns), note)


def has_rows(profile: Profile, name: str) -> bool:
    table = profile.tables.get(name)
    return table is not None and table.num_rows > 0


def paragraphs(sentences: Sequence[str]) -> list[Block]:
    return [Paragraph(s) for s in sentences]


