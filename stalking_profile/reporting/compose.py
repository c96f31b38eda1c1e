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
from collections.abc import Callable

import pyarrow as pa

from stalking_profile.errors import StalkingProfileError
from stalking_profile.force import Force
from stalking_profile.metrics.profile import Profile
from stalking_profile.reporting.blocks import has_rows, paragraphs, table_block
from stalking_profile.reporting.case_sections import case_records
from stalking_profile.reporting.charts import band_chart, rate_chart, rolling_chart
from stalking_profile.reporting.document import (
    Block,
    Bullets,
    Chart,
    Document,
    FrontPage,
    Heading,
    Paragraph,
)
from stalking_profile.reporting.findings import key_findings
from stalking_profile.reporting.narrative import (
    cyber_sentences,
    demographic_sentences,
    handling_sentences,
    outcome_sentences,
    recorded_sentences,
)

__all__ = ["QUESTIONS", "MapMaker", "compose"]

#: The question that opens each section, in plain words.
QUESTIONS = {
    "recorded": "How much stalking is recorded, how is it changing, and how much of it is domestic abuse?",
    "handling": "How are reports handled and victims supported: risk assessment, arrest, allocation, and "
                "patterns of risk across incidents?",
    "places": "Where does stalking happen, how does it sit beside harassment and domestic abuse, how much is "
              "online, and who are the victims and suspects?",
    "outcomes": "What outcomes do stalking crimes reach, by district, for domestic and non-domestic crimes?",
}
#: Makes the maps of a profile (ward or LSOA, rate and hot spots), or says why it cannot.
MapMaker = Callable[[Profile, str], list[Chart]]


def _recorded(profile: Profile, force: Force) -> list[Block]:
    family = profile.family
    blocks: list[Block] = [Heading("1. Recorded stalking: domestic and non-domestic"),
                           Paragraph(QUESTIONS["recorded"], "question"),
                           *paragraphs(recorded_sentences(profile))]
    if has_rows(profile, "rolling_12m"):
        blocks.append(rolling_chart(profile.tables["rolling_12m"], family))
    if has_rows(profile, "volumes"):
        blocks.append(table_block(profile.tables["volumes"], "volumes",
                                  f"{family.capitalize()} crimes by district, this period and the one before",
                                  ["district", "domestic", "current", "previous", "change_pct", "change_p_value"]))
    if has_rows(profile, "volumes_by_relationship"):
        blocks.append(table_block(profile.tables["volumes_by_relationship"], "volumes_by_relationship",
                                  "By victim-suspect relationship",
                                  ["domestic", "relationship", "current", "previous", "change_pct"]))
    return blocks


def _handling(profile: Profile, force: Force) -> list[Block]:
    blocks: list[Block] = [Heading("2. Handling and victim support"), Paragraph(QUESTIONS["handling"], "question"),
                           *paragraphs(handling_sentences(profile))]
    for name, what in (("arrests", "arrest"), ("risk_assessment", "risk assessment")):
        if has_rows(profile, name):
            blocks.append(Heading(f"{what.capitalize()}s" if name == "arrests" else "Risk assessment", 2))
            blocks.append(rate_chart(profile.tables[name], name, what, force.district_codes))
            measure = "arrested" if name == "arrests" else "assessed"
            blocks.append(table_block(profile.tables[name], name, f"{what.capitalize()} rate by district",
                                      ["district", "domestic", "crimes", measure, "rate_pct", "ci_low", "ci_high"]))
    if has_rows(profile, "cumulative_risk"):
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
    if has_rows(profile, "handling_by_relationship"):
        blocks.append(table_block(profile.tables["handling_by_relationship"], "handling_by_relationship",
                                  "Arrest and risk-assessment rates by relationship"))
    return blocks + case_records(profile, force)


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
    if has_rows(profile, "wards"):
        wards = profile.tables["wards"]
        rows = wards.filter(pa.compute.equal(wards["offence_family"], family))
        if "rate_per_1000" in rows.column_names:
            rows = rows.sort_by([("rate_per_1000", "descending")])
        blocks.append(table_block(rows, "wards", f"Wards with the highest {family} rates", limit=15))
    else:
        blocks.append(Paragraph("No ward geography is in the store, so wards, population rates and deprivation "
                                "are not shown: import them with `stalking-profile geography import --lookup FILE "
                                "--ward-population FILE --imd FILE`.", "placeholder"))
    if has_rows(profile, "hotspot_overlap"):
        blocks.append(Heading("Stalking beside harassment and domestic abuse", 2))
        overlap = profile.tables["hotspot_overlap"]
        blocks += paragraphs([s for s in overlap.column("sentence").to_pylist() if s])
    if has_rows(profile, "hotspot_adjusted"):
        adjusted = profile.tables["hotspot_adjusted"]
        rows = adjusted.filter(pa.compute.equal(adjusted["offence_family"], family))
        blocks.append(table_block(rows, "hotspot_adjusted", "Hotspots after adjusting for deprivation and age",
                                  limit=15))
    blocks += [Heading("Online offending", 2), *paragraphs(cyber_sentences(profile))]
    if has_rows(profile, "cyber"):
        blocks.append(table_block(profile.tables["cyber"], "cyber", "Cyber-enabled flag against technology in the MO",
                                  ["district", "domestic", "crimes", "flagged", "detected", "flag_rate_pct",
                                   "corrected_pct", "corrected_ci_low", "corrected_ci_high"]))
    blocks += [Heading("Victims and suspects", 2), *paragraphs(demographic_sentences(profile))]
    for role in ("victims", "suspects"):
        name = f"demographics_{role}"
        if has_rows(profile, name):
            t = profile.tables[name]
            keep = pa.compute.and_(pa.compute.equal(t["basis"], "crimes"), pa.compute.and_(
                pa.compute.equal(t["domestic"], "All"), pa.compute.equal(t["cyber"], "All")))
            blocks.append(table_block(t.filter(keep), name, f"{role.capitalize()} by age, sex and ethnicity "
                                      "(each crime counted once)", ["dimension", "category", "count", "pct"]))
    return blocks


def _outcomes(profile: Profile) -> list[Block]:
    blocks: list[Block] = [Heading("4. Outcomes"), Paragraph(QUESTIONS["outcomes"], "question"),
                           *paragraphs(outcome_sentences(profile))]
    if has_rows(profile, "outcome_groups"):
        blocks.append(table_block(profile.tables["outcome_groups"], "outcome_groups", "Outcome groups",
                                  ["domestic", "group", "count", "pct", "ci_low", "ci_high"]))
    for name, title in (("outcomes_domestic", "Outcomes of domestic crimes by district"),
                        ("outcomes_non_domestic", "Outcomes of non-domestic crimes by district")):
        if has_rows(profile, name):
            blocks.append(table_block(profile.tables[name], name, title))
    return blocks


def _annex(profile: Profile, rejected: int | None) -> list[Block]:
    blocks: list[Block] = [Heading("Annex: method and data quality"),
                           Paragraph("What was counted, how, and what the data could not tell.", "question"),
                           Bullets(tuple(profile.notes))]
    if rejected is not None:
        blocks.append(Paragraph(f"Rows rejected at ingest (kept in the store with their reasons): {rejected:,}."))
    if has_rows(profile, "placement"):
        blocks.append(table_block(profile.tables["placement"], "placement", "How crimes were placed on the map"))
    if has_rows(profile, "demographics_quality"):
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
