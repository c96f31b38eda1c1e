"""The calibrated synthetic crime extract: :func:`generate`, :func:`write_extract`, :func:`calibrated_size`.

The default extract reproduces the West Yorkshire report (the seed) exactly where it gives
numbers (stalking by district and DA flag, rolling totals, outcomes by district) and follows
documented assumptions elsewhere (:mod:`~stalking_profile.synth.calibration`,
:mod:`~stalking_profile.synth.shares`). Every value is a string in a format the data
contract accepts; blank is null. The same seed gives an identical table. All people are
synthetic: names come from small built-in lists, ids and dates of birth are random.

Pipeline: exact volumes per offence, DA flag, month and district (:mod:`.volumes`); crimes
grouped into victim-suspect pairs (:mod:`.people`); outcomes, arrests, risk and allocation
(:mod:`.outcomes`); people with homes on the default LSOAs; then MO text and locations
(:mod:`.extract`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from stalking_profile.errors import ConfigError, GeographyError
from stalking_profile.force import Force, load_force
from stalking_profile.schema.columns import CRIME_COLUMNS
from stalking_profile.spatial.geography import AreaSet, default_lsoas
from stalking_profile.synth import calibration as cal
from stalking_profile.synth.allocation import largest_remainder
from stalking_profile.synth.extract import case_columns, crime_refs, person_columns, place_columns
from stalking_profile.synth.outcomes import assign_handling
from stalking_profile.synth.people import World, form_pairs, make_persons
from stalking_profile.synth.places import Intensity, lsoa_intensity
from stalking_profile.synth.volumes import base_cells, expand_cells
from stalking_profile.synth.volumes import calibrated_size as _calibrated_size

__all__ = ["calibrated_size", "generate", "write_extract"]

IntArray = npt.NDArray[np.int64]


def calibrated_size() -> int:
    """Crimes in the default West Yorkshire extract (all offence families, April 2019 - January 2022).

    Examples
    --------
    >>> calibrated_size()
    108695
    """
    return _calibrated_size()


def _cells(records: int | None, force: Force, areas: AreaSet) -> tuple[IntArray, bool]:
    """Crime counts per (offence, DA, month, district) scaled to ``records``; and whether the seed's
    district tables apply (the force's districts are the seed's)."""
    for code in force.district_codes:
        if areas.in_district(code).size == 0:
            raise GeographyError(
                f"district {code} has no LSOAs in the default geography",
                "check the district's name in the force configuration",
            )
    seed_districts = force.district_codes == cal.DISTRICTS
    weights = None
    if not seed_districts:
        weights = np.asarray([areas.in_district(c).size for c in force.district_codes], dtype=np.float64)
    cells = base_cells(weights)
    if records is not None:
        cells = largest_remainder(cells.reshape(-1), records).reshape(cells.shape)
    return cells, seed_districts


def _check_records(records: object) -> None:
    if records is not None and (isinstance(records, bool) or not isinstance(records, int) or records < 0):
        raise ConfigError(
            f"records must be a whole number of 0 or more, got {records!r}",
            "give e.g. --records 100000, or leave it out for the calibrated West Yorkshire size",
        )


def _weighted(intensity: Intensity, areas: AreaSet, deprivation: dict[str, int] | None) -> Intensity:
    """Home weights tilted towards deprived LSOAs (exp(0.12 (5.5 - decile))); unknown areas unchanged."""
    if not deprivation:
        return intensity
    decile = np.array([deprivation.get(str(c), 5.5) for c in areas.codes], dtype=float)
    return Intensity(intensity.home * np.exp(0.12 * (5.5 - decile)), intensity.public)


def generate(records: int | None = None, seed: int = 0, force: Force | None = None,
             deprivation: dict[str, int] | None = None) -> pa.Table:
    """A calibrated synthetic crime extract: one row per crime, canonical columns, string values.

    Parameters
    ----------
    records : int, optional
        Number of crimes. ``None`` gives the calibrated West Yorkshire size
        (:func:`calibrated_size`); a larger number scales every volume in proportion
        (a bigger force over the same months).
    seed : int
        Seed of the random generator; the same seed gives an identical table.
    force : Force, optional
        The force whose districts and default LSOAs are used; the configured force by default.
        The seed's district tables are used when its districts are BD, CD, KD, LD and WD;
        otherwise volumes are split between districts by their number of LSOAs.
    deprivation : dict, optional
        IMD decile (1 = most deprived) by LSOA code; when given, homes (and so crimes) are
        weighted towards deprived areas: decile 1 about 1.7 times the average, decile 10 about 0.6.

    Returns
    -------
    pyarrow.Table
        Columns exactly as ``CRIME_COLUMNS``, all strings (null = blank), in recorded order.

    Raises
    ------
    ConfigError
        ``records`` is negative or not a whole number.
    GeographyError
        The default geography cannot be loaded for the force.

    Examples
    --------
    >>> table = generate(2000, seed=1)
    >>> table.num_rows, table.column_names[:3]
    (2000, ['crime_ref', 'recorded_date', 'offence_code'])
    """
    _check_records(records)
    force = force or load_force()
    areas = default_lsoas(force)
    cells, seed_districts = _cells(records, force, areas)
    if cells.sum() == 0:
        return pa.table({c.name: pa.array([], pa.string()) for c in CRIME_COLUMNS})
    rng = np.random.default_rng(seed)
    crimes = expand_cells(cells, rng)
    world = World(areas, _weighted(lsoa_intensity(areas, rng), areas, deprivation), force.district_codes, rng)
    pairs = form_pairs(crimes, rng)
    handling = assign_handling(crimes, pairs.relationship, seed_districts, rng)
    people = make_persons(pairs, crimes, handling.suspect_known, world)
    columns = case_columns(crimes, pairs, handling, world)
    columns |= place_columns(crimes, pairs, handling, people, world)
    everyone, known = np.ones(len(crimes), dtype=bool), handling.suspect_known
    columns |= person_columns("victim", people[0], pairs.victim, everyone, crimes.recorded, rng)
    columns |= person_columns("suspect", people[1], pairs.suspect, known, crimes.recorded, rng)
    columns["crime_ref"] = crime_refs(crimes.recorded, rng)
    return pa.table({c.name: columns[c.name] for c in CRIME_COLUMNS})


def _csv_options() -> Any:
    options: Any = pacsv.WriteOptions
    try:
        # Arrow quotes every string value (valid CSV); column names never need quoting.
        return options(include_header=True, delimiter=",", quoting_header="none")
    except TypeError:  # pyarrow before 21 has no quoting_header and quotes the names too
        return options(include_header=True, delimiter=",")


def write_extract(table: pa.Table, path: str | Path) -> Path:
    """Write an extract as CSV (UTF-8, comma, header) or Parquet, chosen by the file suffix.

    Parameters
    ----------
    table : pyarrow.Table
        The extract, e.g. from :func:`generate`.
    path : str or Path
        Where to write; the suffix ``.csv`` or ``.parquet`` chooses the format.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> out = write_extract(generate(100), Path(tempfile.mkdtemp()) / "extract.csv")
    >>> out.read_text(encoding="utf-8").splitlines()[0].startswith("crime_ref,recorded_date")
    True
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"cannot write an extract to {out.name}", "use a file name ending .csv or .parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        pacsv.write_csv(table, out, _csv_options())
    else:
        pq.write_table(table, out)
    return out
