"""Training measures: officers trained against target by district and course, and completions by month.

Both read ``training_completions`` (or the store as it stood after batch ``as_of``). An officer is
a keyed token: counting distinct tokens counts officers without knowing who they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa

from stalking_profile.force import Force
from stalking_profile.metrics.stats import pct
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.training.courses import Training, load_training

__all__ = ["MONTHLY_SCHEMA", "TRAINING_TABLE_SCHEMA", "completions_by_month", "training_table"]

TRAINING_TABLE_SCHEMA = pa.schema([
    ("district", pa.string()), ("course", pa.string()), ("course_name", pa.string()), ("trained", pa.int64()),
    ("target", pa.int64()), ("remaining", pa.int64()), ("trained_pct", pa.float64()),
])
MONTHLY_SCHEMA = pa.schema([("month", pa.string()), ("course", pa.string()), ("completions", pa.int64()),
                            ("cumulative", pa.int64())])


def _completions(store: Store, force: Force, as_of: int | None) -> ibis.Table:
    done = store.table(tables.TRAINING_COMPLETIONS)
    if as_of is not None:
        done = done.filter(done.batch_id <= as_of)
    return done.filter(done.district.isin(list(force.district_codes)))


def training_table(store: Store, as_of_date: dt.date, force: Force, as_of: int | None = None,
                   training: Training | None = None) -> pa.Table:
    """Officers trained by ``as_of_date`` against target, per district (force order) then ``Force``,
    each with one row per course (configuration order).

    - ``trained``: distinct officers (tokens) with a completion of the course dated on or before
      ``as_of_date``, in the district;
    - ``target``: the configured target (the districts' sum for ``Force``); null when the course
      has none;
    - ``remaining``: ``target - trained``, never below 0; null without a target;
    - ``trained_pct``: ``trained`` as a percentage of ``target``; null without a (non-zero) target.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> from stalking_profile.force import load_force
    >>> t = training_table(open_store(":memory:"), dt.date(2022, 1, 1), load_force())
    >>> t.num_rows, t.to_pylist()[-1]
    (24, {'district': 'Force', 'course': 'stalking_investigator', 'course_name': 'Specialist stalking training: \
specialist investigator', 'trained': 0, 'target': 84, 'remaining': 84, 'trained_pct': 0.0})
    """
    training = training or load_training()
    done = _completions(store, force, as_of)
    done = done.filter(done.completed_date <= as_of_date)
    pairs = done.select("district", "course", "officer_token").distinct().to_pyarrow().to_pylist()
    officers: dict[tuple[str, str], set[str]] = {}
    for r in pairs:
        for district in (r["district"], "Force"):
            officers.setdefault((district, r["course"]), set()).add(r["officer_token"])
    rows: list[dict[str, Any]] = []
    for district in (*force.district_codes, "Force"):
        for course in training.courses:
            trained = len(officers.get((district, course.key), ()))
            if district == "Force":
                targets = [training.target(course.key, d) for d in force.district_codes]
                target = None if course.key not in training.targets else sum(t or 0 for t in targets)
            else:
                target = training.target(course.key, district)
            rows.append({"district": district, "course": course.key, "course_name": course.name, "trained": trained,
                         "target": target, "remaining": None if target is None else max(target - trained, 0),
                         "trained_pct": None if target is None else pct(trained, target)})
    return pa.Table.from_pylist(rows, schema=TRAINING_TABLE_SCHEMA)


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def completions_by_month(store: Store, force: Force, as_of: int | None = None,
                         training: Training | None = None, until: dt.date | None = None) -> pa.Table:
    """Completions per calendar month (``YYYY-MM``) and course, with the course's running total
    (completions dated up to ``until`` when given).

    Every month from the first completion to the last is listed for each course with any
    completion (months with none count 0), ordered by month then course (configuration order).

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> from stalking_profile.force import load_force
    >>> completions_by_month(open_store(":memory:"), load_force()).column_names
    ['month', 'course', 'completions', 'cumulative']
    """
    training = training or load_training()
    done = _completions(store, force, as_of)
    if until is not None:
        done = done.filter(done.completed_date <= until)
    dates = done.select("course", "completed_date").to_pyarrow().to_pylist()
    counts: dict[tuple[str, str], int] = {}
    for r in dates:
        month = r["completed_date"].strftime("%Y-%m")
        counts[(month, r["course"])] = counts.get((month, r["course"]), 0) + 1
    if not counts:
        return MONTHLY_SCHEMA.empty_table()
    months = _months(min(m for m, _ in counts), max(m for m, _ in counts))
    present = {c for _, c in counts}
    courses = [c for c in training.keys if c in present] + sorted(present - set(training.keys))
    running = dict.fromkeys(courses, 0)
    rows = []
    for month in months:
        for course in courses:
            n = counts.get((month, course), 0)
            running[course] += n
            rows.append({"month": month, "course": course, "completions": n, "cumulative": running[course]})
    return pa.Table.from_pylist(rows, schema=MONTHLY_SCHEMA)
