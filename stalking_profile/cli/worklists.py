"""Worklists: record-level lists of crimes to check, internal only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cli.common import (
    AsOfOption,
    AudienceOption,
    DbOption,
    ForceOption,
    FormatOption,
    OffenceOption,
    PeriodOption,
    ToOption,
    WorklistOut,
    check_format,
    force_config,
    out,
    user_errors,
    worklist_app,
)
from stalking_profile.store.connection import open_store

__all__ = ['worklist_cyber_flag', 'worklist_domestic_under_16']


@worklist_app.command("cyber-flag")
@user_errors
def worklist_cyber_flag(
    out_path: WorklistOut, db: DbOption = None, period: PeriodOption = None, to: ToOption = None,
    as_of: AsOfOption = None, offence: OffenceOption = "stalking", fmt: FormatOption = "csv",
    audience: AudienceOption = "internal", force: ForceOption = None,
    lexicon: Annotated[Path | None, typer.Option(
        "--lexicon", help="Technology lexicon TOML [env STALKING_PROFILE_LEXICON; default shipped]")] = None,
) -> None:
    """Crimes whose MO text shows technology but carry no cyber-enabled flag, with the matched terms."""
    _worklist("cyber-flag", out_path, db, period, to, as_of, offence, fmt, audience, force, lexicon)


@worklist_app.command("domestic-under-16")
@user_errors
def worklist_domestic_under_16(
    out_path: WorklistOut, db: DbOption = None, period: PeriodOption = None, to: ToOption = None,
    as_of: AsOfOption = None, offence: OffenceOption = "stalking", fmt: FormatOption = "csv",
    audience: AudienceOption = "internal", force: ForceOption = None,
) -> None:
    """Domestic-flagged crimes where the victim or suspect is under 16 (domestic abuse is 16+)."""
    _worklist("domestic-under-16", out_path, db, period, to, as_of, offence, fmt, audience, force, None)


def _worklist(name: str, out_path: Path, db: str | None, period: str | None, to: str | None, as_of: int | None,
              offence: str, fmt: str, audience: str, force: Path | None, lexicon: Path | None) -> None:
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.online.lexicon import load_lexicon
    from stalking_profile.reporting.tables import write_worklist
    from stalking_profile.worklists.build import WorklistRequest, build_worklist

    check_format(fmt)
    request = WorklistRequest(name, period, to, offence, as_of, parse_audience(audience))
    words = load_lexicon(str(lexicon) if lexicon else None)
    with open_store(db, create=False) as store:
        worklist = build_worklist(store, request, force_config(force), lexicon=words)
    write_worklist(worklist, fmt, out_path)  # type: ignore[arg-type]
    out.print(f"{worklist.title}: {worklist.table.num_rows:,} crimes ({worklist.period.start} to "
              f"{worklist.period.end}) written to {out_path} (OFFICIAL-SENSITIVE)", highlight=False, markup=False)

