"""Dashboard (on a data date and a knowledge date) and the benchmark comparison against the
foreign practice.

Every number comes from services/progress.build_summary and services/benchmark, the same
functions behind the summary API and the annual export. The dashboard reads the read
model's roll-ups, so its cost does not grow with the number of items; lists are capped
and paginated.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import charts
from ..exports.charts import indicator_chart, summary_charts
from ..extensions import db
from ..inputs import load_or_404, page_number
from ..locale import current_locale
from ..models import Indicator, Recommendation, ReferencePractice, Report, Status
from ..services import benchmark, labels, permissions, portfolio, progress
from ..services.portfolio import report_filter
from ..services.review import latest_adoptions
from .asof import page_dates
from .authz import require

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

FLAG_PREVIEW = 10
REPORTS_PER_PAGE = 20
DEPARTMENTS_PER_PAGE = 20


def _reports() -> list:
    """Every report (id, code, titles, date) for the chooser: plain rows."""
    return list(
        db.session.execute(
            select(Report.id, Report.code, Report.title_zh, Report.title_en, Report.report_date).order_by(
                Report.report_date.desc(), Report.id
            )
        )
    )


def _chosen(reports: list, raw: str | None):
    """``?report=`` (id or code) among ``reports``: (ids to filter on, the report); 404 if unknown."""
    value = (raw or "").strip()
    if not value:
        return None, None
    for r in reports:
        if value == r.code or (value.isascii() and value.isdigit() and len(value) <= 9 and int(value) == r.id):
            return [r.id], r
    abort(404, description=_("No such report: %(value)s.", value=value[:60]))


@bp.get("/")
@require(permissions.can_view_dashboard)
def index():
    all_reports = _reports()
    report_ids, report = _chosen(all_reports, request.args.get("report"))
    as_of = page_dates()
    include_archived = request.args.get("archived") == "1"
    archived_hidden = 0
    if report_ids is None and not include_archived and as_of.dates.is_current:
        # Archived reports (follow-up finished) leave today's view; past dates keep them.
        report_ids = portfolio.current_report_ids()
        archived_hidden = len(all_reports) - len(report_ids) if report_ids is not None else 0
    summary = progress.build_summary(as_of.dates, report_ids, flag_limit=FLAG_PREVIEW, decision_limit=20)
    adoptions = latest_adoptions([rs.recommendation.id for rs in summary.recommendations], as_of.dates)
    page = page_number(request.args.get("page"))
    report_rows = sorted(summary.reports, key=lambda r: (r.report_date, r.id), reverse=True)
    pages = max(1, -(-len(report_rows) // REPORTS_PER_PAGE))
    page = min(page, pages)
    shown_reports = report_rows[(page - 1) * REPORTS_PER_PAGE : page * REPORTS_PER_PAGE]
    empty = progress.ReportStats()
    per_report = {r.id: summary.report_stats.get(r.id, empty) for r in shown_reports}
    # Lead departments by code, one page at a time (the chart draws the same page).
    dept_ids = sorted(summary.department_counts, key=lambda d: summary.departments[d].code)
    dept_pages = max(1, -(-len(dept_ids) // DEPARTMENTS_PER_PAGE))
    dept_page = min(page_number(request.args.get("dept_page")), dept_pages)
    shown_depts = dept_ids[(dept_page - 1) * DEPARTMENTS_PER_PAGE : dept_page * DEPARTMENTS_PER_PAGE]
    return render_template(
        "dashboard/index.html",
        summary=summary,
        as_of=as_of,
        report=report,
        reports=all_reports,
        charts=summary_charts(summary, current_locale(), shown_reports, narrow=True, department_ids=shown_depts),
        # Words every row repeats, looked up once: (status, its label) in display order.
        status_columns=[(s, labels.status_label(s)) for s in Status],
        shown_depts=[(summary.departments[d], summary.department_counts[d]) for d in shown_depts],
        dept_first=(dept_page - 1) * DEPARTMENTS_PER_PAGE + 1 if shown_depts else 0,
        dept_page=dept_page,
        dept_pages=dept_pages,
        adoptions=adoptions,
        statuses=list(Status),
        table_html=charts.table_html,
        can_review=permissions.can_review(current_user),
        shown_reports=shown_reports,
        per_report=per_report,
        page=page,
        pages=pages,
        single=len(summary.reports) == 1,
        include_archived=include_archived,
        archived_hidden=archived_hidden,
    ), (400 if as_of.error else 200)


@bp.get("/recommendations/<int:rec_id>/benchmark")
@require(permissions.can_view_dashboard)
def benchmark_page(rec_id: int):
    rec = load_or_404(
        Recommendation,
        rec_id,
        selectinload(Recommendation.report),
        selectinload(Recommendation.practices).selectinload(ReferencePractice.figures),
        selectinload(Recommendation.indicators).selectinload(Indicator.data_department),
        selectinload(Recommendation.indicators).selectinload(Indicator.practice),
    )
    as_of = page_dates()
    states = benchmark.indicator_states(rec.indicators, as_of.dates)
    items = progress.load_items(recommendation_id=rec.id)
    item_states = progress.item_states(items, as_of.dates)
    items = [i for i in items if item_states[i.id].exists]
    locale = current_locale()
    return render_template(
        "dashboard/benchmark.html",
        rec=rec,
        as_of=as_of,
        states=[states[i.id] for i in rec.indicators],
        chart_for=lambda st: indicator_chart(st, locale),
        table_html=charts.table_html,
        rollup=progress.rollup(items, item_states),
        items=items,
        item_states=item_states,
        adoption=latest_adoptions([rec.id], as_of.dates).get(rec.id),
    ), (400 if as_of.error else 200)


@bp.get("/items")
@require(permissions.can_view_dashboard)
def flagged():
    """Every item carrying one health flag on the page's dates, paginated."""
    flag = request.args.get("flag") or "overdue"
    if flag not in progress.FLAGS:
        abort(404)
    report_ids, report, error = report_filter(request.args.get("report"))
    if error:
        abort(404, description=error)
    as_of = page_dates()
    page = page_number(request.args.get("page"))
    per_page = 50
    summary = progress.build_summary(as_of.dates, report_ids, flag_limit=page * per_page, decision_limit=0)
    rows = summary.flagged[flag][(page - 1) * per_page : page * per_page]
    total = summary.flag_counts[flag]
    pages = max(1, -(-total // per_page))
    return render_template(
        "dashboard/flagged.html",
        flag=flag,
        rows=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        as_of=as_of,
        report=report,
        summary=summary,
    ), (400 if as_of.error else 200)
