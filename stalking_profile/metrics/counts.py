"""Crime counts by district and domestic-abuse flag: the first table of the profile."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.schema.codes import OFFENCE_FAMILIES
from stalking_profile.store.connection import Store

__all__ = ["counts_by_district"]


def counts_by_district(
    store: Store,
    start: dt.date,
    end: dt.date,
    force: Force,
    family: str = "stalking",
    as_of: int | None = None,
) -> pa.Table:
    """Crimes of an offence family recorded from ``start`` to ``end`` (inclusive).

    Returns one row per district in the force's order, then ``Force``, with columns
    ``district, all, domestic, non_domestic``; districts with no crimes show zeros.
    """
    crimes = store.current_crimes(as_of)
    codes = list(OFFENCE_FAMILIES[family])
    window = crimes.filter(
        crimes.offence_code.isin(codes),
        crimes.recorded_date >= ibis.literal(start),
        crimes.recorded_date <= ibis.literal(end),
    )
    grouped = window.group_by("district").aggregate(
        all=window.count(),
        domestic=window.domestic_flag.ifelse(1, 0).sum(),
    ).to_pyarrow().to_pylist()
    found = {r["district"]: (int(r["all"]), int(r["domestic"] or 0)) for r in grouped}
    rows = []
    for code in (*force.district_codes, "Force"):
        total, domestic = found.get(code, (0, 0)) if code != "Force" else (
            sum(v[0] for v in found.values()), sum(v[1] for v in found.values()))
        rows.append({"district": code, "all": total, "domestic": domestic, "non_domestic": total - domestic})
    return pa.Table.from_pylist(rows)
