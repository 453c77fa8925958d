"""Read pages: reports → report overview → recommendation → action item.

Every figure comes from services/progress.py and services/benchmark.py, so these pages
show the same numbers as the dashboard, the API and the exports. Each page issues a
fixed number of SQL statements whatever the number of action items (eager loading, no
lazy loads in loops); tests/test_pages.py holds the recommendation page to that.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import dates
from ..inputs import load_or_404
from ..models import (
    ActionItem,
    AdoptionDecision,
    Indicator,
    Recommendation,
    ReferencePractice,
    Report,
)
from ..models.enums import STATUS_ORDER
from ..services import benchmark, permissions, progress, updates
from ..services.review import latest_adoptions
from .asof import AsOf, page_dates
from .authz import require

parse_as_of = page_dates  # one parser for every page (tracker/web/asof.py)

bp = Blueprint("reports", __name__)


def local_today() -> date:
    """Today on Tainan's calendar (tracker.dates.today)."""
    return dates.today()


# --------------------------------------------------------------------------- loaders


def _latest_adoptions(rec_ids: list[int], as_of: AsOf) -> dict[int, AdoptionDecision]:
    """Adoption decision (採行情形) in force per recommendation on the page's dates."""
    return latest_adoptions(rec_ids, as_of.dates)


def _status_rows(counts: Counter) -> list[tuple[Any, int]]:
    return [(status, counts.get(status, 0)) for status in STATUS_ORDER]


# --------------------------------------------------------------------------- pages


@bp.get("/")
@require(permissions.can_read)
def home():
    """Every role lands on its work (web.authn.landing_url): reviewers on the review queue,
    department editors on their department's page, viewers on the dashboard."""
    from ..locale import current_locale
    from .authn import landing_url

    current_locale()  # ?lang= chosen on the way in is remembered in the session, as on any page
    target = landing_url(current_user)
    lang = request.args.get("lang")
    if lang in ("en", "zh-TW", "zh_TW"):  # a language chosen on the way in is kept
        target += ("&" if "?" in target else "?") + f"lang={lang}"
    return redirect(target)


@bp.get("/reports")
@require(permissions.can_read)
def index():
    """Every report as a card with its overall progress today."""
    as_of = local_today()
    summary = progress.build_summary(as_of, flag_limit=0, decision_limit=0)
    empty = progress.ReportStats()
    cards = [
        {
            "report": r,
            "progress": summary.report_progress.get(r.id),
            "rec_count": summary.report_stats.get(r.id, empty).recommendations,
            "item_count": summary.report_stats.get(r.id, empty).items,
        }
        for r in sorted(summary.reports, key=lambda r: (r.report_date, r.id), reverse=True)
    ]
    return render_template("reports/index.html", cards=cards, as_of=as_of)


@bp.get("/reports/<int:report_id>")
@require(permissions.can_read)
def report(report_id: int):
    """Overview of one report on (D, K): progress per recommendation, counts by status."""
    rep = load_or_404(Report, report_id)
    as_of = parse_as_of()
    status = 400 if as_of.error else 200  # the page still shows today's state under the message
    summary = progress.build_summary(as_of.dates, report_ids=[rep.id], flag_limit=0, decision_limit=0)
    adoptions = _latest_adoptions([rs.recommendation.id for rs in summary.recommendations], as_of)
    dept_rows = sorted(
        ((summary.departments[dept_id], counts) for dept_id, counts in summary.department_counts.items()),
        key=lambda row: row[0].code,
    )
    return render_template(
        "reports/report.html",
        report=rep,
        as_of=as_of,
        summary=summary,
        adoptions=adoptions,
        status_rows=_status_rows(summary.status_counts),
        flag_counts=summary.flag_counts,
        dept_rows=dept_rows,
        statuses=STATUS_ORDER,
        can_review=permissions.can_review(current_user),
    ), status


@bp.get("/recommendations/<int:rec_id>")
@require(permissions.can_read)
def recommendation(rec_id: int):
    """One recommendation: text, adoption, practices and figures, indicators, action items."""
    rec = load_or_404(
        Recommendation,
        rec_id,
        # The report and its recommendations (for previous / next) in the row statement itself.
        joinedload(Recommendation.report).joinedload(Report.recommendations),
        selectinload(Recommendation.practices).joinedload(ReferencePractice.figures),  # one statement
        selectinload(Recommendation.indicators).joinedload(Indicator.data_department),
    )
    as_of = parse_as_of()
    status = 400 if as_of.error else 200
    items = progress.load_items(recommendation_id=rec.id)
    scope = select(ActionItem.id).where(ActionItem.recommendation_id == rec.id)
    states = progress.item_states(items, as_of.dates, item_scope=scope) if items else {}
    items = [i for i in items if states[i.id].exists]
    roll = progress.rollup(items, states)
    indicator_states = benchmark.indicator_states(rec.indicators, as_of.dates)
    adoption = _latest_adoptions([rec.id], as_of).get(rec.id)
    siblings = rec.report.recommendations
    pos = next((i for i, r in enumerate(siblings) if r.id == rec.id), 0)
    return render_template(
        "reports/recommendation.html",
        rec=rec,
        report=rec.report,
        as_of=as_of,
        items=items,
        states=states,
        rollup=roll,
        indicator_states=indicator_states,
        adoption=adoption,
        practices_by_id={p.id: p for p in rec.practices},
        status_counts=_status_rows(Counter(states[i.id].status for i in items)),
        prev_rec=siblings[pos - 1] if pos > 0 else None,
        next_rec=siblings[pos + 1] if pos + 1 < len(siblings) else None,
        can_review=permissions.can_review(current_user),
    ), status


@bp.get("/action-items/<int:item_id>")
@require(permissions.can_read)
def action_item(item_id: int):
    """One action item: details, official state, pending update, decision, history on (D, K)."""
    item = load_or_404(
        ActionItem,
        item_id,
        joinedload(ActionItem.recommendation).joinedload(Recommendation.report),
        joinedload(ActionItem.lead_department),
        joinedload(ActionItem.departments_confirmed_by),
        selectinload(ActionItem.supporting_departments),
        selectinload(ActionItem.practices).selectinload(ReferencePractice.figures),
        selectinload(ActionItem.indicators).joinedload(Indicator.data_department),
    )
    as_of = parse_as_of()
    status = 400 if as_of.error else 200
    # The whole timeline once: the state is folded from it (no statement of its own), then
    # the history shown is cut at the page's dates, as actions.history shows it.
    full = updates.item_timeline(item)
    state = progress.state_from_records(
        item,
        item.recommendation.report.report_date,
        [e.record for e in full if e.kind == "update"],
        [e.record for e in full if e.kind == "decision"],
        as_of.dates,
    )
    timeline = updates.cut_timeline(full, as_of.dates)
    updates_by_id = {e.record.id: e.record for e in timeline if e.kind == "update"}
    pending = updates_by_id.get(state.pending.id) if state.pending else None
    official = updates_by_id.get(state.official.id) if state.official else None
    decisions_by_id = {e.record.id: e.record for e in timeline if e.kind == "decision"}
    decision = decisions_by_id.get(state.decision.id) if state.decision else None
    return render_template(
        "reports/action_item.html",
        item=item,
        rec=item.recommendation,
        report=item.recommendation.report,
        as_of=as_of,
        state=state,
        pending=pending,
        official=official,
        decision=decision,
        indicator_states=benchmark.indicator_states(item.indicators, as_of.dates),
        timeline=timeline,
        can_submit=permissions.can_submit_update(current_user, item),
        can_note=permissions.can_add_note(current_user, item),
        can_review=permissions.can_review(current_user),
    ), status
