"""Risk forms: the DASH, S-DASH and DARA checklists as data, scoring, import and the stalking check.

- :mod:`~stalking_profile.riskforms.checklists`: the questions, their markers and the form types;
- :mod:`~stalking_profile.riskforms.scoring`: one form's yes count, visible high risk and stalking check;
- :mod:`~stalking_profile.riskforms.validate` and :mod:`~stalking_profile.riskforms.imports`: a file of
  completed forms, validated row by row and stored as one append-only batch;
- :mod:`~stalking_profile.riskforms.stalking_check`: stored forms scored, and crimes whose forms say
  stalking while their offence code does not.
"""

from __future__ import annotations

__all__: list[str] = []
