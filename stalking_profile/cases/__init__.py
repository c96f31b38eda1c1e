"""Case records kept beside the crimes: Stalking Protection Orders (SPOs) so far.

- :mod:`~stalking_profile.cases.spo_events`: the event vocabulary and the state derived from a
  case's events;
- :mod:`~stalking_profile.cases.spo_import`: a file (or one row) of events, validated against the
  stored events of each case and stored as one append-only batch;
- :mod:`~stalking_profile.cases.spo_measures`: the SPO table of the profile.
"""

from __future__ import annotations

__all__: list[str] = []
