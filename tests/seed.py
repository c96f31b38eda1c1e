"""The seed report's tables, typed in from ../shared/seed, and a record-level extract consistent
with every number in them (the acceptance fixture of the profile tables).

The seed has one inconsistency: Wakefield domestic stalking is 833 on page 3 and 832 in the
domestic outcome table. The fixture follows page 3 and gives the extra crime no outcome, so
Wakefield's ``(blank)`` is 157 (the seed prints 156) and the domestic Totals are 5,669.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import write_csv

DISTRICTS = ("BD", "CD", "KD", "LD", "WD")

#: Page 3: stalking by district, domestic and non-domestic, for the two 12-month windows.
VOLUMES = {
    "current": {"Domestic": (1434, 528, 948, 1926, 833), "Non-Domestic": (137, 37, 71, 162, 53)},
    "previous": {"Domestic": (694, 304, 499, 1010, 439), "Non-Domestic": (103, 33, 55, 111, 38)},
}
#: Page 3's change row, as printed.
CHANGE = {
    "All": (97.1, 67.7, 83.9, 86.3, 85.7, 86.5),
    "Domestic": (106.6, 73.7, 90.0, 90.7, 89.7, 92.4),
    "Non-Domestic": (33.0, 12.1, 29.1, 45.9, 39.5, 35.3),
}

#: Last pages: "Outcomes - Domestic", BD CD KD LD WD (Force is their sum).
OUTCOMES_DOMESTIC = {
    "1: CHARGED": (15, 12, 8, 22, 11),
    "1: SUMMONSED/POSTAL REQUISITION": (1, 0, 0, 2, 3),
    "1A: ALTERNATE OFFENCE CHARGED": (7, 6, 6, 19, 2),
    "1A: ALTERNATE OFFENCE SUMMONSED/POSTAL REQUISITION": (3, 1, 2, 8, 2),
    "3: ADULT CAUTION": (0, 0, 0, 1, 0),
    "3: ADULT CONDITIONAL CAUTION": (5, 2, 1, 3, 0),
    "3A: ALTERNATE OFFENCE ADULT CAUTION": (0, 0, 0, 0, 0),
    "3A: ALTERNATE OFFENCE ADULT CONDITIONAL CAUTION": (2, 1, 1, 3, 2),
    "5: OFFENDER HAS DIED": (1, 1, 0, 0, 0),
    "8: COMMUNITY RESOLUTION": (0, 1, 2, 0, 0),
    "10: POLICE - FORMAL ACTION NOT IN PUBLIC INTEREST": (1, 1, 1, 0, 0),
    "12: NAMED SUSPECT TOO ILL TO PROSECUTE": (1, 0, 0, 1, 1),
    "13: NAMED SUSPECT BUT VICTIM/KEY WITNESS DECEASED OR TOO ILL": (1, 0, 1, 0, 0),
    "14: VICTIM DECLINES/UNABLE TO SUPPORT ACTION TO IDENTIFY OFFENDER": (2, 1, 1, 2, 1),
    "15: CPS - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES": (38, 18, 12, 60, 13),
    "15: POLICE - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES": (332, 131, 236, 478, 229),
    "16: VICTIM DECLINES/WITHDRAWS SUPPORT - NAMED SUSPECT IDENTIFIED": (762, 273, 481, 988, 402),
    "17: SUSPECT IDENTIFIED BUT PROSECUTION TIME LIMIT EXPIRED": (2, 1, 5, 8, 2),
    "18: INVESTIGATION COMPLETE NO SUSPECT IDENTIFIED": (11, 0, 8, 13, 8),
    "20: OTHER BODY/AGENCY HAS INVESTIGATION PRIMACY": (0, 0, 1, 1, 0),
    "21: POLICE - NAMED SUSPECT, INVESTIGATION NOT IN THE PUBLIC INTEREST": (0, 0, 2, 0, 0),
    "22: DIVERSIONARY, EDUCATIONAL OR INTERVENTION ACTIVITY NOT IN PUBLIC INTEREST TO TAKE FURTHER ACTION":
        (0, 0, 2, 2, 0),
    "(blank)": (250, 79, 178, 315, 156),
}
#: Last page: "Outcome - Non Domestic".
OUTCOMES_NON_DOMESTIC = {
    "1: CHARGED": (3, 0, 1, 7, 0),
    "1: SUMMONSED/POSTAL REQUISITION": (0, 0, 0, 0, 1),
    "1A: ALTERNATE OFFENCE SUMMONSED/POSTAL REQUISITION": (0, 0, 0, 1, 0),
    "3: ADULT CONDITIONAL CAUTION": (2, 0, 0, 0, 1),
    "3A: ALTERNATE OFFENCE ADULT CAUTION": (0, 0, 0, 1, 0),
    "8: COMMUNITY RESOLUTION": (0, 0, 0, 0, 1),
    "12: NAMED SUSPECT TOO ILL TO PROSECUTE": (0, 0, 0, 1, 0),
    "14: VICTIM DECLINES/UNABLE TO SUPPORT ACTION TO IDENTIFY OFFENDER": (3, 3, 1, 0, 0),
    "15: CPS - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES": (2, 0, 0, 0, 0),
    "15: POLICE - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES": (27, 10, 21, 35, 14),
    "16: VICTIM DECLINES/WITHDRAWS SUPPORT - NAMED SUSPECT IDENTIFIED": (43, 8, 24, 51, 19),
    "17: SUSPECT IDENTIFIED BUT PROSECUTION TIME LIMIT EXPIRED": (0, 1, 0, 1, 0),
    "18: INVESTIGATION COMPLETE NO SUSPECT IDENTIFIED": (35, 4, 13, 41, 9),
    "21: POLICE - NAMED SUSPECT, INVESTIGATION NOT IN THE PUBLIC INTEREST": (0, 0, 0, 1, 0),
    "(blank)": (22, 11, 11, 23, 8),
}
WINDOWS = {"current": (dt.date(2020, 10, 1), 365), "previous": (dt.date(2019, 10, 1), 366)}


def _outcomes_for(domestic: bool, district_index: int) -> list[str]:
    table = OUTCOMES_DOMESTIC if domestic else OUTCOMES_NON_DOMESTIC
    labels = []
    for label, counts in table.items():
        labels.extend(["" if label == "(blank)" else label] * counts[district_index])
    return labels


def seed_rows() -> list[dict[str, str]]:
    """One row per crime: both windows, every district and flag, outcomes as in the seed."""
    rows: list[dict[str, str]] = []
    for window, by_flag in VOLUMES.items():
        start, days = WINDOWS[window]
        for flag, counts in by_flag.items():
            domestic = flag == "Domestic"
            for i, district in enumerate(DISTRICTS):
                outcomes = _outcomes_for(domestic, i) if window == "current" else []
                outcomes += [""] * (counts[i] - len(outcomes))  # Wakefield's extra DA crime: no outcome
                assert len(outcomes) == counts[i], (window, flag, district)
                for k, outcome in enumerate(outcomes):
                    day = start + dt.timedelta(days=(k * 7 + i) % days)
                    rows.append({
                        "crime_ref": f"{window[0].upper()}{flag[0]}{district}{k:05d}",
                        "recorded_date": day.isoformat(), "offence_code": "8Q", "district": district,
                        "domestic_flag": "Y" if domestic else "N", "outcome": outcome,
                    })
    return rows


def write_seed_extract(path: Path) -> Path:
    """The acceptance extract as CSV."""
    return write_csv(path, seed_rows())
