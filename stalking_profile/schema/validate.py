"""Row-level, vectorised validation of a canonical crime extract.

:func:`validate` never raises on bad rows: it returns the typed table, the mask of
rejected rows and one issue per problem (row, column, severity, reason). The rules:

- a required value that is missing rejects the row;
- a value in a *strict* column (see :mod:`stalking_profile.schema.columns`) that
  cannot be read rejects the row: any date, the outcome, coordinates;
- a date after today, an unknown district, or coordinates outside the force area
  reject the row;
- an unreadable value in any other optional column is blanked and kept as a warning.

Duplicate crime references are checked later, once rows are hashed (see ingest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.force import Force
from stalking_profile.schema import parse
from stalking_profile.schema.columns import CRIME_COLUMNS, Column

__all__ = ["ISSUE_SCHEMA", "Issues", "ValidationResult", "validate"]

ISSUE_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("crime_ref", pa.string()),
        ("column_name", pa.string()),
        ("severity", pa.string()),
        ("reason", pa.string()),
    ]
)

_HOW = {
    "date": "use YYYY-MM-DD or DD/MM/YYYY",
    "bool": "use Y/N, Yes/No, True/False or 1/0",
    "int": "use a whole number from 0 to 120",
    "float": "use a decimal number",
    "outcome": "use a Home Office outcome such as '15: <label>' or a code 1-22 (1A, 3A ... allowed)",
}


#: An issue's reason: a fixed text, or a function of the affected rows' indices (so that
#: texts quoting the bad values are built for those rows only).
Reason = str | Callable[[pa.Array], pa.Array]


class Issues:
    """Collects issues rule by rule; each rule gives a mask and a reason per row."""

    def __init__(self, rows: pa.Array, crime_ref: pa.Array) -> None:
        self._rows = rows
        self._refs = crime_ref
        self._parts: list[pa.Table] = []
        self.rejected = pa.array([False] * len(rows), pa.bool_())

    def add(self, mask: pa.Array, column: str, severity: str, reason: Reason) -> None:
        """Record ``reason`` for the rows in ``mask``; a callable reason gets the row indices."""
        mask = mask.fill_null(False)
        idx = pc.indices_nonzero(mask)
        if len(idx) == 0:
            return
        n = len(idx)
        reasons = pa.array([reason] * n) if isinstance(reason, str) else reason(idx)
        self._parts.append(
            pa.table(
                [pc.take(self._rows, idx), pc.take(self._refs, idx), pa.array([column] * n),
                 pa.array([severity] * n), reasons.cast(pa.string())],
                schema=ISSUE_SCHEMA,
            )
        )
        if severity == "error":
            self.rejected = pc.or_(self.rejected, mask)

    def table(self) -> pa.Table:
        if not self._parts:
            return ISSUE_SCHEMA.empty_table()
        return pa.concat_tables(self._parts).sort_by([("row_number", "ascending")])


@dataclass(frozen=True)
class ValidationResult:
    """Typed canonical columns (all rows), the rejected-row mask and the issues."""

    table: pa.Table
    rejected: pa.Array
    issues: pa.Table


def _quoted(raw: pa.Array, prefix: str, suffix: str, show: bool = True) -> Callable[[pa.Array], pa.Array]:
    """Reason texts quoting the bad value, or (``show=False``) only its length: a misplaced
    column can put a name or a birth date into any field, and reasons are stored."""

    def text(idx: pa.Array) -> pa.Array:
        values = pc.take(raw, idx)
        if show:
            return pc.binary_join_element_wise(prefix + "'", pc.utf8_slice_codeunits(values, 0, 60), "'" + suffix, "")
        length = pc.cast(pc.utf8_length(pc.utf8_trim_whitespace(values)), pa.string())
        return pc.binary_join_element_wise(prefix + "(a value of ", length, " characters, not shown)" + suffix, "")

    return text


#: Kinds whose bad values are quoted in reasons: codes, dates, flags and numbers, not free values.
_QUOTED_KINDS = ("code", "date", "bool", "float")


def _by_distinct(raw: pa.Array, fn: Callable[[pa.Array], tuple[pa.Array, ...]]) -> tuple[pa.Array, ...]:
    """Apply ``fn`` to each distinct value once when values repeat (codes, dates, flags, labels)."""
    encoded = pc.dictionary_encode(raw)
    if len(encoded.dictionary) * 2 > len(raw):
        return fn(raw)
    return tuple(pc.take(out, encoded.indices) for out in fn(encoded.dictionary))


def _parse(col: Column, raw: pa.Array, force: Force) -> tuple[parse.Parsed, pa.Array | None, pa.Array | None]:
    """Parsed values, plus (for the outcome) its Home Office type and the type-0 mask."""
    if col.name == "outcome":
        def outcome(values: pa.Array) -> tuple[pa.Array, ...]:
            parsed, otype, zero = parse.parse_outcome(values)
            return parsed.values, parsed.bad, otype, zero

        values, bad, otype, zero = _by_distinct(raw, outcome)
        return parse.Parsed(values, bad.fill_null(False)), otype, zero.fill_null(False)
    if col.kind == "text":
        return parse.parse_text(raw), None, None

    def one(values: pa.Array) -> tuple[pa.Array, ...]:
        parsed = _parse_column(col, values, force)
        return parsed.values, parsed.bad

    values, bad = _by_distinct(raw, one)
    return parse.Parsed(values, bad.fill_null(False)), None, None


def _parse_column(col: Column, raw: pa.Array, force: Force) -> parse.Parsed:
    parsers: dict[str, Callable[[pa.Array], parse.Parsed]] = {
        "text": parse.parse_text,
        "code": parse.parse_code,
        "date": parse.parse_date,
        "bool": parse.parse_bool,
        "int": parse.parse_int,
        "float": parse.parse_float,
    }
    if col.name == "district":
        return parse.parse_lookup(raw, force.district_aliases())
    if col.kind == "enum":
        return parse.parse_enum(raw, col.name, col.values)
    return parsers[col.kind](raw)


def _check_value(col: Column, raw: pa.Array, parsed: parse.Parsed, issues: Issues, force: Force) -> None:
    if col.required:
        missing = pc.and_(pc.is_null(parsed.values), pc.invert(parsed.bad))
        issues.add(missing, col.name, "error", f"missing {col.name} (required)")
    if col.name == "district":
        known = ", ".join(force.district_codes)
        issues.add(parsed.bad, col.name, "error", _quoted(raw, "unknown district ", f" (use one of {known})"))
        return
    if col.kind == "enum":
        allowed = ", ".join(col.values)
        text = _quoted(raw, f"{col.name} ", f" not recognised (use {allowed}); blanked", show=False)
        issues.add(parsed.bad, col.name, "warning", text)
        return
    how = _HOW.get("outcome" if col.name == "outcome" else col.kind, "")
    severity = "error" if (col.strict or col.required) else "warning"
    tail = f" ({how})" if severity == "error" else f" ({how}); blanked"
    show = col.kind in _QUOTED_KINDS or col.name == "outcome"
    issues.add(parsed.bad, col.name, severity, _quoted(raw, f"{col.name} ", f" cannot be read{tail}", show))


def _future_text(values: pa.Array, name: str, today: dt.date) -> Callable[[pa.Array], pa.Array]:
    def text(idx: pa.Array) -> pa.Array:
        dates = pc.strftime(pc.take(values, idx).cast(pa.timestamp("s")), format="%Y-%m-%d")
        return pc.binary_join_element_wise(f"{name} ", dates, f" is after today ({today.isoformat()})", "")

    return text


def _check_future(columns: dict[str, pa.Array], issues: Issues, today: dt.date) -> None:
    limit = pa.scalar(today, pa.date32())
    for name in ("recorded_date", "committed_date", "arrest_date", "outcome_date"):
        if name in columns:
            values = columns[name]
            future = pc.greater(values, limit)
            issues.add(future, name, "error", _future_text(values, name, today))


def _in_box(x: pa.Array, y: pa.Array, box: tuple[float, float, float, float]) -> pa.Array:
    inside = pc.and_(pc.greater_equal(x, box[0]), pc.less_equal(x, box[2]))
    return pc.and_(inside, pc.and_(pc.greater_equal(y, box[1]), pc.less_equal(y, box[3])))


def _outside_text(x: pa.Array, y: pa.Array, xname: str, yname: str, force: Force) -> Callable[[pa.Array], pa.Array]:
    def text(idx: pa.Array) -> pa.Array:
        xs, ys = pc.cast(pc.take(x, idx), pa.string()), pc.cast(pc.take(y, idx), pa.string())
        return pc.binary_join_element_wise(
            f"{yname}/{xname} (", ys, ", ", xs, f") is outside the {force.name} area; check the coordinate columns", ""
        )

    return text


def _check_coordinates(columns: dict[str, pa.Array], issues: Issues, force: Force) -> None:
    pairs = (("longitude", "latitude", force.bbox_wgs84), ("easting", "northing", force.bbox_bng))
    for xname, yname, box in pairs:
        if xname not in columns and yname not in columns:
            continue
        n = len(issues.rejected)
        x = columns.get(xname, pa.nulls(n, pa.float64()))
        y = columns.get(yname, pa.nulls(n, pa.float64()))
        zero = pc.and_(pc.equal(x, 0.0), pc.equal(y, 0.0)).fill_null(False)
        issues.add(zero, xname, "warning", f"{yname}/{xname} 0, 0 means no location; blanked")
        x = pc.if_else(zero, pa.scalar(None, pa.float64()), x)
        y = pc.if_else(zero, pa.scalar(None, pa.float64()), y)
        for name, values in ((xname, x), (yname, y)):
            if name in columns:
                columns[name] = values
        half = pc.xor(pc.is_valid(x), pc.is_valid(y))
        issues.add(half, xname, "error", f"{xname} and {yname} must both be given or both be blank")
        outside = pc.invert(_in_box(x, y, box))
        both = pc.and_(pc.is_valid(x), pc.is_valid(y))
        issues.add(pc.and_(both, outside), xname, "error", _outside_text(x, y, xname, yname, force))


def validate(raw: pa.Table, rows: pa.Array, force: Force, today: dt.date) -> ValidationResult:
    """Parse and check every canonical column present in ``raw`` (strings, canonical names).

    ``rows`` holds each row's number in the source file (the header is row 1).
    """
    present = [c for c in CRIME_COLUMNS if c.name in raw.column_names and c.kind not in ("person", "pii")]
    ref = parse.parse_text(raw.column("crime_ref").combine_chunks())
    issues = Issues(rows, ref.values)
    columns: dict[str, pa.Array] = {}
    for col in present:
        raw_col = raw.column(col.name).combine_chunks()
        parsed, otype, zero = (ref, None, None) if col.name == "crime_ref" else _parse(col, raw_col, force)
        if otype is not None and zero is not None:
            columns["outcome_type"] = otype
            issues.add(zero, "outcome", "warning", "outcome type 0 means no outcome yet; blanked")
        columns[col.name] = parsed.values
        _check_value(col, raw_col, parsed, issues, force)
    _check_future(columns, issues, today)
    _check_coordinates(columns, issues, force)
    return ValidationResult(pa.table(columns), issues.rejected, issues.table())
