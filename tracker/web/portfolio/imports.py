"""The spreadsheet import page (dry run, then import) and its template download."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...services import permissions
from ..authz import require
from .blueprint import bp


@bp.route("/import", methods=["GET", "POST"])
@require(permissions.can_administer)
def import_report():
    """Upload a spreadsheet; "check only" (dry run) or import. Problems: every one listed as
    row, column and reason (422), nothing written."""
    from ...services import importer, sheets

    result = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        dry_run = request.form.get("dry_run") == "1"
        if upload is None or not upload.filename:
            result = importer.ImportResult(ok=False, problems=[importer.Problem(None, "", _("Choose a file."))])
        else:
            data = upload.stream.read(sheets.max_bytes() + 1)
            result = importer.import_file(upload.filename, data, current_user, dry_run=dry_run)
        if result.ok and not dry_run:
            db.session.commit()
            c = result.created
            flash(
                _(
                    "Imported: %(reports)d reports, %(recs)d recommendations and %(items)d action items created; "
                    "%(unchanged)d action items were already there and unchanged.",
                    reports=c["reports"],
                    recs=c["recommendations"],
                    items=c["items"],
                    unchanged=result.unchanged["items"],
                ),
                "success",
            )
            return redirect(url_for("portfolio.index", state="all"))
        status = 200 if result.ok else 422
    return render_template("portfolio/import.html", result=result, columns=importer.COLUMNS), status


@bp.get("/import/template.<fmt>")
@require(permissions.can_administer)
def import_template(fmt: str):
    from ...locale import current_locale
    from ...services import importer

    if fmt not in ("csv", "xlsx"):
        abort(404)
    locale = current_locale()
    data = importer.template_bytes(fmt, locale)
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    lang = "en" if locale == "en" else "zh-TW"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="report-import-template_{lang}.{fmt}"'},
    )
