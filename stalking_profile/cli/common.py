"""What every command shares: the Typer apps, the common options and the user-error wrapper.

User errors (:class:`StalkingProfileError`) are printed as one message plus a hint on
stderr, with exit code 2 and no traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from stalking_profile.errors import InputFileError, StalkingProfileError
from stalking_profile.force import Force, load_force

__all__ = [
    "AsOfOption",
    "AudienceOption",
    "DbOption",
    "ExcludeOnlineOption",
    "ForceOption",
    "FormatOption",
    "OffenceOption",
    "PeriodOption",
    "PermutationsOption",
    "SeedOption",
    "SuppressOption",
    "ToOption",
    "WorklistOut",
    "app",
    "audit_app",
    "check_format",
    "err",
    "force_config",
    "forms_app",
    "geography_app",
    "mapping_app",
    "out",
    "print_record_import",
    "referral_app",
    "spo_app",
    "training_app",
    "user_errors",
    "worklist_app",
]  # fmt: skip

app = typer.Typer(
    name="stalking-profile",
    help="Build a police force's Stalking Problem Profile from crime-record extracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mapping_app = typer.Typer(help="Column-mapping profiles for force exports.", no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")
worklist_app = typer.Typer(help="Record-level lists of crimes to check (internal only).", no_args_is_help=True)
app.add_typer(worklist_app, name="worklist")
geography_app = typer.Typer(help="The force's geography: wards, population, deprivation.", no_args_is_help=True)
app.add_typer(geography_app, name="geography")
forms_app = typer.Typer(help="Completed risk forms (DASH, S-DASH, DARA): import and checklists.", no_args_is_help=True)
app.add_typer(forms_app, name="forms")
spo_app = typer.Typer(help="Stalking Protection Order cases: events, import and state.", no_args_is_help=True)
app.add_typer(spo_app, name="spo")
referral_app = typer.Typer(help="Victim referrals (ISAC, Paladin, Stalking Helpline, IDVA, ...): import and list.",
                            no_args_is_help=True)
app.add_typer(referral_app, name="referral")
training_app = typer.Typer(help="Officer training (iLearn, supervisors, champions, investigators): import and list.",
                           no_args_is_help=True)
app.add_typer(training_app, name="training")
audit_app = typer.Typer(help="Dip-sample audits of stalking crimes: draw a sample, import the completed checklist.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

PeriodOption = Annotated[str | None, typer.Option(help="Window START:END, ISO dates, both inclusive")]
ToOption = Annotated[str | None, typer.Option("--to", help="The 12 months ending with this month, YYYY-MM")]
PermutationsOption = Annotated[int, typer.Option(help="Permutations for hot-spot p-values")]
SeedOption = Annotated[int, typer.Option(help="Random seed for the permutations: same seed, same p-values")]
ExcludeOnlineOption = Annotated[bool, typer.Option(
    "--exclude-suspect-home-online", help="Leave cyber-enabled crimes located at the suspect's home off the map")]

WorklistOut = Annotated[Path, typer.Option("--out", help="File to write (.csv, .xlsx or .json)")]
AsOfOption = Annotated[int | None, typer.Option("--as-of", help="The store as it stood after this batch")]
OffenceOption = Annotated[str, typer.Option("--offence", help="Offence family: stalking, harassment, ...")]
FormatOption = Annotated[str, typer.Option(
    "--format", help="csv (a folder for profile, a file for worklists), xlsx or json")]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="DuckDB file or postgresql:// URL [env STALKING_PROFILE_DB; default ./stalking-profile.duckdb]"
    ),
]
AudienceOption = Annotated[str, typer.Option(
    "--audience", help="internal (everything), partner or public (aggregate, small counts suppressed)")]
SuppressOption = Annotated[int, typer.Option(
    "--suppress-below", help="For partner and public audiences: counts from 1 to this minus one are hidden")]
ForceOption = Annotated[
    Path | None,
    typer.Option("--force", help="Force configuration TOML [env STALKING_PROFILE_FORCE; default West Yorkshire]"),
]



def _database_errors() -> tuple[type[BaseException], ...]:
    import duckdb
    import psycopg

    return (duckdb.Error, psycopg.Error)


def force_config(path: Path | None) -> Force:
    """The force from --force, else the environment or the West Yorkshire default."""
    return load_force(str(path) if path else None)


def user_errors(func: F) -> F:
    """Turn the package's errors (and unreadable/unwritable paths) into one message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StalkingProfileError as exc:
            err.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
            if exc.hint:
                err.print(f"[bold]Hint:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            err.print(f"[bold red]Error:[/] {escape(str(exc.strerror or exc))}: {escape(str(exc.filename or ''))}",
                      highlight=False)
            err.print("[bold]Hint:[/] check the path exists and that you may read and write it", highlight=False)
            raise typer.Exit(2) from None
        except _database_errors() as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            err.print(f"[bold red]Error:[/] the database refused the operation: {escape(first)}", highlight=False)
            err.print("[bold]Hint:[/] check the store's permissions and that no other program holds it",
                      highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def check_format(fmt: str) -> None:
    """Refuse an unknown --format before any work is done."""
    if fmt not in ("csv", "xlsx", "json"):
        raise InputFileError(f"unknown format '{fmt}'", "use --format csv, xlsx or json")


def print_record_import(result: Any, kind: str, accepted: str) -> None:
    """The accounting of a case-records import (risk forms, referrals): read = accepted + rejected,
    accepted = new + already stored, then the commonest problems; ``accepted`` says what was taken."""
    def say(text: str) -> None:
        out.print(text, highlight=False, markup=False)

    if result.already_imported:
        say(f"{result.file_name}: already imported as {kind} batch {result.batch_id}; nothing changed.")
        return
    say(f"{result.file_name} -> batch {result.batch_id} ({kind})\n"
        f"  read {result.rows_read:,} = accepted {result.rows_accepted:,} + rejected {result.rows_rejected:,}\n"
        f"  accepted {result.rows_accepted:,} = new {result.rows_new:,} + already stored {result.rows_unchanged:,}; "
        f"{result.rows_warned:,} {'row' if result.rows_warned == 1 else 'rows'} with warnings\n"
        f"  {accepted}")
    if result.rows_blank:
        say(f"  {result.rows_blank:,} blank lines skipped")
    if result.ignored_columns:
        say(f"  columns not used: {', '.join(result.ignored_columns)}")
    for severity, column, rows, example in result.problems[:12]:
        label = "rejected" if severity == "error" else "warning "
        say(f"  {label} {rows:>7,} {'row ' if rows == 1 else 'rows'}  {column}: {example}")
    if result.rows_rejected:
        say(f"  rejected rows are in the store's rejected_rows table (batch {result.batch_id})")
