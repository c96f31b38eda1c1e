"""Referral measures: victims referred to specialist stalking advocacy, and crimes with no referral.

Both start from the stalking crimes (the ``stalking`` offence family of the profile configuration)
recorded in the period, in their current version (or as the store stood after batch ``as_of``,
which also limits the referral events to those batches). A referral belongs to a crime; the
victim is the crime's pseudonymous ``victim_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.config import load_config
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import by_district, crimes_in, flag_label
from stalking_profile.metrics.stats import pct, wilson
from stalking_profile.referrals.services import load_services
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["REFERRAL_TABLE_SCHEMA", "UNREFERRED_COLUMNS", "referral_table", "unreferred"]

REFERRAL_TABLE_SCHEMA = pa.schema([
    ("district", pa.string()), ("domestic", pa.string()), ("crimes", pa.int64()), ("victims", pa.int64()),
    ("referred_specialist", pa.int64()), ("rate_pct", pa.float64()), ("ci_low", pa.float64()),
    ("ci_high", pa.float64()), ("accepted", pa.int64()),
])
#: The first columns of :func:`unreferred`, in order.
UNREFERRED_COLUMNS = ("crime_ref", "district", "recorded_date", "reason")


def _stalking(store: Store, period: Period, as_of: int | None) -> ibis.Table:
    return crimes_in(store, load_config().family("stalking"), period, as_of)


def _events(store: Store, as_of: int | None) -> ibis.Table:
    events = store.table(tables.REFERRAL_EVENTS)
    return events if as_of is None else events.filter(events.batch_id <= as_of)


def _crime_flags(store: Store, period: Period, as_of: int | None) -> list[dict[str, Any]]:
    """One row per stalking crime in the period: district, flag, victim and its referral flags."""
    specialist = list(load_services().specialist)
    events = _events(store, as_of)
    per_crime = events.group_by("crime_ref").aggregate(
        referred=(events.service.isin(specialist) & events.status.isin(["made", "accepted"])).ifelse(1, 0).max(),
        accepted=(events.service.isin(specialist) & (events.status == "accepted")).ifelse(1, 0).max(),
    )
    crimes = _stalking(store, period, as_of).select("crime_ref", "district", "domestic_flag", "victim_id")
    joined = crimes.left_join(per_crime, "crime_ref").select(
        "district", "domestic_flag", "victim_id", referred=ibis._.referred.fill_null(0),
        accepted=ibis._.accepted.fill_null(0))
    rows: list[dict[str, Any]] = joined.to_pyarrow().to_pylist()
    return rows


def referral_table(store: Store, period: Period, force: Force, as_of: int | None = None) -> pa.Table:
    """Victims of stalking referred to specialist stalking advocacy, by district and domestic flag.

    Rows are each district (force order) then ``Force``, each as All, Domestic and Non-Domestic.

    - ``crimes``: stalking crimes recorded in the period;
    - ``victims``: distinct pseudonymous victim ids among them (crimes with no victim id count as
      crimes only);
    - ``referred_specialist``: those victims with a made or accepted referral to a specialist
      stalking service (``specialist_stalking = true``: ISAC, Paladin, National Stalking Helpline)
      on one of these crimes, whenever the referral is dated;
    - ``rate_pct``: ``referred_specialist`` as a percentage of ``victims``, with a 95% Wilson
      interval (``ci_low``, ``ci_high``);
    - ``accepted``: victims whose specialist referral on one of these crimes was accepted.

    A victim is counted once in each row, however many crimes they have in it (so a district's
    Domestic and Non-Domestic victims can add up to more than its All victims).

    Notes
    -----
    Wilson (1927) interval, via :func:`stalking_profile.metrics.stats.wilson`.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> from stalking_profile.force import load_force
    >>> from stalking_profile.metrics.periods import parse_period
    >>> store = open_store(":memory:")
    >>> t = referral_table(store, parse_period("2021-01-01:2021-12-31"), load_force())
    >>> t.num_rows == 3 * (len(load_force().district_codes) + 1), t.column_names[:4]
    (True, ['district', 'domestic', 'crimes', 'victims'])
    """
    crimes = _crime_flags(store, period, as_of)
    victims: dict[tuple[str, str], dict[str, set[str]]] = {}
    for r in crimes:
        if r["victim_id"] is None:
            continue
        for district in (r["district"], "Force"):
            for label in ("All", flag_label(bool(r["domestic_flag"]))):
                cell = victims.setdefault((district, label), {"victims": set(), "referred": set(), "accepted": set()})
                cell["victims"].add(r["victim_id"])
                for measure in ("referred", "accepted"):
                    if r[measure]:
                        cell[measure].add(r["victim_id"])

    def build(district: str, domestic: str, sums: dict[str, int]) -> dict[str, Any]:
        cell = victims.get((district, domestic), {})
        base, referred = len(cell.get("victims", ())), len(cell.get("referred", ()))
        low, high = wilson(referred, base)
        return {"district": district, "domestic": domestic, "crimes": sums["crimes"], "victims": base,
                "referred_specialist": referred, "rate_pct": pct(referred, base), "ci_low": low, "ci_high": high,
                "accepted": len(cell.get("accepted", ()))}

    grouped = [{**r, "crimes": 1} for r in crimes]
    return pa.Table.from_pylist(by_district(grouped, force, ("crimes",), build), schema=REFERRAL_TABLE_SCHEMA)


def unreferred(store: Store, period: Period, days: int, as_of: int | None = None) -> ibis.Table:
    """Stalking crimes recorded in the period, at least ``days`` days before its end, with no
    referral event of any kind (offered, made, accepted or declined; any service) stored.

    The first columns are ``crime_ref, district, recorded_date, reason``; then ``victim_id``,
    ``domestic_flag`` and ``offence_code``. Ordered by recorded date then crime_ref.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> from stalking_profile.metrics.periods import parse_period
    >>> t = unreferred(open_store(":memory:"), parse_period("2021-01-01:2021-12-31"), 28)
    >>> t.columns[:4]
    ('crime_ref', 'district', 'recorded_date', 'reason')
    """
    if days < 0:
        raise ValueError(f"days must be 0 or more, not {days}")
    cutoff = period.end - dt.timedelta(days=days)
    crimes = _stalking(store, period, as_of)
    crimes = crimes.filter(crimes.recorded_date <= ibis.literal(cutoff))
    events = _events(store, as_of).select("crime_ref").distinct()
    missing = crimes.anti_join(events, "crime_ref")
    reason = ibis.literal(f"no referral recorded {days} days after recording")
    return missing.select(*UNREFERRED_COLUMNS[:3], reason=reason, victim_id=missing.victim_id,
                          domestic_flag=missing.domestic_flag,
                          offence_code=missing.offence_code).order_by(["recorded_date", "crime_ref"])
