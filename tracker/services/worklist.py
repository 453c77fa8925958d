"""A department's work list ("my department"): the items it leads or supports, filtered,
sorted and one page at a time, with today's state from the read model, and the reports the
commission returned to it.

Everything is read from the current period's item_period rows (one per item), so the page
costs the same for a department with ten items or a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, union
from sqlalchemy.orm import Session, joinedload, selectinload

from ..extensions import db
from ..models import (
    ActionItem,
    ItemPeriod,
    Recommendation,
    Review,
    Status,
    StatusUpdate,
    action_item_supporting,
)
from ..models.enums import STATUS_ORDER, PeriodReview
from . import progress, projections

WORKLIST_FLAGS = ("overdue", "due_soon", "stale", "pending", "returned")
WORKLIST_SORTS = ("due", "code", "progress", "status")
PER_PAGE = 50
DUE_PER_PAGE = 20


@dataclass
class WorkRow:
    item: ActionItem
    role: str  # "lead" or "supporting"
    state: progress.ItemState
    pending: StatusUpdate | None  # the report waiting for review
    returned: StatusUpdate | None  # the report the commission returned, not corrected or withdrawn yet

    @property
    def latest(self) -> StatusUpdate | None:
        return self.pending or self.returned


@dataclass
class WorkList:
    rows: list[WorkRow]
    total: int  # items matching the filters
    page: int
    pages: int
    counts: dict[str, int]  # lead, supporting, pending, returned, overdue (all the department's items)
    returned: list[WorkRow]  # every returned report of the department (not only this page)


def _flag_condition(flag: str, today: date) -> object | None:
    ip = ItemPeriod
    if flag == "overdue":
        return ip.open_due_date < today
    if flag == "due_soon":
        return and_(ip.open_due_date >= today, ip.open_due_date <= today + timedelta(days=projections.due_soon_days()))
    if flag == "stale":
        last_due = progress.calendar().last_due(today)
        return ip.open_reported_through < last_due.start if last_due is not None else literal(False)
    if flag == "pending":
        return ip.pending_update_id.is_not(None)
    if flag == "returned":
        return ip.returned_update_id.is_not(None)
    return None


def department_worklist(
    department_id: int,
    today: date,
    *,
    status: str = "",
    flag: str = "",
    role: str = "",
    q: str = "",
    sort: str = "due",
    page: int = 1,
    per_page: int = PER_PAGE,
    session: Session | None = None,
) -> WorkList:
    """One page of the department's items (unknown filter values are ignored). A fixed
    number of statements."""
    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current(today)
    ip = ItemPeriod
    sup = action_item_supporting
    supported = select(sup.c.action_item_id).where(sup.c.department_id == department_id)
    is_lead = ip.lead_department_id == department_id
    # "Leads or supports" as one id list from two index searches: an OR of the two
    # conditions would scan every row of the period.
    ours = union(
        select(ip.item_id).where(ip.period_end == current, is_lead),
        supported,
    )
    base = [ip.period_end == current, ip.item_id.in_(ours)]
    counts_row = session.execute(
        select(
            func.coalesce(func.sum(case((is_lead, 1), else_=0)), 0).label("lead"),
            func.coalesce(func.sum(case((is_lead, 0), else_=1)), 0).label("supporting"),
            func.coalesce(func.sum(case((and_(is_lead, ip.pending_update_id.is_not(None)), 1), else_=0)), 0).label(
                "pending"
            ),
            func.coalesce(func.sum(case((and_(is_lead, ip.returned_update_id.is_not(None)), 1), else_=0)), 0).label(
                "returned"
            ),
            func.coalesce(func.sum(case((and_(is_lead, ip.open_due_date < today), 1), else_=0)), 0).label("overdue"),
        ).where(*base)
    ).one()
    counts = {k: int(getattr(counts_row, k) or 0) for k in ("lead", "supporting", "pending", "returned", "overdue")}

    conds = list(base)
    if status in {s.value for s in Status}:
        conds.append(ip.status == status)
    cond = _flag_condition(flag, today) if flag in WORKLIST_FLAGS else None
    if cond is not None:
        conds.append(cond)
    if role == "lead":
        conds.append(is_lead)
    elif role == "supporting":
        conds.append(~is_lead)
    needle = (q or "").strip().lower()[:100]
    joined = (
        select(ip, ActionItem)
        .join(ActionItem, ActionItem.id == ip.item_id)
        .join(Recommendation, Recommendation.id == ip.recommendation_id)
    )
    if needle:
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        conds.append(
            or_(
                func.lower(ActionItem.code).like(like),
                func.lower(ActionItem.title_zh).like(like),
                func.lower(ActionItem.title_en).like(like),
                func.lower(Recommendation.code).like(like),
            )
        )
    total = (
        session.scalar(select(func.count()).select_from(joined.where(*conds).with_only_columns(ip.item_id).subquery()))
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    code_order = (Recommendation.report_id, Recommendation.position, ActionItem.position, ActionItem.code)
    status_rank = case({s.value: n for n, s in enumerate(STATUS_ORDER)}, value=ip.status)
    order = {
        "code": code_order,
        "progress": (ip.progress, *code_order),
        "status": (status_rank, *code_order),
    }.get(sort, (ActionItem.due_date.is_(None), ActionItem.due_date, *code_order))
    result = session.execute(
        joined.where(*conds)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(
            joinedload(ActionItem.recommendation),
            joinedload(ActionItem.lead_department),
            selectinload(ActionItem.supporting_departments),
        )
    ).all()
    returned_rows = session.execute(
        joined.where(*base, is_lead, ip.returned_update_id.is_not(None))
        .order_by(*code_order)
        .options(joinedload(ActionItem.recommendation), joinedload(ActionItem.lead_department))
    ).all()
    wanted = (
        {r.pending_update_id for r, _i in [*result, *returned_rows]}
        | {r.returned_update_id for r, _i in [*result, *returned_rows]}
    ) - {None}
    latest = (
        {
            u.id: u
            for u in session.scalars(
                select(StatusUpdate)
                .where(StatusUpdate.id.in_(wanted))
                .options(selectinload(StatusUpdate.review).selectinload(Review.reviewer))
            )
        }
        if wanted
        else {}
    )
    cal, soon = progress.calendar(), projections.due_soon_days()

    def work_row(row: ItemPeriod, item: ActionItem) -> WorkRow:
        st = progress.state_from_row(row)
        progress._flags_today(st, row, today, cal, soon)
        return WorkRow(
            item,
            "lead" if row.lead_department_id == department_id else "supporting",
            st,
            latest.get(row.pending_update_id),
            latest.get(row.returned_update_id),
        )

    return WorkList(
        [work_row(r, i) for r, i in result], total, page, pages, counts, [work_row(r, i) for r, i in returned_rows]
    )


def nav_count(*, pending: bool = False, returned_for: int | None = None, session: Session | None = None) -> int:
    """The navigation's count, one COUNT statement on the current period's read-model rows:
    reports waiting for review (``pending``) or reports returned to a department and not yet
    corrected or withdrawn (``returned_for`` its id). The current period comes from the
    calendar (no statement); before the read model has rolled over to it the count is 0
    until the first page that reads the read model adds its rows."""
    session = session or db.session
    from .. import dates

    current = progress.calendar().containing(dates.today()).end
    ip = ItemPeriod
    conds = [ip.period_end == current]
    if pending:
        conds.append(ip.pending_update_id.is_not(None))
    if returned_for is not None:
        conds += [ip.lead_department_id == returned_for, ip.returned_update_id.is_not(None)]
    return session.scalar(select(func.count()).select_from(ip).where(*conds)) or 0


@dataclass(frozen=True)
class DueItem:
    """The columns of an item the "due this period" list shows (no ORM object per row)."""

    id: int
    code: str
    title_zh: str | None
    title_en: str | None


@dataclass
class DueRow:
    item: DueItem
    review: str | None  # None (not reported yet), "pending", "returned" or "approved"
    update_id: int | None


@dataclass
class DueThisPeriod:
    """The reports a department owes for the period being collected."""

    period: Any
    rows: list[DueRow]  # one page of its lead items that must report on it and are not approved yet
    must_report: int
    reported: int  # with a report (pending, returned or approved)
    approved: int
    open: int = 0  # must report and not approved yet (the rows of every page)
    page: int = 1
    pages: int = 1


def collecting_period(today: date):
    """The period whose reports are being collected: the one that just ended while its
    deadline has not passed, otherwise the current one (as on the reporting-periods page)."""
    cal = progress.calendar()
    current = cal.containing(today)
    previous = cal.previous(current)
    return previous if today <= previous.deadline else current


def due_this_period(
    department_id: int,
    today: date,
    session: Session | None = None,
    *,
    page: int = 1,
    per_page: int = DUE_PER_PAGE,
) -> DueThisPeriod:
    """What the department must report for the period being collected: how many of its lead
    items must report on it and how their reports stand (one aggregate), and one page of the
    items whose report is not approved yet, not reported first (one statement)."""
    session = session or db.session
    period = collecting_period(today)
    ip = ItemPeriod
    where = (ip.period_end == period.end, ip.lead_department_id == department_id, ip.must_report.is_(True))
    totals = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((ip.review.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((ip.review == PeriodReview.APPROVED, 1), else_=0)), 0),
        ).where(*where)
    ).one()
    must_report, reported, approved = (int(v or 0) for v in totals)
    open_total = must_report - approved
    pages = max(1, -(-open_total // per_page))
    page = max(1, min(page, pages))
    rows: list[DueRow] = []
    if open_total:
        result = session.execute(
            select(
                ip.review, ip.period_update_id, ActionItem.id, ActionItem.code, ActionItem.title_zh, ActionItem.title_en
            )
            .join(ActionItem, ActionItem.id == ip.item_id)
            .join(Recommendation, Recommendation.id == ip.recommendation_id)
            .where(*where, or_(ip.review.is_(None), ip.review != PeriodReview.APPROVED))
            .order_by(
                case(
                    (ip.review.is_(None), 0),
                    (ip.review == PeriodReview.RETURNED, 1),
                    else_=2,
                ),
                Recommendation.report_id,
                Recommendation.position,
                ActionItem.position,
                ActionItem.code,
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        rows = [
            DueRow(
                DueItem(r.id, r.code, r.title_zh, r.title_en),
                r.review.value if r.review is not None else None,
                r.period_update_id,
            )
            for r in result
        ]
    return DueThisPeriod(period, rows, must_report, reported, approved, open_total, page, pages)
