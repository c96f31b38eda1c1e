"""Dip-sample audits: `stalking-profile audit sample|import|add|list|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from stalking_profile.audits.allocation import ALLOCATIONS
from stalking_profile.audits.checklist import load_checklist
from stalking_profile.audits.imports import AuditImportResult, add_review, import_findings
from stalking_profile.audits.measures import audit_samples_table
from stalking_profile.audits.reviews import current_reviews
from stalking_profile.audits.sample import AuditSample, draw_sample, load_sample
from stalking_profile.audits.workbook import MARKING, export_checklist, write_checklist
from stalking_profile.cli.common import (
    AsOfOption,
    DbOption,
    ForceOption,
    OffenceOption,
    PeriodOption,
    ToOption,
    audit_app,
    force_config,
    out,
    print_record_import,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.metrics.periods import parse_period
from stalking_profile.metrics.profile import store_span
from stalking_profile.store.connection import open_store
from stalking_profile.store.export import check_out

__all__ = ["audit_add", "audit_export", "audit_import", "audit_list", "audit_sample"]

AuditOption = Annotated[int, typer.Option("--audit", help="The audit id (see `stalking-profile audit list`)",
                                          min=1, max=2**63 - 1)]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def _print_sample(sample: AuditSample, out_file: Path) -> None:
    spec = sample.spec
    if sample.created:
        _say(f"audit {sample.audit_id}: {sample.size:,} {spec.family} crimes drawn from {sample.population:,} in "
             f"{spec.district} ({spec.period.start} to {spec.period.end}), seed {spec.seed}, "
             f"{spec.allocation} allocation")
    else:
        _say(f"audit {sample.audit_id}: this sample was drawn before (same district, period, size, seed, allocation "
             "and crimes); nothing new stored")
    _say("  " + "; ".join(f"{s.label} {s.sample:,} of {s.population:,}" for s in sample.strata))
    _say(f"wrote {out_file} ({MARKING}, internal only): complete it, then `stalking-profile audit import {out_file}`")


@audit_app.command("sample")
@user_errors
def audit_sample(
    district: Annotated[str, typer.Option("--district", help="District code or name, e.g. BD or Bradford")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and store give the same crimes")],
    out_file: Annotated[Path, typer.Option("--out", help="Checklist workbook to write (.xlsx, or .csv)")],
    size: Annotated[int, typer.Option("--size", help="Crimes to sample (all when the district has fewer)")] = 15,
    allocation: Annotated[str, typer.Option(
        "--allocation", help=f"Sharing the size between domestic strata: {' or '.join(ALLOCATIONS)}")] = "equal",
    period: PeriodOption = None, to: ToOption = None, offence: OffenceOption = "stalking",
    as_of: AsOfOption = None, db: DbOption = None, force: ForceOption = None,
) -> None:
    """Draw a reproducible sample of a district's crimes, stratified by domestic flag, keep it, and write
    the checklist workbook to complete (record-level: internal only)."""
    check_out(out_file)  # before any work: an existing file is never overwritten
    forces = force_config(force)
    with open_store(db, create=False) as store:
        span = store_span(store, as_of)
        window = parse_period(period, to, span[1] if span else None)
        sample = draw_sample(store, district, window, size, seed, family=offence, allocation=allocation,
                             as_of=as_of, force=forces)
    write_checklist(out_file, sample, load_checklist(), force=forces)
    _print_sample(sample, out_file)


def _print_import(result: AuditImportResult) -> None:
    if result.nothing_new:
        _say(f"{result.file_name}: nothing new: {result.rows_unchanged:,} reviews already stored, "
             f"{result.rows_not_audited:,} rows not audited yet; nothing changed.")
        return
    stored = ", ".join(f"{n:,} in audit {a}" for a, n in result.by_audit.items()) or "none"
    print_record_import(result, "audit findings",
                        f"reviews stored: {stored} ({result.rows_revised:,} revise an earlier review); "
                        f"{result.rows_not_audited:,} rows not audited yet")


@audit_app.command("import")
@user_errors
def audit_import(
    file: Annotated[Path, typer.Argument(help="The completed checklist (XLSX from `audit sample`, or CSV)")],
    sheet: Annotated[str | None, typer.Option("--sheet", help="Workbook sheet to read [Checklist]")] = None,
    db: DbOption = None,
) -> None:
    """Validate a completed audit checklist and store its reviews as one append-only batch."""
    if not file.is_file():  # before opening the store: a mistyped path should not leave an empty store
        raise InputFileError(f"{file} not found", "check the path; the file must exist and be readable")
    with open_store(db, create=False) as store:
        result = import_findings(file, store, sheet=sheet)
    _print_import(result)


def _answers(given: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for text in given:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise InputFileError(f"--answer '{text}' is not ITEM=ANSWER", "write e.g. --answer risk_form=yes")
        if key.strip() in answers:
            raise InputFileError(f"--answer gives {key.strip()} twice", "give each checklist item once")
        answers[key.strip()] = value.strip()
    return answers


@audit_app.command("add")
@user_errors
def audit_add(
    audit: AuditOption,
    crime: Annotated[str, typer.Option("--crime", help="Crime reference in the sample")],
    answer: Annotated[list[str], typer.Option(
        "--answer", help="ITEM=ANSWER, once per checklist item, e.g. risk_form=yes (yes, no or n/a)")],
    finding: Annotated[str | None, typer.Option("--finding", help="What the audit found, as free text")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Date audited, YYYY-MM-DD or DD/MM/YYYY")] = None,
    db: DbOption = None,
) -> None:
    """Record one review of a sampled crime (every checklist item answered), checked as an imported row is."""
    with open_store(db, create=False) as store:
        result = add_review(store, audit, crime, _answers(answer), finding=finding, audited_date=date)
    if result.nothing_new:
        _say(f"audit {audit}, crime {crime}: the same review is stored already; nothing changed")
    else:
        revised = " (revises the earlier review)" if result.rows_revised else ""
        _say(f"audit {audit}, crime {crime}: review stored{revised} (batch {result.batch_id})")


def _list_samples(db: str | None) -> None:
    with open_store(db, create=False) as store:
        rows = audit_samples_table(store).to_pylist()
    if not rows:
        _say("no audit samples stored (draw one with `stalking-profile audit sample`)")
        return
    samples: dict[int, dict[str, Any]] = {}
    for r in rows:
        s = samples.setdefault(r["audit_id"], {**r, "sample": 0, "audited": 0, "population": 0})
        for n in ("sample", "audited", "population"):
            s[n] += r[n]
    _say(f"{'audit':<7}{'district':<10}{'period':<25}{'family':<12}{'seed':<8}{'allocation':<14}"
         f"{'drawn':>7}{'of':>8}{'audited':>9}")
    for a, s in sorted(samples.items()):
        _say(f"{a:<7}{s['district']!s:<10}{s['period_start']!s} to {s['period_end']!s}  {s['offence_family']!s:<12}"
             f"{s['seed']!s:<8}{s['allocation']!s:<14}{s['sample']:>7,}{s['population']:>8,}{s['audited']:>9,}")


def _list_audit(db: str | None, audit: int) -> None:
    checklist = load_checklist()
    with open_store(db, create=False) as store:
        sample = load_sample(store, audit)
        reviews = current_reviews(store, [audit])
    spec = sample.spec
    _say(f"audit {audit}: {spec.family} in {spec.district}, {spec.period.start} to {spec.period.end}, "
         f"seed {spec.seed}, {spec.allocation} allocation; {len(reviews):,} of {sample.size:,} crimes audited")
    _say("  items: " + ", ".join(f"{n} {k}" for n, k in enumerate(checklist.keys, start=1)))
    _say(f"{'crime_ref':<16}{'stratum':<14}{'recorded':<12}{'audited':<12}"
         + "".join(f"{n:<5}" for n in range(1, len(checklist.keys) + 1)) + "finding")
    for c in sample.crimes.to_pylist():
        review = reviews.get((audit, c["crime_ref"]))
        answers = "".join(f"{(review.answers.get(k) if review else None) or '-':<5}" for k in checklist.keys)
        when = (review.audited_date or "?") if review else "-"
        _say(f"{c['crime_ref']:<16}{c['stratum']:<14}{c['recorded_date']!s:<12}{when!s:<12}{answers}"
             f"{((review.finding or '') if review else '')[:60]}")


@audit_app.command("list")
@user_errors
def audit_list(
    audit: Annotated[int | None, typer.Option(
        "--audit", help="Only this audit: its crimes and current answers")] = None,
    db: DbOption = None,
) -> None:
    """Print the stored samples (id, district, period, seed, size, audited so far), or one sample's crimes."""
    if audit is None:
        _list_samples(db)
    else:
        _list_audit(db, audit)


@audit_app.command("export")
@user_errors
def audit_export(
    audit: AuditOption,
    out_file: Annotated[Path, typer.Option("--out", help="File to write: .xlsx or .csv, in the checklist's layout")],
    db: DbOption = None,
    force: ForceOption = None,
) -> None:
    """Write an audit's checklist with its current answers filled in (record-level: internal only)."""
    check_out(out_file)
    with open_store(db, create=False) as store:
        sample, audited = export_checklist(store, audit, out_file, load_checklist(), force_config(force))
    _say(f"wrote {out_file} ({MARKING}, internal only): audit {audit}, {audited:,} of {sample.size:,} crimes audited")
