"""What every import of case records shares (risk forms, referrals, SPO events): the file's
earlier import, row numbering, the problems summary, the batch row and claiming a batch id.

Each record kind has its own ``source_kind`` in the ``batches`` table, so the same file may be
imported once as each kind, and ``--as-of`` covers records and crimes alike.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile import __version__
from stalking_profile.errors import InputFileError, MissingColumnError, StoreError
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import Tx, move_staged, with_counts

#: Values per ``isin`` literal list: lists stay small on both engines.
CHUNK = 1000

if TYPE_CHECKING:
    from stalking_profile.ingest.readers import RawExtract

__all__ = ["ImportCounts", "RecordImport", "batch_row", "chunks", "claim_batch", "date_errors", "keep", "map_columns",
           "numbered_rows", "open_import", "previous_import", "problems", "read_rows", "with_counts"]


class ImportCounts(Protocol):
    """The accounting an import result carries into its ``batches`` row."""

    file_name: str
    file_sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_warned: int


@dataclass
class RecordImport:
    """The accounting of one records import: read = accepted + rejected; accepted = new + already stored."""

    file_name: str
    file_sha256: str
    batch_id: int | None = None
    already_imported: bool = False
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_new: int = 0
    rows_unchanged: int = 0
    rows_warned: int = 0
    rows_blank: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, int, str]] = field(default_factory=list)  # severity, column, rows, example


def column_name(header: str) -> str:
    """A header compared as a field name: lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def map_columns(headers: list[str], file_name: str, fields_known: Collection[str], required: Collection[str],
                layout: str, template: str) -> tuple[dict[str, str], list[str]]:
    """The file's header for each known field, and the headers not used; a missing required
    field or a field given twice is an :class:`InputFileError` naming the fix.

    Examples
    --------
    >>> map_columns(["Crime Ref", "SERVICE", "notes"], "r.csv", ("crime_ref", "service"), ("crime_ref",),
    ...             "crime_ref,service", "referral template")
    ({'crime_ref': 'Crime Ref', 'service': 'SERVICE'}, ['notes'])
    """
    fields: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        name = column_name(header)
        if name not in fields_known:
            ignored.append(header)
        elif name in fields:
            raise InputFileError(f"{file_name} has two columns for {name} ('{fields[name]}' and '{header}')",
                                 "keep one of them")
        else:
            fields[name] = header
    missing = [f for f in required if f not in fields]
    if missing:
        raise MissingColumnError(f"{file_name} has no {', '.join(missing)} column",
                                 f"the file has the columns {layout} (`stalking-profile {template}`)")
    return fields, ignored


def date_errors(column: str, text: str | None, date: dt.date | None, bad: bool,
                today: dt.date) -> list[tuple[str, str]]:
    """``(column, reason)`` when a record's date cannot be read or is after today; else nothing.

    Examples
    --------
    >>> date_errors("status_date", "31/02/2021", None, True, dt.date(2022, 1, 1))
    [('status_date', "status_date '31/02/2021' cannot be read (use YYYY-MM-DD or DD/MM/YYYY)")]
    >>> date_errors("status_date", "2023-01-01", dt.date(2023, 1, 1), False, dt.date(2022, 1, 1))
    [('status_date', 'status_date 2023-01-01 is after today (2022-01-01)')]
    """
    if bad:
        return [(column, f"{column} '{(text or '')[:40]}' cannot be read (use YYYY-MM-DD or DD/MM/YYYY)")]
    if date is not None and date > today:
        return [(column, f"{column} {date} is after today ({today})")]
    return []


R = TypeVar("R", bound=RecordImport)


def open_import(path: Path, store: Store, kind: str, make: Callable[[str, str], R]) -> tuple[R, dt.datetime]:
    """The result of importing ``path`` as ``kind`` records, begun: named and hashed, and marked
    ``already_imported`` (with that batch) when this file was imported as ``kind`` before; and
    when the import started. A missing file is an :class:`InputFileError`."""
    from stalking_profile.ingest.readers import file_sha256

    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path; the file must exist and be readable")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = make(path.name, file_sha256(path))
    previous = previous_import(store, kind, result.file_sha256)
    if previous is not None:
        result.batch_id, result.already_imported = previous, True
    return result, started


def read_rows(path: Path, sheet: str | None, what: str, hint: str) -> tuple[RawExtract, pa.Table, int]:
    """The file read (CSV, XLSX or Parquet), its non-blank rows numbered, and how many were blank;
    a file with a header but no ``what`` is an :class:`InputFileError` with ``hint``."""
    from stalking_profile.ingest.readers import read_extract

    raw = read_extract(path, sheet)
    table, blank = numbered_rows(raw.table)
    if table.num_rows == 0:
        raise InputFileError(f"{path.name} has a header but no {what}", hint)
    return raw, table, blank


def previous_import(store: Store, kind: str, sha: str) -> int | None:
    """The batch that imported this file as ``kind`` records, if one did."""
    b = store.table(tables.BATCHES)
    found = b.filter((b.source_kind == kind) & (b.file_sha256 == sha)).batch_id.min().to_pyarrow().as_py()
    return None if found is None else int(found)


def numbered_rows(table: pa.Table) -> tuple[pa.Table, int]:
    """The rows with their line number in the file (the header is line 1), blank rows dropped;
    and how many were blank.

    Examples
    --------
    >>> kept, blank = numbered_rows(pa.table({"a": ["x", None, "y"]}))
    >>> kept["row_number"].to_pylist(), blank
    ([2, 4], 1)
    """
    numbers = pa.array(range(2, table.num_rows + 2), pa.int64())
    keep = functools.reduce(pc.or_, [pc.is_valid(c) for c in table.columns]).fill_null(False)
    kept = table.append_column("row_number", numbers).filter(keep)
    return kept, table.num_rows - kept.num_rows


def problems(issues: pa.Table) -> list[tuple[str, str, int, str]]:
    """``(severity, column, rows, example)`` per column with issues: errors first, commonest first."""
    if issues.num_rows == 0:
        return []
    counted = issues.group_by(["severity", "column_name"]).aggregate([("row_number", "count_distinct"),
                                                                      ("reason", "min")]).to_pylist()
    counted.sort(key=lambda r: (r["severity"] != "error", -r["row_number_count_distinct"], r["column_name"]))
    return [(r["severity"], r["column_name"], r["row_number_count_distinct"], r["reason_min"]) for r in counted]


def batch_row(kind: str, result: ImportCounts, file_format: str, encoding: str, source: str,
              started: dt.datetime) -> pa.Table:
    """The ``batches`` row of an import of ``kind`` records (all but its id and version counts)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    schema = pa.schema([(f.name, f.type) for f in tables.SCHEMAS[tables.BATCHES].to_pyarrow()
                        if f.name not in ("batch_id", "rows_new", "rows_changed", "rows_unchanged")])
    return pa.table({
        "source_kind": [kind], "file_name": [result.file_name], "file_sha256": [result.file_sha256],
        "file_format": [file_format], "encoding": [encoding], "mapping": [source], "key_fingerprint": [None],
        "tool_version": [__version__], "started_at": [started], "finished_at": [now],
        "rows_read": [result.rows_read], "rows_accepted": [result.rows_accepted],
        "rows_rejected": [result.rows_rejected], "rows_warned": [result.rows_warned],
    }, schema=schema)


def claim_batch(tx: Tx, store: Store, kind: str, sha: str) -> int:
    """Under the lock: the next batch id, unless another process imported this file meanwhile."""
    if store.engine == "postgres":
        tx.execute(f"LOCK TABLE {tables.BATCHES} IN EXCLUSIVE MODE")
    if not re.fullmatch(r"[0-9a-f]{64}", sha) or not re.fullmatch(r"[a-z_]+", kind):  # both go into SQL below
        raise ValueError(f"not a file hash and record kind: {sha!r}, {kind!r}")
    if tx.execute(f"SELECT 1 FROM {tables.BATCHES} WHERE source_kind = '{kind}' AND file_sha256 = '{sha}'"):
        raise StoreError("this file was imported by another process while it was being read; nothing was written",
                         "run `stalking-profile info` to see the batch")
    return int(tx.execute(f"SELECT COALESCE(MAX(batch_id), 0) + 1 FROM {tables.BATCHES}")[0][0])


def chunks(values: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    """``values`` in slices of ``size``, for ``isin`` lists that stay small on both engines.

    Examples
    --------
    >>> [len(c) for c in chunks([str(i) for i in range(2500)])]
    [1000, 1000, 500]
    """
    for start in range(0, len(values), size):
        yield values[start:start + size]


def keep(tx: Tx, batch_id: int, *parts: tuple[str, pa.Table]) -> None:
    """Inside an import's transaction: each ``(table, rows)`` stored under ``batch_id``."""
    for target, data in parts:
        stage = f"_sp_stage_{target}"
        tx.stage(stage, target, data)
        move_staged(tx, stage, target, data.column_names, batch_id)
