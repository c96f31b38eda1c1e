"""`geography import`: the standard open files a force already has, checked against each other.

- the LSOA-to-ward-to-LAD lookup (ONS, e.g. ``LSOA11_WD20_LAD20_EW_LU.csv``): the force's rows,
  chosen by the LAD codes of its districts;
- ward population by single year of age (ONS SAPE23DT8a): matched to the lookup's wards on
  local authority and ward **name** (copies of this table circulate with corrupted ward codes);
- the Index of Multiple Deprivation by LSOA (MHCLG IoD2019 File 1): rank and decile.

Each import is recorded in ``geo_imports`` (file, SHA-256, vintage, rows) and its rows carry the
import id; the latest import of each layer is the one in use. The ``geo_imports`` row is written
last, so an interrupted import is invisible.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.errors import GeographyError, InputFileError
from stalking_profile.force import Force
from stalking_profile.ingest.readers import file_sha256
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["LayerImport", "boundary_polygons", "import_boundaries", "import_imd", "import_lookup",
           "import_lsoa_population", "import_ward_population", "latest_layer"]


@dataclass(frozen=True)
class LayerImport:
    """What one layer's import stored, and what did not match."""

    layer: str
    import_id: int
    rows: int
    vintage: str
    unmatched: tuple[str, ...] = ()


def latest_layer(store: Store, layer: str) -> ibis.Table | None:
    """The rows of the latest import of ``layer`` (``lookup``, ``ward_population``, ``imd``), or None."""
    imports = store.table(tables.GEO_IMPORTS)
    ids = imports.filter(imports.layer == layer).import_id.max().to_pyarrow().as_py()
    if ids is None:
        return None
    t = store.table(tables.GEO_LAYERS[layer])
    return t.filter(t.import_id == int(ids)).drop("import_id")


def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path of the geography file")
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, **kwargs)  # type: ignore[call-overload]
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise InputFileError(f"{path.name} cannot be read as a CSV table: {str(exc).splitlines()[0]}",
                             "give the file as published (CSV, optionally gzipped)") from exc


def _column(frame: pd.DataFrame, pattern: str, path: Path, what: str) -> str:
    for name in frame.columns:
        if re.fullmatch(pattern, str(name).strip(), flags=re.IGNORECASE):
            return str(name)
    raise InputFileError(f"{path.name} has no {what} column (looked for /{pattern}/)",
                         "give the ONS/MHCLG file as published; see `stalking-profile geography import --help`")


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.str.replace(",", "", regex=False).str.strip(), errors="coerce")


def _record(store: Store, layer: str, path: Path, vintage: str, rows: pa.Table, note: str = "") -> int:
    imports = store.table(tables.GEO_IMPORTS)
    import_id = int(imports.import_id.max().to_pyarrow().as_py() or 0) + 1
    store.con.insert(tables.GEO_LAYERS[layer], rows.add_column(0, "import_id", pa.array([import_id] * rows.num_rows,
                                                                                        pa.int64())))
    record = pa.table({"import_id": [import_id], "layer": [layer], "file_name": [path.name],
                       "file_sha256": [file_sha256(path)], "vintage": [vintage],
                       "imported_at": pa.array([dt.datetime.now(dt.UTC).replace(tzinfo=None)], pa.timestamp("us")),
                       "rows": [rows.num_rows], "note": [note]})
    store.con.insert(tables.GEO_IMPORTS, record)  # last: the import is visible only once complete
    return import_id


def import_lookup(store: Store, path: Path, force: Force) -> LayerImport:
    """The LSOA-to-ward-to-LAD lookup, for the force's districts."""
    frame = _read_csv(path)
    lsoa = _column(frame, r"LSOA\d\dCD", path, "LSOA code")
    ward, ward_name = _column(frame, r"WD\d\dCD", path, "ward code"), _column(frame, r"WD\d\dNM", path, "ward name")
    lad = _column(frame, r"LAD\d\dCD", path, "local authority code")
    lsoa_name = _column(frame, r"LSOA\d\dNM", path, "LSOA name")
    by_lad = {d.lad_code: d.code for d in force.districts}
    rows = frame[frame[lad].str.strip().isin(by_lad)]
    missing = sorted(set(by_lad) - set(rows[lad].str.strip()))
    if missing:
        raise GeographyError(f"{path.name} has no rows for the force's local authorities {', '.join(missing)}",
                             "use the lookup for England and Wales, or check lad_code in the force configuration")
    if rows[lsoa].duplicated().any():
        raise GeographyError(f"{path.name} lists some LSOAs twice",
                             "use a best-fit lookup, where each LSOA belongs to one ward")
    table = pa.table({"lsoa_code": rows[lsoa].str.strip().tolist(), "lsoa_name": rows[lsoa_name].tolist(),
                      "ward_code": rows[ward].str.strip().tolist(), "ward_name": rows[ward_name].str.strip().tolist(),
                      "lad_code": rows[lad].str.strip().tolist(),
                      "district": [by_lad[c.strip()] for c in rows[lad]]})
    vintage = f"{lsoa[:6]}/{ward[:4]}"
    from stalking_profile.spatial.geography import default_lsoas

    known = set(default_lsoas(force).codes)  # the LSOAs crimes are placed on
    unplaceable = tuple(sorted(c for c in table["lsoa_code"].to_pylist() if c not in known))
    note = (f"{len(unplaceable)} LSOAs of the lookup are not in the default geography (another vintage?): "
            "crimes there cannot reach a ward" if unplaceable else "")
    layer_id = _record(store, "lookup", path, vintage, table, note)
    return LayerImport("lookup", layer_id, table.num_rows, vintage, unplaceable)


def _header_row(path: Path, starts: str) -> int:
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        for i, line in enumerate(f):
            if line.lstrip('"').startswith(starts):
                return i
            if i > 50:
                break
    raise InputFileError(f"{path.name} has no header starting '{starts}' in its first 50 lines",
                         "give the ONS ward population table (SAPE23DT8a) as published")


def import_ward_population(store: Store, path: Path, force: Force) -> LayerImport:
    """Ward population by single year of age, matched to the lookup's wards by authority and name."""
    lookup = latest_layer(store, "lookup")
    if lookup is None:
        raise GeographyError("ward population needs the LSOA-to-ward lookup first",
                             "run `stalking-profile geography import --lookup FILE` (or give both at once)")
    wards = lookup.select("ward_code", "ward_name", "lad_code", "district").distinct().to_pandas()
    frame = _read_csv(path, skiprows=_header_row(path, "Ward Code"))
    name, lad = _column(frame, r"Ward Name.*", path, "ward name"), _column(frame, r"LA Code.*", path, "LA code")
    ages = [str(a) for a in range(20, 30)]
    for col in ["All Ages", *ages]:
        _column(frame, re.escape(col), path, f"age {col}")
    frame = frame.assign(_lad=frame[lad].str.strip(), _name=frame[name].str.strip())
    matched = wards.merge(frame, left_on=["lad_code", "ward_name"], right_on=["_lad", "_name"], how="left")
    unmatched = tuple(sorted(matched.loc[matched["All Ages"].isna(), "ward_name"]))
    total, young = _number(matched["All Ages"]), sum(_number(matched[a]) for a in ages)
    table = pa.table({"ward_code": matched.ward_code.tolist(), "ward_name": matched.ward_name.tolist(),
                      "district": matched.district.tolist(),
                      "population": pa.array(total.tolist(), pa.int64(), from_pandas=True),
                      "population_20_29": pa.array(young.tolist(), pa.int64(), from_pandas=True)})
    table = table.filter(pc.is_valid(table["population"]))
    note = f"{len(unmatched)} wards of the lookup not found: {', '.join(unmatched)}" if unmatched else ""
    layer_id = _record(store, "ward_population", path, "mid-year estimate", table, note)
    return LayerImport("ward_population", layer_id, table.num_rows, "mid-year estimate", unmatched)


def import_imd(store: Store, path: Path, force: Force) -> LayerImport:
    """IMD rank and decile (1 = most deprived) for the force's LSOAs."""
    frame = _read_csv(path)
    lsoa = _column(frame, r"LSOA code.*", path, "LSOA code")
    lad = _column(frame, r"Local Authority District code.*", path, "local authority code")
    rank = _column(frame, r"Index of Multiple Deprivation \(IMD\) Rank.*", path, "IMD rank")
    decile = _column(frame, r"Index of Multiple Deprivation \(IMD\) Decile.*", path, "IMD decile")
    rows = frame[frame[lad].str.strip().isin({d.lad_code for d in force.districts})]
    if rows.empty:
        raise GeographyError(f"{path.name} has no LSOAs in the force's local authorities",
                             "use the England file, or check lad_code in the force configuration")
    table = pa.table({"lsoa_code": rows[lsoa].str.strip().tolist(),
                      "imd_rank": pa.array(_number(rows[rank]), pa.int64(), from_pandas=True),
                      "imd_decile": pa.array(_number(rows[decile]), pa.int64(), from_pandas=True)})
    unmatched: tuple[str, ...] = ()
    lookup = latest_layer(store, "lookup")
    if lookup is not None:
        known = set(table["lsoa_code"].to_pylist())
        unmatched = tuple(sorted(c for c in lookup.lsoa_code.to_pyarrow().to_pylist() if c not in known))
    layer_id = _record(store, "imd", path, "IoD2019", table,
                       f"{len(unmatched)} LSOAs of the lookup have no IMD" if unmatched else "")
    return LayerImport("imd", layer_id, table.num_rows, "IoD2019", unmatched)


def import_lsoa_population(store: Store, path: Path, force: Force) -> LayerImport:
    """LSOA population, all ages (ONS SAPE22DT2 and similar), for the lookup's LSOAs."""
    lookup = latest_layer(store, "lookup")
    if lookup is None:
        raise GeographyError("LSOA population needs the LSOA-to-ward lookup first",
                             "run `stalking-profile geography import --lookup FILE` (or give both at once)")
    frame = _read_csv(path)
    code = _column(frame, r"LSOA Code.*", path, "LSOA code")
    total = _column(frame, r"All Ages|Total population.*", path, "all-ages population")
    wanted = set(lookup.lsoa_code.to_pyarrow().to_pylist())
    rows = frame[frame[code].str.strip().isin(wanted)]
    table = pa.table({"lsoa_code": rows[code].str.strip().tolist(),
                      "population": pa.array(_number(rows[total]), pa.int64(), from_pandas=True)})
    missing = tuple(sorted(wanted - set(table["lsoa_code"].to_pylist())))
    layer_id = _record(store, "lsoa_population", path, "mid-year estimate", table,
                       f"{len(missing)} LSOAs of the lookup have no population" if missing else "")
    return LayerImport("lsoa_population", layer_id, table.num_rows, "mid-year estimate", missing)


def _read_boundaries(path: Path) -> Any:
    import geopandas as gpd

    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path of the boundary file")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputFileError(f"{path.name} cannot be read as boundaries: {str(exc).splitlines()[0]}",
                             "give GeoJSON, GeoPackage or a shapefile as published by ONS") from exc
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)  # e.g. British National Grid shapefiles
    return frame


def import_boundaries(store: Store, path: Path | list[Path], level: str, force: Force) -> LayerImport:
    """Ward or LSOA boundaries for drawing maps; the force's areas are those of the lookup.

    Hot-spot contiguity keeps using the LSOA tiling (generalised boundary files overlap and leave
    gaps); imported boundaries draw the maps.
    """
    import shapely

    lookup = latest_layer(store, "lookup")
    if lookup is None:
        raise GeographyError(f"{level} boundaries need the LSOA-to-ward lookup first",
                             "run `stalking-profile geography import --lookup FILE` (or give both at once)")
    import pandas as pd

    paths = path if isinstance(path, list) else [path]
    prefix = "WD" if level == "ward" else "LSOA"
    frame = pd.concat([_read_boundaries(p) for p in paths], ignore_index=True)  # e.g. one file per district
    path = paths[0]
    code = _column(frame, prefix + r"\d\dCD", path, f"{level} code")
    name = _column(frame, prefix + r"\d\dNM", path, f"{level} name")
    key = "ward_code" if level == "ward" else "lsoa_code"
    wanted = lookup.select(key, "district", *(["ward_name"] if level == "ward" else ["lsoa_name"])).distinct()
    wanted_rows = {r[key]: r["district"] for r in wanted.to_pyarrow().to_pylist()}
    rows = frame[frame[code].isin(wanted_rows)]
    missing = tuple(sorted(set(wanted_rows) - set(rows[code])))
    if rows.empty:
        raise GeographyError(f"none of the lookup's {level} codes is in {path.name} (its codes are {code})",
                             "use boundaries of the same vintage as the lookup (ward codes change when wards are "
                             "redrawn, as in Leeds in 2018)")
    geometry = [shapely.make_valid(g) for g in rows.geometry]  # a few published polygons self-intersect
    table = pa.table({"area_code": rows[code].tolist(), "area_name": rows[name].tolist(),
                      "district": [wanted_rows[c] for c in rows[code]],
                      "geometry_wkb": pa.array(shapely.to_wkb(geometry).tolist(), pa.binary())})
    layer = f"{level}_boundaries"
    vintage = code[: len(prefix) + 2]
    note = f"{len(missing)} {level}s of the lookup have no boundary" if missing else ""
    if len(paths) > 1:
        note = f"{len(paths)} files: {', '.join(p.name for p in paths)}. {note}".strip()
    return LayerImport(layer, _record(store, layer, path, vintage, table, note), table.num_rows, vintage, missing)


def boundary_polygons(store: Store, level: str) -> tuple[list[str], list[str], list[Any]] | None:
    """Imported boundaries of a level: codes, names and shapely polygons (None if not imported)."""
    import shapely

    layer = latest_layer(store, f"{level}_boundaries")
    if layer is None:
        return None
    data = layer.order_by("area_code").to_pyarrow().to_pydict()
    return data["area_code"], data["area_name"], list(shapely.from_wkb(data["geometry_wkb"]))
