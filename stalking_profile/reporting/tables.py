"""Write a profile's tables: a folder of CSVs, one XLSX workbook, or one JSON document.

All three hold the same tables. In CSV, text that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is written with a leading ``'``;
in XLSX every text cell is written as a string, which Excel never runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from stalking_profile.errors import ConfigError
from stalking_profile.metrics.profile import Profile
from stalking_profile.worklists.build import Worklist

__all__ = ["Format", "TableSet", "format_cell", "neutralise", "write_profile", "write_worklist"]

Format = Literal["csv", "xlsx", "json"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


def neutralise(value: str) -> str:
    """A text cell made safe for spreadsheets.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-1"), neutralise("BD")
    ('\\'=HYPERLINK("http://x")', "'-1", 'BD')
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class TableSet:
    """Tables written together, with a title, the notes that explain them and their metadata."""

    title: str
    tables: dict[str, pa.Table]
    notes: list[str]
    meta: dict[str, Any]


def _profile_set(profile: Profile) -> TableSet:
    meta = {"period": {"start": str(profile.period.start), "end": str(profile.period.end),
                       "label": profile.period.label},
            "previous": {"start": str(profile.previous.start), "end": str(profile.previous.end)},
            "offence_family": profile.family, "offence_codes": list(profile.codes), "as_of_batch": profile.as_of,
            "audience": profile.audience, "marking": profile.marking,
            "notes": profile.notes, "attribution": ATTRIBUTION}
    return TableSet(f"Stalking profile: {profile.period.label} ({profile.marking})", profile.tables,
                    [*profile.notes, ATTRIBUTION], meta)


def _is_pct(name: str) -> bool:
    return name.endswith("pct") or "ci_" in name


def format_cell(name: str, value: Any) -> str:
    """A CSV cell: blank for none, percentages with the contract's decimals, text made safe."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and _is_pct(name):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _csv_file(table: pa.Table, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([format_cell(k, v) for k, v in row.items()])


def _write_csv(tables: TableSet, out: Path) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file", "give --out a folder for --format csv")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.tables.items():
        path = out / f"{name}.csv"
        _csv_file(table, path)
        written.append(path)
    notes = out / "notes.txt"
    notes.write_text("\n".join(tables.notes) + "\n", encoding="utf-8")
    return [*written, notes]


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _write_json(tables: TableSet, out: Path) -> list[Path]:
    doc = {**tables.meta, "tables": {
        name: {"columns": t.column_names, "rows": [{k: _clean(v) for k, v in row.items()} for row in t.to_pylist()]}
        for name, t in tables.tables.items()}}
    out.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    return [out]


def _write_xlsx(tables: TableSet, out: Path) -> list[Path]:
    import xlsxwriter

    if out.is_dir():
        raise ConfigError(f"{out} is a folder", "give --out a file name ending .xlsx for --format xlsx")
    sheets = [name[:31] for name in tables.tables]
    if len(set(sheets)) != len(sheets) or "about" in sheets:
        raise ConfigError("two tables would share a sheet name", "rename the tables (sheet names keep 31 characters)")
    book = xlsxwriter.Workbook(str(out), {"nan_inf_to_errors": True})
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True})
    formats = {"int": book.add_format({"num_format": "#,##0"}), "pct": book.add_format({"num_format": "0.0"}),
               "pct_small": book.add_format({"num_format": "0.00"}), "p": book.add_format({"num_format": "0.00E+00"}),
               "num": book.add_format({"num_format": "General"}), "date": book.add_format({"num_format": "yyyy-mm-dd"})}
    about = book.add_worksheet("about")
    for r, line in enumerate([tables.title, *tables.notes]):
        about.write_string(r, 0, line)
    about.set_column(0, 0, 120)
    for name, table in tables.tables.items():
        sheet = book.add_worksheet(name[:31])
        sheet.freeze_panes(1, 0)
        for c, fld in enumerate(table.schema):
            sheet.write_string(0, c, fld.name, header)
            width = max(10, min(60, max([len(fld.name)] + [len(str(v)) for v in table.column(c).to_pylist()[:200]])))
            sheet.set_column(c, c, width + 2)
        for c, fld in enumerate(table.schema):
            kind = ("int" if pa.types.is_integer(fld.type) else "pct" if _is_pct(fld.name)
                    else "p" if fld.name.endswith("p_value") else "num")
            for r, value in enumerate(table.column(c).to_pylist(), start=1):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)  # a string cell is never run as a formula
                elif isinstance(value, bool):
                    sheet.write_string(r, c, "Y" if value else "N")
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, formats["date"])
                else:
                    small = kind == "pct" and abs(value) < 10
                    sheet.write_number(r, c, value, formats["pct_small" if small else kind])
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        raise ConfigError(f"cannot write {out}: {exc}", "check the folder exists and the file is not open") from None
    return [out]


def _write(tables: TableSet, fmt: str, out: Path, csv_writer: Any) -> list[Path]:
    writers = {"csv": csv_writer, "xlsx": _write_xlsx, "json": _write_json}
    if fmt not in writers:
        raise ConfigError(f"unknown format '{fmt}'", "use csv, xlsx or json")
    if (fmt != "csv" or csv_writer is not _write_csv) and not out.parent.exists():
        raise ConfigError(f"folder {out.parent} does not exist", "create it or give --out another path")
    written: list[Path] = writers[fmt](tables, out)
    return written


def write_profile(profile: Profile, fmt: Format, out: Path) -> list[Path]:
    """Write ``profile`` as ``fmt`` to ``out`` (a folder for CSV, a file otherwise); returns the paths."""
    return _write(_profile_set(profile), fmt, out, _write_csv)


def _worklist_csv(tables: TableSet, out: Path) -> list[Path]:
    if out.is_dir():
        raise ConfigError(f"{out} is a folder", "give --out a file name ending .csv")
    (table,) = tables.tables.values()
    _csv_file(table, out)
    return [out]


def write_worklist(worklist: Worklist, fmt: Format, out: Path) -> list[Path]:
    """Write a worklist as one CSV file, one XLSX sheet (with an ``about`` sheet) or one JSON document."""
    meta = {"worklist": worklist.name, "title": worklist.title, "offence_family": worklist.family,
            "period": {"start": str(worklist.period.start), "end": str(worklist.period.end)},
            "as_of_batch": worklist.as_of, "marking": "OFFICIAL-SENSITIVE", "notes": worklist.notes}
    tables = TableSet(f"{worklist.title} (OFFICIAL-SENSITIVE)", {worklist.name: worklist.table}, worklist.notes, meta)
    return _write(tables, fmt, out, _worklist_csv)
