"""Code lists of the domain: the outcome label format and enumeration synonyms.

The Home Office outcome types run 1..22; forces add letter sub-codes such as ``1A``
(alternative offence charged), ``3A`` and, in later returns, ``15B``. Sub-codes the
tool does not know are kept, never rejected (see ../shared/domain.md, section 2).
"""

from __future__ import annotations

__all__ = ["ENUM_SYNONYMS", "OUTCOME_RE"]

#: ``<type>[: <label>]`` where type is a number with an optional letter sub-code.
OUTCOME_RE = r"^(?P<code>[0-9]{1,2}[A-Z]?)(?:\s*[:\-.]\s*(?P<label>.*))?$"

#: Spellings seen in force exports, mapped onto the canonical enumeration values.
ENUM_SYNONYMS: dict[str, dict[str, str]] = {
    "victim_sex": {"f": "female", "m": "male", "u": "unknown", "not known": "unknown", "x": "other"},
    "suspect_sex": {"f": "female", "m": "male", "u": "unknown", "not known": "unknown", "x": "other"},
    "risk_level": {"std": "standard", "low": "standard", "med": "medium", "h": "high", "m": "medium",
                   "s": "standard"},
    "risk_assessment": {"sdash": "S-DASH", "s dash": "S-DASH", "no": "none", "n/a": "none",
                        "not completed": "none", "na": "none"},
    "relationship": {
        "ex-partner": "former_partner",
        "ex partner": "former_partner",
        "expartner": "former_partner",
        "ex-spouse": "former_partner",
        "partner": "current_partner",
        "spouse": "current_partner",
        "relative": "family",
        "friend": "acquaintance",
        "neighbour": "acquaintance",
        "colleague": "acquaintance",
        "not known": "unknown",
    },
    "location_basis": {"home of victim": "victim_home", "home of suspect": "suspect_home",
                       "public": "public_place", "cyber": "online", "internet": "online"},
}
