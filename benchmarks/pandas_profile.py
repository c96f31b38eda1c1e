"""The profile's core tables computed with plain pandas: the baseline `make bench` compares against.

Deliberately idiomatic pandas (boolean masks, groupby, pivot_table, rolling) on a DataFrame of the
current crimes, producing the same numbers as stalking_profile.metrics for one window.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

GROUPS = {
    "charged": ["1", "1A"], "ooc_formal": ["2", "2A", "3", "3A", "6"], "ooc_informal": ["7", "8"], "div": ["22"],
    "tic": ["4"], "prevented": ["5", "9", "10", "11", "12", "13", "17"], "ed_supports": ["15"],
    "ed_not": ["14", "16"], "no_suspect": ["18"], "nfib": ["19"], "transferred": ["20"], "npi": ["21"],
    "one_to_eight": ["1", "1A", "2", "2A", "3", "3A", "4", "5", "6", "7", "8"], "sixteen": ["16"],
}


def pandas_tables(crimes: pd.DataFrame, start: dt.date, end: dt.date, prev_start: dt.date) -> dict[str, pd.DataFrame]:
    s = crimes[crimes.offence_code == "8Q"]
    date = pd.to_datetime(s.recorded_date)
    cur = s[(date >= pd.Timestamp(start)) & (date <= pd.Timestamp(end))]
    prev = s[(date >= pd.Timestamp(prev_start)) & (date < pd.Timestamp(start))]
    out: dict[str, pd.DataFrame] = {}
    counts = pd.concat({"current": cur.groupby(["district", "domestic_flag"]).size(),
                        "previous": prev.groupby(["district", "domestic_flag"]).size()}, axis=1).fillna(0)
    out["volumes"] = counts.assign(change_pct=(counts.current - counts.previous) / counts.previous * 100)
    out["volumes_by_relationship"] = pd.concat({"current": cur.groupby("relationship").size(),
                                                "previous": prev.groupby("relationship").size()}, axis=1)
    monthly = s.assign(month=date.dt.to_period("M")).groupby(["month", "domestic_flag"]).size().unstack(fill_value=0)
    out["rolling_12m"] = monthly.rolling(12).sum()
    for flag, name in ((True, "outcomes_domestic"), (False, "outcomes_non_domestic")):
        sub = cur[cur.domestic_flag == flag].fillna({"outcome": "(blank)"})
        out[name] = sub.pivot_table(index="outcome", columns="district", values="crime_ref", aggfunc="count",
                                    fill_value=0, margins=True)
    base = cur.outcome_type.str.replace(r"[A-Z]+$", "", regex=True)
    for key, codes in GROUPS.items():
        cur = cur.assign(**{key: cur.outcome_type.isin(codes) | base.isin(codes)})
    out["outcome_groups"] = cur.groupby("domestic_flag")[list(GROUPS)].mean() * 100
    month = pd.to_datetime(cur.recorded_date).dt.to_period("M")
    out["outcome_maturity"] = cur.assign(month=month).groupby(["month", "domestic_flag"])[list(GROUPS)].mean() * 100
    out["arrests"] = cur.groupby(["district", "domestic_flag"]).arrest_made.agg(["size", "sum", "mean"])
    assessed = cur.risk_assessment.isin(["DASH", "DARA", "S-DASH"])
    out["risk_assessment"] = cur.assign(assessed=assessed).groupby(["district", "domestic_flag"]).assessed.agg(
        ["size", "sum", "mean"])
    return out
