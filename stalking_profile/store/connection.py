"""Open the store: a DuckDB file (the embedded default) or a PostgreSQL URL.

``--db`` / ``$STALKING_PROFILE_DB`` name it; the default is ``./stalking-profile.duckdb``.
Opening runs pending migrations. Everything above this module sees an Ibis backend,
so analyses are written once for both engines.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
from ibis.backends.sql import SQLBackend

from stalking_profile.errors import StoreError
from stalking_profile.store import tables
from stalking_profile.store.migrations import current_crimes_expr, migrate

__all__ = ["DB_ENV", "DEFAULT_DB", "Store", "open_store", "redact", "resolve_target"]

DB_ENV = "STALKING_PROFILE_DB"
DEFAULT_DB = "stalking-profile.duckdb"

Engine = Literal["duckdb", "postgres"]


@dataclass
class Store:
    """An open store: the Ibis backend, which engine it is and where it lives."""

    con: SQLBackend
    engine: Engine
    target: str
    schema_version: int

    #: batch ``as_of`` -> whether no crime up to it has a second version, and the last crimes batch up to it
    _single: dict[int, tuple[bool, int | None]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def current_crimes(self, as_of: int | None = None) -> ibis.Table:
        """Latest version of every crime, or as it stood after batch ``as_of``."""
        crimes = self.table(tables.CRIMES)
        single, last = self._single_versions(as_of)
        if single:  # every row is its crime's only version: no versions to look for
            return crimes.filter(crimes.batch_id <= (last or 0))
        return current_crimes_expr(crimes, as_of)

    def _single_versions(self, as_of: int | None) -> tuple[bool, int | None]:
        """Whether no crime has a second version up to batch ``as_of`` (and the last crimes batch
        up to it). Ingest counts, for each batch, the rows it stores for crimes already in the store
        (``rows_changed``); where every count is 0 each crime has one row, and the anti-join that
        finds replaced versions (a tenth of a second a query on a million crimes, asked a dozen
        times by a report) is left out. A count is unknown (NULL) only in a batch from before
        counts were kept: then the versions are looked for. Batches never change once written,
        so the answer for a given ``as_of`` is kept."""
        if as_of is not None and as_of in self._single:
            return self._single[as_of]
        batches = self.table(tables.BATCHES)
        mine = batches.source_kind == "crimes"
        if as_of is not None:
            mine = mine & (batches.batch_id <= as_of)
        row = batches.aggregate(changed=batches.rows_changed.fill_null(1).sum(where=mine),
                                last=batches.batch_id.max(where=mine),
                                newest=batches.batch_id.max()).to_pyarrow().to_pylist()[0]
        # the rows read are those up to the last batch seen here, even if another process adds one meanwhile
        answer = (not row["changed"], None if row["changed"] or row["last"] is None else int(row["last"]))
        if as_of is not None and row["newest"] is not None and as_of <= row["newest"]:
            self._single[as_of] = answer  # batches up to as_of, all written, never change
        return answer

    def meta(self, key: str) -> str | None:
        t = self.table(tables.META)
        rows = t.filter(t.key == key).value.to_pyarrow().to_pylist()
        return str(rows[0]) if rows else None

    @contextmanager
    def materialised(self, expr: ibis.Table) -> Iterator[ibis.Table]:
        """``expr`` computed once into a temporary table, dropped on exit.

        Worth it when a costly expression (the current versions of a million crimes, joined to
        their risk forms) is read many times. Where temporary tables are refused (a read-only
        PostgreSQL role or replica) the expression itself is yielded: slower, same result.
        """
        name = f"_sp_tmp_{uuid.uuid4().hex[:12]}"
        try:
            table = self.con.create_table(name, expr, temp=True)
        except Exception:
            yield expr
            return
        try:
            yield table
        finally:
            self.con.drop_table(name, force=True)

    def last_batch_id(self) -> int | None:
        value = self.table(tables.BATCHES).batch_id.max().to_pyarrow().as_py()
        return None if value is None else int(value)

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_target(target: str | None) -> str:
    """The store named by ``--db``, else ``$STALKING_PROFILE_DB``, else the default file."""
    return target or os.environ.get(DB_ENV) or DEFAULT_DB


def redact(target: str) -> str:
    """A store name safe to print: a PostgreSQL URL's password is hidden.

    Examples
    --------
    >>> redact("postgresql://analyst:s3cret@db.example/stalking")
    'postgresql://analyst:***@db.example/stalking'
    """
    return re.sub(r"^(postgres(?:ql)?://[^:/@]+):[^@]*@", r"\1:***@", target)


def _is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def _open_duckdb(path: Path) -> SQLBackend:
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file", "give --db a file name such as profile.duckdb")
    if not path.parent.exists():
        raise StoreError(f"folder {path.parent} does not exist", "create it first or give --db another path")
    if path.exists():
        with path.open("rb") as f:
            head = f.read(16)
        if len(head) >= 12 and head[8:12] != b"DUCK":
            raise StoreError(f"{path} is not a DuckDB store", "give --db a .duckdb file made by stalking-profile")
    try:
        con = ibis.duckdb.connect(str(path))
    except Exception as exc:  # duckdb.IOException and friends
        message = str(exc).splitlines()[0]
        if "lock" in message.lower():
            raise StoreError(f"{path} is in use by another process", "wait for it to finish, then try again") from exc
        raise StoreError(f"cannot open {path}: {message}", "check the path and its permissions") from exc
    con.raw_sql("SET enable_progress_bar = false")  # the CLI draws its own progress
    con.raw_sql("SET preserve_insertion_order = false")  # faster bulk loads; every read orders explicitly
    return con


def _open_postgres(url: str) -> SQLBackend:
    try:
        return ibis.connect(url.replace("postgres://", "postgresql://", 1))
    except Exception as exc:  # psycopg.OperationalError and friends
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        safe = url.split("@")[-1]
        raise StoreError(
            f"cannot connect to PostgreSQL at {safe}: {message}",
            "check that the server is running and the URL's user, password and database are right",
        ) from exc


def open_store(target: str | None = None, create: bool = True) -> Store:
    """Open (creating and migrating if needed) the store named by ``target``.

    With ``create=False`` a DuckDB file that does not exist is an error instead of a new store
    (commands that only read should not leave empty stores behind).
    """
    resolved = resolve_target(target)
    engine: Engine = "postgres" if _is_postgres(resolved) else "duckdb"
    if engine == "duckdb" and not create and not Path(resolved).exists():
        raise StoreError(f"there is no store at {resolved}",
                         "check --db (or $STALKING_PROFILE_DB), or create the store with `stalking-profile ingest`")
    con = _open_postgres(resolved) if engine == "postgres" else _open_duckdb(Path(resolved))
    existing = set(con.list_tables())
    ours = set(tables.SCHEMAS) | {tables.CURRENT_CRIMES}
    if tables.MIGRATIONS not in existing and existing & ours:
        con.disconnect()
        raise StoreError(f"{redact(resolved)} holds tables that stalking-profile did not make "
                         f"({', '.join(sorted(existing & ours))})",
                         "give --db a new file or database, or one made by stalking-profile")
    version = migrate(con)
    return Store(con, engine, redact(resolved), version)
