"""The statements of the read-model summary (dashboard, report page, summary API), built
once per shape and executed with parameters.

Building a SQLAlchemy statement and computing its cache key cost more than running it on
the read model's few hundred roll-up rows (a UNION of three flag lists: about 2 ms to
build, 0.3 ms to run). A statement object built once keeps its cache key, so each shape
(scoped to some reports or not, today's view or a period end, capped or not) is built the
first time it is needed and reused by every request after; the values (period end, dates,
report ids, limits) are bound parameters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, literal, select, true, union_all
from sqlalchemy.orm import aliased

from ..models import (
    ActionItem,
    Department,
    ItemPeriod,
    Recommendation,
    Report,
    RollupCityDepartment,
    RollupDepartment,
    RollupRecommendation,
    Status,
    TrackingChoice,
    TrackingDecision,
)

STATUS_FIELDS = tuple(f"n_{s.value}" for s in Status)
REPORTING_FIELDS = ("must_report", "reported", "on_time", "late", "approved", "returned")
FLAGS = ("overdue", "due_soon", "stale")

rr = RollupRecommendation
ip = ItemPeriod


def _rids(column: Any, scoped: bool) -> tuple:
    """``column IN (:rids)`` when scoped to some reports (an expanding parameter)."""
    return (column.in_(bindparam("rids", expanding=True)),) if scoped else ()


def _sums(table: Any, names: tuple[str, ...]) -> list[Any]:
    return [func.coalesce(func.sum(getattr(table, n)), 0).label(n) for n in names]


@cache
def reports(scoped: bool) -> Select:
    return select(*Report.__table__.columns).where(*_rids(Report.id, scoped)).order_by(Report.id)


@cache
def totals(scoped: bool) -> Select:
    names = (
        "n_items",
        *STATUS_FIELDS,
        "n_pending",
        *[f"n_{n}" for n in REPORTING_FIELDS],
        "n_overdue",
        "n_due_soon",
        "n_stale",
    )
    return select(*_sums(rr, names)).where(rr.period_end == bindparam("pe"), *_rids(rr.report_id, scoped))


@cache
def report_progress(scoped: bool) -> Select:
    """Per report: the plain mean of its recommendations' weighted means, items, pending."""
    rec_progress = case((rr.weight_total > 0, rr.weighted_progress * 1.0 / rr.weight_total), else_=None)
    return (
        select(rr.report_id, func.avg(rec_progress), func.sum(rr.n_items), func.sum(rr.n_pending))
        .where(rr.period_end == bindparam("pe"), *_rids(rr.report_id, scoped))
        .group_by(rr.report_id)
    )


@cache
def recommendation_counts(scoped: bool) -> Select:
    return (
        select(Recommendation.report_id, func.count())
        .where(*_rids(Recommendation.report_id, scoped))
        .group_by(Recommendation.report_id)
    )


@cache
def recommendation_rows() -> Select:
    rec = Recommendation
    return (
        select(
            rec.id,
            rec.report_id,
            rec.code,
            rec.position,
            rec.section,
            rec.title_zh,
            rec.title_en,
            rr.weighted_progress,
            rr.weight_total,
            rr.n_items,
            rr.n_pending,
            *[getattr(rr, f) for f in STATUS_FIELDS],
        )
        .outerjoin(rr, and_(rr.recommendation_id == rec.id, rr.period_end == bindparam("pe")))
        .where(*_rids(rec.report_id, True))
        .order_by(rec.report_id, rec.position, rec.id)
    )


@cache
def department_counts(scoped: bool) -> Select:
    """Items by status per lead department: summed over the reports in scope, or read from
    the city-wide roll-up (one row per department) when every report is."""
    dept_cols = (Department.id, Department.code, Department.name_zh, Department.name_en)
    if not scoped:
        c = RollupCityDepartment
        return (
            select(*dept_cols, *[getattr(c, f) for f in STATUS_FIELDS])
            .join(c, c.department_id == Department.id)
            .where(c.period_end == bindparam("pe"))
        )
    rd = RollupDepartment
    sums = (
        select(rd.department_id, *_sums(rd, STATUS_FIELDS))
        .where(rd.period_end == bindparam("pe"), *_rids(rd.report_id, True))
        .group_by(rd.department_id)
        .subquery()
    )
    return select(*dept_cols, *[getattr(sums.c, f) for f in STATUS_FIELDS]).join(
        sums, sums.c.department_id == Department.id
    )


@cache
def department_reporting(scoped: bool) -> Select:
    """Per lead department: must report, reported, on time, late, approved, pending, returned."""
    names = ("n_must_report", "n_reported", "n_on_time", "n_late", "n_approved", "n_pending", "n_returned")
    dept_cols = (Department.id, Department.code, Department.name_zh, Department.name_en, Department.active)
    if not scoped:
        c = RollupCityDepartment
        return (
            select(*dept_cols, *[getattr(c, n) for n in names])
            .join(c, c.department_id == Department.id)
            .where(c.period_end == bindparam("pe"))
        )
    rd = RollupDepartment
    sums = (
        select(rd.department_id, *_sums(rd, names))
        .where(rd.period_end == bindparam("pe"), *_rids(rd.report_id, True))
        .group_by(rd.department_id)
        .subquery()
    )
    return select(*dept_cols, *[getattr(sums.c, n) for n in names]).join(sums, sums.c.department_id == Department.id)


def _flag_conditions(today_view: bool, has_last_due: bool) -> dict[str, Any]:
    if not today_view:
        return {"overdue": ip.overdue.is_(True), "due_soon": ip.due_soon.is_(True), "stale": ip.stale.is_(True)}
    return {
        "overdue": ip.open_due_date < bindparam("today"),
        "due_soon": and_(ip.open_due_date >= bindparam("today"), ip.open_due_date <= bindparam("soon")),
        "stale": ip.open_reported_through < bindparam("last_due_start") if has_last_due else literal(False),
    }


@cache
def flag_counts(scoped: bool, has_last_due: bool) -> Select:
    """Today's three flag counts, each reading its own index range (one statement)."""
    conditions = _flag_conditions(True, has_last_due)
    return select(
        *[
            select(func.count())
            .select_from(ip)
            .where(ip.period_end == bindparam("pe"), *_rids(ip.report_id, scoped), cond)
            .scalar_subquery()
            .label(flag)
            for flag, cond in conditions.items()
        ]
    )


@cache
def flag_lists(scoped: bool, today_view: bool, has_last_due: bool, limited: bool) -> Select:
    """The first ``:lim`` items of each flag (one statement for the three lists), ordered
    along the flag's own index: longest overdue, soonest due, longest unreported first."""
    parts = []
    for flag, cond in _flag_conditions(today_view, has_last_due).items():
        order = ip.open_reported_through if flag == "stale" else ip.open_due_date
        q = (
            select(
                literal(flag).label("flag"),
                ip.item_id,
                ip.report_id,
                ip.lead_department_id,
                ip.due_date,
                ip.status,
                ip.progress,
                ip.official_effective_date,
                ip.recommendation_id,
                order.label("sort_key"),
            )
            .where(ip.period_end == bindparam("pe"), *_rids(ip.report_id, scoped), cond)
            .order_by(order, ip.item_id)
        )
        if limited:
            q = q.limit(bindparam("lim"))
        parts.append(q.subquery().select())
    union = union_all(*parts).subquery()
    return (
        select(union, ActionItem.code, ActionItem.title_zh, ActionItem.title_en, Recommendation.code.label("rec_code"))
        .join(ActionItem, ActionItem.id == union.c.item_id)
        .join(Recommendation, Recommendation.id == union.c.recommendation_id)
        .order_by(union.c.flag, union.c.sort_key, union.c.item_id)
    )


@cache
def decisions_in_year(scoped: bool, limited: bool) -> Select:
    """Tracking decisions effective between ``:d_from`` and ``:d_upto`` and recorded before
    ``:known_before``; each row carries the year's counts per choice (one aggregate of the
    decisions alone, joined as a single row: a window sum over the joined rows cost a past
    year with thousands of decisions hundreds of milliseconds for a list of twenty)."""

    def conds(td) -> list:  # noqa: ANN001
        out = [
            td.effective_date <= bindparam("d_upto"),
            td.effective_date >= bindparam("d_from"),
            td.recorded_at < bindparam("known_before"),
        ]
        if scoped:
            out.append(
                td.action_item_id.in_(
                    select(ActionItem.id).join(Recommendation).where(*_rids(Recommendation.report_id, True))
                )
            )
        return out

    td = TrackingDecision
    counted = aliased(TrackingDecision)
    totals = (
        select(
            *[
                func.coalesce(func.sum(case((counted.decision == c.value, 1), else_=0)), 0).label(f"total_{c.value}")
                for c in TrackingChoice
            ]
        )
        .where(*conds(counted))
        .subquery("decision_totals")
    )
    q = (
        select(
            td,
            ActionItem.code,
            ActionItem.title_zh,
            ActionItem.title_en,
            Recommendation.code.label("rec_code"),
            *[totals.c[f"total_{c.value}"] for c in TrackingChoice],
        )
        .join(ActionItem, ActionItem.id == td.action_item_id)
        .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
        .join(totals, true())  # one row: the year's counts, computed once
        .where(*conds(td))
        .order_by(td.effective_date, td.id)
    )
    if limited:
        q = q.limit(bindparam("lim"))
    return q
