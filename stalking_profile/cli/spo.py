"""Stalking Protection Order cases: `stalking-profile spo template|add|import|list|export`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cases.spo_events import EVENTS, derive_state
from stalking_profile.cases.spo_import import (
    SpoImportResult,
    add_event,
    export_events,
    import_events,
    load_events,
    write_template,
)
from stalking_profile.cli.common import DbOption, ForceOption, force_config, out, spo_app, user_errors
from stalking_profile.errors import InputFileError
from stalking_profile.store.connection import open_store
from stalking_profile.store.export import check_out, district_code

__all__ = ["spo_add", "spo_export", "spo_import", "spo_list", "spo_template"]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def _print_import(result: SpoImportResult) -> None:
    if result.already_imported:
        _say(f"{result.file_name}: already imported as SPO batch {result.batch_id}; nothing changed.")
        return
    kinds = ", ".join(f"{k} {n:,}" for k, n in result.by_event.items()) or "none"
    _say(f"{result.file_name} -> batch {result.batch_id} (SPO events)\n"
         f"  read {result.rows_read:,} = accepted {result.rows_accepted:,} + rejected {result.rows_rejected:,}\n"
         f"  events accepted: {kinds}")
    for number, reasons in result.rejected[:12]:
        _say(f"  rejected row {number}: {reasons}")
    if result.rows_rejected:
        _say(f"  rejected rows are in the store's rejected_rows table (batch {result.batch_id})")


@spo_app.command("template")
@user_errors
def spo_template(out_file: Annotated[Path, typer.Option("--out", help="CSV file to write")]) -> None:
    """Write the SPO events template (header and one example row)."""
    write_template(out_file)
    _say(f"wrote {out_file}: one row per event; events are {', '.join(EVENTS)}")


@spo_app.command("import")
@user_errors
def spo_import(
    file: Annotated[Path, typer.Argument(help="SPO events in the template's layout (CSV, XLSX)")],
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Validate SPO events against each case's history and store them as one append-only batch."""
    if not file.is_file():  # before opening the store
        raise InputFileError(f"{file} not found", "check the path; the file must exist and be readable")
    with open_store(db, create=False) as store:
        result = import_events(file, store, force=force_config(force))
    _print_import(result)


@spo_app.command("add")
@user_errors
def spo_add(
    case_ref: Annotated[str, typer.Option("--case", help="SPO case reference")],
    crime_ref: Annotated[str, typer.Option("--crime", help="Crime reference the case belongs to")],
    event: Annotated[str, typer.Option("--event", help=f"One of: {', '.join(EVENTS)}")],
    date: Annotated[str, typer.Option("--date", help="Event date, YYYY-MM-DD or DD/MM/YYYY")],
    district: Annotated[str | None, typer.Option(help="District code or name [blank: the crime's]")] = None,
    outcome: Annotated[str | None, typer.Option(help="granted, refused, proceed or 'not viable'")] = None,
    reason: Annotated[str | None, typer.Option(help="Reason, e.g. for a not-viable decision")] = None,
    duration_months: Annotated[int | None, typer.Option(help="Length of a full order or renewal")] = None,
    terms: Annotated[str | None, typer.Option(help="Prohibitions and requirements, as text")] = None,
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Record one SPO event (checked against the case's stored events)."""
    row = {"case_ref": case_ref, "crime_ref": crime_ref, "event": event, "event_date": date, "district": district,
           "outcome": outcome, "reason": reason,
           "duration_months": None if duration_months is None else str(duration_months), "terms": terms}
    with open_store(db, create=False) as store:
        result = add_event(store, row, force=force_config(force))
    _say(f"case {case_ref}: {event} on {date} stored (batch {result.batch_id})")


@spo_app.command("list")
@user_errors
def spo_list(
    case: Annotated[str | None, typer.Option("--case", help="Only this case, with its events")] = None,
    on: Annotated[str | None, typer.Option("--on", help="State as it stood on this date, YYYY-MM-DD [today]")] = None,
    db: DbOption = None,
) -> None:
    """Each case's derived state on a date: stage, district, key dates, whether an order is in force, breaches."""
    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError:
        raise InputFileError(f"--on '{on}' is not a date", "use YYYY-MM-DD") from None
    with open_store(db, create=False) as store:
        cases = load_events(store, [case] if case else None)
    if case and not cases:
        raise InputFileError(f"no SPO events are stored for case {case}", "run `stalking-profile spo list`")
    _say(f"{'case':<12}{'district':<9}{'stage':<15}{'enquiry':<12}{'applied':<12}{'interim':<12}"
         f"{'full order':<12}{'ends':<12}{'in force':<9}breaches")
    for ref, events in sorted(cases.items()):
        s = derive_state(events, on=day)
        dates = (s.enquiry_date, s.application_date, s.interim_date, s.full_order_date, s.order_end)
        _say(f"{ref:<12}{s.district or '':<9}{s.stage:<15}" + "".join(f"{d or '-'!s:<12}" for d in dates)
             + f"{'yes' if s.in_force_on(day) else 'no':<9}{s.breaches_reported}")
        if case:
            for e in (e for e in events if e.event_date <= day):
                extra = ", ".join(f"{k} {v}" for k, v in (("outcome", e.outcome), ("reason", e.reason),
                                  ("months", e.duration_months), ("terms", e.terms)) if v is not None)
                _say(f"  {e.event_date}  {e.event:<16}{extra}")


@spo_app.command("export")
@user_errors
def spo_export(
    out_file: Annotated[Path, typer.Option("--out", help="File to write: .csv or .xlsx (never overwritten)")],
    district: Annotated[str | None, typer.Option("--district", help="Only this district's events")] = None,
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Write the stored SPO events in the template's layout; `spo import` reads the file back."""
    check_out(out_file)  # before opening the store
    code = district_code(district, force_config(force))
    with open_store(db, create=False) as store:
        written = export_events(store, out_file, code)
    _say(f"wrote {out_file}: {written:,} SPO events" + (f" in {code}" if code else ""))
