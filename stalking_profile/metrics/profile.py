"""The profile: every core table for one window, offence family and store state, with notes.

:func:`build_profile` is the one entry point the CLI, the report and (later) the web app use;
each table comes from one analysis function in this package.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import ibis
import pyarrow as pa

from stalking_profile.disclosure.audience import Audience, marking
from stalking_profile.disclosure.protect import Protection
from stalking_profile.errors import ConfigError
from stalking_profile.force import Force, load_force
from stalking_profile.metrics.case_tables import case_tables
from stalking_profile.metrics.config import ProfileConfig, load_config
from stalking_profile.metrics.demographics import DemographicsConfig, load_demographics_config
from stalking_profile.metrics.geography_tables import geography_tables
from stalking_profile.metrics.handling import arrests, handling_by_relationship, risk_assessment
from stalking_profile.metrics.outcomes import (
    outcome_groups,
    outcome_groups_by_relationship,
    outcome_maturity,
    outcomes_by_district,
)
from stalking_profile.metrics.people_tables import PEOPLE_COLUMNS, people_tables
from stalking_profile.metrics.periods import Period, month_end, parse_period, shift_months
from stalking_profile.metrics.selection import crimes_in, within
from stalking_profile.metrics.stats import LIBRARIES
from stalking_profile.metrics.trends import rolling_12m
from stalking_profile.metrics.volumes import volumes, volumes_by_relationship
from stalking_profile.online.cache import detections_ahead
from stalking_profile.online.lexicon import Lexicon, load_lexicon
from stalking_profile.parallel import import_in_background
from stalking_profile.people.review import risk_tables, with_stored_forms
from stalking_profile.people.settings import RiskSettings, load_risk_settings
from stalking_profile.store.connection import Store

__all__ = ["Profile", "ProfileRequest", "build_profile", "resolve_window", "store_span"]


@dataclass(frozen=True)
class ProfileRequest:
    """What to build: ``period`` (START:END) or ``to`` (YYYY-MM), family, store state."""

    period: str | None = None
    to: str | None = None
    family: str = "stalking"
    as_of: int | None = None
    permutations: int | None = None  # hot-spot permutations; None = DEFAULT_PERMUTATIONS
    seed: int = 0
    exclude_suspect_home_online: bool = False  # leave cyber-enabled crimes located at the suspect's home off the map
    geography: bool = True  # placement, wards, hot spots; False gives the core tables only (faster)
    audience: Audience = "internal"  # partner and public: small counts suppressed (stalking_profile.disclosure)
    suppress_below: int = 5  # for partner and public audiences: counts from 1 to this minus one are hidden
    cumulative: bool = True  # cumulative-risk and allocation tables (internal audience only)


@dataclass
class Profile:
    """Named tables plus what a reader needs to interpret them."""

    period: Period
    previous: Period
    family: str
    codes: tuple[str, ...]
    as_of: int | None
    tables: dict[str, pa.Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    audience: Audience = "internal"
    suppression: Protection | None = None  # what disclosure control hid, for partner and public audiences

    @property
    def marking(self) -> str:
        """The protective marking for the profile's audience."""
        return marking(self.audience)


def store_span(store: Store, as_of: int | None = None) -> tuple[dt.date, dt.date] | None:
    """First and last recorded dates of all current crimes, or ``None`` for an empty store."""
    crimes = store.current_crimes(as_of)
    span = crimes.aggregate(first=crimes.recorded_date.min(), last=crimes.recorded_date.max()).to_pyarrow()
    first, last = span["first"][0].as_py(), span["last"][0].as_py()
    return None if first is None else (first, last)


def _check_as_of(store: Store, as_of: int | None) -> None:
    if as_of is None:
        return
    last = store.last_batch_id()
    if last is None or not 1 <= as_of <= last:
        raise ConfigError(f"--as-of {as_of} is not a batch of this store (batches 1 to {last or 0})",
                          "see `stalking-profile info` for the batches")


def _notes(profile: Profile, config: ProfileConfig, span: tuple[dt.date, dt.date]) -> list[str]:
    notes = [f"Window: {profile.period.start} to {profile.period.end} ({profile.period.label}); "
             f"compared with {profile.previous.start} to {profile.previous.end}.",
             f"Offence family '{profile.family}': Home Office codes {', '.join(profile.codes)}."]
    if profile.as_of is not None:
        notes.append(f"Figures as the store stood after batch {profile.as_of}.")
    for b in config.recording_breaks:
        start = dt.date.fromisoformat(b.month + "-01")
        if profile.previous.start < start <= profile.period.end:
            notes.append(f"Recording-rule change inside the compared windows: {b.note}. "
                         "Changes across it are not like-for-like.")
    if profile.previous.end < span[0]:
        notes.append(f"The store starts on {span[0]}: the previous window has no data, so changes are not shown "
                     "as meaningful.")
    elif profile.previous.start < span[0]:
        notes.append(f"The store starts on {span[0]}: the previous window is only partly covered.")
    if profile.period.end > span[1]:
        notes.append(f"The store ends on {span[1]}: the window runs {(profile.period.end - span[1]).days} days past "
                     "the data, so its counts are incomplete.")
    for name, table in profile.tables.items():
        if table.num_rows == 0:
            notes.append(f"{name}: no data for this window and offence family.")
    for name, field_name in (("arrests", "arrest_made"), ("risk_assessment", "risk_assessment")):
        table = profile.tables.get(name)
        if table is not None and table.num_rows and table["rate_pct"].null_count == table.num_rows:
            notes.append(f"{name}: the extract records no {field_name} for these crimes, so no rates are given.")
    notes.append("Outcomes are those recorded by the time of the extract: crimes recorded late in the window "
                 "have had less time to reach one (see outcome_maturity).")
    return notes


#: The columns the core tables read.
_COLUMNS = ("crime_ref", "recorded_date", "district", "domestic_flag", "relationship", "outcome", "outcome_type",
            "arrest_made", "risk_assessment", *PEOPLE_COLUMNS)


def resolve_window(
    store: Store, period: str | None, to: str | None, as_of: int | None, force: Force
) -> tuple[Period, int | None, tuple[dt.date, dt.date]]:
    """The window asked for (``--period`` or ``--to``; default the last 12 complete months), the
    batch the figures stand at (the latest when not given, so a figure can be re-derived), and the
    store's span; checks that the window meets the data and the districts meet the force."""
    _check_as_of(store, as_of)
    span = store_span(store, as_of)
    if span is None:
        raise ConfigError("the store has no crimes", "ingest an extract first: stalking-profile ingest FILE")
    window = parse_period(period, to, span[1])
    if window.end < span[0] or window.start > span[1]:
        raise ConfigError(f"the window {window.start} to {window.end} is outside the data ({span[0]} to {span[1]})",
                          "choose --to or --period within the store's dates (see `stalking-profile info`)")
    as_of = as_of if as_of is not None else store.last_batch_id()
    _check_districts(store, force, as_of)
    return window, as_of, span


def build_profile(
    store: Store, request: ProfileRequest | None = None, force: Force | None = None,
    config: ProfileConfig | None = None, lexicon: Lexicon | None = None,
    demographics_config: DemographicsConfig | None = None, risk: RiskSettings | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Profile:
    """Build every core table for the requested window (default: the last 12 complete months).

    ``meanwhile`` is started in a thread if this process, every other table built, has to wait for
    the hot spots' second processes (the report starts its chart renderer there)."""
    req = request or ProfileRequest()
    force = force or load_force()
    config = config or load_config()
    lexicon = lexicon or load_lexicon()
    demographics_config = demographics_config or load_demographics_config()
    codes = config.family(req.family)
    if req.permutations is not None and req.permutations < 99:
        raise ConfigError(f"{req.permutations} permutations are too few for hot-spot p-values",
                          "use --permutations 99 or more (9999, the default, for published figures)")
    period, as_of, span = resolve_window(store, req.period, req.to, req.as_of, force)
    req = dataclasses.replace(req, as_of=as_of)
    profile = Profile(period, period.previous(), req.family, codes, as_of)
    # the rolling series ends with the last month wholly inside the window
    last = period.end if period.end == month_end(period.end.year, period.end.month) else shift_months(period.end, -1)
    family = with_stored_forms(crimes_in(store, codes, None, as_of).select(*_COLUMNS), store, as_of)
    with ExitStack() as stack:
        crimes = stack.enter_context(store.materialised(family))
        texts = within(crimes, period).mo_text.to_pyarrow().to_pylist()
        # the window's MO texts are read in a second process while the core and risk tables are built
        ahead = stack.enter_context(detections_ahead(store, texts, lexicon))
        # the statistics libraries (a second or more to import) come after the MO texts' process is
        # forked and before the hot spots' are (a process forked while a module is half imported
        # could not import it), and never from two threads at once (a module one thread has half
        # imported can reach the other half made): the core tables' here, then the hot spots' in a
        # thread while the core tables are built
        for name in LIBRARIES:
            importlib.import_module(name)
        imported = import_in_background("esda", "statsmodels.stats.multitest") if req.geography else _nothing
        profile.tables = {
            "volumes": volumes(crimes, period, force),
            "volumes_by_relationship": volumes_by_relationship(crimes, period),
            "rolling_12m": rolling_12m(crimes, (last.year, last.month), config.recording_breaks),
            "outcomes_domestic": outcomes_by_district(crimes, period, force, True),
            "outcomes_non_domestic": outcomes_by_district(crimes, period, force, False),
            "outcome_groups": outcome_groups(crimes, period, config.outcome_groups),
            "outcome_maturity": outcome_maturity(crimes, period, config.outcome_groups),
            "outcome_groups_by_relationship": outcome_groups_by_relationship(crimes, period, config.outcome_groups),
            "arrests": arrests(crimes, period, force),
            "risk_assessment": risk_assessment(crimes, period, force),
            "handling_by_relationship": handling_by_relationship(crimes, period),
        }
        imported()
        # the hot-spot statistics run in second processes from here on, and the MO texts' process may still
        # be running: the risk and case tables are built first, so the people tables wait the least for it
        geography = stack.enter_context(geography_tables(store, period, req, force, config)) if req.geography else None
        later: dict[str, pa.Table] = {}
        later_notes: list[str] = []
        if req.cumulative and req.audience == "internal":
            tables, risk_notes = risk_tables(store, codes, period, force, risk or load_risk_settings(), as_of)
            later.update(tables)
            later_notes += risk_notes
        if req.audience == "internal":
            cases, case_notes = case_tables(store, period, force, as_of)
            later.update(cases)
            later_notes += case_notes
        people, people_notes = people_tables(crimes, period, force, lexicon, demographics_config, store, ahead)
        profile.tables.update(people | later)  # in this order in every output
        people_notes = people_notes + later_notes
        in_window = _count(within(crimes, period)) + _count(within(crimes, profile.previous))
        geography_result, geography_notes = geography(meanwhile) if geography is not None else ({}, [])
    empty_notes = []
    if in_window == 0:  # the contract: a table with no data has its header and no rows
        profile.tables = {name: t.schema.empty_table() for name, t in profile.tables.items()}
        empty_notes.append(f"No {req.family} crimes in the window or the one before it: the tables are empty.")
    profile.tables.update(geography_result)
    profile.notes = _notes(profile, config, span) + (people_notes if in_window else []) + empty_notes + geography_notes
    if req.audience != "internal":
        from stalking_profile.disclosure.apply import disclose

        profile = disclose(profile, req.audience, force.district_codes, config, req.suppress_below)
    return profile


def _nothing() -> None:
    return None


def _count(t: ibis.Table) -> int:
    return int(t.count().to_pyarrow().as_py())


def _check_districts(store: Store, force: Force, as_of: int | None) -> None:
    crimes = store.current_crimes(as_of)
    present = set(crimes.select("district").distinct().to_pyarrow()["district"].to_pylist())
    unknown = sorted(present - set(force.district_codes))
    if unknown:
        raise ConfigError(f"the store holds districts {', '.join(unknown)} that the force configuration lacks",
                          "use the force configuration the store was built with (--force or STALKING_PROFILE_FORCE)")

