"""Write a profile's tables: a folder of CSVs, one XLSX workbook, or one JSON document.

All three hold the same tables. In CSV, text that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is written with a leading ``'``;
in XLSX every text cell is written as a string, which Excel never runs.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from stalking_profile.errors import ConfigError
from stalking_profile.metrics.profile import Profile

__all__ = ["Format", "neutralise", "write_profile"]

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


def _meta(profile: Profile) -> dict[str, Any]:
    return {"period": {"start": str(profile.period.start), "end": str(profile.period.end),
                       "label": profile.period.label},
            "previous": {"start": str(profile.previous.start), "end": str(profile.previous.end)},
            "offence_family": profile.family, "offence_codes": list(profile.codes), "as_of_batch": profile.as_of,
            "notes": profile.notes, "attribution": ATTRIBUTION}


def _is_pct(name: str) -> bool:
    return name.endswith("pct") or "ci_" in name


def _cell(name: str, value: Any) -> str:
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


def _write_csv(profile: Profile, out: Path) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file", "give --out a folder for --format csv")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in profile.tables.items():
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(table.column_names)
            for row in table.to_pylist():
                writer.writerow([_cell(k, v) for k, v in row.items()])
        written.append(path)
    notes = out / "notes.txt"
    notes.write_text("\n".join([*profile.notes, ATTRIBUTION]) + "\n", encoding="utf-8")
    return [*written, notes]


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _write_json(profile: Profile, out: Path) -> list[Path]:
    doc = {**_meta(profile), "tables": {
        name: {"columns": t.column_names, "rows": [{k: _clean(v) for k, v in row.items()} for row in t.to_pylist()]}
        for name, t in profile.tables.items()}}
    out.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    return [out]


def _write_xlsx(profile: Profile, out: Path) -> list[Path]:
    import xlsxwriter

    if out.is_dir():
        raise ConfigError(f"{out} is a folder", "give --out a file name ending .xlsx for --format xlsx")
    sheets = [name[:31] for name in profile.tables]
    if len(set(sheets)) != len(sheets) or "about" in sheets:
        raise ConfigError("two tables would share a sheet name", "rename the tables (sheet names keep 31 characters)")
    book = xlsxwriter.Workbook(str(out), {"nan_inf_to_errors": True})
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True})
    formats = {"int": book.add_format({"num_format": "#,##0"}), "pct": book.add_format({"num_format": "0.0"}),
               "pct_small": book.add_format({"num_format": "0.00"}), "p": book.add_format({"num_format": "0.00E+00"}),
               "num": book.add_format({"num_format": "General"})}
    about = book.add_worksheet("about")
    for r, line in enumerate([f"Stalking profile: {profile.period.label}", *profile.notes, ATTRIBUTION]):
        about.write_string(r, 0, line)
    about.set_column(0, 0, 120)
    for name, table in profile.tables.items():
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
                else:
                    small = kind == "pct" and abs(value) < 10
                    sheet.write_number(r, c, value, formats["pct_small" if small else kind])
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        raise ConfigError(f"cannot write {out}: {exc}", "check the folder exists and the file is not open") from None
    return [out]


def write_profile(profile: Profile, fmt: Format, out: Path) -> list[Path]:
    """Write ``profile`` as ``fmt`` to ``out`` (a folder for CSV, a file otherwise); returns the paths."""
    if fmt != "csv" and not out.parent.exists():
        raise ConfigError(f"folder {out.parent} does not exist", "create it or give --out another path")
    writers = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}
    if fmt not in writers:
        raise ConfigError(f"unknown format '{fmt}'", "use csv, xlsx or json")
    return writers[fmt](profile, out)
