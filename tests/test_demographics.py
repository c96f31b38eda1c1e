"""Demographics: age bands, sex and ethnic groups by crime and by person, with their data quality."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from stalking_profile.errors import ConfigError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.metrics.demographics import (
    DEMOGRAPHICS_SCHEMA,
    DemographicsConfig,
    demographic_quality,
    demographics,
    domestic_under_16,
    largest_age_group,
    load_demographics_config,
    parse_demographics_config,
    unknown_ethnicity_codes,
)
from stalking_profile.metrics.periods import Period
from stalking_profile.store.connection import Store
from tests.conftest import rows_of, write_csv

PERIOD = Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31))
SCHEMA = pa.schema([
    ("crime_ref", pa.string()), ("recorded_date", pa.date32()), ("district", pa.string()),
    ("domestic_flag", pa.bool_()), ("cyber_flag", pa.bool_()), ("tech_detected", pa.bool_()),
    *[(f"{role}_{name}", kind) for role in ("victim", "suspect")
      for name, kind in (("id", pa.string()), ("age", pa.int32()), ("sex", pa.string()), ("ethnicity", pa.string()))],
])
BASE: dict[str, Any] = {"recorded_date": dt.date(2021, 3, 5), "district": "BD", "domestic_flag": True,
                        "cyber_flag": False, "tech_detected": False, "victim_age": 30, "victim_sex": "female",
                        "victim_ethnicity": "W1", "suspect_age": 35, "suspect_sex": "male", "suspect_ethnicity": "W1"}


@pytest.fixture(scope="module")
def config() -> DemographicsConfig:
    return load_demographics_config()


def crimes(*overrides: dict[str, Any]) -> ibis.Table:
    """A memtable of crimes built from BASE; crime_ref C<n> and victim_id V<n> unless given."""
    rows = [{**BASE, "crime_ref": f"C{i}", "victim_id": f"V{i}", "suspect_id": f"S{i}", **o}
            for i, o in enumerate(overrides, start=1)]
    return ibis.memtable(pa.Table.from_pylist(rows, schema=SCHEMA))


def cells(table: pa.Table, basis: str = "crimes", domestic: str = "All", cyber: str = "All",
          dimension: str = "age_band") -> dict[str, int]:
    return {r["category"]: r["count"] for r in table.to_pylist()
            if (r["basis"], r["domestic"], r["cyber"], r["dimension"]) == (basis, domestic, cyber, dimension)}


def bases(table: pa.Table) -> dict[tuple[str, str, str], int]:
    return {(r["basis"], r["domestic"], r["cyber"]): r["base"] for r in table.to_pylist()}


def test_age_band_edges(config: DemographicsConfig) -> None:
    ages = [0, 17, 18, 19, 20, 29, 59, 60, 110, 111, 250, -3, None]
    table = demographics(crimes(*({"victim_age": a} for a in ages)), PERIOD, "victim", config)
    assert cells(table) == {"under 18": 2, "18-19": 2, "20-29": 2, "30-39": 0, "40-49": 0, "50-59": 1, "60+": 2,
                            "unknown": 4}
    # the suspects on the same crimes are all 35
    assert cells(demographics(crimes(*({"victim_age": a} for a in ages)), PERIOD, "suspect", config))["30-39"] == 13


def test_full_grid_in_order_with_pct_and_base(config: DemographicsConfig) -> None:
    table = demographics(crimes({"victim_age": 25}, {"victim_age": 25}, {"victim_age": 42, "victim_sex": None}),
                         PERIOD, "victim", config)
    assert table.schema.equals(DEMOGRAPHICS_SCHEMA)
    assert table.schema.metadata[b"role"] == b"victim"
    assert table.num_rows == 2 * 3 * 3 * (8 + 4 + 6)  # basis x domestic x cyber x categories
    first = table.slice(0, 18).to_pylist()
    assert [(r["dimension"], r["category"]) for r in first] == [
        *(("age_band", c) for c in config.categories("age_band")), *(("sex", c) for c in config.sexes),
        *(("ethnicity", c) for c in config.ethnic_groups)]
    assert {(r["basis"], r["domestic"], r["cyber"]) for r in first} == {("crimes", "All", "All")}
    row = next(r for r in first if r["category"] == "20-29")
    assert (row["count"], row["pct"], row["base"]) == (2, 66.7, 3)
    assert next(r for r in first if r["category"] == "unknown" and r["dimension"] == "sex")["count"] == 1
    assert next(r for r in first if r["category"] == "30-39")["pct"] == 0.0
    empty = [r for r in table.to_pylist() if r["domestic"] == "Non-Domestic"]
    assert empty and all(r["count"] == 0 and r["base"] == 0 and r["pct"] is None for r in empty)
    keys = [(r["basis"], r["domestic"], r["cyber"]) for r in table.to_pylist()]
    assert list(dict.fromkeys(keys)) == [(b, d, c) for b in ("crimes", "persons")
                                         for d in ("All", "Domestic", "Non-Domestic")
                                         for c in ("All", "Flagged", "Detected")]


EXPECTED_GROUPS = {
    "16+1": {"W1": "White", "W2": "White", "W9": "White", "M1": "Mixed", "M2": "Mixed", "M3": "Mixed", "M9": "Mixed",
             "A1": "Asian", "A2": "Asian", "A3": "Asian", "A9": "Asian", "B1": "Black", "B2": "Black", "B9": "Black",
             "O1": "Asian", "O9": "Other", "NS": "Not stated/unknown"},
    "18+1": {"W3": "White", "A4": "Asian", "O2": "Other"},
    "IC": {"IC1": "White", "IC2": "White", "IC3": "Black", "IC4": "Asian", "IC5": "Asian", "IC6": "Other",
           "IC9": "Not stated/unknown", "IC0": "Not stated/unknown"},
}


def test_every_code_maps_to_its_group(config: DemographicsConfig) -> None:
    expected = {code: group for family in EXPECTED_GROUPS.values() for code, group in family.items()}
    assert config.ethnicity_codes == expected


@pytest.mark.parametrize(("codes", "counts"), [
    (list(EXPECTED_GROUPS["16+1"]), {"White": 3, "Mixed": 4, "Asian": 5, "Black": 3, "Other": 1,
                                     "Not stated/unknown": 1}),
    (["W3", "A4", "O2"], {"White": 1, "Mixed": 0, "Asian": 1, "Black": 0, "Other": 1, "Not stated/unknown": 0}),
    (list(EXPECTED_GROUPS["IC"]), {"White": 2, "Mixed": 0, "Asian": 2, "Black": 1, "Other": 1,
                                   "Not stated/unknown": 2}),
    (["w1", " b2 ", "ic 3", "a 4", "Ic6", "ZZ", "x7", "", None],
     {"White": 1, "Mixed": 0, "Asian": 1, "Black": 2, "Other": 1, "Not stated/unknown": 4}),
], ids=["16+1", "18+1", "IC", "spelling-and-unknown"])
def test_ethnicity_groups(config: DemographicsConfig, codes: list[str | None], counts: dict[str, int]) -> None:
    table = demographics(crimes(*({"victim_ethnicity": c} for c in codes)), PERIOD, "victim", config)
    assert cells(table, dimension="ethnicity") == counts
    assert cells(table, basis="persons", dimension="ethnicity") == counts


def test_unknown_codes_are_reported(config: DemographicsConfig) -> None:
    t = crimes({"victim_ethnicity": "ZZ"}, {"victim_ethnicity": " zz"}, {"victim_ethnicity": "X7"},
               {"victim_ethnicity": "NS"}, {"victim_ethnicity": ""}, {"victim_ethnicity": None},
               {"suspect_ethnicity": "IC7"}, {"victim_ethnicity": "ZZ", "recorded_date": dt.date(2022, 1, 1)})
    quality = {(r["role"], r["issue"]): r["crimes"] for r in demographic_quality(t, PERIOD, config).to_pylist()}
    assert quality[("victim", "unknown ethnicity code")] == 3  # not NS or blank, nor the 2022 crime
    assert quality[("suspect", "unknown ethnicity code")] == 1
    assert unknown_ethnicity_codes(t, PERIOD, config).to_pylist() == [
        {"role": "victim", "code": "ZZ", "crimes": 2}, {"role": "victim", "code": "X7", "crimes": 1},
        {"role": "suspect", "code": "IC7", "crimes": 1}]


def test_persons_take_their_latest_crime(config: DemographicsConfig) -> None:
    t = crimes(
        {"victim_id": "P1", "recorded_date": dt.date(2021, 1, 10), "victim_age": 25, "victim_ethnicity": "W1"},
        {"victim_id": "P1", "recorded_date": dt.date(2021, 3, 1), "victim_age": 26, "domestic_flag": False},
        # same day as C2: the higher crime reference is the latest
        {"victim_id": "P1", "recorded_date": dt.date(2021, 3, 1), "victim_age": 31, "victim_sex": "male",
         "victim_ethnicity": "B1", "domestic_flag": False},
        {"victim_id": "P1", "recorded_date": dt.date(2022, 6, 1), "victim_age": 45},  # outside the window
        {"victim_id": "P2", "victim_age": 19},
        {"victim_id": None, "victim_age": 70},
    )
    table = demographics(t, PERIOD, "victim", config)
    assert cells(table)["20-29"] == 2 and cells(table)["60+"] == 1
    persons = cells(table, basis="persons")
    assert {k: v for k, v in persons.items() if v} == {"18-19": 1, "30-39": 1}
    assert cells(table, basis="persons", dimension="sex")["male"] == 1
    assert cells(table, basis="persons", dimension="ethnicity")["Black"] == 1
    b = bases(table)
    assert (b[("crimes", "All", "All")], b[("crimes", "Domestic", "All")], b[("crimes", "Non-Domestic", "All")]) == (
        5, 3, 2)
    # P1 has domestic and non-domestic crimes, so is in both; P2 is domestic only
    assert (b[("persons", "All", "All")], b[("persons", "Domestic", "All")],
            b[("persons", "Non-Domestic", "All")]) == (2, 2, 1)
    assert cells(table, basis="persons", domestic="Domestic")["30-39"] == 1  # latest details, whichever group


def test_cyber_groups(config: DemographicsConfig) -> None:
    t = crimes(
        {"victim_id": "P1", "cyber_flag": True, "domestic_flag": False, "victim_age": 20},
        {"victim_id": "P1", "cyber_flag": False, "domestic_flag": True},
        {"victim_id": "P2", "cyber_flag": None, "tech_detected": True, "victim_age": 50},
        {"victim_id": "P3", "cyber_flag": True, "tech_detected": None, "victim_age": 40},
        {"victim_id": "P4"},
    )
    table = demographics(t, PERIOD, "victim", config)
    b = bases(table)
    assert (b[("crimes", "All", "Flagged")], b[("crimes", "All", "Detected")]) == (2, 1)
    assert (b[("crimes", "Domestic", "Flagged")], b[("crimes", "Non-Domestic", "Flagged")]) == (1, 1)
    assert (b[("persons", "All", "Flagged")], b[("persons", "All", "Detected")]) == (2, 1)
    # P1's flagged crime is non-domestic: they are not a domestic flagged victim
    assert (b[("persons", "Domestic", "Flagged")], b[("persons", "Non-Domestic", "Flagged")]) == (1, 1)
    assert cells(table, cyber="Detected") == {**dict.fromkeys(config.categories("age_band"), 0), "50-59": 1}
    flagged = [r for r in table.to_pylist() if r["cyber"] == "Flagged" and r["basis"] == "crimes"
               and r["domestic"] == "All" and r["category"] == "40-49"]
    assert (flagged[0]["count"], flagged[0]["pct"], flagged[0]["base"]) == (1, 50.0, 2)


def test_largest_age_group(config: DemographicsConfig) -> None:
    one = demographics(crimes({"victim_age": 25}, {"victim_age": 22}, {"victim_age": 35}, {"victim_age": None}),
                       PERIOD, "victim", config)
    assert largest_age_group(one) == "The largest victim age group is 20-29 (2 of 4 crimes, 50.0%)."
    tie = demographics(crimes({"suspect_age": 25}, {"suspect_age": 35}, {"suspect_age": 61}, {"suspect_age": 64},
                              {"suspect_age": 33}, {"suspect_age": 21}, {"suspect_age": 1}),
                       PERIOD, "suspect", config)
    assert largest_age_group(tie) == ("The largest suspect age groups are 20-29, 30-39 and 60+ "
                                      "(2 of 7 crimes each, 28.6%).")
    none = demographics(crimes(), PERIOD, "victim", config)
    assert largest_age_group(none) == "No victim ages are recorded in this window."
    unknown = demographics(crimes({"victim_age": None}, {"victim_age": 300}), PERIOD, "victim", config)
    assert largest_age_group(unknown) == "No victim ages are recorded in this window."


def test_domestic_under_16(config: DemographicsConfig) -> None:
    t = crimes(
        {"crime_ref": "A2", "victim_age": 15, "recorded_date": dt.date(2021, 5, 1)},
        {"crime_ref": "A1", "suspect_age": 12, "recorded_date": dt.date(2021, 5, 1), "district": "KD"},
        {"crime_ref": "A3", "victim_age": 0, "suspect_age": 15, "recorded_date": dt.date(2021, 2, 1)},
        {"victim_age": 16},  # old enough
        {"victim_age": 15, "domestic_flag": False},  # not flagged
        {"victim_age": 15, "domestic_flag": None},
        {"victim_age": 15, "recorded_date": dt.date(2020, 12, 31)},  # before the window
        {"victim_age": None, "suspect_age": -1},  # no real age
    )
    worklist = domestic_under_16(t, PERIOD).to_pyarrow()
    assert worklist.column_names == ["crime_ref", "district", "recorded_date", "reason"]
    suffix = "; domestic abuse is defined between people aged 16 or over"
    assert [(r["crime_ref"], r["district"], r["reason"]) for r in worklist.to_pylist()] == [
        ("A3", "BD", "domestic flag but the victim is 0 and the suspect is 15" + suffix),
        ("A1", "KD", "domestic flag but the suspect is 12" + suffix),
        ("A2", "BD", "domestic flag but the victim is 15" + suffix),
    ]
    quality = {(r["role"], r["issue"]): r["crimes"] for r in demographic_quality(t, PERIOD, config).to_pylist()}
    assert quality == {
        ("victim", "unknown ethnicity code"): 0, ("victim", "age out of range"): 0, ("victim", "age missing"): 1,
        ("victim", "domestic flag with a party under 16"): 2,
        ("suspect", "unknown ethnicity code"): 0, ("suspect", "age out of range"): 1, ("suspect", "age missing"): 0,
        ("suspect", "domestic flag with a party under 16"): 2,
    }


def test_quality_of_ages(config: DemographicsConfig) -> None:
    t = crimes({"victim_age": 111}, {"victim_age": -3}, {"victim_age": 110}, {"victim_age": None},
               {"victim_age": None, "recorded_date": dt.date(2019, 1, 1)})
    quality = {(r["role"], r["issue"]): r["crimes"] for r in demographic_quality(t, PERIOD, config).to_pylist()}
    assert (quality[("victim", "age out of range")], quality[("victim", "age missing")]) == (2, 1)
    none = demographic_quality(crimes(), PERIOD, config)
    assert none.num_rows == 8 and set(none.column("crimes").to_pylist()) == {0}


BANDS = """
max_age = 99
unknown_age = "not known"
[[age_bands]]
label = "0-15"
min = 0
max = 15
[[age_bands]]
label = "16-24"
min = 16
max = 24
[[age_bands]]
label = "25+"
min = 25
[sex]
categories = ["male", "female", "unknown"]
[ethnicity]
groups = ["White", "Not stated"]
unknown = "Not stated"
[ethnicity.codes]
"w 1" = "White"
"""


def test_a_configured_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_text(BANDS, encoding="utf-8")
    config = load_demographics_config(str(path))
    assert config.categories("age_band") == ("0-15", "16-24", "25+", "not known")
    table = demographics(crimes({"victim_age": 15, "victim_sex": "other", "victim_ethnicity": "W1"},
                                {"victim_age": 99, "victim_ethnicity": "W2"}, {"victim_age": 100}),
                         PERIOD, "victim", config)
    assert cells(table) == {"0-15": 1, "16-24": 0, "25+": 1, "not known": 1}
    assert cells(table, dimension="sex") == {"male": 0, "female": 2, "unknown": 1}
    assert cells(table, dimension="ethnicity") == {"White": 2, "Not stated": 1}
    assert largest_age_group(table) == "The largest victim age groups are 0-15 and 25+ (1 of 3 crimes each, 33.3%)."


@pytest.mark.parametrize(("change", "message"), [
    (("min = 16", "min = 15"), r"'16-24' \(15-24\) overlaps"),
    (("min = 25", "min = 26"), "no age band covers ages 25-25"),
    (("min = 0\n", "min = 1\n"), "first age band '0-15' starts at 1"),
    (("label = \"25+\"\nmin = 25", "label = \"25+\"\nmin = 25\nmax = 120"), "ends at 120, but max_age is 99"),
    (("max = 15", "max = 'x'"), "not a whole number"),
    (('label = "16-24"', 'label = "0-15"'), "repeated"),
    (('"w 1" = "White"', '"w 1" = "White"\nW1 = "White"'), "listed twice"),
    (('"w 1" = "White"', '"w 1" = "Whte"'), "maps to 'Whte'"),
    (('unknown = "Not stated"', 'unknown = "Unknown"'), "miss 'Unknown'"),
    (('"male", ', '"males", '), "sex categories"),
    (("[sex]", "[sexes]"), "missing or misshapes 'sex'"),
    (("max_age = 99", "max_age = = 99"), "not valid TOML"),
], ids=["overlap", "gap", "not-from-0", "past-max-age", "not-a-number", "repeated-label", "code-twice",
        "bad-group", "no-unknown-group", "bad-sex", "missing-table", "syntax"])
def test_bad_configs(change: tuple[str, str], message: str) -> None:
    text = BANDS.replace(*change)
    assert text != BANDS
    with pytest.raises(ConfigError, match=message) as err:
        parse_demographics_config(text, "demo.toml")
    assert err.value.hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_demographics_config(str(tmp_path / "nope.toml"))


def test_through_a_store(tmp_path: Path, store: Store, options: IngestOptions, config: DemographicsConfig) -> None:
    rows = rows_of(
        {"victim_id": "N1", "victim_age": 17, "victim_sex": "F", "victim_ethnicity": "w1", "suspect_age": 15,
         "recorded_date": "2021-01-05"},
        {"victim_id": "N1", "victim_age": 18, "victim_sex": "F", "victim_ethnicity": "ZZ", "domestic_flag": "N",
         "cyber_flag": "Y", "location_basis": "online", "recorded_date": "2021-02-05"},
        {"victim_id": "N2", "victim_age": 44, "victim_sex": "M", "victim_ethnicity": "IC3", "suspect_age": 40},
        {"victim_id": "", "victim_age": "", "victim_ethnicity": "A4", "suspect_age": 40},
    )
    ingest(write_csv(tmp_path / "d.csv", rows), store, options)
    current = store.current_crimes()
    t = current.mutate(tech_detected=current.location_basis == "online")
    table = demographics(t, PERIOD, "victim", config)
    assert cells(table) == {"under 18": 1, "18-19": 1, "20-29": 0, "30-39": 0, "40-49": 1, "50-59": 0, "60+": 0,
                            "unknown": 1}
    assert {k: v for k, v in cells(table, basis="persons").items() if v} == {"18-19": 1, "40-49": 1}
    assert cells(table, basis="persons", dimension="ethnicity") == {
        "White": 0, "Mixed": 0, "Asian": 0, "Black": 1, "Other": 0, "Not stated/unknown": 1}
    assert cells(table, dimension="sex") == {"female": 2, "male": 1, "other": 0, "unknown": 1}
    b = bases(table)
    assert (b[("crimes", "All", "Flagged")], b[("crimes", "Non-Domestic", "Detected")],
            b[("persons", "Domestic", "All")], b[("persons", "Non-Domestic", "Detected")]) == (1, 1, 2, 1)
    quality = {(r["role"], r["issue"]): r["crimes"] for r in demographic_quality(t, PERIOD, config).to_pylist()}
    assert (quality[("victim", "unknown ethnicity code")], quality[("victim", "age missing")],
            quality[("suspect", "domestic flag with a party under 16")]) == (1, 1, 1)
    worklist = domestic_under_16(t, PERIOD).to_pyarrow().to_pylist()
    assert [(r["crime_ref"], r["recorded_date"], r["reason"].split(";")[0]) for r in worklist] == [
        ("C1", dt.date(2021, 1, 5), "domestic flag but the suspect is 15")]
