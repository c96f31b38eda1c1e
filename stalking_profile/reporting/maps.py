"""Choropleth maps as Vega-Lite specs (built with Altair), rendered offline with vl-convert.

Pure functions from area values to a spec; :func:`render` turns a spec into PNG or SVG bytes.
Every map states the period, offence family, measure and the open-data attribution. The default
palette runs pink (low) to red (high) as in the seed report; ``palette="colourblind"`` uses
viridis instead. Gi* classes use a diverging red-blue scheme with grey for "not significant".
"""

from __future__ import annotations

import textwrap
from typing import Any, Literal

import shapely

__all__ = ["CLASS_ORDER", "MEASURES", "Palette", "area_features", "class_map", "level_geometry", "profile_map",
           "render", "store_geometry", "value_map"]

Palette = Literal["report", "colourblind"]
CLASS_ORDER = ("Hot spot 99%", "Hot spot 95%", "Hot spot 90%", "Not significant", "Cold spot 90%", "Cold spot 95%",
               "Cold spot 99%")
_CLASS_COLOURS = ("#99000d", "#ef3b2c", "#fc9272", "#e0e0e0", "#9ecae1", "#4292c6", "#08519c")
_REPORT_RANGE = ("#fde0ef", "#c51b7d", "#8b0000")
_SIMPLIFY = 0.0004  # degrees (about 30 m): small specs, shapes still recognisable


def area_features(codes: list[str], names: list[str], polygons: list[Any]) -> list[dict[str, Any]]:
    """GeoJSON features (simplified) with ``area_code`` and ``area_name`` properties."""
    features = []
    for code, name, polygon in zip(codes, names, polygons, strict=True):
        geometry = shapely.geometry.mapping(shapely.simplify(polygon, _SIMPLIFY, preserve_topology=True))
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"area_code": code, "area_name": name}})
    return features


def _with(features: list[dict[str, Any]], key: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**f, "properties": {**f["properties"], key: values.get(f["properties"]["area_code"])}}
            for f in features]


_AREAS = "areas"  # the name the chart's data has until the areas are put in


def _title(title: str, period: str, family: str, measure: str, attribution: str) -> dict[str, Any]:
    lines = textwrap.wrap(attribution, 110) if attribution else []
    return {"text": title, "subtitle": [f"{family}, {period}; {measure}", *lines], "anchor": "start",
            "subtitleFontSize": 9}


def value_map(features: list[dict[str, Any]], values: dict[str, float | None], *, title: str, period: str, family: str,
              measure: str, attribution: str, palette: Palette = "report") -> dict[str, Any]:
    """A choropleth of a measure per area (rate, count or observed/expected).

    Examples
    --------
    >>> square = shapely.box(-1.6, 53.7, -1.5, 53.8)
    >>> spec = value_map(area_features(["W1"], ["One"], [square]), {"W1": 2.5}, title="Stalking",
    ...                  period="12 months to September 2021", family="stalking", measure="rate per 1,000",
    ...                  attribution="Source: ONS (OGL v3.0)")
    >>> spec["mark"]["type"], spec["title"]["subtitle"][0]
    ('geoshape', 'stalking, 12 months to September 2021; rate per 1,000')
    """
    import altair as alt

    scale = alt.Scale(range=list(_REPORT_RANGE)) if palette == "report" else alt.Scale(scheme="viridis")
    chart = alt.Chart(alt.NamedData(_AREAS), title=_title(title, period, family, measure, attribution)).mark_geoshape(
        stroke="white", strokeWidth=0.3, invalid=None).encode(  # areas with no value are drawn grey, not dropped
        color=alt.condition("datum.properties.value === null", alt.value("#d9d9d9"),
                            alt.Color("properties.value:Q", scale=scale, title=measure)),
        tooltip=[alt.Tooltip("properties.area_name:N", title="area"),
                 alt.Tooltip("properties.value:Q", title=measure, format=",.2f")],
    ).project(type="mercator").properties(width=560, height=440)
    return _with_areas(chart, _with(features, "value", values))


def class_map(features: list[dict[str, Any]], classes: dict[str, str], *, title: str, period: str, family: str,
              attribution: str) -> dict[str, Any]:
    """A map of Gi* classes (hot and cold spots at 99/95/90%)."""
    import altair as alt

    heading = _title(title, period, family, "Getis-Ord Gi* (FDR-adjusted)", attribution)
    chart = alt.Chart(alt.NamedData(_AREAS), title=heading).mark_geoshape(stroke="white", strokeWidth=0.3).encode(
        color=alt.Color("properties.class:N", title="hot spots",
                        scale=alt.Scale(domain=list(CLASS_ORDER), range=list(_CLASS_COLOURS))),
        tooltip=[alt.Tooltip("properties.area_name:N", title="area"), alt.Tooltip("properties.class:N")],
    ).project(type="mercator").properties(width=560, height=440)
    return _with_areas(chart, _with(features, "class", classes))


def _with_areas(chart: Any, features: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart's spec (validated by Altair) with the areas put in as inline values afterwards:
    validating, or converting, thousands of polygons through Altair's schema classes took seconds."""
    spec: dict[str, Any] = chart.to_dict()
    spec["data"] = {"values": features}
    return spec


def render(spec: dict[str, Any], fmt: Literal["png", "svg"] = "png", scale: float = 2.0) -> bytes:
    """The spec drawn offline by vl-convert (no network: Vega ships inside the package)."""
    import vl_convert as vlc

    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode()  # type: ignore[no-any-return]
    return vlc.vegalite_to_png(spec, scale=scale)  # type: ignore[no-any-return]


def warm_up() -> None:
    """Draw a one-bar chart, so that vl-convert's start (half a second of its JavaScript engine and
    Vega, holding the GIL) is over before the report's first real chart."""
    render({"data": {"values": [{"a": 1}]}, "mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}},
           "svg")


#: What a map can show, from which profile table.
MEASURES = ("value", "gi", "adjusted")


def level_geometry(areas: Any, lookup: Any, level: str) -> tuple[list[str], list[str], list[Any]]:
    """Codes, names and polygons of the default LSOAs, or of wards (unions of LSOAs; needs the lookup)."""
    from stalking_profile.errors import GeographyError
    from stalking_profile.metrics.hotspot_tables import ward_polygons

    if level == "lsoa":
        return list(areas.codes), list(areas.names), list(areas.polygons)
    if lookup is None:
        raise GeographyError("a ward map needs the ward lookup", "run `stalking-profile geography import --lookup "
                             "FILE --ward-population FILE`, or use --level lsoa")
    codes, names, _, polygons = ward_polygons(areas, lookup)
    return codes, names, polygons


def store_geometry(store: Any, areas: Any, level: str) -> tuple[list[str], list[str], list[Any]]:
    """What to draw a level with: imported boundaries when there are some, else the default LSOAs
    (or wards built from them)."""
    from stalking_profile.spatial.imports import boundary_polygons, latest_layer

    imported = boundary_polygons(store, level)
    if imported is not None:
        return imported
    lookup = latest_layer(store, "lookup")
    return level_geometry(areas, None if lookup is None else lookup.to_pyarrow(), level)


def _number(value: Any) -> float | None:
    """A map value: suppressed figures of a partner or public profile (``<5``, ``[c]``) are drawn
    grey like areas with no value."""
    if value is None or isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except ValueError:
        return None


def profile_map(profile: Any, geometry: tuple[list[str], list[str], list[Any]], level: str, measure: str,
                family: str | None = None, palette: Palette = "report", attribution: str = "") -> dict[str, Any]:
    """The map of one measure of a built profile: ``value`` (the hot-spot table's rate or count),
    ``gi`` (Gi* classes) or ``adjusted`` (observed / expected after deprivation and age, wards only).

    ``geometry`` holds the level's area codes, names and polygons.
    """
    from stalking_profile.errors import ConfigError

    family = family or profile.family
    if level == "lsoa" and profile.audience != "internal":
        raise ConfigError(f"LSOA maps are not drawn for a {profile.audience} audience: most LSOA counts are under 5",
                          "use --level ward, or --audience internal")
    codes, names, polygons = geometry
    features = area_features(codes, names, polygons)
    if measure == "adjusted":
        if level != "ward":
            raise ConfigError("the adjusted map is by ward only", "use --level ward with --measure adjusted")
        table = profile.tables["hotspot_adjusted"]
        if "observed_expected" not in table.column_names:
            raise ConfigError(f"the adjusted map is not available to a {profile.audience} audience",
                              "its expected counts could give away small counts: use --measure gi or value")
        rows = [r for r in table.to_pylist() if r["offence_family"] == family]
        values = {r["area_code"]: _number(r["observed_expected"]) for r in rows}
        label = "observed / expected (adjusted for deprivation and age 20-29)"
    else:
        rows = [r for r in profile.tables["hotspots"].to_pylist()
                if r["level"] == level and r["offence_family"] == family]
        values = {r["area_code"]: _number(r["value"]) for r in rows}
        label = rows[0]["measure"].replace("_", " ").replace("1000", "1,000") if rows else "crimes"
    if not rows:
        raise ConfigError(f"the profile has no {measure} values for {family} by {level}",
                          "import the geography this map needs (see the profile's notes), or choose --level lsoa")
    title = f"{family.capitalize()} by {level}"
    if measure == "gi":
        classes = {r["area_code"]: r["gi_class"] for r in rows}
        return class_map(features, classes, title=f"{title}: hot spots", period=profile.period.label, family=family,
                         attribution=attribution)
    return value_map(features, values, title=title, period=profile.period.label, family=family, measure=label,
                     attribution=attribution, palette=palette)
