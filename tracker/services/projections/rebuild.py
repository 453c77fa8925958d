"""Recomputing the whole read model from the history (``rebuild``) and comparing the stored
one with it (``check``); the roll-up terms summed in SQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    ItemPeriod,
    ProjectionState,
    RollupCityDepartment,
    RollupDepartment,
    RollupRecommendation,
    Status,
)
from ...models.enums import PeriodReview, Timeliness
from ...periods import Calendar
from .histories import load_histories
from .rows import (
    BATCH,
    STATE_KEY,
    STATUS_COUNTER,
    _db_row,
    _normalise,
    _state,
    _stored_rows,
    calendar,
    compute_rows,
    setting_key,
)

log = logging.getLogger(__name__)


def rollup_select(group: str, where: Any = None) -> Select:
    """The roll-up terms summed from item_period rows in SQL (grouped per recommendation or
    per report and department): used to build roll-ups and to check them."""
    t = ItemPeriod.__table__
    one = literal(1)
    must = t.c.must_report.is_(True)

    def count(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, one), else_=0)), 0)

    applicable = t.c.status != Status.NOT_FEASIBLE.value
    terms = {
        "n_items": func.count(),
        **{STATUS_COUNTER[s]: count(t.c.status == s.value) for s in Status},
        "n_pending": count(t.c.pending_update_id.is_not(None)),
        "n_released": count(t.c.released.is_(True)),
        "n_must_report": count(must),
        "n_reported": count(and_(must, t.c.review.is_not(None))),
        "n_on_time": count(and_(must, t.c.timeliness == Timeliness.ON_TIME.value)),
        "n_late": count(and_(must, t.c.timeliness == Timeliness.LATE.value)),
        "n_approved": count(and_(must, t.c.review == PeriodReview.APPROVED.value)),
        "n_returned": count(and_(must, t.c.review == PeriodReview.RETURNED.value)),
        "n_overdue": count(t.c.overdue.is_(True)),
        "n_due_soon": count(t.c.due_soon.is_(True)),
        "n_stale": count(t.c.stale.is_(True)),
    }
    if group == "recommendation":
        keys = [t.c.period_end, t.c.recommendation_id, t.c.report_id]
        terms = {
            "weighted_progress": func.coalesce(func.sum(case((applicable, t.c.weight * t.c.progress), else_=0)), 0),
            "weight_total": func.coalesce(func.sum(case((applicable, t.c.weight), else_=0)), 0),
            **terms,
        }
    elif group == "city":
        keys = [t.c.period_end, t.c.lead_department_id.label("department_id")]
    else:
        keys = [t.c.period_end, t.c.report_id, t.c.lead_department_id.label("department_id")]
    q = select(*keys, *[v.label(k) for k, v in terms.items()])
    if where is not None:
        q = q.where(where)
    return q.group_by(*[k.element if hasattr(k, "element") else k for k in keys])


def _rollups_from_rows(session: Session, period_end: date | None = None) -> None:
    t = ItemPeriod.__table__
    where = t.c.period_end == period_end if period_end is not None else None
    for table, group in (
        (RollupRecommendation.__table__, "recommendation"),
        (RollupDepartment.__table__, "department"),
        (RollupCityDepartment.__table__, "city"),
    ):
        if period_end is not None:
            session.execute(delete(table).where(table.c.period_end == period_end))
        else:
            session.execute(delete(table))
        q = rollup_select(group, where)
        session.execute(insert(table).from_select([c.name for c in q.selected_columns], q))


def _rebuild(session: Session, cal: Calendar, through: date) -> None:
    log.info("projections: rebuilding item_period through %s", through)
    session.execute(delete(RollupRecommendation.__table__))
    session.execute(delete(RollupDepartment.__table__))
    session.execute(delete(RollupCityDepartment.__table__))
    session.execute(delete(ItemPeriod.__table__))
    ids = list(session.scalars(select(ActionItem.id).order_by(ActionItem.id)))
    t = ItemPeriod.__table__
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = [_db_row(r) for h in load_histories(session, chunk).values() for r in compute_rows(h, cal, through)]
        if rows:
            session.execute(insert(t), rows)
    _rollups_from_rows(session)
    state = _state(session)
    if state is None:
        session.add(ProjectionState(key=STATE_KEY, periods_through=through, period_setting=setting_key(cal)))
    else:
        state.periods_through = through
        state.period_setting = setting_key(cal)
    session.flush()


def rebuild(session: Session | None = None, today: date | None = None) -> date:
    """Recompute the whole read model from the history (flushes; the caller commits)."""
    session = session or db.session
    cal = calendar()
    through = cal.containing(today or dates.today()).end
    _rebuild(session, cal, through)
    return through


@dataclass
class Difference:
    where: str
    stored: Any
    expected: Any

    def __str__(self) -> str:
        return f"{self.where}: stored {self.stored!r}, expected {self.expected!r}"


def check(session: Session | None = None, limit: int = 50) -> list[Difference]:
    """Recompute the read model and list how the stored one differs (empty: they agree)."""
    session = session or db.session
    cal = calendar()
    state = _state(session)
    diffs: list[Difference] = []
    if state is None:
        return [Difference("projection_state", None, "a row")]
    through = state.periods_through
    ids = list(session.scalars(select(ActionItem.id).order_by(ActionItem.id)))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        stored = _stored_rows(session, chunk)
        expected = {
            (r["item_id"], r["period_end"]): _normalise(r)
            for h in load_histories(session, chunk).values()
            for r in compute_rows(h, cal, through)
        }
        for key in sorted(set(stored) | set(expected)):
            if stored.get(key) != expected.get(key):
                diffs.append(Difference(f"item_period{key}", stored.get(key), expected.get(key)))
                if len(diffs) >= limit:
                    return diffs
    for table, group, key_cols in (
        (RollupRecommendation.__table__, "recommendation", ("period_end", "recommendation_id")),
        (RollupDepartment.__table__, "department", ("period_end", "report_id", "department_id")),
        (RollupCityDepartment.__table__, "city", ("period_end", "department_id")),
    ):
        want = {
            tuple(r[k] for k in key_cols): {k: _num(v) for k, v in r.items()}
            for r in session.execute(rollup_select(group)).mappings()
        }
        have = {
            tuple(r[k] for k in key_cols): {k: _num(v) for k, v in r.items()}
            for r in session.execute(select(table)).mappings()
        }
        for key in sorted(set(want) | set(have), key=str):
            if want.get(key) != have.get(key):
                diffs.append(Difference(f"{table.name}{key}", have.get(key), want.get(key)))
                if len(diffs) >= limit:
                    return diffs
    return diffs


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.001"))
    if isinstance(value, float):
        return Decimal(str(value)).quantize(Decimal("0.001"))
    return value
