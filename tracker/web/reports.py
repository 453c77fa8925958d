"""Read pages: reports → report overview → recommendation → action item.

Every figure comes from services/progress.py and services/benchmark.py, so these pages
show the same numbers as the dashboard, the API and the exports. Each page issues a
fixed number of SQL statements whatever the number of action items (eager loading, no
lazy loads in loops); tests/test_pages.py holds the recommendation page to that.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..locale import current_locale, format_date
from ..models import (
    ActionItem, AdoptionDecision, Indicator, Recommendation, ReferencePractice, Report,
)
from ..models.enums import STATUS_ORDER
from ..services import benchmark, permissions, progress, updates
from .authz import require

bp = Blueprint("reports", __name__)

TAIPEI = ZoneInfo("Asia/Taipei")


# --------------------------------------------------------------------------- as-of date


def local_today() -> date:
    """Today on Tainan's calendar (the server may run in UTC)."""
    return datetime.now(TAIPEI).date()


@dataclass
class AsOf:
    """The as-of date of a page, parsed from ?as_of=YYYY-MM-DD (default: today)."""

    date: date
    today: date
    raw: str
    error: str | None = None

    @property
    def is_today(self) -> bool:
        return self.date == self.today

    @property
    def param(self) -> str | None:
        """Value to carry in links (None, and so left out, when it is today)."""
        return None if self.is_today or self.error else self.date.isoformat()


def parse_as_of(raw: str | None) -> AsOf:
    """Read the as-of date; a malformed or future date sets ``error`` (the view answers 400)."""
    today = local_today()
    raw = (raw or "").strip()
    if not raw:
        return AsOf(today, today, "")
    try:
        value = date.fromisoformat(raw)
        if len(raw) != 10:
            raise ValueError(raw)
    except ValueError:
        return AsOf(today, today, raw, _(
            "“%(value)s” is not a valid date. Use the form YYYY-MM-DD, for example 2017-12-31.",
            value=raw[:40]))
    if value > today:
        return AsOf(today, today, raw, _(
            "The as-of date cannot be in the future (today is %(today)s).",
            today=format_date(today, current_locale())))
    return AsOf(value, today, raw)


# --------------------------------------------------------------------------- loaders


def _report_or_404(report_id: int) -> Report:
    """The report, or 404."""
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404)
    return report


def _latest_adoptions(rec_ids: list[int], as_of: date) -> dict[int, AdoptionDecision]:
    """Latest adoption decision (採行情形) per recommendation on ``as_of``: one statement."""
    if not rec_ids:
        return {}
    rows = db.session.scalars(
        select(AdoptionDecision)
        .where(AdoptionDecision.recommendation_id.in_(rec_ids), AdoptionDecision.decided_on <= as_of)
        .order_by(AdoptionDecision.recommendation_id, AdoptionDecision.decided_on, AdoptionDecision.id)
    )
    return {d.recommendation_id: d for d in rows}  # later rows win


def _status_rows(counts: Counter) -> list[tuple[Any, int]]:
    return [(status, counts.get(status, 0)) for status in STATUS_ORDER]


# --------------------------------------------------------------------------- pages


@bp.get("/")
@require(permissions.can_read)
def index():
    """Every report as a card with its overall progress today."""
    as_of = local_today()
    summary = progress.build_summary(as_of)
    per_report: dict[int, list] = defaultdict(list)
    items_per_report: Counter = Counter()
    for rs in summary.recommendations:
        per_report[rs.recommendation.report_id].append(rs.rollup.progress)
        items_per_report[rs.recommendation.report_id] += rs.item_count
    cards = [
        {
            "report": r,
            "progress": progress.mean_progress(per_report.get(r.id, [])),
            "rec_count": len(per_report.get(r.id, [])),
            "item_count": items_per_report.get(r.id, 0),
        }
        for r in sorted(summary.reports, key=lambda r: (r.report_date, r.id), reverse=True)
    ]
    return render_template("reports/index.html", cards=cards, as_of=as_of)


@bp.get("/reports/<int:report_id>")
@require(permissions.can_read)
def report(report_id: int):
    """Overview of one report on an as-of date: progress per recommendation, counts by status."""
    rep = _report_or_404(report_id)
    as_of = parse_as_of(request.args.get("as_of"))
    status = 400 if as_of.error else 200  # the page still shows today's state under the message
    summary = progress.build_summary(as_of.date, report_ids=[rep.id])
    adoptions = _latest_adoptions([rs.recommendation.id for rs in summary.recommendations], as_of.date)
    flag_counts = {
        "overdue": len(summary.overdue), "due_soon": len(summary.due_soon), "stale": len(summary.stale),
    }
    dept_rows = sorted(
        ((summary.departments[dept_id], counts) for dept_id, counts in summary.department_counts.items()),
        key=lambda row: row[0].code,
    )
    return render_template(
        "reports/report.html", report=rep, as_of=as_of, summary=summary, adoptions=adoptions,
        status_rows=_status_rows(summary.status_counts), flag_counts=flag_counts, dept_rows=dept_rows,
        statuses=STATUS_ORDER,
    ), status


@bp.get("/recommendations/<int:rec_id>")
@require(permissions.can_read)
def recommendation(rec_id: int):
    """One recommendation: text, adoption, practices and figures, indicators, action items."""
    rec = db.session.scalar(
        select(Recommendation).where(Recommendation.id == rec_id).options(
            joinedload(Recommendation.report).selectinload(Report.recommendations),
            selectinload(Recommendation.practices).selectinload(ReferencePractice.figures),
            selectinload(Recommendation.indicators).joinedload(Indicator.data_department),
        )
    )
    if rec is None:
        abort(404)
    as_of = parse_as_of(request.args.get("as_of"))
    status = 400 if as_of.error else 200
    items = progress.load_items(recommendation_id=rec.id)
    scope = select(ActionItem.id).where(ActionItem.recommendation_id == rec.id)
    states = progress.item_states(items, as_of.date, item_scope=scope) if items else {}
    roll = progress.rollup(items, states)
    indicator_states = benchmark.indicator_states(rec.indicators, as_of.date)
    adoption = _latest_adoptions([rec.id], as_of.date).get(rec.id)
    siblings = rec.report.recommendations
    pos = next((i for i, r in enumerate(siblings) if r.id == rec.id), 0)
    return render_template(
        "reports/recommendation.html", rec=rec, report=rec.report, as_of=as_of, items=items, states=states,
        rollup=roll, indicator_states=indicator_states, adoption=adoption,
        practices_by_id={p.id: p for p in rec.practices},
        status_counts=_status_rows(Counter(states[i.id].status for i in items)),
        prev_rec=siblings[pos - 1] if pos > 0 else None,
        next_rec=siblings[pos + 1] if pos + 1 < len(siblings) else None,
    ), status


@bp.get("/action-items/<int:item_id>")
@require(permissions.can_read)
def action_item(item_id: int):
    """One action item: details, current official state, pending update, decision, history."""
    item = db.session.scalar(
        select(ActionItem).where(ActionItem.id == item_id).options(
            joinedload(ActionItem.recommendation).joinedload(Recommendation.report),
            joinedload(ActionItem.lead_department),
            selectinload(ActionItem.supporting_departments),
            selectinload(ActionItem.practices).selectinload(ReferencePractice.figures),
            selectinload(ActionItem.indicators).joinedload(Indicator.data_department),
        )
    )
    if item is None:
        abort(404)
    as_of = parse_as_of(request.args.get("as_of"))
    status = 400 if as_of.error else 200
    state = progress.item_states([item], as_of.date)[item.id]
    # The same timeline as actions.history (services.updates), cut at the page's as-of date.
    timeline = updates.item_timeline(item, as_of.date)
    updates_by_id = {e.record.id: e.record for e in timeline if e.kind == "update"}
    pending = updates_by_id.get(state.pending.id) if state.pending else None
    official = updates_by_id.get(state.official.id) if state.official else None
    return render_template(
        "reports/action_item.html", item=item, rec=item.recommendation, report=item.recommendation.report,
        as_of=as_of, state=state, pending=pending, official=official,
        indicator_states=benchmark.indicator_states(item.indicators, as_of.date),
        timeline=timeline,
        can_submit=permissions.can_submit_update(current_user, item),
        can_note=permissions.can_add_note(current_user, item),
        can_review=permissions.can_review(current_user),
    ), status
