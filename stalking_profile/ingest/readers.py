"""Read an extract file into an Arrow table of strings: no business rules here.

CSV (UTF-8, UTF-8 with BOM or Windows-1252 as Excel writes it; comma or semicolon),
XLSX (first sheet, or a named one) and Parquet. Every value comes back as a string
(or null) so that one set of parsers reads all three formats alike. A file-level
problem raises :class:`InputFileError` naming the problem and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from stalking_profile.errors import InputFileError

__all__ = ["RawExtract", "file_sha256", "read_extract"]

ProgressFn = Callable[[int], None]
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class RawExtract:
    """The file's table of strings, plus what was detected while reading it."""

    table: pa.Table
    file_format: str
    encoding: str
    delimiter: str


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (the identity of an import)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Counting:
    """A binary file wrapper that reports bytes read, for the progress bar."""

    def __init__(self, f: IO[bytes], progress: ProgressFn | None) -> None:
        self._f = f
        self._progress = progress
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if self._progress is not None:
            self._progress(len(data))
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def _sniff(path: Path) -> tuple[str, str]:
    """Encoding (UTF-8, with or without BOM; Windows-1252 is tried when UTF-8 fails) and delimiter."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head.strip():
        raise InputFileError(f"{path.name} is empty", "export the extract again; the file has no rows")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PAR1"):
        raise InputFileError(
            f"{path.name} looks like a binary file but has a .csv name",
            "rename it to .xlsx or .parquet to match its content",
        )
    if b"\x00" in head:
        raise InputFileError(
            f"{path.name} is not a text table (it contains NUL bytes; UTF-16 is not supported)",
            "save it from Excel as 'CSV UTF-8 (Comma delimited)'",
        )
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    first_line = head.split(b"\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: first_line.count(d.encode()))
    return encoding, delimiter


def _read_csv_as(path: Path, encoding: str, delimiter: str, progress: ProgressFn | None) -> pa.Table:
    with path.open("rb") as raw:
        names = _header_names(raw.readline(), encoding, delimiter)
    with path.open("rb") as raw:
        return pacsv.read_csv(
            _Counting(raw, progress),
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=4 << 20),
            # blank lines are kept (as empty rows) so that row numbers match the file's lines
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )


def _header_names(line: bytes, encoding: str, delimiter: str) -> list[str]:
    text = line.decode("cp1252" if encoding == "cp1252" else "utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text], delimiter=delimiter), [])


def _read_csv(path: Path, progress: ProgressFn | None) -> RawExtract:
    encoding, delimiter = _sniff(path)
    try:
        table = _read_csv_as(path, "utf8" if encoding == "utf-8" else encoding, delimiter, progress)
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc).upper():
            raise _bad_table(path, exc) from exc
        encoding = "cp1252"
        try:
            table = _read_csv_as(path, encoding, delimiter, progress)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc2:
            raise _bad_table(path, exc2) from exc2
    return RawExtract(table, "csv", encoding, delimiter)


def _bad_table(path: Path, exc: Exception) -> InputFileError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputFileError(
        f"{path.name} cannot be read as a table: {first}",
        "check that every row has the same number of fields as the header and that quotes are balanced",
    )


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, sheet: str | None) -> RawExtract:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = sheet or book.sheet_names[0]
        if name not in book.sheet_names:
            raise InputFileError(
                f"{path.name} has no sheet called '{name}'",
                f"use --sheet with one of: {', '.join(book.sheet_names)}",
            )
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except InputFileError:
        raise
    except Exception as exc:  # calamine raises several private error types
        raise InputFileError(
            f"{path.name} cannot be read as an Excel workbook: {exc}",
            "open it in Excel and save it again as .xlsx, or export CSV",
        ) from exc
    if not rows or not any(c not in (None, "") for c in rows[0]):
        raise InputFileError(f"{path.name} has an empty first sheet", "put the header on the first row")
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    cols = list(zip(*rows[1:], strict=False)) if len(rows) > 1 else [() for _ in header]
    names, arrays = [], []
    for i, (name, col) in enumerate(zip(header, cols, strict=False)):
        values = pa.array([_cell_text(v) for v in col], pa.string())
        if not name and values.null_count == len(values):
            continue  # an empty column beside the table
        names.append(name or f"column_{i + 1}")
        arrays.append(values)
    return RawExtract(pa.table(arrays, names=names), "xlsx", "xlsx", "")


def _read_parquet(path: Path) -> RawExtract:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(f"{path.name} cannot be read as Parquet: {exc}", "write the file again") from exc
    arrays = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = pc.local_timestamp(col)  # the wall-clock date where the crime was recorded
        try:
            arrays.append(pc.cast(col, pa.string()))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
            raise InputFileError(
                f"{path.name}: column '{name}' holds {col.type}, which cannot be read as text",
                "write that column as plain values (text, numbers or dates), or drop it",
            ) from exc
    return RawExtract(pa.table(arrays, names=table.column_names), "parquet", "parquet", "")


def read_extract(path: Path, sheet: str | None = None, progress: ProgressFn | None = None) -> RawExtract:
    """Read ``path`` by its suffix (.csv/.txt, .xlsx, .parquet) into a table of strings."""
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path; the file must exist and be readable")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        extract = _read_csv(path, progress)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        extract = _read_xlsx(path, sheet)
    elif suffix in (".parquet", ".pq"):
        extract = _read_parquet(path)
    else:
        raise InputFileError(
            f"{path.name}: files ending '{suffix}' are not supported",
            "export the extract as CSV, XLSX or Parquet",
        )
    if extract.table.num_columns == 0 or not any(extract.table.column_names):
        raise InputFileError(f"{path.name} has no header row", "put the column names on the first line")
    return extract
