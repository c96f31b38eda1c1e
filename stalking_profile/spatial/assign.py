"""Placing crimes on the map: a ward and LSOA for every crime that can be placed, and why not.

Routes, in order: the recorded ``ward_code`` (if the imported lookup knows it); else the
``lsoa_code`` (if it is one of the force's LSOAs) and the lookup's ward; else coordinates
(WGS84, or British National Grid converted to it) by point-in-LSOA on the default LSOA
boundaries (which tile the force without gaps or overlaps) and then the lookup. A point on
the edge between two LSOAs goes to the one listed first, so the result never depends on the
order of the crimes. Crimes that cannot be placed keep a reason; nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from stalking_profile.spatial.geography import AreaSet

__all__ = ["PLACEMENT_SCHEMA", "lsoa_of_points", "place_crimes"]

PLACEMENT_SCHEMA = pa.schema([("crime_ref", pa.string()), ("lsoa_code", pa.string()), ("ward_code", pa.string()),
                              ("placed_by", pa.string())])


_ROUTES = ("ward_code", "lsoa_code", "coordinates", "unplaced: unknown ward code", "unplaced: LSOA not in the force",
           "unplaced: coordinates outside every LSOA", "unplaced: no location")


def _to_wgs84(easting: pa.Array, northing: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    transformer = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = transformer.transform(easting.to_numpy(zero_copy_only=False), northing.to_numpy(zero_copy_only=False))
    return np.asarray(lon), np.asarray(lat)


def lsoa_of_points(lon: np.ndarray, lat: np.ndarray, areas: AreaSet) -> np.ndarray:
    """Index into ``areas`` of the LSOA containing each point (-1 where none does).

    Examples
    --------
    >>> import shapely
    >>> areas = AreaSet.build(["A", "B"], ["A 1", "B 1"], ["X", "X"],
    ...                       [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], "example")
    >>> lsoa_of_points(np.array([0.5, 1.0, 5.0]), np.array([0.5, 0.5, 5.0]), areas).tolist()
    [0, 0, -1]
    """
    found = np.full(len(lon), -1, dtype=np.int64)
    valid = ~(np.isnan(lon) | np.isnan(lat))
    if not valid.any():
        return found
    points = shapely.points(lon[valid], lat[valid])
    tree = shapely.STRtree(areas.polygons)
    point_idx, area_idx = tree.query(points, predicate="intersects")  # edges count: a point is never lost
    first = np.full(len(points), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, point_idx, area_idx)  # the lowest-indexed LSOA wins on a shared edge
    first[first == np.iinfo(np.int64).max] = -1
    found[np.flatnonzero(valid)] = first
    return found


def _coordinates(crimes: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    n = crimes.num_rows
    lon = crimes["longitude"].to_numpy(zero_copy_only=False).astype(float) if "longitude" in crimes.column_names \
        else np.full(n, np.nan)
    lat = crimes["latitude"].to_numpy(zero_copy_only=False).astype(float) if "latitude" in crimes.column_names \
        else np.full(n, np.nan)
    if "easting" in crimes.column_names:
        grid = ~np.isnan(crimes["easting"].to_numpy(zero_copy_only=False).astype(float)) & np.isnan(lon)
        if grid.any():
            glon, glat = _to_wgs84(pc.filter(crimes["easting"], pa.array(grid)),
                                   pc.filter(crimes["northing"], pa.array(grid)))
            lon[grid], lat[grid] = glon, glat
    return lon, lat


def place_crimes(crimes: pa.Table, areas: AreaSet, lookup: pa.Table | None) -> pa.Table:
    """A row per crime: its LSOA, its ward (needs the lookup) and the route that placed it.

    ``crimes`` has ``crime_ref``, ``ward_code``, ``lsoa_code`` and coordinates; ``lookup`` has
    ``lsoa_code`` and ``ward_code``. ``placed_by`` is ``ward_code``, ``lsoa_code``,
    ``coordinates``, or ``unplaced: <reason>``.
    """
    n = crimes.num_rows
    lsoa_codes = pa.array(list(areas.codes), pa.string())
    recorded_lsoa = crimes["lsoa_code"].combine_chunks()
    known_lsoa = pc.is_in(recorded_lsoa, value_set=lsoa_codes).fill_null(False)
    lon, lat = _coordinates(crimes)
    has_coords = ~(np.isnan(lon) | np.isnan(lat))
    located = np.full(n, -1, dtype=np.int64)
    need = np.flatnonzero(~known_lsoa.to_numpy(zero_copy_only=False) & has_coords)  # only rows not placed by code
    located[need] = lsoa_of_points(lon[need], lat[need], areas)
    point_lsoa = pc.take(lsoa_codes, pa.array(located, mask=located < 0))
    lsoa = pc.if_else(known_lsoa, recorded_lsoa, point_lsoa)
    ward_of_lsoa = pa.nulls(n, pa.string())
    known_ward = pa.array(np.zeros(n, dtype=bool))
    if lookup is not None:
        ward_of_lsoa = pc.take(lookup["ward_code"], pc.index_in(lsoa, value_set=lookup["lsoa_code"]))
        wards = pc.unique(lookup["ward_code"])
        known_ward = pc.is_in(crimes["ward_code"], value_set=wards).fill_null(False)
    ward = pc.if_else(known_ward, crimes["ward_code"], ward_of_lsoa)
    # one small integer per row, turned into text through a dictionary (no per-row strings)
    code = np.select(
        [np.asarray(known_ward), np.asarray(known_lsoa), located >= 0,
         pc.is_valid(crimes["ward_code"]).to_numpy(zero_copy_only=False),
         pc.is_valid(recorded_lsoa).to_numpy(zero_copy_only=False), has_coords],
        [0, 1, 2, 3, 4, 5], default=6).astype(np.int8)
    placed_by = pa.DictionaryArray.from_arrays(pa.array(code), pa.array(_ROUTES)).cast(pa.string())
    return pa.table([crimes["crime_ref"], lsoa, ward, placed_by], schema=PLACEMENT_SCHEMA)
