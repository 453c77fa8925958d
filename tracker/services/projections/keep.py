"""Keeping the read model current: ``touch`` and the commit hook, ``refresh_items``, the
rows of a period the calendar has entered (``ensure_periods``, ``ensure_current``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from flask import has_request_context, request
from sqlalchemy import (
    Date,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    ItemPeriod,
    ProjectionState,
    Recommendation,
    Report,
    Status,
)
from ...models.enums import TrackingChoice
from ...periods import Calendar
from .histories import load_histories
from .rebuild import _rebuild, _rollups_from_rows
from .rows import (
    BATCH,
    STATE_KEY,
    _apply_deltas,
    _db_row,
    _delete_row_statement,
    _normalise,
    _state,
    _stored_rows,
    calendar,
    compute_rows,
    due_soon_days,
    rows_from,
    setting_key,
)

log = logging.getLogger(__name__)


def _lock_items(session: Session, item_ids: Sequence[int]) -> None:
    """Serialise writers of the same item (PostgreSQL row locks; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(ActionItem.id).where(ActionItem.id.in_(item_ids)).order_by(ActionItem.id).with_for_update()
        )


PENDING_KEY = "projection_items"


def touch(item_ids: Iterable[int], session: Session | None = None, *, since: date | None = None) -> None:
    """Note that these items' history changed: their read model is recomputed before the
    transaction commits (or before the next read of the read model, whichever comes first),
    once for every item touched, however many records were written.

    ``since``: the records written can change only the rows of the periods ending on or
    after this day (a report, review or withdrawal changes nothing before the data date of
    the reports it concerns), so only those rows are recomputed. None: every row."""
    session = session or db.session
    pending: dict[int, date | None] = session.info.setdefault(PENDING_KEY, {})
    for i in item_ids:
        key = int(i)
        if key in pending:
            known = pending[key]
            pending[key] = None if known is None or since is None else min(known, since)
        else:
            pending[key] = since


def sync(session: Session | None = None) -> None:
    """Recompute the read model of every item touched in this transaction (no-op otherwise)."""
    session = session or db.session
    pending = session.info.get(PENDING_KEY)
    if pending:
        since = dict(pending)
        pending.clear()
        refresh_items(sorted(since), session, since=since)


@event.listens_for(Session, "before_commit")
def _sync_before_commit(session: Session) -> None:
    sync(session)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def refresh_items(
    item_ids: Iterable[int], session: Session | None = None, *, since: dict[int, date | None] | None = None
) -> None:
    """Recompute the read model of these items from their history, in the caller's
    transaction (flushes, never commits). Prefer ``touch``: it batches. ``since`` (item id
    -> day, see ``touch``) limits the rows compared and rewritten."""
    session = session or db.session
    ids = sorted(set(item_ids))
    if not ids:
        return
    since = since or {}
    session.flush()
    cal = calendar()
    through = ensure_periods(session, cal)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        _lock_items(session, chunk)
        histories = load_histories(session, chunk)
        # Only the rows of the periods being recomputed are read (one item: from its day on).
        days = [since.get(i) for i in chunk]
        old = _stored_rows(session, chunk, None if None in days else min(days))
        new: dict[tuple[int, date], dict] = {}
        for h in histories.values():
            for row in rows_from(h, cal, through, since.get(h.facts.item_id)):
                new[(row["item_id"], row["period_end"])] = _normalise(row)
        changed_old = [row for key, row in old.items() if _in_scope(key, since) and new.get(key) != row]
        changed_new = [row for key, row in new.items() if old.get(key) != row]
        if not changed_old and not changed_new:
            continue
        t = ItemPeriod.__table__
        if changed_old:
            session.execute(
                _delete_row_statement(), [{"k_item": r["item_id"], "k_period": r["period_end"]} for r in changed_old]
            )
        if changed_new:
            session.execute(insert(t), [_db_row(r) for r in changed_new])
        _apply_deltas(session, changed_old, changed_new)


def _in_scope(key: tuple[int, date], since: dict[int, date | None]) -> bool:
    day = since.get(key[0])
    return day is None or key[1] >= day


_STATE_COLUMNS = select(ProjectionState.periods_through, ProjectionState.period_setting).where(
    ProjectionState.key == bindparam("key")
)


def ensure_periods(session: Session, cal: Calendar | None = None, today: date | None = None) -> date:
    """Make every item have a row up to the period holding today; returns the end of the
    last period rows are kept for. Runs in the caller's transaction (writes only when the
    calendar moved on). Rows never go backwards: should the clock do so, the later periods
    stay (they are computed from the history like any other)."""
    cal = cal or calendar()
    today = today or dates.today()
    current = cal.containing(today).end
    setting = setting_key(cal)
    # Nearly always nothing to do: one Core read of two columns (no ORM object).
    known = session.execute(_STATE_COLUMNS, {"key": STATE_KEY}).first()
    if known is not None and known.period_setting == setting and known.periods_through is not None:
        if known.periods_through >= current:
            return known.periods_through
    state = _state(session)
    if state is None or state.period_setting != setting or state.periods_through is None:
        _rebuild(session, cal, current)
        return current
    if state.periods_through >= current:
        return state.periods_through
    claimed = session.execute(
        update(ProjectionState)
        .where(ProjectionState.key == STATE_KEY, ProjectionState.periods_through == state.periods_through)
        .values(periods_through=current)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        _roll_over(session, cal, state.periods_through, current)
    return current


def ensure_current(today: date | None = None) -> date:
    """For reads: make sure the current period's rows exist; returns the current period's end.

    One primary-key read when nothing is due. When the calendar has entered a new period the
    rows are added in the request's own session (a second connection would wait on this
    transaction's lock under SQLite); a page (GET) commits them at once, a write commits them
    with its records.
    """
    cal = calendar()
    today = today or dates.today()
    current = cal.containing(today).end
    row = db.session.execute(
        select(ProjectionState.periods_through, ProjectionState.period_setting).where(ProjectionState.key == STATE_KEY)
    ).first()
    if (
        row is not None
        and row.periods_through is not None
        and row.periods_through >= current
        and row.period_setting == setting_key(cal)
    ):
        return current
    ensure_periods(db.session, cal, today)
    if has_request_context() and request.method in ("GET", "HEAD"):
        db.session.commit()
    return current


def _roll_over(session: Session, cal: Calendar, old_through: date, new_through: date) -> None:
    """Carry every item's state into the periods after ``old_through``: same official state,
    decision and pending report; nothing reported for the new period yet."""
    t = ItemPeriod.__table__
    period = cal.next(cal.containing(old_through))
    while period.end <= new_through:
        prev = cal.previous(period)
        last_due = cal.last_due(period.end)
        is_open = and_(
            t.c.status.notin_([Status.COMPLETED.value, Status.NOT_FEASIBLE.value]),
            or_(t.c.decision.is_(None), t.c.decision == TrackingChoice.CONTINUE.value),
        )
        soon = period.end + timedelta(days=due_soon_days())
        columns = {
            # Typed parameters, not CAST: SQLite's CAST(... AS DATE) turns '2018-12-31' into 2018.
            "item_id": t.c.item_id,
            "period_end": literal(period.end, Date()),
            "period_start": literal(period.start, Date()),
            "report_id": t.c.report_id,
            "recommendation_id": t.c.recommendation_id,
            "lead_department_id": t.c.lead_department_id,
            "weight": t.c.weight,
            "due_date": t.c.due_date,
            "status": t.c.status,
            "progress": t.c.progress,
            "official_update_id": t.c.official_update_id,
            "official_effective_date": t.c.official_effective_date,
            "official_approved_on": t.c.official_approved_on,
            "pending_update_id": t.c.pending_update_id,
            "pending_status": t.c.pending_status,
            "pending_progress": t.c.pending_progress,
            "pending_effective_date": t.c.pending_effective_date,
            "returned_update_id": t.c.returned_update_id,
            "decision": t.c.decision,
            "decision_id": t.c.decision_id,
            "released": t.c.released,
            "must_report": case((is_open, True), else_=False),
            "period_update_id": null(),
            "review": null(),
            "first_submitted_on": null(),
            "timeliness": null(),
            "overdue": case((and_(t.c.open_due_date.is_not(None), t.c.open_due_date < period.end), True), else_=False),
            "due_soon": case(
                (
                    and_(t.c.open_due_date.is_not(None), t.c.open_due_date >= period.end, t.c.open_due_date <= soon),
                    True,
                ),
                else_=False,
            ),
            "stale": (
                case(
                    (and_(t.c.open_reported_through.is_not(None), t.c.open_reported_through < last_due.start), True),
                    else_=False,
                )
                if last_due is not None
                else case((literal(True), False), else_=False)
            ),
            "open_due_date": t.c.open_due_date,
            "open_reported_through": t.c.open_reported_through,
        }
        session.execute(
            insert(t).from_select(
                list(columns),
                select(*[v.label(k) if hasattr(v, "label") else v for k, v in columns.items()]).where(
                    t.c.period_end == prev.end
                ),
            )
        )
        _rollups_from_rows(session, period.end)
        # Items whose tracking starts inside the new period get their first rows computed.
        late = (
            select(ActionItem.id)
            .join(Recommendation)
            .join(Report)
            .where(
                func.coalesce(ActionItem.tracking_start, Report.report_date) <= period.end,
                ~ActionItem.id.in_(select(t.c.item_id).where(t.c.period_end == period.end)),
            )
        )
        missing = list(session.scalars(late))
        if missing:
            _recompute(session, cal, missing, period.end)
        period = cal.next(period)


def _recompute(session: Session, cal: Calendar, item_ids: Sequence[int], through: date) -> None:
    histories = load_histories(session, item_ids)
    old = _stored_rows(session, item_ids)
    new = [_normalise(r) for h in histories.values() for r in compute_rows(h, cal, through)]
    t = ItemPeriod.__table__
    session.execute(delete(t).where(t.c.item_id.in_(item_ids)))
    if new:
        session.execute(insert(t), [_db_row(r) for r in new])
    _apply_deltas(session, old.values(), new)
