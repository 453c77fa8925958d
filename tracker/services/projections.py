"""Keeping the read model (models/projection.py) equal to the history.

* ``refresh_items`` recomputes the ``item_period`` rows of the given items from their
  history (services/history.py) and moves the roll-ups by the difference. Every operation
  that writes history calls it before the request commits, so the read model changes in
  the same transaction as the record.
* ``ensure_periods`` adds the rows of a period the calendar has entered since the last
  write (the state carries over; nothing is reported yet), once, whichever worker first
  notices; a different period setting rebuilds everything.
* ``rebuild`` recomputes everything from the history; ``check`` recomputes and lists
  every difference (the tests and ``flask projections check`` use it).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import (
    Date,
    Select,
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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import dates
from ..extensions import db
from ..models import (
    COUNTERS,
    ActionItem,
    ItemPeriod,
    ProjectionState,
    Recommendation,
    Report,
    Review,
    RollupCityDepartment,
    RollupDepartment,
    RollupRecommendation,
    Status,
    StatusUpdate,
    TrackingDecision,
    UpdateWithdrawal,
)
from ..models.enums import PeriodReview, ReviewDecision, Timeliness, TrackingChoice, WithdrawalKind
from ..periods import Calendar
from .history import (
    EVERYTHING,
    DecisionRec,
    ItemFacts,
    ItemHistory,
    PeriodRow,
    ReviewRec,
    UpdateRec,
    WithdrawalRec,
    period_report,
    period_rows,
    state_on,
)

log = logging.getLogger(__name__)

STATE_KEY = "periods"
# Items loaded per batch when rebuilding (bounds memory at city scale).
BATCH = 2000
ITEM_COLUMNS = [c.name for c in ItemPeriod.__table__.columns]
STATUS_COUNTER = {s: f"n_{s.value}" for s in Status}


def calendar() -> Calendar:
    return Calendar.from_config()


def due_soon_days() -> int:
    if has_app_context():
        return int(current_app.config.get("DUE_SOON_DAYS", 30))
    return 30


def setting_key(cal: Calendar) -> str:
    """The settings the stored rows were computed with: changing any of them rebuilds the rows."""
    return ",".join(f"{m:02d}-{d:02d}" for m, d in cal.ends) + f"|{cal.deadline_days}|{due_soon_days()}"


# --- loading histories ---------------------------------------------------------------------------------


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


# --- rows and their roll-up terms -------------------------------------------------------------------


def compute_rows(h: ItemHistory, cal: Calendar, through: date) -> list[dict]:
    """The item_period rows of one item (as column dicts)."""
    return [r.values(h.facts) for r in period_rows(h, cal, through, due_soon_days=due_soon_days())]


def _contributions(row: dict) -> tuple[tuple, tuple, dict[str, Any]]:
    """(recommendation key, department key, counter terms) of one item_period row."""
    status = Status(row["status"])
    must = bool(row["must_report"])
    review = row["review"]
    review = PeriodReview(review) if review is not None else None
    timeliness = row["timeliness"]
    timeliness = Timeliness(timeliness) if timeliness is not None else None
    terms: dict[str, Any] = {c: 0 for c in COUNTERS}
    terms["n_items"] = 1
    terms[STATUS_COUNTER[status]] = 1
    terms["n_pending"] = int(row["pending_update_id"] is not None)
    terms["n_released"] = int(bool(row["released"]))
    terms["n_must_report"] = int(must)
    terms["n_reported"] = int(must and review is not None)
    terms["n_on_time"] = int(must and timeliness is Timeliness.ON_TIME)
    terms["n_late"] = int(must and timeliness is Timeliness.LATE)
    terms["n_approved"] = int(must and review is PeriodReview.APPROVED)
    terms["n_returned"] = int(must and review is PeriodReview.RETURNED)
    terms["n_overdue"] = int(bool(row["overdue"]))
    terms["n_due_soon"] = int(bool(row["due_soon"]))
    terms["n_stale"] = int(bool(row["stale"]))
    applicable = status is not Status.NOT_FEASIBLE
    weight = Decimal(row["weight"])
    terms["weighted_progress"] = weight * row["progress"] if applicable else Decimal(0)
    terms["weight_total"] = weight if applicable else Decimal(0)
    rec_key = (row["period_end"], row["recommendation_id"], row["report_id"])
    dept_key = (row["period_end"], row["report_id"], row["lead_department_id"])
    return rec_key, dept_key, terms


ROLLUP_TABLES = {
    "rollup_recommendation": RollupRecommendation.__table__,
    "rollup_department": RollupDepartment.__table__,
    "rollup_city_department": RollupCityDepartment.__table__,
}


@lru_cache(maxsize=8)
def _upsert_statement(dialect: str, table_name: str) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET counter = counter + excluded.counter, built
    once per dialect and table (building it costs more than running it) and executed with
    one parameter set per key."""
    table = ROLLUP_TABLES[table_name]
    terms = REC_TERMS if table_name == "rollup_recommendation" else DEPT_TERMS
    pk = [c.name for c in table.primary_key.columns]
    extra = ["report_id"] if table_name == "rollup_recommendation" else []
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        {name: bindparam(name) for name in [*pk, *extra, *terms]}
    )
    return ins.on_conflict_do_update(
        index_elements=pk, set_={name: getattr(table.c, name) + getattr(ins.excluded, name) for name in terms}
    )


@lru_cache(maxsize=4)
def _prune_statement(table_name: str) -> Any:
    table = ROLLUP_TABLES[table_name]
    return delete(table).where(*[c == bindparam(c.name) for c in table.primary_key.columns], table.c.n_items == 0)


REC_TERMS = ("weighted_progress", "weight_total") + COUNTERS
DEPT_TERMS = COUNTERS


def _apply_deltas(session: Session, old_rows: Iterable[dict], new_rows: Iterable[dict]) -> None:
    rec: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    dept: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    city: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for sign, rows in ((-1, old_rows), (1, new_rows)):
        for row in rows:
            rkey, dkey, terms = _contributions(row)
            ckey = (dkey[0], dkey[2])
            for name in REC_TERMS:
                rec[rkey][name] += sign * terms[name]
            for name in DEPT_TERMS:
                dept[dkey][name] += sign * terms[name]
                city[ckey][name] += sign * terms[name]
    dialect = session.get_bind().dialect.name
    # A fixed order of row locks: concurrent writers never wait on each other in a cycle.
    rec_params = [
        {"period_end": k[0], "recommendation_id": k[1], "report_id": k[2], **{name: rec[k][name] for name in REC_TERMS}}
        for k in sorted(rec)
        if any(rec[k].values())
    ]
    dept_params = [
        {"period_end": k[0], "report_id": k[1], "department_id": k[2], **{name: dept[k][name] for name in DEPT_TERMS}}
        for k in sorted(dept)
        if any(dept[k].values())
    ]
    if rec_params:
        session.execute(_upsert_statement(dialect, "rollup_recommendation"), rec_params)
        session.execute(
            _prune_statement("rollup_recommendation"),
            [{"period_end": p["period_end"], "recommendation_id": p["recommendation_id"]} for p in rec_params],
        )
    if dept_params:
        session.execute(_upsert_statement(dialect, "rollup_department"), dept_params)
        session.execute(
            _prune_statement("rollup_department"),
            [
                {"period_end": p["period_end"], "report_id": p["report_id"], "department_id": p["department_id"]}
                for p in dept_params
            ],
        )
    city_params = [
        {"period_end": k[0], "department_id": k[1], **{name: city[k][name] for name in DEPT_TERMS}}
        for k in sorted(city)
        if any(city[k].values())
    ]
    if city_params:
        session.execute(_upsert_statement(dialect, "rollup_city_department"), city_params)
        session.execute(
            _prune_statement("rollup_city_department"),
            [{"period_end": p["period_end"], "department_id": p["department_id"]} for p in city_params],
        )


def _normalise(row: dict) -> dict:
    """Stored values compare equal to freshly computed ones (enums, decimals, booleans)."""
    out = dict(row)
    for key in ("status", "decision", "review", "timeliness", "pending_status"):
        value = out.get(key)
        if value is not None and hasattr(value, "value"):
            out[key] = value.value
    for key in ("released", "must_report", "overdue", "due_soon", "stale"):
        out[key] = bool(out[key])
    out["weight"] = Decimal(out["weight"]).quantize(Decimal("0.001"))
    return out


def _stored_rows(session: Session, item_ids: Sequence[int]) -> dict[tuple[int, date], dict]:
    t = ItemPeriod.__table__
    return {
        (r["item_id"], r["period_end"]): _normalise(dict(r))
        for r in session.execute(select(t).where(t.c.item_id.in_(item_ids))).mappings()
    }


# --- keeping it current -------------------------------------------------------------------------------


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


def _rows_from(h: ItemHistory, cal: Calendar, through: date, since: date | None) -> list[dict]:
    """The item's item_period rows of the periods ending on or after ``since`` (all: None)."""
    if since is None:
        return compute_rows(h, cal, through)
    # history.period_rows, from the period holding ``since`` on (tests/test_read_model.py
    # checks the two agree).
    soon = due_soon_days()
    first = cal.first_tracked(h.facts.start)
    rows = []
    for period in cal.between(max(cal.containing(h.facts.start), cal.containing(since)), through):
        state = state_on(h, period.end, EVERYTHING, cal, soon)
        must = period >= first and state_on(h, period.start - timedelta(days=1), EVERYTHING, cal).open
        update_id, review, first_on, timeliness = period_report(h, period, EVERYTHING)
        rows.append(PeriodRow(period, state, must, update_id, review, first_on, timeliness).values(h.facts))
    return rows


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
        old = _stored_rows(session, chunk)
        new: dict[tuple[int, date], dict] = {}
        for h in histories.values():
            for row in _rows_from(h, cal, through, since.get(h.facts.item_id)):
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


@lru_cache(maxsize=1)
def _delete_row_statement() -> Any:
    t = ItemPeriod.__table__
    return delete(t).where(t.c.item_id == bindparam("k_item"), t.c.period_end == bindparam("k_period"))


def _db_row(row: dict) -> dict:
    return {k: row[k] for k in ITEM_COLUMNS}


def _state(session: Session) -> ProjectionState | None:
    return session.execute(
        select(ProjectionState).where(ProjectionState.key == STATE_KEY).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def ensure_periods(session: Session, cal: Calendar | None = None, today: date | None = None) -> date:
    """Make every item have a row up to the period holding today; returns the end of the
    last period rows are kept for. Runs in the caller's transaction (writes only when the
    calendar moved on). Rows never go backwards: should the clock do so, the later periods
    stay (they are computed from the history like any other)."""
    cal = cal or calendar()
    today = today or dates.today()
    current = cal.containing(today).end
    setting = setting_key(cal)
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
