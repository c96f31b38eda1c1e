"""Victim referrals: `stalking-profile referral template|add|import|list|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cli.common import (
    DbOption,
    ForceOption,
    force_config,
    out,
    print_record_import,
    referral_app,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.referrals.imports import ReferralImportResult, add_referral, export_referrals, import_referrals
from stalking_profile.referrals.services import STATUSES, load_services
from stalking_profile.referrals.validate import FIELDS, LAYOUT
from stalking_profile.store import tables
from stalking_profile.store.connection import open_store
from stalking_profile.store.export import check_out, district_code

__all__ = ["referral_add", "referral_export", "referral_import", "referral_list", "referral_template"]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


@referral_app.command("template")
@user_errors
def referral_template(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write (the header row of a referrals file)")],
) -> None:
    """Write an empty referrals file (its header) and print the services and statuses it accepts."""
    if out_file.exists():
        raise InputFileError(f"{out_file} already exists", "choose another --out or remove the file first")
    out_file.write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    services = load_services()
    _say(f"wrote {out_file}: {LAYOUT}, one row per referral event")
    _say(f"  status: {', '.join(STATUSES)}; status_date: YYYY-MM-DD or DD/MM/YYYY")
    _say("  service (* = specialist stalking service):")
    for s in services.services:
        also = f" (also: {', '.join(s.synonyms)})" if s.synonyms else ""
        _say(f"    {'*' if s.specialist_stalking else ' '} {s.name}{also}")


def _print_import(result: ReferralImportResult) -> None:
    counts = ", ".join(f"{t} {n:,}" for t, n in result.by_status.items()) or "none"
    print_record_import(result, "referrals", f"events accepted: {counts}")


@referral_app.command("import")
@user_errors
def referral_import(
    file: Annotated[Path, typer.Argument(help=f"Referral events: {LAYOUT} (CSV, XLSX)")],
    db: DbOption = None,
) -> None:
    """Validate victim referral events and store them as one append-only batch."""
    if not file.is_file():  # before opening the store: a mistyped path should not leave an empty store
        raise InputFileError(f"{file} not found", "check the path; the file must exist and be readable")
    with open_store(db, create=False) as store:
        result = import_referrals(file, store)
    _print_import(result)


@referral_app.command("add")
@user_errors
def referral_add(
    crime_ref: Annotated[str, typer.Option("--crime", help="Crime reference the referral belongs to")],
    service: Annotated[str, typer.Option("--service", help="A service or synonym (see `referral template`)")],
    status: Annotated[str, typer.Option("--status", help=f"One of: {', '.join(STATUSES)}")],
    date: Annotated[str, typer.Option("--date", help="Status date, YYYY-MM-DD or DD/MM/YYYY")],
    referral_ref: Annotated[str | None, typer.Option("--referral-ref", help="The service's reference")] = None,
    db: DbOption = None,
) -> None:
    """Record one referral event, checked exactly as an import row is."""
    row = {"crime_ref": crime_ref, "service": service, "status": status, "status_date": date,
           "referral_ref": referral_ref}
    with open_store(db, create=False) as store:
        result = add_referral(store, row)
    if result.batch_id is None:
        _say(f"crime {crime_ref}: this {status} referral is already stored; nothing written")
        return
    _say(f"crime {crime_ref}: {next(iter(result.by_status))} referral stored (batch {result.batch_id})")
    for _, column, _, example in result.problems:
        _say(f"  warning {column}: {example}")


@referral_app.command("export")
@user_errors
def referral_export(
    out_file: Annotated[Path, typer.Option("--out", help="File to write: .csv or .xlsx (never overwritten)")],
    district: Annotated[str | None, typer.Option(
        "--district", help="Only referrals for this district's crimes (crimes in the store)")] = None,
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Write the stored referral events in the import layout; `referral import` reads the file back."""
    check_out(out_file)  # before opening the store
    code = district_code(district, force_config(force))
    with open_store(db, create=False) as store:
        written = export_referrals(store, out_file, code)
    _say(f"wrote {out_file}: {written:,} referral events" + (f" for crimes in {code}" if code else ""))


@referral_app.command("list")
@user_errors
def referral_list(
    crime: Annotated[str | None, typer.Option("--crime", help="Only this crime's referrals")] = None,
    db: DbOption = None,
) -> None:
    """Print the stored referral events (internal: crime references), by crime then date."""
    with open_store(db, create=False) as store:
        events = store.table(tables.REFERRAL_EVENTS)
        if crime is not None:
            events = events.filter(events.crime_ref == crime.strip())
        rows = events.order_by(["crime_ref", "status_date", "event_id"]).select(
            "crime_ref", "service", "status", "status_date", "referral_ref", "batch_id").to_pyarrow().to_pylist()
    if not rows:
        _say(f"no referrals stored for crime {crime}" if crime else "no referrals stored")
        return
    _say(f"{'crime_ref':<14}{'service':<28}{'status':<10}{'date':<12}{'referral_ref':<14}batch")
    for r in rows:
        _say(f"{r['crime_ref']:<14}{r['service']:<28}{r['status']:<10}{r['status_date']!s:<12}"
             f"{r['referral_ref'] or '':<14}{r['batch_id']}")
    _say(f"{len(rows):,} events")
