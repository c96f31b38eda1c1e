"""Row-level validation of a completed-forms file: every row checked, problems kept with reasons.

The layout is ``crime_ref,form_type,completed_date,q1,...,qN[,risk_level][,form_ref]``: column
names in any case, in any order; other columns are ignored and listed. A row is rejected when:

- crime_ref, form_type or completed_date is missing, or the date cannot be read (ISO or
  dd/mm/yyyy) or is after today;
- form_type is not a known form (DASH, S-DASH, DARA or a synonym such as SDASH);
- an answer is not Y/N, Yes/No, 1/0, DK (don't know) or blank (not answered), or answers a
  question the form does not have (q12 on an S-DASH);
- risk_level is not standard, medium or high (or a known abbreviation);
- it repeats an earlier row of the file, or reuses an earlier row's form_ref.

A rejected row is kept with its reasons and the values of the columns read (columns the import
does not use, such as free-text notes, are left out: they may name people).

Warnings keep the row: a DASH or S-DASH with no question answered, and a crime_ref that is not in
the store. The second is expected when forms are exported before the crimes they belong to: the
form is kept and the stalking check picks it up once the crime is imported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.errors import InputFileError, MissingColumnError
from stalking_profile.riskforms.checklists import Checklists
from stalking_profile.riskforms.scoring import ANSWER_CODES
from stalking_profile.schema import parse
from stalking_profile.schema.columns import RISK_LEVELS
from stalking_profile.schema.validate import Issues

__all__ = ["FIELDS", "REQUIRED", "ValidatedForms", "map_columns", "validate_forms"]

#: The named columns of a forms file (the answers are q1..qN).
FIELDS = ("crime_ref", "form_type", "completed_date", "risk_level", "form_ref")
REQUIRED = ("crime_ref", "form_type", "completed_date")
_LAYOUT = "crime_ref,form_type,completed_date,q1,...,qN[,risk_level][,form_ref]"
_QUESTION = re.compile(r"q_?0*([1-9][0-9]{0,2})")
_REJECTED = pa.schema([("row_number", pa.int64()), ("crime_ref", pa.string()), ("reasons", pa.string()),
                       ("raw_json", pa.string())])
#: Checks a set of crime references against the store: True where the crime is there.
KnownRefs = Callable[[pa.Array], pa.Array]


@dataclass(frozen=True)
class ValidatedForms:
    """The accepted forms (``form_id`` numbered 1.. within the file), their answers (long layout),
    every issue, and the rejected rows with their reasons and original values."""

    forms: pa.Table
    answers: pa.Table
    issues: pa.Table
    rejected: pa.Table
    rows_read: int
    rows_warned: int
    ignored_columns: list[str] = field(default_factory=list)


def _normal(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def map_columns(headers: list[str], file_name: str) -> tuple[dict[str, str], dict[int, str], list[str]]:
    """The file's header for each named field and each question number, and the headers not used.

    Examples
    --------
    >>> fields, questions, ignored = map_columns(["Crime_Ref", "Form Type", "completed_date", "Q1", "q02", "notes"],
    ...                                          "f.csv")
    >>> fields["form_type"], questions, ignored
    ('Form Type', {1: 'Q1', 2: 'q02'}, ['notes'])
    """
    fields: dict[str, str] = {}
    questions: dict[int, str] = {}
    ignored: list[str] = []
    for header in headers:
        name = _normal(header)
        match = _QUESTION.fullmatch(name)
        if match is None and name not in FIELDS:
            ignored.append(header)
            continue
        label, earlier = (f"q{int(match.group(1))}", questions.get(int(match.group(1)))) if match else (
            name, fields.get(name))
        if earlier is not None:
            raise InputFileError(f"{file_name} has two columns for {label} ('{earlier}' and '{header}')",
                                 "keep one of them")
        if match:
            questions[int(match.group(1))] = header
        else:
            fields[name] = header
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise MissingColumnError(f"{file_name} has no {', '.join(missing)} column",
                                 f"a forms file has the columns {_LAYOUT}")
    return fields, dict(sorted(questions.items())), ignored


def _quoted(raw: pa.Array, prefix: str, suffix: str) -> Callable[[pa.Array], pa.Array]:
    def text(idx: pa.Array) -> pa.Array:
        values = pc.utf8_slice_codeunits(pc.take(raw, idx), 0, 40)
        return pc.binary_join_element_wise(prefix + "'", values, "'" + suffix, "")

    return text


def _form_types(raw: pa.Array, checklists: Checklists, issues: Issues) -> pa.Array:
    values = parse.blank_to_null(raw)
    keys = pc.replace_substring_regex(pc.utf8_upper(values), r"[^A-Z0-9]", "")
    spellings = checklists.spellings()  # keys: upper case, letters and digits only, as computed here
    types = pc.take(pa.array(list(spellings.values()), pa.string()),
                    pc.index_in(keys, value_set=pa.array(list(spellings), pa.string())))
    issues.add(pc.is_null(values), "form_type", "error", "missing form_type (required)")
    *head, last = checklists.types
    known = f"{', '.join(head)} or {last}" if head else last
    issues.add(pc.and_(pc.is_valid(values), pc.is_null(types)), "form_type", "error",
               _quoted(values, "form_type ", f" is not a known form (use {known})"))
    return types


def _date(raw: pa.Array, today: dt.date, issues: Issues) -> pa.Array:
    parsed = parse.parse_date(raw)
    issues.add(pc.and_(pc.is_null(parsed.values), pc.invert(parsed.bad)), "completed_date", "error",
               "missing completed_date (required)")
    issues.add(parsed.bad, "completed_date", "error",
               _quoted(raw, "completed_date ", " cannot be read (use YYYY-MM-DD or DD/MM/YYYY)"))
    future = pc.greater(parsed.values, pa.scalar(today, pa.date32()))
    issues.add(future, "completed_date", "error", _quoted(raw, "completed_date ", f" is after today ({today})"))
    return parsed.values


def _answers(raw: pa.Array, number: int, types: pa.Array, checklists: Checklists, issues: Issues) -> pa.Array:
    values = parse.blank_to_null(raw)
    parsed = parse.parse_lookup(values, ANSWER_CODES)
    issues.add(parsed.bad, f"q{number}", "error",
               _quoted(values, f"q{number} ", " is not an answer (use Y, N, DK for don't know, or blank)"))
    for form in checklists.forms.values():
        if form.questions and number > len(form.questions):
            beyond = pc.and_(pc.equal(types, form.form_type), pc.is_valid(parsed.values))
            issues.add(beyond, f"q{number}", "error",
                       f"q{number} is answered but {form.form_type} has {len(form.questions)} questions")
    return parsed.values


def _hashes(columns: dict[str, pa.Array], answers: dict[int, pa.Array]) -> list[str]:
    """A content hash per row: the same form (same crime, type, date, grading, ref and answers) in
    any file, whatever its column order or unanswered columns, has the same hash."""
    named = {k: pc.cast(v, pa.string()).to_pylist() for k, v in columns.items()}
    coded = {n: a.to_pylist() for n, a in answers.items()}
    out = []
    for i in range(len(named["crime_ref"])):
        given = ",".join(f"{n}={a[i]}" for n, a in coded.items() if a[i] is not None)
        parts = [named[k][i] or "" for k in FIELDS] + [given]
        out.append(hashlib.sha256("\x1f".join(parts).encode()).hexdigest())
    return out


def _duplicates(hashes: list[str], refs: list[str | None], rows: list[int], rejected: list[bool],
                issues: Issues) -> None:
    first_hash: dict[str, int] = {}
    first_ref: dict[str, int] = {}
    reasons: list[str | None] = [None] * len(hashes)
    for i, (h, ref) in enumerate(zip(hashes, refs, strict=True)):
        if rejected[i]:
            continue
        if h in first_hash:
            reasons[i] = f"repeats row {rows[first_hash[h]]}"
        elif ref is not None and ref in first_ref:
            reasons[i] = f"form_ref '{ref}' is also on row {rows[first_ref[ref]]}"
        first_hash.setdefault(h, i)
        if ref is not None:
            first_ref.setdefault(ref, i)
    mask = pa.array([r is not None for r in reasons])
    texts = pa.array([r for r in reasons if r is not None], pa.string())
    issues.add(mask, "crime_ref", "error", lambda _idx: texts)


def _rejected(raw: pa.Table, rows: pa.Array, refs: pa.Array, mask: pa.Array, issues: pa.Table) -> pa.Table:
    idx = pc.indices_nonzero(mask)
    errors = issues.filter(pc.equal(issues["severity"], "error"))
    by_row: dict[int, list[str]] = {}
    for r, reason in zip(errors["row_number"].to_pylist(), errors["reason"].to_pylist(), strict=True):
        by_row.setdefault(r, []).append(reason)
    picked = raw.take(idx).to_pylist()
    numbers = pc.take(rows, idx)
    return pa.table([numbers, pc.take(refs, idx), pa.array(["; ".join(by_row[r]) for r in numbers.to_pylist()]),
                     pa.array([json.dumps(p, ensure_ascii=False) for p in picked], pa.string())], schema=_REJECTED)


def _long_answers(answers: dict[int, pa.Array], accepted: pa.Array) -> tuple[pa.Array, pa.Table]:
    """Local form ids (1.. over accepted rows) and one answer row per answered question."""
    keep = accepted.to_numpy(zero_copy_only=False)
    ids = np.cumsum(keep)
    parts = []
    for number, codes in answers.items():
        idx = np.flatnonzero(keep & pc.is_valid(codes).to_numpy(zero_copy_only=False))
        parts.append(pa.table({"form_id": pa.array(ids[idx], pa.int64()),
                               "question": pa.array(np.full(len(idx), number), pa.int32()),
                               "answer": pc.take(codes, pa.array(idx, pa.int64()))}))
    empty = pa.table({"form_id": pa.array([], pa.int64()), "question": pa.array([], pa.int32()),
                      "answer": pa.array([], pa.string())})
    long = pa.concat_tables([empty, *parts]).sort_by([("form_id", "ascending"), ("question", "ascending")])
    return pa.array(ids[keep], pa.int64()), long


def validate_forms(raw: pa.Table, file_name: str, checklists: Checklists, today: dt.date,
                   known_refs: KnownRefs | None = None) -> ValidatedForms:
    """Validate every row of ``raw`` (a table of strings as read; blank rows already dropped
    and ``row_number`` holding each row's line in the file)."""
    source = raw.drop_columns(["row_number"])
    fields, questions, ignored = map_columns(source.column_names, file_name)
    rows = raw["row_number"].combine_chunks()
    refs = parse.parse_text(source[fields["crime_ref"]].combine_chunks()).values
    issues = Issues(rows, refs)
    issues.add(pc.is_null(refs), "crime_ref", "error", "missing crime_ref (required)")
    types = _form_types(source[fields["form_type"]].combine_chunks(), checklists, issues)
    n = source.num_rows
    columns: dict[str, pa.Array] = {"crime_ref": refs, "form_type": types,
                                    "completed_date": _date(source[fields["completed_date"]].combine_chunks(),
                                                            today, issues)}
    level = pa.nulls(n, pa.string())
    if "risk_level" in fields:
        raw_level = parse.blank_to_null(source[fields["risk_level"]].combine_chunks())
        parsed = parse.parse_enum(raw_level, "risk_level", RISK_LEVELS)
        issues.add(parsed.bad, "risk_level", "error", _quoted(raw_level, "risk_level ",
                                                              f" is not a grading (use {', '.join(RISK_LEVELS)})"))
        level = parsed.values
    columns["risk_level"] = level
    columns["form_ref"] = (parse.parse_text(source[fields["form_ref"]].combine_chunks()).values
                           if "form_ref" in fields else pa.nulls(n, pa.string()))
    answers = {q: _answers(source[h].combine_chunks(), q, types, checklists, issues) for q, h in questions.items()}
    hashes = _hashes(columns, answers)
    _duplicates(hashes, columns["form_ref"].to_pylist(), rows.to_pylist(), issues.rejected.to_pylist(), issues)
    accepted = pc.invert(issues.rejected)
    answered = pa.array(np.zeros(n, dtype=bool))
    for codes in answers.values():
        answered = pc.or_(answered, pc.is_valid(codes))
    scored = pc.is_in(types, value_set=pa.array([f.form_type for f in checklists.forms.values() if f.questions]))
    issues.add(pc.and_(pc.and_(accepted, scored), pc.invert(answered)), "q1", "warning",
               "no question is answered: the form is kept but scores 0")
    if known_refs is not None and pc.any(accepted).as_py():
        found = known_refs(pc.filter(refs, accepted))
        missing = pa.array(np.zeros(n, dtype=bool))
        missing = pc.replace_with_mask(missing, accepted, pc.invert(found))
        issues.add(missing, "crime_ref", "warning",
                   _quoted(refs, "crime ", " is not in the store yet: the form is kept and checked once it is"))
    table = issues.table()
    ids, long = _long_answers(answers, accepted)
    forms = pa.table({"form_id": ids, "row_number": pc.filter(rows, accepted),
                      **{k: pc.filter(v, accepted) for k, v in columns.items()},
                      "form_hash": pc.filter(pa.array(hashes, pa.string()), accepted)})
    warned = table.filter(pc.equal(table["severity"], "warning"))["row_number"]
    used = source.select([*fields.values(), *questions.values()])  # ignored columns may hold free text: not kept
    return ValidatedForms(forms, long, table, _rejected(used, rows, refs, issues.rejected, table),
                          n, len(pc.unique(warned)), ignored)
