"""The items of a summary as plain rows, for the annual summary documents.

``progress.build_summary(..., with_items=True)`` loads every item as an ORM object with its
departments (19,000 objects at 10,000 items: most of an export's reading time). A document
only reads a few columns of each item, so when the read model answers (D, K) the export
takes the summary without items and adds them here: one statement for the items, one for the
departments, one for the supporting departments, one for the recommendations, and the
states from the same ``item_period`` rows (``progress.item_states``). Same items, same
order, same states: only lighter objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import DataDates
from ..extensions import db
from ..models import (
    ActionItem,
    BudgetSource,
    Department,
    ItemPeriod,
    Recommendation,
    Report,
    Status,
    action_item_supporting,
)
from . import progress


@dataclass(frozen=True, slots=True)
class ItemRow:
    """An action item as the summary documents read it (the columns of ``ActionItem`` they use,
    departments as ``progress.DepartmentRef``, its recommendation as the ORM object)."""

    id: int
    recommendation_id: int
    code: str
    position: int
    title_zh: str
    title_en: str
    source_section: str
    weight: Decimal
    start_date: date | None
    due_date: date | None
    budget_amount: Decimal | None
    budget_source: BudgetSource | None
    departments_confirmed_at: datetime | None
    lead_department_id: int
    lead_department: progress.DepartmentRef
    supporting_departments: tuple[progress.DepartmentRef, ...]
    recommendation: Recommendation


def add_items(summary: progress.Summary, dd: DataDates, session: Session | None = None) -> progress.Summary:
    """``summary`` (read without items, with its recommendations listed) given what
    ``with_items=True`` gives: the reports and recommendations as ORM objects, every item
    present on D (as ``ItemRow``) and its state. Only for (D, K) the read model answers."""
    session = session or db.session
    rids = [r.id for r in summary.reports]
    if not rids:
        summary.reports, summary.items, summary.states = [], [], {}
        return summary
    summary.reports = list(session.scalars(select(Report).where(Report.id.in_(rids)).order_by(Report.id)))
    recs = {
        r.id: r
        for r in session.scalars(
            select(Recommendation)
            .where(Recommendation.report_id.in_(rids))
            .order_by(Recommendation.report_id, Recommendation.position, Recommendation.id)
        )
    }
    for rs in summary.recommendations:
        rs.recommendation = recs[rs.recommendation.id]
    items = item_rows(session, rids, recs)
    states = _states(session, items, dd)
    summary.items = [i for i in items if states[i.id].exists]
    summary.states = {i.id: states[i.id] for i in summary.items}
    return summary


def _states(session: Session, items: list[ItemRow], dd: DataDates) -> dict[int, progress.ItemState]:
    """``progress.item_states`` for a past period end, read as plain rows (no ORM object per
    item): each row through ``progress.state_from_row``; no row, not tracked yet on D. On
    today's date the flags of the day apply: ``progress.item_states`` answers."""
    period = progress.read_model_period(dd)
    if period is None or dd.as_of == dd.today:
        return progress.item_states(items, dd, session=session)
    t = ItemPeriod.__table__
    states = {
        row.item_id: progress.state_from_row(row)
        for row in session.execute(
            select(t).where(t.c.period_end == period.end, t.c.item_id.in_([i.id for i in items]))
        )
    }
    for item in items:
        if item.id not in states:
            states[item.id] = progress.ItemState(item.id, Status.NOT_STARTED, 0, None, None, None, exists=False)
    return states


def item_rows(session: Session, report_ids: list[int], recs: dict[int, Any]) -> list[ItemRow]:
    """The reports' items in the order of ``progress.load_items`` (recommendation, position, id)."""
    depts = {
        d.id: progress.DepartmentRef(d.id, d.code, d.name_zh, d.name_en)
        for d in session.execute(select(Department.id, Department.code, Department.name_zh, Department.name_en))
    }
    in_scope = select(ActionItem.id).join(Recommendation).where(Recommendation.report_id.in_(report_ids))
    sup = action_item_supporting
    supporting: dict[int, list[progress.DepartmentRef]] = defaultdict(list)
    for item_id, dept_id in session.execute(
        select(sup.c.action_item_id, sup.c.department_id)
        .join(Department, Department.id == sup.c.department_id)
        .where(sup.c.action_item_id.in_(in_scope))
        .order_by(sup.c.action_item_id, Department.code)
    ):
        supporting[item_id].append(depts[dept_id])
    a = ActionItem
    rows = session.execute(
        select(
            a.id,
            a.recommendation_id,
            a.code,
            a.position,
            a.title_zh,
            a.title_en,
            a.source_section,
            a.weight,
            a.start_date,
            a.due_date,
            a.budget_amount,
            a.budget_source,
            a.departments_confirmed_at,
            a.lead_department_id,
        )
        .join(Recommendation, Recommendation.id == a.recommendation_id)
        .where(Recommendation.report_id.in_(report_ids))
        .order_by(a.recommendation_id, a.position, a.id)
    )
    return [
        ItemRow(
            *r,
            lead_department=depts[r.lead_department_id],
            supporting_departments=tuple(supporting.get(r.id, ())),
            recommendation=recs[r.recommendation_id],
        )
        for r in rows
    ]
