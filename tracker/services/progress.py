"""As-of state of action items, roll-ups and health flags.

The one query module behind the dashboard, the summary API and the annual export
(STYLE.md rule 4). Everything takes an ``as_of`` date: the state on date D is built
only from records whose effective date is on or before D. An update counts as
official on D when it is effective on or before D *and* its approving review is
effective on or before D.

Every function issues a fixed number of SQL statements whatever the number of
items, so pages built on it do not grow their query count with the data.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Sequence

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import (
    ActionItem, Department, Recommendation, Report, Review, ReviewDecision, Status, StatusUpdate,
    TrackingChoice, TrackingDecision,
)

# Statuses that end the work: no overdue / stale flag once reached.
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.NOT_FEASIBLE})


@dataclass(frozen=True)
class OfficialUpdate:
    id: int
    status: Status
    progress: int
    effective_date: date
    narrative: str
    reason: str
    approved_on: date


@dataclass(frozen=True)
class PendingUpdate:
    id: int
    status: Status
    progress: int
    effective_date: date
    department_id: int


@dataclass(frozen=True)
class Decision:
    id: int
    decision: TrackingChoice
    reason: str
    effective_date: date


@dataclass
class ItemState:
    """The state of one action item on the as-of date."""

    item_id: int
    status: Status
    progress: int
    official: OfficialUpdate | None
    pending: PendingUpdate | None
    decision: Decision | None
    overdue: bool = False
    due_soon: bool = False
    stale: bool = False

    @property
    def applicable(self) -> bool:
        """Not-feasible items count as not applicable in every roll-up."""
        return self.status is not Status.NOT_FEASIBLE

    @property
    def released(self) -> bool:
        return self.decision is not None and self.decision.decision is TrackingChoice.RELEASE

    @property
    def flags(self) -> list[str]:
        return [name for name in ("overdue", "due_soon", "stale") if getattr(self, name)]


@dataclass
class RollUp:
    """Weighted mean of item progress: Σ(weight × progress) / Σ(weight), not-feasible left out."""

    progress: float | None
    weight_total: Decimal
    items_counted: int
    items_excluded: int


@dataclass
class RecommendationSummary:
    recommendation: Recommendation
    rollup: RollUp
    status_counts: Counter
    item_count: int


@dataclass
class Summary:
    """Everything the dashboard, the summary API and the annual export show."""

    as_of: date
    reports: list[Report]
    recommendations: list[RecommendationSummary]
    overall_progress: float | None
    status_counts: Counter
    department_counts: dict[int, Counter]
    departments: dict[int, Department]
    overdue: list[ActionItem]
    due_soon: list[ActionItem]
    stale: list[ActionItem]
    decisions_in_year: list[tuple[ActionItem, Decision]]
    pending_count: int
    items: list[ActionItem]
    states: dict[int, ItemState] = field(default_factory=dict)


def _cfg(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:  # outside an app context (pure unit tests)
        return default


def official_updates_query(as_of: date, item_scope: Select | None = None) -> Select:
    """Latest approved update per item on ``as_of`` (window function, one statement)."""
    rn = func.row_number().over(
        partition_by=StatusUpdate.action_item_id,
        order_by=(StatusUpdate.effective_date.desc(), Review.effective_date.desc(), StatusUpdate.id.desc()),
    ).label("rn")
    inner = (
        select(
            StatusUpdate.id, StatusUpdate.action_item_id, StatusUpdate.status, StatusUpdate.progress,
            StatusUpdate.effective_date, StatusUpdate.narrative, StatusUpdate.reason,
            Review.effective_date.label("approved_on"), rn,
        )
        .join(Review, Review.update_id == StatusUpdate.id)
        .where(
            Review.decision == ReviewDecision.APPROVE,
            StatusUpdate.effective_date <= as_of,
            Review.effective_date <= as_of,
        )
    )
    if item_scope is not None:
        inner = inner.where(StatusUpdate.action_item_id.in_(item_scope))
    sub = inner.subquery()
    return select(sub).where(sub.c.rn == 1)


def _pending_query(as_of: date, item_scope: Select | None) -> Select:
    """Latest update per item that is submitted and not yet reviewed on ``as_of``."""
    rn = func.row_number().over(
        partition_by=StatusUpdate.action_item_id, order_by=StatusUpdate.id.desc()
    ).label("rn")
    inner = (
        select(
            StatusUpdate.id, StatusUpdate.action_item_id, StatusUpdate.status, StatusUpdate.progress,
            StatusUpdate.effective_date, StatusUpdate.department_id, rn,
        )
        .outerjoin(Review, Review.update_id == StatusUpdate.id)
        .where(
            StatusUpdate.effective_date <= as_of,
            or_(Review.id.is_(None), Review.effective_date > as_of),
        )
    )
    if item_scope is not None:
        inner = inner.where(StatusUpdate.action_item_id.in_(item_scope))
    sub = inner.subquery()
    return select(sub).where(sub.c.rn == 1)


def _decisions_query(as_of: date, item_scope: Select | None) -> Select:
    rn = func.row_number().over(
        partition_by=TrackingDecision.action_item_id,
        order_by=(TrackingDecision.effective_date.desc(), TrackingDecision.id.desc()),
    ).label("rn")
    inner = select(
        TrackingDecision.id, TrackingDecision.action_item_id, TrackingDecision.decision,
        TrackingDecision.reason, TrackingDecision.effective_date, rn,
    ).where(TrackingDecision.effective_date <= as_of)
    if item_scope is not None:
        inner = inner.where(TrackingDecision.action_item_id.in_(item_scope))
    sub = inner.subquery()
    return select(sub).where(sub.c.rn == 1)


def item_states(
    items: Sequence[ActionItem], as_of: date, item_scope: Select | None = None,
    session: Session | None = None,
) -> dict[int, ItemState]:
    """State of each item on ``as_of``: three statements whatever the item count.

    ``item_scope`` is a SELECT of item ids limiting the history read; without it the
    ids of ``items`` are used (fine for a few hundred items).
    """
    session = session or db.session
    if item_scope is None:
        ids = [i.id for i in items]
        if not ids:
            return {}
        item_scope = select(ActionItem.id).where(ActionItem.id.in_(ids))
    official = {
        r.action_item_id: OfficialUpdate(
            r.id, Status(r.status), r.progress, r.effective_date, r.narrative, r.reason, r.approved_on
        )
        for r in session.execute(official_updates_query(as_of, item_scope))
    }
    pending = {
        r.action_item_id: PendingUpdate(r.id, Status(r.status), r.progress, r.effective_date, r.department_id)
        for r in session.execute(_pending_query(as_of, item_scope))
    }
    decisions = {
        r.action_item_id: Decision(r.id, TrackingChoice(r.decision), r.reason, r.effective_date)
        for r in session.execute(_decisions_query(as_of, item_scope))
    }
    stale_days = _cfg("STALE_DAYS", 180)
    due_soon_days = _cfg("DUE_SOON_DAYS", 30)
    states: dict[int, ItemState] = {}
    for item in items:
        off = official.get(item.id)
        state = ItemState(
            item_id=item.id,
            status=off.status if off else Status.NOT_STARTED,
            progress=off.progress if off else 0,
            official=off,
            pending=pending.get(item.id),
            decision=decisions.get(item.id),
        )
        apply_health_flags(state, item, as_of, stale_days, due_soon_days)
        states[item.id] = state
    return states


def apply_health_flags(state: ItemState, item: ActionItem, as_of: date, stale_days: int = 180,
                       due_soon_days: int = 30) -> None:
    """Overdue: due date passed, not completed. Due soon: due within ``due_soon_days``.
    Stale: no approved update for more than ``stale_days``. Closed or released items carry no flag."""
    if state.status in CLOSED_STATUSES or state.released:
        return
    if item.due_date is not None:
        if item.due_date < as_of:
            state.overdue = True
        elif item.due_date <= as_of + timedelta(days=due_soon_days):
            state.due_soon = True
    last = state.official.effective_date if state.official else None
    if last is not None:
        state.stale = (as_of - last).days > stale_days
    else:
        # Never updated: stale once the item has existed for a whole cycle.
        started = item.start_date or (item.created_at.date() if item.created_at else as_of)
        state.stale = started <= as_of and (as_of - started).days > stale_days


def rollup(items: Iterable[ActionItem], states: dict[int, ItemState]) -> RollUp:
    """Weighted mean of progress over applicable items (not-feasible items left out)."""
    total_w = Decimal(0)
    total = Decimal(0)
    counted = excluded = 0
    for item in items:
        st = states[item.id]
        if not st.applicable:
            excluded += 1
            continue
        w = Decimal(item.weight if item.weight is not None else 1)
        total_w += w
        total += w * st.progress
        counted += 1
    progress = float(total / total_w) if total_w > 0 else None
    return RollUp(progress, total_w, counted, excluded)


def mean_progress(values: Iterable[float | None]) -> float | None:
    """A report's progress: the plain mean of its recommendations' progress."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def current_period(as_of: date, period_ends: str | None = None) -> tuple[date, date]:
    """The reporting period (start, end) containing ``as_of`` (half-years by default)."""
    spec = period_ends or (current_app.config.get("REPORTING_PERIOD_ENDS", "06-30,12-31")
                           if current_app else "06-30,12-31")
    ends = sorted(tuple(int(x) for x in part.strip().split("-")) for part in spec.split(","))
    prev_end = date(as_of.year - 1, *ends[-1])
    for month, day in ends:
        end = date(as_of.year, month, day)
        if as_of <= end:
            return prev_end + timedelta(days=1), end
        prev_end = end
    return prev_end + timedelta(days=1), date(as_of.year + 1, *ends[0])


def load_items(report_ids: Sequence[int] | None = None, recommendation_id: int | None = None,
               department_id: int | None = None, session: Session | None = None) -> list[ActionItem]:
    """Items with departments eager-loaded (a fixed number of statements)."""
    session = session or db.session
    q = select(ActionItem).options(
        selectinload(ActionItem.supporting_departments), selectinload(ActionItem.lead_department)
    )
    if recommendation_id is not None:
        q = q.where(ActionItem.recommendation_id == recommendation_id)
    elif report_ids is not None:
        q = q.join(Recommendation).where(Recommendation.report_id.in_(report_ids))
    if department_id is not None:
        from ..models import action_item_supporting as sup

        q = q.where(or_(
            ActionItem.lead_department_id == department_id,
            ActionItem.id.in_(select(sup.c.action_item_id).where(sup.c.department_id == department_id)),
        ))
    q = q.order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
    return list(session.scalars(q))


def _scope_for_reports(report_ids: Sequence[int]) -> Select:
    return select(ActionItem.id).join(Recommendation).where(Recommendation.report_id.in_(report_ids))


def build_summary(as_of: date, report_ids: Sequence[int] | None = None, year: int | None = None,
                  session: Session | None = None) -> Summary:
    """The numbers of the dashboard, the summary API and the annual export on ``as_of``.

    ``year`` selects which tracking decisions are listed (default: as_of's year).
    """
    session = session or db.session
    rq = select(Report).order_by(Report.id)
    if report_ids is not None:
        rq = rq.where(Report.id.in_(report_ids))
    reports = list(session.scalars(rq))
    rids = [r.id for r in reports]
    recs = list(session.scalars(
        select(Recommendation).where(Recommendation.report_id.in_(rids))
        .order_by(Recommendation.report_id, Recommendation.position, Recommendation.id)
    )) if rids else []
    items = load_items(rids, session=session) if rids else []
    states = item_states(items, as_of, _scope_for_reports(rids), session=session) if items else {}
    departments = {d.id: d for d in session.scalars(select(Department))}

    by_rec: dict[int, list[ActionItem]] = defaultdict(list)
    for it in items:
        by_rec[it.recommendation_id].append(it)
    rec_summaries = []
    for rec in recs:
        rec_items = by_rec.get(rec.id, [])
        rec_summaries.append(RecommendationSummary(
            recommendation=rec,
            rollup=rollup(rec_items, states),
            status_counts=Counter(states[i.id].status for i in rec_items),
            item_count=len(rec_items),
        ))
    per_report = defaultdict(list)
    for rs in rec_summaries:
        per_report[rs.recommendation.report_id].append(rs.rollup.progress)
    overall = mean_progress(mean_progress(v) for v in per_report.values())

    status_counts: Counter = Counter(states[i.id].status for i in items)
    dept_counts: dict[int, Counter] = defaultdict(Counter)
    for i in items:
        dept_counts[i.lead_department_id][states[i.id].status] += 1

    year = year or as_of.year
    # Decisions recorded in the year (up to as_of) are listed even if superseded later.
    dq = (
        select(TrackingDecision)
        .where(TrackingDecision.effective_date <= as_of,
               TrackingDecision.effective_date >= date(year, 1, 1),
               TrackingDecision.effective_date <= date(year, 12, 31))
        .order_by(TrackingDecision.effective_date, TrackingDecision.id)
    )
    if rids:
        dq = dq.where(TrackingDecision.action_item_id.in_(_scope_for_reports(rids)))
    item_by_id = {i.id: i for i in items}
    decisions_in_year = [
        (item_by_id[d.action_item_id], Decision(d.id, d.decision, d.reason, d.effective_date))
        for d in session.scalars(dq) if d.action_item_id in item_by_id
    ] if rids else []

    return Summary(
        as_of=as_of,
        reports=reports,
        recommendations=rec_summaries,
        overall_progress=overall,
        status_counts=status_counts,
        department_counts=dict(dept_counts),
        departments=departments,
        overdue=[i for i in items if states[i.id].overdue],
        due_soon=[i for i in items if states[i.id].due_soon],
        stale=[i for i in items if states[i.id].stale],
        decisions_in_year=decisions_in_year,
        pending_count=sum(1 for s in states.values() if s.pending is not None),
        items=items,
        states=states,
    )
