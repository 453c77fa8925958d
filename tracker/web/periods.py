"""The reporting period page: who has reported for a period and who has not.

Reviewers see every department; an editor sees the whole city too (read only) and starts
on their own department. Numbers come from the read model's roll-ups
(services/progress.department_reporting), the same ones as the dashboard's period line.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import dates
from ..extensions import db
from ..inputs import page_number
from ..models import Department, Role
from ..services import permissions, portfolio, progress
from ..services.portfolio import report_filter
from .authz import require

bp = Blueprint("periods", __name__, url_prefix="/periods")

PER_PAGE = 50


@bp.get("/")
@require(permissions.can_read)
def index():
    report_ids, report, error = report_filter(request.args.get("report"))
    if error:
        abort(404, description=error)
    include_archived = request.args.get("archived") == "1"
    if report_ids is None and not include_archived:
        # Archived reports (follow-up finished) leave the period page unless asked for.
        report_ids = portfolio.current_report_ids()
    periods = progress.periods_for(report_ids)
    wanted = (request.args.get("period") or "").strip()
    period = next((p for p in periods if p.key == wanted), None)
    if wanted and period is None:
        abort(404)
    if period is None:
        # The period whose reports are being collected: the one that just ended while its
        # deadline has not passed, otherwise the current one.
        period = periods[0]
        if len(periods) > 1 and dates.today() <= periods[1].deadline:
            period = periods[1]
    department = None
    code = (request.args.get("department") or "").strip()
    if code:
        department = db.session.scalar(select(Department).where(Department.code == code[:40]))
        if department is None:
            abort(404)
    elif request.args.get("department") is None and getattr(current_user, "role", None) is Role.EDITOR:
        department = current_user.department
    state = request.args.get("state", "")
    if state not in progress.PERIOD_STATES:
        state = ""
    page = page_number(request.args.get("page"))
    departments = progress.department_reporting(period, report_ids)
    totals = {
        name: sum(getattr(d, name) for d in departments)
        for name in ("must_report", "reported", "on_time", "late", "approved", "pending", "returned", "not_reported")
    }
    dept_id = department.id if department else None
    rows, total = progress.period_items(
        period, report_ids, dept_id, state, page, PER_PAGE, total=progress.period_total(departments, dept_id, state)
    )
    pages = max(1, -(-total // PER_PAGE))
    dept_names = {d.id: d for d in db.session.scalars(select(Department))}
    return render_template(
        "periods/index.html",
        periods=periods,
        period=period,
        report=report,
        department=department,
        departments=departments,
        totals=totals,
        rows=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        state=state,
        states=progress.PERIOD_STATES,
        dept_names=dept_names,
        can_review=permissions.can_review(current_user),
    )
