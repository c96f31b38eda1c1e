"""Write stored case records (SPO events, referrals, training) back out in their import layout.

One writer for the three ``<record> export`` commands: a CSV or a one-sheet XLSX workbook, by
the suffix of ``out``, with the header on the first row so that ``<record> import`` reads the
file back as it is. An existing file is never overwritten.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is written to CSV with a leading ``'``, as the profile's CSVs are; the record
imports drop that ``'`` again (:func:`restore_text`), so the round trip keeps the value. In XLSX
every text cell is written as a string, which Excel never runs, and dates as date cells.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from stalking_profile.errors import InputFileError
from stalking_profile.force import Force

__all__ = ["EXPORT_SUFFIXES", "check_out", "csv_cell", "district_code", "restore_text", "write_records"]

EXPORT_SUFFIXES = (".csv", ".xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def restore_text(value: str | None) -> str | None:
    """A cell as written before an export made it safe: ``'=x`` -> ``=x``; other values unchanged.

    Examples
    --------
    >>> restore_text("'- no contact"), restore_text("'quoted"), restore_text("BD"), restore_text(None)
    ('- no contact', "'quoted", 'BD', None)
    """
    if value is not None and value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that exists, has another suffix, or sits in a missing folder, before any work."""
    if out.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputFileError(f"cannot export to {out.name}: the name must end .csv or .xlsx",
                             "give --out a file name ending .csv or .xlsx")
    if out.exists():
        raise InputFileError(f"{out} already exists; nothing was written",
                             "choose another --out or remove the file first")
    if not out.parent.is_dir():
        raise InputFileError(f"folder {out.parent} does not exist", "create it or give --out another path")


def district_code(text: str | None, force: Force) -> str | None:
    """The district code a ``--district`` names (code or name, any case); None for none given.

    Examples
    --------
    >>> from stalking_profile.force import load_force
    >>> district_code("leeds", load_force()), district_code(None, load_force())
    ('LD', None)
    """
    if text is None:
        return None
    code = force.district_aliases().get(text.strip().upper())
    if code is None:
        raise InputFileError(f"--district '{text}' is not one of the force's districts",
                             f"use one of {', '.join(force.district_codes)}")
    return code


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: blank for None, ISO dates, and text a spreadsheet would run as a formula
    given a leading ``'`` (:func:`restore_text` takes it off again on import)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _write_csv(table: pa.Table, out: Path) -> None:
    with out.open("x", encoding="utf-8", newline="") as f:  # "x": never replace a file made meanwhile
        writer = csv.writer(f)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([csv_cell(v) for v in row.values()])


def _write_xlsx(table: pa.Table, out: Path, sheet_name: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out))
    header = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(sheet_name[:31])
    sheet.freeze_panes(1, 0)
    for c, name in enumerate(table.column_names):
        sheet.write_string(0, c, name, header)
        sheet.set_column(c, c, max(12, len(name) + 2))
    for r, row in enumerate(table.to_pylist(), start=1):
        for c, value in enumerate(row.values()):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, day)
            else:
                sheet.write_number(r, c, value)
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        raise InputFileError(f"cannot write {out}: {exc}", "check the folder exists and the file is not open") from None


def write_records(table: pa.Table, out: Path, sheet_name: str) -> int:
    """Write ``table`` (its columns in the import layout's order) to ``out``; returns the rows written.

    ``out`` ending ``.csv`` gives a UTF-8 CSV, ``.xlsx`` a workbook whose first (only) sheet is
    ``sheet_name``. An existing ``out`` is an :class:`InputFileError` and is left alone.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "r.csv"
    >>> write_records(pa.table({"ref": ["C1", "=1+1"], "day": [dt.date(2021, 3, 5), None]}), out, "r")
    2
    >>> out.read_text().splitlines()
    ['ref,day', 'C1,2021-03-05', "'=1+1,"]
    """
    check_out(out)
    if out.suffix.lower() == ".csv":
        _write_csv(table, out)
    else:
        _write_xlsx(table, out, sheet_name)
    return int(table.num_rows)
