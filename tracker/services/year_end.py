"""The commission's year-end review (a worklist): how far the 列管建議 of a year have got, and
one page of the items with their year's reports and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import (
    ActionItem,
    ItemPeriod,
    Recommendation,
    TrackingDecision,
)
from . import progress, projections
from .annual_model import PeriodReport, YearEndDecision, year_dates


@dataclass(frozen=True)
class YearEndStatus:
    """Where the year-end review of ``year`` stands (everything known now)."""

    year: int
    items: int  # items there by the year's end
    untracked: int  # released or left to their department before the year began
    decided: int  # tracked items with their 列管建議 for the year (or released during it)
    pending_reports: int  # reports describing the year still waiting for review

    @property
    def missing(self) -> int:
        return self.items - self.untracked - self.decided

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.pending_reports == 0


def _start_col():
    from ..models import Report

    return func.coalesce(ActionItem.tracking_start, Report.report_date)


def _scoped_items(year: int, report_ids: Sequence[int] | None):
    from ..models import Report

    q = (
        select(ActionItem.id)
        .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
        .join(Report, Report.id == Recommendation.report_id)
        .where(_start_col() <= date(year, 12, 31))
    )
    if report_ids is not None:
        q = q.where(Report.id.in_(report_ids))
    return q


def _untracked_before(year: int):
    """Items whose tracking decision in force on the eve of ``year`` ends the commission's tracking."""

    cal = progress.calendar()
    eve = cal.containing(date(year, 1, 1) - timedelta(days=1))
    # The eve is a period end only with the default calendar; otherwise fold (see year_end_page).
    return select(ItemPeriod.item_id).where(
        ItemPeriod.period_end == eve.end, ItemPeriod.decision.in_(["release", "self_track"])
    ), eve


def year_end_status(
    year: int, report_ids: Sequence[int] | None = None, session: Session | None = None
) -> YearEndStatus:
    """Counts for the year-end review: four statements whatever the number of items."""

    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current()
    items = _scoped_items(year, report_ids)
    untracked_q, _eve = _untracked_before(year)
    n_items = session.scalar(select(func.count()).select_from(items.subquery())) or 0
    n_untracked = (
        session.scalar(
            select(func.count()).where(ActionItem.id.in_(items), ActionItem.id.in_(untracked_q)).select_from(ActionItem)
        )
        or 0
    )
    decided_ids = select(TrackingDecision.action_item_id).where(TrackingDecision.review_year == year)
    released_in_year = select(TrackingDecision.action_item_id).where(
        TrackingDecision.decision == "release",
        TrackingDecision.effective_date >= date(year, 1, 1),
        TrackingDecision.effective_date <= date(year, 12, 31),
    )
    n_decided = (
        session.scalar(
            select(func.count())
            .select_from(ActionItem)
            .where(
                ActionItem.id.in_(items),
                ActionItem.id.notin_(untracked_q),
                or_(ActionItem.id.in_(decided_ids), ActionItem.id.in_(released_in_year)),
            )
        )
        or 0
    )
    n_pending = (
        session.scalar(
            select(func.count())
            .select_from(ItemPeriod)
            .where(
                ItemPeriod.period_end == current,
                ItemPeriod.item_id.in_(items),
                ItemPeriod.pending_effective_date >= date(year, 1, 1),
                ItemPeriod.pending_effective_date <= date(year, 12, 31),
            )
        )
        or 0
    )
    return YearEndStatus(year, n_items, n_untracked, n_decided, n_pending)


@dataclass
class YearEndRow:
    item: ActionItem
    state: progress.ItemState  # on 31 December
    reports: list[PeriodReport]  # the year's approved reports, one per period
    decision: YearEndDecision | None  # the 列管建議 recorded for the year, if any
    tracked: bool
    released_in_year: bool
    pending_id: int | None  # a report of the year still waiting for review


def year_end_page(
    year: int,
    report_ids: Sequence[int] | None = None,
    department_id: int | None = None,
    only_missing: bool = False,
    page: int = 1,
    per_page: int = 30,
    session: Session | None = None,
) -> tuple[list[YearEndRow], int]:
    """One page of the year-end review list: every item there by the year's end, its state on
    31 December, the year's approved reports and its 列管建議 (all known now). The page's
    items are folded from their own history: the cost follows the page."""
    session = session or db.session
    items = _scoped_items(year, report_ids)
    conds = [ActionItem.id.in_(items)]
    if department_id is not None:
        conds.append(ActionItem.lead_department_id == department_id)
    if only_missing:
        untracked_q, _eve = _untracked_before(year)
        conds += [
            ActionItem.id.notin_(untracked_q),
            ActionItem.id.notin_(select(TrackingDecision.action_item_id).where(TrackingDecision.review_year == year)),
        ]
    total = session.scalar(select(func.count()).select_from(ActionItem).where(*conds)) or 0
    page_items = list(
        session.scalars(
            select(ActionItem)
            .where(*conds)
            .options(
                selectinload(ActionItem.lead_department),
                selectinload(ActionItem.supporting_departments),
                selectinload(ActionItem.recommendation).selectinload(Recommendation.report),
            )
            .order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
    if not page_items:
        return [], total
    from .annual import review_year

    review = review_year(year, year_dates(year), session=session, report_ids=None, item_ids=[i.id for i in page_items])
    by_item = {row.item.id: row for row in review.items}
    out = []
    for item in page_items:
        row = by_item.get(item.id)
        if row is None:
            continue
        out.append(
            YearEndRow(
                item,
                row.state,
                row.reports,
                row.year_end,
                row.tracked,
                row.released_in_year,
                row.pending_ids[-1] if row.pending_ids else None,
            )
        )
    return out, total
