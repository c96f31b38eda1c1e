"""Wards: crimes placed on wards, with rates per 1,000 residents and per 1,000 aged 20-29.

Three offence families side by side (the requested one, harassment, and all domestic-abuse
crime), so that the report's open question (do the hotspots coincide?) can be asked. Every ward
of the imported lookup appears, with zeros where no crime was placed.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["PLACEMENT_TABLE_SCHEMA", "WARD_SCHEMA", "family_masks", "placement_counts", "ward_table"]

WARD_SCHEMA = pa.schema([
    ("level", pa.string()), ("area_code", pa.string()), ("area_name", pa.string()), ("district", pa.string()),
    ("offence_family", pa.string()), ("crimes", pa.int64()), ("domestic", pa.int64()), ("non_domestic", pa.int64()),
    ("population", pa.int64()), ("rate_per_1000", pa.float64()), ("population_20_29", pa.int64()),
    ("rate_20_29_per_1000", pa.float64()),
])
PLACEMENT_TABLE_SCHEMA = pa.schema([("offence_family", pa.string()), ("placed_by", pa.string()),
                                    ("crimes", pa.int64())])


def family_masks(crimes: pa.Table, families: dict[str, tuple[str, ...]]) -> dict[str, pa.Array]:
    masks = {name: pc.is_in(crimes["offence_code"], value_set=pa.array(list(codes))) for name, codes
             in families.items()}
    masks["domestic_abuse"] = crimes["domestic_flag"].fill_null(False)
    return masks


def placement_counts(crimes: pa.Table, placed: pa.Table, families: dict[str, tuple[str, ...]]) -> pa.Table:
    """How many crimes of each family each route placed, and how many could not be placed (and why)."""
    rows = []
    for family, mask in family_masks(crimes, families).items():
        routes = pc.value_counts(pc.filter(placed["placed_by"], mask)).to_pylist()
        for r in sorted(routes, key=lambda r: (r["values"].startswith("unplaced"), r["values"])):
            rows.append({"offence_family": family, "placed_by": r["values"], "crimes": r["counts"]})
    return pa.Table.from_pylist(rows, schema=PLACEMENT_TABLE_SCHEMA)


def _rate(count: int, population: int | None) -> float | None:
    return round(1000.0 * count / population, 2) if population else None


def ward_table(crimes: pa.Table, placed: pa.Table, lookup: pa.Table, population: pa.Table | None,
               families: dict[str, tuple[str, ...]]) -> pa.Table:
    """One row per ward of the lookup and offence family: counts, domestic split and rates.

    Examples
    --------
    >>> crimes = pa.table({"crime_ref": ["a", "b", "c"], "offence_code": ["8Q", "8Q", "8L"],
    ...                    "domestic_flag": [True, False, True]})
    >>> placed = pa.table({"crime_ref": ["a", "b", "c"], "lsoa_code": ["L1", "L1", "L2"],
    ...                    "ward_code": ["W1", "W1", "W2"], "placed_by": ["lsoa_code"] * 3})
    >>> lookup = pa.table({"ward_code": ["W1", "W2"], "ward_name": ["One", "Two"], "district": ["BD", "BD"]})
    >>> pop = pa.table({"ward_code": ["W1", "W2"], "population": [2000, 500], "population_20_29": [400, 100]})
    >>> rows = ward_table(crimes, placed, lookup, pop, {"stalking": ("8Q",)}).to_pylist()
    >>> for r in rows:
    ...     print(r["area_code"], r["offence_family"], r["crimes"], r["rate_per_1000"], r["rate_20_29_per_1000"])
    W1 stalking 2 1.0 5.0
    W2 stalking 0 0.0 0.0
    W1 domestic_abuse 1 0.5 2.5
    W2 domestic_abuse 1 2.0 10.0
    """
    wards = {r["ward_code"]: r for r in lookup.select(["ward_code", "ward_name", "district"]).to_pylist()}
    people = {r["ward_code"]: r for r in population.to_pylist()} if population is not None else {}
    order = sorted(wards, key=lambda w: (wards[w]["district"], wards[w]["ward_name"]))
    rows: list[dict[str, Any]] = []
    for family, mask in family_masks(crimes, families).items():
        sub = pa.table({"ward": placed["ward_code"], "domestic": crimes["domestic_flag"].fill_null(False)}).filter(mask)
        counts: dict[str, list[int]] = {}
        for r in sub.group_by(["ward", "domestic"]).aggregate([("ward", "count")]).to_pylist():
            if r["ward"] is not None:
                counts.setdefault(r["ward"], [0, 0])[0 if r["domestic"] else 1] += r["ward_count"]
        for code in order:
            domestic, other = counts.get(code, [0, 0])
            pop = people.get(code, {})
            rows.append({
                "level": "ward", "area_code": code, "area_name": wards[code]["ward_name"],
                "district": wards[code]["district"], "offence_family": family, "crimes": domestic + other,
                "domestic": domestic, "non_domestic": other, "population": pop.get("population"),
                "rate_per_1000": _rate(domestic + other, pop.get("population")),
                "population_20_29": pop.get("population_20_29"),
                "rate_20_29_per_1000": _rate(domestic + other, pop.get("population_20_29")),
            })
    return pa.Table.from_pylist(rows, schema=WARD_SCHEMA)

