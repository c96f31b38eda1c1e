"""Import a file of completed risk forms as one append-only batch: all of it or none of it.

Every row is validated (see :mod:`stalking_profile.riskforms.validate`); rejected rows are kept
in the store's ``rejected_rows`` table with their reasons and every issue in ``row_issues``, as
crime imports keep theirs, under the forms batch's id. The rest land in ``risk_forms`` (one row
per form) and ``risk_form_answers`` (one row per answered question).

- The batch is written in one transaction, through the loader's own engine connection
  (:mod:`stalking_profile.store.loader`): a failure part-way leaves the store as it was.
- Re-importing a file already imported as forms (same SHA-256) changes nothing and says so.
- Forms are events: nothing is updated in place. A form identical to one already stored (same
  crime, type, date, grading, reference and answers) is not stored twice (counted unchanged); a
  later form for the same crime is stored beside the earlier one, and the latest by completed
  date (then import) is the current one (see :mod:`stalking_profile.riskforms.stalking_check`).
- A form whose crime is not in the store yet is accepted with a warning: forms are often
  exported before the crimes they belong to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.riskforms.checklists import Checklists, load_checklists
from stalking_profile.riskforms.validate import ValidatedForms, validate_forms
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import transaction
from stalking_profile.store.records import (
    RecordImport,
    batch_row,
    chunks,
    claim_batch,
    keep,
    open_import,
    problems,
    read_rows,
    with_counts,
)

__all__ = ["SOURCE_KIND", "FormImportResult", "import_forms"]

SOURCE_KIND = "risk_forms"
_FORM_COLUMNS = ("row_number", "crime_ref", "form_type", "completed_date", "risk_level", "form_ref", "form_hash")


@dataclass
class FormImportResult(RecordImport):
    """The accounting of one forms import: read = accepted + rejected; accepted = new + unchanged."""

    by_type: dict[str, int] = field(default_factory=dict)


def _known_refs(store: Store, refs: pa.Array) -> pa.Array:
    """True where a crime with that reference has been imported (in any version)."""
    unique = pc.unique(refs).to_pylist()
    crimes = store.table(tables.CRIMES)
    found: set[str] = set()
    for chunk in chunks(unique):
        hits = crimes.filter(crimes.crime_ref.isin(chunk)).select("crime_ref").distinct().to_pyarrow()
        found.update(hits["crime_ref"].to_pylist())
    return pc.is_in(refs, value_set=pa.array(sorted(found), pa.string()))


def _write(store: Store, batch: pa.Table, forms: ValidatedForms) -> tuple[int, int]:
    """Write the batch in one transaction; returns its id and the number of new forms."""
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, SOURCE_KIND, batch["file_sha256"][0].as_py())
        base = int(tx.execute(f"SELECT COALESCE(MAX(form_id), 0) FROM {tables.RISK_FORMS}")[0][0])
        tx.stage("_sp_stage_forms", tables.RISK_FORMS, forms.forms)
        tx.stage("_sp_stage_answers", tables.RISK_FORM_ANSWERS, forms.answers)
        tx.execute(f"CREATE TEMP TABLE _sp_new_forms AS SELECT s.form_id FROM _sp_stage_forms s WHERE NOT EXISTS "
                   f"(SELECT 1 FROM {tables.RISK_FORMS} f WHERE f.form_hash = s.form_hash)")
        new = int(tx.execute("SELECT COUNT(*) FROM _sp_new_forms")[0][0])
        cols = ", ".join(_FORM_COLUMNS)
        tx.execute(f"INSERT INTO {tables.RISK_FORMS} (batch_id, form_id, {cols}) SELECT {batch_id}, {base} + form_id, "
                   f"{cols} FROM _sp_stage_forms WHERE form_id IN (SELECT form_id FROM _sp_new_forms)")
        tx.execute(f"INSERT INTO {tables.RISK_FORM_ANSWERS} (batch_id, form_id, question, answer) "
                   f"SELECT {batch_id}, {base} + form_id, question, answer FROM _sp_stage_answers "
                   "WHERE form_id IN (SELECT form_id FROM _sp_new_forms)")
        keep(tx, batch_id, (tables.ROW_ISSUES, forms.issues), (tables.REJECTED_ROWS, forms.rejected),
             (tables.BATCHES, with_counts(batch, new, unchanged=forms.forms.num_rows - new)))
        tx.execute("DROP TABLE _sp_new_forms")
    return batch_id, new


def import_forms(path: Path, store: Store, *, checklists: Checklists | None = None, today: dt.date | None = None,
                 sheet: str | None = None) -> FormImportResult:
    """Import one file of completed forms (CSV, XLSX or Parquet) as a new batch.

    Returns the accounting; a file imported as forms before is not read again
    (``already_imported``). File-level problems raise :class:`InputFileError`.
    """
    result, started = open_import(path, store, SOURCE_KIND, FormImportResult)
    if result.already_imported:
        return result
    checklists = checklists or load_checklists()
    raw, table, result.rows_blank = read_rows(path, sheet, "forms", "export the forms again with their rows")
    forms = validate_forms(table, path.name, checklists, today or dt.date.today(),
                           lambda refs: _known_refs(store, refs))
    result.rows_read, result.rows_warned = forms.rows_read, forms.rows_warned
    result.rows_accepted, result.rows_rejected = forms.forms.num_rows, forms.rejected.num_rows
    result.ignored_columns, result.problems = forms.ignored_columns, problems(forms.issues)
    types = forms.forms["form_type"].to_pylist()
    result.by_type = {t: types.count(t) for t in checklists.types if t in types}
    batch = batch_row(SOURCE_KIND, result, raw.file_format, raw.encoding, checklists.source, started)
    result.batch_id, result.rows_new = _write(store, batch, forms)
    result.rows_unchanged = result.rows_accepted - result.rows_new
    return result
