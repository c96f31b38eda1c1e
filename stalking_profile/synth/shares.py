"""Behavioural shares of the synthetic extract that the seed does not give: documented assumptions.

They are plausible for an English metropolitan force, not measurements. The seed only
states the headline rates kept in :mod:`stalking_profile.synth.calibration`; the seed's
"largest group are 20-29-year olds" (victims and suspects, page 7) fixes the modal age band.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AGE_BANDS",
    "ARREST_RATE_OTHER",
    "DUPLICATE_NOMINALS",
    "DUPLICATE_USE",
    "ETHNICITY_BY_DISTRICT",
    "ETHNICITY_RECORDING",
    "FAMILY_OF",
    "FEMALE_VICTIM_SHARE",
    "LOCATION_BASIS",
    "MALE_SUSPECT_SHARE",
    "MO_SHARES",
    "NAME_PRESENT",
    "NO_RISK_ASSESSMENT_OTHER",
    "OFFICER_DEFINED",
    "PAIR_SIZES",
    "RELATIONSHIP_SHARES",
    "REPEAT_VICTIM_PAIRS",
    "RISK_FORMS",
    "RISK_LEVELS",
    "SERIAL_SUSPECT_PAIRS",
    "UNITS",
    "UNKNOWN_AGE",
]

#: Offence code -> family used by the behavioural tables.
FAMILY_OF: Final = {
    "8Q": "stalking",
    "8L": "harassment",
    "8M": "harassment",
    "8R": "comms",
    "8U": "ccb",
    "105A": "assault",
    "8N": "assault",
    "58A": "damage",
    "58C": "damage",
}

#: Share of stalking victims who are female, and of identified stalking suspects who are
#: male (crime-weighted; national surveys put both near these values).
FEMALE_VICTIM_SHARE: Final = 0.80
MALE_SUSPECT_SHARE: Final = 0.75

#: Age at first crime in the extract: (youngest, oldest, weight) for victims and suspects.
#: 20-29 is the modal ten-year band for both (seed page 7).
AGE_BANDS: Final = {
    "victim": (
        (14, 15, 0.010), (16, 17, 0.025), (18, 19, 0.050), (20, 24, 0.175), (25, 29, 0.180),
        (30, 34, 0.145), (35, 39, 0.115), (40, 44, 0.090), (45, 49, 0.070), (50, 54, 0.055),
        (55, 59, 0.040), (60, 64, 0.022), (65, 69, 0.012), (70, 80, 0.011),
    ),
    "suspect": (
        (14, 15, 0.005), (16, 17, 0.020), (18, 19, 0.045), (20, 24, 0.180), (25, 29, 0.195),
        (30, 34, 0.150), (35, 39, 0.115), (40, 44, 0.090), (45, 49, 0.072), (50, 54, 0.055),
        (55, 59, 0.035), (60, 64, 0.018), (65, 69, 0.010), (70, 80, 0.007),
    ),
}  # fmt: skip
#: Share of persons whose age and date of birth are not recorded.
UNKNOWN_AGE: Final = {"victim": 0.03, "suspect": 0.08}

#: Self-defined ethnicity (18+1 codes) by district, roughly following the 2011 Census mix of
#: each local authority: a large Pakistani (A2) population in Bradford, then Kirklees and
#: Calderdale; more Black African (B2) and other White (W9) in Leeds.
ETHNICITY_BY_DISTRICT: Final = {
    "BD": {"W1": 0.615, "W2": 0.005, "W9": 0.030, "A1": 0.025, "A2": 0.230, "A3": 0.012, "A9": 0.010,
           "B1": 0.005, "B2": 0.010, "M1": 0.012, "M3": 0.010, "M9": 0.006, "A4": 0.003, "O9": 0.027},
    "CD": {"W1": 0.862, "W2": 0.004, "W9": 0.020, "A1": 0.004, "A2": 0.070, "A3": 0.006, "A9": 0.004,
           "B2": 0.004, "M1": 0.010, "M3": 0.006, "O9": 0.010},
    "KD": {"W1": 0.750, "W2": 0.004, "W9": 0.022, "A1": 0.045, "A2": 0.110, "A9": 0.008, "B1": 0.010,
           "B2": 0.008, "M1": 0.016, "M3": 0.008, "M9": 0.005, "O9": 0.014},
    "LD": {"W1": 0.790, "W2": 0.008, "W9": 0.040, "A1": 0.020, "A2": 0.030, "A3": 0.005, "A9": 0.014,
           "B1": 0.008, "B2": 0.022, "B9": 0.005, "M1": 0.016, "M3": 0.010, "M9": 0.008, "A4": 0.006,
           "O2": 0.006, "O9": 0.012},
    "WD": {"W1": 0.910, "W2": 0.004, "W9": 0.030, "A1": 0.005, "A2": 0.020, "A9": 0.006, "B2": 0.006,
           "M1": 0.008, "M3": 0.004, "O9": 0.007},
}  # fmt: skip
#: How a person's ethnicity is recorded: self-defined code, officer-defined IC code,
#: "NS" (not stated) or blank.
ETHNICITY_RECORDING: Final = {"self": 0.78, "officer": 0.12, "not_stated": 0.06, "blank": 0.04}
#: Officer-defined (IC) code used for each self-defined code's first letter.
OFFICER_DEFINED: Final = {"W": "IC1", "A": "IC4", "B": "IC3", "M": "IC1", "O": "IC6"}

#: Crimes per victim-suspect pair: (size, probability). Most pairs have one crime; some
#: courses of conduct run to a dozen crimes over months.
PAIR_SIZES: Final = (
    (1, 0.60), (2, 0.18), (3, 0.09), (4, 0.05), (5, 0.03), (6, 0.02),
    (7, 0.01), (8, 0.008), (10, 0.006), (12, 0.004), (15, 0.002),
)  # fmt: skip

#: Relationship of a pair, from its first crime: keyed by (family group, DA flag, after
#: April 2020). Former partners dominate DA stalking after the recording change; DA
#: harassment after it is mostly family (intimate-partner harassment became stalking).
RELATIONSHIP_SHARES: Final = {
    # current_partner, former_partner, family, acquaintance, stranger, unknown
    ("stalking", True, False): (0.25, 0.55, 0.20, 0.0, 0.0, 0.0),
    ("stalking", True, True): (0.16, 0.74, 0.10, 0.0, 0.0, 0.0),
    ("harassment", True, False): (0.22, 0.50, 0.28, 0.0, 0.0, 0.0),
    ("harassment", True, True): (0.05, 0.12, 0.83, 0.0, 0.0, 0.0),
    ("other", True, False): (0.45, 0.30, 0.25, 0.0, 0.0, 0.0),
    ("other", True, True): (0.45, 0.30, 0.25, 0.0, 0.0, 0.0),
    ("stalking", False, False): (0.0, 0.0, 0.0, 0.56, 0.22, 0.22),
    ("stalking", False, True): (0.0, 0.0, 0.0, 0.56, 0.22, 0.22),
    ("other", False, False): (0.0, 0.0, 0.0, 0.62, 0.20, 0.18),
    ("other", False, True): (0.0, 0.0, 0.0, 0.62, 0.20, 0.18),
}

#: MO categories by family: (cyber-flagged technology, technology not flagged, no technology,
#: no technology with a negated mention such as "no social media contact", no technology but
#: the victim used a phone). Stalking: 10% flagged, 30% technology in all (calibration.py).
MO_SHARES: Final = {
    "stalking": (0.10, 0.20, 0.58, 0.06, 0.06),
    "harassment": (0.09, 0.26, 0.55, 0.05, 0.05),
    "comms": (0.38, 0.57, 0.05, 0.0, 0.0),
    "ccb": (0.04, 0.26, 0.60, 0.05, 0.05),
    "assault": (0.005, 0.02, 0.925, 0.0, 0.05),
    "damage": (0.005, 0.02, 0.925, 0.0, 0.05),
}

#: location_basis shares for MOs with technology and without.
LOCATION_BASIS: Final = {
    True: {"suspect_home": 0.35, "online": 0.25, "victim_home": 0.35, "unknown": 0.05},
    False: {"victim_home": 0.62, "public_place": 0.19, "other": 0.08, "suspect_home": 0.04, "unknown": 0.07},
}

#: Forms used when a risk assessment is recorded: mostly DASH for DA, S-DASH (the stalking
#: screening tool) for much non-DA stalking, a few DARA (the DASH replacement then piloted).
RISK_FORMS: Final = {
    True: {"DASH": 0.86, "S-DASH": 0.09, "DARA": 0.05},
    False: {"DASH": 0.45, "S-DASH": 0.53, "DARA": 0.02},
}
#: Assessed risk level for assessed crimes.
RISK_LEVELS: Final = {True: (0.52, 0.34, 0.14), False: (0.62, 0.28, 0.10)}
#: Share of non-stalking crimes with no risk assessment.
NO_RISK_ASSESSMENT_OTHER: Final = {True: 0.15, False: 0.85}

#: Allocated unit by (DA flag, high risk). Seed page 4: DA stalking mostly to DA teams; non-DA
#: mostly to patrol or District Investigation Teams, a few high-risk cases to CID or
#: safeguarding.
UNITS: Final = {
    (True, False): {"DA team": 0.73, "safeguarding": 0.17, "patrol": 0.06,
                    "district investigation team": 0.04},
    (True, True): {"safeguarding": 0.55, "DA team": 0.40, "CID": 0.05},
    (False, False): {"patrol": 0.55, "district investigation team": 0.41, "safeguarding": 0.02, "CID": 0.02},
    (False, True): {"safeguarding": 0.45, "CID": 0.35, "district investigation team": 0.15, "patrol": 0.05},
}

#: Arrest rates for the other families, by DA flag.
ARREST_RATE_OTHER: Final = {
    "harassment": {True: 0.20, False: 0.10},
    "comms": {True: 0.12, False: 0.06},
    "ccb": {True: 0.35, False: 0.30},
    "assault": {True: 0.48, False: 0.30},
    "damage": {True: 0.30, False: 0.15},
}

#: Share of pairs whose victim is also the victim of another pair in the district (repeat
#: victims with more than one suspect), and whose suspect also offends against another victim
#: (serial suspects).
REPEAT_VICTIM_PAIRS: Final = 0.09
SERIAL_SUSPECT_PAIRS: Final = 0.07
#: Share of persons who also have a duplicate RMS nominal record (another id, same person),
#: and the share of their crimes recorded against the duplicate.
DUPLICATE_NOMINALS: Final = 0.04
DUPLICATE_USE: Final = 0.5
#: Share of crimes whose extract carries the victim's / suspect's name and date of birth.
NAME_PRESENT: Final = {"victim": 0.65, "suspect": 0.55}
