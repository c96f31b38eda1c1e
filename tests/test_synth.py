"""The calibrated synthetic extract reproduces the West Yorkshire report (the seed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from stalking_profile.errors import ConfigError
from stalking_profile.force import load_force
from stalking_profile.schema.columns import CRIME_COLUMNS, column
from stalking_profile.spatial.geography import CACHE_ENV, default_lsoas
from stalking_profile.synth import calibrated_size, generate, write_extract
from stalking_profile.synth import calibration as cal

DISTRICTS = list(cal.DISTRICTS)
WINDOWS = {  # seed page 3: (first day, last day) of each 12-month window
    "12m to September 2021": ("2020-10-01", "2021-09-30"),
    "12m to September 2020": ("2019-10-01", "2020-09-30"),
}
ROLLING = {"2020-03": "2019-04", "2021-03": "2020-04", "2021-09": "2020-10", "2022-01": "2021-02"}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth-cache")


@pytest.fixture(autouse=True)
def _shared_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One boundary cache for the module (conftest gives each test its own), so it is parsed once."""
    monkeypatch.setenv(CACHE_ENV, str(cache_dir))


@pytest.fixture(scope="module")
def table(cache_dir: Path) -> Iterator[pa.Table]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(cache_dir))
        yield generate(seed=0)


@pytest.fixture(scope="module")
def crimes(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas()
    df["month"] = df["recorded_date"].str[:7]
    df["da"] = df["domestic_flag"] == "Y"
    return df


@pytest.fixture(scope="module")
def stalking(crimes: pd.DataFrame) -> pd.DataFrame:
    return crimes[crimes["offence_code"] == "8Q"]


def _window(df: pd.DataFrame, name: str) -> pd.DataFrame:
    first, last = WINDOWS[name]
    return df[(df["recorded_date"] >= first) & (df["recorded_date"] <= last)]


def test_columns_are_canonical_strings(table: pa.Table) -> None:
    assert table.column_names == [c.name for c in CRIME_COLUMNS]
    assert all(t == pa.string() for t in table.schema.types)
    assert table.num_rows == calibrated_size() == 108_695


def test_calibration_series_satisfy_the_seed() -> None:
    da = np.asarray(cal.STALKING_MONTHLY_DOMESTIC)
    non = np.asarray(cal.STALKING_MONTHLY_NON_DOMESTIC)
    assert da.size == non.size == cal.MONTHS
    labels = [cal.month_label(i) for i in range(cal.MONTHS)]
    for end, target in cal.ROLLING_12M_TARGETS.items():
        stop = labels.index(end) + 1
        assert (da + non)[stop - 12 : stop].sum() == target
    for first, last, counts in cal.STALKING_WINDOWS.values():
        assert da[first : last + 1].sum() == sum(counts[True])
        assert non[first : last + 1].sum() == sum(counts[False])
    assert np.diff(da[: cal.RECORDING_CHANGE_MONTH + 1]).max() > 200  # the April 2020 jump


@pytest.mark.parametrize("window", list(WINDOWS))
def test_page3_district_table_is_exact(stalking: pd.DataFrame, window: str) -> None:
    got = pd.crosstab(_window(stalking, window)["da"], _window(stalking, window)["district"])
    expected = cal.STALKING_WINDOWS[window][2]
    for da in (True, False):
        assert got.loc[da, DISTRICTS].tolist() == list(expected[da])


@pytest.mark.parametrize(("end", "target"), list(cal.ROLLING_12M_TARGETS.items()))
def test_rolling_12_month_totals(stalking: pd.DataFrame, end: str, target: int) -> None:
    count = ((stalking["month"] >= ROLLING[end]) & (stalking["month"] <= end)).sum()
    assert abs(count - target) <= 0.02 * target


@pytest.mark.parametrize("domestic", [True, False], ids=["domestic", "non_domestic"])
def test_outcomes_by_district(stalking: pd.DataFrame, domestic: bool) -> None:
    window = _window(stalking, "12m to September 2021")
    window = window[window["da"] == domestic]
    got = pd.crosstab(window["outcome"].fillna(""), window["district"])
    rows = cal.OUTCOMES_DOMESTIC if domestic else cal.OUTCOMES_NON_DOMESTIC
    for label, counts in rows:
        for district, want in zip(DISTRICTS, counts, strict=True):
            have = int(got.at[label, district]) if label in got.index else 0
            assert abs(have - want) <= max(1, 0.02 * want), (label, district)
    assert set(got.index) <= {label for label, _ in rows}


def test_seed_outcome_discrepancy_goes_to_blank(stalking: pd.DataFrame) -> None:
    window = _window(stalking, "12m to September 2021")
    wd = window[window["da"] & (window["district"] == "WD")]
    assert len(wd) == 833 and wd["outcome"].isna().sum() == 157


@pytest.mark.parametrize(
    ("measure", "domestic", "target"),
    [
        ("arrest", True, 0.21),
        ("arrest", False, 0.14),
        ("no_risk_assessment", False, 0.80),
        ("cyber", None, 0.10),
        ("female_victim", None, 0.80),
        ("male_suspect", None, 0.75),
    ],
)
def test_handling_and_people_shares(
    stalking: pd.DataFrame, measure: str, domestic: bool | None, target: float
) -> None:
    df = stalking if domestic is None else stalking[stalking["da"] == domestic]
    values = {
        "arrest": df["arrest_made"] == "Y",
        "no_risk_assessment": df["risk_assessment"] == "none",
        "cyber": df["cyber_flag"] == "Y",
        "female_victim": df["victim_sex"] == "female",
        "male_suspect": df["suspect_sex"].dropna() == "male",
    }[measure]
    assert abs(values.mean() - target) <= 0.02


def test_risk_assessment_is_mostly_dash_for_domestic(stalking: pd.DataFrame) -> None:
    da = stalking[stalking["da"]]
    forms = da["risk_assessment"].value_counts(normalize=True)
    assert forms["none"] < 0.25 and forms["DASH"] > 0.6 and forms["S-DASH"] > 0 and forms["DARA"] > 0
    assessed = stalking["risk_assessment"] != "none"
    assert (stalking.loc[assessed, "dash_completed"] == "Y").all()
    assert (stalking.loc[~assessed, "dash_completed"] == "N").all()
    assert stalking.loc[assessed, "risk_level"].notna().all()
    assert stalking.loc[~assessed, "risk_level"].isna().all()


@pytest.mark.parametrize("role", ["victim", "suspect"])
def test_modal_age_band_is_20_to_29(stalking: pd.DataFrame, role: str) -> None:
    age = pd.to_numeric(stalking[f"{role}_age"]).dropna()
    bands = (age // 10 * 10).value_counts()
    assert bands.idxmax() == 20
    assert age.min() < 18 and age.max() <= 85


def test_relationships_and_units(stalking: pd.DataFrame) -> None:
    post = stalking[stalking["month"] >= "2020-04"]
    da_rel = post[post["da"]]["relationship"].value_counts(normalize=True)
    assert da_rel.idxmax() == "former_partner" and da_rel["former_partner"] > 0.6
    assert set(stalking[~stalking["da"]]["relationship"]) <= {"acquaintance", "stranger", "unknown"}
    da_units = stalking[stalking["da"]]["allocated_unit"].value_counts(normalize=True)
    assert da_units["DA team"] + da_units["safeguarding"] > 0.8
    non_units = stalking[~stalking["da"]]["allocated_unit"].value_counts(normalize=True)
    assert non_units["patrol"] + non_units["district investigation team"] > 0.85


def test_values_follow_the_data_contract(crimes: pd.DataFrame) -> None:
    enums = ("location_basis", "risk_assessment", "risk_level", "relationship", "victim_sex", "suspect_sex")
    for name in enums:
        assert set(crimes[name].dropna()) <= set(column(name).values), name
    for name in ("domestic_flag", "cyber_flag", "dash_completed", "arrest_made"):
        assert set(crimes[name]) <= {"Y", "N"}
    for name in ("recorded_date", "committed_date", "arrest_date", "outcome_date", "victim_dob"):
        assert crimes[name].dropna().str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), name
    assert crimes["victim_id"].str.fullmatch(r"N\d{8}").all()
    assert crimes[["ward_code", "easting", "northing"]].isna().all().all()
    assert crimes["offence_description"].notna().all()


def test_dates_are_consistent(crimes: pd.DataFrame) -> None:
    outcome = crimes.dropna(subset=["outcome_date"])
    assert (outcome["outcome_date"] > outcome["recorded_date"]).all()
    assert outcome["outcome_date"].max() <= cal.EXTRACT_DATE
    assert crimes["outcome"].isna().equals(crimes["outcome_date"].isna())
    arrested = crimes.dropna(subset=["arrest_date"])
    assert (arrested["arrest_date"] >= arrested["recorded_date"]).all()
    assert crimes["arrest_date"].notna().equals(crimes["arrest_made"] == "Y")
    committed = crimes.dropna(subset=["committed_date"])
    assert (committed["committed_date"] <= committed["recorded_date"]).all()
    assert crimes["recorded_date"].min() == "2019-04-01" and crimes["recorded_date"].max() <= "2022-01-31"


def test_locations_are_real_lsoas_of_the_district(crimes: pd.DataFrame) -> None:
    areas = default_lsoas()
    district_of = dict(zip(areas.codes, areas.district_codes, strict=True))
    assert (crimes["lsoa_code"].map(district_of) == crimes["district"]).all()
    sample = crimes.sample(500, random_state=0)
    index = areas.index_of(sample["lsoa_code"].tolist())
    lon, lat = sample["longitude"].astype(float).to_numpy(), sample["latitude"].astype(float).to_numpy()
    assert shapely.contains_xy(areas.polygons[index], lon, lat).all()
    west, south, east, north = load_force().bbox_wgs84
    assert crimes["longitude"].astype(float).between(west, east).all()
    assert crimes["latitude"].astype(float).between(south, north).all()


def test_hotspots_exist(stalking: pd.DataFrame) -> None:
    per_lsoa = stalking["lsoa_code"].value_counts()
    assert per_lsoa.iloc[0] > 5 * per_lsoa.median()


def test_repeat_victims_serial_suspects_and_escalation(crimes: pd.DataFrame) -> None:
    per_victim = crimes.groupby("victim_id")
    assert (per_victim.size() > 1).mean() > 0.2
    assert (per_victim["offence_code"].nunique() > 1).sum() > 1000
    victims_per_suspect = crimes.dropna(subset=["suspect_id"]).groupby("suspect_id")["victim_id"].nunique()
    assert (victims_per_suspect >= 2).sum() > 500
    pairs = crimes.dropna(subset=["suspect_id"]).sort_values("recorded_date")
    first = pairs.groupby(["victim_id", "suspect_id"])["offence_code"].agg(list)
    escalated = first.map(lambda codes: "8L" in codes and "8Q" in codes[codes.index("8L") :])
    assert escalated.sum() > 100


def test_mo_text_shows_more_technology_than_the_flag(stalking: pd.DataFrame) -> None:
    tech = "(?i)whatsapp|snapchat|instagram|facebook|tiktok|twitter|email|text message|gps|tracking app"
    tech += "|withheld"
    named_tech = stalking["mo_text"].str.contains(tech)
    flagged = stalking["cyber_flag"] == "Y"
    assert 0.2 < named_tech.mean() < 0.4 and named_tech.mean() > 2 * flagged.mean()
    assert stalking.loc[flagged, "mo_text"].str.contains(tech + "|account|phone|location").all()
    assert stalking["mo_text"].str.contains("No social media contact").any()
    assert stalking["mo_text"].str.contains(r"Victim recorded the incident on (?:her|his) phone").any()
    assert stalking["mo_text"].str.contains("colour|behaviour|neighbour|jewellery|tyres").any()


def test_other_families_and_the_2020_recording_change(crimes: pd.DataFrame) -> None:
    assert set(crimes["offence_code"]) == set(cal.OFFENCES)
    da_8l = crimes[(crimes["offence_code"] == "8L") & crimes["da"]]
    before = (da_8l["month"] < "2020-04").sum() / 12
    after = (da_8l["month"] >= "2020-04").sum() / 22
    assert after < 0.5 * before
    assert crimes["crime_ref"].is_unique


def test_same_seed_same_table_and_other_seed_differs(table: pa.Table) -> None:
    assert generate(seed=0).equals(table)
    assert not generate(seed=1).equals(table)


def test_scaling_doubles_every_window(stalking: pd.DataFrame) -> None:
    double = generate(2 * calibrated_size(), seed=5).to_pandas()
    assert len(double) == 2 * calibrated_size()
    double = double[double["offence_code"] == "8Q"]
    for window in WINDOWS:
        a = _window(double, window).groupby("district").size()
        b = _window(stalking, window).groupby("district").size()
        np.testing.assert_allclose(a[DISTRICTS], 2 * b[DISTRICTS], rtol=0.01)


def test_small_extracts_and_bad_sizes() -> None:
    assert generate(0).num_rows == 0 and generate(0).column_names == [c.name for c in CRIME_COLUMNS]
    small = generate(60, seed=2)
    assert small.num_rows == 60 and len(small.column("crime_ref").unique()) == 60
    with pytest.raises(ConfigError):
        generate(-1)


def test_write_extract_csv_and_parquet(tmp_path: Path) -> None:
    table = generate(300, seed=3)
    csv = write_extract(table, tmp_path / "extract.csv")
    again = write_extract(generate(300, seed=3), tmp_path / "again.csv")
    assert csv.read_bytes() == again.read_bytes()
    header = csv.read_text(encoding="utf-8").splitlines()[0]
    assert header.replace('"', "").split(",") == [c.name for c in CRIME_COLUMNS]
    parquet = write_extract(table, tmp_path / "extract.parquet")
    assert pq.read_table(parquet).equals(table)
    with pytest.raises(ConfigError):
        write_extract(table, tmp_path / "extract.xlsx")


def test_deprivation_weights_move_crimes_to_deprived_areas() -> None:
    from stalking_profile.spatial.geography import default_lsoas as lsoas

    codes = [str(c) for c in lsoas().codes]
    deprivation = {c: 1 + (i % 10) for i, c in enumerate(codes)}  # deciles spread evenly over the areas
    plain = generate(20_000, seed=3)
    tilted = generate(20_000, seed=3, deprivation=deprivation)

    def mean_decile(table: object) -> float:
        values = [deprivation[c] for c in table.column("lsoa_code").to_pylist() if c]  # type: ignore[attr-defined]
        return sum(values) / len(values)

    assert mean_decile(tilted) < mean_decile(plain) - 0.3


def test_synthetic_case_records_import_cleanly(tmp_path: Path) -> None:
    """The demo's referrals and SPO cases: every event legal, so the imports take every row;
    the same seed gives the same records."""
    import pyarrow.csv as pacsv

    from stalking_profile.cases.spo_import import import_events
    from stalking_profile.ingest.pipeline import IngestOptions, ingest
    from stalking_profile.referrals.imports import import_referrals
    from stalking_profile.store.connection import open_store
    from stalking_profile.synth.cases import case_records
    from stalking_profile.synth.generator import generate, write_extract

    extract = write_extract(generate(20_000, 3), tmp_path / "x.csv")
    with open_store(str(tmp_path / "s.duckdb")) as store:
        ingest(extract, store, IngestOptions(today=dt.date(2022, 2, 15)))
        crimes = store.current_crimes().select("crime_ref", "offence_code", "recorded_date", "district",
                                               "domestic_flag").to_pyarrow()
        referrals, spo = case_records(crimes, seed=3)
        assert case_records(crimes, seed=3)[1].equals(spo) and referrals.num_rows > 50 and spo.num_rows > 0
        for table, name in ((referrals, "r.csv"), (spo, "s.csv")):
            pacsv.write_csv(table, tmp_path / name)
        done = import_referrals(tmp_path / "r.csv", store, today=dt.date(2022, 2, 15))
        assert (done.rows_read, done.rows_rejected) == (referrals.num_rows, 0)
        cases = import_events(tmp_path / "s.csv", store, today=dt.date(2022, 2, 15))
        assert (cases.rows_read, cases.rows_rejected) == (spo.num_rows, 0), cases.rejected[:3]
        from stalking_profile.synth.cases import training_records
        from stalking_profile.training.imports import import_training

        training = training_records(load_force().district_codes, seed=3)
        pacsv.write_csv(training, tmp_path / "t.csv")
        done = import_training(tmp_path / "t.csv", store, today=dt.date(2022, 2, 15))
        assert (done.rows_read, done.rows_rejected) == (training.num_rows, 0)


def test_synth_writes_case_records_that_import_cleanly(tmp_path: Path) -> None:
    """`synth --case-records`: referrals, SPO events and training beside the extract, each in its
    import template, accepted whole once the extract is ingested."""
    from stalking_profile.cases.spo_import import import_events
    from stalking_profile.ingest.pipeline import IngestOptions, ingest
    from stalking_profile.referrals.imports import import_referrals
    from stalking_profile.store.connection import open_store
    from stalking_profile.training.imports import import_training
    from tests.conftest import run_cli

    out = tmp_path / "x.csv"
    code, stdout, stderr = run_cli("synth", "--out", str(out), "--records", "30000", "--seed", "4", "--case-records")
    assert code == 0, stderr
    files = [tmp_path / f"x-{kind}.csv" for kind in ("referrals", "spo", "training")]
    assert all(f.exists() for f in files) and "referral events to" in stdout
    with open_store(str(tmp_path / "s.duckdb")) as store:
        assert ingest(out, store, IngestOptions()).rows_rejected == 0
        results = [import_referrals(files[0], store), import_events(files[1], store), import_training(files[2], store)]
    for result in results:
        assert result.rows_read > 0 and result.rows_rejected == 0, result.problems


def test_case_records_do_not_depend_on_the_order_of_the_crimes() -> None:
    from stalking_profile.synth.cases import case_records

    crimes = pa.table({"crime_ref": [f"C{i:04d}" for i in range(3000)], "offence_code": ["8Q"] * 3000,
                       "recorded_date": [dt.date(2021, 1, 1) + dt.timedelta(days=i % 300) for i in range(3000)],
                       "district": ["LD"] * 3000, "domestic_flag": [i % 10 != 0 for i in range(3000)]})
    shuffled = crimes.take(np.random.default_rng(1).permutation(3000))
    for ours, theirs in zip(case_records(crimes, 5), case_records(shuffled, 5), strict=True):
        assert ours.num_rows > 0 and ours.equals(theirs)
