"""The review queue (a read): the reports waiting for review, grouped and paged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ...extensions import db
from ...models import (
    ActionItem,
    ItemPeriod,
    Measurement,
    Recommendation,
    Review,
    StatusUpdate,
    UpdateWithdrawal,
)
from .. import NotFound, progress, projections
from ..benchmark import Point, official_measurements
from .common import today


@dataclass
class QueueEntry:
    update: StatusUpdate
    item: ActionItem
    state: progress.ItemState  # the official state today, to compare against
    previous_points: dict[int, Point]  # indicator id -> latest official measurement
    replaced_by: list[int]  # ids of later updates that correct this one


@dataclass
class QueueGroup:
    recommendation: Recommendation
    department_groups: list[tuple[Any, list[QueueEntry]]]


def pending_updates_query():
    """Submitted updates neither reviewed nor withdrawn, oldest first."""
    return (
        select(StatusUpdate)
        .outerjoin(Review, Review.update_id == StatusUpdate.id)
        .outerjoin(UpdateWithdrawal, UpdateWithdrawal.update_id == StatusUpdate.id)
        .where(Review.id.is_(None), UpdateWithdrawal.id.is_(None))
        .order_by(StatusUpdate.submitted_at, StatusUpdate.id)
    )


@dataclass
class QueuePage:
    groups: list[QueueGroup]
    total: int
    page: int
    pages: int

    @property
    def entries(self) -> int:
        return sum(len(e) for g in self.groups for _d, e in g.department_groups)


QUEUE_PAGE = 20


def review_queue(
    as_of: date | None = None,
    report_ids: Sequence[int] | None = None,
    session: Session | None = None,
    *,
    page: int = 1,
    per_page: int = QUEUE_PAGE,
    department_id: int | None = None,
) -> QueuePage:
    """One page of the updates waiting for review, oldest first, grouped by recommendation
    then department, each beside the item's official state today. The waiting updates are
    found through the read model (one row per item), so the cost follows the page, not the
    history. A fixed number of statements."""
    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current()
    ip = ItemPeriod
    conds = [ip.period_end == current, ip.pending_update_id.is_not(None)]
    if report_ids is not None:
        conds.append(ip.report_id.in_(report_ids))
    if department_id is not None:
        conds.append(ip.lead_department_id == department_id)
    total = session.scalar(select(func.count()).select_from(ip).where(*conds)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = {
        r.pending_update_id: r
        for r in session.scalars(
            select(ip).where(*conds).order_by(ip.pending_update_id).limit(per_page).offset((page - 1) * per_page)
        )
    }
    if not rows:
        return QueuePage([], total, page, pages)
    updates = list(
        session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.id.in_(list(rows)))
            .order_by(StatusUpdate.submitted_at, StatusUpdate.id)
            .options(
                selectinload(StatusUpdate.attachments),
                selectinload(StatusUpdate.measurements).selectinload(Measurement.indicator),
                joinedload(StatusUpdate.submitted_by),
                joinedload(StatusUpdate.department),
                selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
                selectinload(StatusUpdate.action_item).selectinload(ActionItem.lead_department),
            )
        )
    )
    today_ = today()
    cal, soon = progress.calendar(), projections.due_soon_days()
    states = {}
    for row in rows.values():
        st = progress.state_from_row(row)
        progress._flags_today(st, row, today_, cal, soon)
        states[row.item_id] = st
    indicator_ids = sorted({m.indicator_id for u in updates for m in u.measurements})
    latest_points = {k: v[-1] for k, v in official_measurements(indicator_ids, today_, session).items() if v}
    ids = [u.id for u in updates]
    replaced: dict[int, list[int]] = defaultdict(list)
    for new_id, old_id in session.execute(
        select(StatusUpdate.id, StatusUpdate.corrects_id).where(StatusUpdate.corrects_id.in_(ids))
    ):
        replaced[old_id].append(new_id)

    by_rec: dict[int, dict[int, list[QueueEntry]]] = defaultdict(lambda: defaultdict(list))
    recs: dict[int, Recommendation] = {}
    depts: dict[int, Any] = {}
    for u in updates:
        item = u.action_item
        recs[item.recommendation_id] = item.recommendation
        depts[u.department_id] = u.department
        by_rec[item.recommendation_id][u.department_id].append(
            QueueEntry(
                update=u,
                item=item,
                state=states[item.id],
                previous_points={
                    m.indicator_id: latest_points[m.indicator_id]
                    for m in u.measurements
                    if m.indicator_id in latest_points
                },
                replaced_by=replaced.get(u.id, []),
            )
        )
    groups = []
    for rec in sorted(recs.values(), key=lambda r: (r.report_id, r.position, r.id)):
        dept_groups = [
            (depts[d], entries) for d, entries in sorted(by_rec[rec.id].items(), key=lambda kv: depts[kv[0]].code)
        ]
        groups.append(QueueGroup(rec, dept_groups))
    return QueuePage(groups, total, page, pages)


def pending_count(session: Session | None = None, department_id: int | None = None) -> int:
    """How many updates wait for a review (read model: one indexed count)."""
    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current()
    conds = [ItemPeriod.period_end == current, ItemPeriod.pending_update_id.is_not(None)]
    if department_id is not None:
        conds.append(ItemPeriod.lead_department_id == department_id)
    return session.scalar(select(func.count()).select_from(ItemPeriod).where(*conds)) or 0


def get_update(update_id: int, session: Session | None = None) -> StatusUpdate:
    """The update with this id. Raises NotFound."""
    upd = (session or db.session).get(StatusUpdate, update_id)
    if upd is None:
        raise NotFound(_("No such update."))
    return upd
