"""A year's follow-up (年度追蹤): what the annual summary and the year-end review show.

For a year Y, with the data date D (normally Y-12-31) and the knowledge date K (the compile
date): every item's state on D, each period's approved report (本年度辦理情形, dated), the
commission's year-end 列管建議 with its 審核意見, and whether the year is complete — every
year-end report reviewed and every tracked item given its 列管建議 — or the summary is a
draft, with what is missing. Rules in docs/domain.md ("The annual summary").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import dates
from ..dates import DataDates
from ..extensions import db
from ..models import (
    ActionItem,
    ItemPeriod,
    PeriodReview,
    Recommendation,
    Review,
    ReviewDecision,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    UpdateWithdrawal,
)
from ..periods import Period
from . import progress, projections
from .history import Decision, ItemHistory, period_report, state_on


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


def review_year(
    year: int,
    dd: DataDates,
    report_ids: Sequence[int] | None = None,
    session: Session | None = None,
    item_ids: Sequence[int] | None = None,
    read_model: bool | None = None,
    items: Sequence[ActionItem] | None = None,
) -> YearReview:
    """The year's follow-up of every item in scope (``item_ids`` narrows it to a page) on
    (D, K): a fixed number of statements.

    When everything is known (K is today) and D ends a reporting period — the annual summary
    of a past year — the answer is read from the stored ``item_period`` rows of the year's
    periods; otherwise the items' histories are folded. ``read_model`` forces one way (the
    tests compare both). ``items``: the items in scope, already loaded by the caller."""
    session = session or db.session
    if read_model is None:
        read_model = dd.knows_everything and progress.calendar().ending_on(dd.as_of) is not None
    if read_model:
        return _review_year_from_rows(session, year, dd, report_ids, item_ids, items)
    cal = progress.calendar()
    periods = [p for p in cal.in_year(year) if p.start <= dd.as_of]
    scope = list(item_ids) if item_ids is not None else progress.scope_for_reports(report_ids)
    items = list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.id.in_(scope))
            .options(
                selectinload(ActionItem.supporting_departments),
                selectinload(ActionItem.lead_department),
                selectinload(ActionItem.recommendation).selectinload(Recommendation.report),
            )
            .order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
        )
    )
    if not items:
        return YearReview(year, dd, periods, [])
    histories = projections.load_histories(session, scope)
    soon = projections.due_soon_days()
    known = dd.known_before()
    # The year's approved reports with their texts (one statement).
    texts = {
        row.id: row
        for row in session.execute(
            select(
                StatusUpdate.id,
                StatusUpdate.narrative,
                StatusUpdate.status,
                StatusUpdate.progress,
                StatusUpdate.effective_date,
                Review.effective_date.label("approved_on"),
            )
            .join(Review, Review.update_id == StatusUpdate.id)
            .where(
                StatusUpdate.action_item_id.in_(scope),
                Review.decision == ReviewDecision.APPROVE,
                Review.recorded_at < known,
                StatusUpdate.effective_date >= date(year, 1, 1),
                StatusUpdate.effective_date <= dd.as_of,
            )
        )
    }
    # Year-end decisions (列管建議) for the year, known by K: the latest recorded wins.
    year_end: dict[int, YearEndDecision] = {}
    for d in session.scalars(
        select(TrackingDecision)
        .where(
            TrackingDecision.action_item_id.in_(scope),
            TrackingDecision.review_year == year,
            TrackingDecision.recorded_at < known,
        )
        .order_by(TrackingDecision.recorded_at, TrackingDecision.id)
    ):
        year_end[d.action_item_id] = YearEndDecision(
            d.id,
            TrackingChoice(d.decision),
            d.reason,
            d.effective_date,
            dates.local_date(d.recorded_at) or d.effective_date,
        )
    out: list[ItemYear] = []
    year_start = date(year, 1, 1)
    for item in items:
        h = histories.get(item.id)
        if h is None:
            continue
        state = state_on(h, dd.as_of, dd.known_at, cal, soon)
        if not state.exists:
            continue
        before = state_on(h, year_start - timedelta(days=1), dd.known_at, cal, soon)
        row = ItemYear(item=item, year=year, state=state, year_end=year_end.get(item.id), tracked=before.tracked)
        first = cal.first_tracked(h.facts.start)
        for period in periods:
            update_id, review, _first, _t = period_report(h, period, dd.known_at, dd.as_of)
            if review is not None and review.value == "approved" and update_id in texts:
                t = texts[update_id]
                row.reports.append(
                    PeriodReport(period, t.id, t.effective_date, t.approved_on, t.status, t.progress, t.narrative or "")
                )
            if period >= first and period.end <= dd.as_of and period.deadline < dd.known_at and review is None:
                open_before = state_on(h, period.start - timedelta(days=1), dd.known_at, cal).open
                if open_before:
                    row.not_reported.append(period)
        row.pending_ids = _pending_in_year(h, year, dd)
        out.append(row)
    return YearReview(year, dd, periods, out)


def _review_year_from_rows(
    session: Session,
    year: int,
    dd: DataDates,
    report_ids: Sequence[int] | None,
    item_ids: Sequence[int] | None,
    items: Sequence[ActionItem] | None = None,
) -> YearReview:
    """``review_year`` from the read model: D a period end, K today (see review_year)."""
    projections.sync(session)
    projections.ensure_current(dd.today)
    cal = progress.calendar()
    periods = [p for p in cal.in_year(year) if p.start <= dd.as_of]
    scope = list(item_ids) if item_ids is not None else progress.scope_for_reports(report_ids)
    items = list(items) if items is not None else _items_in_scope(session, scope)
    if not items:
        return YearReview(year, dd, periods, [])
    before_year = cal.previous(periods[0]).end
    ends = [p.end for p in periods] + [before_year]
    t = ItemPeriod.__table__
    rows: dict[int, dict[date, Any]] = defaultdict(dict)
    for r in session.execute(
        select(
            t,
            TrackingDecision.effective_date.label("decision_effective"),
            TrackingDecision.review_year.label("decision_review_year"),
            TrackingDecision.reason.label("decision_reason"),
        )
        .outerjoin(TrackingDecision, TrackingDecision.id == t.c.decision_id)
        .where(t.c.item_id.in_(scope), t.c.period_end.in_(ends))
    ):
        rows[r.item_id][r.period_end] = r
    texts = _approved_texts(session, scope, year, dd)
    year_end = _year_end_decisions(session, scope, year, dd)
    pending = _pending_from_rows(session, scope, year, dd)
    out: list[ItemYear] = []
    for item in items:
        by_end = rows.get(item.id, {})
        at_d = by_end.get(dd.as_of)
        if at_d is None:  # not there yet on D
            continue
        state = progress.state_from_row(at_d)
        if at_d.decision is not None:
            state.decision = Decision(
                at_d.decision_id,
                TrackingChoice(at_d.decision),
                at_d.decision_effective,
                at_d.decision_review_year,
                at_d.decision_reason or "",
            )
        prior = by_end.get(before_year)
        tracked = prior is None or prior.decision is None or TrackingChoice(prior.decision) is TrackingChoice.CONTINUE
        row = ItemYear(
            item=item,
            year=year,
            state=state,
            year_end=year_end.get(item.id),
            tracked=tracked,
            pending_ids=pending.get(item.id, []),
        )
        for period in periods:
            pr = by_end.get(period.end)
            if pr is None:
                continue
            review = PeriodReview(pr.review) if pr.review is not None else None
            if review is PeriodReview.APPROVED and pr.period_update_id in texts:
                tx = texts[pr.period_update_id]
                row.reports.append(
                    PeriodReport(
                        period, tx.id, tx.effective_date, tx.approved_on, tx.status, tx.progress, tx.narrative or ""
                    )
                )
            if pr.must_report and review is None and period.deadline < dd.known_at:
                row.not_reported.append(period)
        out.append(row)
    return YearReview(year, dd, periods, out)


def _items_in_scope(session: Session, scope: Any) -> list[ActionItem]:
    return list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.id.in_(scope))
            .options(
                selectinload(ActionItem.supporting_departments),
                selectinload(ActionItem.lead_department),
                selectinload(ActionItem.recommendation).selectinload(Recommendation.report),
            )
            .order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
        )
    )


def _approved_texts(session: Session, scope: Any, year: int, dd: DataDates) -> dict[int, Any]:
    """The year's approved reports (effective in the year up to D, approved by K) with their texts."""
    return {
        row.id: row
        for row in session.execute(
            select(
                StatusUpdate.id,
                StatusUpdate.narrative,
                StatusUpdate.status,
                StatusUpdate.progress,
                StatusUpdate.effective_date,
                Review.effective_date.label("approved_on"),
            )
            .join(Review, Review.update_id == StatusUpdate.id)
            .where(
                StatusUpdate.action_item_id.in_(scope),
                Review.decision == ReviewDecision.APPROVE,
                Review.recorded_at < dd.known_before(),
                StatusUpdate.effective_date >= date(year, 1, 1),
                StatusUpdate.effective_date <= dd.as_of,
            )
        )
    }


def _year_end_decisions(session: Session, scope: Any, year: int, dd: DataDates) -> dict[int, YearEndDecision]:
    """Year-end decisions (列管建議) for the year, known by K: the latest recorded wins."""
    out: dict[int, YearEndDecision] = {}
    for d in session.scalars(
        select(TrackingDecision)
        .where(
            TrackingDecision.action_item_id.in_(scope),
            TrackingDecision.review_year == year,
            TrackingDecision.recorded_at < dd.known_before(),
        )
        .order_by(TrackingDecision.recorded_at, TrackingDecision.id)
    ):
        out[d.action_item_id] = YearEndDecision(
            d.id,
            TrackingChoice(d.decision),
            d.reason,
            d.effective_date,
            dates.local_date(d.recorded_at) or d.effective_date,
        )
    return out


def _pending_from_rows(session: Session, scope: Any, year: int, dd: DataDates) -> dict[int, list[int]]:
    """Reports describing the year (up to D) neither reviewed nor withdrawn (everything known)."""
    out: dict[int, list[int]] = defaultdict(list)
    reviewed = select(Review.id).where(Review.update_id == StatusUpdate.id).exists()
    withdrawn = select(UpdateWithdrawal.id).where(UpdateWithdrawal.update_id == StatusUpdate.id).exists()
    for item_id, update_id in session.execute(
        select(StatusUpdate.action_item_id, StatusUpdate.id)
        .where(
            StatusUpdate.action_item_id.in_(scope),
            StatusUpdate.effective_date >= date(year, 1, 1),
            StatusUpdate.effective_date <= dd.as_of,
            ~reviewed,
            ~withdrawn,
        )
        .order_by(StatusUpdate.id)
    ):
        out[item_id].append(update_id)
    return out


def _pending_in_year(h: ItemHistory, year: int, dd: DataDates) -> list[int]:
    """Reports describing the year (up to D), submitted by K and neither reviewed nor withdrawn by K."""
    out = []
    for u in h.updates:
        if u.effective_date.year != year or u.effective_date > dd.as_of or u.submitted_on > dd.known_at:
            continue
        review = h.reviews.get(u.id)
        if review is not None and review.recorded_on <= dd.known_at:
            continue
        w = h.withdrawals.get(u.id)
        if w is not None and w.recorded_on <= dd.known_at:
            continue
        out.append(u.id)
    return out


def by_recommendation(review: YearReview) -> dict[int, list[ItemYear]]:
    out: dict[int, list[ItemYear]] = defaultdict(list)
    for row in review.items:
        out[row.item.recommendation_id].append(row)
    return out


__all__ = [
    "ItemYear",
    "PeriodReport",
    "YearEndDecision",
    "YearEndRow",
    "YearEndStatus",
    "YearReview",
    "by_recommendation",
    "review_year",
    "year_dates",
    "year_end_page",
    "year_end_status",
]


# --- the commission's year-end review (a worklist) ------------------------------------------------


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
    from ..models import ItemPeriod

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
    from ..models import ItemPeriod

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
