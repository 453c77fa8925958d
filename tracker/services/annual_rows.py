"""A year's follow-up read from the stored ``item_period`` rows (the read model), and the
queries both ways of ``annual.review_year`` share: the year's approved report texts, the
year-end decisions, the reports still pending."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import dates
from ..dates import DataDates
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
from . import progress, projections
from .annual_model import ItemYear, PeriodReport, YearEndDecision, YearReview
from .history import Decision


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
