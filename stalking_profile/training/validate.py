"""Row-level validation of a training file: every row checked, problems kept with reasons.

The layout is ``officer_id,course,district,team,completed_date``: column names in any case and
order; other columns are ignored and listed (and not kept: they may name people).

The store never holds an officer id, only its keyed token, so ``training export`` cannot write
one back. It writes the token instead, as ``officer_token``, with the fingerprint of the key that
made it (``key_fingerprint``): :data:`EXPORT_FIELDS`. An import therefore takes the officer
either way, per row:

- ``officer_id``: hashed to the keyed token here, as always;
- ``officer_token``: kept as it is, when it has a token's shape (32 hexadecimal characters) and
  the row's ``key_fingerprint`` is this deployment key's fingerprint. A token made under another
  key names nobody under this one, so it is rejected: import the officer_id instead.

A row is rejected when:

- officer_id (or officer_token), course, district or completed_date is blank (team may be blank);
- it gives both an officer_id and an officer_token, or an officer_token that is not a token or
  was made under another key;
- the course is not a configured course or synonym (see :mod:`~stalking_profile.training.courses`);
- the district is not one of the force's districts (code or name);
- the date cannot be read (ISO or dd/mm/yyyy) or is after today;
- the officer already has this course, stored or on an earlier row of the file.

The officer id is replaced by its keyed token (domain ``officer``) as soon as it is read: it is
never kept, not in the accepted rows, nor in a rejected row's values, nor in any reason; nor is a
given officer_token (it may be an id typed into the wrong column).

A text cell that an export made safe for spreadsheets (``'=...``, see
:mod:`stalking_profile.store.export`) is read without its leading ``'``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.ingest.pseudonymise import PseudonymKey
from stalking_profile.schema import parse
from stalking_profile.schema.validate import ISSUE_SCHEMA
from stalking_profile.store import records
from stalking_profile.store.export import restore_text
from stalking_profile.training.courses import Training

__all__ = ["COMPLETION_SCHEMA", "EXPORT_FIELDS", "FIELDS", "LAYOUT", "REQUIRED", "StoredCompletions",
           "ValidatedTraining", "map_columns", "validate_training"]

FIELDS = ("officer_id", "course", "district", "team", "completed_date")
REQUIRED = ("officer_id", "course", "district", "completed_date")
LAYOUT = "officer_id,course,district,team,completed_date"
#: The layout ``training export`` writes: the officer as the stored token, with its key's fingerprint.
EXPORT_FIELDS = ("officer_token", "course", "district", "team", "completed_date", "key_fingerprint")
_KNOWN = (*FIELDS, "officer_token", "key_fingerprint")
_TOKEN = re.compile(r"[0-9a-f]{32}")
#: The columns of a rejected row that are kept in ``raw_json``: never the officer id nor a given token.
KEPT_RAW = ("course", "district", "team", "completed_date", "key_fingerprint")
#: One accepted completion; the officer only as a token.
COMPLETION_SCHEMA = pa.schema([("row_number", pa.int64()), ("officer_token", pa.string()), ("course", pa.string()),
                               ("district", pa.string()), ("team", pa.string()), ("completed_date", pa.date32())])
_REJECTED = pa.schema([("row_number", pa.int64()), ("crime_ref", pa.string()), ("reasons", pa.string()),
                       ("raw_json", pa.string())])
#: The (officer_token, course) pairs already stored, among the given tokens.
StoredCompletions = Callable[[list[str]], set[tuple[str, str]]]


@dataclass(frozen=True)
class ValidatedTraining:
    """The accepted completions, every issue, and the rejected rows with their reasons and values."""

    completions: pa.Table
    issues: pa.Table
    rejected: pa.Table
    rows_read: int
    ignored_columns: list[str] = field(default_factory=list)


def map_columns(headers: list[str], file_name: str) -> tuple[dict[str, str], list[str]]:
    """The file's header for each field, and the headers not used.

    Examples
    --------
    >>> map_columns(["Officer ID", "COURSE", "district", "Completed-Date", "name"], "t.csv")[1]
    ['name']
    >>> sorted(map_columns(["officer_token", "course", "district", "completed_date", "key_fingerprint"], "t.csv")[0])
    ['completed_date', 'course', 'district', 'key_fingerprint', 'officer_token']
    """
    tokens = "officer_token" in {records.column_name(h) for h in headers}
    required = tuple(f for f in REQUIRED if f != "officer_id") if tokens else REQUIRED
    return records.map_columns(headers, file_name, _KNOWN, required, LAYOUT, "training template")


def _officer(text: dict[str, str | None], key: PseudonymKey) -> tuple[str | None, list[tuple[str, str]]]:
    """The row's officer token, or the reasons there is none; reasons never quote an id or a given token."""
    officer, given, fingerprint = text["officer_id"], text["officer_token"], text["key_fingerprint"]
    if officer is not None and given is not None:
        return None, [("officer_token", "both officer_id and officer_token are given: give one of them")]
    if officer is not None:
        return key.token(officer.upper(), "officer"), []
    if given is None:
        return None, []  # reported as a missing officer_id
    if not _TOKEN.fullmatch(given.lower()):
        return None, [("officer_token", "officer_token is not a keyed token (32 hexadecimal characters, "
                                        "as `stalking-profile training export` writes): give the officer_id")]
    if (fingerprint or "").lower() != key.fingerprint:
        return None, [("key_fingerprint", f"officer_token was made under the key with fingerprint "
                                          f"'{(fingerprint or '')[:40]}', not this deployment's key "
                                          f"({key.fingerprint}): give the officer_id instead")]
    return given.lower(), []


def _row_errors(text: dict[str, str | None], course: str | None, district: str | None,
                date: dt.date | None, bad_date: bool, today: dt.date) -> list[tuple[str, str]]:
    """(column, reason) for the checks that need no other row; reasons never quote the officer id."""
    errors = [(c, f"missing {c} (required)") for c in REQUIRED
              if text[c] is None and (c != "officer_id" or text["officer_token"] is None)]
    if text["course"] is not None and course is None:
        errors.append(("course", f"course '{text['course'][:40]}' is not a known course "
                                 "(see `stalking-profile training template`)"))
    if text["district"] is not None and district is None:
        errors.append(("district", f"district '{text['district'][:40]}' is not one of the force's districts"))
    return errors + records.date_errors("completed_date", text["completed_date"], date, bad_date, today)


def validate_training(raw: pa.Table, file_name: str, training: Training, force: Force, today: dt.date,
                      key: PseudonymKey, stored: StoredCompletions) -> ValidatedTraining:
    """Validate every row of ``raw`` (strings as read, blank rows dropped, ``row_number`` holding
    each row's line in the file) against the courses, the force's districts, today and the store.

    Examples
    --------
    >>> from stalking_profile.force import load_force
    >>> from stalking_profile.training.courses import load_training
    >>> raw = pa.table({"officer_id": ["PC1", "PC1"], "course": ["iLearn", "ilearn"], "district": ["BD", "Leeds"],
    ...                 "completed_date": ["2021-05-01", "02/06/2021"], "row_number": [2, 3]})
    >>> v = validate_training(raw, "t.csv", load_training(), load_force(), dt.date(2022, 1, 1),
    ...                       PseudonymKey(b"k" * 32), lambda tokens: set())
    >>> v.completions.num_rows, v.rejected["reasons"].to_pylist()
    (1, ['officer already has course ilearn on row 2'])
    """
    source = raw.drop_columns(["row_number"])
    fields, ignored = map_columns(source.column_names, file_name)
    cols = {f: parse.blank_to_null(source[h].combine_chunks()) for f, h in fields.items()}
    texts = {f: [restore_text(v.strip()) if v else None for v in cols[f].to_pylist()] if f in cols
                 else [None] * raw.num_rows for f in _KNOWN}
    dates = parse.parse_date(cols["completed_date"])
    date_values, bad_dates = dates.values.to_pylist(), dates.bad.to_pylist()
    officers = [_officer({f: texts[f][i] for f in _KNOWN}, key) for i in range(raw.num_rows)]
    taken = stored(sorted({t for t, _ in officers if t is not None}))
    aliases = force.district_aliases()
    rows = raw["row_number"].to_pylist()
    issues: list[dict[str, object]] = []
    accepted: list[dict[str, object]] = []
    reasons: dict[int, list[str]] = {}
    first: dict[tuple[str, str], int] = {}
    for i, row_number in enumerate(rows):
        text = {f: texts[f][i] for f in _KNOWN}
        course = training.resolve(text["course"])
        district = None if text["district"] is None else aliases.get(text["district"].upper())
        token, errors = officers[i]
        errors = _row_errors(text, course, district, date_values[i], bad_dates[i], today) + errors
        column = "officer_id" if text["officer_id"] is not None else "officer_token"
        if token is not None and course is not None:
            if (token, course) in taken:
                errors.append((column, f"officer already has course {course} stored"))
            elif (token, course) in first:
                errors.append((column, f"officer already has course {course} on row {first[(token, course)]}"))
        issues.extend({"row_number": row_number, "crime_ref": None, "column_name": c, "severity": "error",
                       "reason": r} for c, r in errors)
        if errors:
            reasons[i] = [r for _, r in errors]
            continue
        assert token is not None and course is not None  # no errors: both were read
        first[(token, course)] = row_number
        accepted.append({"row_number": row_number, "officer_token": token, "course": course, "district": district,
                         "team": text["team"], "completed_date": date_values[i]})
    rejected = [{"row_number": rows[i], "crime_ref": None, "reasons": "; ".join(found),
                 "raw_json": json.dumps({f: texts[f][i] for f in KEPT_RAW if texts[f][i] is not None},
                                        ensure_ascii=False)}
                for i, found in reasons.items()]
    return ValidatedTraining(pa.Table.from_pylist(accepted, schema=COMPLETION_SCHEMA),
                             pa.Table.from_pylist(issues, schema=ISSUE_SCHEMA),
                             pa.Table.from_pylist(rejected, schema=_REJECTED), raw.num_rows, ignored)
