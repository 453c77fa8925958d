"""What a year's follow-up holds (services/annual.py): each period's approved report, the
year-end 列管建議, one item's year and the whole year's review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .. import dates
from ..dates import DataDates
from ..models import (
    ActionItem,
    TrackingChoice,
)
from ..periods import Period
from . import progress


@dataclass(frozen=True)
class PeriodReport:
    """An approved report standing for one period of the year."""

    period: Period
    update_id: int
    effective_date: date
    approved_on: date
    status: object
    progress: int
    narrative: str


@dataclass(frozen=True)
class YearEndDecision:
    id: int
    decision: TrackingChoice
    opinion: str
    effective_date: date
    recorded_on: date


@dataclass
class ItemYear:
    item: ActionItem
    year: int
    state: progress.ItemState
    reports: list[PeriodReport] = field(default_factory=list)
    year_end: YearEndDecision | None = None
    tracked: bool = True  # needs a 列管建議 for the year (still tracked when it began)
    pending_ids: list[int] = field(default_factory=list)  # year's reports still waiting for review
    not_reported: list[Period] = field(default_factory=list)  # periods it had to report on, and did not

    @property
    def released_in_year(self) -> bool:
        """Released during the year: that release settles its 列管建議."""
        d = self.state.decision
        return self.state.released and d is not None and d.effective_date.year == self.year

    @property
    def needs_decision(self) -> bool:
        return self.tracked and self.year_end is None and not self.released_in_year


@dataclass
class YearReview:
    year: int
    dates: DataDates
    periods: list[Period]
    items: list[ItemYear]

    @property
    def pending_reports(self) -> int:
        return sum(len(i.pending_ids) for i in self.items)

    @property
    def missing_decisions(self) -> list[ItemYear]:
        return [i for i in self.items if i.needs_decision]

    @property
    def is_draft(self) -> bool:
        return self.pending_reports > 0 or bool(self.missing_decisions)


def year_dates(year: int, known_at: date | None = None, today: date | None = None) -> DataDates:
    """D = 31 December of ``year`` (today while the year runs), K = ``known_at`` or today."""
    today = today or dates.today()
    as_of = min(date(year, 12, 31), today)
    return DataDates(as_of, known_at or today, today)
