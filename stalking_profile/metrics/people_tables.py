"""The profile's online and demographic tables, with the notes that explain them.

``cyber`` (flagged against detected), ``demographics_victims``, ``demographics_suspects`` and
``demographics_quality``; the notes name the largest age groups, the detector's measured
quality and every data-quality problem found (unknown codes, impossible ages, domestic flags on
crimes with a party under 16), so nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.cyber import cyber, with_detection
from stalking_profile.metrics.demographics import (
    DemographicsConfig,
    demographic_quality,
    demographics,
    largest_age_group,
    unknown_ethnicity_codes,
)
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import within
from stalking_profile.online.cache import Ahead
from stalking_profile.online.lexicon import Lexicon
from stalking_profile.store.connection import Store

__all__ = ["PEOPLE_COLUMNS", "people_tables"]

#: The stored columns these tables read, beyond the core ones.
PEOPLE_COLUMNS = ("cyber_flag", "mo_text", "victim_id", "victim_age", "victim_sex", "victim_ethnicity", "suspect_id",
                  "suspect_age", "suspect_sex", "suspect_ethnicity")


def _quality_notes(quality: pa.Table, unknown: list[dict[str, Any]]) -> list[str]:
    notes = []
    for row in quality.to_pylist():
        n = int(row["crimes"])
        if not n:
            continue
        crimes = f"{n:,} crime{'s' if n != 1 else ''}"
        if row["issue"] == "unknown ethnicity code":
            codes = sorted({r["code"] for r in unknown if r["role"] == row["role"]})
            shown = ", ".join(codes[:8]) + (" ..." if len(codes) > 8 else "")
            notes.append(f"Data quality: {crimes} record a {row['role']} ethnicity code the mapping does not know "
                         f"({shown}); counted as Not stated/unknown. Add them to demographics.toml.")
        elif row["issue"] == "age out of range":
            notes.append(f"Data quality: {crimes} record a {row['role']} age below 0 or above the configured "
                         "maximum; counted as unknown.")
        elif row["issue"] == "domestic flag with a party under 16":
            notes.append(f"Data quality: {crimes} carry a domestic flag although the {row['role']} is under 16 "
                         "(domestic abuse is defined between people aged 16 or over); see "
                         "`stalking-profile worklist domestic-under-16`.")
    return notes


def people_tables(
    crimes: ibis.Table, period: Period, force: Force, lexicon: Lexicon, config: DemographicsConfig,
    store: Store | None = None, ahead: Ahead | None = None,
) -> tuple[dict[str, pa.Table], list[str]]:
    """The cyber audit and demographic tables for ``period``, and their notes (``store``: where
    detections are cached; ``ahead``: detections being read in a second process)."""
    current = with_detection(within(crimes, period), lexicon, store, ahead)
    tables = {
        "cyber": cyber(current, period, force),
        "demographics_victims": demographics(current, period, "victim", config),
        "demographics_suspects": demographics(current, period, "suspect", config),
        "demographics_quality": demographic_quality(current, period, config),
    }
    notes = []
    force_all = {r["domestic"]: r for r in tables["cyber"].to_pylist() if r["district"] == "Force"}.get("All")
    if force_all and force_all["crimes"]:
        notes.append(
            f"Cyber-enabled: {force_all['flag_rate_pct']}% of crimes carry the flag; counting crimes whose MO text "
            f"shows technology too gives {force_all['corrected_pct']}% (95% CI {force_all['corrected_ci_low']}-"
            f"{force_all['corrected_ci_high']}%). {force_all['detected_only']:,} crimes show technology without "
            "the flag (`stalking-profile worklist cyber-flag`). Detection reads the MO text only "
            f"({force_all['with_mo']:,} of {force_all['crimes']:,} crimes have one).")
    for role in ("victims", "suspects"):
        table = tables[f"demographics_{role}"]
        if table.num_rows:
            notes.append(largest_age_group(table))
    notes.append("Demographics: 'crimes' counts each crime once with that crime's victim or suspect; 'persons' "
                 "counts each pseudonymous id once with their latest crime's details (crimes without an id are "
                 "left out of that basis), so persons do not add up across Domestic and Non-Domestic.")
    quality = tables["demographics_quality"]
    unknown_codes = any(r["crimes"] for r in quality.to_pylist() if r["issue"] == "unknown ethnicity code")
    # which codes are unknown is one more query, asked only when there are some
    codes = unknown_ethnicity_codes(current, period, config).to_pylist() if unknown_codes else []
    notes += _quality_notes(quality, codes)
    return tables, notes
