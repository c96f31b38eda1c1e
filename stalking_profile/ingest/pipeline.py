"""ingest(path, store) -> IngestResult: read, map, validate, pseudonymise, load as one batch.

Accounting always holds: rows read = accepted + rejected, and accepted = new + changed +
unchanged. Re-importing a file already imported (same SHA-256) is a no-op that says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from stalking_profile import __version__
from stalking_profile.errors import InputFileError, KeyMismatchError
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
from stalking_profile.store.loader import KEY_FINGERPRINT, BatchPayload, write_batch

__all__ = ["IngestOptions", "IngestResult", "ingest"]

SOURCE_KIND = "crimes"
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
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    mapping: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, int, str]] = field(default_factory=list)  # severity, column, rows, example
    rejects_path: Path | None = None


def _previous_import(store: Store, sha: str) -> int | None:
    b = store.table(tables.BATCHES)
    rows = b.filter((b.file_sha256 == sha) & (b.source_kind == SOURCE_KIND)).batch_id.to_pyarrow().to_pylist()
    return int(rows[0]) if rows else None


def _check_key_early(store: Store, key: PseudonymKey) -> None:
    stored = store.meta(KEY_FINGERPRINT)
    if stored is not None and stored != key.fingerprint:
        raise KeyMismatchError(
            f"this store was built with another pseudonymisation key (fingerprint {stored}, "
            f"this key {key.fingerprint}); importing would split every person in two",
            "set STALKING_PROFILE_KEY or STALKING_PROFILE_KEY_FILE to the key the store was built with",
        )


def _person_columns(mapped: pa.Table, key: PseudonymKey) -> dict[str, pa.Array]:
    """Tokens for the person-id columns, hashed together: one id that is victim here and
    suspect there is hashed once and gets one token."""
    names = [n for n in PERSON_ID_COLUMNS if n in mapped.column_names]
    if not names:
        return {}
    ids = pa.concat_arrays([parse.blank_to_null(mapped.column(n).combine_chunks()) for n in names])
    tokens = key.tokens(ids, "person")
    n = mapped.num_rows
    return {name: tokens.slice(i * n, n) for i, name in enumerate(names)}


def _tokens(mapped: pa.Table, refs: pa.Array, key: PseudonymKey, issues: Issues) -> pa.Table:
    parts = []
    for role in ("victim", "suspect"):
        names = f"{role}_name"
        dobs = f"{role}_dob"
        name_arr = parse.blank_to_null(mapped.column(names).combine_chunks()) if names in mapped.column_names else None
        dob_arr = None
        if dobs in mapped.column_names:
            parsed = parse.parse_date(mapped.column(dobs).combine_chunks())
            issues.add(parsed.bad, dobs, "warning", f"{dobs} cannot be read (use YYYY-MM-DD or DD/MM/YYYY); ignored")
            dob_arr = parsed.values
        if name_arr is not None or dob_arr is not None:
            parts.append(linkage_tokens(refs, role, name_arr, dob_arr, key))
    return pa.concat_tables(parts) if parts else TOKEN_SCHEMA.empty_table()


def _linkage_hashes(tokens: pa.Table, refs: pa.Array) -> pa.Array:
    """Per row, a hash of its linkage tokens (so a changed name or birth date makes a new version)."""
    if tokens.num_rows == 0:
        return pa.nulls(len(refs), pa.string())
    keyed = tokens.append_column("_k", pc.binary_join_element_wise(tokens["role"], tokens["token_type"],
                                                                    tokens["token"], ":"))
    grouped = keyed.group_by("crime_ref", use_threads=False).aggregate([("_k", "list")])
    sig = pa.table({"sig": pc.binary_join(grouped["_k_list"], "|")})
    idx = pc.index_in(refs, value_set=grouped["crime_ref"])
    return pc.take(record_hashes(sig), idx)


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


def _write_rejects(raw: RawExtract, rows: pa.Array, mask: pa.Array, rejected: pa.Table, path: Path) -> None:
    """The rejected rows with their original headers and values, ready to fix and re-import."""
    idx = pc.indices_nonzero(mask)
    out = raw.table.take(idx)
    out = out.append_column("rejected_row", pc.take(rows, idx)).append_column("reasons", rejected["reasons"])
    pacsv.write_csv(out, path)


def ingest(path: Path, store: Store, options: IngestOptions | None = None) -> IngestResult:
    """Import one crime extract as a new batch (or do nothing if this file was imported before)."""
    opts = options or IngestOptions()
    stage = opts.on_stage or (lambda _s: None)
    force = opts.force or load_force()
    today = opts.today or dt.date.today()
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path; the file must exist and be readable")
    sha = file_sha256(path)
    result = IngestResult(path.name, sha, None)
    previous = _previous_import(store, sha)
    if previous is not None:
        result.batch_id, result.already_imported = previous, True
        return result
    key = load_key()
    _check_key_early(store, key)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stage("reading")
    raw = read_extract(path, opts.sheet, opts.on_bytes)
    mapping = choose_mapping(raw.table.column_names, opts.mapping, path.name)
    mapped, ignored = apply_mapping(raw.table, mapping, path.name)
    n = mapped.num_rows
    if n == 0:
        raise InputFileError(f"{path.name} has a header but no data rows", "export the extract again with its rows")
    rows = pa.array(range(2, n + 2), pa.int64())
    stage("validating")
    checked = validate(mapped, rows, force, today)
    refs = checked.table.column("crime_ref")
    issues = Issues(rows, refs)
    stage("pseudonymising")
    persons = _person_columns(mapped, key)
    tokens = _tokens(mapped, refs, key, issues)
    crimes = _stored_crimes(checked.table, persons, rows)
    crimes = crimes.set_column(crimes.schema.get_field_index("linkage_hash"), "linkage_hash",
                               _linkage_hashes(tokens, refs))
    rejected_mask = check_duplicates(crimes, checked.rejected, issues)
    all_issues = pa.concat_tables([checked.issues, issues.table()]).sort_by("row_number")
    accepted = crimes.filter(pc.invert(rejected_mask))
    accepted_refs = accepted.column("crime_ref")
    tokens = tokens.filter(pc.is_in(tokens["crime_ref"], value_set=accepted_refs.combine_chunks()))
    rejected = _rejected_rows(mapped, persons, rows, rejected_mask, all_issues)
    result.rows_read, result.rows_accepted, result.rows_rejected = n, accepted.num_rows, rejected.num_rows
    warned = all_issues.filter(pc.equal(all_issues["severity"], "warning"))["row_number"]
    result.rows_warned = len(pc.unique(warned))
    result.mapping, result.ignored_columns, result.problems = mapping.name, ignored, _problems(all_issues)
    batch = pa.table({
        "source_kind": [SOURCE_KIND], "file_name": [path.name], "file_sha256": [sha],
        "file_format": [raw.file_format], "encoding": [raw.encoding], "mapping": [mapping.name],
        "key_fingerprint": [key.fingerprint], "tool_version": [__version__],
        "started_at": pa.array([started], pa.timestamp("us")),
        "finished_at": pa.array([dt.datetime.now(dt.UTC).replace(tzinfo=None)], pa.timestamp("us")),
        "rows_read": [n], "rows_accepted": [accepted.num_rows], "rows_rejected": [rejected.num_rows],
        "rows_warned": [result.rows_warned],
    })
    stage("loading")
    written = write_batch(store, BatchPayload(batch, accepted, all_issues, rejected, tokens, key.fingerprint))
    result.batch_id = written.batch_id
    result.rows_new, result.rows_changed, result.rows_unchanged = (
        written.rows_new, written.rows_changed, written.rows_unchanged)
    if rejected.num_rows and opts.rejects_path is not None:
        _write_rejects(raw, rows, rejected_mask, rejected, opts.rejects_path)
        result.rejects_path = opts.rejects_path
    return result
