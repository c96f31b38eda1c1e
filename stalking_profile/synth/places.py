"""Where synthetic people live and crimes happen: seeded LSOA intensities with hotspots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stalking_profile.spatial.geography import AreaSet

__all__ = ["Intensity", "choose_lsoas", "lsoa_intensity"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_KM_PER_DEGREE_LAT = 111.2
_HOTSPOTS_PER_DISTRICT = 4
_HOTSPOT_KM = 1.3
_CENTRES_PER_DISTRICT = 2
_CENTRE_KM = 0.9


@dataclass(frozen=True)
class Intensity:
    """Relative weights of each LSOA for homes and for public places."""

    home: FloatArray
    public: FloatArray


def _km_coordinates(areas: AreaSet) -> FloatArray:
    lon, lat = areas.centroids[:, 0], areas.centroids[:, 1]
    scale = np.cos(np.deg2rad(float(lat.mean()))) if lat.size else 1.0
    return np.column_stack((lon * scale, lat)) * _KM_PER_DEGREE_LAT


def _bumps(xy: FloatArray, centres: IntArray, km: float, height: float) -> FloatArray:
    """1 plus Gaussian bumps of the given height around the centre areas."""
    d2 = ((xy[:, None, :] - xy[centres][None, :, :]) ** 2).sum(axis=2)
    return np.asarray(1.0 + height * np.exp(-d2 / (2.0 * km * km)).sum(axis=1), dtype=np.float64)


def _pick_per_district(
    areas: AreaSet, weights: FloatArray, k: int, rng: np.random.Generator
) -> IntArray:
    picks: list[IntArray] = []
    for code in np.unique(areas.district_codes.astype(str)):
        members = areas.in_district(str(code))
        p = weights[members] / weights[members].sum()
        picks.append(rng.choice(members, size=min(k, members.size), replace=False, p=p).astype(np.int64))
    return np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)


def lsoa_intensity(areas: AreaSet, rng: np.random.Generator) -> Intensity:
    """Seeded per-LSOA weights: noisy, with a few residential hotspots and busy centres per district.

    Homes follow gamma noise times Gaussian bumps (about 1.3 km wide) around a few
    hotspot areas per district, so that hotspot statistics find clusters rather than
    isolated areas. Public places follow narrower bumps around town-centre areas.

    Examples
    --------
    >>> from stalking_profile.spatial.geography import default_lsoas
    >>> w = lsoa_intensity(default_lsoas(), np.random.default_rng(0))
    >>> bool((w.home > 0).all() and (w.public > 0).all())
    True
    """
    xy = _km_coordinates(areas)
    noise = rng.gamma(1.2, 1.0 / 1.2, len(areas))
    hotspots = _pick_per_district(areas, noise, _HOTSPOTS_PER_DISTRICT, rng)
    home = noise * _bumps(xy, hotspots, _HOTSPOT_KM, 2.5)
    centres = _pick_per_district(areas, home, _CENTRES_PER_DISTRICT, rng)
    public = rng.gamma(2.0, 0.5, len(areas)) * _bumps(xy, centres, _CENTRE_KM, 8.0)
    return Intensity(home=np.asarray(home, dtype=np.float64), public=np.asarray(public, dtype=np.float64))


def choose_lsoas(
    areas: AreaSet,
    district_codes: tuple[str, ...],
    district: npt.ArrayLike,
    weights: FloatArray,
    rng: np.random.Generator,
) -> IntArray:
    """For each row, an LSOA of its own district drawn with probability proportional to ``weights``.

    ``district`` holds indices into ``district_codes``; the result indexes ``areas``.

    Examples
    --------
    >>> from stalking_profile.spatial.geography import default_lsoas
    >>> areas = default_lsoas()
    >>> rows = choose_lsoas(areas, ("BD", "CD"), [1, 1, 0], np.ones(len(areas)), np.random.default_rng(0))
    >>> areas.district_codes[rows].tolist()
    ['CD', 'CD', 'BD']
    """
    d = np.asarray(district, dtype=np.int64)
    out = np.empty(d.size, dtype=np.int64)
    u = rng.random(d.size)
    for i, code in enumerate(district_codes):
        rows = np.flatnonzero(d == i)
        if rows.size == 0:
            continue
        members = areas.in_district(code)
        cum = np.cumsum(weights[members])
        pos = np.searchsorted(cum, u[rows] * cum[-1], side="right")
        out[rows] = members[np.minimum(pos, members.size - 1)]
    return out
