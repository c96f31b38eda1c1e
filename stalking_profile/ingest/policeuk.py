"""police.uk street-level crime files: a public context layer, never the force's own data.

They have no domestic-abuse flag, no offence codes and no stalking category; "Violence and sexual
offences" (called "Violent crime" before May 2013) is the only place stalking appears, mixed with
assaults and sexual offences. Rows are kept as published: a Crime ID can repeat (the same crime
reported in several rows, and anti-social behaviour has none), so nothing is de-duplicated.

Reads the 12-column police.uk header, the 2012 layout with Easting and Northing and no LSOA
(the LSOA is found from the point), and the snake_case variant with ``year`` and ``month``
columns that some R packages write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile import __version__
from stalking_profile.errors import InputFileError
from stalking_profile.ingest.readers import file_sha256, read_extract
from stalking_profile.schema import parse
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import write_context_batch

__all__ = ["PoliceUkResult", "ingest_policeuk"]

SOURCE_KIND = "policeuk"
_COLUMNS = {  # canonical -> accepted headers (normalised: lower case, no spaces or underscores)
    "crime_id": ("crimeid",), "reported_by": ("reportedby",), "falls_within": ("fallswithin",),
    "longitude": ("longitude",), "latitude": ("latitude",), "location": ("location",),
    "lsoa_code": ("lsoacode",), "crime_type": ("crimetype",), "last_outcome": ("lastoutcomecategory",),
}


@dataclass
class PoliceUkResult:
    """The accounting of one police.uk file."""

    file_name: str
    batch_id: int
    rows: int
    months: tuple[str, str]
    already_imported: bool = False


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _months(table: pa.Table, headers: dict[str, str], path: Path) -> pa.Array:
    if "month" in headers and "year" not in headers:
        return parse.blank_to_null(table[headers["month"]].combine_chunks())
    if "month" in headers and "year" in headers:
        month = pc.utf8_lpad(parse.blank_to_null(table[headers["month"]].combine_chunks()), width=2, padding="0")
        return pc.binary_join_element_wise(table[headers["year"]].combine_chunks(), month, "-")
    raise InputFileError(f"{path.name} has no Month column", "give a police.uk street-level CSV as downloaded")


def _from_grid(out: dict[str, pa.Array], easting: pa.Array, northing: pa.Array) -> None:
    """The 2012 layout gives British National Grid coordinates and no LSOA: convert, then find the
    LSOA on the default geography (points outside the force keep no LSOA)."""
    import numpy as np
    from pyproj import Transformer

    from stalking_profile.spatial.assign import lsoa_of_points
    from stalking_profile.spatial.geography import default_lsoas

    e = parse.parse_float(parse.blank_to_null(easting)).values.to_numpy(zero_copy_only=False).astype(float)
    n = parse.parse_float(parse.blank_to_null(northing)).values.to_numpy(zero_copy_only=False).astype(float)
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(e, n)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad], lat[bad] = np.nan, np.nan
    out["longitude"], out["latitude"] = pa.array(lon, from_pandas=True), pa.array(lat, from_pandas=True)
    areas = default_lsoas()
    found = lsoa_of_points(np.asarray(lon), np.asarray(lat), areas)
    located = pa.array([areas.codes[i] if i >= 0 else None for i in found], pa.string())
    out["lsoa_code"] = pc.coalesce(out["lsoa_code"], located)


def _rows(path: Path) -> pa.Table:
    table = read_extract(path).table
    headers = {_norm(h): h for h in table.column_names}
    if "crimetype" not in headers:
        raise InputFileError(f"{path.name} is not a police.uk street-level file (no 'Crime type' column)",
                             "give the files named YYYY-MM-<force>-street.csv from data.police.uk")
    out: dict[str, pa.Array] = {"row_number": pa.array(range(2, table.num_rows + 2), pa.int64()),
                                "month": _months(table, headers, path)}
    for canonical, accepted in _COLUMNS.items():
        source = next((headers[a] for a in accepted if a in headers), None)
        column = parse.blank_to_null(table[source].combine_chunks()) if source else pa.nulls(table.num_rows,
                                                                                               pa.string())
        if canonical in ("longitude", "latitude"):
            column = parse.parse_float(column).values
        out[canonical] = column
    if "easting" in headers and "northing" in headers:
        _from_grid(out, table[headers["easting"]].combine_chunks(), table[headers["northing"]].combine_chunks())
    schema = tables.SCHEMAS[tables.POLICEUK].to_pyarrow()
    return pa.table({f.name: out[f.name].cast(f.type) for f in schema if f.name != "batch_id"})


def ingest_policeuk(path: Path, store: Store) -> PoliceUkResult:
    """Import one police.uk street-level CSV as a batch of the context layer."""
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the path; the file must exist and be readable")
    sha = file_sha256(path)
    b = store.table(tables.BATCHES)
    previous = b.filter((b.file_sha256 == sha) & (b.source_kind == SOURCE_KIND)).batch_id.to_pyarrow().to_pylist()
    if previous:
        return PoliceUkResult(path.name, int(previous[0]), 0, ("", ""), already_imported=True)
    rows = _rows(path)
    months = pc.min_max(rows["month"]).as_py()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch = pa.table({
        "source_kind": [SOURCE_KIND], "file_name": [path.name], "file_sha256": [sha], "file_format": ["csv"],
        "encoding": ["utf-8"], "mapping": ["policeuk"], "key_fingerprint": [None], "tool_version": [__version__],
        "started_at": pa.array([now], pa.timestamp("us")), "finished_at": pa.array([now], pa.timestamp("us")),
        "rows_read": [rows.num_rows], "rows_accepted": [rows.num_rows], "rows_rejected": [0], "rows_warned": [0],
    }, schema=pa.schema([(f.name, f.type) for f in tables.SCHEMAS[tables.BATCHES].to_pyarrow()
                         if f.name not in ("batch_id", "rows_new", "rows_changed", "rows_unchanged")]))
    batch_id = write_context_batch(store, batch, tables.POLICEUK, rows)
    return PoliceUkResult(path.name, batch_id, rows.num_rows, (months["min"] or "", months["max"] or ""))
