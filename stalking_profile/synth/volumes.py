"""Crime volumes: exact counts per offence, DA flag, month and district, then one row per crime."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stalking_profile.synth import calibration as cal
from stalking_profile.synth.allocation import largest_remainder, matrix_round

__all__ = ["CODES", "STALKING", "Crimes", "base_cells", "calibrated_size", "expand_cells", "month_starts"]

#: Offence codes in cell order; stalking first.
CODES: tuple[str, ...] = tuple(cal.OFFENCES)
STALKING = CODES.index("8Q")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class Crimes:
    """The skeleton of the extract: one entry per crime."""

    code: IntArray  # index into CODES
    domestic: npt.NDArray[np.bool_]
    month: IntArray  # 0 = April 2019
    district: IntArray  # index into the force's districts
    recorded: DateArray  # datetime64[D]

    def __len__(self) -> int:
        return int(self.code.size)

    @property
    def stalking(self) -> npt.NDArray[np.bool_]:
        """Which crimes are stalking (8Q)."""
        return np.asarray(self.code == STALKING, dtype=bool)


def month_starts() -> DateArray:
    """First day of each month of the extract, plus the month after the last.

    Examples
    --------
    >>> str(month_starts()[0]), str(month_starts()[-1])
    ('2019-04-01', '2022-02-01')
    """
    first = np.datetime64(cal.month_label(0), "M")
    return (first + np.arange(cal.MONTHS + 1)).astype("datetime64[D]")


def calibrated_size() -> int:
    """Crimes in the default (West Yorkshire) extract: stalking plus the other families.

    Examples
    --------
    >>> calibrated_size()
    108695
    """
    stalking = sum(cal.STALKING_MONTHLY_DOMESTIC) + sum(cal.STALKING_MONTHLY_NON_DOMESTIC)
    return int(stalking + sum(v.total for v in cal.OTHER_VOLUMES))


def _stalking_cells(domestic: bool, district_weights: FloatArray | None) -> IntArray:
    """Stalking by month x district for one DA flag; the seed's windows exact for WY."""
    monthly = np.asarray(
        cal.STALKING_MONTHLY_DOMESTIC if domestic else cal.STALKING_MONTHLY_NON_DOMESTIC, dtype=np.int64
    )
    if district_weights is not None:
        return matrix_round(monthly, largest_remainder(district_weights, int(monthly.sum())))
    windows = sorted((first, last, counts[domestic]) for first, last, counts in cal.STALKING_WINDOWS.values())
    cells = np.zeros((cal.MONTHS, len(cal.DISTRICTS)), dtype=np.int64)
    edges = [0] + [w[0] for w in windows[1:]] + [cal.MONTHS]
    for (first, last, counts), lo, hi in zip(windows, edges[:-1], edges[1:], strict=True):
        # The window's own months get its exact district totals; months before the first
        # window or after the last get the nearest window's district shares.
        cells[first : last + 1] = matrix_round(monthly[first : last + 1], counts)
        for a, b in ((lo, first), (last + 1, hi)):
            if b > a:
                cells[a:b] = matrix_round(monthly[a:b], largest_remainder(counts, int(monthly[a:b].sum())))
    return cells


def _shape(volume: cal.OtherVolume) -> FloatArray:
    """Relative monthly volume: season, yearly trend and the spring 2020 lockdown dip (non-DA)."""
    months = np.arange(volume.first_month, volume.last_month + 1)
    calendar = (cal.FIRST_MONTH[1] - 1 + months) % 12
    shape = np.asarray(cal.SEASONALITY)[calendar] * (1.0 + volume.trend) ** (months / 12.0)
    if not volume.domestic:
        shape = shape * np.where(np.isin(months, (12, 13)), 0.85, 1.0)
    return np.asarray(shape, dtype=np.float64)


def _seed_district_weights() -> FloatArray:
    """District shares of all stalking in the latest seed window (used for other families)."""
    counts = cal.STALKING_WINDOWS["12m to September 2021"][2]
    return np.asarray(counts[True], dtype=np.float64) + np.asarray(counts[False], dtype=np.float64)


def base_cells(district_weights: FloatArray | None = None) -> IntArray:
    """Exact crime counts at the calibrated size, shape (offence, DA, month, district).

    With ``district_weights`` None the districts are the seed's (BD, CD, KD, LD, WD) and the
    seed's tables are reproduced; otherwise each month is split by the given weights.

    Examples
    --------
    >>> cells = base_cells()
    >>> int(cells[STALKING, 1, 18:30].sum()), int(cells.sum()) == calibrated_size()
    (5669, True)
    """
    n_districts = len(cal.DISTRICTS) if district_weights is None else len(district_weights)
    cells = np.zeros((len(CODES), 2, cal.MONTHS, n_districts), dtype=np.int64)
    for da in (0, 1):
        cells[STALKING, da] = _stalking_cells(bool(da), district_weights)
    weights = _seed_district_weights() if district_weights is None else district_weights
    for volume in cal.OTHER_VOLUMES:
        monthly = largest_remainder(_shape(volume), volume.total)
        block = matrix_round(monthly, largest_remainder(weights, volume.total))
        months = slice(volume.first_month, volume.last_month + 1)
        cells[CODES.index(volume.code), int(volume.domestic), months] += block
    return cells


def expand_cells(cells: IntArray, rng: np.random.Generator) -> Crimes:
    """One crime per count, with a recorded date uniform within its month, in recorded order.

    Examples
    --------
    >>> crimes = expand_cells(base_cells(), np.random.default_rng(0))
    >>> len(crimes) == calibrated_size(), bool((np.diff(crimes.recorded.astype(int)) >= 0).all())
    (True, True)
    """
    flat = cells.reshape(-1)
    cell = np.repeat(np.arange(flat.size), flat)
    starts = month_starts()
    days = (starts[1:] - starts[:-1]).astype(np.int64)
    month = np.unravel_index(cell, cells.shape)[2]
    offset = np.floor(rng.random(cell.size) * days[month]).astype(np.int64)
    recorded = starts[month] + offset.astype("timedelta64[D]")
    order = np.argsort(offset + month * 31 + rng.random(cell.size))
    code, da, month, district = np.unravel_index(cell[order], cells.shape)
    return Crimes(
        code=code.astype(np.int64),
        domestic=da.astype(bool),
        month=month.astype(np.int64),
        district=district.astype(np.int64),
        recorded=recorded[order],
    )
