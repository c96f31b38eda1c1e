"""Completed risk forms: `stalking-profile forms import` and `stalking-profile forms questions`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cli.common import DbOption, forms_app, out, print_record_import, user_errors
from stalking_profile.errors import InputFileError
from stalking_profile.riskforms.checklists import CHECKLISTS_ENV, Checklist, load_checklists
from stalking_profile.riskforms.imports import FormImportResult, import_forms
from stalking_profile.store.connection import open_store

__all__ = ["forms_import", "forms_questions"]

ChecklistsOption = Annotated[Path | None, typer.Option(
    "--checklists", help=f"Risk-form checklists TOML [env {CHECKLISTS_ENV}; default shipped]")]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def _print_import(result: FormImportResult) -> None:
    counts = ", ".join(f"{t} {n:,}" for t, n in result.by_type.items()) or "none"
    print_record_import(result, "risk forms", f"forms accepted: {counts}")


@forms_app.command("import")
@user_errors
def forms_import(
    file: Annotated[Path, typer.Argument(
        help="Completed forms: crime_ref,form_type,completed_date,q1,...,qN[,risk_level][,form_ref] (CSV, XLSX)")],
    db: DbOption = None,
    checklists: ChecklistsOption = None,
) -> None:
    """Validate completed DASH, S-DASH and DARA forms and store them as one append-only batch."""
    if not file.is_file():  # before opening the store: a mistyped path should not leave an empty store
        raise InputFileError(f"{file} not found", "check the path; the file must exist and be readable")
    lists = load_checklists(str(checklists) if checklists else None)
    with open_store(db, create=False) as store:
        result = import_forms(file, store, checklists=lists)
    _print_import(result)


def _print_checklist(form: Checklist) -> None:
    _say(f"{form.form_type}: {form.name}")
    if form.threshold is not None:
        _say(f"  visible high risk: {form.threshold} or more yes answers"
             + (f" ({form.threshold_note})" if form.threshold_note else ""))
    elif form.scored:
        _say("  yes answers are counted; no threshold (none published)")
    else:
        _say("  stored with its answers and the officer's grading; not scored (question list not public)")
    for q in form.questions:
        marks = f"{'H' if q.high_risk else ' '} {'S' if q.stalking else ' '}"
        _say(f"  Q{q.number:<3}{marks}  {q.topic:<28} {q.text}")


@forms_app.command("questions")
@user_errors
def forms_questions(
    form_type: Annotated[str | None, typer.Option(
        "--type", help="DASH, S-DASH or DARA (any accepted spelling) [default: all]")] = None,
    checklists: ChecklistsOption = None,
) -> None:
    """Print the checklists (questions in our own words) with their high-risk and stalking markers."""
    lists = load_checklists(str(checklists) if checklists else None)
    forms = [lists.get(form_type)] if form_type else list(lists.forms.values())
    for i, form in enumerate(forms):
        if i:
            _say("")
        _print_checklist(form)
    if any(form.questions for form in forms):
        _say("\nH = high-risk factor (a lead: which questions the police form prints in bold is unconfirmed); "
             "S = stalking question (a yes means a stalking crime should be recorded)")
    _say(f"Checklists: {lists.source}")
