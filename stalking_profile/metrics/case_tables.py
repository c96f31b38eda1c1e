"""Profile tables from the case records kept beside the crimes: SPOs, victim referrals, audits, training.

A table appears only when the store holds such records (an empty table would read as "none
happened", which the store cannot say); the report says which records are not kept yet.
Both tables are for the force's own readers: SPO and referral counts are small.
"""

from __future__ import annotations

import pyarrow as pa

from stalking_profile.audits.measures import audit_compliance, audit_samples_table
from stalking_profile.cases.spo_measures import spo_stages, spo_table, spo_trend
from stalking_profile.force import Force
from stalking_profile.metrics.periods import Period
from stalking_profile.referrals.measures import referral_table
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.training.measures import completions_by_month, training_table

__all__ = ["CASE_TABLES", "case_tables"]

#: Profile table name -> the store table whose records it needs.
CASE_TABLES = {"spo": tables.SPO_EVENTS, "referrals": tables.REFERRAL_EVENTS, "audits": tables.AUDIT_REVIEWS,
               "training": tables.TRAINING_COMPLETIONS}


def _held(store: Store, name: str, as_of: int | None) -> bool:
    t = store.table(name)
    if as_of is not None:
        t = t.filter(t.batch_id <= as_of)
    return bool(t.count().to_pyarrow().as_py())


def case_tables(store: Store, period: Period, force: Force, as_of: int | None = None
                ) -> tuple[dict[str, pa.Table], list[str]]:
    """``spo``, ``spo_stages`` and ``spo_trend``, ``referrals``, ``audits`` and ``audit_samples``, and ``training``
    for ``period`` where the store holds those records, and notes."""
    out: dict[str, pa.Table] = {}
    notes = []
    if _held(store, tables.SPO_EVENTS, as_of):
        out["spo"] = spo_table(store, period, force, as_of)
        out["spo_stages"] = spo_stages(store, period, force, as_of)
        out["spo_trend"] = spo_trend(store, period, as_of)
        notes.append("spo: Stalking Protection Order cases from the events kept with `stalking-profile spo import`; "
                     "a case's stage is derived from its events; orders in force on the last day of the window; "
                     "in force per 1,000 stalking crimes a year scales the window's crimes to twelve months.")
        notes.append("spo_stages: SPO cases with an enquiry by the window's end, by the stage each had reached on "
                     "that day, by district.")
        notes.append("spo_trend: the force's enquiries, applications and orders granted by calendar quarter (up "
                     "to eight, ending with the window's last), and the orders in force at each quarter's end.")
    if _held(store, tables.REFERRAL_EVENTS, as_of):
        out["referrals"] = referral_table(store, period, force, as_of)
        notes.append("referrals: victims of stalking in the window with a referral made to specialist stalking "
                     "advocacy (ISAC, National Stalking Helpline, Paladin: configurable), kept with "
                     "`stalking-profile referral import`; each victim counted once per row.")
    if _held(store, tables.AUDIT_REVIEWS, as_of):
        samples = audit_samples_table(store, period, force, as_of)
        if sum(samples["audited"].to_pylist()):  # a sample with no review yet says nothing
            out["audits"] = audit_compliance(store, period, force, as_of)
            out["audit_samples"] = samples
            notes.append("audits: dip-sample audits whose sample period ends in the window (`stalking-profile audit "
                         "sample`, completed checklists kept with `audit import`), the latest review of each "
                         "sampled crime; n/a answers are left out of an item's rate; rates within one stratum of "
                         "one sample are plain proportions with Wilson intervals, rates that combine strata (All) "
                         "or samples (Force) weight each crime by the crimes it stands for, with a Wilson interval "
                         "on the effective sample size. audit_samples: each sample's strata, drawn and reviewed.")
    if _held(store, tables.TRAINING_COMPLETIONS, as_of):
        out["training"] = training_table(store, period.end, force, as_of)
        out["training_by_month"] = completions_by_month(store, force, as_of, until=period.end)
        notes.append(f"training: officers who completed each course by {period.end} (pseudonymous officer ids, "
                     "each counted once per course) against the targets in the training configuration. "
                     "training_by_month: completions per month and course, with running totals, to the window's end.")
    return out, notes
