"""Row-level validation of a referrals file: every row checked, problems kept with reasons.

The layout is ``crime_ref,service,status,status_date[,referral_ref]``: column names in any case
and order; other columns are ignored and listed (and not kept: they may name people). A row is
rejected when:

- crime_ref, service, status or status_date is missing, or the date cannot be read (ISO or
  dd/mm/yyyy);
- the service is not a configured service or synonym (see :mod:`~stalking_profile.referrals.services`);
- the status is not offered, made, accepted or declined (or a synonym such as "referred");
- the date is after today, or before the crime was recorded (when the crime is in the store);
- it says accepted or declined and no referral was made for that crime and service, neither in
  the store nor on an earlier accepted row of the file;
- it repeats an earlier row of the file.

A text cell that an export made safe for spreadsheets (``'=...``, see
:mod:`stalking_profile.store.export`) is read without its leading ``'``.

A crime_ref that is not in the store is a warning: the row is kept (referrals may be exported
before the crimes) and its dates are checked only against today.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from stalking_profile.referrals.services import STATUSES, Services, resolve_status
from stalking_profile.schema import parse
from stalking_profile.schema.validate import ISSUE_SCHEMA
from stalking_profile.store import records
from stalking_profile.store.export import restore_text

__all__ = ["EVENT_SCHEMA", "FIELDS", "LAYOUT", "REQUIRED", "ValidatedReferrals", "map_columns",
           "validate_referrals"]

FIELDS = ("crime_ref", "service", "status", "status_date", "referral_ref")
REQUIRED = FIELDS[:4]
LAYOUT = "crime_ref,service,status,status_date[,referral_ref]"
#: One accepted event, numbered 1.. within the file (``event_id``).
EVENT_SCHEMA = pa.schema([("event_id", pa.int64()), ("row_number", pa.int64()), ("crime_ref", pa.string()),
                          ("service", pa.string()), ("status", pa.string()), ("status_date", pa.date32()),
                          ("referral_ref", pa.string()), ("event_hash", pa.string())])
_REJECTED = pa.schema([("row_number", pa.int64()), ("crime_ref", pa.string()), ("reasons", pa.string()),
                       ("raw_json", pa.string())])
#: The recorded date of each crime_ref that is in the store (refs not in the store are left out).
RecordedDates = Callable[[list[str]], dict[str, dt.date]]
#: The (crime_ref, service) pairs that already have a stored made, accepted or declined event.
StoredReferrals = Callable[[list[str]], set[tuple[str, str]]]


@dataclass(frozen=True)
class ValidatedReferrals:
    """The accepted events, every issue, and the rejected rows with their reasons and values."""

    events: pa.Table
    issues: pa.Table
    rejected: pa.Table
    rows_read: int
    rows_warned: int
    ignored_columns: list[str] = field(default_factory=list)


def map_columns(headers: list[str], file_name: str) -> tuple[dict[str, str], list[str]]:
    """The file's header for each field, and the headers not used.

    Examples
    --------
    >>> map_columns(["Crime Ref", "SERVICE", "status", "Status-Date", "notes"], "r.csv")
    ({'crime_ref': 'Crime Ref', 'service': 'SERVICE', 'status': 'status', 'status_date': 'Status-Date'}, ['notes'])
    """
    return records.map_columns(headers, file_name, FIELDS, REQUIRED, LAYOUT, "referral template")


def _hash(values: tuple[str | None, ...]) -> str:
    return hashlib.sha256("\x1f".join(v or "" for v in values).encode()).hexdigest()


def _row_errors(text: dict[str, str | None], service: str | None, status: str | None) -> list[tuple[str, str]]:
    """(column, reason) for the checks that need no other row."""
    errors = [(c, f"missing {c} (required)") for c in REQUIRED if text[c] is None]
    if text["service"] is not None and service is None:
        errors.append(("service", f"service '{text['service'][:40]}' is not a known service "
                                  "(see `stalking-profile referral template`)"))
    if text["status"] is not None and status is None:
        errors.append(("status", f"status '{text['status'][:40]}' is not a status (use {', '.join(STATUSES)})"))
    return errors


def validate_referrals(raw: pa.Table, file_name: str, services: Services, today: dt.date,
                       recorded: RecordedDates, stored: StoredReferrals) -> ValidatedReferrals:
    """Validate every row of ``raw`` (strings as read, blank rows dropped, ``row_number`` holding
    each row's line in the file) against the vocabulary, today, and the store's crimes and referrals."""
    source = raw.drop_columns(["row_number"])
    fields, ignored = map_columns(source.column_names, file_name)
    cols = {f: parse.blank_to_null(source[h].combine_chunks()) for f, h in fields.items()}
    texts = {f: [restore_text(v.strip()) if v else None for v in cols[f].to_pylist()] if f in cols
                 else [None] * raw.num_rows for f in FIELDS}
    dates = parse.parse_date(cols["status_date"])
    date_values, bad_dates = dates.values.to_pylist(), dates.bad.to_pylist()
    rows = raw["row_number"].to_pylist()
    refs = [r for r in texts["crime_ref"] if r is not None]
    crime_dates = recorded(sorted(set(refs))) if refs else {}
    made = set(stored(sorted(set(refs)))) if refs else set()
    issues: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    rejected_rows: list[int] = []
    first: dict[str, int] = {}
    for i, row_number in enumerate(rows):
        text = {f: texts[f][i] for f in FIELDS}
        ref, date = text["crime_ref"], date_values[i]
        service, status = services.resolve(text["service"]), resolve_status(text["status"])
        errors = _row_errors(text, service, status)
        errors += records.date_errors("status_date", text["status_date"], date, bad_dates[i], today)
        if date is not None and ref in crime_dates and date < crime_dates[ref]:
            errors.append(("status_date", f"status_date {date} is before crime {ref} was recorded "
                                          f"({crime_dates[ref]})"))
        if status in ("accepted", "declined") and ref is not None and service is not None \
                and (ref, service) not in made:
            errors.append(("status", f"{status} but no referral to {service} was made for crime {ref} "
                                     "(stored or on an earlier row)"))
        key = _hash((ref, service, status, str(date), text["referral_ref"]))
        if not errors and key in first:
            errors.append(("crime_ref", f"repeats row {first[key]}"))
        warnings = [] if errors or ref in crime_dates else [
            ("crime_ref", f"crime '{ref}' is not in the store yet: the referral is kept and checked once it is")]
        issues.extend({"row_number": row_number, "crime_ref": ref, "column_name": c, "severity": s, "reason": r}
                      for s, found in (("error", errors), ("warning", warnings)) for c, r in found)
        if errors:
            rejected_rows.append(i)
            continue
        first.setdefault(key, row_number)
        assert ref is not None and service is not None  # no errors: both were read
        if status in ("made", "accepted", "declined"):
            made.add((ref, service))
        events.append({"event_id": len(events) + 1, "row_number": row_number, "crime_ref": ref,
                       "service": service, "status": status, "status_date": date,
                       "referral_ref": text["referral_ref"], "event_hash": key})
    issue_table = pa.Table.from_pylist(issues, schema=ISSUE_SCHEMA)
    return ValidatedReferrals(pa.Table.from_pylist(events, schema=EVENT_SCHEMA), issue_table,
                              _rejected(source.select(list(fields.values())), rows, rejected_rows, issues),
                              raw.num_rows, len({r["row_number"] for r in issues if r["severity"] == "warning"}),
                              ignored)


def _rejected(used: pa.Table, rows: list[int], picked: list[int], issues: list[dict[str, object]]) -> pa.Table:
    """One row per rejected row: its reasons and the values of the columns read."""
    reasons: dict[object, list[str]] = {}
    for issue in issues:
        if issue["severity"] == "error":
            reasons.setdefault(issue["row_number"], []).append(str(issue["reason"]))
    values = used.take(pa.array(picked, pa.int64())).to_pylist() if picked else []
    ref_header = next(h for h in used.column_names if re.sub(r"[\s\-]+", "_", h.strip().lower()) == "crime_ref")
    out = [{"row_number": rows[i], "crime_ref": (v[ref_header] or "").strip() or None,
            "reasons": "; ".join(reasons[rows[i]]), "raw_json": json.dumps(v, ensure_ascii=False)}
           for i, v in zip(picked, values, strict=True)]
    return pa.Table.from_pylist(out, schema=_REJECTED)
