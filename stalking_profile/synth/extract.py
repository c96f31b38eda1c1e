"""The columns of the synthetic extract, built as Arrow string arrays from the generated arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from stalking_profile.schema.columns import LOCATION_BASIS, RELATIONSHIPS, RISK_FORMS, RISK_LEVELS
from stalking_profile.spatial.geography import sample_points
from stalking_profile.synth import calibration as cal
from stalking_profile.synth import shares
from stalking_profile.synth.allocation import assign_shares
from stalking_profile.synth.arrays import dates, lookup, numbers
from stalking_profile.synth.mo import build_mo
from stalking_profile.synth.outcomes import OUTCOME_LABELS, UNIT_NAMES, Handling
from stalking_profile.synth.people import Pairs, Persons, World, age_at
from stalking_profile.synth.places import choose_lsoas
from stalking_profile.synth.volumes import CODES, Crimes

__all__ = ["Columns", "case_columns", "crime_refs", "person_columns", "place_columns"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]
Columns = dict[str, "pa.Array[Any]"]

_FAMILY_NAMES = tuple(dict.fromkeys(shares.FAMILY_OF.values()))
_FAMILY = np.asarray([_FAMILY_NAMES.index(shares.FAMILY_OF[c]) for c in CODES], dtype=np.int64)
#: Offences that are a course of conduct: committed weeks or months before they are recorded.
_CONDUCT = np.isin(np.asarray(CODES), ("8Q", "8L", "8M", "8U"))
#: location_basis in the order its categories are handed out: suspect_home first, so that it
#: goes to crimes with an identified suspect.
_BASIS = ("suspect_home", *(b for b in LOCATION_BASIS if b != "suspect_home"))


def _flag(values: BoolArray) -> pa.Array[Any]:
    return lookup(("N", "Y"), values.astype(np.int64))


def _blank(n: int) -> pa.Array[Any]:
    result: pa.Array[Any] = pa.nulls(n, pa.string())
    return result


def _committed(crimes: Crimes, rng: np.random.Generator) -> DateArray:
    """First date of the conduct: weeks before recording for courses of conduct, days otherwise."""
    n = len(crimes)
    conduct = np.where(rng.random(n) < 0.1, 0.0, np.minimum(rng.exponential(30.0, n), 365.0))
    u = rng.random(n)
    single = np.select([u < 0.6, u < 0.95], [0.0, rng.integers(1, 4, n)], 30.0 * rng.random(n))
    lag = np.floor(np.where(_CONDUCT[crimes.code], conduct, single)).astype(np.int64)
    date = crimes.recorded - lag.astype("timedelta64[D]")
    return np.asarray(np.where(rng.random(n) < 0.03, np.datetime64("NaT"), date), dtype="datetime64[D]")


def case_columns(crimes: Crimes, pairs: Pairs, handling: Handling, world: World) -> Columns:
    """Offence, dates, risk assessment, relationship, arrest, outcome and allocation columns."""
    n = len(crimes)
    assessed = np.asarray(RISK_FORMS)[handling.risk_form] != "none"
    return {
        "recorded_date": dates(crimes.recorded),
        "offence_code": lookup(CODES, crimes.code),
        "district": lookup(world.district_codes, crimes.district),
        "domestic_flag": _flag(crimes.domestic),
        "offence_description": lookup([cal.OFFENCES[c] for c in CODES], crimes.code),
        "committed_date": dates(_committed(crimes, world.rng)),
        "ward_code": _blank(n),  # the default geography has no wards
        "easting": _blank(n),
        "northing": _blank(n),
        "risk_assessment": lookup(RISK_FORMS, handling.risk_form),
        "dash_completed": _flag(assessed),
        "risk_level": lookup(RISK_LEVELS, np.maximum(handling.risk_level, 0), handling.risk_level >= 0),
        "relationship": lookup(RELATIONSHIPS, pairs.relationship),
        "arrest_made": _flag(handling.arrest),
        "arrest_date": dates(handling.arrest_date),
        "outcome": lookup(OUTCOME_LABELS, handling.outcome, handling.outcome > 0),
        "outcome_date": dates(handling.outcome_date),
        "allocated_unit": lookup(UNIT_NAMES, handling.unit),
    }


def _basis(tech: BoolArray, known: BoolArray, rng: np.random.Generator) -> IntArray:
    """location_basis (index into ``_BASIS``) as exact shares for MOs with and without technology."""
    table = np.asarray([[shares.LOCATION_BASIS[t].get(b, 0.0) for b in _BASIS] for t in (False, True)])
    basis = assign_shares(tech.astype(np.int64), table, rng, np.where(known, 1.0, 0.0))
    # Should the share exceed the crimes with an identified suspect, the rest go to the victim's home.
    return np.where((basis == 0) & ~known, _BASIS.index("victim_home"), basis)


def _locate(
    crimes: Crimes,
    basis: IntArray,
    known: BoolArray,
    pairs: Pairs,
    people: tuple[Persons, Persons],
    world: World,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """LSOA and point of each crime: a person's home, or a fresh point in a busy or residential area.

    Online offences are placed at the suspect's home when the suspect is known (seed page 7:
    technology-enabled stalking is recorded where the suspect lives), else at the victim's.
    """
    victims, suspects = people
    name = np.asarray(_BASIS)[basis]
    at_suspect = (name == "suspect_home") | ((name == "online") & known)
    lsoa = np.where(at_suspect, suspects.home[pairs.suspect], victims.home[pairs.victim])
    lon = np.where(at_suspect, suspects.lon[pairs.suspect], victims.lon[pairs.victim])
    lat = np.where(at_suspect, suspects.lat[pairs.suspect], victims.lat[pairs.victim])
    fresh = ((("public_place", "other"), world.intensity.public), (("unknown",), world.intensity.home))
    for names, weights in fresh:
        rows = np.flatnonzero(np.isin(name, names))
        district = crimes.district[rows]
        lsoa[rows] = choose_lsoas(world.areas, world.district_codes, district, weights, world.rng)
        lon[rows], lat[rows] = sample_points(world.areas, lsoa[rows], world.rng, decimals=6)
    return lsoa, lon, lat


def place_columns(
    crimes: Crimes, pairs: Pairs, handling: Handling, people: tuple[Persons, Persons], world: World
) -> Columns:
    """MO text, cyber flag, location basis, LSOA and coordinates.

    MO categories are exact shares per offence family (``shares.MO_SHARES``): category 0 is
    technology with the cyber flag set, 1 technology without it, 2-4 no technology.
    """
    rng = world.rng
    victims, suspects = people
    mo_shares = np.asarray([shares.MO_SHARES[f] for f in _FAMILY_NAMES])
    category = assign_shares(_FAMILY[crimes.code], mo_shares, rng)
    known = handling.suspect_known
    basis = _basis(category <= 1, known, rng)
    lsoa, lon, lat = _locate(crimes, basis, known, pairs, people, world)
    suspect_male = np.where(known, ~suspects.female[pairs.suspect], True)
    victim_female = victims.female[pairs.victim]
    mo = build_mo(CODES, crimes.code, category, pairs.relationship, victim_female, suspect_male, rng)
    return {
        "lsoa_code": lookup(world.areas.codes.tolist(), lsoa),
        "latitude": numbers(lat),
        "longitude": numbers(lon),
        "location_basis": lookup(_BASIS, basis),
        "cyber_flag": _flag(category == 0),
        "mo_text": mo,
    }


def person_columns(
    role: str,
    persons: Persons,
    index: IntArray,
    present: BoolArray,
    when: DateArray,
    rng: np.random.Generator,
) -> Columns:
    """id, name, dob, age, sex and ethnicity of the victim or suspect of each crime.

    Some crimes of a person with a duplicate nominal record carry that record's id and name,
    as RMS data do; names and dates of birth appear on a share of crimes only.
    """
    n = index.size
    duplicate = persons.has_alias[index] & (rng.random(n) < shares.DUPLICATE_USE)
    record = np.where(duplicate, len(persons) + index, index)
    dob = persons.dob[index]
    shown = present & (rng.random(n) < shares.NAME_PRESENT[role])
    return {
        f"{role}_id": lookup(persons.ids, record, present),
        f"{role}_name": lookup(persons.names, record, shown),
        f"{role}_dob": dates(np.where(shown, dob, np.datetime64("NaT"))),
        f"{role}_age": numbers(age_at(dob, when), present & ~np.isnat(dob)),
        f"{role}_sex": lookup(("male", "female"), persons.female[index].astype(np.int64), present),
        f"{role}_ethnicity": lookup(persons.ethnicity, index, present),
    }


def crime_refs(recorded: DateArray, rng: np.random.Generator) -> pa.Array[Any]:
    """References like ``13210001234``: 13, the two-digit year, then a sequence within the year.

    The sequence has gaps (the force records other crimes in between) and follows recording
    order, so references are unique and sort with the recorded date.

    Examples
    --------
    >>> days = np.array(["2020-12-31", "2021-01-01", "2021-01-02"], dtype="datetime64[D]")
    >>> [r[:4] for r in crime_refs(days, np.random.default_rng(0)).to_pylist()]
    ['1320', '1321', '1321']
    """
    year = recorded.astype("datetime64[Y]").astype(np.int64) + 1970
    cum = np.cumsum(rng.integers(1, 7, recorded.size))
    starts = np.flatnonzero(np.r_[True, year[1:] != year[:-1]]) if year.size else np.empty(0, np.int64)
    seq = cum - np.repeat(np.r_[0, cum][starts], np.diff(np.r_[starts, year.size]))
    width = max(7, len(str(int(seq.max(initial=0)))))
    return numbers(13 * 10 ** (width + 2) + (year % 100) * 10**width + seq)
