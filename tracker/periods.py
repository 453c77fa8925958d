"""Reporting periods (填報期間): the calendar the commission tracks by.

Periods end on the month-days of ``REPORTING_PERIOD_ENDS`` (default ``06-30,12-31``: half
years) and each has a reporting deadline ``REPORTING_DEADLINE_DAYS`` days after its end
(default 15). Pure date arithmetic, no database: the read model (services/progress,
services/projections) and the reminders build on it. Rules in docs/domain.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, has_app_context

DEFAULT_ENDS = "06-30,12-31"
DEFAULT_DEADLINE_DAYS = 15


class PeriodSettingError(ValueError):
    """``REPORTING_PERIOD_ENDS`` or ``REPORTING_DEADLINE_DAYS`` is not usable; the message
    names the value and the rule (the app refuses to start)."""


def parse_period_ends(raw: str) -> tuple[tuple[int, int], ...]:
    """``"06-30,12-31"`` -> ((6, 30), (12, 31)). Raises PeriodSettingError."""
    ends: list[tuple[int, int]] = []
    for part in (raw or "").split(","):
        text = part.strip()
        if not text:
            continue
        pieces = text.split("-")
        if len(pieces) != 2 or not all(p.isascii() and p.isdigit() and 1 <= len(p) <= 2 for p in pieces):
            raise PeriodSettingError(
                f"REPORTING_PERIOD_ENDS: {text!r} is not a month-day; write MM-DD, e.g. 06-30,12-31"
            )
        month, day = int(pieces[0]), int(pieces[1])
        try:
            # A leap year accepts 02-29, so check a common year too: an end must exist every year.
            date(2001, month, day)
        except ValueError:
            raise PeriodSettingError(
                f"REPORTING_PERIOD_ENDS: {text!r} is not a day that exists in every year "
                f"(month 1-12, a day the month always has; 02-29 is refused)"
            ) from None
        ends.append((month, day))
    if not ends:
        raise PeriodSettingError("REPORTING_PERIOD_ENDS is empty; give at least one MM-DD, e.g. 12-31")
    if len(set(ends)) != len(ends):
        raise PeriodSettingError(f"REPORTING_PERIOD_ENDS: {raw!r} names the same day twice")
    return tuple(sorted(ends))


def parse_deadline_days(raw: object) -> int:
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise PeriodSettingError(f"REPORTING_DEADLINE_DAYS: {raw!r} is not a whole number of days") from None
    if not 0 <= days <= 120:
        raise PeriodSettingError(f"REPORTING_DEADLINE_DAYS: {days} is outside 0-120 days")
    return days


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: [start, end], reports due by ``deadline``."""

    end: date
    start: date
    deadline: date

    @property
    def key(self) -> str:
        return self.end.isoformat()

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def label(self, locale: str) -> str:
        """上半年 / 下半年 for the default half years, else the date range."""
        from .locale import format_date, roc_year

        if (self.start.month, self.start.day) == (1, 1) and (self.end.month, self.end.day) == (6, 30):
            return f"{roc_year(self.end.year)}年上半年" if locale.startswith("zh") else f"{self.end.year} H1"
        if (self.start.month, self.start.day) == (7, 1) and (self.end.month, self.end.day) == (12, 31):
            return f"{roc_year(self.end.year)}年下半年" if locale.startswith("zh") else f"{self.end.year} H2"
        sep = "至" if locale.startswith("zh") else " to "
        return f"{format_date(self.start, locale)}{sep}{format_date(self.end, locale)}"


class Calendar:
    """The period calendar of one setting (ends, deadline)."""

    def __init__(self, ends: tuple[tuple[int, int], ...], deadline_days: int):
        self.ends = ends
        self.deadline_days = deadline_days

    @classmethod
    def from_config(cls) -> Calendar:
        ends, days = DEFAULT_ENDS, DEFAULT_DEADLINE_DAYS
        if has_app_context():
            ends = current_app.config.get("REPORTING_PERIOD_ENDS", DEFAULT_ENDS)
            days = current_app.config.get("REPORTING_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS)
        return cls(parse_period_ends(ends), parse_deadline_days(days))

    def _period(self, end: date, prev_end: date) -> Period:
        return Period(end=end, start=prev_end + timedelta(days=1), deadline=end + timedelta(days=self.deadline_days))

    def _ends_around(self, year: int) -> list[date]:
        return [date(y, m, d) for y in (year - 1, year, year + 1) for m, d in self.ends]

    def containing(self, day: date) -> Period:
        """The period whose [start, end] holds ``day``."""
        ends = self._ends_around(day.year)
        for prev, end in zip(ends, ends[1:], strict=False):
            if prev < day <= end:
                return self._period(end, prev)
        raise AssertionError("unreachable: every day lies between two period ends")

    def ending_on(self, day: date) -> Period | None:
        """The period that ends on ``day``, or None when ``day`` is no period end."""
        if (day.month, day.day) not in self.ends:
            return None
        return self.containing(day)

    def next(self, period: Period) -> Period:
        return self.containing(period.end + timedelta(days=1))

    def previous(self, period: Period) -> Period:
        return self.containing(period.start - timedelta(days=1))

    def first_tracked(self, tracking_start: date) -> Period:
        """The first period an item must report on: the first that starts on or after the
        day tracking starts (a department is not asked about a period it was tracked for
        only in part)."""
        period = self.containing(tracking_start)
        return period if period.start == tracking_start else self.next(period)

    def between(self, first: Period, last_day: date) -> Iterator[Period]:
        """``first`` and every later period that starts on or before ``last_day``."""
        period = first
        while period.start <= last_day:
            yield period
            period = self.next(period)

    def in_year(self, year: int) -> list[Period]:
        """The periods ending in ``year``."""
        return [self.containing(date(year, m, d)) for m, d in self.ends]

    def last_due(self, day: date) -> Period | None:
        """The latest period whose deadline has passed on ``day`` (deadline < day)."""
        period = self.containing(day)
        while period.deadline >= day:
            period = self.previous(period)
            if period.end.year < 1900:
                return None
        return period
