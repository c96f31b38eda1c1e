"""Officer training: courses and targets, validation, the training import and the training measures.

- :mod:`~stalking_profile.training.courses`: the courses (College of Policing stalking and
  harassment iLearn, Safeguarding Supervisors' Course, specialist stalking champion and
  investigator, others configurable) and targets per district, from a small TOML;
- :mod:`~stalking_profile.training.validate` and :mod:`~stalking_profile.training.imports`: a file of
  completions, validated row by row and stored as one append-only batch, officers as keyed tokens;
- :mod:`~stalking_profile.training.measures`: officers trained against target by district and
  course, and completions by month.
"""

from __future__ import annotations

from stalking_profile.training.courses import Course, Training, load_training
from stalking_profile.training.imports import TrainingImportResult, import_training
from stalking_profile.training.measures import completions_by_month, training_table

__all__ = ["Course", "Training", "TrainingImportResult", "completions_by_month", "import_training", "load_training",
           "training_table"]
