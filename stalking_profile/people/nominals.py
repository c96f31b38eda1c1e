"""Person records for linking duplicated nominals: one per nominal, built from the store.

A *nominal* is one RMS person record: one pseudonymous ``victim_id`` or ``suspect_id``.
Its record gathers, from the current version of each of its crimes, the keyed-hash
linkage tokens made at ingest (joined on ``crime_ref`` and the ``batch_id`` of that
version, so a corrected name replaces the old one) and the plain attributes the crimes
carry: sex, district and an approximate birth year (recorded year minus age). Where a
nominal's crimes disagree, each attribute takes its most frequent value (the latest crime
wins ties); the tokens are taken together, as the most frequent whole token set.

A crime whose person has a name or birth date but no id ("where ids are missing") becomes a
record of its own, keyed by crime reference, so that the clustering can attach it to a person.

The store is read through Ibis (DuckDB or PostgreSQL alike); the per-nominal reductions then
run in an in-memory DuckDB over Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.schema.columns import TOKEN_TYPES
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["ROLES", "UNIDENTIFIED_PREFIX", "PersonRecords", "has_linkage_tokens", "person_records"]

ROLES = ("victim", "suspect")
#: Key of a record with no person id: this prefix and the crime reference (never a 32-hex id token).
UNIDENTIFIED_PREFIX = "crime:"
_TOKENS = ", ".join(TOKEN_TYPES)


@dataclass(frozen=True)
class PersonRecords:
    """One role's nominals and the crime-level appearances they were built from.

    ``records``: one row per nominal (``unique_id`` is the person id, or ``crime:<ref>`` for a
    crime with tokens but no id), with ``person_id``, ``crime_ref`` (id-less records only),
    ``crimes``, the token columns, ``approx_birth_year``, ``sex``, ``district`` and
    ``has_tokens``. ``appearances``: one row per crime with tokens (``unique_id`` is the crime
    reference), with its ``person_id`` and the same comparison columns.
    """

    role: str
    records: pa.Table
    appearances: pa.Table

    @property
    def with_tokens(self) -> int:
        """Records that carry at least one linkage token (only these can be compared)."""
        return int(pc.sum(self.records["has_tokens"]).as_py() or 0)

    @property
    def without_id(self) -> int:
        """Records of crimes with tokens but no person id."""
        return int(self.records["person_id"].null_count)


def has_linkage_tokens(store: Store) -> bool:
    """Whether the store holds any linkage token (an extract with names or dates of birth)."""
    t = store.table(tables.LINKAGE_TOKENS)
    return bool(t.limit(1).count().to_pyarrow().as_py())


def _appearances(store: Store, role: str, as_of: int | None) -> pa.Table:
    """Current crimes with a person id or tokens for ``role``: id, tokens and plain attributes."""
    crimes = store.current_crimes(as_of)
    tokens = store.table(tables.LINKAGE_TOKENS)
    tokens = tokens.filter(tokens.role == role)
    joined = crimes.left_join(tokens, [crimes.crime_ref == tokens.crime_ref, crimes.batch_id == tokens.batch_id])
    rows = joined.select(
        crime_ref=crimes.crime_ref,
        recorded_date=crimes.recorded_date,
        person_id=crimes[f"{role}_id"],
        age=crimes[f"{role}_age"].cast("int64"),
        sex=crimes[f"{role}_sex"],
        district=crimes.district,
        **{kind: tokens[kind] for kind in TOKEN_TYPES},
    )
    present = rows.person_id.notnull()
    for kind in TOKEN_TYPES:
        present = present | rows[kind].notnull()
    return rows.filter(present).to_pyarrow()


def _modal(columns: str, where: str) -> str:
    """Per node, the most frequent value (tuple) of ``columns``; the latest crime breaks ties."""
    return (f"SELECT node, {columns} FROM (SELECT node, {columns}, row_number() OVER (PARTITION BY node "
            f"ORDER BY count(*) DESC, max(recorded_date) DESC, max(crime_ref) DESC) AS rk FROM rows "
            f"WHERE {where} GROUP BY node, {columns}) WHERE rk = 1")


def _records_sql() -> str:
    picked = ", ".join(f"t.{kind}" for kind in TOKEN_TYPES)
    return f"""
        WITH nodes AS (
            SELECT node, any_value(person_id) AS person_id, count(*) AS crimes,
                   CASE WHEN any_value(person_id) IS NULL THEN any_value(crime_ref) END AS crime_ref
            FROM rows GROUP BY node),
        t AS ({_modal(_TOKENS, "has_tokens")}),
        s AS ({_modal("sex", "sex IS NOT NULL")}),
        d AS ({_modal("district", "district IS NOT NULL")}),
        a AS ({_modal("approx_birth_year", "approx_birth_year IS NOT NULL")})
        SELECT nodes.node AS unique_id, nodes.person_id, nodes.crime_ref, nodes.crimes, {picked},
               a.approx_birth_year, s.sex, d.district, t.node IS NOT NULL AS has_tokens
        FROM nodes LEFT JOIN t USING (node) LEFT JOIN s USING (node) LEFT JOIN d USING (node)
                   LEFT JOIN a USING (node)
        ORDER BY unique_id"""


def person_records(store: Store, role: str, as_of: int | None = None) -> PersonRecords:
    """The nominals of ``role`` (``victim`` or ``suspect``) in the current crimes.

    Parameters
    ----------
    store : Store
        An open store (DuckDB or PostgreSQL).
    role : str
        ``victim`` or ``suspect``: the two are never compared with each other.
    as_of : int, optional
        Use the store as it stood after this import batch.

    Returns
    -------
    PersonRecords
        One record per nominal and per id-less crime with tokens, in ``unique_id`` order.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> with open_store(":memory:") as store:
    ...     person_records(store, "victim").records.num_rows
    0
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    raw = _appearances(store, role, as_of)
    con = duckdb.connect()
    try:
        con.register("raw", raw)
        con.execute(f"""
            CREATE TABLE rows AS SELECT *, coalesce(person_id, '{UNIDENTIFIED_PREFIX}' || crime_ref) AS node,
                   year(recorded_date) - age AS approx_birth_year, coalesce({_TOKENS}) IS NOT NULL AS has_tokens
            FROM raw""")
        records = con.execute(_records_sql()).fetch_arrow_table()
        appearances = con.execute(f"""
            SELECT crime_ref AS unique_id, person_id, node, {_TOKENS}, approx_birth_year, sex, district
            FROM rows WHERE has_tokens ORDER BY crime_ref""").fetch_arrow_table()
    finally:
        con.close()
    return PersonRecords(role, records, appearances)
