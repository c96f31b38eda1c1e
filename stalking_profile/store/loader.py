"""Write one import batch to the store in a single transaction: all of it or none of it.

Ibis has no multi-statement transactions, so this module (and only this one) talks to
the engine's own connection: DuckDB's, or psycopg's for PostgreSQL. Each part of the
batch is first *staged* (DuckDB: the Arrow table is registered in place; PostgreSQL:
``COPY`` into a temporary table), then one set of SQL statements, the same on both
engines, moves it into the append-only tables with the new batch id. The ``batches``
row is written last, in the same transaction, so a killed import leaves no trace.

Versioning: a staged record whose every column (and ``linkage_hash``, the hash of its
name and birth-date tokens) equals the current version of its crime_ref is *unchanged* and
not written again; otherwise it is *new* or *changed*.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv

from stalking_profile.errors import KeyMismatchError, StoreError
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["KEY_FINGERPRINT", "BatchPayload", "BatchWrite", "Tx", "check_key", "move_staged", "transaction",
           "with_counts", "write_batch", "write_context_batch"]

KEY_FINGERPRINT = "key_fingerprint"


@dataclass(frozen=True)
class BatchPayload:
    """Everything one import writes; every table lacks only ``batch_id``."""

    batch: pa.Table  # one row: the batches columns except batch_id and the new/changed/unchanged counts
    crimes: pa.Table
    issues: pa.Table
    rejected: pa.Table
    tokens: pa.Table
    key_fingerprint: str


@dataclass(frozen=True)
class BatchWrite:
    """What the write did."""

    batch_id: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int


class Tx(Protocol):
    def execute(self, sql: str) -> list[tuple[Any, ...]]: ...

    def stage(self, name: str, like: str, data: pa.Table) -> None: ...


class _DuckTx:
    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._staged: list[str] = []

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        cur = self._raw.execute(sql)
        try:
            return list(cur.fetchall())
        except Exception:  # statements without a result set
            return []

    def stage(self, name: str, like: str, data: pa.Table) -> None:
        self._raw.register(name, data)
        self._staged.append(name)

    def unstage(self) -> None:
        for name in self._staged:
            self._raw.unregister(name)


class _PgTx:
    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        self._cur.execute(sql)
        return list(self._cur.fetchall()) if self._cur.description else []

    def stage(self, name: str, like: str, data: pa.Table) -> None:
        data = pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in data.columns],
                        names=data.column_names)  # CSV for COPY: plain values
        cols = ", ".join(data.column_names)
        self._cur.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {cols} FROM {like} WHERE false")
        if data.num_rows == 0:
            return
        buf = io.BytesIO()
        pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
        with self._cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(buf.getvalue())


@contextmanager
def transaction(store: Store) -> Iterator[Tx]:
    """One transaction on the engine's own connection: committed when the block ends, rolled
    back (leaving the store as it was) when it raises. Every append-only write goes through here."""
    raw = store.con.con
    if store.engine == "duckdb":
        tx = _DuckTx(raw)
        raw.begin()
        try:
            yield tx
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            tx.unstage()
    else:
        with raw.transaction(), raw.cursor() as cur:
            yield _PgTx(cur)


def check_key(stored: str | None, fingerprint: str) -> None:
    """Refuse a key whose fingerprint differs from the one the store was built with."""
    if stored is not None and stored != fingerprint:
        raise KeyMismatchError(
            f"this store was built with another pseudonymisation key (fingerprint {stored}, "
            f"this key {fingerprint}); importing would split every person in two",
            "set STALKING_PROFILE_KEY or STALKING_PROFILE_KEY_FILE to the key the store was built with",
        )


def _check_key(tx: Tx, fingerprint: str) -> None:
    if not re.fullmatch(r"[0-9a-f]+", fingerprint):  # it is written into SQL below
        raise ValueError(f"not a key fingerprint: {fingerprint!r}")
    rows = tx.execute(f"SELECT value FROM {tables.META} WHERE key = '{KEY_FINGERPRINT}'")
    if not rows:
        tx.execute(f"INSERT INTO {tables.META} (key, value) VALUES ('{KEY_FINGERPRINT}', '{fingerprint}')")
    check_key(rows[0][0] if rows else None, fingerprint)


def _check_not_just_imported(tx: Tx, batch: pa.Table) -> None:
    """Under the lock: refuse a file that another process imported as the latest batch meanwhile."""
    kind, sha = batch["source_kind"][0].as_py(), batch["file_sha256"][0].as_py()
    if not re.fullmatch(r"[0-9a-f]{64}", sha) or not re.fullmatch(r"[a-z_]+", kind):
        raise ValueError("batch row without a file hash")
    latest = tx.execute(f"SELECT file_sha256 FROM {tables.BATCHES} WHERE source_kind = '{kind}' "
                        "ORDER BY batch_id DESC LIMIT 1")
    if latest and latest[0][0] == sha:
        raise StoreError("this file was imported by another process while it was being read; nothing was written",
                         "run `stalking-profile info` to see the batch")


def move_staged(tx: Tx, stage: str, target: str, columns: list[str], batch_id: int, where: str = "") -> None:
    """Copy a staged table's ``columns`` into ``target`` under ``batch_id``."""
    cols = ", ".join(columns)
    tx.execute(f"INSERT INTO {target} (batch_id, {cols}) SELECT {batch_id}, {cols} FROM {stage} {where}")


def with_counts(batch: pa.Table, new: int, changed: int = 0, unchanged: int = 0) -> pa.Table:
    """The ``batches`` row of an import with its version counts (new, changed, unchanged) added."""
    for name, value in (("rows_new", new), ("rows_changed", changed), ("rows_unchanged", unchanged)):
        batch = batch.append_column(name, pa.array([value], pa.int64()))
    return batch


def write_batch(store: Store, payload: BatchPayload) -> BatchWrite:
    """Write ``payload`` as a new batch in one transaction and return its id and counts."""
    with transaction(store) as tx:
        if store.engine == "postgres":
            tx.execute(f"LOCK TABLE {tables.BATCHES} IN EXCLUSIVE MODE")
        _check_not_just_imported(tx, payload.batch)
        _check_key(tx, payload.key_fingerprint)
        batch_id = int(tx.execute(f"SELECT COALESCE(MAX(batch_id), 0) + 1 FROM {tables.BATCHES}")[0][0])
        parts = (
            ("_sp_stage_crimes", tables.CRIMES, payload.crimes),
            ("_sp_stage_tokens", tables.LINKAGE_TOKENS, payload.tokens),
            ("_sp_stage_issues", tables.ROW_ISSUES, payload.issues),
            ("_sp_stage_rejected", tables.REJECTED_ROWS, payload.rejected),
        )
        for stage, target, data in parts:
            tx.stage(stage, target, data)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM c.{c}" for c in payload.crimes.column_names
                            if c not in ("crime_ref", "row_number"))
        # Only crimes already in the store need comparing: a first import joins against nothing.
        tx.execute(
            f"CREATE TEMP TABLE _sp_unchanged AS SELECT s.crime_ref FROM _sp_stage_crimes s "
            f"JOIN {tables.CURRENT_CRIMES} c ON c.crime_ref = s.crime_ref WHERE {same}"
        )
        existing = int(tx.execute(
            f"SELECT COUNT(*) FROM _sp_stage_crimes s WHERE EXISTS "
            f"(SELECT 1 FROM {tables.CRIMES} c WHERE c.crime_ref = s.crime_ref)"
        )[0][0])
        unchanged = int(tx.execute("SELECT COUNT(*) FROM _sp_unchanged")[0][0])
        keep = "WHERE crime_ref NOT IN (SELECT crime_ref FROM _sp_unchanged)" if unchanged else ""
        move_staged(tx, "_sp_stage_crimes", tables.CRIMES, payload.crimes.column_names, batch_id, keep)
        move_staged(tx, "_sp_stage_tokens", tables.LINKAGE_TOKENS, payload.tokens.column_names, batch_id, keep)
        move_staged(tx, "_sp_stage_issues", tables.ROW_ISSUES, payload.issues.column_names, batch_id)
        move_staged(tx, "_sp_stage_rejected", tables.REJECTED_ROWS, payload.rejected.column_names, batch_id)
        written = BatchWrite(batch_id, payload.crimes.num_rows - existing, existing - unchanged, unchanged)
        batch = with_counts(payload.batch, written.rows_new, written.rows_changed, written.rows_unchanged)
        tx.stage("_sp_stage_batch", tables.BATCHES, batch)
        move_staged(tx, "_sp_stage_batch", tables.BATCHES, batch.column_names, batch_id)
        tx.execute("DROP TABLE _sp_unchanged")
    return written


def write_context_batch(store: Store, batch: pa.Table, target: str, rows: pa.Table) -> int:
    """Write a context file (police.uk) as a new batch, all or nothing; rows lack ``batch_id``."""
    with transaction(store) as tx:
        if store.engine == "postgres":
            tx.execute(f"LOCK TABLE {tables.BATCHES} IN EXCLUSIVE MODE")
        _check_not_just_imported(tx, batch)
        batch_id = int(tx.execute(f"SELECT COALESCE(MAX(batch_id), 0) + 1 FROM {tables.BATCHES}")[0][0])
        tx.stage("_sp_stage_context", target, rows)
        move_staged(tx, "_sp_stage_context", target, rows.column_names, batch_id)
        batch = with_counts(batch, rows.num_rows)
        tx.stage("_sp_stage_batch", tables.BATCHES, batch)
        move_staged(tx, "_sp_stage_batch", tables.BATCHES, batch.column_names, batch_id)
    return batch_id
