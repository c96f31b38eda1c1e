"""The report's sentences: phrase arithmetic and wording, section sentences from hand-built
profiles, and a public profile whose suppressed figures give no sentence."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pytest

from stalking_profile.force import load_force
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.profile import Profile, ProfileRequest, build_profile
from stalking_profile.reporting import findings, narrative
from stalking_profile.reporting.phrases import (
    change,
    count,
    extreme,
    interval,
    p_value,
    percent,
    rate,
    rate_in,
    shown,
    significance,
)
from stalking_profile.store.connection import open_store
from tests.conftest import TODAY, rows_of, write_csv

WINDOW = Period(dt.date(2020, 10, 1), dt.date(2021, 9, 30))
BREAK_NOTE = ("Recording-rule change inside the compared windows: April 2020: any course of conduct between a victim "
              "and a former partner is recorded as stalking unless it is harassment only. Changes across it are not "
              "like-for-like.")


# --- phrases ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "noun", "plural", "expected"), [
    (1, "crime", None, "1 crime"), (2, "crime", None, "2 crimes"), (0, "crime", None, "0 crimes"),
    (6129, "crime", None, "6,129 crimes"), (1, "person", "people", "1 person"), (2, "person", "people", "2 people"),
], ids=["one", "two", "zero", "thousands", "irregular-one", "irregular-two"])
def test_count(n: int, noun: str, plural: str | None, expected: str) -> None:
    assert count(n, noun, plural) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (86.5225, "86.5%"), (10.0, "10.0%"), (9.996, "10.0%"), (9.994, "9.99%"), (2.75176, "2.75%"), (0.125, "0.13%"),
    (0.0, "0.00%"), (100.0, "100.0%"), (1150.0, "1,150.0%"),
], ids=["one-place", "ten", "rounds-up-to-ten", "under-ten", "two-places", "half-up", "zero", "hundred", "thousands"])
def test_percent(value: float, expected: str) -> None:
    assert percent(value) == expected


@pytest.mark.parametrize(("current", "previous", "expected"), [
    (6129, 3286, "rose by 86.5% (from 3,286 to 6,129)"),
    (880, 1000, "fell by 12.0% (from 1,000 to 880)"),
    (1000, 1000, "was unchanged (at 1,000)"),
    (12, 0, "rose from none to 12"),
    (0, 0, "was unchanged (none in either period)"),
    (0, 5, "fell by 100.0% (from 5 to none)"),
    (3700, 1000, "rose by 270.0%, to 3.7 times the previous level (from 1,000 to 3,700)"),
    (4818, 1311, "rose by 267.5%, to 3.7 times the previous level (from 1,311 to 4,818)"),
    (2000, 1000, "rose by 100.0%, to twice the previous level (from 1,000 to 2,000)"),
    (1999, 1000, "rose by 99.9% (from 1,000 to 1,999)"),
    (103, 100, "rose by 3.00% (from 100 to 103)"),
    (97, 100, "fell by 3.00% (from 100 to 97)"),
], ids=["rise", "fall", "equal", "from-none", "both-none", "to-none", "3.7x", "seed-3.7x", "double",
        "just-under-double", "small-rise", "small-fall"])
def test_change(current: int, previous: int, expected: str) -> None:
    assert change(current, previous) == expected


def test_a_37_fold_rise_is_never_a_370_percent_increase() -> None:
    text = change(3700, 1000)
    assert "370" not in text and "270.0%" in text and "3.7 times" in text
    assert change(880, 1000, figures=False) == "fell by 12.0%"
    assert change(1000, 1000, figures=False) == "was unchanged"
    with pytest.raises(ValueError, match="negative"):
        change(-1, 5)


@pytest.mark.parametrize(("numerator", "denominator", "ci", "expected"), [
    (344, 1571, None, "21.9% (344 of 1,571)"),
    (344, 1571, (19.9, 24.0), "21.9% (344 of 1,571; 95% CI 19.9% to 24.0%)"),
    (18, 460, None, "3.91% (18 of 460)"),
    (1, 12, (1.49, 35.4), "8.33% (1 of 12; 95% CI 1.49% to 35.4%)"),
    (0, 7, None, "0.00% (0 of 7)"),
    (1, 1, None, "100.0% (1 of 1)"),
], ids=["rate", "with-interval", "under-ten", "under-ten-interval", "zero", "all"])
def test_rate(numerator: int, denominator: int, ci: tuple[float, float] | None, expected: str) -> None:
    assert rate(numerator, denominator, ci) == expected


def test_rate_needs_a_base() -> None:
    with pytest.raises(ValueError, match="denominator"):
        rate(0, 0)


@pytest.mark.parametrize(("p", "expected"), [
    (2.8e-193, "a statistically significant change (p < 0.001)"),
    (0.0004, "a statistically significant change (p < 0.001)"),
    (0.0042, "a statistically significant change (p = 0.004)"),
    (0.0123, "a statistically significant change (p = 0.01)"),
    (0.049, "a statistically significant change (p = 0.049)"),
    (0.0499, "a statistically significant change (p = 0.0499)"),
    (0.05, "not a statistically significant change (p = 0.05)"),
    (0.0504, "not a statistically significant change (p = 0.05)"),
    (0.21, "not a statistically significant change (p = 0.21)"),
    (1.0, "not a statistically significant change (p > 0.99)"),
], ids=["tiny", "under-0.001", "under-0.01", "0.01", "0.049", "just-under-0.05", "0.05", "just-over-0.05", "0.21",
        "one"])
def test_significance(p: float, expected: str) -> None:
    assert significance(p) == expected


def test_p_value_is_a_probability() -> None:
    assert p_value(0.5) == "p = 0.50"
    with pytest.raises(ValueError, match="not a p-value"):
        p_value(1.5)


def test_interval() -> None:
    assert interval(19.9, 24.0) == "(95% CI 19.9% to 24.0%)"
    assert interval(1.03, 8.45) == "(95% CI 1.03% to 8.45%)"
    assert interval(4.5, 12.25, level=90) == "(90% CI 4.50% to 12.3%)"


def test_cells_read_only_shown_figures() -> None:
    assert [shown(v) for v in (12, "1207", "8.88", "'-3.14", "<5", "[c]", None, "", "Y")] == \
        [12, 1207, 8.88, -3.14, None, None, None, None, None]
    assert rate_in({"crimes": "<5", "arrested": "<5", "rate_pct": "[c]"}, "arrested") is None
    assert rate_in({"crimes": 10, "arrested": 0, "rate_pct": None}, "arrested") is None  # no rate given
    assert extreme({"BD": 70, "CD": "<5", "LD": 30}, largest=True) == (["BD"], 70)
    assert extreme({"BD": 3, "CD": "<5"}, largest=True) is None  # the <5 could be 4
    assert extreme({"BD": 70, "CD": "<5"}, largest=False) is None


# --- hand-built profiles ----------------------------------------------------------------------------------------


def _table(columns: str, *rows: tuple[Any, ...]) -> pa.Table:
    names = columns.split()
    return pa.table({name: [r[i] for r in rows] for i, name in enumerate(names)})


def _profile(tables: dict[str, pa.Table], notes: list[str] | None = None, family: str = "stalking") -> Profile:
    return Profile(WINDOW, WINDOW.previous(), family, ("8Q",), 1, tables, notes or [])


VOLUMES = _table(
    "district domestic current previous change_pct change_p_value",
    ("BD", "All", 70, 50, 40.0, 0.09), ("BD", "Domestic", 62, 35, 77.1, 0.006),
    ("BD", "Non-Domestic", 8, 15, -46.7, 0.2), ("LD", "All", 30, 30, 0.0, 1.0), ("LD", "Domestic", 28, 25, 12.0, 0.7),
    ("LD", "Non-Domestic", 2, 5, -60.0, 0.45),
    ("Force", "All", 100, 80, 25.0, 0.12), ("Force", "Domestic", 90, 60, 50.0, 0.0123),
    ("Force", "Non-Domestic", 10, 20, -50.0, 0.049),
)
ROLLING = _table(
    "month all domestic non_domestic recording_break window_spans_break",
    ("2020-03", 50, 40, 10, None, False), ("2020-04", 60, 49, 11, "April 2020: any course of conduct", True),
    ("2021-03", 185, 170, 15, None, False),
)
ARRESTS = _table(
    "district domestic crimes arrested rate_pct ci_low ci_high",
    ("Force", "All", 102, 19, 18.6, 12.3, 27.3), ("Force", "Domestic", 90, 18, 20.0, 13.1, 29.3),
    ("Force", "Non-Domestic", 12, 1, 8.33, 1.49, 35.4),
)
RISK = _table(
    "district domestic crimes assessed rate_pct ci_low ci_high",
    ("Force", "Domestic", 90, 81, 90.0, 82.1, 94.7), ("Force", "Non-Domestic", 12, 3, 25.0, 8.89, 53.2),
)
CUMULATIVE = _table(
    "district domestic crimes standard medium high above_recorded high_no_assessment high_non_specialist",
    ("Force", "All", 102, 31, 20, 51, 34, 1, 10), ("Force", "Non-Domestic", 12, 6, 2, 4, 3, 1, 3),
)
ALLOCATION = _table(
    "district domestic allocated_unit non_specialist crimes standard medium high",
    ("Force", "All", "DA team", False, 90, 25, 24, 41), ("Force", "All", "patrol", True, 12, 6, 2, 10),
)
CYBER = _table(
    "district domestic crimes with_mo flagged detected flagged_and_detected flagged_only detected_only neither "
    "flag_rate_pct corrected_pct corrected_ci_low corrected_ci_high",
    ("Force", "All", 200, 150, 10, 40, 8, 2, 32, 158, 5.0, 21.0, 16.0, 27.1),
)
_PEOPLE = "basis domestic cyber dimension category count pct base"
VICTIMS = _table(
    _PEOPLE,
    ("crimes", "All", "All", "age_band", "under 18", 2, 2.0, 100),
    ("crimes", "All", "All", "age_band", "20-29", 40, 40.0, 100),
    ("crimes", "All", "All", "age_band", "30-39", 40, 40.0, 100),
    ("crimes", "All", "All", "age_band", "60+", 10, 10.0, 100),
    ("crimes", "All", "All", "age_band", "unknown", 8, 8.0, 100),
    ("crimes", "All", "All", "sex", "female", 75, 75.0, 100),
    ("crimes", "All", "All", "sex", "male", 25, 25.0, 100),
    ("crimes", "All", "All", "sex", "unknown", 0, 0.0, 100),
    ("persons", "All", "All", "sex", "male", 90, 90.0, 100),  # other bases and groups are not read
    ("crimes", "Domestic", "All", "sex", "male", 80, 80.0, 100),
)
SUSPECTS = _table(
    _PEOPLE,
    ("crimes", "All", "All", "age_band", "20-29", 30, 30.0, 100),
    ("crimes", "All", "All", "age_band", "60+", 50, 50.0, 100),
    ("crimes", "All", "All", "age_band", "unknown", 0, 0.0, 100),
    ("crimes", "All", "All", "sex", "female", 30, 30.0, 100),
    ("crimes", "All", "All", "sex", "male", 60, 60.0, 100),
    ("crimes", "All", "All", "sex", "unknown", 10, 10.0, 100),
)
OUTCOMES = _table(
    "domestic group count pct ci_low ci_high crimes",
    ("Domestic", "Charged/summonsed (1, 1A)", 9, 10.0, 5.4, 17.9, 90),
    ("Domestic", "Victim does not support (16)", 45, 50.0, 39.9, 60.1, 90),
    ("Domestic", "Not yet assigned an outcome", 18, 20.0, 13.1, 29.3, 90),
    ("Non-Domestic", "Charged/summonsed (1, 1A)", 1, 8.33, 1.49, 35.4, 12),
    ("Non-Domestic", "Victim does not support (16)", 6, 50.0, 25.4, 74.6, 12),
    ("Non-Domestic", "Not yet assigned an outcome", 6, 50.0, 25.4, 74.6, 12),
)
ALL_TABLES = {"volumes": VOLUMES, "rolling_12m": ROLLING, "arrests": ARRESTS, "risk_assessment": RISK,
              "cumulative_risk": CUMULATIVE, "allocation": ALLOCATION, "cyber": CYBER, "demographics_victims": VICTIMS,
              "demographics_suspects": SUSPECTS, "outcome_groups": OUTCOMES}

RECORDED = [
    "Recorded stalking rose by 25.0% (from 80 to 100) in the 12 months to September 2021 compared with the 12 months "
    "before, not a statistically significant change (p = 0.12).",
    "Crimes flagged as domestic abuse made up 90.0% (90 of 100) of recorded stalking.",
    "Domestic stalking rose by 50.0% (from 60 to 90), a statistically significant change (p = 0.01).",
    "Non-domestic stalking fell by 50.0% (from 20 to 10), a statistically significant change (p = 0.049).",
    "A recording-rule change in April 2020 falls inside the compared periods (any course of conduct between a victim "
    "and a former partner is recorded as stalking unless it is harassment only), so the change between them is not "
    "like-for-like.",
    "Across the April 2020 change, the 12-month rolling total of stalking crimes rose by 270.0%, to 3.7 times the "
    "previous level (from 50 in the 12 months to March 2020 to 185 in the 12 months to March 2021); that comparison "
    "mixes the effect of the new rule with any real change.",
    "BD recorded the most stalking crimes (70, 70.0% of the force total) and LD the fewest (30, 30.0%).",
]


def test_recorded_sentences() -> None:
    profile = _profile({"volumes": VOLUMES, "rolling_12m": ROLLING}, [BREAK_NOTE])
    assert narrative.recorded_sentences(profile) == RECORDED
    named = narrative.recorded_sentences(_profile({"volumes": VOLUMES}), names={"BD": "Bradford", "LD": "Leeds"})
    assert named[-1] == ("Bradford (BD) recorded the most stalking crimes (70, 70.0% of the force total) and "
                         "Leeds (LD) the fewest (30, 30.0%).")


def test_recorded_sentences_name_the_family_and_an_uneven_window() -> None:
    window = Period(dt.date(2021, 1, 1), dt.date(2021, 6, 30))
    profile = Profile(window, window.previous(), "stalking_and_harassment", ("8Q", "8L", "8M"), None,
                      {"volumes": VOLUMES.slice(6, 1)})
    assert narrative.recorded_sentences(profile) == [
        "Recorded stalking and harassment rose by 25.0% (from 80 to 100) from 1 January 2021 to 30 June 2021 compared "
        "with the 6 months before, not a statistically significant change (p = 0.12)."]


def test_districts_tie_and_zero() -> None:
    volumes = _table("district domestic current previous change_pct change_p_value",
                     ("BD", "All", 40, 30, 33.3, 0.3), ("CD", "All", 0, 2, -100.0, 0.5),
                     ("LD", "All", 40, 30, 33.3, 0.3), ("Force", "All", 80, 62, 29.0, 0.1))
    assert narrative.recorded_sentences(_profile({"volumes": volumes}))[-1] == (
        "BD and LD recorded the most stalking crimes (40 each, 50.0% of the force total) and CD recorded none.")
    even = _table("district domestic current previous change_pct change_p_value",
                  ("BD", "All", 5, 5, 0.0, 1.0), ("LD", "All", 5, 5, 0.0, 1.0), ("Force", "All", 10, 10, 0.0, 1.0))
    assert narrative.recorded_sentences(_profile({"volumes": even})) == [
        "Recorded stalking was unchanged (at 10) in the 12 months to September 2021 compared with the 12 months "
        "before.",
        "Each district recorded 5 stalking crimes."]


def test_recorded_sentences_when_the_comparison_window_is_not_covered() -> None:
    none = _profile({"volumes": VOLUMES}, ["The store starts on 2020-10-01: the previous window has no data, so "
                                           "changes are not shown as meaningful."])
    sentences = narrative.recorded_sentences(none)
    assert sentences[0] == "The force recorded 100 stalking crimes in the 12 months to September 2021."
    assert not any("rose" in s or "fell" in s or "significant" in s for s in sentences)
    assert sentences[-1] == ("The data start on 1 October 2020, after the comparison period (1 October 2019 to "
                             "30 September 2020), so no change is given.")
    part = _profile({"volumes": VOLUMES}, [
        "The store starts on 2019-12-01: the previous window is only partly covered.",
        "The store ends on 2021-08-15: the window runs 46 days past the data, so its counts are incomplete."])
    sentences = narrative.recorded_sentences(part)
    assert sentences[0] == ("Recorded stalking rose by 25.0% (from 80 to 100) in the 12 months to September 2021 "
                            "compared with the 12 months before.")  # no test on an incomplete count
    assert sentences[-2:] == [
        "The data start on 1 December 2019, part-way through the comparison period (1 October 2019 to 30 September "
        "2020), so its count is incomplete: the change is not like-for-like and is not tested for significance.",
        "The data end on 15 August 2021, before the period ends, so its counts are incomplete."]
    assert findings.key_findings(part)[0].endswith(
        "; the data cover only part of the comparison period, so the two periods are not like-for-like.")


def test_handling_sentences() -> None:
    profile = _profile({"arrests": ARRESTS, "risk_assessment": RISK, "cumulative_risk": CUMULATIVE,
                        "allocation": ALLOCATION})
    assert narrative.handling_sentences(profile) == [
        "An arrest was recorded for 20.0% (18 of 90; 95% CI 13.1% to 29.3%) of domestic stalking crimes and 8.33% "
        "(1 of 12; 95% CI 1.49% to 35.4%) of non-domestic ones.",
        "A risk assessment (DASH, DARA or S-DASH) was recorded for 90.0% (81 of 90; 95% CI 82.1% to 94.7%) of domestic "
        "stalking crimes and 25.0% (3 of 12; 95% CI 8.89% to 53.2%) of non-domestic ones.",
        "When each crime is scored on the histories of its victim, suspect and victim-suspect pair across all "
        "offences, 50.0% (51 of 102) of stalking crimes fall in the high cumulative-risk band.",
        "The cumulative-risk band is above the recorded risk level for 33.3% (34 of 102) of stalking crimes.",
        "Non-specialist units (patrol) hold 10 of the 51 high-band crimes, including 3 of the 4 high-band non-domestic "
        "crimes.",
        "No risk assessment is recorded for 1 of the 51 high-band crimes.",
    ]


def test_handling_sentences_when_units_are_not_recorded_or_no_rate_is_given() -> None:
    unrecorded = _table("district domestic allocated_unit non_specialist crimes standard medium high",
                        ("Force", "All", "not recorded", False, 102, 31, 20, 51))
    no_rates = _table("district domestic crimes arrested rate_pct ci_low ci_high",
                      ("Force", "Domestic", 90, 0, None, None, None),
                      ("Force", "Non-Domestic", 12, 0, None, None, None))
    sentences = narrative.handling_sentences(_profile({"arrests": no_rates, "cumulative_risk": CUMULATIVE,
                                                       "allocation": unrecorded}))
    assert not any("arrest" in s or "non-specialist" in s.lower() for s in sentences)
    assert len(sentences) == 3


def test_online_sentences() -> None:
    profile = _profile({"cyber": CYBER, "demographics_victims": VICTIMS, "demographics_suspects": SUSPECTS})
    assert narrative.online_sentences(profile) == [
        "The cyber-enabled flag is recorded on 5.00% (10 of 200) of stalking crimes; counting crimes whose MO text "
        "shows the use of technology as well gives a corrected share of 21.0% (42 of 200; 95% CI 16.0% to 27.1%).",
        "The MO text shows the use of technology in 32 crimes that carry no cyber-enabled flag.",
        "The MO text is recorded for 75.0% (150 of 200) of stalking crimes; technology can be detected only in those.",
        "The victim was female in 75.0% (75 of 100) of stalking crimes.",
        "The largest victim age groups were 20-29 and 30-39, at 40.0% (40 of 100) of stalking crimes each; the "
        "victim's age is unknown for 8.00% (8 of 100).",
        "The suspect was male in 60.0% (60 of 100) of stalking crimes.",
        "The largest suspect age group was 60 and over, at 50.0% (50 of 100) of stalking crimes.",
    ]


def test_one_unflagged_crime_and_no_mo_text() -> None:
    one = CYBER.set_column(CYBER.column_names.index("detected_only"), "detected_only", pa.array([1]))
    assert "in 1 crime that carries no cyber-enabled flag." in narrative.cyber_sentences(_profile({"cyber": one}))[1]
    blank = _table("district domestic crimes with_mo flagged detected detected_only neither flag_rate_pct "
                   "corrected_pct corrected_ci_low corrected_ci_high",
                   ("Force", "All", 44, 0, 0, 0, 0, 44, 0.0, 0.0, 0.0, 8.03))
    assert narrative.cyber_sentences(_profile({"cyber": blank})) == [
        "The cyber-enabled flag is recorded on 0.00% (0 of 44) of stalking crimes.",
        "No MO text is recorded, so no corrected cyber-enabled share is given."]


def test_outcome_sentences() -> None:
    assert narrative.outcome_sentences(_profile({"outcome_groups": OUTCOMES})) == [
        "The outcome was charged/summonsed (1, 1A) for 10.0% (9 of 90; 95% CI 5.40% to 17.9%) of domestic stalking "
        "crimes and 8.33% (1 of 12; 95% CI 1.49% to 35.4%) of non-domestic ones.",
        "The victim did not support further action (outcome 16) for 50.0% (45 of 90; 95% CI 39.9% to 60.1%) of "
        "domestic stalking crimes and 50.0% (6 of 12; 95% CI 25.4% to 74.6%) of non-domestic ones.",
        "When the data were extracted, no outcome had yet been assigned to 20.0% (18 of 90) of domestic stalking "
        "crimes and 50.0% (6 of 12) of non-domestic ones.",
    ]


def test_key_findings() -> None:
    found = findings.key_findings(_profile(ALL_TABLES, [BREAK_NOTE]))
    assert found == [
        "Recorded stalking rose by 25.0% (from 80 to 100) in the 12 months to September 2021 compared with the 12 "
        "months before, not a statistically significant change (p = 0.12); the recording-rule change of April 2020 "
        "falls within the compared periods, so the two periods are not like-for-like.",
        "Crimes flagged as domestic abuse made up 90.0% (90 of 100) of recorded stalking; non-domestic stalking fell "
        "by 50.0% (from 20 to 10), a statistically significant change (p = 0.049).",
        "A risk assessment (DASH, DARA or S-DASH) was recorded for 90.0% (81 of 90) of domestic stalking crimes and "
        "25.0% (3 of 12) of non-domestic ones.",
        "Of the 51 crimes in the high cumulative-risk band, 10 are held by non-specialist units (patrol) and 1 has no "
        "risk assessment recorded.",
        "An arrest was recorded for 20.0% (18 of 90) of domestic stalking crimes and 8.33% (1 of 12) of non-domestic "
        "ones.",
        "The outcome was charged/summonsed (1, 1A) for 10.0% (9 of 90) of domestic stalking crimes and 8.33% (1 of 12) "
        "of non-domestic ones.",
        "The cyber-enabled flag is recorded on 5.00% (10 of 200) of stalking crimes; counting crimes whose MO text "
        "shows the use of technology as well gives a corrected share of 21.0% (42 of 200; 95% CI 16.0% to 27.1%).",
        "The victim was female in 75.0% (75 of 100) of stalking crimes, and the suspect male in 60.0% (60 of 100).",
    ]
    assert 5 <= len(found) <= 8


def test_missing_tables_give_no_sentences() -> None:
    empty = _profile({}, [BREAK_NOTE])
    for section in (narrative.recorded_sentences, narrative.handling_sentences, narrative.online_sentences,
                    narrative.outcome_sentences, findings.key_findings):
        assert section(empty) == []
    no_rows = _profile({name: t.schema.empty_table() for name, t in ALL_TABLES.items()}, [BREAK_NOTE])
    assert findings.key_findings(no_rows) == [] and narrative.recorded_sentences(no_rows) == []


def _suppressed(table: pa.Table, marks: dict[tuple[int, str], str]) -> pa.Table:
    """``table`` as disclosure control leaves it: marked cells, and their columns as text."""
    columns = {}
    for name in table.column_names:
        values = table.column(name).to_pylist()
        if any(col == name for _, col in marks):
            values = [marks.get((i, name), None if v is None else str(v)) for i, v in enumerate(values)]
        columns[name] = values
    return pa.table(columns)


def test_suppressed_cells_give_no_sentence() -> None:
    volumes = _suppressed(VOLUMES, {(7, "current"): "<5", (8, "current"): "[c]", (8, "change_pct"): "[c]",
                                    (8, "change_p_value"): "[c]", (3, "current"): "<5"})
    arrests = _suppressed(ARRESTS, {(2, "arrested"): "<5", (2, "rate_pct"): "[c]", (2, "ci_low"): "[c]",
                                    (2, "ci_high"): "[c]"})
    outcomes = _suppressed(OUTCOMES, {(4, "count"): "[c]", (4, "pct"): "[c]", (1, "ci_low"): "[c]",
                                      (1, "ci_high"): "[c]"})
    victims = _suppressed(VICTIMS, {(0, "count"): "<5", (0, "pct"): "[c]", (2, "count"): "[c]", (2, "pct"): "[c]"})
    profile = _profile({"volumes": volumes, "arrests": arrests, "outcome_groups": outcomes,
                        "demographics_victims": victims}, [BREAK_NOTE])
    # Force Domestic is <5 (no domestic change or share), Force Non-Domestic [c] (no non-domestic change),
    # LD's total <5: BD is still the largest, but LD could be the fewest or not
    assert narrative.recorded_sentences(profile) == [
        RECORDED[0], RECORDED[4], "BD recorded the most stalking crimes (70, 70.0% of the force total)."]
    assert narrative.handling_sentences(profile) == [
        "An arrest was recorded for 20.0% (18 of 90; 95% CI 13.1% to 29.3%) of domestic stalking crimes."]
    assert narrative.outcome_sentences(profile) == [
        "The outcome was charged/summonsed (1, 1A) for 10.0% (9 of 90; 95% CI 5.40% to 17.9%) of domestic stalking "
        "crimes and 8.33% (1 of 12; 95% CI 1.49% to 35.4%) of non-domestic ones.",
        "The victim did not support further action (outcome 16) for 50.0% (45 of 90) of domestic stalking crimes.",
        "When the data were extracted, no outcome had yet been assigned to 20.0% (18 of 90) of domestic stalking "
        "crimes and 50.0% (6 of 12) of non-domestic ones.",
    ]
    online = narrative.online_sentences(profile)
    assert online[0] == "The victim was female in 75.0% (75 of 100) of stalking crimes."
    assert not any("age group" in s for s in online)  # the hidden 30-39 could be the largest


# --- a public profile built from a small store ------------------------------------------------------------------

_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def _crimes(n: int, **fields: str) -> list[dict[str, str]]:
    return [dict(fields) for _ in range(n)]


@pytest.fixture(scope="module")
def small_profiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Profile, Profile]:
    """An internal and a public profile of a store where the non-domestic arrests and the
    non-domestic outcome-16 count are small."""
    folder = tmp_path_factory.mktemp("narrative")
    before = {"recorded_date": "2020-03-05"}
    rows = (_crimes(10, district="BD", arrest_made="Y", risk_assessment="DASH", outcome="1: CHARGED", victim_sex="F",
                    victim_age="25")
            + _crimes(30, district="BD", arrest_made="N", risk_assessment="DASH", outcome="16: VICTIM DECLINES",
                      victim_sex="F", victim_age="34")
            + _crimes(22, district="LD", arrest_made="N", risk_assessment="none", victim_sex="M", victim_age="41")
            + _crimes(8, district="LD", arrest_made="Y", risk_assessment="DASH", outcome="16: VICTIM DECLINES",
                      victim_sex="F", victim_age="29")
            + _crimes(3, district="BD", domestic_flag="N", arrest_made="Y", outcome="16: VICTIM DECLINES",
                      victim_sex="F", victim_age="22")
            + _crimes(9, district="BD", domestic_flag="N", arrest_made="N", outcome="18: NO SUSPECT",
                      victim_sex="M", victim_age="52")
            + _crimes(8, district="LD", domestic_flag="N", arrest_made="N", outcome="18: NO SUSPECT",
                      victim_sex="F", victim_age="47")
            + _crimes(40, district="BD", **before) + _crimes(25, district="LD", **before)
            + _crimes(10, district="BD", domestic_flag="N", **before) + _crimes(6, district="LD", domestic_flag="N",
                                                                             **before))
    store = open_store(str(folder / "small.duckdb"))
    try:
        ingest(write_csv(folder / "small.csv", rows_of(*rows)), store, IngestOptions(force=load_force(), today=TODAY))
        internal = build_profile(store, ProfileRequest(to="2021-09", geography=False, cumulative=False))
        public = build_profile(store, ProfileRequest(to="2021-09", geography=False, audience="public"))
    finally:
        store.close()
    return internal, public


def _sentences(profile: Profile) -> list[str]:
    return (narrative.recorded_sentences(profile) + narrative.handling_sentences(profile)
            + narrative.online_sentences(profile) + narrative.outcome_sentences(profile)
            + findings.key_findings(profile))


def _marked(value: Any) -> bool:
    return isinstance(value, str) and value != "" and shown(value) is None


def test_public_profile_says_nothing_about_suppressed_figures(small_profiles: tuple[Profile, Profile]) -> None:
    internal, public = small_profiles
    sentences = _sentences(public)
    assert not any("<5" in s or "[c]" in s for s in sentences)
    # the profile's own notes are read: the April 2020 recording break lies inside the compared windows
    assert any(s.startswith("A recording-rule change in April 2020 falls inside") for s in sentences)
    # the small counts this store was built to have are hidden in the public tables ...
    arrests = {(r["district"], r["domestic"]): r for r in public.tables["arrests"].to_pylist()}
    assert _marked(arrests[("Force", "Non-Domestic")]["arrested"])
    # ... and no sentence that quotes a row's figures quotes a row with a hidden figure
    leads = {"arrests": ("An arrest",), "risk_assessment": ("A risk assessment",),
             "cyber": ("The cyber-enabled", "Counting crimes"),
             "outcome_groups": ("The outcome was", "The victim did not", "When the data were")}
    measures = {"arrests": ("arrested", "rate_pct"), "risk_assessment": ("assessed", "rate_pct"),
                "cyber": ("flagged", "flag_rate_pct"), "outcome_groups": ("count", "pct")}
    hidden_rows = 0
    for name, (measure, share) in measures.items():
        quoting = " ".join(s for s in sentences if s.startswith(leads[name]))
        for shown_row, row in zip(public.tables[name].to_pylist(), internal.tables[name].to_pylist(), strict=True):
            hidden = any(_marked(shown_row[c]) for c in (measure, "crimes", share))
            if hidden and row.get("district", "Force") == "Force":
                hidden_rows += 1
                phrase = rate_in(row, measure, share=share, bounds=None)
                assert phrase is None or phrase[:-1] not in quoting, (name, row)
    for shown_row, row in zip(public.tables["volumes"].to_pylist(), internal.tables["volumes"].to_pylist(),
                              strict=True):
        if any(_marked(shown_row[c]) for c in ("current", "previous", "change_pct")):
            hidden_rows += 1
            assert change(row["current"], row["previous"]) not in " ".join(sentences), row
    assert hidden_rows > 0
    # the pair sentences lose their hidden half, and say nothing else
    handling = narrative.handling_sentences(public)
    assert handling and all("non-domestic" not in s for s in handling if s.startswith("An arrest"))


def test_public_sentences_quote_no_figure_the_internal_ones_do_not(small_profiles: tuple[Profile, Profile]) -> None:
    internal, public = small_profiles
    said = " ".join(_sentences(internal))
    for sentence in _sentences(public):
        for found in _FIGURE.findall(sentence):
            assert found in said, (found, sentence)
