"""Periods: the window a profile covers and the comparison window before it.

``--period START:END`` takes ISO dates, both ends inclusive. ``--to YYYY-MM`` is the 12
months ending with that month. With neither, the window is the 12 months ending with the
last complete month in the store. The previous window has the same length (in months
for month-aligned windows, otherwise in days) and ends the day before the window starts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from stalking_profile.errors import ConfigError

__all__ = ["Period", "last_complete_month", "month_end", "months_between", "parse_period", "shift_months"]


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def shift_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """Every month from ``start``'s to ``end``'s, as ``YYYY-MM``."""
    out, current = [], dt.date(start.year, start.month, 1)
    while current <= end:
        out.append(f"{current:%Y-%m}")
        current = shift_months(current, 1)
    return out


@dataclass(frozen=True)
class Period:
    """An inclusive date window.

    Examples
    --------
    >>> p = parse_period(to="2021-09")
    >>> (str(p.start), str(p.end), p.label)
    ('2020-10-01', '2021-09-30', '12 months to September 2021')
    >>> (str(p.previous().start), str(p.previous().end))
    ('2019-10-01', '2020-09-30')
    """

    start: dt.date
    end: dt.date

    @property
    def month_aligned(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end.year, self.end.month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def label(self) -> str:
        if self.month_aligned and self.months == 12:
            return f"12 months to {self.end:%B %Y}"
        return f"{self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y}"

    def previous(self) -> Period:
        """The window of the same length just before this one."""
        if self.month_aligned:
            start = shift_months(self.start, -self.months)
            return Period(start, self.start - dt.timedelta(days=1))
        days = (self.end - self.start).days + 1
        return Period(self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1))


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{what} '{text}' is not a date", "write dates as YYYY-MM-DD") from None


def last_complete_month(last_recorded: dt.date) -> tuple[int, int]:
    """The last month whose every day is covered, given the last recorded date in the store."""
    if last_recorded == month_end(last_recorded.year, last_recorded.month):
        return last_recorded.year, last_recorded.month
    previous = shift_months(last_recorded, -1)
    return previous.year, previous.month


def parse_period(period: str | None = None, to: str | None = None, last_recorded: dt.date | None = None) -> Period:
    """The window from ``--period``, ``--to`` or (with neither) the store's last complete month."""
    if period and to:
        raise ConfigError("--period and --to both given", "give one of them")
    if period:
        if ":" not in period:
            raise ConfigError(f"--period '{period}' is not START:END", "write e.g. --period 2020-10-01:2021-09-30")
        start_text, end_text = period.split(":", 1)
        start, end = _date(start_text, "period start"), _date(end_text, "period end")
        if end < start:
            raise ConfigError(f"period end {end} is before its start {start}", "swap the two dates")
        return Period(start, end)
    if to:
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", to.strip())
        if not match:
            raise ConfigError(f"--to '{to}' is not a month", "write the last month of the window as YYYY-MM")
        year, month = int(match.group(1)), int(match.group(2))
    elif last_recorded is not None:
        year, month = last_complete_month(last_recorded)
    else:
        raise ConfigError("the store has no crimes to choose a default window from", "ingest an extract first")
    end = month_end(year, month)
    return Period(shift_months(end, -11), end)
