"""Officer training: `stalking-profile training template|add|import|list|export`."""

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
    training_app,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.force import load_force
from stalking_profile.store import tables
from stalking_profile.store.connection import open_store
from stalking_profile.store.export import check_out, district_code
from stalking_profile.training.courses import load_training
from stalking_profile.training.imports import add_completion, export_training, import_training
from stalking_profile.training.validate import EXPORT_FIELDS, FIELDS, LAYOUT

__all__ = ["training_add", "training_export", "training_import", "training_list", "training_template"]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


@training_app.command("template")
@user_errors
def training_template(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write (the header row of a training file)")],
) -> None:
    """Write an empty training file (its header) and print the courses and districts it accepts."""
    if out_file.exists():
        raise InputFileError(f"{out_file} already exists", "choose another --out or remove the file first")
    out_file.write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    training, force = load_training(), load_force()
    _say(f"wrote {out_file}: {LAYOUT}, one row per officer and course completed")
    _say("  officer_id: stored only as a keyed token; team may be blank; completed_date: YYYY-MM-DD or DD/MM/YYYY")
    _say(f"  (`training export` writes {','.join(EXPORT_FIELDS)}: the stored token, never an id;"
         " import takes that file back under the same key)")
    _say(f"  district: {', '.join(f'{d.code} ({d.name})' for d in force.districts)}")
    _say("  course:")
    for c in training.courses:
        also = f" (also: {', '.join(c.synonyms)})" if c.synonyms else ""
        _say(f"    {c.key}: {c.name}{also}")


@training_app.command("import")
@user_errors
def training_import(
    file: Annotated[Path, typer.Argument(help=f"Training completions: {LAYOUT} (CSV, XLSX)")],
    db: DbOption = None,
) -> None:
    """Validate officer training completions and store them as one append-only batch."""
    if not file.is_file():  # before opening the store: a mistyped path should not leave an empty store
        raise InputFileError(f"{file} not found", "check the path; the file must exist and be readable")
    with open_store(db, create=False) as store:
        result = import_training(file, store)
    counts = ", ".join(f"{c} {n:,}" for c, n in result.by_course.items()) or "none"
    print_record_import(result, "training", f"completions accepted: {counts}")


@training_app.command("add")
@user_errors
def training_add(
    officer: Annotated[str, typer.Option("--officer", help="Officer id (stored only as a keyed token)")],
    course: Annotated[str, typer.Option("--course", help="A course key, name or synonym (see `training template`)")],
    district: Annotated[str, typer.Option("--district", help="District code or name")],
    date: Annotated[str, typer.Option("--date", help="Completion date, YYYY-MM-DD or DD/MM/YYYY")],
    team: Annotated[str | None, typer.Option("--team", help="The officer's team")] = None,
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Record one training completion, checked exactly as an import row is."""
    row = {"officer_id": officer, "course": course, "district": district, "team": team, "completed_date": date}
    with open_store(db, create=False) as store:
        result = add_completion(store, row, force=force_config(force))
    _say(f"{next(iter(result.by_course))} completion on {date} stored (batch {result.batch_id}; "
         "the officer only as a keyed token)")


@training_app.command("export")
@user_errors
def training_export(
    out_file: Annotated[Path, typer.Option("--out", help="File to write: .csv or .xlsx (never overwritten)")],
    district: Annotated[str | None, typer.Option("--district", help="Only this district's completions")] = None,
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Write the stored completions, officers as their stored tokens with the key's fingerprint;
    `training import` reads the file back under the same key."""
    check_out(out_file)  # before opening the store
    code = district_code(district, force_config(force))
    with open_store(db, create=False) as store:
        written = export_training(store, out_file, code)
    _say(f"wrote {out_file}: {written:,} training completions" + (f" in {code}" if code else "")
         + f" ({','.join(EXPORT_FIELDS)})")


@training_app.command("list")
@user_errors
def training_list(
    district: Annotated[str | None, typer.Option("--district", help="Only this district's completions")] = None,
    db: DbOption = None,
) -> None:
    """Print the stored completions (officers as tokens), by date then district."""
    with open_store(db, create=False) as store:
        done = store.table(tables.TRAINING_COMPLETIONS)
        if district is not None:
            done = done.filter(done.district == district.strip().upper())
        rows = done.order_by(["completed_date", "district", "course", "officer_token"]).select(
            "completed_date", "district", "team", "course", "officer_token", "batch_id").to_pyarrow().to_pylist()
    if not rows:
        _say(f"no training completions stored for district {district}" if district else
             "no training completions stored")
        return
    _say(f"{'date':<12}{'district':<10}{'team':<16}{'course':<26}{'officer':<14}batch")
    for r in rows:
        _say(f"{r['completed_date']!s:<12}{r['district']:<10}{(r['team'] or '')[:15]:<16}{r['course']:<26}"
             f"{r['officer_token'][:12]:<14}{r['batch_id']}")
    _say(f"{len(rows):,} completions")
