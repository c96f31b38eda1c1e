"""The `stalking-profile` command: a thin shell over the core API.

Each command parses its options, calls one core function and prints the result. User
errors (:class:`StalkingProfileError`) are printed as one message plus a hint on
stderr, with exit code 2 and no traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stalking_profile import __version__
from stalking_profile.errors import InputFileError, StalkingProfileError
from stalking_profile.force import Force, load_force
from stalking_profile.ingest.mapping import load_mapping, shipped_mapping, shipped_mappings
from stalking_profile.ingest.pipeline import IngestOptions, IngestResult, ingest
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.store.connection import open_store
from stalking_profile.store.info import store_info

__all__ = ["app", "main"]

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


def _force(path: Path | None) -> Force:
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
        out.print(f"  {label} {rows:>7,} rows  {column}: {example}", highlight=False, markup=False)
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
    force_cfg = _force(force)
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
) -> None:
    """Write a synthetic extract calibrated to the West Yorkshire report (synthetic people only)."""
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
    table = generate(records, seed, _force(force), deprivation)
    write_extract(table, out_path)
    out.print(f"wrote {table.num_rows:,} synthetic crime records to {out_path} "
              f"(seed {seed}, {time.perf_counter() - started:.1f} s)", highlight=False)


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
    """Synthesise West Yorkshire data, ingest it into out/demo.duckdb and summarise it."""
    from stalking_profile.synth.generator import generate, write_extract

    out_dir.mkdir(parents=True, exist_ok=True)
    extract, db = out_dir / "demo-extract.csv", out_dir / "demo.duckdb"
    for own in (extract, db, db.with_suffix(".duckdb.wal"), out_dir / "demo-extract.rejects.csv"):
        own.unlink(missing_ok=True)
    force = load_force()
    write_extract(generate(records, seed, force), extract)
    rejects = out_dir / "demo-extract.rejects.csv"
    with open_store(str(db)) as store, _progress(extract, False, force=force, rejects_path=rejects) as opts:
        result = ingest(extract, store, opts)
        _print_result(result)
        table = build_profile(store, ProfileRequest(to="2021-09"), force).tables["volumes"]
    out.print(_district_table("Stalking (8Q), 1 Oct 2020 - 30 Sep 2021 (the seed report's period)", table.to_pylist()))
    out.print(f"store: {db}  extract: {extract}", highlight=False)


@app.command("profile")
@user_errors
def profile_command(
    out_path: Annotated[Path, typer.Option("--out", help="Folder (csv) or file (xlsx, json) to write")],
    db: DbOption = None,
    period: PeriodOption = None,
    to: ToOption = None,
    as_of: AsOfOption = None,
    offence: OffenceOption = "stalking",
    fmt: FormatOption = "csv",
    permutations: PermutationsOption = 9999,
    seed: SeedOption = 0,
    exclude_suspect_home_online: ExcludeOnlineOption = False,
    audience: AudienceOption = "internal",
    suppress_below: SuppressOption = 5,
    force: ForceOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Profile configuration TOML [env STALKING_PROFILE_CONFIG]")
    ] = None,
) -> None:
    """Write the profile's tables (volumes, trends, outcomes, handling, online, demographics, geography)."""
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.metrics.config import load_config
    from stalking_profile.reporting.tables import write_profile

    _check_format(fmt)
    settings = load_config(str(config) if config else None)
    with open_store(db, create=False) as store:
        request = ProfileRequest(period, to, offence, as_of, permutations, seed, exclude_suspect_home_online,
                                 audience=parse_audience(audience), suppress_below=suppress_below)
        profile = build_profile(store, request, _force(force), settings)
    write_profile(profile, fmt, out_path)  # type: ignore[arg-type]
    out.print(f"{profile.family}, {profile.period.label} ({profile.period.start} to {profile.period.end}), "
              f"{profile.audience} ({profile.marking}): {len(profile.tables)} tables written to {out_path}",
              highlight=False, markup=False)
    volumes = {(r["district"], r["domestic"]): r for r in profile.tables["volumes"].to_pylist()}
    force_all = volumes.get(("Force", "All"))
    if force_all and isinstance(force_all["current"], int) and isinstance(force_all["previous"], int):
        change = force_all["change_pct"]
        out.print(f"  {force_all['current']:,} crimes, {force_all['previous']:,} in the previous window"
                  + (f" ({change:+.1f}%)" if isinstance(change, float) else ""), highlight=False, markup=False)
    for note in profile.notes:
        if not note.startswith(("Window:", "Offence family")):  # those two are the line above
            out.print(f"  note: {note}", highlight=False, markup=False)


@app.command("map")
@user_errors
def map_command(
    out_path: Annotated[Path, typer.Option("--out", help="File to write: .png, .svg or .json (the Vega-Lite spec)")],
    db: DbOption = None,
    period: PeriodOption = None,
    to: ToOption = None,
    offence: Annotated[str, typer.Option(help="Offence family to map")] = "stalking",
    level: Annotated[str, typer.Option(help="ward (needs geography import) or lsoa")] = "ward",
    measure: Annotated[str, typer.Option(help="value (rate or count), gi (hot spots) or adjusted")] = "value",
    palette: Annotated[str, typer.Option(help="report (pink to red) or colourblind (viridis)")] = "report",
    permutations: PermutationsOption = 9999,
    seed: SeedOption = 0,
    exclude_suspect_home_online: ExcludeOnlineOption = False,
    audience: AudienceOption = "internal",
    suppress_below: SuppressOption = 5,
    force: ForceOption = None,
) -> None:
    """Draw a choropleth of the profile offline: rates, hot spots or adjusted ratios."""
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.reporting.maps import MEASURES, profile_map, render, store_geometry
    from stalking_profile.reporting.tables import ATTRIBUTION
    from stalking_profile.spatial.geography import default_lsoas

    if measure not in MEASURES or level not in ("ward", "lsoa") or palette not in ("report", "colourblind"):
        raise InputFileError(f"unknown choice: --measure {measure} --level {level} --palette {palette}",
                             "use --measure value|gi|adjusted, --level ward|lsoa, --palette report|colourblind")
    suffix = out_path.suffix.lower()
    if suffix not in (".png", ".svg", ".json"):
        raise InputFileError(f"--out {out_path.name}: the map is written as .png, .svg or .json",
                             "give the file one of those endings")
    force_cfg = _force(force)
    areas = default_lsoas(force_cfg)
    with open_store(db, create=False) as store:
        request = ProfileRequest(period, to, offence, None, permutations, seed, exclude_suspect_home_online,
                                 audience=parse_audience(audience), suppress_below=suppress_below)
        profile = build_profile(store, request, force_cfg)
        geometry = store_geometry(store, areas, level)
    attribution = f"{ATTRIBUTION} {areas.attribution}"
    spec = profile_map(profile, geometry, level, measure, offence, palette, attribution)  # type: ignore[arg-type]
    if suffix == ".json":
        import json

        out_path.write_text(json.dumps(spec) + "\n", encoding="utf-8")
    else:
        out_path.write_bytes(render(spec, "svg" if suffix == ".svg" else "png"))
    out.print(f"map of {offence} ({measure}, {level}, {profile.period.label}) written to {out_path}",
              highlight=False, markup=False)


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


def _check_format(fmt: str) -> None:
    """Refuse an unknown --format before any work is done."""
    if fmt not in ("csv", "xlsx", "json"):
        raise InputFileError(f"unknown format '{fmt}'", "use --format csv, xlsx or json")


def _worklist(name: str, out_path: Path, db: str | None, period: str | None, to: str | None, as_of: int | None,
              offence: str, fmt: str, audience: str, force: Path | None, lexicon: Path | None) -> None:
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.online.lexicon import load_lexicon
    from stalking_profile.reporting.tables import write_worklist
    from stalking_profile.worklists.build import WorklistRequest, build_worklist

    _check_format(fmt)
    request = WorklistRequest(name, period, to, offence, as_of, parse_audience(audience))
    words = load_lexicon(str(lexicon) if lexicon else None)
    with open_store(db, create=False) as store:
        worklist = build_worklist(store, request, _force(force), lexicon=words)
    write_worklist(worklist, fmt, out_path)  # type: ignore[arg-type]
    out.print(f"{worklist.title}: {worklist.table.num_rows:,} crimes ({worklist.period.start} to "
              f"{worklist.period.end}) written to {out_path} (OFFICIAL-SENSITIVE)", highlight=False, markup=False)


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


@geography_app.command("import")
@user_errors
def geography_import(
    db: DbOption = None,
    lookup: Annotated[
        Path | None, typer.Option(help="ONS LSOA-to-ward-to-LAD lookup CSV (LSOA11_WD20_LAD20...)")
    ] = None,
    ward_population: Annotated[
        Path | None, typer.Option("--ward-population", help="ONS ward population by single year of age (SAPE23DT8a)")
    ] = None,
    imd: Annotated[
        Path | None, typer.Option(help="IoD2019 File 1 (IMD rank and decile by LSOA), CSV or .csv.gz")
    ] = None,
    lsoa_population: Annotated[
        Path | None, typer.Option("--lsoa-population", help="ONS LSOA population, all ages (SAPE22DT2)")
    ] = None,
    ward_boundaries: Annotated[
        Path | None, typer.Option("--ward-boundaries", help="Ward boundaries for maps (GeoJSON, GPKG, SHP)")
    ] = None,
    lsoa_boundaries: Annotated[
        list[Path] | None,
        typer.Option("--lsoa-boundaries", help="LSOA boundaries for maps (GeoJSON, GPKG, SHP); repeatable"),
    ] = None,
    force: ForceOption = None,
) -> None:
    """Import the force's ward lookup, population, deprivation and boundaries, checked against each other."""
    from functools import partial

    from stalking_profile.spatial.imports import (
        LayerImport,
        import_boundaries,
        import_imd,
        import_lookup,
        import_lsoa_population,
        import_ward_population,
    )

    if not (lookup or ward_population or imd or lsoa_population or ward_boundaries or lsoa_boundaries):
        raise InputFileError("no geography file given", "give --lookup, --ward-population, --imd and/or boundaries")
    force_cfg = _force(force)
    with open_store(db) as store:
        steps: list[tuple[Path | list[Path] | None, Callable[..., LayerImport]]] = [
                 (lookup, import_lookup), (ward_population, import_ward_population), (imd, import_imd),
                 (lsoa_population, import_lsoa_population),
                 (ward_boundaries, partial(import_boundaries, level="ward")),
                 (lsoa_boundaries, partial(import_boundaries, level="lsoa"))]
        for path, step in steps:
            if path is None:
                continue
            done = step(store, path, force=force_cfg)
            name = ", ".join(p.name for p in path) if isinstance(path, list) else path.name
            out.print(f"{done.layer}: {done.rows:,} rows from {name} ({done.vintage}), import {done.import_id}",
                      highlight=False, markup=False)
            if done.unmatched:
                out.print(f"  not matched ({len(done.unmatched)}): {', '.join(done.unmatched[:20])}",
                          highlight=False, markup=False)


def _version(value: bool) -> None:
    if value:
        out.print(f"stalking-profile {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """Build a police force's Stalking Problem Profile from crime-record extracts."""


def main() -> None:
    """Console-script entry point."""
    app()
