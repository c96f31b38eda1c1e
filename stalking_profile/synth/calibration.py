"""Calibration targets for the synthetic extract, taken from the West Yorkshire report (the seed).

The seed is the WYP "COM Exception Report" on stalking of February 2022
(``shared/seed/000_84f4c55911737cdc.txt``). Everything here that is a number from the seed
says which page or table it comes from; everything else is an assumption, marked as such.
Volumes are for the default (West Yorkshire) size; :func:`stalking_profile.synth.generate`
scales every count by ``records / calibrated_size()``.
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = [
    "ARREST_RATE",
    "CYBER_FLAG_SHARE",
    "DISTRICTS",
    "EXTRACT_DATE",
    "FIRST_MONTH",
    "MONTHS",
    "NO_RISK_ASSESSMENT_SHARE",
    "OFFENCES",
    "OTHER_VOLUMES",
    "OUTCOMES_DOMESTIC",
    "OUTCOMES_NON_DOMESTIC",
    "OUTCOME_WINDOW",
    "RECORDING_CHANGE_MONTH",
    "ROLLING_12M_TARGETS",
    "SEASONALITY",
    "STALKING_MONTHLY_DOMESTIC",
    "STALKING_MONTHLY_NON_DOMESTIC",
    "STALKING_WINDOWS",
    "TECH_MO_SHARE",
    "OtherVolume",
    "month_label",
]

#: District codes of the seed's tables, in the seed's column order.
DISTRICTS: Final = ("BD", "CD", "KD", "LD", "WD")
#: The synthetic extract covers April 2019 to January 2022 (the seed's "now stands at" month).
FIRST_MONTH: Final = (2019, 4)
MONTHS: Final = 34
#: Index of April 2020, when former-partner courses of conduct began to be recorded as stalking.
RECORDING_CHANGE_MONTH: Final = 12
#: The extract is taken in mid-February 2022 (the seed is dated February 2022); outcome and
#: arrest dates never pass it.
EXTRACT_DATE: Final = "2022-02-14"


def month_label(index: int) -> str:
    """``YYYY-MM`` of month ``index`` (0 = April 2019)."""
    y, m = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + index, 12)
    return f"{y:04d}-{m + 1:02d}"


# --- Stalking volumes -------------------------------------------------------------------
#: Seed page 3 table "Stalking BD CD KD LD WD Force": stalking (8Q) crimes by district and DA
#: flag, for the 12 months to September 2021 (1 Oct 2020 - 30 Sep 2021, months 18-29) and the
#: 12 months to September 2020 (months 6-17). Force totals 6129 (5669 DA / 460 non-DA) and
#: 3286 (2946 / 340). These are reproduced exactly at the default size.
STALKING_WINDOWS: Final[dict[str, tuple[int, int, dict[bool, tuple[int, ...]]]]] = {
    "12m to September 2021": (
        18,
        29,
        {True: (1434, 528, 948, 1926, 833), False: (137, 37, 71, 162, 53)},
    ),
    "12m to September 2020": (
        6,
        17,
        {True: (694, 304, 499, 1010, 439), False: (103, 33, 55, 111, 38)},
    ),
}

#: Seed page 3 text: the 12-month rolling total of stalking was 1,311 to March 2020, 4,818 to
#: March 2021, 6,129 to September 2021 and "now stands at" 6,620 (January 2022).
ROLLING_12M_TARGETS: Final = {"2020-03": 1311, "2021-03": 4818, "2021-09": 6129, "2022-01": 6620}

# Monthly stalking, April 2019 to January 2022. Derivation: split the 34 months into blocks
# whose totals the seed fixes: A = Apr-Sep 2019, B = Oct 2019-Mar 2020, C = Apr-Sep 2020,
# D1 = Oct 2020-Jan 2021, D2 = Feb-Mar 2021, E = Apr-Sep 2021, F = Oct 2021-Jan 2022. Then
#   A + B = 1311 (to Mar 2020), B + C = 3286 (2946 DA, 340 non-DA: to Sep 2020),
#   C + D1 + D2 = 4818 (to Mar 2021), D1 + D2 + E = 6129 (5669 / 460: to Sep 2021),
#   D2 + E + F = 6620 (to Jan 2022).
# Non-DA grows gradually (about 25 a month in 2019 to 42 in late 2021): A 150, B 160, C 180,
# D1 140, D2 75, E 245, F 168. DA before the April 2020 change is about 80-90 a month
# (A 490, B 511), which fixes C = 2946 - 511 = 2435 DA. The remaining freedom (how much of
# D falls in Feb-Mar 2021) is set so that D is flat through the winter 2020/21 lockdowns:
# F = 1950 in all, giving DA D1 1319, D2 669, E 3681, F 1782. Within each block the months
# follow a mild seasonal shape (lockdown dip in April 2020, summer peak, winter low).
# tests/test_synth.py checks every block sum against the seed.
STALKING_MONTHLY_DOMESTIC: Final = (
    76, 80, 82, 84, 86, 82,  # A: Apr-Sep 2019 = 490
    86, 84, 80, 82, 86, 93,  # B: Oct 2019-Mar 2020 = 511
    380, 400, 415, 425, 420, 395,  # C: Apr-Sep 2020 = 2435 (recording change from April)
    350, 330, 315, 324,  # D1: Oct 2020-Jan 2021 = 1319
    318, 351,  # D2: Feb-Mar 2021 = 669
    540, 590, 640, 660, 650, 601,  # E: Apr-Sep 2021 = 3681
    470, 448, 425, 439,  # F: Oct 2021-Jan 2022 = 1782
)  # fmt: skip
STALKING_MONTHLY_NON_DOMESTIC: Final = (
    23, 24, 25, 26, 26, 26,  # A = 150
    26, 26, 25, 26, 28, 29,  # B = 160
    26, 28, 30, 32, 32, 32,  # C = 180
    35, 35, 34, 36,  # D1 = 140
    36, 39,  # D2 = 75
    39, 40, 41, 42, 42, 41,  # E = 245
    43, 42, 41, 42,  # F = 168
)  # fmt: skip

# --- Stalking outcomes, 1 Oct 2020 - 30 Sep 2021 ----------------------------------------
#: Months (inclusive) of the seed's outcome tables.
OUTCOME_WINDOW: Final = (18, 29)

#: Seed, last pages: "Outcomes recorded in connection with DA Stalking Offences by district
#: (1 October 2020 - 30 September 2021)", table "Outcomes - Domestic", counts BD CD KD LD WD.
#: Labels exactly as printed; "" is "(blank)", no outcome yet. The printed table totals WD 832
#: and Force 5668, one fewer than page 3 (WD 833, Force 5669); page 3's volumes are kept exact,
#: so the one extra WD DA crime is in "(blank)": WD blank is 157 here where the seed prints 156.
OUTCOMES_DOMESTIC: Final[tuple[tuple[str, tuple[int, int, int, int, int]], ...]] = (
    ("1: CHARGED", (15, 12, 8, 22, 11)),
    ("1: SUMMONSED/POSTAL REQUISITION", (1, 0, 0, 2, 3)),
    ("1A: ALTERNATE OFFENCE CHARGED", (7, 6, 6, 19, 2)),
    ("1A: ALTERNATE OFFENCE SUMMONSED/POSTAL REQUISITION", (3, 1, 2, 8, 2)),
    ("3: ADULT CAUTION", (0, 0, 0, 1, 0)),
    ("3: ADULT CONDITIONAL CAUTION", (5, 2, 1, 3, 0)),
    ("3A: ALTERNATE OFFENCE ADULT CAUTION", (0, 0, 0, 0, 0)),
    ("3A: ALTERNATE OFFENCE ADULT CONDITIONAL CAUTION", (2, 1, 1, 3, 2)),
    ("5: OFFENDER HAS DIED", (1, 1, 0, 0, 0)),
    ("8: COMMUNITY RESOLUTION", (0, 1, 2, 0, 0)),
    ("10: POLICE - FORMAL ACTION NOT IN PUBLIC INTEREST", (1, 1, 1, 0, 0)),
    ("12: NAMED SUSPECT TOO ILL TO PROSECUTE", (1, 0, 0, 1, 1)),
    ("13: NAMED SUSPECT BUT VICTIM/KEY WITNESS DECEASED OR TOO ILL", (1, 0, 1, 0, 0)),
    ("14: VICTIM DECLINES/UNABLE TO SUPPORT ACTION TO IDENTIFY OFFENDER", (2, 1, 1, 2, 1)),
    ("15: CPS - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES", (38, 18, 12, 60, 13)),
    ("15: POLICE - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES", (332, 131, 236, 478, 229)),
    ("16: VICTIM DECLINES/WITHDRAWS SUPPORT - NAMED SUSPECT IDENTIFIED", (762, 273, 481, 988, 402)),
    ("17: SUSPECT IDENTIFIED BUT PROSECUTION TIME LIMIT EXPIRED", (2, 1, 5, 8, 2)),
    ("18: INVESTIGATION COMPLETE NO SUSPECT IDENTIFIED", (11, 0, 8, 13, 8)),
    ("20: OTHER BODY/AGENCY HAS INVESTIGATION PRIMACY", (0, 0, 1, 1, 0)),
    ("21: POLICE - NAMED SUSPECT, INVESTIGATION NOT IN THE PUBLIC INTEREST", (0, 0, 2, 0, 0)),
    (
        "22: DIVERSIONARY, EDUCATIONAL OR INTERVENTION ACTIVITY NOT IN PUBLIC INTEREST "
        "TO TAKE FURTHER ACTION",
        (0, 0, 2, 2, 0),
    ),
    ("", (250, 79, 178, 315, 157)),  # seed prints WD 156: see above
)

#: Seed, last page: table "Outcome - Non Domestic" (same window), counts BD CD KD LD WD;
#: totals 137 37 71 162 53 (460), matching page 3.
OUTCOMES_NON_DOMESTIC: Final[tuple[tuple[str, tuple[int, int, int, int, int]], ...]] = (
    ("1: CHARGED", (3, 0, 1, 7, 0)),
    ("1: SUMMONSED/POSTAL REQUISITION", (0, 0, 0, 0, 1)),
    ("1A: ALTERNATE OFFENCE SUMMONSED/POSTAL REQUISITION", (0, 0, 0, 1, 0)),
    ("3: ADULT CONDITIONAL CAUTION", (2, 0, 0, 0, 1)),
    ("3A: ALTERNATE OFFENCE ADULT CAUTION", (0, 0, 0, 1, 0)),
    ("8: COMMUNITY RESOLUTION", (0, 0, 0, 0, 1)),
    ("12: NAMED SUSPECT TOO ILL TO PROSECUTE", (0, 0, 0, 1, 0)),
    ("14: VICTIM DECLINES/UNABLE TO SUPPORT ACTION TO IDENTIFY OFFENDER", (3, 3, 1, 0, 0)),
    ("15: CPS - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES", (2, 0, 0, 0, 0)),
    ("15: POLICE - NAMED SUSPECT, VICTIM SUPPORTS BUT EVIDENTIAL DIFFICULTIES", (27, 10, 21, 35, 14)),
    ("16: VICTIM DECLINES/WITHDRAWS SUPPORT - NAMED SUSPECT IDENTIFIED", (43, 8, 24, 51, 19)),
    ("17: SUSPECT IDENTIFIED BUT PROSECUTION TIME LIMIT EXPIRED", (0, 1, 0, 1, 0)),
    ("18: INVESTIGATION COMPLETE NO SUSPECT IDENTIFIED", (35, 4, 13, 41, 9)),
    ("21: POLICE - NAMED SUSPECT, INVESTIGATION NOT IN THE PUBLIC INTEREST", (0, 0, 0, 1, 0)),
    ("", (22, 11, 11, 23, 8)),
)

# --- Handling shares from the seed --------------------------------------------------------
#: Seed page 3: "the arrest rate for DA stalking was around 21% whereas for non-DA stalking
#: it was 14%". Keyed by the DA flag.
ARREST_RATE: Final = {True: 0.21, False: 0.14}
#: Seed pages 3-4: 80% of non-DA stalking crimes "do not have a corresponding DASH form".
#: The DA share is not in the seed: an assumption (DA crimes get a DASH as routine).
NO_RISK_ASSESSMENT_SHARE: Final = {True: 0.12, False: 0.80}
#: Seed, final page: "only 10% of stalking offences are flagged as 'cyber enabled'".
CYBER_FLAG_SHARE: Final = 0.10
#: Seed, final page: "a number of DA stalking offences when checked had use of social media
#: and technology in the MO but the cyber enabled flag was not active". The size of that gap
#: is not given; the synthetic data puts technology in 30% of stalking MOs (an assumption).
TECH_MO_SHARE: Final = 0.30

# --- Other offence families ---------------------------------------------------------------
#: Home Office classifications in the extract, with the description written to
#: ``offence_description``. 8L, 8M and 8Q are confirmed in shared/domain.md; 8R and 8U follow
#: the ONS/HOCR stalking-and-harassment tables; 105A, 8N, 58A and 58C are the HOCR violence
#: without/with injury and criminal damage classes. A breach of a restraining order is
#: recorded as harassment (8L) and appears in 8L MO text.
OFFENCES: Final = {
    "8Q": "Stalking",
    "8L": "Harassment",
    "8M": "Racially or religiously aggravated harassment",
    "8R": "Malicious communications",
    "8U": "Controlling or coercive behaviour in an intimate or family relationship",
    "105A": "Assault without injury",
    "8N": "Assault with injury",
    "58A": "Criminal damage to a dwelling",
    "58C": "Criminal damage to a vehicle",
}


class OtherVolume(NamedTuple):
    """Crimes of one offence code and DA flag over a run of months."""

    code: str
    domestic: bool
    first_month: int
    last_month: int
    total: int
    #: Yearly growth rate of the monthly volume.
    trend: float


# Volumes of the other families over their months (0 = April 2019, 33 = January 2022). These
# are NOT in the seed: they are plausible West Yorkshire-sized yearly volumes chosen so that
# comparison, hotspot and linkage layers have realistic relative amounts of data. Yearly rates
# behind the totals: 8L DA 5,400 before April 2020 and 1,600 after (former-partner harassment
# moved into stalking, seed page 3); 8L non-DA 6,000; 8M 650 non-DA and 40 DA; 8R 2,600 DA
# and 5,200 non-DA; 8U 2,200; DA common assault 8,500; DA assault with injury 4,000; DA
# criminal damage 1,400 (dwelling) and 600 (vehicle).
OTHER_VOLUMES: Final = (
    OtherVolume("8L", True, 0, 11, 5400, 0.0),
    OtherVolume("8L", True, 12, 33, 2930, 0.0),
    OtherVolume("8L", False, 0, 33, 17000, 0.04),
    OtherVolume("8M", False, 0, 33, 1840, 0.0),
    OtherVolume("8M", True, 0, 33, 110, 0.0),
    OtherVolume("8R", True, 0, 33, 7370, 0.06),
    OtherVolume("8R", False, 0, 33, 14730, 0.06),
    OtherVolume("8U", True, 0, 33, 6230, 0.10),
    OtherVolume("105A", True, 0, 33, 24080, 0.02),
    OtherVolume("8N", True, 0, 33, 11330, 0.0),
    OtherVolume("58A", True, 0, 33, 3970, 0.0),
    OtherVolume("58C", True, 0, 33, 1700, 0.0),
)

#: Calendar-month factors (January first) for the other families: a summer peak and a
#: winter low, as in police recorded violence. An assumption, not from the seed.
SEASONALITY: Final = (0.92, 0.88, 0.97, 0.98, 1.04, 1.06, 1.08, 1.06, 1.02, 1.00, 0.97, 0.96)
