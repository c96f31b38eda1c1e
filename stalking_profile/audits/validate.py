"""Row-level validation of a completed audit checklist: every row checked, problems kept with reasons.

The layout is the Checklist sheet's: ``audit_id,crime_ref,<one column per checklist item>`` then
optionally ``audited_date`` and ``finding``; column names in any case and order. The sheet's
context columns (``district``, ``recorded_date``, ``domestic``, ``offence_code``) are read past;
other columns are ignored and listed. A row is rejected when:

- audit_id is blank, not a number, or not a stored sample;
- crime_ref is blank or not in that sample;
- no item is answered (*not audited yet*), some items are not answered (they are named), or an
  answer is not yes, no or n/a (nor y, n, na, not applicable);
- audited_date cannot be read (ISO or dd/mm/yyyy), is after today or before the crime was recorded;
- the same crime of the same audit is on an earlier row of the file (the later row is rejected).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from stalking_profile.audits.checklist import ANSWERS, Checklist, resolve_answer
from stalking_profile.schema import parse
from stalking_profile.schema.validate import ISSUE_SCHEMA
from stalking_profile.store import records
from stalking_profile.store.export import restore_text

__all__ = ["ANSWER_SCHEMA", "CONTEXT", "NOT_AUDITED", "REVIEW_SCHEMA", "SampleCrimes", "ValidatedFindings",
           "fields", "map_columns", "validate_findings"]

#: Columns of the Checklist sheet that describe the crime: known, not read back.
CONTEXT = ("district", "recorded_date", "domestic", "offence_code")
#: The reason a row with no answers is rejected.
NOT_AUDITED = "not audited yet: no checklist item is answered"
#: One accepted review (its answers are in ``answers``).
REVIEW_SCHEMA = pa.schema([("row_number", pa.int64()), ("audit_id", pa.int64()), ("crime_ref", pa.string()),
                           ("audited_date", pa.date32()), ("finding", pa.string())])
#: One answer of an accepted review.
ANSWER_SCHEMA = pa.schema([("audit_id", pa.int64()), ("crime_ref", pa.string()), ("item", pa.string()),
                           ("answer", pa.string())])
_REJECTED = pa.schema([("row_number", pa.int64()), ("crime_ref", pa.string()), ("reasons", pa.string()),
                       ("raw_json", pa.string())])
#: For each stored sample among the given audit ids: its crimes and their recorded dates.
SampleCrimes = Callable[[list[int]], dict[int, dict[str, dt.date]]]
_Row = dict[str, str | None]


def fields(checklist: Checklist) -> tuple[str, ...]:
    """The columns read, in the sheet's order.

    Examples
    --------
    >>> from stalking_profile.audits.checklist import load_checklist
    >>> fields(load_checklist())[:3], fields(load_checklist())[-2:]
    (('audit_id', 'crime_ref', 'risk_form'), ('audited_date', 'finding'))
    """
    return ("audit_id", "crime_ref", *checklist.keys, "audited_date", "finding")


def map_columns(headers: list[str], file_name: str, checklist: Checklist) -> tuple[dict[str, str], list[str]]:
    """The file's header for each field read, and the headers not used (context columns aside)."""
    required = ("audit_id", "crime_ref", *checklist.keys)
    layout = ",".join(required) + "[,audited_date,finding]"
    found, ignored = records.map_columns(headers, file_name, (*fields(checklist), *CONTEXT), required, layout,
                                         "audit sample")
    return ({f: h for f, h in found.items() if f not in CONTEXT},
            [h for h in ignored if records.column_name(h) not in CONTEXT])


@dataclass(frozen=True)
class ValidatedFindings:
    """The accepted reviews and their answers, every issue, and the rejected rows with their reasons."""

    reviews: pa.Table
    answers: pa.Table
    issues: pa.Table
    rejected: pa.Table
    rows_read: int
    not_audited: int = 0  # rejected only because nothing is answered yet
    ignored_columns: list[str] = field(default_factory=list)


def _audit_id(text: str | None) -> int | None:
    """An audit id as written: ASCII digits, at most 18 (ids are batch numbers); else None."""
    if text is None or not re.fullmatch(r"[0-9]{1,18}", text.strip()):
        return None
    return int(text.strip())


def _answers(text: _Row, checklist: Checklist) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The answers given, and (column, reason) for unreadable, missing or absent answers."""
    given: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for key in checklist.keys:
        written = text[key]
        answer = resolve_answer(written)
        if written is not None and answer is None:
            errors.append((key, f"{key} answer '{written[:40]}' is not an answer (use {', '.join(ANSWERS)})"))
        elif answer is not None:
            given[key] = answer
    blank = [k for k in checklist.keys if text[k] is None]
    if len(blank) == len(checklist.keys):
        errors.append(("checklist", NOT_AUDITED))
    elif blank:
        errors.append((blank[0], f"unanswered: {', '.join(blank)} (answer {', '.join(ANSWERS)})"))
    return given, errors


def _row_errors(text: _Row, audit_id: int | None, samples: dict[int, dict[str, dt.date]], date: dt.date | None,
                bad_date: bool, today: dt.date) -> list[tuple[str, str]]:
    """(column, reason) for the identifier and date checks."""
    errors: list[tuple[str, str]] = []
    ref = text["crime_ref"]
    if text["audit_id"] is None:
        errors.append(("audit_id", "missing audit_id (required)"))
    elif audit_id is None:
        errors.append(("audit_id", f"audit_id '{text['audit_id'][:40]}' is not a number"))
    elif audit_id not in samples:
        errors.append(("audit_id", f"audit_id {audit_id} is not a stored audit sample "
                                   "(see `stalking-profile audit list`)"))
    if ref is None:
        errors.append(("crime_ref", "missing crime_ref (required)"))
    elif audit_id in samples and ref not in samples[audit_id]:
        errors.append(("crime_ref", f"crime_ref {ref[:40]} is not in audit {audit_id}'s sample"))
    dated = records.date_errors("audited_date", text["audited_date"], date, bad_date, today)
    errors += dated
    if not dated and date is not None and audit_id in samples and ref is not None and ref in samples[audit_id] \
            and date < samples[audit_id][ref]:
        errors.append(("audited_date", f"audited_date {date} is before the crime was recorded "
                                       f"({samples[audit_id][ref]})"))
    return errors


def validate_findings(raw: pa.Table, file_name: str, checklist: Checklist, today: dt.date,
                      sample_crimes: SampleCrimes) -> ValidatedFindings:
    """Validate every row of ``raw`` (strings as read, blank rows dropped, ``row_number`` holding
    each row's line in the file) against the checklist, today and the stored samples.

    Examples
    --------
    >>> from stalking_profile.audits.checklist import parse_checklist
    >>> two = parse_checklist('[[items]]\\nkey = "a"\\nquestion = "A"\\n[[items]]\\nkey = "b"\\nquestion = "B"\\n', "t")
    >>> raw = pa.table({"audit_id": ["1", "1", "1"], "crime_ref": ["C1", "C2", "C3"], "a": ["Y", "n/a", None],
    ...                 "b": ["no", None, None], "row_number": [2, 3, 4]})
    >>> v = validate_findings(raw, "f.csv", two, dt.date(2022, 1, 1),
    ...                       lambda ids: {1: {"C1": dt.date(2021, 5, 1), "C2": dt.date(2021, 5, 2)}})
    >>> v.answers["answer"].to_pylist()
    ['yes', 'no']
    >>> print("\\n".join(v.rejected["reasons"].to_pylist()))
    unanswered: b (answer yes, no, n/a)
    crime_ref C3 is not in audit 1's sample; not audited yet: no checklist item is answered
    """
    names = fields(checklist)
    source = raw.drop_columns(["row_number"])
    found, ignored = map_columns(source.column_names, file_name, checklist)
    cols = {f: parse.blank_to_null(source[h].combine_chunks()) for f, h in found.items()}
    texts = {f: [restore_text(v.strip()) if v else None for v in cols[f].to_pylist()] if f in cols
                 else [None] * raw.num_rows for f in names}
    dates = parse.parse_date(cols["audited_date"]) if "audited_date" in cols else None
    date_values = dates.values.to_pylist() if dates else [None] * raw.num_rows
    bad_dates = dates.bad.to_pylist() if dates else [False] * raw.num_rows
    ids = [_audit_id(t) for t in texts["audit_id"]]
    samples = sample_crimes(sorted({i for i in ids if i is not None}))
    rows = raw["row_number"].to_pylist()
    issues: list[dict[str, object]] = []
    reviews: list[dict[str, object]] = []
    answers: list[dict[str, object]] = []
    reasons: dict[int, list[str]] = {}
    first: dict[tuple[int, str], int] = {}
    not_audited = 0
    for i, row_number in enumerate(rows):
        text: _Row = {f: texts[f][i] for f in names}
        audit_id, ref = ids[i], text["crime_ref"]
        errors = _row_errors(text, audit_id, samples, date_values[i], bad_dates[i], today)
        given, answer_errors = _answers(text, checklist)
        errors.extend(answer_errors)
        if audit_id is not None and ref is not None:
            if (audit_id, ref) in first:
                errors.append(("crime_ref", f"crime_ref {ref[:40]} of audit {audit_id} is also on row "
                                            f"{first[(audit_id, ref)]}"))
            else:
                first[(audit_id, ref)] = row_number
        issues.extend({"row_number": row_number, "crime_ref": ref, "column_name": c, "severity": "error",
                       "reason": r} for c, r in errors)
        if errors:
            reasons[i] = [r for _, r in errors]
            not_audited += reasons[i] == [NOT_AUDITED]
            continue
        reviews.append({"row_number": row_number, "audit_id": audit_id, "crime_ref": ref,
                        "audited_date": date_values[i], "finding": text["finding"]})
        answers.extend({"audit_id": audit_id, "crime_ref": ref, "item": k, "answer": a} for k, a in given.items())
    rejected = [{"row_number": rows[i], "crime_ref": texts["crime_ref"][i], "reasons": "; ".join(found_reasons),
                 "raw_json": json.dumps({f: texts[f][i] for f in names if texts[f][i] is not None},
                                        ensure_ascii=False)}
                for i, found_reasons in reasons.items()]
    return ValidatedFindings(pa.Table.from_pylist(reviews, schema=REVIEW_SCHEMA),
                             pa.Table.from_pylist(answers, schema=ANSWER_SCHEMA),
                             pa.Table.from_pylist(issues, schema=ISSUE_SCHEMA),
                             pa.Table.from_pylist(rejected, schema=_REJECTED), raw.num_rows, not_audited, ignored)
