"""Canonical columns of the crime extract: the single source of truth.

Each :class:`Column` says how a value is read (its ``kind``), whether the row is
rejected when it cannot be read (``strict``), and how it is stored. Readers,
validation, the store's DDL, the synthetic generator and the documentation all
take their column lists from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CRIME_COLUMNS",
    "LINKAGE_COLUMNS",
    "PERSON_ID_COLUMNS",
    "REQUIRED_COLUMNS",
    "STORED_CRIME_COLUMNS",
    "TOKEN_TYPES",
    "Column",
    "ColumnKind",
    "column",
]

ColumnKind = Literal["text", "code", "date", "bool", "int", "float", "enum", "person", "pii"]


@dataclass(frozen=True)
class Column:
    """One canonical column of the crime extract.

    ``strict`` columns reject the row when a value is present but unreadable;
    other columns are blanked and the problem is recorded as a warning.
    ``pii`` columns (names, dates of birth) become linkage tokens and are never
    stored; ``person`` columns are pseudonymised with the deployment's key.
    """

    name: str
    kind: ColumnKind
    help: str
    required: bool = False
    strict: bool = False
    values: tuple[str, ...] = ()

    @property
    def stored(self) -> bool:
        return self.kind != "pii"


LOCATION_BASIS = ("victim_home", "suspect_home", "public_place", "online", "other", "unknown")
RISK_FORMS = ("DASH", "DARA", "S-DASH", "none")
RISK_LEVELS = ("standard", "medium", "high")
RELATIONSHIPS = (
    "current_partner",
    "former_partner",
    "family",
    "acquaintance",
    "stranger",
    "unknown",
)
SEXES = ("female", "male", "other", "unknown")

CRIME_COLUMNS: tuple[Column, ...] = (
    Column("crime_ref", "text", "unique crime reference within the force", True, True),
    Column("recorded_date", "date", "date recorded: the basis of every period", True, True),
    Column("offence_code", "code", "Home Office classification (8Q stalking, 8L, 8M ...)", True, True),
    Column("district", "code", "district code from the force geography", True, True),
    Column("domestic_flag", "bool", "domestic-abuse flag", True, True),
    Column("offence_description", "text", "offence wording"),
    Column("committed_date", "date", "date committed (first date of the course of conduct)", strict=True),
    Column("ward_code", "code", "ONS ward code"),
    Column("lsoa_code", "code", "ONS LSOA code"),
    Column("latitude", "float", "WGS84 latitude", strict=True),
    Column("longitude", "float", "WGS84 longitude", strict=True),
    Column("easting", "float", "British National Grid easting", strict=True),
    Column("northing", "float", "British National Grid northing", strict=True),
    Column("location_basis", "enum", "what the location is", values=LOCATION_BASIS),
    Column("cyber_flag", "bool", "cyber-enabled flag as recorded"),
    Column("mo_text", "text", "free-text modus operandi (internal only)"),
    Column("risk_assessment", "enum", "risk form used", values=RISK_FORMS),
    Column("dash_completed", "bool", "risk form completed"),
    Column("risk_level", "enum", "assessed risk", values=RISK_LEVELS),
    Column("victim_id", "person", "RMS nominal id of the victim (pseudonymised)"),
    Column("suspect_id", "person", "RMS nominal id of the suspect (pseudonymised)"),
    Column("victim_name", "pii", "victim's name: linkage tokens only, never stored"),
    Column("victim_dob", "pii", "victim's date of birth: linkage tokens only, never stored"),
    Column("suspect_name", "pii", "suspect's name: linkage tokens only, never stored"),
    Column("suspect_dob", "pii", "suspect's date of birth: linkage tokens only, never stored"),
    Column("victim_age", "int", "victim's age in years at the offence"),
    Column("victim_sex", "enum", "victim's sex", values=SEXES),
    Column("victim_ethnicity", "code", "victim's ethnicity code (16+1, 18+1 or IC)"),
    Column("suspect_age", "int", "suspect's age in years at the offence"),
    Column("suspect_sex", "enum", "suspect's sex", values=SEXES),
    Column("suspect_ethnicity", "code", "suspect's ethnicity code (16+1, 18+1 or IC)"),
    Column("relationship", "enum", "victim-suspect relationship", values=RELATIONSHIPS),
    Column("arrest_made", "bool", "an arrest was made"),
    Column("arrest_date", "date", "date of arrest", strict=True),
    Column("outcome", "text", "RMS outcome label or bare Home Office code; blank = none yet", strict=True),
    Column("outcome_date", "date", "date the outcome was recorded", strict=True),
    Column("allocated_unit", "text", "unit the investigation is allocated to"),
)

_BY_NAME = {c.name: c for c in CRIME_COLUMNS}
REQUIRED_COLUMNS = tuple(c.name for c in CRIME_COLUMNS if c.required)
PERSON_ID_COLUMNS = tuple(c.name for c in CRIME_COLUMNS if c.kind == "person")
LINKAGE_COLUMNS = tuple(c.name for c in CRIME_COLUMNS if c.kind == "pii")
#: Linkage token types made from names and dates of birth (the columns of ``linkage_tokens``).
TOKEN_TYPES = ("full_name", "forename", "surname", "forename_phonetic", "surname_phonetic", "birth_year",
               "birth_month")
#: Columns of the stored record, in order; ``outcome_type`` is derived from ``outcome``.
STORED_CRIME_COLUMNS = (*tuple(c.name for c in CRIME_COLUMNS if c.stored), "outcome_type")


def column(name: str) -> Column:
    """The canonical column called ``name``."""
    return _BY_NAME[name]
