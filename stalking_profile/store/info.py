"""What is in a store: batches, row counts, date range, districts (for `stalking-profile info`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import pyarrow as pa

from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import KEY_FINGERPRINT

__all__ = ["StoreInfo", "store_info"]


@dataclass(frozen=True)
class StoreInfo:
    """A summary of a store's contents."""

    target: str
    engine: str
    schema_version: int
    key_fingerprint: str | None
    batches: pa.Table
    row_counts: dict[str, int]
    first_recorded: dt.date | None
    last_recorded: dt.date | None
    by_district: pa.Table
    by_offence: pa.Table


def store_info(store: Store) -> StoreInfo:
    """Summarise ``store``."""
    current = store.current_crimes()
    counts = {name: int(store.table(name).count().to_pyarrow().as_py())
              for name in (tables.CRIMES, tables.ROW_ISSUES, tables.REJECTED_ROWS, tables.LINKAGE_TOKENS)}
    counts["current_crimes"] = int(current.count().to_pyarrow().as_py())
    span = current.aggregate(first=current.recorded_date.min(), last=current.recorded_date.max()).to_pyarrow()
    b = store.table(tables.BATCHES)
    batches = b.select("batch_id", "file_name", "finished_at", "rows_read", "rows_accepted", "rows_rejected",
                       "rows_new", "rows_changed", "rows_unchanged").order_by("batch_id").to_pyarrow()
    by_district = (current.group_by("district").aggregate(crimes=current.count())
                   .order_by("district").to_pyarrow())
    offences = current.group_by("offence_code").aggregate(crimes=current.count())
    by_offence = offences.order_by([ibis.desc("crimes"), "offence_code"]).to_pyarrow()
    return StoreInfo(store.target, store.engine, store.schema_version, store.meta(KEY_FINGERPRINT), batches,
                     counts, span["first"][0].as_py(), span["last"][0].as_py(), by_district, by_offence)
