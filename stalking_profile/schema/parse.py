"""Vectorised readers for the value formats of the data contract.

Each reader takes an Arrow string array and returns a :class:`Parsed`: the typed
values (null where blank or unreadable) and a mask of the values that were present
but could not be read. Nothing here raises on bad data; validation decides what a
bad value means for its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.schema.codes import ENUM_SYNONYMS, OUTCOME_RE

__all__ = [
    "Parsed",
    "blank_to_null",
    "parse_bool",
    "parse_code",
    "parse_date",
    "parse_enum",
    "parse_float",
    "parse_int",
    "parse_lookup",
    "parse_outcome",
    "parse_text",
]

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + "$"
_UK = r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})" + _TIME + "$"
_TRUE = ("y", "yes", "true", "t", "1")
_FALSE = ("n", "no", "false", "f", "0")
_INT = r"^[0-9]{1,3}(\.0+)?$"
_FLOAT = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"


@dataclass(frozen=True)
class Parsed:
    """Typed values plus the mask of values present but unreadable."""

    values: pa.Array
    bad: pa.Array


def blank_to_null(arr: pa.Array) -> pa.Array:
    """Trim white space; empty strings become null.

    When nothing needed changing the input itself is returned, so a large text column
    (the MO) is not held twice.
    """
    arr = arr.cast(pa.string())
    s = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(s, "")
    trimmed = pc.not_equal(pc.binary_length(s), pc.binary_length(arr))
    if not pc.any(blank).as_py() and not pc.any(trimmed).as_py():
        return arr
    return pc.if_else(blank, pa.scalar(None, pa.string()), s)


def parse_text(arr: pa.Array) -> Parsed:
    """Free text: trimmed; internal white space kept."""
    values = blank_to_null(arr)
    return Parsed(values, pc.and_(pc.is_valid(values), pc.is_null(values)))


def parse_code(arr: pa.Array) -> Parsed:
    """A code (offence, ward, LSOA, ethnicity): upper-case, no spaces."""
    values = blank_to_null(arr)
    values = pc.utf8_upper(pc.replace_substring(values, " ", ""))
    return Parsed(values, pc.and_(pc.is_valid(values), pc.is_null(values)))


def _date_parts(s: pa.Array, pattern: str) -> tuple[pa.Array, pa.Array, pa.Array]:
    parts = pc.extract_regex(s, pattern)
    return (pc.struct_field(parts, "y"), pc.struct_field(parts, "m"), pc.struct_field(parts, "d"))


def parse_date(arr: pa.Array) -> Parsed:
    """Dates as ISO ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (an optional time is ignored).

    Impossible dates (31/02/2021) and two-digit years are unreadable, not rolled over.

    Examples
    --------
    >>> parse_date(pa.array(["2021-03-05", "05/03/2021", "31/02/2021", None])).values.to_pylist()
    [datetime.date(2021, 3, 5), datetime.date(2021, 3, 5), None, None]
    """
    s = blank_to_null(arr)
    y1, m1, d1 = _date_parts(s, _ISO)
    y2, m2, d2 = _date_parts(s, _UK)
    y, m, d = pc.coalesce(y1, y2), pc.coalesce(m1, m2), pc.coalesce(d1, d2)
    iso = pc.binary_join_element_wise(
        y, pc.utf8_lpad(m, width=2, padding="0"), pc.utf8_lpad(d, width=2, padding="0"), "-"
    )
    ts = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    ok = pc.and_kleene(
        pc.equal(pc.day(ts), pc.cast(d, pa.int64())), pc.equal(pc.month(ts), pc.cast(m, pa.int64()))
    )
    ok = pc.and_kleene(ok, pc.greater_equal(pc.year(ts), 1900))
    values = pc.if_else(ok.fill_null(False), ts, pa.scalar(None, ts.type)).cast(pa.date32())
    return Parsed(values, pc.and_(pc.is_valid(s), pc.is_null(values)))


def parse_bool(arr: pa.Array) -> Parsed:
    """Booleans: Y/N, Yes/No, True/False, T/F, 1/0, in any case."""
    s = pc.utf8_lower(blank_to_null(arr))
    true = pc.is_in(s, value_set=pa.array(_TRUE))
    false = pc.is_in(s, value_set=pa.array(_FALSE))
    values = pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_())))
    values = pc.if_else(pc.is_null(s), pa.scalar(None, pa.bool_()), values)
    return Parsed(values, pc.and_(pc.is_valid(s), pc.is_null(values)))


def parse_int(arr: pa.Array, lo: int = 0, hi: int = 120) -> Parsed:
    """Whole numbers between ``lo`` and ``hi`` (ages)."""
    s = blank_to_null(arr)
    ok = pc.match_substring_regex(s, _INT)
    num = pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), pa.float64())
    num = pc.if_else(pc.and_(pc.greater_equal(num, lo), pc.less_equal(num, hi)), num, None)
    values = pc.cast(num, pa.int16())
    return Parsed(values, pc.and_(pc.is_valid(s), pc.is_null(values)))


def parse_float(arr: pa.Array) -> Parsed:
    """Decimal numbers (coordinates)."""
    s = blank_to_null(arr)
    ok = pc.match_substring_regex(s, _FLOAT)
    values = pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), pa.float64())
    return Parsed(values, pc.and_(pc.is_valid(s), pc.is_null(values)))


def parse_lookup(arr: pa.Array, mapping: Mapping[str, str]) -> Parsed:
    """Values looked up case-insensitively in ``mapping`` (spelling -> canonical value)."""
    s = pc.utf8_upper(blank_to_null(arr))
    keys = pa.array([k.upper() for k in mapping])
    idx = pc.index_in(s, value_set=keys)
    values = pc.take(pa.array(list(mapping.values()), pa.string()), idx)
    return Parsed(values, pc.and_(pc.is_valid(s), pc.is_null(values)))


def parse_enum(arr: pa.Array, column: str, allowed: tuple[str, ...]) -> Parsed:
    """An enumerated value: the canonical spelling, a known synonym, or unreadable."""
    mapping: dict[str, str] = {v: v for v in allowed}
    for v in allowed:
        mapping[v.replace("_", " ")] = v
        mapping[v.replace("_", "-")] = v
    mapping.update(ENUM_SYNONYMS.get(column, {}))
    return parse_lookup(arr, mapping)


def parse_outcome(arr: pa.Array) -> tuple[Parsed, pa.Array, pa.Array]:
    """Outcome labels: ``15: POLICE - NAMED SUSPECT ...`` or a bare code (``15``, ``1A``, ``15B``).

    Returns the parsed labels (upper-cased, white space collapsed), the Home Office type
    (``1`` .. ``22`` with any letter suffix) and a mask of type-0 values (never an outcome:
    they are blanked). Types outside 1..22 and free text are unreadable.

    Examples
    --------
    >>> p, t, zero = parse_outcome(pa.array(["15: cps - named suspect", "1a", "99: x", "0", "01: CHARGED"]))
    >>> t.to_pylist(), p.bad.to_pylist(), p.values[4].as_py()
    (['15', '1A', None, None, '1'], [False, False, True, False, False], '1: CHARGED')
    """
    s = pc.utf8_upper(pc.replace_substring_regex(blank_to_null(arr), r"\s+", " "))
    parts = pc.extract_regex(s, OUTCOME_RE)
    raw_code = pc.struct_field(parts, "code")
    number = pc.cast(pc.replace_substring_regex(raw_code, r"[A-Z]+$", ""), pa.int64())
    # "01" is type 1: the code is rebuilt from its number and letter
    code = pc.binary_join_element_wise(pc.cast(number, pa.string()), pc.extract_regex(raw_code, r"(?P<s>[A-Z]*)$")
                                       .field("s"), "")
    zero = pc.equal(number, 0).fill_null(False)
    known = pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, 22)).fill_null(False)
    otype = pc.if_else(known, code, pa.scalar(None, pa.string()))
    text = pc.struct_field(parts, "label")
    canonical = pc.if_else(pc.and_(pc.is_valid(text), pc.not_equal(text, "")),
                           pc.binary_join_element_wise(code, text, ": "), code)  # "15 - X", "15:X" -> "15: X"
    label = pc.if_else(known, canonical, pa.scalar(None, pa.string()))
    bad = pc.and_(pc.and_(pc.is_valid(s), pc.invert(known)), pc.invert(zero))
    return Parsed(label, bad), otype, zero
