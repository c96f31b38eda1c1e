"""`stalking-profile report`: build the profile once, compose the document once, write it out.

HTML, PDF and Word render the same composed document; the workbook holds the same profile's
tables in full. Charts are drawn once per image format and shared (:class:`ChartImages`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from stalking_profile.errors import ConfigError
from stalking_profile.force import Force, load_force
from stalking_profile.metrics.config import ProfileConfig
from stalking_profile.metrics.profile import Profile, ProfileRequest, build_profile
from stalking_profile.reporting.compose import MapMaker, compose
from stalking_profile.reporting.document import Chart, Document
from stalking_profile.reporting.maps import warm_up
from stalking_profile.reporting.page import ChartImages, render_html
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["REPORT_FORMATS", "Report", "ReportFormat", "make_report", "write_report"]

ReportFormat = Literal["html", "pdf", "docx", "xlsx"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "pdf", "docx", "xlsx")


@dataclass
class Report:
    """A built profile, the document composed from it, and the chart drawings they share."""

    profile: Profile
    document: Document
    images: ChartImages


def _source(store: Store, as_of: int | None) -> tuple[str, int | None]:
    """What the front page says about the data, and the rows rejected at ingest up to ``as_of``."""
    batches = store.table(tables.BATCHES)
    crimes = batches.filter(batches.source_kind == "crimes")
    if as_of is not None:
        crimes = crimes.filter(crimes.batch_id <= as_of)
    rows = crimes.order_by("batch_id").to_pyarrow().to_pylist()
    if not rows:
        return f"store {store.target}", None
    last = rows[-1]
    when = last["finished_at"].strftime("%d %B %Y") if last["finished_at"] else "unknown date"
    text = (f"{len(rows)} extract{'s' if len(rows) != 1 else ''} in store {store.target}; latest: "
            f"{last['file_name']} (batch {last['batch_id']}, imported {when})")
    return text, sum(int(r["rows_rejected"] or 0) for r in rows)


def _map_maker(store: Store, force: Force) -> MapMaker:
    """Maps of the profile's family: by ward when the store has wards, else by LSOA."""
    from stalking_profile.reporting.maps import profile_map, store_geometry
    from stalking_profile.reporting.tables import ATTRIBUTION
    from stalking_profile.spatial.geography import default_lsoas

    areas = default_lsoas(force)

    def make(profile: Profile, measure: str) -> list[Chart]:
        if measure == "district":
            return [_district_map(profile, areas, force, f"{ATTRIBUTION} {areas.attribution}")]
        hotspots = profile.tables.get("hotspots")
        levels = set(hotspots.column("level").to_pylist()) if hotspots is not None else set()
        level = "ward" if "ward" in levels else "lsoa"
        spec = profile_map(profile, store_geometry(store, areas, level), level, measure, palette="colourblind",
                           attribution=f"{ATTRIBUTION} {areas.attribution}")
        what = "Gi* hot and cold spots" if measure == "gi" else "crimes (or rates) per area"
        alt = (f"Map of {profile.family} {what} by {level} across {force.name}, {profile.period.label}; "
               "the tables below give the figures.")
        return [Chart(f"map_{level}_{measure}", f"{profile.family.capitalize()} by {level}: {what}", spec, alt)]

    return make


def _district_map(profile: Profile, areas: Any, force: Force, attribution: str) -> Chart:
    """Crimes in the window by district (the LSOAs dissolved by district): large counts, so
    drawn for every audience; a suppressed count is drawn grey."""
    import shapely

    from stalking_profile.reporting.maps import area_features, value_map

    codes = list(force.district_codes)
    polygons = [shapely.union_all([p for p, d in zip(areas.polygons, areas.district_codes, strict=True) if d == c])
                for c in codes]
    names = [d.name for d in force.districts]
    counts = {r["district"]: r["current"] for r in profile.tables["volumes"].to_pylist() if r["domestic"] == "All"}
    values = {c: float(v) if isinstance(v, int | float) else None for c, v in counts.items()}
    spec = value_map(area_features(codes, names, polygons), values, title=f"{profile.family.capitalize()} by district",
                     period=profile.period.label, family=profile.family, measure="crimes", attribution=attribution,
                     palette="colourblind")
    shown = ", ".join(f"{n} {int(v):,}" for n, c in zip(names, codes, strict=True)
                      if isinstance(v := values.get(c), float))
    alt = (f"Map of {force.name}'s districts shaded by recorded {profile.family} crimes, {profile.period.label}"
           + (f": {shown}." if shown else "."))
    return Chart("map_district", f"{profile.family.capitalize()} by district", spec, alt)


def make_report(store: Store, request: ProfileRequest, force: Force | None = None,
                config: ProfileConfig | None = None, generated: dt.date | None = None) -> Report:
    """Build the profile for ``request`` and compose its report."""
    force = force or load_force()
    # the chart renderer starts while the profile waits for its hot spots, not before the first chart
    profile = build_profile(store, request, force, config, meanwhile=warm_up)
    source, rejected = _source(store, profile.as_of)
    maps = _map_maker(store, force) if request.geography else None
    document = compose(profile, force, source=source, generated=generated, rejected=rejected, maps=maps)
    return Report(profile, document, ChartImages())


def write_report(report: Report, fmt: ReportFormat, out: Path) -> Path:
    """Write one format of ``report`` to ``out`` (a file)."""
    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown report format '{fmt}'", f"use --format {', '.join(REPORT_FORMATS)}")
    if out.exists() and out.is_dir():
        raise ConfigError(f"{out} is a folder", f"give --out a file name such as report.{fmt}")
    if fmt == "html":
        out.write_text(render_html(report.document, "screen", report.images), encoding="utf-8")
    elif fmt == "pdf":
        from stalking_profile.reporting.pdf import render_pdf

        render_pdf(report.document, out, report.images)
    elif fmt == "docx":
        from stalking_profile.reporting.word import render_docx

        render_docx(report.document, out, lambda chart: report.images.get(chart, "png"))
    else:
        from stalking_profile.reporting.tables import write_profile

        write_profile(report.profile, "xlsx", out)
    return out
