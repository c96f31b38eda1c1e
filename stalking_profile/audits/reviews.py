"""The stored reviews of audited crimes: the latest review of each (audit, crime) is the one that counts.

A review is one row of ``audit_reviews`` (the date it was audited and the finding) with its answers
in ``audit_answers``, one row per checklist item. Reviews are never updated: a corrected review is
a new one in a later batch, and the highest batch wins (as it stood after batch ``as_of``, if given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["Review", "current_reviews"]


@dataclass(frozen=True)
class Review:
    """One review of a sampled crime: its answers by item key, the audit date and the finding."""

    audit_id: int
    crime_ref: str
    audited_date: dt.date | None
    finding: str | None
    answers: dict[str, str] = field(default_factory=dict)
    batch_id: int | None = None

    def same_as(self, other: Review) -> bool:
        """Whether two reviews say the same (wherever they are stored).

        Examples
        --------
        >>> a = Review(1, "C1", None, "ok", {"risk_form": "yes"}, batch_id=2)
        >>> a.same_as(Review(1, "C1", None, "ok", {"risk_form": "yes"})), a.same_as(Review(1, "C1", None, "ok", {}))
        (True, False)
        """
        return (self.audit_id, self.crime_ref, self.audited_date, self.finding, self.answers) == (
            other.audit_id, other.crime_ref, other.audited_date, other.finding, other.answers)


def current_reviews(store: Store, audits: Collection[int] | None = None,
                    as_of: int | None = None) -> dict[tuple[int, str], Review]:
    """The latest review of each (audit_id, crime_ref), of the given audits (all when None).

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> current_reviews(open_store(":memory:"))
    {}
    """
    reviews = store.table(tables.AUDIT_REVIEWS)
    answers = store.table(tables.AUDIT_ANSWERS)
    if as_of is not None:
        reviews, answers = reviews.filter(reviews.batch_id <= as_of), answers.filter(answers.batch_id <= as_of)
    if audits is not None:
        wanted = sorted(set(audits))
        if not wanted:
            return {}
        reviews, answers = reviews.filter(reviews.audit_id.isin(wanted)), answers.filter(answers.audit_id.isin(wanted))
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    for r in reviews.select("batch_id", "audit_id", "crime_ref", "audited_date", "finding").to_pyarrow().to_pylist():
        key = (r["audit_id"], r["crime_ref"])
        if key not in latest or r["batch_id"] > latest[key]["batch_id"]:
            latest[key] = r
    given: dict[tuple[int, int, str], dict[str, str]] = {}
    for a in answers.select("batch_id", "audit_id", "crime_ref", "item", "answer").to_pyarrow().to_pylist():
        given.setdefault((a["batch_id"], a["audit_id"], a["crime_ref"]), {})[a["item"]] = a["answer"]
    return {key: Review(key[0], key[1], r["audited_date"], r["finding"],
                        given.get((r["batch_id"], key[0], key[1]), {}), r["batch_id"])
            for key, r in sorted(latest.items())}
