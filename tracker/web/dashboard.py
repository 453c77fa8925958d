"""Dashboard (as of any date) and the benchmark comparison against the foreign practice.

Every number comes from services/progress.build_summary and services/benchmark, the
same functions behind the summary API and the annual export.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import charts
from ..summary_charts import indicator_chart, summary_charts
from ..extensions import db
from ..locale import current_locale
from ..models import Indicator, Recommendation, ReferencePractice, Report, Status
from ..services import benchmark, permissions, progress
from ..services.review import latest_adoptions, today
from .authz import require

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(raw: str | None, name: str) -> tuple[date | None, str | None]:
    """(date, None) for a valid past-or-today YYYY-MM-DD, (None, None) when absent,
    (None, message) when malformed or in the future."""
    if raw is None or not raw.strip():
        return None, None
    value = raw.strip()
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        return None, _("“%(name)s” must be a date written YYYY-MM-DD, for example 2017-12-31; “%(value)s” is not.",
                       name=name, value=value[:40])
    now = today()
    if day > now:
        return None, _("The date %(day)s is in the future: the state is only known up to today (%(today)s).",
                       day=day.isoformat(), today=now.isoformat())
    return day, None


def report_filter(raw: str | None) -> tuple[list[int] | None, Report | None, str | None]:
    """``?report=`` as an id or a code: (ids to filter on, the report, error message)."""
    if raw is None or not raw.strip():
        return None, None, None
    value = raw.strip()
    stmt = select(Report).where(Report.id == int(value)) if value.isdigit() else \
        select(Report).where(Report.code == value)
    report = db.session.scalar(stmt)
    if report is None:
        return None, None, _("No such report: %(value)s.", value=value[:60])
    return [report.id], report, None


def _reports() -> list[Report]:
    return list(db.session.scalars(select(Report).order_by(Report.report_date.desc(), Report.id)))


@bp.get("/")
@require(permissions.can_view_dashboard)
def index():
    report_ids, report, error = report_filter(request.args.get("report"))
    if error:
        abort(404, description=error)
    raw = request.args.get("as_of")
    as_of, message = parse_day(raw, "as_of")
    if message:
        return render_template("dashboard/index.html", summary=None, error=message, as_of_raw=raw,
                               report=report, reports=_reports(), today=today()), 400
    as_of = as_of or today()
    summary = progress.build_summary(as_of, report_ids)
    adoptions = latest_adoptions([rs.recommendation.id for rs in summary.recommendations], as_of)
    return render_template(
        "dashboard/index.html", summary=summary, error=None, as_of=as_of, as_of_raw=as_of.isoformat(),
        report=report, reports=_reports(), charts=summary_charts(summary, current_locale()),
        adoptions=adoptions, statuses=list(Status), today=today(), table_html=charts.table_html,
        can_review=permissions.can_review(current_user),
    )


@bp.get("/recommendations/<int:rec_id>/benchmark")
@require(permissions.can_view_dashboard)
def benchmark_page(rec_id: int):
    rec = db.session.scalar(
        select(Recommendation).where(Recommendation.id == rec_id).options(
            selectinload(Recommendation.report),
            selectinload(Recommendation.practices).selectinload(ReferencePractice.figures),
            selectinload(Recommendation.indicators).selectinload(Indicator.data_department),
            selectinload(Recommendation.indicators).selectinload(Indicator.practice),
        ))
    if rec is None:
        abort(404)
    raw = request.args.get("as_of")
    as_of, message = parse_day(raw, "as_of")
    if message:
        return render_template("dashboard/benchmark.html", rec=rec, error=message, as_of_raw=raw,
                               today=today()), 400
    as_of = as_of or today()
    states = benchmark.indicator_states(rec.indicators, as_of)
    items = progress.load_items(recommendation_id=rec.id)
    item_states = progress.item_states(items, as_of)
    locale = current_locale()
    return render_template(
        "dashboard/benchmark.html", rec=rec, error=None, as_of=as_of, as_of_raw=as_of.isoformat(),
        states=[states[i.id] for i in rec.indicators],
        chart_for=lambda st: indicator_chart(st, locale), table_html=charts.table_html,
        rollup=progress.rollup(items, item_states), items=items, item_states=item_states,
        adoption=latest_adoptions([rec.id], as_of).get(rec.id), today=today(),
    )
