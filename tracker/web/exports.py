"""The annual follow-up summary page: choose report, year, as-of date, format and language;
download the file (reviewers, viewers and administrators)."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import Form, SelectField, SubmitField

from ..exports import FORMATS, ExportError, render_summary, resolve_options
from ..extensions import db
from ..locale import current_locale, format_year
from ..models import Report
from ..services import permissions
from ..services.review import today
from .authz import require
from .datefield import DateTextField
from .forms import apply_errors, choices

bp = Blueprint("exports", __name__, url_prefix="/exports")

FORMAT_LABELS = {
    "odt": _l("ODT — OpenDocument text (editable, the government standard)"),
    "pdf": _l("PDF — final document"),
    "docx": _l("DOCX — Word document"),
    "ods": _l("ODS — OpenDocument spreadsheet"),
    "xlsx": _l("XLSX — Excel workbook"),
    "csv": _l("CSV — one row per action item (UTF-8)"),
}


class ExportForm(Form):
    """The export options (a GET form: downloading changes nothing)."""

    report = SelectField(_l("Report"), validate_choice=False)
    year = SelectField(_l("Year"), validate_choice=False)
    as_of = DateTextField(
        _l("As of"),
        description=_l(
            "Optional. The state on this date, within the year. Default: 31 December of the "
            "year, or today for the current year."
        ),
    )
    known_at = DateTextField(
        _l("Approvals and decisions as of"),
        description=_l("Optional. Only what was approved or decided by this date counts (default: today)."),
    )
    format = SelectField(
        _l("Format"), choices=choices((k, FORMAT_LABELS[k]) for k in FORMATS), default="odt", validate_choice=False
    )
    # Not "lang": ?lang= switches the language of the whole interface (tracker/locale.py).
    language = SelectField(
        _l("Language"), choices=choices([("zh-TW", "中文（臺灣）"), ("en", "English")]), validate_choice=False
    )
    submit = SubmitField(_l("Download"))


def _form() -> ExportForm:
    form = ExportForm(request.args)
    reports = list(db.session.scalars(select(Report).order_by(Report.report_date.desc(), Report.id)))
    locale = current_locale()
    form.report.choices = choices(
        [("", str(_l("All reports")))] + [(str(r.id), r.title_en if locale == "en" else r.title_zh) for r in reports]
    )
    now = today()
    first = min((r.trip_start.year for r in reports), default=now.year)
    form.year.choices = choices((str(y), format_year(y, locale)) for y in range(now.year, first - 1, -1))
    if not request.args:
        form.year.data = str(now.year)
        form.language.data = "en" if locale == "en" else "zh-TW"
        if len(reports) == 1:
            form.report.data = str(reports[0].id)
    return form


@bp.get("/")
@require(permissions.can_export)
def index():
    return render_template("exports/index.html", form=_form(), errors=[])


@bp.get("/download")
@require(permissions.can_export)
def download():
    """The file, or the form again with the problem next to its field (400)."""
    form = _form()
    try:
        options = resolve_options(
            year=form.year.data,
            as_of=form.as_of.data,
            fmt=form.format.data,
            lang=form.language.data,
            report=form.report.data,
            today=today(),
            known_at=form.known_at.data,
        )
        data = render_summary(options)
    except ExportError as exc:
        leftover = apply_errors(form, {exc.field or "": exc.message}, aliases={"lang": "language"})
        return render_template("exports/index.html", form=form, errors=leftover), 400
    resp = send_file(
        io.BytesIO(data), mimetype=options.mimetype, as_attachment=True, download_name=options.filename, max_age=0
    )
    # Werkzeug appends "; charset=utf-8" to every text/* type, also to "text/csv; charset=utf-8".
    resp.headers["Content-Type"] = options.mimetype
    return resp
