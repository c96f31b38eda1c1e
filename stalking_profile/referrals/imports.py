"""Import a file of victim referrals (or one referral event given on the command line) as one
append-only batch, all of it or none of it; and export the stored events in the same layout.

Every row is validated (see :mod:`stalking_profile.referrals.validate`); rejected rows are kept in
the store's ``rejected_rows`` table with their reasons and every issue in ``row_issues``, under the
referral batch's id, as crime imports keep theirs. The rest land in ``referral_events``.

- The batch is written in one transaction through the loader
  (:func:`stalking_profile.store.loader.transaction`): a failure part-way leaves the store as it was.
- Re-importing a file already imported as referrals (same SHA-256) changes nothing and says so.
- Referrals are events, never updated: an event identical to a stored one (same crime, service,
  status, date and reference) is not stored twice (counted as already stored).
- The victim is not in the file: it comes through the crime's pseudonymous ``victim_id``.
- :func:`add_referral` checks one event exactly as an import row is checked and stores it as a
  one-row batch (kind ``referral_add``); a rejected event is an :class:`InputFileError` and
  writes nothing, and an event already stored writes nothing either.
- :func:`export_referrals` writes the stored events in the import layout: imported into a
  fresh store the file gives the same events; imported into the store it came from, every row
  is accepted and counted as already stored (``rows_unchanged``), so nothing is added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from stalking_profile.errors import InputFileError
from stalking_profile.referrals.services import STATUSES, Services, load_services
from stalking_profile.referrals.validate import EVENT_SCHEMA, FIELDS, ValidatedReferrals, validate_referrals
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.export import write_records
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

__all__ = ["SOURCE_KIND", "ReferralImportResult", "add_referral", "export_referrals", "import_referrals"]

SOURCE_KIND = "referrals"
_ADD_KIND = "referral_add"


@dataclass
class ReferralImportResult(RecordImport):
    """The accounting of one import: read = accepted + rejected; accepted = new + already stored."""

    by_status: dict[str, int] = field(default_factory=dict)


def _recorded_dates(store: Store, refs: list[str]) -> dict[str, dt.date]:
    """The current recorded date of each crime_ref that is in the store."""
    crimes = store.current_crimes()
    found: dict[str, dt.date] = {}
    for chunk in chunks(refs):
        hits = crimes.filter(crimes.crime_ref.isin(chunk)).select("crime_ref", "recorded_date")
        for row in hits.to_pyarrow().to_pylist():
            if row["recorded_date"] is not None:
                found[row["crime_ref"]] = row["recorded_date"]
    return found


def _stored_referrals(store: Store, refs: list[str]) -> set[tuple[str, str]]:
    """The (crime_ref, service) pairs with a stored made, accepted or declined event."""
    events = store.table(tables.REFERRAL_EVENTS)
    found: set[tuple[str, str]] = set()
    for chunk in chunks(refs):
        hits = events.filter(events.crime_ref.isin(chunk),
                             events.status.isin(["made", "accepted", "declined"]))
        for row in hits.select("crime_ref", "service").distinct().to_pyarrow().to_pylist():
            found.add((row["crime_ref"], row["service"]))
    return found


def _write(store: Store, batch: pa.Table, checked: ValidatedReferrals) -> tuple[int, int]:
    """Write the batch in one transaction; returns its id and the number of new events."""
    events = checked.events
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, batch["source_kind"][0].as_py(), batch["file_sha256"][0].as_py())
        base = int(tx.execute(f"SELECT COALESCE(MAX(event_id), 0) FROM {tables.REFERRAL_EVENTS}")[0][0])
        tx.stage("_sp_stage_referrals", tables.REFERRAL_EVENTS, events)
        fresh = (f"WHERE NOT EXISTS (SELECT 1 FROM {tables.REFERRAL_EVENTS} e "
                 "WHERE e.event_hash = s.event_hash)")
        new = int(tx.execute(f"SELECT COUNT(*) FROM _sp_stage_referrals s {fresh}")[0][0])
        cols = ", ".join(c for c in EVENT_SCHEMA.names if c != "event_id")
        tx.execute(f"INSERT INTO {tables.REFERRAL_EVENTS} (batch_id, event_id, {cols}) "
                   f"SELECT {batch_id}, {base} + s.event_id, {', '.join('s.' + c for c in cols.split(', '))} "
                   f"FROM _sp_stage_referrals s {fresh}")
        keep(tx, batch_id, (tables.ROW_ISSUES, checked.issues), (tables.REJECTED_ROWS, checked.rejected),
             (tables.BATCHES, with_counts(batch, new, unchanged=events.num_rows - new)))
    return batch_id, new


def import_referrals(path: Path, store: Store, *, services: Services | None = None, today: dt.date | None = None,
                     sheet: str | None = None) -> ReferralImportResult:
    """Import one referrals file (CSV, XLSX or Parquet) as a new batch.

    Returns the accounting; a file imported as referrals before is not read again
    (``already_imported``). File-level problems raise :class:`InputFileError`.
    """
    result, started = open_import(path, store, SOURCE_KIND, ReferralImportResult)
    if result.already_imported:
        return result
    services = services or load_services()
    raw, table, result.rows_blank = read_rows(path, sheet, "referrals",
                                                "add one row per referral event under the template's header")
    checked = _validate(store, table, path.name, services, today)
    _account(result, checked)
    batch = batch_row(SOURCE_KIND, result, raw.file_format, raw.encoding, services.source, started)
    result.batch_id, result.rows_new = _write(store, batch, checked)
    result.rows_unchanged = result.rows_accepted - result.rows_new
    return result


def _validate(store: Store, table: pa.Table, name: str, services: Services,
              today: dt.date | None) -> ValidatedReferrals:
    return validate_referrals(table, name, services, today or dt.date.today(),
                              lambda refs: _recorded_dates(store, refs), lambda refs: _stored_referrals(store, refs))


def _account(result: ReferralImportResult, checked: ValidatedReferrals) -> None:
    result.rows_read, result.rows_warned = checked.rows_read, checked.rows_warned
    result.rows_accepted, result.rows_rejected = checked.events.num_rows, checked.rejected.num_rows
    result.ignored_columns, result.problems = checked.ignored_columns, problems(checked.issues)
    statuses = checked.events["status"].to_pylist()
    result.by_status = {s: statuses.count(s) for s in STATUSES if s in statuses}


def add_referral(store: Store, row: dict[str, str | None], *, services: Services | None = None,
                 today: dt.date | None = None) -> ReferralImportResult:
    """Store one referral event given field by field (``crime_ref, service, status, status_date``
    and optionally ``referral_ref``), checked exactly as an import row is.

    A rejected event raises :class:`InputFileError` with the row's reasons and writes nothing.
    An event identical to a stored one writes nothing and comes back with ``rows_unchanged = 1``
    and no ``batch_id``. Otherwise the event is stored as a one-row batch; ``problems`` holds
    any warning (a crime not in the store yet).
    """
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    services = services or load_services()
    raw = pa.table({f: pa.array([row.get(f)], pa.string()) for f in FIELDS})
    raw = raw.append_column("row_number", pa.array([1], pa.int64()))
    checked = _validate(store, raw, "(referral add)", services, today)
    if checked.rejected.num_rows:
        raise InputFileError(f"the referral was not stored: {checked.rejected['reasons'][0].as_py()}",
                             "see `stalking-profile referral list --crime CRIME` for the crime's referrals so far")
    text = json.dumps([row.get(f) for f in FIELDS]) + started.isoformat()
    result = ReferralImportResult("(referral add)", hashlib.sha256(text.encode()).hexdigest())
    _account(result, checked)
    events = store.table(tables.REFERRAL_EVENTS)
    if events.filter(events.event_hash == checked.events["event_hash"][0].as_py()).count().to_pyarrow().as_py():
        result.rows_unchanged = 1
        return result
    batch = batch_row(_ADD_KIND, result, "cli", "utf-8", services.source, started)
    result.batch_id, result.rows_new = _write(store, batch, checked)
    return result


def export_referrals(store: Store, out: Path, district: str | None = None) -> int:
    """Write the stored referral events (optionally those of one district's crimes) to ``out``
    (.csv or .xlsx) in the import layout (``crime_ref,service,status,status_date,referral_ref``);
    returns the rows written.

    Rows go crime by crime in the order the store accepted them, so an accepted or declined
    event always follows the made event it relies on, as a re-import requires. A referral keeps
    no district of its own: with ``district``, it is the district of its crime as the store holds
    it now, and referrals to crimes not in the store are left out.
    """
    events = store.table(tables.REFERRAL_EVENTS)
    if district is not None:
        crimes = store.current_crimes()
        refs = crimes.filter(crimes.district == district).select("crime_ref")
        events = events.filter(events.crime_ref.isin(refs.crime_ref))
    table = events.order_by(["crime_ref", "event_id"]).select(*FIELDS).to_pyarrow()
    return write_records(table, out, "referrals")
