"""Import a completed audit checklist (or one review given option by option) as one append-only batch.

Every row is validated (see :mod:`stalking_profile.audits.validate`); rejected rows are kept in the
store's ``rejected_rows`` table with their reasons and every issue in ``row_issues``, under the
batch's id, as the other record imports keep theirs. Accepted rows are reviews:

- a review identical to the stored latest review of its (audit, crime) is *unchanged* and not
  stored again; any other is stored in ``audit_reviews`` with one ``audit_answers`` row per item,
  as a first review (``rows_new`` of the batch) or a revision (``rows_changed``);
- an import that would store no review and rejects nothing but rows not audited yet writes
  nothing at all (``nothing_new``): importing the blank checklist, or an export of the store's own
  reviews, changes nothing;
- the batch is written in one transaction (:func:`stalking_profile.store.loader.transaction`);
- a file imported as findings before (same SHA-256) is not read again and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from stalking_profile.audits.checklist import Checklist, load_checklist
from stalking_profile.audits.reviews import Review, current_reviews
from stalking_profile.audits.validate import ValidatedFindings, fields, validate_findings
from stalking_profile.errors import InputFileError
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import transaction
from stalking_profile.store.records import (
    RecordImport,
    batch_row,
    claim_batch,
    keep,
    open_import,
    problems,
    read_rows,
    with_counts,
)

__all__ = ["ADD_KIND", "SHEET", "SOURCE_KIND", "AuditImportResult", "add_review", "import_findings"]

SOURCE_KIND = "audit_findings"
ADD_KIND = "audit_add"
#: The workbook sheet read by default.
SHEET = "Checklist"


@dataclass
class AuditImportResult(RecordImport):
    """The accounting of one import: read = accepted + rejected; accepted = new (stored) + unchanged.

    ``rows_revised`` of the new rows replace an earlier review; ``rows_not_audited`` of the rejected
    rows had nothing answered yet; ``nothing_new`` when no batch was written for that reason.
    """

    rows_revised: int = 0
    rows_not_audited: int = 0
    nothing_new: bool = False
    by_audit: dict[int, int] = field(default_factory=dict)


def _sample_crimes(store: Store, ids: list[int]) -> dict[int, dict[str, dt.date]]:
    if not ids:
        return {}
    c = store.table(tables.AUDIT_SAMPLE_CRIMES)
    found: dict[int, dict[str, dt.date]] = {}
    for r in c.filter(c.batch_id.isin(ids)).select("batch_id", "crime_ref", "recorded_date").to_pyarrow().to_pylist():
        found.setdefault(r["batch_id"], {})[r["crime_ref"]] = r["recorded_date"]
    return found


def _changed(store: Store, checked: ValidatedFindings) -> tuple[pa.Table, pa.Table, int]:
    """The accepted reviews (and their answers) that differ from the stored latest, and how many of
    those revise an earlier review."""
    reviews, answers = checked.reviews, checked.answers
    current = current_reviews(store, set(reviews["audit_id"].to_pylist()))
    given: dict[tuple[int, str], dict[str, str]] = {}
    for a in answers.to_pylist():
        given.setdefault((a["audit_id"], a["crime_ref"]), {})[a["item"]] = a["answer"]
    keep, revised = [], 0
    for r in reviews.to_pylist():
        key = (r["audit_id"], r["crime_ref"])
        review = Review(key[0], key[1], r["audited_date"], r["finding"], given.get(key, {}))
        stored = current.get(key)
        keep.append(stored is None or not review.same_as(stored))
        revised += stored is not None and keep[-1]
    mask = pa.array(keep, pa.bool_())
    new_reviews = reviews.filter(mask)
    kept = {(a, c) for a, c in zip(new_reviews["audit_id"].to_pylist(), new_reviews["crime_ref"].to_pylist(),
                                   strict=True)}
    answer_mask = pa.array([(a, c) in kept for a, c in zip(answers["audit_id"].to_pylist(),
                                                          answers["crime_ref"].to_pylist(), strict=True)], pa.bool_())
    return new_reviews, answers.filter(answer_mask), revised


def _write(store: Store, kind: str, batch: pa.Table, reviews: pa.Table, answers: pa.Table,
           checked: ValidatedFindings) -> int:
    """Write the batch in one transaction; returns its id."""
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, kind, batch["file_sha256"][0].as_py())
        keep(tx, batch_id, (tables.AUDIT_REVIEWS, reviews), (tables.AUDIT_ANSWERS, answers),
             (tables.ROW_ISSUES, checked.issues), (tables.REJECTED_ROWS, checked.rejected), (tables.BATCHES, batch))
    return batch_id


def _store(store: Store, kind: str, result: AuditImportResult, checked: ValidatedFindings, file_format: str,
           encoding: str, source: str, started: dt.datetime) -> None:
    """Account for ``checked``, then write it as a batch unless there is nothing new to keep."""
    result.rows_read = checked.rows_read
    result.rows_accepted, result.rows_rejected = checked.reviews.num_rows, checked.rejected.num_rows
    result.rows_not_audited, result.problems = checked.not_audited, problems(checked.issues)
    reviews, answers, result.rows_revised = _changed(store, checked)
    result.rows_new = reviews.num_rows
    result.rows_unchanged = result.rows_accepted - result.rows_new
    ids = reviews["audit_id"].to_pylist()
    result.by_audit = {a: ids.count(a) for a in sorted(set(ids))}
    if result.rows_new == 0 and result.rows_rejected == result.rows_not_audited:
        result.nothing_new = True
        return
    batch = batch_row(kind, result, file_format, encoding, source, started)
    batch = with_counts(batch, result.rows_new - result.rows_revised, result.rows_revised, result.rows_unchanged)
    result.batch_id = _write(store, kind, batch, reviews, answers, checked)


def import_findings(path: Path, store: Store, *, checklist: Checklist | None = None, today: dt.date | None = None,
                    sheet: str | None = None) -> AuditImportResult:
    """Import a completed checklist (XLSX, sheet ``Checklist`` unless ``sheet`` names another; or CSV).

    Returns the accounting; a file imported as findings before is not read again
    (``already_imported``). File-level problems raise :class:`InputFileError`.

    Examples
    --------
    >>> import tempfile
    >>> from stalking_profile.store.connection import open_store
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "f.csv").write_text("audit_id,crime_ref,risk_form,sdash,cumulative_risk,allocation,"
    ...                                   "victim_referred,spo_considered,supervisor_review\\n1,C1,y,y,y,y,y,y,y\\n")
    >>> r = import_findings(folder / "f.csv", open_store(":memory:"))
    >>> r.rows_read, r.rows_rejected, r.problems[0][3]
    (1, 1, 'audit_id 1 is not a stored audit sample (see `stalking-profile audit list`)')
    """
    result, started = open_import(path, store, SOURCE_KIND, AuditImportResult)
    if result.already_imported:
        return result
    checklist = checklist or load_checklist()
    if sheet is None and path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet = SHEET
    raw, table, result.rows_blank = read_rows(path, sheet, "reviews",
                                              "fill in one row per audited crime (`stalking-profile audit sample`)")
    checked = validate_findings(table, path.name, checklist, today or dt.date.today(),
                                lambda ids: _sample_crimes(store, ids))
    result.ignored_columns = checked.ignored_columns
    _store(store, SOURCE_KIND, result, checked, raw.file_format, raw.encoding, checklist.source, started)
    return result


def add_review(store: Store, audit_id: int, crime_ref: str, answers: Mapping[str, str], *,
               finding: str | None = None, audited_date: str | None = None, checklist: Checklist | None = None,
               today: dt.date | None = None) -> AuditImportResult:
    """Store one review given item by item, after the same checks as an imported row.

    A review that fails a check raises :class:`InputFileError` and writes nothing; one identical to
    the stored latest review is counted unchanged and not stored again.
    """
    checklist = checklist or load_checklist()
    unknown = [k for k in answers if k not in checklist.keys]
    if unknown:
        what = "is not a checklist item" if len(unknown) == 1 else "are not checklist items"
        raise InputFileError(f"the review was not stored: {', '.join(repr(k) for k in unknown)} {what}",
                             f"answer the items {', '.join(checklist.keys)}")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = {"audit_id": str(audit_id), "crime_ref": crime_ref, **answers, "audited_date": audited_date,
           "finding": finding}
    raw = pa.table({f: pa.array([row.get(f)], pa.string()) for f in fields(checklist)})
    raw = raw.append_column("row_number", pa.array([1], pa.int64()))
    checked = validate_findings(raw, "(audit add)", checklist, today or dt.date.today(),
                                lambda ids: _sample_crimes(store, ids))
    if checked.rejected.num_rows:
        known = bool(_sample_crimes(store, [audit_id]))
        raise InputFileError(f"the review was not stored: {checked.rejected['reasons'][0].as_py()}",
                             f"see `stalking-profile audit list --audit {audit_id}` for the sample and its answers"
                             if known else "see `stalking-profile audit list` for the stored samples")
    text = json.dumps(row, sort_keys=True) + started.isoformat()
    result = AuditImportResult("(audit add)", hashlib.sha256(text.encode()).hexdigest())
    _store(store, ADD_KIND, result, checked, "option", "", checklist.source, started)
    return result

