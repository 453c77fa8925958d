"""The read model's rows: an item's item_period rows from its history, their roll-up terms,
and moving the roll-up tables by the difference between old and new rows."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import (
    bindparam,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import (
    COUNTERS,
    ItemPeriod,
    ProjectionState,
    RollupCityDepartment,
    RollupDepartment,
    RollupRecommendation,
    Status,
)
from ...models.enums import PeriodReview, Timeliness
from ...periods import Calendar
from ..history import (
    EVERYTHING,
    ItemHistory,
    PeriodRow,
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


def _stored_rows(session: Session, item_ids: Sequence[int], since: date | None = None) -> dict[tuple[int, date], dict]:
    """The stored rows of these items (of the periods ending on or after ``since`` when given)."""
    t = ItemPeriod.__table__
    q = select(t).where(t.c.item_id.in_(item_ids))
    if since is not None:
        q = q.where(t.c.period_end >= since)
    return {(r["item_id"], r["period_end"]): _normalise(dict(r)) for r in session.execute(q).mappings()}


def rows_from(h: ItemHistory, cal: Calendar, through: date, since: date | None) -> list[dict]:
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
