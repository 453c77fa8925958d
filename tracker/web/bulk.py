"""Bulk status update for department editors: download the items the department must
report on as a spreadsheet, fill it in, upload it (services/bulk.py; the same rules and
review flow as one update at a time, all or nothing)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..locale import current_locale
from ..services import bulk, permissions
from ..services.sheets import max_bytes
from .authz import require

bp = Blueprint("bulk", __name__, url_prefix="/my-department/bulk")


def _editor(user) -> bool:  # noqa: ANN001
    return permissions.has_department_work(user) and getattr(user, "department_id", None) is not None


@bp.route("/", methods=["GET", "POST"])
@require(_editor)
def index():
    result = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            result = bulk.BulkResult(ok=False, problems=[bulk.Problem(None, "", _("Choose a file."))])
        else:
            result = bulk.upload(current_user, upload.filename, upload.stream.read(max_bytes() + 1))
        if result.ok:
            db.session.commit()
            flash(
                _(
                    "%(n)d status updates submitted for review: %(codes)s.",
                    n=len(result.submitted),
                    codes=", ".join(result.submitted),
                ),
                "success",
            )
            return redirect(url_for("bulk.index"))
        status = 422
    period, rows = bulk.department_items(current_user.department_id)
    return render_template(
        "bulk/index.html", period=period, rows=rows, result=result, department=current_user.department
    ), status


@bp.get("/download.<fmt>")
@require(_editor)
def download(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    locale = current_locale()
    data = bulk.download(current_user.department_id, fmt, locale)
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in current_user.department.code)
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="status-updates_{code}.{fmt}"'}
    )
