"""Composing the report: one built profile turned into the document every format renders.

Organised like the seed report, by the three questions it answers, each section opening with
its question in plain words: recorded stalking (DA and non-DA), handling and victim support,
and hotspots and online offending; then outcomes, and an annex on method and data quality.
Tables show the profile's own tables (partner and public profiles arrive already suppressed,
so every table, chart and sentence here is built from figures that may be shown). Very long
tables are cut to their most useful rows, with a note saying so; the workbook has them whole.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from stalking_profile.errors import StalkingProfileError
from stalking_profile.force import Force
from stalking_profile.metrics.profile import Profile
from stalking_profile.reporting.charts import band_chart, rate_chart, rolling_chart
from stalking_profile.reporting.document import (
    Block,
    Bullets,
    Chart,
    Document,
    FrontPage,
    Heading,
    Paragraph,
    TableBlock,
)
from stalking_profile.reporting.findings import key_findings
from stalking_profile.reporting.narrative import (
    cyber_sentences,
    demographic_sentences,
    handling_sentences,
    outcome_sentences,
    recorded_sentences,
)

__all__ = ["LABELS", "MapMaker", "compose", "display_cell", "label", "table_block"]

#: Column headings as the reader sees them.
LABELS = {
    "district": "District", "domestic": "Domestic", "current": "This period", "previous": "Previous period",
    "change_pct": "Change %", "change_p_value": "p-value", "crimes": "Crimes", "arrested": "Arrested",
    "assessed": "Risk assessed", "rate_pct": "Rate %", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "relationship": "Relationship", "outcome": "Outcome", "group": "Outcome group", "count": "Count", "pct": "%",
    "allocated_unit": "Allocated unit", "non_specialist": "Non-specialist", "standard": "Standard",
    "medium": "Medium", "high": "High", "above_recorded": "Above recorded risk",
    "high_no_assessment": "High, no assessment", "high_non_specialist": "High, non-specialist unit",
    "with_mo": "With MO text", "flagged": "Cyber flag", "detected": "Technology in MO",
    "flag_rate_pct": "Flag rate %", "corrected_pct": "Corrected %", "corrected_ci_low": "95% CI low",
    "corrected_ci_high": "95% CI high", "category": "Group", "area_name": "Area", "area_code": "Code",
    "value": "Value", "gi_class": "Gi* class", "observed": "Observed", "expected": "Expected",
    "observed_expected": "Observed / expected", "placed_by": "Placed by", "offence_family": "Offence family",
    "in_force_at_end": "In force at end", "conversion_pct": "Conversion %", "spos_per_1000": "SPOs per 1,000 crimes",
    "stalking_crimes": "Stalking crimes", "victims": "Victims", "referred_specialist": "Referred (specialist)",
    "accepted": "Accepted", "breaches_charged": "Breaches charged", "interim_orders": "Interim orders",
    "full_orders": "Full orders",
}


def label(column: str) -> str:
    """A column's heading as the reader sees it.

    Examples
    --------
    >>> label("rate_pct"), label("arrested_ci_low"), label("median_days_to_full")
    ('Rate %', 'Arrested 95% CI low', 'Median days to full')
    """
    if column in LABELS:
        return LABELS[column]
    text = column.replace("_ci_low", " 95% CI low").replace("_ci_high", " 95% CI high").replace("_pct", " %")
    return text.replace("_", " ").capitalize().replace("95% ci", "95% CI")
#: The question that opens each section, in plain words.
QUESTIONS = {
    "recorded": "How much stalking is recorded, how is it changing, and how much of it is domestic abuse?",
    "handling": "How are reports handled and victims supported: risk assessment, arrest, allocation, and "
                "patterns of risk across incidents?",
    "places": "Where does stalking happen, how does it sit beside harassment and domestic abuse, how much is "
              "online, and who are the victims and suspects?",
    "outcomes": "What outcomes do stalking crimes reach, by district, for domestic and non-domestic crimes?",
}
_ROW_LIMIT = 25  # rows of a long table shown in the report (the workbook has all of them)
#: Makes the maps of a profile (ward or LSOA, rate and hot spots), or says why it cannot.
MapMaker = Callable[[Profile, str], list[Chart]]


def display_cell(name: str, value: Any) -> str:
    """A cell as printed in the report: thousands separators, percentages to one decimal place
    (two below 10), p-values to three, blanks for missing, suppressed markers as they are.

    Examples
    --------
    >>> display_cell("crimes", 6129), display_cell("rate_pct", 21.93), display_cell("pct", 2.333)
    ('6,129', '21.9', '2.33')
    >>> display_cell("change_p_value", 2e-58), display_cell("crimes", "<5"), display_cell("x", None)
    ('<0.001', '<5', '')
    >>> display_cell("count", "1449"), display_cell("pct", "'-3.14"), display_cell("area_code", "E01010568")
    ('1,449', '-3.14', 'E01010568')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if name.endswith("p_value") or name.endswith("_p") or name.endswith("p_fdr"):
            return "<0.001" if value < 0.001 else f"{value:.3f}"
        if name.endswith("pct") or name.startswith("ci_") or "_ci_" in name:
            return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
        if "days" in name or name.endswith("per_1000"):
            return f"{value:,.1f}"
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    number = text[1:] if text.startswith("'") else text  # spreadsheet-safe text from a suppressed table
    if re.fullmatch(r"-?\d+", number):  # a partner or public table holds numbers as text beside <5
        return display_cell(name, int(number))
    if re.fullmatch(r"-?\d+\.\d*", number):
        return display_cell(name, float(number))
    return text


def _numeric(table: pa.Table, column: str) -> bool:
    kind = table.schema.field(column).type
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or column not in (
        "district", "domestic", "relationship", "outcome", "group", "allocated_unit", "category", "area_name",
        "area_code", "gi_class", "offence_family", "placed_by", "level", "dimension", "basis", "cyber")


def table_block(table: pa.Table, name: str, title: str, columns: Sequence[str] | None = None,
                limit: int | None = None, note: str = "") -> TableBlock:
    """A profile table as the report shows it: ``columns`` (default all) with their labels,
    the first ``limit`` rows (a note says how many were left out)."""
    columns = [c for c in (columns or table.column_names) if c in table.column_names]
    rows = table.select(columns).to_pylist()
    if limit is not None and len(rows) > limit:
        note = (note + " " if note else "") + (f"The first {limit} of {len(rows):,} rows are shown; "
                                               "tables.xlsx has them all.")
        rows = rows[:limit]
    return TableBlock(name, title, tuple(label(c) for c in columns),
                      tuple(tuple(display_cell(c, r[c]) for c in columns) for r in rows),
                      tuple(_numeric(table, c) for c in columns), note)


def _has(profile: Profile, name: str) -> bool:
    table = profile.tables.get(name)
    return table is not None and table.num_rows > 0


def _paragraphs(sentences: Sequence[str]) -> list[Block]:
    return [Paragraph(s) for s in sentences]


def _recorded(profile: Profile, force: Force) -> list[Block]:
    family = profile.family
    blocks: list[Block] = [Heading("1. Recorded stalking: domestic and non-domestic"),
                           Paragraph(QUESTIONS["recorded"], "question"),
                           *_paragraphs(recorded_sentences(profile))]
    if _has(profile, "rolling_12m"):
        blocks.append(rolling_chart(profile.tables["rolling_12m"], family))
    if _has(profile, "volumes"):
        blocks.append(table_block(profile.tables["volumes"], "volumes",
                                  f"{family.capitalize()} crimes by district, this period and the one before",
                                  ["district", "domestic", "current", "previous", "change_pct", "change_p_value"]))
    if _has(profile, "volumes_by_relationship"):
        blocks.append(table_block(profile.tables["volumes_by_relationship"], "volumes_by_relationship",
                                  "By victim-suspect relationship",
                                  ["domestic", "relationship", "current", "previous", "change_pct"]))
    return blocks


def _handling(profile: Profile, force: Force) -> list[Block]:
    blocks: list[Block] = [Heading("2. Handling and victim support"), Paragraph(QUESTIONS["handling"], "question"),
                           *_paragraphs(handling_sentences(profile))]
    for name, what in (("arrests", "arrest"), ("risk_assessment", "risk assessment")):
        if _has(profile, name):
            blocks.append(Heading(f"{what.capitalize()}s" if name == "arrests" else "Risk assessment", 2))
            blocks.append(rate_chart(profile.tables[name], name, what, force.district_codes))
            measure = "arrested" if name == "arrests" else "assessed"
            blocks.append(table_block(profile.tables[name], name, f"{what.capitalize()} rate by district",
                                      ["district", "domestic", "crimes", measure, "rate_pct", "ci_low", "ci_high"]))
    if _has(profile, "cumulative_risk"):
        blocks += [Heading("Cumulative risk and allocation", 2),
                   band_chart(profile.tables["cumulative_risk"], force.district_codes),
                   table_block(profile.tables["cumulative_risk"], "cumulative_risk",
                               "Crimes by cumulative-risk band, and those the review flags")]
        allocation = profile.tables.get("allocation")
        if allocation is not None and allocation.num_rows:
            rows = allocation.filter(pa.compute.equal(allocation["domestic"], "All"))
            blocks.append(table_block(rows, "allocation", "Allocated unit by cumulative-risk band (all crimes)",
                                      note="Domestic and non-domestic splits are in tables.xlsx."))
        blocks.append(Paragraph("The crimes behind these counts are listed, with the factors behind each score, "
                                "by `stalking-profile worklist cumulative-risk`, `missing-risk-assessment`, "
                                "`repeat-victims` and `serial-suspects` (internal only).", "note"))
    if _has(profile, "handling_by_relationship"):
        blocks.append(table_block(profile.tables["handling_by_relationship"], "handling_by_relationship",
                                  "Arrest and risk-assessment rates by relationship"))
    return blocks + _case_records(profile)


#: Case records kept beside the crimes: profile table, heading, what the table shows, the records' name.
_CASE_TABLES = (("spo", "Stalking Protection Orders", "Stalking Protection Orders by district",
                 "Stalking Protection Order"),
                ("referrals", "Victim referrals", "Victims referred to specialist stalking advocacy",
                 "victim referral"),
                ("training", "Officer training", "Officers trained against targets, by district and course",
                 "training"))


def _case_records(profile: Profile) -> list[Block]:
    """SPOs and referrals where the store holds them; an honest placeholder for what it does not."""
    blocks: list[Block] = []
    missing = []
    for name, heading, title, records in _CASE_TABLES:
        if _has(profile, name):
            blocks += [Heading(heading, 2), table_block(profile.tables[name], name, title)]
        else:
            missing.append(records)
    if profile.audience != "internal":
        return [Heading("Stalking Protection Orders, referrals, audits and training", 2),
                Paragraph("Figures on Stalking Protection Orders, victim referrals, audits and training are for the "
                          "force's own readers: their counts are small.", "placeholder")]
    missing.insert(len(missing) - (missing[-1:] == ["training"]), "dip-sample audit")
    blocks += [Heading("Records not yet kept", 2),
               Paragraph(f"The store holds no {', '.join(missing[:-1]) + ' or ' if missing[:-1] else ''}"
                         f"{missing[-1]} records yet, so this "
                         "report gives no figures for them. They will appear here once those records are kept in "
                         "the store.", "placeholder")]
    return blocks


def _places(profile: Profile, maps: MapMaker | None) -> list[Block]:
    family = profile.family
    blocks: list[Block] = [Heading("3. Hotspots and online offending"), Paragraph(QUESTIONS["places"], "question")]
    if maps is not None:
        for measure in ("district", "value", "gi"):
            try:
                blocks += maps(profile, measure)
            except StalkingProfileError as exc:
                why = (f"small-area maps are not drawn for a {profile.audience} audience, as most small-area "
                       "counts are under 5; the district map is, and ward maps are once ward geography is imported"
                       if profile.audience != "internal" else f"{exc.message} ({exc.hint})" if exc.hint
                       else exc.message)
                note = Paragraph(f"Map not drawn: {why}.", "note")
                if note not in blocks:  # one note, whichever maps it stopped
                    blocks.append(note)
    if _has(profile, "wards"):
        wards = profile.tables["wards"]
        rows = wards.filter(pa.compute.equal(wards["offence_family"], family))
        if "rate_per_1000" in rows.column_names:
            rows = rows.sort_by([("rate_per_1000", "descending")])
        blocks.append(table_block(rows, "wards", f"Wards with the highest {family} rates", limit=15))
    else:
        blocks.append(Paragraph("No ward geography is in the store, so wards, population rates and deprivation "
                                "are not shown: import them with `stalking-profile geography import --lookup FILE "
                                "--ward-population FILE --imd FILE`.", "placeholder"))
    if _has(profile, "hotspot_overlap"):
        blocks.append(Heading("Stalking beside harassment and domestic abuse", 2))
        overlap = profile.tables["hotspot_overlap"]
        blocks += _paragraphs([s for s in overlap.column("sentence").to_pylist() if s])
    if _has(profile, "hotspot_adjusted"):
        adjusted = profile.tables["hotspot_adjusted"]
        rows = adjusted.filter(pa.compute.equal(adjusted["offence_family"], family))
        blocks.append(table_block(rows, "hotspot_adjusted", "Hotspots after adjusting for deprivation and age",
                                  limit=15))
    blocks += [Heading("Online offending", 2), *_paragraphs(cyber_sentences(profile))]
    if _has(profile, "cyber"):
        blocks.append(table_block(profile.tables["cyber"], "cyber", "Cyber-enabled flag against technology in the MO",
                                  ["district", "domestic", "crimes", "flagged", "detected", "flag_rate_pct",
                                   "corrected_pct", "corrected_ci_low", "corrected_ci_high"]))
    blocks += [Heading("Victims and suspects", 2), *_paragraphs(demographic_sentences(profile))]
    for role in ("victims", "suspects"):
        name = f"demographics_{role}"
        if _has(profile, name):
            t = profile.tables[name]
            keep = pa.compute.and_(pa.compute.equal(t["basis"], "crimes"), pa.compute.and_(
                pa.compute.equal(t["domestic"], "All"), pa.compute.equal(t["cyber"], "All")))
            blocks.append(table_block(t.filter(keep), name, f"{role.capitalize()} by age, sex and ethnicity "
                                      "(each crime counted once)", ["dimension", "category", "count", "pct"]))
    return blocks


def _outcomes(profile: Profile) -> list[Block]:
    blocks: list[Block] = [Heading("4. Outcomes"), Paragraph(QUESTIONS["outcomes"], "question"),
                           *_paragraphs(outcome_sentences(profile))]
    if _has(profile, "outcome_groups"):
        blocks.append(table_block(profile.tables["outcome_groups"], "outcome_groups", "Outcome groups",
                                  ["domestic", "group", "count", "pct", "ci_low", "ci_high"]))
    for name, title in (("outcomes_domestic", "Outcomes of domestic crimes by district"),
                        ("outcomes_non_domestic", "Outcomes of non-domestic crimes by district")):
        if _has(profile, name):
            blocks.append(table_block(profile.tables[name], name, title))
    return blocks


def _annex(profile: Profile, rejected: int | None) -> list[Block]:
    blocks: list[Block] = [Heading("Annex: method and data quality"),
                           Paragraph("What was counted, how, and what the data could not tell.", "question"),
                           Bullets(tuple(profile.notes))]
    if rejected is not None:
        blocks.append(Paragraph(f"Rows rejected at ingest (kept in the store with their reasons): {rejected:,}."))
    if _has(profile, "placement"):
        blocks.append(table_block(profile.tables["placement"], "placement", "How crimes were placed on the map"))
    if _has(profile, "demographics_quality"):
        blocks.append(table_block(profile.tables["demographics_quality"], "demographics_quality",
                                  "Completeness of victim and suspect details"))
    if profile.suppression is not None:
        blocks.append(Paragraph(f"Disclosure control: counts from 1 to {profile.suppression.threshold - 1} are "
                                "hidden, with further cells hidden where they would let a hidden count be worked "
                                "out; shown as <5 (or [c]).", "note"))
    return blocks


def compose(profile: Profile, force: Force, *, source: str, generated: dt.date | None = None,
            rejected: int | None = None, maps: MapMaker | None = None) -> Document:
    """The report for ``profile``: front page, key findings, the sections and the annex.

    ``source`` names the data (store and extract batch) for the front page; ``rejected`` is the
    number of rows rejected at ingest; ``maps`` draws the profile's maps (None: no maps).
    """
    front = FrontPage("Stalking Problem Profile", profile.period.label, force.name, profile.audience,
                      profile.marking, (generated or dt.date.today()).isoformat(), source)
    findings = key_findings(profile)
    blocks: list[Block] = [Heading("Summary of key findings"),
                           Bullets(tuple(findings)) if findings else Paragraph("No findings: the window has no data.",
                                                                               "placeholder")]
    for part in (_recorded(profile, force), _handling(profile, force), _places(profile, maps), _outcomes(profile),
                 _annex(profile, rejected)):
        blocks += part
    blocks.append(Paragraph("Contains public sector information licensed under the Open Government Licence v3.0.",
                            "note"))
    return Document(front, blocks)
