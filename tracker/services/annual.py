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
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..dates import DataDates
from ..extensions import db
from ..models import (
    ActionItem,
    Recommendation,
)
from . import progress, projections
from .annual_model import ItemYear, PeriodReport, YearEndDecision, YearReview, year_dates
from .annual_rows import _approved_texts, _review_year_from_rows, _year_end_decisions
from .history import ItemHistory, period_report, state_on
from .year_end import YearEndRow, YearEndStatus, year_end_page, year_end_status


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
    texts = _approved_texts(session, scope, year, dd)
    year_end = _year_end_decisions(session, scope, year, dd)
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
