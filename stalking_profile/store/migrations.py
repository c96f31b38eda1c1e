"""Versioned, ordered schema migrations, recorded in ``schema_migrations``.

Each migration is a function of the Ibis backend; DDL is written through Ibis
(``create_table`` from the schemas in :mod:`tables`, views from Ibis expressions),
so the same steps run on DuckDB and PostgreSQL. Add a step; never edit a released one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import pyarrow as pa
from ibis.backends.sql import SQLBackend

from stalking_profile.errors import StoreError
from stalking_profile.store import tables

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "current_crimes_expr", "migrate"]


def current_crimes_expr(crimes: ibis.Table, as_of: int | None = None) -> ibis.Table:
    """The latest version of each crime_ref (optionally as it stood after batch ``as_of``).

    A batch holds at most one row per crime_ref (ingest rejects a file's repeats), so a row is
    current unless a later batch has the same crime_ref. That is found by an anti-join on the
    crimes with more than one version: a quarter of the time of ranking every version of every
    crime, and filters on the crimes' own columns reach the table before the join.
    """
    keys = crimes.select("crime_ref", "batch_id")  # its own expression: one shared by both sides would be
    if as_of is not None:                           # a common table that DuckDB computes with every column
        crimes, keys = crimes.filter(crimes.batch_id <= as_of), keys.filter(keys.batch_id <= as_of)
    versions = keys.group_by(_ref=keys.crime_ref).aggregate(_latest=keys.batch_id.max(), _versions=keys.count())
    replaced = versions.filter(versions._versions > 1)
    return crimes.anti_join(replaced, [crimes.crime_ref == replaced._ref, crimes.batch_id < replaced._latest])


def _ranked_current(crimes: ibis.Table) -> ibis.Table:
    """Migration 1's view, kept as released: every version of every crime ranked by batch."""
    window = ibis.window(group_by=crimes.crime_ref, order_by=ibis.desc(crimes.batch_id))
    ranked = crimes.mutate(_version_rank=ibis.row_number().over(window))
    return ranked.filter(ranked._version_rank == 0).drop("_version_rank")


def _initial(con: SQLBackend) -> None:
    # Each step must be safe to run again: Ibis cannot wrap DDL in one transaction on every
    # engine, so a step that was interrupted is finished on the next open.
    existing = set(con.list_tables())
    for name in (tables.META, tables.BATCHES, tables.CRIMES, tables.ROW_ISSUES, tables.REJECTED_ROWS,
                 tables.LINKAGE_TOKENS):
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])
    con.create_view(tables.CURRENT_CRIMES, _ranked_current(con.table(tables.CRIMES)), overwrite=True)


def _geography(con: SQLBackend) -> None:
    existing = set(con.list_tables())
    for name in (tables.GEO_IMPORTS, *tables.GEO_LAYERS.values()):
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])


def _policeuk(con: SQLBackend) -> None:
    if tables.POLICEUK not in con.list_tables():
        con.create_table(tables.POLICEUK, schema=tables.SCHEMAS[tables.POLICEUK])


def _boundaries(con: SQLBackend) -> None:
    existing = set(con.list_tables())
    for layer in ("ward_boundaries", "lsoa_boundaries"):
        name = tables.GEO_LAYERS[layer]
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])


def _lsoa_population(con: SQLBackend) -> None:
    name = tables.GEO_LAYERS["lsoa_population"]
    if name not in con.list_tables():
        con.create_table(name, schema=tables.SCHEMAS[name])


def _risk_forms(con: SQLBackend) -> None:
    existing = set(con.list_tables())
    for name in (tables.RISK_FORMS, tables.RISK_FORM_ANSWERS):
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])


def _person_clusters(con: SQLBackend) -> None:
    existing = set(con.list_tables())
    for name in (tables.LINK_RUNS, tables.PERSON_CLUSTERS, tables.LINK_PAIRS):
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])


Migration = tuple[int, str, Callable[[SQLBackend], None]]

def _detections(con: SQLBackend) -> None:
    if tables.MO_DETECTIONS not in con.list_tables():
        con.create_table(tables.MO_DETECTIONS, schema=tables.SCHEMAS[tables.MO_DETECTIONS])


def _spo_events(con: SQLBackend) -> None:
    if tables.SPO_EVENTS not in con.list_tables():
        con.create_table(tables.SPO_EVENTS, schema=tables.SCHEMAS[tables.SPO_EVENTS])


def _referral_events(con: SQLBackend) -> None:
    if tables.REFERRAL_EVENTS not in con.list_tables():
        con.create_table(tables.REFERRAL_EVENTS, schema=tables.SCHEMAS[tables.REFERRAL_EVENTS])


def _training_completions(con: SQLBackend) -> None:
    if tables.TRAINING_COMPLETIONS not in con.list_tables():
        con.create_table(tables.TRAINING_COMPLETIONS, schema=tables.SCHEMAS[tables.TRAINING_COMPLETIONS])


def _current_by_anti_join(con: SQLBackend) -> None:
    con.create_view(tables.CURRENT_CRIMES, current_crimes_expr(con.table(tables.CRIMES)), overwrite=True)


def _audits(con: SQLBackend) -> None:
    existing = set(con.list_tables())
    for name in (tables.AUDIT_SAMPLES, tables.AUDIT_SAMPLE_CRIMES, tables.AUDIT_REVIEWS, tables.AUDIT_ANSWERS):
        if name not in existing:
            con.create_table(name, schema=tables.SCHEMAS[name])


MIGRATIONS: tuple[Migration, ...] = (
    (1, "batches, crimes, issues, rejects, linkage tokens, current_crimes view", _initial),
    (2, "geography: imports, LSOA-ward lookup, ward population, IMD", _geography),
    (3, "police.uk street-level crimes as a public context layer", _policeuk),
    (4, "geography: ward and LSOA boundaries", _boundaries),
    (5, "geography: LSOA population", _lsoa_population),
    (6, "risk forms: completed DASH, S-DASH and DARA forms and their answers", _risk_forms),
    (7, "linkage of duplicated nominals: link runs, person clusters and scored pairs", _person_clusters),
    (8, "technology detections cached by MO-text hash and detector version", _detections),
    (9, "Stalking Protection Order case events", _spo_events),
    (10, "victim referrals: offered, made, accepted and declined events", _referral_events),
    (11, "officer training completions (officers as keyed tokens)", _training_completions),
    (12, "dip-sample audits: samples, their crimes, reviews and answers", _audits),
    (13, "current_crimes view: the latest version found by an anti-join, not by ranking every version",
     _current_by_anti_join),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _applied(con: SQLBackend) -> int:
    if tables.MIGRATIONS not in con.list_tables():
        con.create_table(tables.MIGRATIONS, schema=tables.SCHEMAS[tables.MIGRATIONS])
        return 0
    t = con.table(tables.MIGRATIONS)
    value = t.version.max().execute()
    return int(value) if value is not None and value == value else 0


def migrate(con: SQLBackend) -> int:
    """Apply every migration not yet applied; returns the schema version."""
    version = _applied(con)
    if version > SCHEMA_VERSION:
        raise StoreError(f"this store has schema version {version}; this stalking-profile knows up to {SCHEMA_VERSION}",
                         "upgrade stalking-profile before using this store")
    for number, description, step in MIGRATIONS:
        if number <= version:
            continue
        step(con)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        record = pa.table(
            {"version": [number], "description": [description], "applied_at": [now]},
            schema=tables.SCHEMAS[tables.MIGRATIONS].to_pyarrow(),
        )
        con.insert(tables.MIGRATIONS, record)
        version = number
    return version
