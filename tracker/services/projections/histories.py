"""Loading item histories for the read model: five statements whatever the number of items."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    literal,
    select,
)
from sqlalchemy.orm import Session

from ... import dates
from ...models import (
    ActionItem,
    Recommendation,
    Report,
    Review,
    Status,
    StatusUpdate,
    TrackingDecision,
    UpdateWithdrawal,
)
from ...models.enums import ReviewDecision, TrackingChoice, WithdrawalKind
from ..history import (
    DecisionRec,
    ItemFacts,
    ItemHistory,
    ReviewRec,
    UpdateRec,
    WithdrawalRec,
)

log = logging.getLogger(__name__)


def _scope_clause(column: Any, scope: Sequence[int] | Select | None) -> Any:
    if scope is None:
        return literal(True)
    return column.in_(scope)


@lru_cache(maxsize=2)
def _history_statements(by_ids: bool) -> tuple[Select, ...]:
    """The five SELECTs of load_histories for a list of item ids (one expanding parameter,
    ``ids``), built once: building them costs more than running them for one item."""
    return _build_history_statements(bindparam("ids", expanding=True) if by_ids else None)


def load_histories(session: Session, scope: Sequence[int] | Select | None = None) -> dict[int, ItemHistory]:
    """The history of every item in ``scope`` (item ids, a SELECT of ids, or None for all):
    five statements whatever the number of items. Recorded times come back as the city's
    calendar days, computed by the database (dates.local_day)."""
    # Core execution on the session's connection: no ORM row machinery for ~20 rows an item.
    conn = session.connection()
    if scope is not None and not isinstance(scope, Select):
        statements = _history_statements(True)
        params: dict[str, Any] = {"ids": [int(i) for i in scope]}
    elif scope is None:
        statements, params = _history_statements(False), {}
    else:
        statements, params = _build_history_statements(scope), {}
    q_facts, q_updates, q_reviews, q_withdrawals, q_decisions = statements
    histories: dict[int, ItemHistory] = {}
    for item_id, tracking_start, report_date, due, weight, rec_id, report_id, dept_id in conn.execute(q_facts, params):
        histories[item_id] = ItemHistory(
            ItemFacts(
                item_id,
                tracking_start or report_date,
                due,
                Decimal(weight if weight is not None else 1),
                rec_id,
                report_id,
                dept_id,
            )
        )
    if not histories:
        return histories
    for row in conn.execute(q_updates, params):
        h = histories.get(row.action_item_id)
        if h is not None:
            h.updates.append(
                UpdateRec(
                    row.id, row.effective_date, row.submitted_on, Status(row.status), row.progress, row.corrects_id
                )
            )
    for row in conn.execute(q_reviews, params):
        h = histories.get(row.action_item_id)
        if h is not None:
            h.reviews[row.update_id] = ReviewRec(
                row.update_id, ReviewDecision(row.decision), row.recorded_on, row.effective_date
            )
    for row in conn.execute(q_withdrawals, params):
        h = histories.get(row.action_item_id)
        if h is not None:
            h.withdrawals[row.update_id] = WithdrawalRec(row.update_id, WithdrawalKind(row.kind), row.recorded_on)
    for row in conn.execute(q_decisions, params):
        h = histories.get(row.action_item_id)
        if h is not None:
            h.decisions.append(
                DecisionRec(
                    row.id,
                    TrackingChoice(row.decision),
                    row.effective_date,
                    row.recorded_on,
                    row.review_year,
                    row.reason,
                )
            )
    return histories


def _build_history_statements(scope: Any) -> tuple[Select, ...]:
    """The five SELECTs of load_histories; ``scope``: an expanding bind parameter, a SELECT of
    item ids, or None (every item)."""
    local_day = dates.local_day
    facts = (
        select(
            ActionItem.id,
            ActionItem.tracking_start,
            Report.report_date,
            ActionItem.due_date,
            ActionItem.weight,
            ActionItem.recommendation_id,
            Recommendation.report_id,
            ActionItem.lead_department_id,
        )
        .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
        .join(Report, Report.id == Recommendation.report_id)
        .where(_scope_clause(ActionItem.id, scope))
    )
    updates = (
        select(
            StatusUpdate.id,
            StatusUpdate.action_item_id,
            StatusUpdate.effective_date,
            local_day(StatusUpdate.submitted_at).label("submitted_on"),
            StatusUpdate.status,
            StatusUpdate.progress,
            StatusUpdate.corrects_id,
        )
        .where(_scope_clause(StatusUpdate.action_item_id, scope))
        .order_by(StatusUpdate.id)
    )
    reviews = (
        select(
            Review.update_id,
            StatusUpdate.action_item_id,
            Review.decision,
            local_day(Review.recorded_at).label("recorded_on"),
            Review.effective_date,
        )
        .join(StatusUpdate, StatusUpdate.id == Review.update_id)
        .where(_scope_clause(StatusUpdate.action_item_id, scope))
    )
    withdrawals = (
        select(
            UpdateWithdrawal.update_id,
            StatusUpdate.action_item_id,
            UpdateWithdrawal.kind,
            local_day(UpdateWithdrawal.recorded_at).label("recorded_on"),
        )
        .join(StatusUpdate, StatusUpdate.id == UpdateWithdrawal.update_id)
        .where(_scope_clause(StatusUpdate.action_item_id, scope))
    )
    decisions = (
        select(
            TrackingDecision.id,
            TrackingDecision.action_item_id,
            TrackingDecision.decision,
            TrackingDecision.effective_date,
            local_day(TrackingDecision.recorded_at).label("recorded_on"),
            TrackingDecision.review_year,
            TrackingDecision.reason,
        )
        .where(_scope_clause(TrackingDecision.action_item_id, scope))
        .order_by(TrackingDecision.id)
    )
    return facts, updates, reviews, withdrawals, decisions
