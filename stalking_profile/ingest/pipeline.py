"""ingest(path, store) -> IngestResult: read, map, validate, pseudonymise, load as one batch.

Accounting always holds: rows read = accepted + rejected, and accepted = new + changed +
unchanged. Re-importing a file already imported (same SHA-256) is a no-op that says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from stalking_profile import __version__
from stalking_profile.errors import InputFileError
from stalking_profile.force import Force, load_force
from stalking_profile.ingest.duplicates import check_duplicates
from stalking_profile.ingest.hashing import record_hashes
from stalking_profile.ingest.mapping import ColumnMapping, apply_mapping, choose_mapping
from stalking_profile.ingest.pseudonymise import TOKEN_SCHEMA, PseudonymKey, linkage_tokens, load_key
from stalking_profile.ingest.readers import RawExtract, file_sha256, read_extract
from stalking_profile.schema import parse
from stalking_profile.schema.columns import PERSON_ID_COLUMNS
from stalking_profile.schema.validate import Issues, validate
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import KEY_FINGERPRINT, BatchPayload, check_key, write_batch

__all__ = ["IngestOptions", "IngestResult", "ingest"]

SOURCE_KIND = "crimes"
_EMPTY_TOKENS = TOKEN_SCHEMA.append(pa.field("_pos", pa.uint64())).empty_table()  # string columns: same values
_REJECTED_SCHEMA = pa.schema(
    [("row_number", pa.int64()), ("crime_ref", pa.string()), ("reasons", pa.string()), ("raw_json", pa.string())]
)


@dataclass(frozen=True)
class IngestOptions:
    """How to read the file: mapping profile, sheet, force, 'today' and progress callbacks."""

    mapping: ColumnMapping | None = None
    sheet: str | None = None
    force: Force | None = None
    today: dt.date | None = None
    rejects_path: Path | None = None
    on_bytes: Callable[[int], None] | None = None
    on_stage: Callable[[str], None] | None = None


@dataclass
class IngestResult:
    """The accounting of one import."""

    file_name: str
    file_sha256: str
    batch_id: int | None
    already_imported: bool = False
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    rows_blank: int = 0  # blank lines skipped: not records, so not in rows_read
    key_created: Path | None = None  # a new key file was made for this import
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    mapping: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, int, str]] = field(default_factory=list)  # severity, column, rows, example
    rejects_path: Path | None = None


def _previous_import(store: Store, sha: str) -> int | None:
    """The batch id if this file is the latest crimes import. A file imported earlier and then
    superseded is imported again: its records may need to become current once more."""
    b = store.table(tables.BATCHES).filter(lambda t: t.source_kind == SOURCE_KIND)
    rows = b.order_by(b.batch_id.desc()).limit(1).select("batch_id", "file_sha256").to_pyarrow().to_pylist()
    return int(rows[0]["batch_id"]) if rows and rows[0]["file_sha256"] == sha else None


def _person_columns(mapped: pa.Table, key: PseudonymKey) -> dict[str, pa.Array]:
    """Tokens for the person-id columns, hashed together: one id that is victim here and
    suspect there is hashed once and gets one token."""
    names = [n for n in PERSON_ID_COLUMNS if n in mapped.column_names]
    if not names:
        return {}
    # RMS nominal ids are case-insensitive: n100 and N100 are one person
    ids = pa.concat_arrays([pc.utf8_upper(parse.blank_to_null(mapped.column(n).combine_chunks())) for n in names])
    tokens = key.tokens(ids, "person")
    n = mapped.num_rows
    return {name: tokens.slice(i * n, n) for i, name in enumerate(names)}


def _role_inputs(mapped: pa.Table, role: str, issues: Issues) -> tuple[pa.Array | None, pa.Array | None]:
    """A role's raw names and parsed birth dates, if the file has them."""
    names, dobs = None, None
    if f"{role}_name" in mapped.column_names:
        names = parse.blank_to_null(mapped.column(f"{role}_name").combine_chunks())
    if f"{role}_dob" in mapped.column_names:
        encoded = pc.dictionary_encode(mapped.column(f"{role}_dob").combine_chunks())
        parsed = parse.parse_date(encoded.dictionary)
        bad = pc.take(parsed.bad, encoded.indices).fill_null(False)
        issues.add(bad, f"{role}_dob", "warning", f"{role}_dob cannot be read (use YYYY-MM-DD or DD/MM/YYYY); ignored")
        dobs = pc.take(parsed.values, encoded.indices)
    return names, dobs


def _tokens(mapped: pa.Table, refs: pa.Array, key: PseudonymKey, issues: Issues) -> tuple[pa.Table, pa.Array]:
    """Linkage tokens (one row per crime and role that has a name or birth date, with the
    row's position in ``_pos``) and, per crime, a hash of its tokens, so that a changed name
    or birth date makes a new version."""
    n = mapped.num_rows
    inputs = {role: _role_inputs(mapped, role, issues) for role in ("victim", "suspect")}
    present = [pc.is_valid(a) for pair in inputs.values() for a in pair if a is not None]
    if not present:
        return _EMPTY_TOKENS, pa.nulls(n, pa.string())
    idx = pc.indices_nonzero(functools.reduce(pc.or_, present))  # only rows with something to hash
    parts, aligned = [], {}
    for role, (names, dobs) in inputs.items():
        if names is None and dobs is None:
            continue
        sub_names = None if names is None else pc.take(names, idx)
        sub_dobs = None if dobs is None else pc.take(dobs, idx)
        columns = linkage_tokens(sub_names, sub_dobs, len(idx), key)
        table = pa.table({"crime_ref": pc.take(refs, idx), "role": pa.repeat(pa.scalar(role), len(idx)),
                          **columns, "_pos": idx})
        parts.append(table.filter(functools.reduce(pc.or_, (pc.is_valid(c) for c in columns.values()))))
        # full name and birth month determine every other token of the role
        aligned.update({f"{role}_{k}": columns[k] for k in ("full_name", "birth_month")})
    positions = np.full(n, -1, dtype=np.int64)
    positions[idx.to_numpy()] = np.arange(len(idx))
    hashes = pc.take(record_hashes(pa.table(aligned)), pa.array(positions, mask=positions < 0))
    return pa.concat_tables(parts), hashes


def _stored_crimes(typed: pa.Table, persons: dict[str, pa.Array], rows: pa.Array) -> pa.Table:
    schema = tables.crime_schema().to_pyarrow()
    arrays = []
    for fld in schema:
        if fld.name in ("batch_id",):
            continue
        if fld.name == "row_number":
            arrays.append(rows)
        elif fld.name in persons:
            arrays.append(persons[fld.name])
        elif fld.name in typed.column_names:
            arrays.append(typed.column(fld.name).cast(fld.type))
        else:
            arrays.append(pa.nulls(len(rows), fld.type))
    names = [f.name for f in schema if f.name != "batch_id"]
    return pa.table(arrays, names=names)


def _rejected_rows(mapped: pa.Table, persons: dict[str, pa.Array], rows: pa.Array, mask: pa.Array,
                   issues: pa.Table) -> pa.Table:
    idx = pc.indices_nonzero(mask)
    if len(idx) == 0:
        return _REJECTED_SCHEMA.empty_table()
    kept = [c for c in mapped.column_names if not c.endswith(("_name", "_dob"))]
    errors = issues.filter(pc.equal(issues["severity"], "error"))
    by_row: dict[int, list[str]] = {}
    for r, reason in zip(errors["row_number"].to_pylist(), errors["reason"].to_pylist(), strict=True):
        by_row.setdefault(r, []).append(reason)
    records = []
    sub = {c: pc.take(persons[c] if c in persons else mapped.column(c), idx).to_pylist() for c in kept}
    for i in range(len(idx)):
        records.append(json.dumps({c: sub[c][i] for c in kept}, ensure_ascii=False))
    row_numbers = pc.take(rows, idx)
    refs = pc.take(parse.blank_to_null(mapped.column("crime_ref").combine_chunks()), idx)
    reasons = ["; ".join(by_row.get(r, [])) for r in row_numbers.to_pylist()]
    return pa.table([row_numbers, refs, pa.array(reasons, pa.string()), pa.array(records, pa.string())],
                    schema=_REJECTED_SCHEMA)


def _problems(issues: pa.Table) -> list[tuple[str, str, int, str]]:
    if issues.num_rows == 0:
        return []
    counted = issues.group_by(["severity", "column_name"]).aggregate([("row_number", "count_distinct"),
                                                                      ("reason", "min")])
    rows = counted.to_pylist()
    rows.sort(key=lambda r: (r["severity"] != "error", -r["row_number_count_distinct"]))
    return [(r["severity"], r["column_name"], r["row_number_count_distinct"], r["reason_min"]) for r in rows]


def _write_rejects(rejected_raw: pa.Table, path: Path) -> Path:
    """The rejected rows with their original headers and values, ready to fix and re-import,
    written next to ``path`` (readable by the owner only: it holds the extract's personal data).
    Returns the temporary file, moved into place once the import has committed."""
    if not path.parent.is_dir():
        raise InputFileError(f"folder {path.parent} for the rejects file does not exist",
                             "create it, or give --rejects a path in an existing folder")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        pacsv.write_csv(rejected_raw, f)
    return Path(name)


@dataclass
class _Prepared:
    """A validated, pseudonymised extract, ready to load."""

    payload: BatchPayload
    rejected_raw: pa.Table  # the rejected rows as read (original values), for the rejects file
    warned: int
    problems: list[tuple[str, str, int, str]]


def _release() -> None:
    """Hand memory that Arrow has freed back to the system, so that the peak stays low at 1M rows."""
    pa.default_memory_pool().release_unused()


def _drop_blank_rows(raw: RawExtract, mapped: pa.Table) -> tuple[RawExtract, pa.Table, pa.Array, int]:
    """Rows with no value at all (blank lines, Excel's trailing ",,,,") are not records: they are
    counted, not rejected. Returns the rest with their row numbers in the file (header = row 1)."""
    rows = pa.array(range(2, mapped.num_rows + 2), pa.int64())
    filled = [pc.is_valid(c) for c in raw.table.columns]  # readers give empty fields as null
    keep = functools.reduce(pc.or_, filled) if filled else pa.array([], pa.bool_())
    blank = len(keep) - pc.sum(keep.cast(pa.int64())).as_py() if len(keep) else 0
    if not blank:
        return raw, mapped, rows, 0
    table = raw.table.filter(keep)
    return dataclasses.replace(raw, table=table), mapped.filter(keep), pc.filter(rows, keep), blank


def _prepare(raw: RawExtract, mapped: pa.Table, rows: pa.Array, key: PseudonymKey, opts: IngestOptions,
             stage: Callable[[str], None]) -> _Prepared:
    stage("validating")
    checked = validate(mapped, rows, opts.force or load_force(), opts.today or dt.date.today())
    _release()
    stage("pseudonymising")
    persons = _person_columns(mapped, key)
    _release()
    refs = checked.table.column("crime_ref")
    issues = Issues(rows, refs)
    tokens, linkage_hash = _tokens(mapped, refs, key, issues)
    _release()
    crimes = _stored_crimes(checked.table, persons, rows)
    crimes = crimes.set_column(crimes.schema.get_field_index("linkage_hash"), "linkage_hash", linkage_hash)
    rejected_mask = check_duplicates(crimes, checked.rejected, issues)
    all_issues = pa.concat_tables([checked.issues, issues.table()]).sort_by("row_number")
    if pc.any(rejected_mask).as_py():  # filtering copies every column: only when something was rejected
        crimes = crimes.filter(pc.invert(rejected_mask))
        tokens = tokens.filter(pc.take(pc.invert(rejected_mask), tokens["_pos"]))
    tokens = tokens.drop_columns(["_pos"])
    rejected = _rejected_rows(mapped, persons, rows, rejected_mask, all_issues)
    idx = pc.indices_nonzero(rejected_mask)
    rejected_raw = raw.table.take(idx).append_column("rejected_row", pc.take(rows, idx))
    rejected_raw = rejected_raw.append_column("reasons", rejected["reasons"])
    warnings = all_issues.filter(pc.equal(all_issues["severity"], "warning"))["row_number"]
    rejected_rows = pc.filter(rows, rejected_mask)
    warned = len(pc.unique(pc.filter(warnings, pc.invert(pc.is_in(warnings, value_set=rejected_rows)))))
    payload = BatchPayload(pa.table({}), crimes, all_issues, rejected, tokens, key.fingerprint)
    return _Prepared(payload, rejected_raw, warned, _problems(all_issues))


def _batch_row(result: IngestResult, raw: RawExtract, key: PseudonymKey, started: dt.datetime) -> pa.Table:
    return pa.table({
        "source_kind": [SOURCE_KIND], "file_name": [result.file_name], "file_sha256": [result.file_sha256],
        "file_format": [raw.file_format], "encoding": [raw.encoding], "mapping": [result.mapping],
        "key_fingerprint": [key.fingerprint], "tool_version": [__version__],
        "started_at": pa.array([started], pa.timestamp("us")),
        "finished_at": pa.array([dt.datetime.now(dt.UTC).replace(tzinfo=None)], pa.timestamp("us")),
        "rows_read": [result.rows_read], "rows_accepted": [result.rows_accepted],
        "rows_rejected": [result.rows_rejected], "rows_warned": [result.rows_warned],
    })


def ingest(path: Path, store: Store, options: IngestOptions | None = None) -> IngestResult:
    """Import one crime extract as a new batch (or do nothing if this file was imported before)."""
    opts = options or IngestOptions()
    stage = opts.on_stage or (lambda _s: None)
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path; the file must exist and be readable")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the file's hash is taken while it is read
        sha_job = pool.submit(file_sha256, path)
        stage("reading")
        raw = read_extract(path, opts.sheet, opts.on_bytes)
        result = IngestResult(path.name, sha_job.result(), None)
    previous = _previous_import(store, result.file_sha256)
    if previous is not None:
        result.batch_id, result.already_imported = previous, True
        return result
    key = load_key()
    result.key_created = key.created
    check_key(store.meta(KEY_FINGERPRINT), key.fingerprint)  # before the work, not only at the commit
    mapping = choose_mapping(raw.table.column_names, opts.mapping, path.name)
    mapped, result.ignored_columns = apply_mapping(raw.table, mapping, path.name)
    raw, mapped, rows, result.rows_blank = _drop_blank_rows(raw, mapped)
    if mapped.num_rows == 0:
        raise InputFileError(f"{path.name} has a header but no data rows", "export the extract again with its rows")
    prepared = _prepare(raw, mapped, rows, key, opts, stage)
    payload = prepared.payload
    result.mapping, result.problems, result.rows_warned = mapping.name, prepared.problems, prepared.warned
    result.rows_read = mapped.num_rows
    result.rows_accepted, result.rows_rejected = payload.crimes.num_rows, payload.rejected.num_rows
    payload = dataclasses.replace(payload, batch=_batch_row(result, raw, key, started))
    del raw, mapped  # free the text of the file before the engine takes its copy
    _release()
    pending = None
    if result.rows_rejected and opts.rejects_path is not None:
        pending = _write_rejects(prepared.rejected_raw, opts.rejects_path)
    stage("loading")
    try:
        written = write_batch(store, payload)
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    if pending is not None:
        os.replace(pending, opts.rejects_path)  # type: ignore[arg-type]
        result.rejects_path = opts.rejects_path
    result.batch_id = written.batch_id
    result.rows_new, result.rows_changed, result.rows_unchanged = (
        written.rows_new, written.rows_changed, written.rows_unchanged)
    return result
