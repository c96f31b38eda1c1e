"""The cyber-enabled audit: the recorded flag against technology detected in the MO text.

The flag is a lower bound (officers leave it off when technology was used); the detector
(:mod:`stalking_profile.online.detector`) reads the MO text for it. Crimes are counted by
district and domestic flag as flagged and detected, flagged only, detected only (the
data-quality list) and neither; the *corrected* cyber-enabled share counts a crime that is
flagged or detected, with a Wilson interval.
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import by_district, within
from stalking_profile.metrics.stats import pct, wilson
from stalking_profile.online.cache import Ahead
from stalking_profile.online.cache import detections as cached_detections
from stalking_profile.online.detector import detect_many
from stalking_profile.online.lexicon import Lexicon
from stalking_profile.store.connection import Store

__all__ = ["CYBER_SCHEMA", "cyber", "with_detection"]

CYBER_SCHEMA = pa.schema([
    ("district", pa.string()), ("domestic", pa.string()), ("crimes", pa.int64()), ("with_mo", pa.int64()),
    ("flagged", pa.int64()), ("detected", pa.int64()), ("flagged_and_detected", pa.int64()),
    ("flagged_only", pa.int64()), ("detected_only", pa.int64()), ("neither", pa.int64()),
    ("flag_rate_pct", pa.float64()), ("corrected_pct", pa.float64()), ("corrected_ci_low", pa.float64()),
    ("corrected_ci_high", pa.float64()),
])
_MEASURES = ("crimes", "with_mo", "flagged", "detected", "flagged_and_detected", "flagged_only", "detected_only",
             "neither")


def with_detection(crimes: ibis.Table, lexicon: Lexicon | None = None, store: Store | None = None,
                   ahead: Ahead | None = None) -> ibis.Table:
    """``crimes`` with ``tech_detected``, ``tech_terms`` and ``tech_categories`` from its ``mo_text``.

    The texts are read once (each distinct text examined once) and the detections joined back
    by ``crime_ref``; a crime with no MO text is not detected. With ``store``, detections the
    store already holds for this detector version are reused and new ones kept
    (:mod:`stalking_profile.online.cache`), and those read ahead (``ahead``) taken from there.
    """
    texts = crimes.select("crime_ref", "mo_text").to_pyarrow()
    found = (cached_detections(store, texts["mo_text"].to_pylist(), lexicon, ahead) if store is not None
             else detect_many(texts["mo_text"].to_pylist(), lexicon))
    detections = ibis.memtable(pa.table({
        "crime_ref": texts["crime_ref"], "tech_detected": found["detected"], "tech_terms": found["terms"],
        "tech_categories": found["categories"],
    }))
    return crimes.left_join(detections, "crime_ref").drop("crime_ref_right")


def _flag(t: ibis.Table) -> ibis.BooleanValue:
    return t.cyber_flag.fill_null(False)


def _tech(t: ibis.Table) -> ibis.BooleanValue:
    return t.tech_detected.fill_null(False)


def cyber(crimes: ibis.Table, period: Period, force: Force) -> pa.Table:
    """Flagged against detected, by district and domestic flag (``crimes`` from :func:`with_detection`).

    ``flag_rate_pct`` is the recorded flag's share; ``corrected_pct`` the share flagged or
    detected, with its 95% Wilson interval. ``with_mo`` counts crimes with MO text: detection
    can only find what is written.
    """
    t = within(crimes, period)
    flag, tech = _flag(t), _tech(t)

    def count(condition: ibis.BooleanValue) -> ibis.IntegerValue:
        return condition.ifelse(1, 0).sum()

    grouped = t.group_by(["district", "domestic_flag"]).aggregate(
        crimes=t.count(), with_mo=count(t.mo_text.notnull() & (t.mo_text.strip() != "")),
        flagged=count(flag), detected=count(tech), flagged_and_detected=count(flag & tech),
        flagged_only=count(flag & ~tech), detected_only=count(~flag & tech), neither=count(~flag & ~tech),
    ).to_pyarrow().to_pylist()

    def build(district: str, domestic: str, sums: dict[str, int]) -> dict[str, Any]:
        corrected = sums["crimes"] - sums["neither"]
        low, high = wilson(corrected, sums["crimes"])
        return {"district": district, "domestic": domestic, **sums,
                "flag_rate_pct": pct(sums["flagged"], sums["crimes"]),
                "corrected_pct": pct(corrected, sums["crimes"]), "corrected_ci_low": low, "corrected_ci_high": high}

    return pa.Table.from_pylist(by_district(grouped, force, _MEASURES, build), schema=CYBER_SCHEMA)
