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

__all__ = ["worklist_cyber_flag", "worklist_domestic_under_16", "worklist_stalking_not_recorded",
           "worklist_unreferred_victims"]


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
              offence: str, fmt: str, audience: str, force: Path | None, lexicon: Path | None,
              risk_config: Path | None = None, days: int = 28) -> None:
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.online.lexicon import load_lexicon
    from stalking_profile.people.settings import load_risk_settings
    from stalking_profile.reporting.tables import write_worklist
    from stalking_profile.worklists.build import WorklistRequest, build_worklist

    check_format(fmt)
    request = WorklistRequest(name, period, to, offence, as_of, parse_audience(audience), days)
    words = load_lexicon(str(lexicon) if lexicon else None)
    risk = load_risk_settings(str(risk_config) if risk_config else None)
    with open_store(db, create=False) as store:
        worklist = build_worklist(store, request, force_config(force), lexicon=words, risk=risk)
    write_worklist(worklist, fmt, out_path)  # type: ignore[arg-type]
    out.print(f"{worklist.title}: {worklist.table.num_rows:,} crimes ({worklist.period.start} to "
              f"{worklist.period.end}) written to {out_path} (OFFICIAL-SENSITIVE)", highlight=False, markup=False)


RiskConfigOption = Annotated[Path | None, typer.Option(
    "--risk-config", help="Cumulative-risk settings TOML [env STALKING_PROFILE_RISK; default shipped]")]


def _linked_worklist(name: str) -> None:
    """Register a worklist built on linked histories under ``name``."""

    @worklist_app.command(name, help=WORKLIST_HELP[name])
    @user_errors
    def command(
        out_path: WorklistOut, db: DbOption = None, period: PeriodOption = None, to: ToOption = None,
        as_of: AsOfOption = None, offence: OffenceOption = "stalking", fmt: FormatOption = "csv",
        audience: AudienceOption = "internal", force: ForceOption = None, risk_config: RiskConfigOption = None,
    ) -> None:
        _worklist(name, out_path, db, period, to, as_of, offence, fmt, audience, force, None, risk_config)


WORKLIST_HELP = {
    "cumulative-risk": "Crimes whose cumulative risk (from the victim's, suspect's and pair's histories across "
                       "all offences) is above the recorded risk, or high with a non-specialist unit or no risk "
                       "assessment; each row lists the factors and points behind its score.",
    "missing-risk-assessment": "Crimes with no DASH, DARA or S-DASH form recorded, by district and domestic flag, "
                               "with their cumulative band.",
    "repeat-victims": "Victims of 3 or more crimes (any offence; set in the risk settings) in the history window, "
                      "at their latest crime in the period.",
    "spo-candidates": "Crimes a Stalking Protection Order could be considered for: high cumulative risk or a "
                      "suspect linked to 2 or more victims, with no SPO enquiry recorded yet (`stalking-profile spo`).",
    "serial-suspects": "Suspects linked to 2 or more victims (set in the risk settings), at their latest crime in "
                      "the period.",
}
for _name in WORKLIST_HELP:
    _linked_worklist(_name)


@worklist_app.command("stalking-not-recorded")
@user_errors
def worklist_stalking_not_recorded(
    out_path: WorklistOut, db: DbOption = None, period: PeriodOption = None, to: ToOption = None,
    as_of: AsOfOption = None, fmt: FormatOption = "csv", audience: AudienceOption = "internal",
    force: ForceOption = None,
) -> None:
    """Crimes of any offence whose risk form (imported with `forms import`) answers a stalking question
    yes while the crime is not coded as stalking: the seed's rule is that it must then be recorded."""
    _worklist("stalking-not-recorded", out_path, db, period, to, as_of, "stalking", fmt, audience, force, None)


@worklist_app.command("unreferred-victims")
@user_errors
def worklist_unreferred_victims(
    out_path: WorklistOut, db: DbOption = None, period: PeriodOption = None, to: ToOption = None,
    as_of: AsOfOption = None, fmt: FormatOption = "csv", audience: AudienceOption = "internal",
    force: ForceOption = None,
    days: Annotated[int, typer.Option("--days", help="Days after recording with no referral")] = 28,
) -> None:
    """Stalking crimes recorded at least --days before the period's end whose victim has no referral
    recorded (`stalking-profile referral import`)."""
    _worklist("unreferred-victims", out_path, db, period, to, as_of, "stalking", fmt, audience, force, None, None,
              days)
