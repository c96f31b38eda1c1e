"""The geography part of the profile: placement, wards, hot spots and their overlap.

Separate from :mod:`profile` because it needs the force's areas (the default LSOAs, and wards
when the lookup has been imported) and runs the permutation statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.force import Force
from stalking_profile.metrics.adjusted import ADJUSTED_SCHEMA, adjusted_rows
from stalking_profile.metrics.config import ProfileConfig
from stalking_profile.metrics.hotspot_tables import (
    HOTSPOT_SCHEMA,
    Areas,
    area_values,
    counts_by,
    hotspot_rows,
    lsoa_areas,
    varies,
    ward_areas,
    with_denominator,
)
from stalking_profile.metrics.overlap import OVERLAP_SCHEMA, compare
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import within
from stalking_profile.metrics.wards import WARD_SCHEMA, family_masks, placement_counts, ward_table
from stalking_profile.parallel import in_background, in_second_process
from stalking_profile.spatial.assign import place_crimes
from stalking_profile.spatial.geography import AreaSet, default_lsoas
from stalking_profile.spatial.hotspots import bivariate_moran, computed, gi_star, local_moran, remember
from stalking_profile.spatial.imports import latest_layer
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

if TYPE_CHECKING:
    from stalking_profile.metrics.profile import ProfileRequest

__all__ = ["DEFAULT_PERMUTATIONS", "geography_tables"]

#: Permutations for hot-spot p-values in real runs (tests use fewer).
DEFAULT_PERMUTATIONS = 9999

_PLACE_COLUMNS = ("crime_ref", "offence_code", "domestic_flag", "ward_code", "lsoa_code", "latitude", "longitude",
                  "location_basis", "cyber_flag",
                  "easting", "northing")


@contextmanager
def geography_tables(store: Store, period: Period, req: ProfileRequest, force: Force, config: ProfileConfig
                     ) -> Iterator[Callable[[Callable[[], object] | None], tuple[dict[str, pa.Table], list[str]]]]:
    """Placement of the window's crimes, ward rates when the ward lookup has been imported, and the
    hot spots and their overlap: call the function this yields for the tables and their notes,
    giving it what to start in a thread if it must wait for the hot spots (or None).

    The hot-spot statistics take seconds at 9,999 permutations. They start in two second processes
    when the ``with`` is entered, so what the caller does inside it runs alongside them.
    """
    notes: list[str] = []
    permutations = req.permutations or DEFAULT_PERMUTATIONS
    if permutations < 9999:
        notes.append(f"hotspots: {permutations} permutations give p-values no smaller than "
                     f"{2 / (permutations + 1):.4f}; after the false-discovery correction across many areas few or "
                     "no areas can reach 99%. Use 9,999 (the default) for published figures.")
    crimes = within(store.current_crimes(req.as_of), period).select(*_PLACE_COLUMNS).to_pyarrow()
    online_at_suspect = pc.and_(pc.equal(crimes["location_basis"], "suspect_home"),
                                crimes["cyber_flag"].fill_null(False)).fill_null(False)
    moved = crimes.filter(online_at_suspect)
    if req.exclude_suspect_home_online:
        crimes = crimes.filter(pc.invert(online_at_suspect))
    lookup_t, population_t = latest_layer(store, "lookup"), latest_layer(store, "ward_population")
    lookup = lookup_t.to_pyarrow() if lookup_t is not None else None
    areas = default_lsoas(force)
    placed = place_crimes(crimes, areas, lookup)
    second = "harassment" if req.family != "harassment" else "stalking"
    families = {req.family: config.family(req.family), second: config.family(second)}
    out = {"placement": placement_counts(crimes, placed, families)}
    if moved.num_rows:
        n_family = pc.sum(pc.is_in(moved["offence_code"], value_set=pa.array(list(families[req.family])))).as_py()
        if req.exclude_suspect_home_online:
            notes.append(f"map layers: {moved.num_rows} cyber-enabled crimes recorded at the suspect's home "
                         f"({n_family} {req.family}) are left off the map (--exclude-suspect-home-online).")
        else:
            notes.append(f"map layers: {moved.num_rows} cyber-enabled crimes ({n_family} {req.family}) are placed at "
                         "the suspect's home, where online offences are recorded without other evidence; "
                         "--exclude-suspect-home-online leaves them off.")
    population = population_t.to_pyarrow() if population_t is not None and lookup is not None else None
    if lookup is None:
        out["wards"] = WARD_SCHEMA.empty_table()
        level, values = _hotspot_values(areas, crimes, placed, families, None, None, False)
    else:
        if population is None:
            notes.append("wards: no ward population imported, so no rates; add it with "
                         "`stalking-profile geography import --ward-population FILE`.")
        out["wards"] = ward_table(crimes, placed, lookup, population, families)
        lsoa_pop_t = latest_layer(store, "lsoa_population")
        lsoa_pop = (dict(zip(*lsoa_pop_t.to_pyarrow().to_pydict().values(), strict=True))
                    if lsoa_pop_t is not None else None)
        level, values = _hotspot_values(areas, crimes, placed, families, lookup, out["wards"], population is not None,
                                        lsoa_pop)
    # arrays back from the children: no Arrow there
    # the statistics' children yield to this process and to the MO texts' child: their results are
    # wanted last, and the people tables wait on the MO texts
    with in_second_process(_statistics, req, level, values, "gi", yielding=True) as gi, \
            in_second_process(_statistics, req, level, values, "moran", yielding=True) as moran:

        def finish(meanwhile: Callable[[], object] | None = None) -> tuple[dict[str, pa.Table], list[str]]:
            if meanwhile is not None and not (gi.ready() and moran.ready()):
                in_background(meanwhile, "meanwhile")  # while this process waits for the children
            for results in (gi.result(), moran.result()):
                for name, held in results.items():
                    remember(values[name][0][3], held)
            out["hotspots"] = _hotspots(req, values)
            out["hotspot_overlap"] = pa.Table.from_pylist(_overlap_rows(req, level, values), schema=OVERLAP_SCHEMA)
            if lookup is None:
                out["hotspot_adjusted"] = ADJUSTED_SCHEMA.empty_table()
                out["policeuk_comparison"] = _policeuk(store, period, req, level, values, None, notes)
                notes.append("wards: no ward geography in the store; import the LSOA-to-ward lookup and ward "
                             "population with `stalking-profile geography import --lookup FILE "
                             "--ward-population FILE`.")
                return out, notes
            out["hotspot_adjusted"] = _adjusted(store, req, values, out, lookup, population, notes)
            out["policeuk_comparison"] = _policeuk(store, period, req, level, values, lookup, notes)
            unplaced = sum(r["crimes"] for r in out["placement"].to_pylist()
                           if r["placed_by"].startswith("unplaced") and r["offence_family"] == req.family)
            if unplaced:
                notes.append(f"placement: {unplaced} {req.family} crimes could not be placed on a ward "
                             "(see placement).")
            return out, notes

        yield finish


Series = dict[str, dict[str, float]]  # series name -> area code -> value


def _hotspot_values(areas: AreaSet, crimes: pa.Table, placed: pa.Table, families: dict[str, tuple[str, ...]],
                    lookup: pa.Table | None, wards: pa.Table | None, rates: bool,
                    lsoa_population: dict[str, int] | None = None) -> tuple[str, dict[str, tuple[Areas, str, Series]]]:
    """Values per level: LSOA counts always; ward rates (or counts) when wards exist. Each family
    also splits into domestic and non-domestic series for the overlap table."""
    masks = family_masks(crimes, families)
    first = next(iter(families))
    domestic = crimes["domestic_flag"].fill_null(False)
    masks[f"{first} domestic"] = pc.and_(masks[first], domestic)
    masks[f"{first} non-domestic"] = pc.and_(masks[first], pc.invert(domestic))
    # compared with all other domestic abuse: a part against a whole containing it inflates the correlation
    masks["other domestic abuse"] = pc.and_(masks["domestic_abuse"], pc.invert(masks[first]))
    lsoa_series = {k: counts_by(placed["lsoa_code"], m) for k, m in masks.items()}
    lsoa_measure, lsoa_set = "count", lsoa_areas(areas)
    if lsoa_population:
        lsoa_series = {k: {c: 1000.0 * n / lsoa_population[c] for c, n in v.items() if lsoa_population.get(c)}
                       for k, v in lsoa_series.items()}
        lsoa_measure = "rate_per_1000"
        lsoa_set = with_denominator(lsoa_set, {c for c, p in lsoa_population.items() if p})
    levels: dict[str, tuple[Areas, str, Series]] = {"lsoa": (lsoa_set, lsoa_measure, lsoa_series)}
    if lookup is None or wards is None:
        return "lsoa", levels
    ward_set = ward_areas(areas, lookup)
    population = {r["area_code"]: r["population"] for r in wards.to_pylist()}
    series = {k: counts_by(placed["ward_code"], m) for k, m in masks.items()}
    if rates:
        series = {k: {c: 1000.0 * n / population[c] for c, n in v.items() if population.get(c)}
                  for k, v in series.items()}
        ward_set = with_denominator(ward_set, {c for c, p in population.items() if p})
    levels["ward"] = (ward_set, "rate_per_1000" if rates else "count", series)
    return "ward", levels


def _hotspots(req: ProfileRequest, levels: dict[str, tuple[Areas, str, Series]]) -> pa.Table:
    """Gi* and local Moran for the three families at every level available."""
    permutations = req.permutations or DEFAULT_PERMUTATIONS
    rows: list[dict[str, Any]] = []
    for level, (areas, measure, series) in levels.items():
        for family, values in series.items():
            if _mapped(family):
                rows += hotspot_rows(level, areas, family, measure, values, permutations, req.seed)
    return pa.Table.from_pylist(rows, schema=HOTSPOT_SCHEMA)


def _statistics(req: ProfileRequest, level: str, levels: dict[str, tuple[Areas, str, Series]],
                share: Literal["gi", "moran"]) -> dict[str, dict[tuple[Any, ...], Any]]:
    """Compute one share of the statistics :func:`_hotspots` and :func:`_overlap_rows` will ask for
    (``gi``: every Gi*; ``moran``: every local and bivariate Moran's I) and return the results held
    for each level's weights (see :func:`stalking_profile.spatial.hotspots.remember`)."""
    permutations = req.permutations or DEFAULT_PERMUTATIONS
    compared = {name for pair in _overlap_pairs(req) for name in pair}
    for name, (areas, _, series) in levels.items():
        codes, w = areas[0], areas[3]
        for family, values in series.items():
            y = area_values(codes, values)
            mapped = _mapped(family) and varies(y)  # what hotspot_rows computes
            if share == "gi" and (mapped or (name == level and family in compared and y.any())):
                gi_star(y, w, permutations, req.seed)
            elif share == "moran" and mapped:
                local_moran(y, w, permutations, req.seed)
    if share == "moran":
        (codes, _, _, w), _, series = levels[level]
        for a, b in _overlap_pairs(req):
            x, y = area_values(codes, series[a]), area_values(codes, series[b])
            if varies(x) and varies(y):  # what compare computes
                bivariate_moran(x, y, w, permutations, req.seed)
    return {name: computed(areas[3]) for name, (areas, _, _) in levels.items()}


def _adjusted(store: Store, req: ProfileRequest, levels: dict[str, tuple[Areas, str, Series]],
              tables: dict[str, pa.Table], lookup: pa.Table, population: pa.Table | None,
              notes: list[str]) -> pa.Table:
    """Ward hot spots after adjusting for deprivation and the share of residents aged 20-29."""
    imd_layer = latest_layer(store, "imd")
    if population is None or imd_layer is None or "ward" not in levels:
        notes.append("hotspot_adjusted: needs the ward population and the IMD; import them with "
                     "`stalking-profile geography import --ward-population FILE --imd FILE`.")
        return ADJUSTED_SCHEMA.empty_table()
    decile = dict(zip(*imd_layer.select("lsoa_code", "imd_decile").to_pyarrow().to_pydict().values(), strict=True))
    by_ward: dict[str, list[float]] = {}
    for lsoa, ward in zip(lookup["lsoa_code"].to_pylist(), lookup["ward_code"].to_pylist(), strict=True):
        if lsoa in decile:
            by_ward.setdefault(ward, []).append(float(decile[lsoa]))
    covariates = {r["ward_code"]: (float(r["population"]), float(np.mean(by_ward[r["ward_code"]])),
                                   r["population_20_29"] / r["population"])
                  for r in population.to_pylist() if r["population"] and r["ward_code"] in by_ward}
    areas = levels["ward"][0]
    permutations = req.permutations or DEFAULT_PERMUTATIONS
    rows: list[dict[str, Any]] = []
    for family in dict.fromkeys((req.family, "harassment", "domestic_abuse")):
        counts = {r["area_code"]: float(r["crimes"]) for r in tables["wards"].to_pylist()
                  if r["offence_family"] == family}
        raw = {r["area_code"]: r["gi_class"] for r in tables["hotspots"].to_pylist()
               if r["level"] == "ward" and r["offence_family"] == family}
        family_rows, summary = adjusted_rows(areas, family, counts, covariates, raw, permutations, req.seed)
        rows += family_rows
        if summary:
            notes.append(f"hotspot_adjusted ({family}): {summary}.")
    return pa.Table.from_pylist(rows, schema=ADJUSTED_SCHEMA)


#: police.uk categories holding violence against the person (and so stalking), before and after May 2013.
POLICEUK_VIOLENCE = ("Violence and sexual offences", "Violent crime")


def _policeuk(store: Store, period: Period, req: ProfileRequest, level: str,
              levels: dict[str, tuple[Areas, str, Series]], lookup: pa.Table | None, notes: list[str]) -> pa.Table:
    """The force's counts against police.uk "Violence and sexual offences" by area: a public proxy."""
    t = store.table(tables.POLICEUK)
    months = (f"{period.start:%Y-%m}", f"{period.end:%Y-%m}")
    window = t.filter(t.month >= months[0], t.month <= months[1], t.crime_type.isin(list(POLICEUK_VIOLENCE)))
    codes = window.lsoa_code.to_pyarrow()
    if len(codes) == 0:
        return OVERLAP_SCHEMA.empty_table()
    series = counts_by(codes, pa.array([True] * len(codes)))
    force_lsoas = set(levels["lsoa"][0][0])
    outside = sum(n for c, n in series.items() if c not in force_lsoas) + codes.null_count
    if level == "ward" and lookup is not None:
        ward_of = dict(zip(lookup["lsoa_code"].to_pylist(), lookup["ward_code"].to_pylist(), strict=True))
        by_ward: dict[str, float] = {}
        for lsoa, n in series.items():
            if lsoa in ward_of:
                by_ward[ward_of[lsoa]] = by_ward.get(ward_of[lsoa], 0.0) + n
        series = by_ward
    areas, _, force_series = levels[level]
    row = compare(level, areas, (req.family, force_series[req.family]),
                  ("police.uk violence and sexual offences (public proxy, no DA flag or stalking category)", series),
                  req.permutations or DEFAULT_PERMUTATIONS, req.seed)
    notes.append(f"policeuk_comparison: {int(sum(series.values()))} police.uk violence and sexual offences "
                 f"{months[0]} to {months[1]} by {level}; {int(outside)} fall outside the force's areas. "
                 "Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk).")
    return pa.Table.from_pylist([row], schema=OVERLAP_SCHEMA)


def _overlap_rows(req: ProfileRequest, level: str, levels: dict[str, tuple[Areas, str, Series]]
                  ) -> list[dict[str, Any]]:
    """The three comparisons at the finest level with rates (wards), else LSOAs."""
    permutations = req.permutations or DEFAULT_PERMUTATIONS
    areas, _, series = levels[level]
    return [compare(level, areas, (a, series[a]), (b, series[b]), permutations, req.seed)
            for a, b in _overlap_pairs(req)]


def _mapped(series: str) -> bool:
    """Whether a series is an offence family the hot-spot table maps; the domestic and
    non-domestic splits ("stalking domestic") serve the overlap table only."""
    return " " not in series


def _overlap_pairs(req: ProfileRequest) -> tuple[tuple[str, str], ...]:
    family = req.family
    other = "harassment" if family != "harassment" else "stalking"
    return (family, other), (family, "other domestic abuse"), (f"{family} domestic", f"{family} non-domestic")


