"""Commands that compute the profile: its tables and its maps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stalking_profile.cli.common import (
    AsOfOption,
    AudienceOption,
    DbOption,
    ExcludeOnlineOption,
    ForceOption,
    FormatOption,
    OffenceOption,
    PeriodOption,
    PermutationsOption,
    SeedOption,
    SuppressOption,
    ToOption,
    app,
    check_format,
    force_config,
    out,
    user_errors,
)
from stalking_profile.errors import InputFileError
from stalking_profile.metrics.profile import ProfileRequest, build_profile
from stalking_profile.store.connection import open_store

__all__ = ["map_command", "profile_command", "report_command"]


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

    check_format(fmt)
    settings = load_config(str(config) if config else None)
    with open_store(db, create=False) as store:
        request = ProfileRequest(period, to, offence, as_of, permutations, seed, exclude_suspect_home_online,
                                 audience=parse_audience(audience), suppress_below=suppress_below)
        profile = build_profile(store, request, force_config(force), settings)
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
    force_cfg = force_config(force)
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



@app.command("report")
@user_errors
def report_command(
    out_path: Annotated[Path, typer.Option("--out", help="File to write: report.html, .pdf, .docx or .xlsx")],
    db: DbOption = None,
    period: PeriodOption = None,
    to: ToOption = None,
    as_of: AsOfOption = None,
    offence: OffenceOption = "stalking",
    fmt: Annotated[str | None, typer.Option(
        "--format", help="html, pdf, docx or xlsx [default: from the --out file's ending]")] = None,
    permutations: PermutationsOption = 9999,
    seed: SeedOption = 0,
    audience: AudienceOption = "internal",
    suppress_below: SuppressOption = 5,
    force: ForceOption = None,
) -> None:
    """Write the Stalking Problem Profile report (HTML, PDF, Word) or its tables (xlsx)."""
    from stalking_profile.disclosure.audience import parse_audience
    from stalking_profile.reporting.findings import key_findings
    from stalking_profile.reporting.report import REPORT_FORMATS, make_report, write_report

    chosen = fmt or out_path.suffix.lower().lstrip(".")
    if chosen not in REPORT_FORMATS:
        raise InputFileError(f"cannot tell the report format from '{fmt or out_path.name}'",
                             "use --format html, pdf, docx or xlsx, or an --out file ending in one of them")
    force_cfg = force_config(force)
    with open_store(db, create=False) as store:
        request = ProfileRequest(period, to, offence, as_of, permutations, seed,
                                 audience=parse_audience(audience), suppress_below=suppress_below)
        report = make_report(store, request, force_cfg)
    write_report(report, chosen, out_path)  # type: ignore[arg-type]
    profile = report.profile
    out.print(f"{profile.family} report, {profile.period.label} ({profile.audience}, {profile.marking}) "
              f"written to {out_path}", highlight=False, markup=False)
    for finding in key_findings(profile)[:5]:
        out.print(f"  - {finding}", highlight=False, markup=False)
