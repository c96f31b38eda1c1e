"""Building a worklist: the crimes of one offence family in a window that need someone's attention.

Every worklist's first columns are ``crime_ref, district, recorded_date, reason`` (DESIGN.md);
each row says why it is there. Worklists hold record-level data and are for internal use only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import pyarrow as pa

from stalking_profile.disclosure.audience import Audience, require_internal
from stalking_profile.errors import ConfigError
from stalking_profile.force import Force, load_force
from stalking_profile.metrics.config import ProfileConfig, load_config
from stalking_profile.metrics.cyber import with_detection
from stalking_profile.metrics.demographics import domestic_under_16
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.profile import resolve_window
from stalking_profile.metrics.selection import crimes_in, within
from stalking_profile.online.lexicon import Lexicon, load_lexicon
from stalking_profile.store.connection import Store

__all__ = ["LEAD_COLUMNS", "WORKLISTS", "Worklist", "WorklistRequest", "build_worklist"]

#: The first columns of every worklist, in order.
LEAD_COLUMNS = ("crime_ref", "district", "recorded_date", "reason")


@dataclass(frozen=True)
class WorklistRequest:
    """Which worklist, for which window (``period`` or ``to``), offence family and store state."""

    name: str
    period: str | None = None
    to: str | None = None
    family: str = "stalking"
    as_of: int | None = None
    audience: Audience = "internal"


@dataclass
class Worklist:
    """The rows of a worklist and what a reader needs to use them."""

    name: str
    title: str
    period: Period
    family: str
    as_of: int | None
    table: pa.Table
    notes: list[str] = field(default_factory=list)


def _cyber_flag(crimes: ibis.Table, lexicon: Lexicon) -> ibis.Table:
    t = with_detection(crimes, lexicon)
    t = t.filter(t.tech_detected.fill_null(False) & ~t.cyber_flag.fill_null(False))
    return t.select(
        "crime_ref", "district", "recorded_date",
        reason=ibis.literal("technology in the MO text (") + t.tech_terms + ibis.literal(") but no cyber-enabled flag"),
        domestic=t.domestic_flag.fill_null(False).ifelse("Domestic", "Non-Domestic"),
        offence_code=t.offence_code, matched_terms=t.tech_terms, categories=t.tech_categories,
    )


def _domestic_under_16(crimes: ibis.Table, period: Period) -> ibis.Table:
    return domestic_under_16(crimes, period)


@dataclass(frozen=True)
class _Spec:
    title: str
    build: Callable[[ibis.Table, Period, Lexicon], ibis.Table]


#: Worklist names and what each lists.
WORKLISTS: dict[str, _Spec] = {
    "cyber-flag": _Spec("Technology in the MO text but no cyber-enabled flag",
                        lambda crimes, period, lexicon: _cyber_flag(crimes, lexicon)),
    "domestic-under-16": _Spec("Domestic-flagged crimes with a victim or suspect under 16",
                               lambda crimes, period, lexicon: _domestic_under_16(crimes, period)),
}


def build_worklist(
    store: Store, request: WorklistRequest, force: Force | None = None, config: ProfileConfig | None = None,
    lexicon: Lexicon | None = None,
) -> Worklist:
    """The worklist ``request.name`` for the window asked (default: the last 12 complete months).

    Rows are ordered by district, recorded date and crime reference.
    """
    require_internal(request.audience, f"the {request.name} worklist")
    spec = WORKLISTS.get(request.name)
    if spec is None:
        raise ConfigError(f"unknown worklist '{request.name}'", f"use one of: {', '.join(WORKLISTS)}")
    force = force or load_force()
    codes = (config or load_config()).family(request.family)
    period, as_of, _ = resolve_window(store, request.period, request.to, request.as_of, force)
    crimes = within(crimes_in(store, codes, None, as_of), period)
    rows = spec.build(crimes, period, lexicon or load_lexicon())
    table = rows.order_by(["district", "recorded_date", "crime_ref"]).to_pyarrow()
    notes = [f"{spec.title}: {table.num_rows:,} crime{'s' if table.num_rows != 1 else ''}, {request.family} "
             f"({', '.join(codes)}), recorded {period.start} to {period.end}; store as after batch {as_of}.",
             "OFFICIAL-SENSITIVE: record-level data for internal use only."]
    return Worklist(request.name, spec.title, period, request.family, as_of, table, notes)
