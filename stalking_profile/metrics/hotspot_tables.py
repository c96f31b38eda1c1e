"""The ``hotspots`` table: Gi* and local Moran per area, level and offence family, in long layout.

LSOAs always (counts: the default geography has no population); wards when the lookup has been
imported (rates per 1,000 residents when the ward population has been imported, else counts).
Ward boundaries are the union of their LSOAs, which tile the force, so every ward has neighbours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from stalking_profile.spatial.geography import AreaSet
from stalking_profile.spatial.hotspots import classify_gi, classify_lisa, contiguity, gi_star, local_moran

__all__ = ["HOTSPOT_SCHEMA", "Areas", "area_values", "counts_by", "hotspot_rows", "lsoa_areas", "varies",
           "ward_areas", "ward_polygons", "with_denominator"]

HOTSPOT_SCHEMA = pa.schema([
    ("level", pa.string()), ("area_code", pa.string()), ("area_name", pa.string()), ("district", pa.string()),
    ("offence_family", pa.string()), ("measure", pa.string()), ("value", pa.float64()), ("gi_z", pa.float64()),
    ("gi_p", pa.float64()), ("gi_p_fdr", pa.float64()), ("gi_class", pa.string()), ("lisa_i", pa.float64()),
    ("lisa_p_fdr", pa.float64()), ("lisa_class", pa.string()), ("permutations", pa.int64()), ("seed", pa.int64()),
])

#: Areas of one level: codes, names, districts and their contiguity weights.
Areas = tuple[list[str], list[str], list[str], Any]


def lsoa_areas(areas: AreaSet) -> Areas:
    """The default LSOAs and their queen contiguity."""
    return list(areas.codes), list(areas.names), list(areas.district_codes), contiguity(list(areas.polygons))


def ward_polygons(areas: AreaSet, lookup: pa.Table) -> tuple[list[str], list[str], list[str], list[Any]]:
    """Ward codes, names, districts and boundaries (unions of their LSOAs), in code order."""
    index = {code: i for i, code in enumerate(areas.codes)}
    wards: dict[str, dict[str, Any]] = {}
    for row in lookup.to_pylist():
        if row["lsoa_code"] in index:
            ward = wards.setdefault(row["ward_code"], {"name": row["ward_name"], "district": row["district"], "p": []})
            ward["p"].append(areas.polygons[index[row["lsoa_code"]]])
    codes = sorted(wards)
    polygons = [shapely.union_all(wards[c]["p"]) for c in codes]
    return codes, [wards[c]["name"] for c in codes], [wards[c]["district"] for c in codes], polygons


def ward_areas(areas: AreaSet, lookup: pa.Table) -> Areas:
    """Wards as unions of their LSOAs, in ward-code order, and their queen contiguity."""
    codes, names, districts, polygons = ward_polygons(areas, lookup)
    return codes, names, districts, contiguity(polygons)


def with_denominator(areas: Areas, valid: set[str] | None) -> Areas:
    """The areas that have a denominator (rates need a population); all of them when ``valid`` is None."""
    codes, names, districts, w = areas
    if valid is None or set(codes) <= valid:
        return areas
    from libpysal.weights import w_subset

    keep = [i for i, c in enumerate(codes) if c in valid]
    return ([codes[i] for i in keep], [names[i] for i in keep], [districts[i] for i in keep],
            w_subset(w, [w.id_order[i] for i in keep], silence_warnings=True))


def hotspot_rows(level: str, areas: Areas, family: str, measure: str, values: dict[str, float],
                 permutations: int, seed: int) -> list[dict[str, Any]]:
    """Rows of the hotspots table for one level and family (``values`` by area code; missing = 0).
    Pass areas through :func:`with_denominator` first when the values are rates."""
    codes, names, districts, w = areas
    y = area_values(codes, values)
    if not varies(y):
        return []
    gi = gi_star(y, w, permutations, seed)
    lisa = local_moran(y, w, permutations, seed)
    gi_class, lisa_class = classify_gi(gi.z, gi.p_fdr), classify_lisa(lisa.quadrant, lisa.p_fdr)  # type: ignore[arg-type]
    return [{
        "level": level, "area_code": codes[i], "area_name": names[i], "district": districts[i],
        "offence_family": family, "measure": measure, "value": float(y[i]), "gi_z": _num(gi.z[i]),
        "gi_p": _num(gi.p_sim[i]), "gi_p_fdr": _num(gi.p_fdr[i]), "gi_class": gi_class[i],
        "lisa_i": _num(lisa.statistic[i]), "lisa_p_fdr": _num(lisa.p_fdr[i]), "lisa_class": lisa_class[i],
        "permutations": permutations, "seed": seed,
    } for i in range(len(codes))]


def area_values(codes: list[str], values: dict[str, float]) -> npt.NDArray[np.float64]:
    """``values`` (by area code) in the order of ``codes``; an area without a value has 0.

    Examples
    --------
    >>> area_values(["E1", "E2", "E3"], {"E3": 2.0, "E1": 1.0}).tolist()
    [1.0, 0.0, 2.0]
    """
    return np.array([values.get(c, 0.0) for c in codes], dtype=float)


def varies(y: npt.NDArray[np.float64]) -> bool:
    """Whether ``y`` differs between areas: with nothing, or the same everywhere, no spot can stand out.

    Examples
    --------
    >>> varies(np.array([0.0, 0.0])), varies(np.array([2.0, 2.0])), varies(np.array([0.0, 1.0]))
    (False, False, True)
    """
    return bool(y.any()) and float(y.std()) > 0


def _num(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def counts_by(codes: pa.Array, mask: pa.Array) -> dict[str, float]:
    """Crimes per area code among the rows in ``mask``."""
    return {r["values"]: float(r["counts"]) for r in pc.value_counts(pc.filter(codes, mask)).to_pylist()
            if r["values"] is not None}
