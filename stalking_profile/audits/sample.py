"""Draw a dip-sample audit of a district's crimes and keep it: one append-only batch per sample.

The population is the current crimes of an offence family (the profile configuration's
``stalking`` by default) recorded in the period in one district, read as the store stood after its
latest crime batch (or the latest at or before ``as_of``). It is stratified by domestic flag and
drawn as :mod:`~stalking_profile.audits.allocation` describes.

A sample is a batch (``source_kind`` ``audit_sample``) whose ``file_sha256`` is the SHA-256 of the
sample's specification (district, family, period, size, seed, allocation and the crime batch the
population was read at). Drawing the same specification again returns the stored sample and
writes nothing; new crimes (a later crime batch) make a new specification, hence a new sample.
The audit id is the batch id. The sample's row is in ``audit_samples``, its crimes in
``audit_sample_crimes`` with their stratum's population and sample size (the design weights).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pyarrow as pa

from stalking_profile.audits.allocation import ALLOCATIONS, STRATA, allocate, draw_order, stratum_of
from stalking_profile.errors import ConfigError
from stalking_profile.force import Force, load_force
from stalking_profile.metrics.config import load_config
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import crimes_in
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import transaction
from stalking_profile.store.records import RecordImport, batch_row, claim_batch, keep, previous_import, with_counts

__all__ = ["SAMPLE_CRIMES_SCHEMA", "SOURCE_KIND", "AuditSample", "SampleSpec", "Stratum", "draw_sample",
           "latest_crime_batch", "load_sample", "resolve_district"]

SOURCE_KIND = "audit_sample"
#: The crimes of a sample, in stratum order then draw order.
SAMPLE_CRIMES_SCHEMA = pa.schema([
    ("crime_ref", pa.string()), ("stratum", pa.string()), ("draw_rank", pa.int64()), ("recorded_date", pa.date32()),
    ("domestic", pa.bool_()), ("offence_code", pa.string()),
])


@dataclass(frozen=True)
class SampleSpec:
    """Everything that fixes a sample: drawing the same spec from the same store gives the same crimes."""

    district: str
    family: str
    period: Period
    size: int
    seed: int
    allocation: str
    crimes_batch: int

    @property
    def canonical(self) -> str:
        """The spec as one line of text, the sample's identity.

        Examples
        --------
        >>> SampleSpec("BD", "stalking", Period(dt.date(2021, 4, 1), dt.date(2021, 9, 30)), 15, 7, "equal", 1).canonical
        'audit-sample v1; district=BD; family=stalking; period=2021-04-01:2021-09-30; size=15; seed=7; \
allocation=equal; crimes_batch=1'
        """
        return (f"audit-sample v1; district={self.district}; family={self.family}; "
                f"period={self.period.start}:{self.period.end}; size={self.size}; seed={self.seed}; "
                f"allocation={self.allocation}; crimes_batch={self.crimes_batch}")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical.encode()).hexdigest()

    @property
    def description(self) -> str:
        """A readable name for the sample's batch."""
        return (f"audit sample: {self.family} in {self.district}, {self.period.start} to {self.period.end}, "
                f"size {self.size}, seed {self.seed}, {self.allocation} allocation")


@dataclass(frozen=True)
class Stratum:
    """One stratum of a sample: its crimes in the population and in the sample."""

    label: str
    population: int
    sample: int

    @property
    def weight(self) -> float:
        """The design weight of each sampled crime: population / sample."""
        return self.population / self.sample


@dataclass(frozen=True)
class AuditSample:
    """A stored sample: its id (the batch), spec, strata and crimes; ``created`` when drawn by this call."""

    audit_id: int
    spec: SampleSpec
    strata: tuple[Stratum, ...]
    crimes: pa.Table
    created: bool = False

    @property
    def size(self) -> int:
        """The crimes drawn (the requested size, or the whole population when it is smaller)."""
        return int(self.crimes.num_rows)

    @property
    def population(self) -> int:
        return sum(s.population for s in self.strata)


def resolve_district(force: Force, district: str) -> str:
    """The district code a code, name or LAD code names; a :class:`ConfigError` lists the districts."""
    code = force.district_aliases().get(district.strip().upper())
    if code is None:
        raise ConfigError(f"district '{district}' is not one of {force.name}'s districts",
                          f"use one of: {', '.join(f'{d.code} ({d.name})' for d in force.districts)}")
    return code


def latest_crime_batch(store: Store, as_of: int | None = None) -> int | None:
    """The latest batch of crimes (``source_kind`` ``crimes``), at or before ``as_of`` if given."""
    b = store.table(tables.BATCHES)
    b = b.filter(b.source_kind == "crimes")
    if as_of is not None:
        b = b.filter(b.batch_id <= as_of)
    found = b.batch_id.max().to_pyarrow().as_py()
    return None if found is None else int(found)


def _population(store: Store, spec: SampleSpec) -> list[dict[str, object]]:
    crimes = crimes_in(store, load_config().family(spec.family), spec.period, spec.crimes_batch)
    crimes = crimes.filter(crimes.district == spec.district)
    rows: list[dict[str, object]] = crimes.select(
        "crime_ref", "recorded_date", "domestic_flag", "offence_code").to_pyarrow().to_pylist()
    return rows


def _draw(spec: SampleSpec, population: list[dict[str, object]]) -> tuple[tuple[Stratum, ...], pa.Table]:
    by_stratum: dict[str, dict[str, dict[str, object]]] = {s: {} for s in STRATA}
    for r in population:
        flag = r["domestic_flag"]
        by_stratum[stratum_of(None if flag is None else bool(flag))][str(r["crime_ref"])] = r
    sizes = allocate({s: len(c) for s, c in by_stratum.items()}, spec.size, spec.allocation)
    strata = tuple(Stratum(s, len(by_stratum[s]), n) for s, n in sizes.items())
    rows = [{"crime_ref": ref, "stratum": s.label, "draw_rank": rank,
             "recorded_date": by_stratum[s.label][ref]["recorded_date"],
             "domestic": by_stratum[s.label][ref]["domestic_flag"],
             "offence_code": by_stratum[s.label][ref]["offence_code"]}
            for s in strata for rank, ref in enumerate(draw_order(by_stratum[s.label], spec.seed)[:s.sample], start=1)]
    return strata, pa.Table.from_pylist(rows, schema=SAMPLE_CRIMES_SCHEMA)


def _write(store: Store, spec: SampleSpec, strata: tuple[Stratum, ...], crimes: pa.Table) -> int:
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    counts = RecordImport(spec.description, spec.sha256, rows_read=sum(s.population for s in strata),
                          rows_accepted=crimes.num_rows)
    batch = batch_row(SOURCE_KIND, counts, "sample", "", "audit sample", started)
    batch = with_counts(batch, crimes.num_rows)
    sample = pa.table({"district": [spec.district], "offence_family": [spec.family],
                       "period_start": [spec.period.start], "period_end": [spec.period.end],
                       "requested_size": [spec.size], "seed": [spec.seed], "allocation": [spec.allocation],
                       "crimes_batch": [spec.crimes_batch]},
                      schema=tables.SCHEMAS[tables.AUDIT_SAMPLES].to_pyarrow().remove(0))
    sizes = {s.label: s for s in strata}
    labels = crimes["stratum"].to_pylist()
    members = pa.table({
        "crime_ref": crimes["crime_ref"], "stratum": crimes["stratum"],
        "stratum_population": pa.array([sizes[s].population for s in labels], pa.int64()),
        "stratum_sample": pa.array([sizes[s].sample for s in labels], pa.int64()),
        "draw_rank": crimes["draw_rank"], "recorded_date": crimes["recorded_date"], "domestic": crimes["domestic"],
    })
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, SOURCE_KIND, spec.sha256)
        keep(tx, batch_id, (tables.AUDIT_SAMPLES, sample), (tables.AUDIT_SAMPLE_CRIMES, members),
             (tables.BATCHES, batch))
    return batch_id


def draw_sample(store: Store, district: str, period: Period, size: int, seed: int, *, family: str = "stalking",
                allocation: str = "equal", as_of: int | None = None, force: Force | None = None) -> AuditSample:
    """Draw (or find, when drawn before) the stratified sample of ``district``'s crimes in ``period``.

    ``district`` is a code, name or LAD code of one of the force's districts. An empty population,
    an unknown district, family or allocation, or a size below 1 raise :class:`ConfigError`.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> draw_sample(open_store(":memory:"), "Bradford", Period(dt.date(2021, 4, 1), dt.date(2021, 9, 30)), 15, 7)
    Traceback (most recent call last):
    ...
    stalking_profile.errors.ConfigError: the store has no crimes to sample
    Hint: ingest an extract first: stalking-profile ingest FILE
    """
    force = force or load_force()
    code = resolve_district(force, district)
    if allocation not in ALLOCATIONS:
        raise ConfigError(f"unknown allocation '{allocation}'", f"use one of: {', '.join(ALLOCATIONS)}")
    if not 1 <= size <= 1_000_000:
        raise ConfigError(f"the sample size must be from 1 to 1,000,000, not {size}",
                          "give --size a positive whole number (a dip sample is usually 10-30 crimes)")
    if not 0 <= seed < 2**63:
        raise ConfigError(f"the seed must be a whole number from 0 to {2**63 - 1:,}, not {seed}",
                          "give --seed a smaller whole number")
    load_config().family(family)  # an unknown family is refused before the store is read
    last = store.last_batch_id()
    if as_of is not None and (last is None or not 1 <= as_of <= last):
        raise ConfigError(f"--as-of {as_of} is not a batch of this store (batches 1 to {last or 0})",
                          "see `stalking-profile info` for the batches")
    crimes_batch = latest_crime_batch(store, as_of)
    if crimes_batch is None:
        raise ConfigError("the store has no crimes to sample", "ingest an extract first: stalking-profile ingest FILE")
    spec = SampleSpec(code, family, period, size, seed, allocation, crimes_batch)
    stored = previous_import(store, SOURCE_KIND, spec.sha256)
    if stored is not None:
        return load_sample(store, stored)
    population = _population(store, spec)
    if not population:
        raise ConfigError(f"no {family} crimes were recorded in {code} from {period.start} to {period.end}",
                          "check --district and --period against the store (`stalking-profile info`)")
    strata, crimes = _draw(spec, population)
    return AuditSample(_write(store, spec, strata, crimes), spec, strata, crimes, created=True)


def load_sample(store: Store, audit_id: int) -> AuditSample:
    """The stored sample ``audit_id``; a :class:`ConfigError` when there is none.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> load_sample(open_store(":memory:"), 3)
    Traceback (most recent call last):
    ...
    stalking_profile.errors.ConfigError: audit 3 is not a stored audit sample
    Hint: see `stalking-profile audit list` for the samples
    """
    s = store.table(tables.AUDIT_SAMPLES)
    rows = s.filter(s.batch_id == audit_id).to_pyarrow().to_pylist()
    if not rows:
        raise ConfigError(f"audit {audit_id} is not a stored audit sample", "see `stalking-profile audit list` for "
                          "the samples")
    r = rows[0]
    spec = SampleSpec(r["district"], r["offence_family"], Period(r["period_start"], r["period_end"]),
                      r["requested_size"], r["seed"], r["allocation"], r["crimes_batch"])
    c = store.table(tables.AUDIT_SAMPLE_CRIMES)
    members = c.filter(c.batch_id == audit_id).to_pyarrow().to_pylist()
    crimes = store.current_crimes(spec.crimes_batch)
    found = crimes.filter(crimes.crime_ref.isin([m["crime_ref"] for m in members])).select(
        "crime_ref", "offence_code").to_pyarrow().to_pylist()
    codes = {x["crime_ref"]: x["offence_code"] for x in found}
    members.sort(key=lambda m: (STRATA.index(m["stratum"]), m["draw_rank"]))
    strata = tuple(dict.fromkeys(Stratum(m["stratum"], m["stratum_population"], m["stratum_sample"])
                                 for m in members))
    table = pa.Table.from_pylist([{**{k: m[k] for k in ("crime_ref", "stratum", "draw_rank", "recorded_date",
                                                          "domestic")},
                                   "offence_code": codes.get(m["crime_ref"])} for m in members],
                                 schema=SAMPLE_CRIMES_SCHEMA)
    return AuditSample(audit_id, spec, strata, table)

