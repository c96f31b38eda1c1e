"""Import a file of officer training completions (or one completion given on the command line) as
one append-only batch, all of it or none of it; and export the stored completions.

Every row is validated (see :mod:`stalking_profile.training.validate`); rejected rows are kept in
the store's ``rejected_rows`` table with their reasons (and only the course, district, team and
date they held: never the officer id) and every issue in ``row_issues``, under the training
batch's id, as crime imports keep theirs. The rest land in ``training_completions``.

- Officer ids are replaced by keyed tokens (the deployment's key, domain ``officer``) when read.
- The batch is written in one transaction through the loader
  (:func:`stalking_profile.store.loader.transaction`): a failure part-way leaves the store as it was.
- Re-importing a file already imported as training (same SHA-256) changes nothing and says so.
- A completion is stored once per officer and course: a repeat is rejected, so every accepted
  row is new.
- :func:`add_completion` checks one completion exactly as an import row is checked and stores it
  as a one-row batch (kind ``training_add``); a rejected one is an :class:`InputFileError` and
  writes nothing.
- :func:`export_training` writes the stored completions with the officer as its stored token
  (``officer_token``) and the fingerprint of the key that made it: the store holds no officer
  id to write. Imported under the same key into a fresh store, the file gives the same
  completions; imported into the store it came from, every row is rejected as a completion the
  officer already has, so nothing is added. Under another key every row is rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from stalking_profile.errors import InputFileError
from stalking_profile.force import Force, load_force
from stalking_profile.ingest.pseudonymise import PseudonymKey, load_key
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.export import write_records
from stalking_profile.store.loader import KEY_FINGERPRINT, check_key, transaction
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
from stalking_profile.training.courses import Training, load_training
from stalking_profile.training.validate import EXPORT_FIELDS, FIELDS, ValidatedTraining, validate_training

__all__ = ["SOURCE_KIND", "TrainingImportResult", "add_completion", "export_training", "import_training"]

SOURCE_KIND = "training"
_ADD_KIND = "training_add"


@dataclass
class TrainingImportResult(RecordImport):
    """The accounting of one import: read = accepted + rejected; accepted = new (+ 0 already stored)."""

    by_course: dict[str, int] = field(default_factory=dict)


def _stored(store: Store, tokens: list[str]) -> set[tuple[str, str]]:
    """The (officer_token, course) pairs already stored among ``tokens``."""
    done = store.table(tables.TRAINING_COMPLETIONS)
    found: set[tuple[str, str]] = set()
    for chunk in chunks(tokens):
        hits = done.filter(done.officer_token.isin(chunk))
        for row in hits.select("officer_token", "course").distinct().to_pyarrow().to_pylist():
            found.add((row["officer_token"], row["course"]))
    return found


def _write(store: Store, batch: pa.Table, checked: ValidatedTraining, fingerprint: str) -> int:
    """Write the batch in one transaction (refused if the store was made under another key); returns its id."""
    done = checked.completions
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, batch["source_kind"][0].as_py(), batch["file_sha256"][0].as_py())
        pinned = tx.execute(f"SELECT value FROM {tables.META} WHERE key = '{KEY_FINGERPRINT}'")
        check_key(pinned[0][0] if pinned else None, fingerprint)
        keep(tx, batch_id, (tables.TRAINING_COMPLETIONS, done), (tables.ROW_ISSUES, checked.issues),
             (tables.REJECTED_ROWS, checked.rejected), (tables.BATCHES, with_counts(batch, done.num_rows)))
    return batch_id


def import_training(path: Path, store: Store, *, training: Training | None = None, force: Force | None = None,
                    key: PseudonymKey | None = None, today: dt.date | None = None,
                    sheet: str | None = None) -> TrainingImportResult:
    """Import one training file (CSV, XLSX or Parquet) as a new batch.

    Returns the accounting; a file imported as training before is not read again
    (``already_imported``). File-level problems raise :class:`InputFileError`.

    Examples
    --------
    >>> import tempfile
    >>> from stalking_profile.store.connection import open_store
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("officer_id,course,district,team,completed_date\\n"
    ...                                   "PC1,iLearn,BD,CID,2021-05-01\\nPC2,First aid,BD,,2021-05-01\\n")
    >>> r = import_training(folder / "t.csv", open_store(":memory:"), key=PseudonymKey(b"k" * 32))
    >>> r.rows_read, r.rows_accepted, r.rows_rejected, r.by_course
    (2, 1, 1, {'ilearn': 1})
    """
    result, started = open_import(path, store, SOURCE_KIND, TrainingImportResult)
    if result.already_imported:
        return result
    training = training or load_training()
    raw, table, result.rows_blank = read_rows(
        path, sheet, "training completions", "add one row per officer and course completed under the template's header")
    key = key or load_key()
    checked = validate_training(table, path.name, training, force or load_force(), today or dt.date.today(),
                                key, lambda tokens: _stored(store, tokens))
    return _store_batch(store, result, checked, (SOURCE_KIND, raw.file_format, raw.encoding), training, key, started)


def _store_batch(store: Store, result: TrainingImportResult, checked: ValidatedTraining, source: tuple[str, str, str],
                 training: Training, key: PseudonymKey, started: dt.datetime) -> TrainingImportResult:
    """Account for ``checked`` in ``result`` and write it as a batch of ``source`` (kind, format, encoding)."""
    result.rows_read = checked.rows_read
    result.rows_accepted, result.rows_rejected = checked.completions.num_rows, checked.rejected.num_rows
    result.ignored_columns, result.problems = checked.ignored_columns, problems(checked.issues)
    courses = checked.completions["course"].to_pylist()
    result.by_course = {c: courses.count(c) for c in training.keys if c in courses}
    batch = batch_row(source[0], result, source[1], source[2], training.source, started)
    batch = batch.set_column(batch.schema.get_field_index("key_fingerprint"), "key_fingerprint",
                             pa.array([key.fingerprint], pa.string()))
    result.batch_id = _write(store, batch, checked, key.fingerprint)
    result.rows_new = result.rows_accepted
    return result


def add_completion(store: Store, row: dict[str, str | None], *, training: Training | None = None,
                   force: Force | None = None, key: PseudonymKey | None = None,
                   today: dt.date | None = None) -> TrainingImportResult:
    """Store one completion given field by field (``officer_id, course, district, completed_date``
    and optionally ``team``), checked exactly as an import row is, the officer id hashed to its
    keyed token. A rejected completion raises :class:`InputFileError` and writes nothing."""
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    training, key = training or load_training(), key or load_key()
    raw = pa.table({f: pa.array([row.get(f)], pa.string()) for f in FIELDS})
    raw = raw.append_column("row_number", pa.array([1], pa.int64()))
    checked = validate_training(raw, "(training add)", training, force or load_force(), today or dt.date.today(),
                                key, lambda tokens: _stored(store, tokens))
    if checked.rejected.num_rows:
        raise InputFileError(f"the completion was not stored: {checked.rejected['reasons'][0].as_py()}",
                             "see `stalking-profile training list` for the completions stored so far")
    token = checked.completions["officer_token"][0].as_py()  # the hash names the batch, never the raw id
    text = json.dumps([token, *(row.get(f) for f in FIELDS[1:])]) + started.isoformat()
    result = TrainingImportResult("(training add)", hashlib.sha256(text.encode()).hexdigest())
    return _store_batch(store, result, checked, (_ADD_KIND, "cli", "utf-8"), training, key, started)


def export_training(store: Store, out: Path, district: str | None = None) -> int:
    """Write the stored completions (optionally one district's) to ``out`` (.csv or .xlsx) as
    ``officer_token,course,district,team,completed_date,key_fingerprint``; returns the rows written.

    The store holds officers only as keyed tokens, so the token is written, never an id, with the
    fingerprint of the key its batch was imported under (see :mod:`~stalking_profile.training.validate`).
    """
    done = store.table(tables.TRAINING_COMPLETIONS)
    if district is not None:
        done = done.filter(done.district == district)
    keys = store.table(tables.BATCHES).select("batch_id", "key_fingerprint")
    table = (done.join(keys, "batch_id").order_by(["completed_date", "district", "course", "officer_token"])
             .select(*EXPORT_FIELDS).to_pyarrow())
    return write_records(table, out, "training")
