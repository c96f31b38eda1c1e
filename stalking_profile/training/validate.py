"""Row-level validation of a training file: every row checked, problems kept with reasons.

The layout is ``officer_id,course,district,team,completed_date``: column names in any case and
order; other columns are ignored and listed (and not kept: they may name people). A row is
rejected when:

- officer_id, course, district or completed_date is blank (team may be blank);
- the course is not a configured course or synonym (see :mod:`~stalking_profile.training.courses`);
- the district is not one of the force's districts (code or name);
- the date cannot be read (ISO or dd/mm/yyyy) or is after today;
- the officer already has this course, stored or on an earlier row of the file.

The officer id is replaced by its keyed token (domain ``officer``) as soon as it is read: it is
never kept, not in the accepted rows, nor in a rejected row's values, nor in any reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.ingest.pseudonymise import PseudonymKey
from stalking_profile.schema import parse
from stalking_profile.schema.validate import ISSUE_SCHEMA
from stalking_profile.store import records
from stalking_profile.training.courses import Training

__all__ = ["COMPLETION_SCHEMA", "FIELDS", "LAYOUT", "REQUIRED", "StoredCompletions", "ValidatedTraining",
           "map_columns", "validate_training"]

FIELDS = ("officer_id", "course", "district", "team", "completed_date")
REQUIRED = ("officer_id", "course", "district", "completed_date")
LAYOUT = "officer_id,course,district,team,completed_date"
#: The columns of a rejected row that are kept in ``raw_json``: never the officer id.
KEPT_RAW = ("course", "district", "team", "completed_date")
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
    """
    return records.map_columns(headers, file_name, FIELDS, REQUIRED, LAYOUT, "training template")


def _row_errors(text: dict[str, str | None], course: str | None, district: str | None,
                date: dt.date | None, bad_date: bool, today: dt.date) -> list[tuple[str, str]]:
    """(column, reason) for the checks that need no other row; reasons never quote the officer id."""
    errors = [(c, f"missing {c} (required)") for c in REQUIRED if text[c] is None]
    if text["course"] is not None and course is None:
        errors.append(("course", f"course '{text['course'][:40]}' is not a known course "
                                 "(see `stalking-profile training template`)"))
    if text["district"] is not None and district is None:
        errors.append(("district", f"district '{text['district'][:40]}' is not one of the force's districts"))
    if bad_date:
        errors.append(("completed_date", f"completed_date '{(text['completed_date'] or '')[:40]}' cannot be read "
                                         "(use YYYY-MM-DD or DD/MM/YYYY)"))
    if date is not None and date > today:
        errors.append(("completed_date", f"completed_date {date} is after today ({today})"))
    return errors


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
    texts = {f: [v.strip() if v else None for v in cols[f].to_pylist()] if f in cols else [None] * raw.num_rows
             for f in FIELDS}
    dates = parse.parse_date(cols["completed_date"])
    date_values, bad_dates = dates.values.to_pylist(), dates.bad.to_pylist()
    tokens = [None if o is None else key.token(o.upper(), "officer") for o in texts["officer_id"]]
    taken = stored(sorted({t for t in tokens if t is not None}))
    aliases = force.district_aliases()
    rows = raw["row_number"].to_pylist()
    issues: list[dict[str, object]] = []
    accepted: list[dict[str, object]] = []
    reasons: dict[int, list[str]] = {}
    first: dict[tuple[str, str], int] = {}
    for i, row_number in enumerate(rows):
        text = {f: texts[f][i] for f in FIELDS}
        course = training.resolve(text["course"])
        district = None if text["district"] is None else aliases.get(text["district"].upper())
        errors = _row_errors(text, course, district, date_values[i], bad_dates[i], today)
        token = tokens[i]
        if token is not None and course is not None:
            if (token, course) in taken:
                errors.append(("officer_id", f"officer already has course {course} stored"))
            elif (token, course) in first:
                errors.append(("officer_id", f"officer already has course {course} on row {first[(token, course)]}"))
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
