"""Commands that bring data in and describe it: ingest, synth, demo, info, mapping."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stalking_profile.cli.common import (
    DbOption,
    ForceOption,
    app,
    err,
    force_config,
    mapping_app,
    out,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.force import load_force
from stalking_profile.ingest.mapping import load_mapping, shipped_mapping, shipped_mappings
from stalking_profile.ingest.pipeline import IngestOptions, IngestResult, ingest
from stalking_profile.metrics.profile import ProfileRequest
from stalking_profile.store import tables
from stalking_profile.store.connection import Store, open_store
from stalking_profile.store.info import store_info

__all__ = ["demo_command", "info_command", "ingest_command", "mapping_list", "mapping_show", "synth_command"]


@contextmanager
def _progress(path: Path, quiet: bool, **options: Any) -> Iterator[IngestOptions]:
    """Ingest options whose callbacks drive a progress bar (shown for files over 5 MB)."""
    size = path.stat().st_size if path.is_file() else 0
    columns = (TextColumn("{task.description:<16}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet or size < 5_000_000) as bar:
        task = bar.add_task("reading", total=size or None)
        yield IngestOptions(
            on_bytes=lambda n: bar.advance(task, n),
            on_stage=lambda s: bar.update(task, description=s),
            **options,
        )


def _print_result(result: IngestResult) -> None:
    if result.key_created:
        err.print(f"[bold]Note:[/] created a new pseudonymisation key at {escape(str(result.key_created))}. "
                  "Back it up: later imports must use the same key to link people across extracts.", highlight=False)
    if result.already_imported:
        out.print(f"{result.file_name}: already imported as batch {result.batch_id}; nothing changed.")
        return
    out.print(
        f"[bold]{escape(result.file_name)}[/] -> batch {result.batch_id} (mapping '{escape(result.mapping)}')\n"
        f"  read {result.rows_read:,} = accepted {result.rows_accepted:,} + rejected {result.rows_rejected:,}\n"
        f"  accepted {result.rows_accepted:,} = new {result.rows_new:,} + changed {result.rows_changed:,}"
        f" + unchanged {result.rows_unchanged:,}; {result.rows_warned:,} rows with warnings",
        highlight=False,
    )
    if result.rows_blank:
        out.print(f"  {result.rows_blank:,} blank lines skipped", highlight=False)
    if result.ignored_columns:
        out.print(f"  columns not used: {', '.join(result.ignored_columns)}", highlight=False, markup=False)
    for severity, column, rows, example in result.problems[:12]:
        label = "rejected" if severity == "error" else "warning "
        noun = "row " if rows == 1 else "rows"
        out.print(f"  {label} {rows:>7,} {noun}  {column}: {example}", highlight=False, markup=False)
    if result.rows_rejected:
        where = f"{result.rejects_path} and " if result.rejects_path else ""
        out.print(f"  rejected rows are in {where}the store's rejected_rows table (batch {result.batch_id})",
                  highlight=False, markup=False)


@app.command("ingest")
@user_errors
def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="Extract files: CSV, XLSX or Parquet; each is one batch")],
    db: DbOption = None,
    mapping: Annotated[Path | None, typer.Option(help="Column-mapping profile TOML for a force export")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name [default: the first]")] = None,
    force: ForceOption = None,
    rejects: Annotated[
        Path | None, typer.Option(help="CSV for rejected rows [default: ./<file>.rejects.csv]")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
    source: Annotated[str, typer.Option(help="crimes (the force's extract) or policeuk (street CSVs)")] = "crimes",
) -> None:
    """Validate, pseudonymise and load crime extracts into the store (append-only)."""
    if source == "policeuk":
        _ingest_policeuk(files, db)
        return
    if source != "crimes":
        raise InputFileError(f"unknown --source '{source}'", "use --source crimes or --source policeuk")
    profile = load_mapping(mapping) if mapping else None
    force_cfg = force_config(force)
    if rejects is not None and len(files) > 1:
        raise InputFileError("--rejects names one file but several extracts were given",
                             "leave --rejects out: each extract's rejects go to ./<extract>.rejects.csv")
    with open_store(db) as store:
        for path in files:
            target = rejects or Path.cwd() / f"{path.stem}.rejects.csv"
            with _progress(path, quiet, mapping=profile, sheet=sheet, force=force_cfg, rejects_path=target) as opts:
                result = ingest(path, store, opts)
            _print_result(result)


def _ingest_policeuk(files: list[Path], db: str | None) -> None:
    from stalking_profile.ingest.policeuk import ingest_policeuk

    with open_store(db) as store:
        for path in files:
            done = ingest_policeuk(path, store)
            if done.already_imported:
                out.print(f"{done.file_name}: already imported as batch {done.batch_id}; nothing changed.",
                          highlight=False, markup=False)
            else:
                out.print(f"{done.file_name} -> batch {done.batch_id}: {done.rows:,} police.uk rows, "
                          f"{done.months[0]} to {done.months[1]} (public context layer)", highlight=False,
                          markup=False)


@app.command("synth")
@user_errors
def synth_command(
    out_path: Annotated[Path, typer.Option("--out", help="File to write: .csv or .parquet")],
    records: Annotated[int | None, typer.Option(help="Total rows [default: calibrated West Yorkshire size]")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same file")] = 0,
    force: ForceOption = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="A store whose imported IMD weights crimes towards deprived areas")] = None,
    case_records: Annotated[bool, typer.Option(
        "--case-records", help="Also write victim referrals, SPO events and officer training beside --out")] = False,
) -> None:
    """Write a synthetic extract calibrated to the West Yorkshire report (synthetic people only),
    and with --case-records the case records that go with it, in their import templates."""
    from stalking_profile.spatial.imports import latest_layer
    from stalking_profile.synth.generator import generate, write_extract

    deprivation = None
    if db:
        with open_store(db, create=False) as store:
            imd = latest_layer(store, "imd")
            if imd is None:
                raise InputFileError(f"{db} has no IMD imported", "run `stalking-profile geography import --imd FILE`")
            data = imd.select("lsoa_code", "imd_decile").to_pyarrow().to_pydict()
            deprivation = dict(zip(data["lsoa_code"], data["imd_decile"], strict=True))
    started = time.perf_counter()
    table = generate(records, seed, force_config(force), deprivation)
    write_extract(table, out_path)
    out.print(f"wrote {table.num_rows:,} synthetic crime records to {out_path} "
              f"(seed {seed}, {time.perf_counter() - started:.1f} s)", highlight=False)
    if case_records:
        import pyarrow.compute as pc

        crimes = table.select(["crime_ref", "offence_code", "district"]).append_column(
            "recorded_date", pc.cast(table["recorded_date"], pa.date32())).append_column(
            "domestic_flag", pc.equal(table["domestic_flag"], "Y"))
        paths = [out_path.with_name(f"{out_path.stem}-{kind}.csv") for kind in ("referrals", "spo", "training")]
        referrals, spo, training = _case_record_files(crimes, seed, *paths)
        out.print(f"wrote {referrals:,} referral events to {paths[0]}, {spo:,} SPO events to {paths[1]} and "
                  f"{training:,} training completions to {paths[2]} (import them with `stalking-profile referral "
                  "import`, `spo import` and `training import`)", highlight=False, markup=False)


def _case_record_files(crimes: pa.Table, seed: int, referrals: Path, spo: Path, training: Path) -> tuple[int, ...]:
    """Synthetic referral events and SPO cases for ``crimes``' stalking crimes, and officer training,
    written in their import templates; how many rows each file holds."""
    import pyarrow.csv as pacsv

    from stalking_profile.synth.cases import case_records, training_records

    made = (*case_records(crimes, seed), training_records(load_force().district_codes, seed))
    for table, path in zip(made, (referrals, spo, training), strict=True):
        pacsv.write_csv(table, path)
    return tuple(t.num_rows for t in made)


def _district_table(title: str, volumes: list[dict[str, Any]]) -> Table:
    """The current window of a volumes table, one line per district: all, domestic, non-domestic."""
    table = Table(title=title, title_justify="left")
    for name in ("district", "all", "domestic", "non_domestic"):
        table.add_column(name, justify="left" if name == "district" else "right")
    cells = {(r["district"], r["domestic"]): r["current"] for r in volumes}
    for district in dict.fromkeys(r["district"] for r in volumes):
        table.add_row(district, *(f"{cells[(district, d)]:,}" for d in ("All", "Domestic", "Non-Domestic")))
    return table


@app.command("demo")
@user_errors
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the demo's files")] = Path("out"),
    records: Annotated[int | None, typer.Option(help="Total rows [default: calibrated size]")] = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Synthesise West Yorkshire data, ingest it into out/demo.duckdb and write the report
    (report.html, report.pdf, report.docx, tables.xlsx) for the seed report's period."""
    from stalking_profile.reporting.findings import key_findings
    from stalking_profile.reporting.report import ReportFormat, make_report, write_report
    from stalking_profile.synth.generator import generate, write_extract

    out_dir.mkdir(parents=True, exist_ok=True)
    extract, db = out_dir / "demo-extract.csv", out_dir / "demo.duckdb"
    referrals, spo = out_dir / "demo-referrals.csv", out_dir / "demo-spo.csv"
    training, audit = out_dir / "demo-training.csv", out_dir / "demo-audit.csv"
    for own in (extract, db, db.with_suffix(".duckdb.wal"), out_dir / "demo-extract.rejects.csv", referrals, spo,
                training, audit):
        own.unlink(missing_ok=True)
    force = load_force()
    write_extract(generate(records, seed, force), extract)
    rejects = out_dir / "demo-extract.rejects.csv"
    with open_store(str(db)) as store, _progress(extract, False, force=force, rejects_path=rejects) as opts:
        result = ingest(extract, store, opts)
        _print_result(result)
        _demo_case_records(store, seed, referrals, spo, training)
        _demo_audit(store, seed, audit)
        # 999 permutations keep the demo quick; published figures use the default 9,999
        report = make_report(store, ProfileRequest(to="2021-09", permutations=999), force)
    out.print(_district_table("Stalking (8Q), 1 Oct 2020 - 30 Sep 2021 (the seed report's period)",
                              report.profile.tables["volumes"].to_pylist()))
    outputs: tuple[tuple[ReportFormat, str], ...] = (
        ("html", "report.html"), ("pdf", "report.pdf"), ("docx", "report.docx"), ("xlsx", "tables.xlsx"))
    written = [write_report(report, fmt, out_dir / name) for fmt, name in outputs]
    out.print("Key findings:", highlight=False)
    for finding in key_findings(report.profile):
        out.print(f"  - {finding}", highlight=False, markup=False)
    out.print("report: " + "  ".join(str(p) for p in written), highlight=False, markup=False)
    out.print(f"store: {db}  extract: {extract}", highlight=False, markup=False)


def _demo_case_records(store: Store, seed: int, referrals: Path, spo: Path, training: Path) -> None:
    """Synthetic referrals and SPO cases for the demo's stalking crimes, and officer training,
    imported as the user would."""
    from stalking_profile.cases.spo_import import import_events
    from stalking_profile.referrals.imports import import_referrals
    from stalking_profile.training.imports import import_training

    crimes = store.current_crimes().select("crime_ref", "offence_code", "recorded_date", "district",
                                           "domestic_flag").to_pyarrow()
    _case_record_files(crimes, seed, referrals, spo, training)
    done_referrals, done_spo = import_referrals(referrals, store), import_events(spo, store)
    done_training = import_training(training, store)
    cases = len(set(store.table(tables.SPO_EVENTS).case_ref.to_pyarrow().to_pylist()))
    out.print(f"{referrals.name}: {done_referrals.rows_accepted:,} referral events; {spo.name}: "
              f"{done_spo.rows_accepted:,} SPO events ({cases:,} cases), "
              f"{training.name}: {done_training.rows_accepted:,} training completions; synthetic, imported as "
              f"batches {done_referrals.batch_id}, {done_spo.batch_id} and {done_training.batch_id}",
              highlight=False, markup=False)


def _demo_audit(store: Store, seed: int, path: Path) -> None:
    """A 15-crime dip sample per district of the window's last six months (as the seed report's
    audit), its checklist completed with synthetic answers and imported as the user would."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from stalking_profile.audits import draw_sample, import_findings, load_checklist
    from stalking_profile.metrics.periods import Period
    from stalking_profile.synth.cases import audit_findings

    force, checklist = load_force(), load_checklist()
    months = Period(dt.date(2021, 4, 1), dt.date(2021, 9, 30))
    samples = [draw_sample(store, d, months, 15, seed + n, force=force) for n, d in enumerate(force.district_codes)]
    cases = [{"audit_id": s.audit_id, "crime_ref": c["crime_ref"], "domestic": c["stratum"]}
             for s in samples for c in s.crimes.to_pylist()]
    pacsv.write_csv(pa.Table.from_pylist(audit_findings(cases, checklist.keys, dt.date(2021, 11, 15), seed)), path)
    done = import_findings(path, store)
    out.print(f"{path.name}: {done.rows_accepted:,} audited crimes in {len(samples)} dip samples (audits "
              f"{samples[0].audit_id}-{samples[-1].audit_id}); synthetic answers, imported as batch {done.batch_id}",
              highlight=False, markup=False)


@app.command("info")
@user_errors
def info_command(db: DbOption = None) -> None:
    """What is in a store: batches, row counts, date range and districts."""
    with open_store(db, create=False) as store:
        info = store_info(store)
    out.print(f"[bold]{escape(info.target)}[/] ({info.engine}, schema v{info.schema_version}, "
              f"key fingerprint {info.key_fingerprint or 'none yet'})", highlight=False)
    out.print(f"recorded dates: {info.first_recorded or '-'} to {info.last_recorded or '-'}", highlight=False)
    out.print("rows: " + ", ".join(f"{k} {v:,}" for k, v in info.row_counts.items()), highlight=False)
    batches = Table(title="batches", title_justify="left")
    for name in info.batches.column_names:
        batches.add_column(name)
    for row in info.batches.to_pylist():
        batches.add_row(*(f"{v:%Y-%m-%d %H:%M}" if isinstance(v, dt.datetime) else str(v) for v in row.values()))
    out.print(batches)
    out.print("districts: " + ", ".join(f"{r['district']} {r['crimes']:,}" for r in info.by_district.to_pylist()))
    out.print("offences: " + ", ".join(f"{r['offence_code']} {r['crimes']:,}" for r in info.by_offence.to_pylist()))


@mapping_app.command("list")
@user_errors
def mapping_list() -> None:
    """The column-mapping profiles that ship with the tool."""
    for m in shipped_mappings():
        out.print(f"{m.name}: {m.description}", highlight=False)


@mapping_app.command("show")
@user_errors
def mapping_show(name: Annotated[str, typer.Argument(help="Profile name, e.g. canonical")]) -> None:
    """Print a shipped profile as TOML, to copy and adapt with --mapping."""
    out.print(shipped_mapping(name).to_toml(), highlight=False, markup=False, end="")

