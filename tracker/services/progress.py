"""The one read model: item states, roll-ups and health on a data date D with a knowledge
date K, for every page, the API and the exports.

Two ways to the same answer (docs/domain.md; tests check they agree):
* the read model (item_period rows and roll-ups, services/projections.py), when K is today
  (everything known) and D is today or a period end: one row per item through an index,
  a few hundred roll-up rows for a whole city;
* otherwise the rules themselves (services/history.py) folded over the histories in scope,
  loaded with a fixed number of statements.

Every function issues a fixed number of SQL statements whatever the number of items.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import dates as dates_mod
from ..dates import DataDates
from ..extensions import db
from ..models import (
    ActionItem,
    Department,
    ItemPeriod,
    Recommendation,
    Report,
    Status,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    action_item_supporting,
)
from ..periods import Calendar, Period
from . import projections, summary_sql
from .history import (
    CLOSED_STATUSES,
    Decision,
    ItemHistory,
    ItemState,
    OfficialUpdate,
    PendingUpdate,
    RollUp,
    mean_progress,
    state_on,
)

__all__ = [
    "CLOSED_STATUSES",
    "Decision",
    "ItemState",
    "OfficialUpdate",
    "PendingUpdate",
    "RollUp",
    "Summary",
    "RecommendationSummary",
    "build_summary",
    "data_dates",
    "item_states",
    "load_items",
    "mean_progress",
    "rollup",
    "current_period",
]


def data_dates(as_of: date | DataDates | None = None, known_at: date | None = None) -> DataDates:
    """DataDates from a DataDates, or from a data date (and knowledge date, default today)."""
    if isinstance(as_of, DataDates):
        return as_of
    return dates_mod.resolve_data_dates(as_of, known_at)


def calendar() -> Calendar:
    return projections.calendar()


def current_period(day: date | None = None) -> Period:
    """The reporting period holding ``day`` (default today)."""
    return calendar().containing(day or dates_mod.today())


def read_model_period(dd: DataDates) -> Period | None:
    """The period whose item_period rows answer (D, K) exactly, or None when only folding
    the history can (K before today, or D neither today nor a period end)."""
    if not dd.knows_everything:
        return None
    cal = calendar()
    if dd.as_of == dd.today:
        return cal.containing(dd.today)
    return cal.ending_on(dd.as_of)


# --- item states ---------------------------------------------------------------------------------


def _flags_today(state: ItemState, row: ItemPeriod | Any, today: date, cal: Calendar, soon_days: int) -> None:
    """Health on ``today`` from a current-period row (its stored flags are for the period end)."""
    state.overdue = state.due_soon = state.stale = False
    if row.open_due_date is not None:
        state.overdue = row.open_due_date < today
        state.due_soon = today <= row.open_due_date <= today + timedelta(days=soon_days)
    if row.open_reported_through is not None:
        last_due = cal.last_due(today)
        state.stale = last_due is not None and row.open_reported_through < last_due.start


def state_from_row(row: ItemPeriod | Any) -> ItemState:
    official = None
    if row.official_update_id is not None:
        official = OfficialUpdate(
            row.official_update_id,
            Status(row.status),
            row.progress,
            row.official_effective_date,
            row.official_approved_on,
        )
    decision = None
    if row.decision is not None:
        decision = Decision(row.decision_id, TrackingChoice(row.decision), date.min)
    pending = None
    if row.pending_update_id is not None:
        pending = PendingUpdate(
            row.pending_update_id, Status(row.pending_status), row.pending_progress, row.pending_effective_date
        )
    return ItemState(
        item_id=row.item_id,
        status=Status(row.status),
        progress=row.progress,
        official=official,
        pending=pending,
        decision=decision,
        returned_id=row.returned_update_id,
        reported_through=row.open_reported_through,
        overdue=bool(row.overdue),
        due_soon=bool(row.due_soon),
        stale=bool(row.stale),
    )


def _scope_ids(items: Sequence[ActionItem] | None, item_scope: Select | None) -> Sequence[int] | Select:
    if item_scope is not None:
        return item_scope
    return [i.id for i in items or ()]


def item_states(
    items: Sequence[ActionItem] | None,
    as_of: date | DataDates,
    item_scope: Select | None = None,
    session: Session | None = None,
    fold: bool = False,
) -> dict[int, ItemState]:
    """State of each item on (D, K): from the read model when it answers exactly, else by
    folding the histories (``fold=True`` forces that: single-item pages want the details a
    row does not keep, such as the pending report's values). A fixed number of statements.
    Items not yet tracked on D get ``exists=False``."""
    session = session or db.session
    dd = data_dates(as_of)
    scope = _scope_ids(items, item_scope)
    if isinstance(scope, list) and not scope:
        return {}
    period = None if fold else read_model_period(dd)
    if period is not None:
        projections.sync(session)
        projections.ensure_current(dd.today)
        rows = session.scalars(
            select(ItemPeriod).where(ItemPeriod.period_end == period.end, ItemPeriod.item_id.in_(scope))
        ).all()
        cal, soon = calendar(), projections.due_soon_days()
        states = {}
        for row in rows:
            st = state_from_row(row)
            if dd.as_of == dd.today:
                _flags_today(st, row, dd.today, cal, soon)
            states[row.item_id] = st
        ids = [i.id for i in items] if items is not None else list(states)
        for item_id in ids:  # no row: the item is not tracked yet on D
            if item_id not in states:
                states[item_id] = ItemState(item_id, Status.NOT_STARTED, 0, None, None, None, exists=False)
        return states
    histories = projections.load_histories(session, scope)
    return fold_states(histories, dd)


def state_from_records(
    item: ActionItem, report_date: date, updates: Sequence[Any], decisions: Sequence[Any], dd: DataDates
) -> ItemState:
    """The state on (D, K) folded from an item's records already loaded as objects (its
    page shows them anyway): no statement of its own."""
    from .history import DecisionRec, ItemFacts, ReviewRec, UpdateRec, WithdrawalRec

    local = dates_mod.local_date
    h = ItemHistory(
        ItemFacts(
            item.id,
            item.tracking_start or report_date,
            item.due_date,
            Decimal(item.weight if item.weight is not None else 1),
            item.recommendation_id,
            0,
            item.lead_department_id,
        )
    )
    for u in sorted(updates, key=lambda u: u.id):
        h.updates.append(UpdateRec(u.id, u.effective_date, local(u.submitted_at), u.status, u.progress, u.corrects_id))
        if u.review is not None:
            h.reviews[u.id] = ReviewRec(u.id, u.review.decision, local(u.review.recorded_at), u.review.effective_date)
        if u.withdrawal is not None:
            h.withdrawals[u.id] = WithdrawalRec(u.id, u.withdrawal.kind, local(u.withdrawal.recorded_at))
    for d in sorted(decisions, key=lambda d: d.id):
        h.decisions.append(
            DecisionRec(
                d.id, TrackingChoice(d.decision), d.effective_date, local(d.recorded_at), d.review_year, d.reason
            )
        )
    return state_on(h, dd.as_of, dd.known_at, calendar(), projections.due_soon_days())


def fold_states(histories: dict[int, ItemHistory], dd: DataDates) -> dict[int, ItemState]:
    cal, soon = calendar(), projections.due_soon_days()
    return {item_id: state_on(h, dd.as_of, dd.known_at, cal, soon) for item_id, h in histories.items()}


def rollup(items: Iterable[ActionItem], states: dict[int, ItemState]) -> RollUp:
    """Weighted mean of progress over applicable items (not-feasible items left out)."""
    from .history import rollup as _rollup

    return _rollup((item.weight, states[item.id]) for item in items if states[item.id].exists)


def load_items(
    report_ids: Sequence[int] | None = None,
    recommendation_id: int | None = None,
    department_id: int | None = None,
    session: Session | None = None,
) -> list[ActionItem]:
    """Items with departments eager-loaded (a fixed number of statements)."""
    session = session or db.session
    q = select(ActionItem).options(
        selectinload(ActionItem.supporting_departments), joinedload(ActionItem.lead_department)
    )
    if recommendation_id is not None:
        q = q.where(ActionItem.recommendation_id == recommendation_id)
    elif report_ids is not None:
        q = q.join(Recommendation).where(Recommendation.report_id.in_(report_ids))
    if department_id is not None:
        sup = action_item_supporting
        q = q.where(
            or_(
                ActionItem.lead_department_id == department_id,
                ActionItem.id.in_(select(sup.c.action_item_id).where(sup.c.department_id == department_id)),
            )
        )
    q = q.order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
    return list(session.scalars(q))


def scope_for_reports(report_ids: Sequence[int] | None) -> Select:
    q = select(ActionItem.id).join(Recommendation)
    if report_ids is not None:
        q = q.where(Recommendation.report_id.in_(report_ids))
    return q


# --- the summary -----------------------------------------------------------------------------------


@dataclass
class RecommendationSummary:
    recommendation: Recommendation
    rollup: RollUp
    status_counts: Counter
    item_count: int
    pending: int = 0


@dataclass
class FlaggedItem:
    """An item carrying a health flag, with what the lists show."""

    flag: str
    item_id: int
    code: str
    title_zh: str
    title_en: str
    recommendation_code: str
    report_id: int
    lead_department_id: int
    due_date: date | None
    status: Status
    progress: int
    last_effective: date | None


@dataclass(frozen=True)
class DecisionRow:
    """A tracking decision with what lists show of its item."""

    id: int
    item_id: int
    item_code: str
    recommendation_code: str
    title_zh: str
    title_en: str
    decision: TrackingChoice
    effective_date: date
    reason: str
    review_year: int | None


@dataclass
class Reporting:
    """How the items of the period holding D stand on reporting (counts)."""

    period: Period
    must_report: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    approved: int = 0
    returned: int = 0

    @property
    def not_reported(self) -> int:
        return self.must_report - self.reported


@dataclass
class ReportStats:
    recommendations: int = 0
    items: int = 0
    pending: int = 0


@dataclass
class Summary:
    """Everything the dashboard, the summary API and the annual export show."""

    dates: DataDates
    reports: list[Report]
    recommendations: list[RecommendationSummary]
    overall_progress: float | None
    report_progress: dict[int, float | None]
    status_counts: Counter
    department_counts: dict[int, Counter]
    departments: dict[int, Department]
    flag_counts: dict[str, int]
    flagged: dict[str, list[FlaggedItem]]
    decisions_in_year: list[DecisionRow]
    decision_counts: Counter
    pending_count: int
    reporting: Reporting
    item_count: int
    source: str  # "read model" or "history": how the numbers were computed
    report_stats: dict[int, ReportStats] = field(default_factory=dict)
    items: list[ActionItem] = field(default_factory=list)  # only with with_items=True
    states: dict[int, ItemState] = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        return self.dates.as_of


FLAGS = ("overdue", "due_soon", "stale")


def _reports(session: Session, report_ids: Sequence[int] | None) -> list[Report]:
    q = select(Report).order_by(Report.id)
    if report_ids is not None:
        q = q.where(Report.id.in_(report_ids))
    return list(session.scalars(q))


def _recommendations(session: Session, rids: list[int]) -> list[Recommendation]:
    if not rids:
        return []
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.report_id.in_(rids))
            .order_by(Recommendation.report_id, Recommendation.position, Recommendation.id)
        )
    )


def _overall(recs: list[RecommendationSummary]) -> tuple[float | None, dict[int, float | None]]:
    per_report: dict[int, list[float | None]] = defaultdict(list)
    for rs in recs:
        per_report[rs.recommendation.report_id].append(rs.rollup.progress)
    report_progress = {rid: mean_progress(v) for rid, v in per_report.items()}
    return mean_progress(report_progress.values()), report_progress


def _decisions_in_year(
    session: Session, dd: DataDates, year: int, rids: list[int] | None, limit: int | None
) -> tuple[list[DecisionRow], Counter]:
    """Tracking decisions effective in ``year`` up to D and known by K (listed even when a
    later one replaced them), and their counts per choice (``rids`` None: every report).
    One statement: each row carries the whole year's counts (window sums), so a capped
    list still comes with complete counts."""
    params: dict[str, Any] = {
        "d_upto": min(dd.as_of, date(year, 12, 31)),
        "d_from": date(year, 1, 1),
        "known_before": dd.known_before(),
    }
    if rids is not None:
        params["rids"] = list(rids)
    if limit is not None:
        params["lim"] = max(limit, 1)
    rows = session.execute(summary_sql.decisions_in_year(rids is not None, limit is not None), params).all()
    counts: Counter = Counter()
    if rows:
        counts.update(
            {
                c: int(getattr(rows[0], f"total_{c.value}") or 0)
                for c in TrackingChoice
                if getattr(rows[0], f"total_{c.value}")
            }
        )
    if limit == 0:
        rows = []
    return [
        DecisionRow(
            r[0].id,
            r[0].action_item_id,
            r.code,
            r.rec_code,
            r.title_zh,
            r.title_en,
            TrackingChoice(r[0].decision),
            r[0].effective_date,
            r[0].reason,
            r[0].review_year,
        )
        for r in rows
    ], counts


def build_summary(
    as_of: date | DataDates,
    report_ids: Sequence[int] | None = None,
    year: int | None = None,
    session: Session | None = None,
    flag_limit: int | None = None,
    decision_limit: int | None = None,
    with_items: bool = False,
    with_recommendations: bool | None = None,
) -> Summary:
    """The numbers of the dashboard, the summary API and the annual export on (D, K).

    ``year`` selects which tracking decisions are listed (default: D's year);
    ``flag_limit`` / ``decision_limit`` cap the lists (counts stay whole); ``with_items``
    also returns every item and its state (the exports need them); ``with_recommendations``
    (default: when the summary covers one report) lists every recommendation's roll-up."""
    session = session or db.session
    dd = data_dates(as_of)
    period = read_model_period(dd)
    if period is not None:
        summary = _summary_from_read_model(
            session,
            dd,
            period,
            report_ids,
            year,
            flag_limit,
            decision_limit,
            True if with_items else with_recommendations,
        )
        if with_items:  # the exports: every item present on D with its state, from the same rows
            rids = [r.id for r in summary.reports]
            # Documents follow relationships (recommendation → report): ORM objects, not rows.
            summary.reports = _reports(session, rids) if rids else []
            recs = {r.id: r for r in _recommendations(session, rids)}
            for rs in summary.recommendations:
                rs.recommendation = recs[rs.recommendation.id]
            items = load_items(rids, session=session) if rids else []
            states = item_states(items, dd, session=session)
            summary.items = [i for i in items if states[i.id].exists]
            summary.states = {i.id: states[i.id] for i in summary.items}
        return summary
    if dd.knows_everything and not with_items:
        return _summary_from_patched_rows(session, dd, report_ids, year, flag_limit, decision_limit)
    return _summary_from_history(session, dd, report_ids, year, flag_limit, decision_limit)


def _counter(row: Any, name: str) -> int:
    return int(getattr(row, name) or 0)


# (status, the roll-up column counting it), computed once: a summary builds a Counter per
# recommendation and department row (thousands per request for the whole city).
_STATUS_COLUMNS = tuple((s, f"n_{s.value}") for s in Status)


def _status_counter(row: Any) -> Counter:
    """The non-zero status counts of a roll-up row."""
    counts: Counter = Counter()
    for s, column in _STATUS_COLUMNS:
        n = getattr(row, column)
        if n:
            counts[s] = int(n)
    return counts


@dataclass(frozen=True)
class DepartmentRef:
    """A department as lists show it (a plain row, not an ORM object)."""

    id: int
    code: str
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


STATUS_FIELDS = summary_sql.STATUS_FIELDS
REPORTING_FIELDS = summary_sql.REPORTING_FIELDS


def _summary_from_read_model(
    session: Session,
    dd: DataDates,
    period: Period,
    report_ids: Sequence[int] | None,
    year: int | None,
    flag_limit: int | None,
    decision_limit: int | None,
    with_recommendations: bool | None,
) -> Summary:
    """Sums of the roll-up rows in SQL: the cost follows the number of reports and
    recommendations shown, not the number of items (statements: services/summary_sql.py)."""
    projections.sync(session)
    projections.ensure_current(dd.today)
    # Unfiltered, the whole table is in scope: no IN list for the planner to work through.
    scoped = report_ids is not None
    params: dict[str, Any] = {"pe": period.end}
    if scoped:
        params["rids"] = list(report_ids)
    reports = list(session.execute(summary_sql.reports(scoped), params))
    rids = [r.id for r in reports]
    if scoped:
        params["rids"] = rids
    totals = session.execute(summary_sql.totals(scoped), params).one()
    status_counts = _status_counter(totals)
    reporting = Reporting(period, *[_counter(totals, f"n_{n}") for n in REPORTING_FIELDS])
    report_progress: dict[int, float | None] = {}
    report_stats: dict[int, ReportStats] = {}
    for rid, p, n_items, n_pending in session.execute(summary_sql.report_progress(scoped), params):
        report_progress[rid] = float(p) if p is not None else None
        report_stats[rid] = ReportStats(0, int(n_items or 0), int(n_pending or 0))
    overall = mean_progress(report_progress.values())
    rec_summaries: list[RecommendationSummary] = []
    list_recs = with_recommendations if with_recommendations is not None else len(reports) == 1
    if rids and not list_recs:
        for rid, n in session.execute(summary_sql.recommendation_counts(scoped), params):
            report_stats.setdefault(rid, ReportStats()).recommendations = int(n)
    if list_recs and rids:
        for row in session.execute(summary_sql.recommendation_rows(), {"pe": period.end, "rids": rids}):
            counts = _status_counter(row)
            excluded = counts.get(Status.NOT_FEASIBLE, 0)
            weight_total = Decimal(row.weight_total or 0)
            prog = float(Decimal(row.weighted_progress) / weight_total) if weight_total > 0 else None
            n_items = _counter(row, "n_items")
            rec_summaries.append(
                RecommendationSummary(
                    row,
                    RollUp(prog, weight_total, n_items - excluded, excluded),
                    counts,
                    n_items,
                    _counter(row, "n_pending"),
                )
            )
            report_stats.setdefault(row.report_id, ReportStats()).recommendations += 1
    dept_counts: dict[int, Counter] = {}
    departments: dict[int, DepartmentRef] = {}
    if rids:
        for row in session.execute(summary_sql.department_counts(scoped), params):
            departments[row.id] = DepartmentRef(row.id, row.code, row.name_zh, row.name_en)
            counts = _status_counter(row)
            if counts:
                dept_counts[row.id] = counts
    today_view = dd.as_of == dd.today
    flag_counts, flagged = _flags_from_rows(
        session, dd, period, rids if scoped else None, flag_limit, today_view, totals
    )
    for flist in flagged.values():  # departments of listed items that lead nothing in scope (cannot happen
        for f in flist:  # once rows exist, but names must never be missing)
            departments.setdefault(f.lead_department_id, DepartmentRef(f.lead_department_id, "", "", ""))
    decisions, decision_counts = (
        _decisions_in_year(session, dd, year or dd.as_of.year, rids if scoped else None, decision_limit)
        if rids
        else ([], Counter())
    )
    return Summary(
        dates=dd,
        reports=reports,
        recommendations=rec_summaries,
        overall_progress=overall,
        report_progress=report_progress,
        status_counts=status_counts,
        department_counts=dept_counts,
        departments=departments,
        flag_counts=flag_counts,
        flagged=flagged,
        decisions_in_year=decisions,
        decision_counts=decision_counts,
        pending_count=_counter(totals, "n_pending"),
        reporting=reporting,
        item_count=_counter(totals, "n_items"),
        source="read model",
        report_stats=report_stats,
    )


def _flag_params(dd: DataDates, period: Period, rids: list[int] | None, today_view: bool) -> tuple[dict, bool]:
    params: dict[str, Any] = {"pe": period.end}
    if rids is not None:
        params["rids"] = list(rids)
    has_last_due = True
    if today_view:
        last_due = calendar().last_due(dd.today)
        params["today"] = dd.today
        params["soon"] = dd.today + timedelta(days=projections.due_soon_days())
        has_last_due = last_due is not None
        if has_last_due:
            params["last_due_start"] = last_due.start
    return params, has_last_due


def _flags_from_rows(
    session: Session,
    dd: DataDates,
    period: Period,
    rids: list[int] | None,
    limit: int | None,
    today_view: bool,
    totals: Any,
) -> tuple[dict[str, int], dict[str, list[FlaggedItem]]]:
    """Flag counts and the first ``limit`` flagged items (``rids`` None: every report)."""
    if rids is not None and not rids:
        return {f: 0 for f in FLAGS}, {f: [] for f in FLAGS}
    scoped = rids is not None
    params, has_last_due = _flag_params(dd, period, rids, today_view)
    if today_view:
        row = session.execute(summary_sql.flag_counts(scoped, has_last_due), params).one()
        counts = {flag: int(getattr(row, flag) or 0) for flag in FLAGS}
    else:
        counts = {flag: _counter(totals, f"n_{flag}") for flag in FLAGS}
    flagged: dict[str, list[FlaggedItem]] = {f: [] for f in FLAGS}
    if limit == 0:
        return counts, flagged
    if limit is not None:
        params["lim"] = limit
    for r in session.execute(summary_sql.flag_lists(scoped, today_view, has_last_due, limit is not None), params):
        flagged[r.flag].append(
            FlaggedItem(
                r.flag,
                r.item_id,
                r.code,
                r.title_zh,
                r.title_en,
                r.rec_code,
                r.report_id,
                r.lead_department_id,
                r.due_date,
                Status(r.status),
                r.progress,
                r.official_effective_date,
            )
        )
    return counts, flagged


def _summary_from_history(
    session: Session,
    dd: DataDates,
    report_ids: Sequence[int] | None,
    year: int | None,
    flag_limit: int | None,
    decision_limit: int | None,
) -> Summary:
    reports = _reports(session, report_ids)
    rids = [r.id for r in reports]
    recs = _recommendations(session, rids)
    items = load_items(rids, session=session) if rids else []
    histories = projections.load_histories(session, scope_for_reports(rids)) if items else {}
    states = fold_states(histories, dd)
    present = [i for i in items if i.id in states and states[i.id].exists]
    by_rec: dict[int, list[ActionItem]] = defaultdict(list)
    for it in present:
        by_rec[it.recommendation_id].append(it)
    rec_summaries = []
    for rec in recs:
        rec_items = by_rec.get(rec.id, [])
        rec_summaries.append(
            RecommendationSummary(
                recommendation=rec,
                rollup=rollup(rec_items, states),
                status_counts=Counter(states[i.id].status for i in rec_items),
                item_count=len(rec_items),
                pending=sum(1 for i in rec_items if states[i.id].pending is not None),
            )
        )
    overall, report_progress = _overall(rec_summaries)
    report_stats: dict[int, ReportStats] = {}
    for rs in rec_summaries:
        st = report_stats.setdefault(rs.recommendation.report_id, ReportStats())
        st.recommendations += 1
        st.items += rs.item_count
        st.pending += rs.pending
    status_counts: Counter = Counter(states[i.id].status for i in present)
    dept_counts: dict[int, Counter] = defaultdict(Counter)
    for i in present:
        dept_counts[i.lead_department_id][states[i.id].status] += 1
    rec_code = {r.id: r.code for r in recs}
    flagged: dict[str, list[FlaggedItem]] = {f: [] for f in FLAGS}
    for i in present:
        st = states[i.id]
        for flag in st.flags:
            flagged[flag].append(
                FlaggedItem(
                    flag,
                    i.id,
                    i.code,
                    i.title_zh,
                    i.title_en,
                    rec_code.get(i.recommendation_id, ""),
                    histories[i.id].facts.report_id,
                    i.lead_department_id,
                    i.due_date,
                    st.status,
                    st.progress,
                    st.official.effective_date if st.official else None,
                )
            )
    counts = {f: len(flagged[f]) for f in FLAGS}
    for flag in FLAGS:
        # The read model's order: longest overdue / soonest due first, longest unreported first.
        if flag == "stale":
            flagged[flag].sort(key=lambda f: (states[f.item_id].reported_through or date.min, f.item_id))
        else:
            flagged[flag].sort(key=lambda f: (f.due_date or date.max, f.item_id))
        if flag_limit is not None:
            flagged[flag] = flagged[flag][:flag_limit]
    cal = calendar()
    period = cal.containing(dd.as_of)
    reporting = Reporting(period)
    from .history import period_report

    first_of = {i.id: cal.first_tracked(histories[i.id].facts.start) for i in present}
    for i in present:
        h = histories[i.id]
        if period < first_of[i.id]:
            continue
        before = state_on(h, period.start - timedelta(days=1), dd.known_at, cal)
        if not before.open:
            continue
        reporting.must_report += 1
        _uid, review, _first, timeliness = period_report(h, period, dd.known_at, dd.as_of)
        if review is not None:
            reporting.reported += 1
            reporting.approved += review.value == "approved"
            reporting.returned += review.value == "returned"
        if timeliness is not None:
            reporting.on_time += timeliness.value == "on_time"
            reporting.late += timeliness.value == "late"
    decisions, decision_counts = (
        _decisions_in_year(session, dd, year or dd.as_of.year, rids, decision_limit) if rids else ([], Counter())
    )
    return Summary(
        dates=dd,
        reports=reports,
        recommendations=rec_summaries,
        overall_progress=overall,
        report_progress=report_progress,
        status_counts=status_counts,
        department_counts=dict(dept_counts),
        departments={d.id: d for d in session.scalars(select(Department))},
        flag_counts=counts,
        flagged=flagged,
        decisions_in_year=decisions,
        decision_counts=decision_counts,
        pending_count=sum(1 for i in present if states[i.id].pending is not None),
        reporting=reporting,
        item_count=len(present),
        source="history",
        items=present,
        states={i.id: states[i.id] for i in present},
        report_stats=report_stats,
    )


# --- any data date, everything known: rows of a nearby period, corrected item by item ---------------


def _items_with_records_between(session: Session, after: date, upto: date, rids: list[int] | None) -> set[int]:
    """Items with an update or a tracking decision effective in (after, upto]."""
    if upto <= after:
        return set()
    q_u = select(StatusUpdate.action_item_id).where(
        StatusUpdate.effective_date > after, StatusUpdate.effective_date <= upto
    )
    q_d = select(TrackingDecision.action_item_id).where(
        TrackingDecision.effective_date > after, TrackingDecision.effective_date <= upto
    )
    if rids is not None:
        scope = scope_for_reports(rids)
        q_u = q_u.where(StatusUpdate.action_item_id.in_(scope))
        q_d = q_d.where(TrackingDecision.action_item_id.in_(scope))
    return set(session.scalars(union_all(q_u, q_d)))


def _summary_from_patched_rows(
    session: Session,
    dd: DataDates,
    report_ids: Sequence[int] | None,
    year: int | None,
    flag_limit: int | None,
    decision_limit: int | None,
) -> Summary:
    """The summary on any data date D with everything known: an item with no record effective
    between D and a period end has, on D, the state of that period end's row (health on D is
    worked out from the row); only the items with such records are folded from their history.
    The period end that leaves fewer items to fold is used: the end of D's period (records
    after D) or the end of the period before (records up to D)."""
    from .history import period_report

    projections.sync(session)
    projections.ensure_current(dd.today)
    cal, soon = calendar(), projections.due_soon_days()
    period = cal.containing(dd.as_of)
    previous = cal.previous(period)
    reports = _reports(session, report_ids)
    rids = [r.id for r in reports]
    scoped = report_ids is not None
    after = _items_with_records_between(session, dd.as_of, period.end, rids if scoped else None)
    before = _items_with_records_between(session, previous.end, dd.as_of, rids if scoped else None)
    base, changed = (period, after) if len(after) <= len(before) else (previous, before)
    ip = ItemPeriod
    cols = (
        ip.item_id,
        ip.recommendation_id,
        ip.report_id,
        ip.lead_department_id,
        ip.weight,
        ip.due_date,
        ip.status,
        ip.progress,
        ip.official_update_id,
        ip.official_effective_date,
        ip.official_approved_on,
        ip.pending_update_id,
        ip.pending_status,
        ip.pending_progress,
        ip.pending_effective_date,
        ip.returned_update_id,
        ip.decision,
        ip.decision_id,
        ip.released,
        ip.overdue,
        ip.due_soon,
        ip.stale,
        ip.open_due_date,
        ip.open_reported_through,
        ip.must_report,
        ip.review,
        ip.timeliness,
    )
    q = select(*cols).where(ip.period_end == base.end)
    if scoped:
        q = q.where(ip.report_id.in_(rids))
    rows = {r.item_id: r for r in session.connection().execute(q)}
    # Items whose tracking starts between D and the base period's end: not there yet on D
    # (base after D), or there on D without a row at the base (base before D).
    lo, hi = sorted((dd.as_of, base.end))
    start = func.coalesce(ActionItem.tracking_start, Report.report_date)
    sq = (
        select(ActionItem.id)
        .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
        .join(Report, Report.id == Recommendation.report_id)
        .where(start > lo, start <= hi)
    )
    if scoped:
        sq = sq.where(Report.id.in_(rids))
    starters = set(session.scalars(sq))
    if base.end >= dd.as_of:
        for item_id in starters:
            rows.pop(item_id, None)
        to_fold = changed & set(rows)
    else:
        to_fold = changed | starters
    histories = projections.load_histories(session, sorted(to_fold)) if to_fold else {}
    states: dict[int, ItemState] = {}
    facts: dict[int, Any] = {}
    reported: dict[int, tuple[bool, Any, Any]] = {}  # item -> (must report, review, timeliness)
    for item_id, row in rows.items():
        facts[item_id] = row
        if item_id in histories:
            continue
        st = state_from_row(row)
        _flags_today(st, row, dd.as_of, cal, soon)
        states[item_id] = st
        if base == period:
            reported[item_id] = (bool(row.must_report), row.review, row.timeliness)
        else:  # nothing of D's period reported yet; it must report if it was open at its start
            reported[item_id] = (row.open_reported_through is not None, None, None)
    for item_id, h in histories.items():
        st = state_on(h, dd.as_of, dd.known_at, cal, soon)
        if not st.exists:
            continue
        states[item_id] = st
        facts.setdefault(item_id, h.facts)
        must = (
            period >= cal.first_tracked(h.facts.start)
            and state_on(h, period.start - timedelta(days=1), dd.known_at, cal).open
        )
        _uid, review, _first, timeliness = period_report(h, period, dd.known_at, dd.as_of)
        reported[item_id] = (must, review, timeliness)
    # Aggregate (the same rules as the roll-ups).
    recs = (
        list(
            session.execute(
                select(
                    Recommendation.id,
                    Recommendation.report_id,
                    Recommendation.code,
                    Recommendation.position,
                    Recommendation.section,
                    Recommendation.title_zh,
                    Recommendation.title_en,
                )
                .where(Recommendation.report_id.in_(rids))
                .order_by(Recommendation.report_id, Recommendation.position, Recommendation.id)
            )
        )
        if rids
        else []
    )
    by_rec: dict[int, list[int]] = defaultdict(list)
    for item_id in states:
        f = facts[item_id]
        by_rec[f.recommendation_id].append(item_id)
    from .history import rollup as _rollup

    rec_summaries = []
    for rec in recs:
        ids = by_rec.get(rec.id, [])
        rec_summaries.append(
            RecommendationSummary(
                rec,
                _rollup((facts[i].weight, states[i]) for i in ids),
                Counter(states[i].status for i in ids),
                len(ids),
                sum(1 for i in ids if states[i].pending is not None),
            )
        )
    overall, report_progress = _overall(rec_summaries)
    report_stats: dict[int, ReportStats] = {}
    for rs in rec_summaries:
        st = report_stats.setdefault(rs.recommendation.report_id, ReportStats())
        st.recommendations += 1
        st.items += rs.item_count
        st.pending += rs.pending
    status_counts: Counter = Counter(st.status for st in states.values())
    dept_counts: dict[int, Counter] = defaultdict(Counter)
    for item_id, st in states.items():
        dept_counts[facts[item_id].lead_department_id][st.status] += 1
    departments = {
        d.id: DepartmentRef(d.id, d.code, d.name_zh, d.name_en)
        for d in session.execute(select(Department.id, Department.code, Department.name_zh, Department.name_en))
    }
    flag_ids: dict[str, list[int]] = {f: [] for f in FLAGS}
    for item_id, st in states.items():
        for flag in st.flags:
            flag_ids[flag].append(item_id)
    counts = {f: len(flag_ids[f]) for f in FLAGS}
    for flag in FLAGS:
        if flag == "stale":
            flag_ids[flag].sort(key=lambda i: (states[i].reported_through or date.min, i))
        else:
            flag_ids[flag].sort(key=lambda i: (facts[i].due_date or date.max, i))
        if flag_limit is not None:
            flag_ids[flag] = flag_ids[flag][:flag_limit]
    wanted = sorted({i for ids in flag_ids.values() for i in ids})
    names = (
        {
            r.id: r
            for r in session.execute(
                select(
                    ActionItem.id,
                    ActionItem.code,
                    ActionItem.title_zh,
                    ActionItem.title_en,
                    Recommendation.code.label("rec_code"),
                )
                .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
                .where(ActionItem.id.in_(wanted))
            )
        }
        if wanted
        else {}
    )
    flagged = {
        flag: [
            FlaggedItem(
                flag,
                i,
                names[i].code,
                names[i].title_zh,
                names[i].title_en,
                names[i].rec_code,
                facts[i].report_id,
                facts[i].lead_department_id,
                facts[i].due_date,
                states[i].status,
                states[i].progress,
                states[i].official.effective_date if states[i].official else None,
            )
            for i in ids
            if i in names
        ]
        for flag, ids in flag_ids.items()
    }
    reporting = Reporting(period)
    for must, review, timeliness in reported.values():
        if not must:
            continue
        reporting.must_report += 1
        review_v = getattr(review, "value", review)
        timeliness_v = getattr(timeliness, "value", timeliness)
        if review_v is not None:
            reporting.reported += 1
            reporting.approved += review_v == "approved"
            reporting.returned += review_v == "returned"
        reporting.on_time += timeliness_v == "on_time"
        reporting.late += timeliness_v == "late"
    decisions, decision_counts = (
        _decisions_in_year(session, dd, year or dd.as_of.year, rids if scoped else None, decision_limit)
        if rids
        else ([], Counter())
    )
    return Summary(
        dates=dd,
        reports=reports,
        recommendations=rec_summaries,
        overall_progress=overall,
        report_progress=report_progress,
        status_counts=status_counts,
        department_counts=dict(dept_counts),
        departments=departments,
        flag_counts=counts,
        flagged=flagged,
        decisions_in_year=decisions,
        decision_counts=decision_counts,
        pending_count=sum(1 for st in states.values() if st.pending is not None),
        reporting=reporting,
        item_count=len(states),
        source="read model and history",
        report_stats=report_stats,
    )


# --- reporting periods (the period page, reminders) -------------------------------------------------


@dataclass
class DepartmentReporting:
    department: Department
    must_report: int
    reported: int
    on_time: int
    late: int
    approved: int
    pending: int
    returned: int

    @property
    def not_reported(self) -> int:
        return self.must_report - self.reported


@dataclass(frozen=True)
class PeriodItem:
    """One item's report for one period, as the period page lists it."""

    item_id: int
    code: str
    title_zh: str
    title_en: str
    recommendation_code: str
    report_id: int
    lead_department_id: int
    status: Status
    progress: int
    review: str | None  # approved / pending / returned / None (not reported)
    timeliness: str | None  # on_time / late / None
    first_submitted_on: date | None
    period_update_id: int | None


PERIOD_STATES = ("not_reported", "pending", "returned", "approved", "late")


def periods_for(
    report_ids: Sequence[int] | None = None, session: Session | None = None, today: date | None = None
) -> list[Period]:
    """Every reporting period from the first one an item must report on up to the current
    one, newest first."""
    session = session or db.session
    cal = calendar()
    today = today or dates_mod.today()
    q = (
        select(func.min(func.coalesce(ActionItem.tracking_start, Report.report_date)))
        .select_from(ActionItem)
        .join(Recommendation)
        .join(Report)
    )
    if report_ids is not None:
        q = q.where(Report.id.in_(report_ids))
    first_day = session.scalar(q)
    if first_day is None:
        return [cal.containing(today)]
    first = cal.first_tracked(first_day)
    out = list(cal.between(first, today))
    return list(reversed(out)) or [cal.containing(today)]


def department_reporting(
    period: Period, report_ids: Sequence[int] | None = None, session: Session | None = None
) -> list[DepartmentReporting]:
    """Per lead department: how many items must report on ``period`` and how they stand
    (everything known now). Reads the roll-ups: a row per department (or a few per
    department when scoped to some reports)."""
    session = session or db.session
    projections.sync(session)
    projections.ensure_current()
    scoped = report_ids is not None
    params: dict[str, Any] = {"pe": period.end}
    if scoped:
        if not report_ids:
            return []
        params["rids"] = list(report_ids)
    out = []
    for r in session.execute(summary_sql.department_reporting(scoped), params):
        dept = DepartmentRef(r.id, r.code, r.name_zh, r.name_en)
        counts = [int(v or 0) for v in r[5:]]
        if counts[0]:
            out.append(DepartmentReporting(dept, *counts))
    return sorted(out, key=lambda d: (-d.not_reported, d.department.code))


# The roll-up count that equals period_items' count for a state filter. Not "pending": the
# roll-ups count items with any report waiting for review, the page the period's own report.
_STATE_COUNT = {
    "": "must_report",
    "not_reported": "not_reported",
    "returned": "returned",
    "approved": "approved",
    "late": "late",
}


def period_total(departments: Sequence[DepartmentReporting], department_id: int | None, state: str) -> int | None:
    """How many items ``period_items`` lists for a department (None: all) and a state, from
    the roll-ups ``department_reporting`` read for the same period and reports (no count of
    the period's item rows, which scans every item of the period); None when the roll-ups
    do not hold that number."""
    name = _STATE_COUNT.get(state)
    if name is None:
        return None
    return sum(getattr(d, name) for d in departments if department_id is None or d.department.id == department_id)


def period_items(
    period: Period,
    report_ids: Sequence[int] | None = None,
    department_id: int | None = None,
    state: str = "",
    page: int = 1,
    per_page: int = 50,
    session: Session | None = None,
    total: int | None = None,
) -> tuple[list[PeriodItem], int]:
    """The items that must report on ``period`` (filtered by report, lead department and
    state), one page of them, and how many there are (``total`` when the caller already
    knows it from the roll-ups: see ``period_total``; counted otherwise)."""
    session = session or db.session
    projections.sync(session)
    projections.ensure_current()
    ip = ItemPeriod
    conds = [ip.period_end == period.end, ip.must_report.is_(True)]
    if report_ids is not None:
        conds.append(ip.report_id.in_(report_ids))
    if department_id is not None:
        conds.append(ip.lead_department_id == department_id)
    if state == "not_reported":
        conds.append(ip.review.is_(None))
    elif state in ("pending", "returned", "approved"):
        conds.append(ip.review == state)
    elif state == "late":
        conds.append(ip.timeliness == "late")
    if total is None:
        total = session.scalar(select(func.count()).select_from(ip).where(*conds)) or 0
    q = (
        select(ip, ActionItem.code, ActionItem.title_zh, ActionItem.title_en, Recommendation.code.label("rec_code"))
        .join(ActionItem, ActionItem.id == ip.item_id)
        .join(Recommendation, Recommendation.id == ip.recommendation_id)
        .where(*conds)
        .order_by(
            ip.lead_department_id, Recommendation.report_id, Recommendation.position, ActionItem.position, ip.item_id
        )
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    rows = []
    for row, code, title_zh, title_en, rec_code in session.execute(q):
        rows.append(
            PeriodItem(
                row.item_id,
                code,
                title_zh,
                title_en,
                rec_code,
                row.report_id,
                row.lead_department_id,
                Status(row.status),
                row.progress,
                row.review.value if row.review is not None else None,
                row.timeliness.value if row.timeliness is not None else None,
                row.first_submitted_on,
                row.period_update_id,
            )
        )
    return rows, total
