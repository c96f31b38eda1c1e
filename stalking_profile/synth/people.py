"""Victims, suspects and their pairs: repeat victims, serial suspects, courses of conduct.

Crimes are grouped into victim-suspect *pairs* within a district and DA flag: sorting by
month (plus noise) puts a pair's crimes a few months apart, and giving harassment a later
sort key pairs it with stalking that follows, so some courses of conduct escalate from
harassment to stalking. A share of pairs reuse the victim (repeat victims) or the suspect
(serial suspects) of another pair in the district. Person attributes (sex, age, ethnicity,
name, home) are drawn per person, so they are consistent across that person's crimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.schema.columns import RELATIONSHIPS
from stalking_profile.spatial.geography import AreaSet, sample_points
from stalking_profile.synth import shares
from stalking_profile.synth.allocation import assign_shares, dense_codes
from stalking_profile.synth.arrays import join, lookup, numbers
from stalking_profile.synth.calibration import MONTHS, RECORDING_CHANGE_MONTH
from stalking_profile.synth.names import NAME_GROUP_OF, NAME_GROUPS, full_names, make_names
from stalking_profile.synth.places import Intensity, choose_lsoas
from stalking_profile.synth.volumes import CODES, Crimes

__all__ = ["PARTNER", "Pairs", "Persons", "World", "age_at", "form_pairs", "make_persons", "person_ids"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]

#: Relationship indices (into ``RELATIONSHIPS``) of current and former partners.
PARTNER = (RELATIONSHIPS.index("current_partner"), RELATIONSHIPS.index("former_partner"))
_FAMILY_GROUP = np.asarray(
    [0 if c == "8Q" else 1 if c in ("8L", "8M") else 2 for c in CODES], dtype=np.int64
)  # 0 stalking, 1 harassment, 2 other
_SORT_OFFSET = np.asarray([2.5 if c in ("8L", "8M") else 1.0 if c == "8R" else 0.0 for c in CODES])
_SPREAD_MONTHS = 2.0


@dataclass(frozen=True)
class World:
    """What person generation needs besides the crimes: geography, intensities and randomness."""

    areas: AreaSet
    intensity: Intensity
    district_codes: tuple[str, ...]
    rng: np.random.Generator


@dataclass(frozen=True)
class Pairs:
    """Per crime: its pair, the pair's relationship and the victim and suspect person indices."""

    pair: IntArray
    relationship: IntArray
    victim: IntArray
    suspect: IntArray
    first_crime: IntArray  # per pair: its earliest crime


@dataclass(frozen=True)
class Persons:
    """Victims or suspects, one entry per person.

    ``ids`` and ``names`` hold the person's RMS record in the first ``len(self)`` entries and
    a duplicate nominal record of the same person (another id; the name spelt differently or
    in capitals) in the next ``len(self)``, null where the person has no duplicate.
    """

    ids: pa.Array[Any]
    names: pa.Array[Any]
    has_alias: BoolArray
    female: BoolArray
    dob: DateArray  # NaT when not recorded
    ethnicity: pa.Array[Any]  # as recorded: 18+1 code, IC code, "NS" or null
    home: IntArray  # LSOA index
    lon: FloatArray
    lat: FloatArray

    def __len__(self) -> int:
        return int(self.female.size)


def _pair_sizes(n: int, rng: np.random.Generator) -> IntArray:
    sizes, p = zip(*shares.PAIR_SIZES, strict=True)
    prob = np.asarray(p) / np.sum(p)
    return np.asarray(sizes, dtype=np.int64)[rng.choice(len(sizes), size=max(n, 1), p=prob)]


def _group_pairs(crimes: Crimes, rng: np.random.Generator) -> IntArray:
    """Pair number of each crime: runs of nearby crimes within a district and DA flag."""
    n = len(crimes)
    group = crimes.district * 2 + crimes.domestic
    key = crimes.month + _SORT_OFFSET[crimes.code] + rng.normal(0.0, _SPREAD_MONTHS, n)
    order = np.lexsort((key, group))
    starts = np.zeros(n, dtype=bool)
    ends = np.cumsum(_pair_sizes(n, rng))
    starts[ends[ends < n]] = True
    if n:
        starts[0] = True
        starts[1:] |= group[order][1:] != group[order][:-1]
    pair = np.empty(n, dtype=np.int64)
    pair[order] = np.cumsum(starts) - 1
    return pair


def _reuse(owner: IntArray, group: IntArray, share: float, rng: np.random.Generator) -> IntArray:
    """Person number per pair, where a ``share`` of pairs take the person of another pair in their group."""
    n = owner.size
    by_group = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=int(group.max(initial=0)) + 1)
    start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    chosen = np.flatnonzero(rng.random(n) < share)
    offset = np.floor(rng.random(chosen.size) * sizes[group[chosen]]).astype(np.int64)
    other = by_group[start[group[chosen]] + offset]
    person = owner.copy()
    person[chosen] = owner[other]
    return dense_codes(person)[0]


def _relationship_lut() -> tuple[IntArray, FloatArray]:
    """Lookup (family group, DA, after change) -> row of the relationship share table."""
    keys = list(shares.RELATIONSHIP_SHARES)
    lut = np.zeros((3, 2, 2), dtype=np.int64)
    for fam, name in enumerate(("stalking", "harassment", "other")):
        for da in (0, 1):
            for post in (0, 1):
                key = (name, bool(da), bool(post))
                lut[fam, da, post] = keys.index(key if key in keys else ("other", bool(da), bool(post)))
    return lut, np.asarray([shares.RELATIONSHIP_SHARES[k] for k in keys], dtype=np.float64)


def _pair_relationships(crimes: Crimes, pair: IntArray, n_pairs: int, rng: np.random.Generator) -> IntArray:
    """Relationship of each pair, from its leading family (stalking, else harassment, else other).

    The period (before or after the April 2020 recording change) is that of the pair's first
    crime of the leading family, so a pair with stalking after April 2020 is mostly former
    partners even if its harassment began earlier.
    """
    family = _FAMILY_GROUP[crimes.code]
    lead = np.full(n_pairs, 2, dtype=np.int64)
    np.minimum.at(lead, pair, family)
    month = np.full(n_pairs, MONTHS, dtype=np.int64)
    of_lead = family == lead[pair]
    np.minimum.at(month, pair[of_lead], crimes.month[of_lead])
    domestic = np.zeros(n_pairs, dtype=np.int64)
    domestic[pair] = crimes.domestic
    lut, table = _relationship_lut()
    return assign_shares(lut[lead, domestic, (month >= RECORDING_CHANGE_MONTH).astype(np.int64)], table, rng)


def form_pairs(crimes: Crimes, rng: np.random.Generator) -> Pairs:
    """Group crimes into victim-suspect pairs and give each pair a relationship and two people.

    Examples
    --------
    >>> from stalking_profile.synth.volumes import base_cells, expand_cells
    >>> rng = np.random.default_rng(0)
    >>> pairs = form_pairs(expand_cells(base_cells(), rng), rng)
    >>> int(pairs.pair.max()) < pairs.pair.size
    True
    """
    pair = _group_pairs(crimes, rng)
    # Crimes are in recorded order, so a pair's first row is its earliest crime.
    first = np.zeros(int(pair.max(initial=-1)) + 1, dtype=np.int64)
    first[pair[::-1]] = np.arange(pair.size - 1, -1, -1)
    relationship = _pair_relationships(crimes, pair, first.size, rng)
    district = crimes.district[first]
    owner = np.arange(first.size, dtype=np.int64)
    victim = _reuse(owner, district, shares.REPEAT_VICTIM_PAIRS, rng)
    suspect = _reuse(owner, district * 2 + crimes.domestic[first], shares.SERIAL_SUSPECT_PAIRS, rng)
    return Pairs(pair, relationship[pair], victim[pair], suspect[pair], first)


def person_ids(n: int, rng: np.random.Generator) -> pa.Array[Any]:
    """``n`` distinct RMS-style nominal ids (``N`` and eight digits) in random order.

    Examples
    --------
    >>> ids = person_ids(1000, np.random.default_rng(0)).to_pylist()
    >>> len(set(ids)), ids[0][0], len(ids[0])
    (1000, 'N', 9)
    """
    drawn = np.empty(0, dtype=np.int64)
    while drawn.size < n:
        extra = rng.integers(10_000_000, 100_000_000, size=n + n // 20 + 16)
        drawn = np.sort(np.concatenate((drawn, extra)))
        drawn = drawn[np.r_[True, drawn[1:] != drawn[:-1]]]
    return join("N", numbers(rng.permutation(drawn)[:n]), separator="")


def _quota_flags(
    weight: IntArray, share: float, rng: np.random.Generator, prefer: BoolArray | None = None
) -> BoolArray:
    """Flag persons so that flagged persons carry ``share`` of the total weight (a crime-weighted quota).

    Persons are taken in random order (``prefer``-ed ones tend to come first) until their
    cumulative weight reaches the target, so the crime-level share is exact to within one
    person's crimes. Persons of weight 0 are flagged when they fall before the cut.
    """
    if weight.sum() == 0:
        return np.asarray(rng.random(weight.size) < share, dtype=bool)
    key = rng.random(weight.size)
    if prefer is not None:
        key = np.where(prefer, key * 0.55, key)
    order = np.argsort(key, kind="stable")
    cum_before = np.cumsum(weight[order]) - weight[order]
    flagged = np.zeros(weight.size, dtype=bool)
    flagged[order] = cum_before < round(share * float(weight.sum()))
    return flagged


def _ages(role: str, n: int, rng: np.random.Generator) -> IntArray:
    """Age at first crime from the role's age bands (uniform within a band)."""
    bands = np.asarray(shares.AGE_BANDS[role], dtype=np.float64)
    band = rng.choice(len(bands), size=n, p=bands[:, 2] / bands[:, 2].sum())
    width = bands[band, 1] - bands[band, 0] + 1
    return np.asarray(bands[band, 0] + np.floor(rng.random(n) * width), dtype=np.int64)


_SELF = tuple(sorted({c for mix in shares.ETHNICITY_BY_DISTRICT.values() for c in mix}))
_IC = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6")
_ETHNICITY_CODES = (*_SELF, *_IC, "NS")
_OFFICER = np.asarray([len(_SELF) + _IC.index(shares.OFFICER_DEFINED[c[0]]) for c in _SELF], dtype=np.int64)
_NAME_GROUP = np.asarray([NAME_GROUPS.index(NAME_GROUP_OF.get(c, "british")) for c in _SELF], dtype=np.int64)


def _ethnicity(
    district: IntArray, codes: tuple[str, ...], rng: np.random.Generator
) -> tuple[IntArray, pa.Array[Any]]:
    """True (self-defined) code per person (index into ``_SELF``), and the code as recorded.

    Recorded is the self-defined code, an officer-defined IC code, "NS" or blank.
    """
    true = np.zeros(district.size, dtype=np.int64)
    for i, code in enumerate(codes):
        rows = np.flatnonzero(district == i)
        mix = shares.ETHNICITY_BY_DISTRICT.get(code, shares.ETHNICITY_BY_DISTRICT["LD"])
        p = np.asarray([mix.get(c, 0.0) for c in _SELF])
        true[rows] = rng.choice(len(_SELF), size=rows.size, p=p / p.sum())
    officer = np.where(
        (true == _SELF.index("W9")) & (rng.random(district.size) < 0.5), len(_SELF) + 1, _OFFICER[true]
    )
    modes = np.asarray(list(shares.ETHNICITY_RECORDING.values()))
    mode = rng.choice(modes.size, size=district.size, p=modes / modes.sum())
    recorded = np.select([mode == 0, mode == 1, mode == 2], [true, officer, len(_ETHNICITY_CODES) - 1], -1)
    return true, lookup(_ETHNICITY_CODES, np.maximum(recorded, 0), recorded >= 0)


def _month_day(d: DateArray) -> IntArray:
    month = d.astype("datetime64[M]")
    day = (d - month.astype("datetime64[D]")).astype(np.int64)
    return np.asarray(month.astype(np.int64) % 12 * 32 + day, dtype=np.int64)


def age_at(dob: DateArray, when: DateArray) -> IntArray:
    """Whole years from ``dob`` to ``when`` (birthday arithmetic); -1 where ``dob`` is NaT.

    Examples
    --------
    >>> age_at(np.array(["2000-06-15"], "datetime64[D]"), np.array(["2020-06-14"], "datetime64[D]"))
    array([19])
    """
    years = when.astype("datetime64[Y]").astype(np.int64) - dob.astype("datetime64[Y]").astype(np.int64)
    age = years - (_month_day(when) < _month_day(dob))
    return np.where(np.isnat(dob), -1, age).astype(np.int64)


def _per_person(person: IntArray, crimes: Crimes) -> tuple[int, IntArray, DateArray]:
    """Number of persons, and each person's district and first recorded date."""
    n = int(person.max(initial=-1)) + 1
    district = np.zeros(n, dtype=np.int64)
    district[person] = crimes.district
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, person, crimes.recorded.astype(np.int64))
    return n, district, first.astype("datetime64[D]")


def _names(group: IntArray, female: BoolArray, rng: np.random.Generator) -> pa.Array[Any]:
    """Each person's name, then the name as the duplicate record writes it (variant or capitals)."""
    first, last = make_names(group, female, rng)
    name = full_names(first, last)
    upper: Any = pc.utf8_upper
    alias = pa.chunked_array([upper(name), full_names(first, last, variant=True)])
    pick = np.where(rng.random(group.size) < 0.5, np.arange(group.size), group.size + np.arange(group.size))
    return pa.concat_arrays([name, lookup(alias.combine_chunks(), pick)])


def _persons(
    role: str,
    person: IntArray,
    crimes: Crimes,
    female: BoolArray,
    age: IntArray,
    world: World,
    ids: pa.Array[Any],
) -> Persons:
    """Assemble one role's persons from sex and age at first crime (drawn by the caller)."""
    rng = world.rng
    n, district, first = _per_person(person, crimes)
    days = np.floor(age * 365.25 + rng.random(n) * 365).astype(np.int64)
    dob = np.where(rng.random(n) < shares.UNKNOWN_AGE[role], np.datetime64("NaT"), first - days)
    true, recorded = _ethnicity(district, world.district_codes, rng)
    alias = rng.random(n) < shares.DUPLICATE_NOMINALS
    alias &= np.cumsum(alias) <= len(ids) - n  # never more duplicates than ids left in the pool
    alias_at = n + np.cumsum(alias) - 1
    home = choose_lsoas(world.areas, world.district_codes, district, world.intensity.home, rng)
    lon, lat = sample_points(world.areas, home, rng, decimals=6)
    return Persons(
        ids=pa.concat_arrays([ids.slice(0, n), lookup(ids, np.minimum(alias_at, len(ids) - 1), alias)]),
        names=_names(_NAME_GROUP[true], female, rng),
        has_alias=alias,
        female=female,
        dob=dob.astype("datetime64[D]"),
        ethnicity=recorded,
        home=home,
        lon=lon,
        lat=lat,
    )


def make_persons(
    pairs: Pairs, crimes: Crimes, suspect_known: BoolArray, world: World
) -> tuple[Persons, Persons]:
    """Victims and suspects of the pairs, with crime-weighted sex quotas on stalking crimes.

    Victims are 80% female over stalking crimes, suspects 75% male over stalking crimes with
    an identified suspect (``shares``); suspects of female victims are more often male, and a
    partner's age follows the victim's.
    """
    rng = world.rng
    stalking = crimes.stalking
    n_victims = int(pairs.victim.max(initial=-1)) + 1
    n_suspects = int(pairs.suspect.max(initial=-1)) + 1
    # Each role takes ids for its persons and then for their duplicate records (about 4%).
    pool = [n + n // 10 + 64 for n in (n_victims, n_suspects)]
    ids = person_ids(sum(pool), rng)
    v_weight = np.bincount(pairs.victim[stalking], minlength=n_victims)
    v_female = _quota_flags(v_weight, shares.FEMALE_VICTIM_SHARE, rng)
    v_age = _ages("victim", n_victims, rng)
    victims = _persons("victim", pairs.victim, crimes, v_female, v_age, world, ids.slice(0, pool[0]))
    victim_of = np.zeros(n_suspects, dtype=np.int64)
    victim_of[pairs.suspect] = pairs.victim
    counted = stalking & suspect_known
    s_weight = np.bincount(pairs.suspect[counted], minlength=n_suspects)
    s_male = _quota_flags(s_weight, shares.MALE_SUSPECT_SHARE, rng, prefer=v_female[victim_of])
    age = _ages("suspect", n_suspects, rng)
    partner = np.isin(pairs.relationship, PARTNER)
    anchor = np.full(n_suspects, -1, dtype=np.int64)
    anchor[pairs.suspect[partner]] = pairs.victim[partner]
    _, _, first = _per_person(pairs.suspect, crimes)
    victim_age = age_at(victims.dob[np.maximum(anchor, 0)], first)
    linked = (anchor >= 0) & (victim_age >= 0)
    partner_age = np.clip(victim_age + np.round(rng.normal(1.0, 3.5, n_suspects)), 15, 80).astype(np.int64)
    age = np.where(linked, partner_age, age)
    suspects = _persons("suspect", pairs.suspect, crimes, ~s_male, age, world, ids.slice(pool[0]))
    return victims, suspects
