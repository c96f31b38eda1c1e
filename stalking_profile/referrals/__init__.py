"""Victim referrals: services, validation, the referrals import and the referral measures.

- :mod:`~stalking_profile.referrals.services`: the services (ISAC, National Stalking Helpline, Paladin,
  Victim Support, IDVA, MARAC, other) from a small TOML, and the statuses;
- :mod:`~stalking_profile.referrals.validate` and :mod:`~stalking_profile.referrals.imports`: a file of
  referral events, validated row by row and stored as one append-only batch;
- :mod:`~stalking_profile.referrals.measures`: victims referred to specialist stalking advocacy by
  district, and stalking crimes with no referral some days after recording.
"""

from __future__ import annotations

from stalking_profile.referrals.imports import ReferralImportResult, import_referrals
from stalking_profile.referrals.measures import referral_table, unreferred
from stalking_profile.referrals.services import STATUSES, Services, load_services

__all__ = ["STATUSES", "ReferralImportResult", "Services", "import_referrals", "load_services", "referral_table",
           "unreferred"]
