"""The report's sections on case records kept beside the crimes: Stalking Protection Orders,
victim referrals, dip-sample audits and officer training.

Each appears where the store holds such records; for records it does not hold, one honest
sentence says so and gives no figures. All of them are for the force's own readers (their counts
are small): a partner or public report says that instead.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.force import Force
from stalking_profile.metrics.profile import Profile
from stalking_profile.reporting.blocks import has_rows, paragraphs, table_block
from stalking_profile.reporting.case_narrative import audit_sentences, spo_sentences
from stalking_profile.reporting.charts import compliance_chart, series_chart
from stalking_profile.reporting.document import Block, Heading, Paragraph
from stalking_profile.reporting.narrative import find_row, table_rows
from stalking_profile.reporting.phrases import join, long_date

__all__ = ["case_records"]

#: Case records kept beside the crimes: profile table, heading, what the table shows, the records' name.
_CASE_TABLES = (("spo", "Stalking Protection Orders", "Stalking Protection Orders by district",
                 "Stalking Protection Order"),
                ("referrals", "Victim referrals", "Victims referred to specialist stalking advocacy",
                 "victim referral"),
                ("audits", "Dip-sample audits", "Audit compliance by checklist item", "dip-sample audit"),
                ("training", "Officer training", "Officers trained against targets, by district and course",
                 "training"))
_SPO_SERIES = (("enquiries", "Enquiries"), ("applications", "Applications"), ("full_orders", "Full orders granted"),
               ("in_force_at_end", "Orders in force"))


def _spo(profile: Profile, force: Force) -> list[Block]:
    blocks: list[Block] = paragraphs(spo_sentences(find_row(table_rows(profile, "spo"), district="Force"),
                                                   table_rows(profile, "spo_trend"), profile.period,
                                                   force.spo_baseline))
    blocks.append(table_block(profile.tables["spo"], "spo", "Stalking Protection Orders by district"))
    if has_rows(profile, "spo_stages"):
        blocks.append(table_block(profile.tables["spo_stages"], "spo_stages",
                                  f"Cases by the stage reached on {long_date(profile.period.end)}"))
    if has_rows(profile, "spo_trend"):
        trend = profile.tables["spo_trend"]
        blocks += [series_chart(trend, "spo_trend", "Stalking Protection Orders by quarter", "quarter", _SPO_SERIES,
                                "cases"),
                   table_block(trend, "spo_trend", "Stalking Protection Orders by quarter (force)",
                               ["quarter", *(c for c, _ in _SPO_SERIES)])]
    return blocks


def _audits(profile: Profile, force: Force) -> list[Block]:
    compliance = profile.tables["audits"]
    rows = compliance.to_pylist()
    blocks: list[Block] = paragraphs(audit_sentences(table_rows(profile, "audit_samples"), rows,
                                                     len(force.district_codes)))
    questions = {r["item"]: r["question"] for r in rows}
    force = compliance.filter(pc.equal(compliance["district"], "Force"))
    blocks += [compliance_chart(compliance, questions),
               table_block(force, "audits", "Dip-sample audit compliance by checklist item (force)",
                           ["question", "domestic", "answered", "yes", "not_applicable", "rate_pct", "ci_low",
                            "ci_high"],
                           note="Rates that combine strata (All) weight each crime by the crimes it stands for, so "
                                "they need not equal yes / answered. District rows are in tables.xlsx.")]
    if has_rows(profile, "audit_samples"):
        blocks.append(table_block(profile.tables["audit_samples"], "audit_samples", "The samples",
                                  ["audit_id", "district", "period_start", "period_end", "stratum", "population",
                                   "sample", "audited"]))
    return blocks


def _training(profile: Profile) -> list[Block]:
    table = profile.tables["training"]
    blocks: list[Block] = [table_block(table, "training", "Officers trained against targets, by district and course")]
    if not has_rows(profile, "training_by_month"):
        return blocks
    names = dict(zip(table["course"].to_pylist(), table["course_name"].to_pylist(), strict=True))
    monthly = profile.tables["training_by_month"].to_pylist()
    courses = list(dict.fromkeys(r["course"] for r in monthly))
    running: dict[str, dict[str, int]] = {}
    for r in monthly:
        running.setdefault(r["month"], {})[r["course"]] = r["cumulative"]
    wide = pa.Table.from_pylist([{"month": m, **v} for m, v in running.items()],
                                pa.schema([("month", pa.string()), *((c, pa.int64()) for c in courses)]))
    series = tuple((c, names.get(c, c)) for c in courses)
    chart = series_chart(wide, "training_by_month", "Officers trained, running total by course", "month", series,
                         "completions")
    return [*blocks, chart]


def case_records(profile: Profile, force: Force) -> list[Block]:
    """The case-record sections the store has records for, and a placeholder naming those it has not."""
    if profile.audience != "internal":
        return [Heading("Stalking Protection Orders, referrals, audits and training", 2),
                Paragraph("Figures on Stalking Protection Orders, victim referrals, audits and training are for the "
                          "force's own readers: their counts are small.", "placeholder")]
    blocks: list[Block] = []
    missing = []
    for name, heading, title, records in _CASE_TABLES:
        if not has_rows(profile, name):
            missing.append(records)
        elif name == "spo":
            blocks += [Heading(heading, 2), *_spo(profile, force)]
        elif name == "audits":
            blocks += [Heading(heading, 2), *_audits(profile, force)]
        elif name == "training":
            blocks += [Heading(heading, 2), *_training(profile)]
        else:
            blocks += [Heading(heading, 2), table_block(profile.tables[name], name, title)]
    if missing:
        blocks += [Heading("Records not yet kept", 2),
                   Paragraph(f"The store holds no {join(missing, 'or')} records yet, so this "
                             "report gives no figures for them. They will appear here once those records are kept "
                             "in the store.", "placeholder")]
    return blocks
