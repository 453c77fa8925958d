"""Report overview → recommendation → action item (read pages)."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..extensions import db
from ..models import Report

bp = Blueprint("reports", __name__)


@bp.get("/")
def index():
    reports = db.session.scalars(db.select(Report).order_by(Report.report_date.desc())).all()
    return render_template("reports/index.html", reports=reports)
