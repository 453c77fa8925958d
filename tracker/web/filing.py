"""Filing the annual summary (歸檔): the filed documents of every year (downloadable exactly as
filed, with their SHA-256), and for reviewers the forms to file a year's summary and to
reopen a filed year with a reason. Rules: docs/domain.md ("The annual summary")."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, Form, SelectField, TextAreaField

from ..exports import FORMATS, ExportError, find_report, resolve_options
from ..exports.filing import file_year
from ..extensions import db
from ..inputs import load_or_404
from ..locale import current_locale, format_year
from ..models import Report, SummaryFiling
from ..services import DomainError, permissions
from ..services import filing as filing_ops
from ..services.review import today
from .authz import require
from .datefield import DateTextField
from .exports import FORMAT_LABELS
from .forms import apply_errors, choices

bp = Blueprint("filing", __name__, url_prefix="/filing")


class FileForm(Form):
    report = SelectField(_l("Report"), validate_choice=False)
    year = SelectField(_l("Year"), validate_choice=False)
    known_at = DateTextField(
        _l("Approvals and decisions as of"),
        description=_l("Optional. Only what was approved or decided by this date counts (default: today)."),
    )
    format = SelectField(
        _l("Format"), choices=choices((k, FORMAT_LABELS[k]) for k in FORMATS), default="pdf", validate_choice=False
    )
    language = SelectField(
        _l("Language"), choices=choices([("zh-TW", "中文（臺灣）"), ("en", "English")]), validate_choice=False
    )
    note = TextAreaField(_l("Note"))
    allow_draft = BooleanField(_l("File it even though it is still a draft"))


class ReopenForm(Form):
    report = SelectField(_l("Report"), validate_choice=False)
    year = SelectField(_l("Year"), validate_choice=False)
    reason = TextAreaField(_l("Reason"), description=_l("Why the year is reopened: kept in the history."))


def _choices(form: Form, default_year: bool = False) -> None:
    reports = list(db.session.scalars(select(Report).order_by(Report.report_date.desc(), Report.id)))
    locale = current_locale()
    form.report.choices = choices(
        [("", str(_l("All reports")))] + [(str(r.id), r.title_en if locale == "en" else r.title_zh) for r in reports]
    )
    now = today()
    first = min((r.report_date.year for r in reports), default=now.year)
    form.year.choices = choices((str(y), format_year(y, locale)) for y in range(now.year, first - 1, -1))
    if default_year and not form.year.data:
        form.year.data = str(now.year - 1 if now.year - 1 >= first else now.year)
    if not form.report.data and len(reports) == 1:
        form.report.data = str(reports[0].id)


def _page(file_form: FileForm, reopen_form: ReopenForm, errors: list[str], status: int = 200):
    filed = filing_ops.filings()
    return render_template(
        "review/filing.html",
        filings=filed,
        file_form=file_form,
        reopen_form=reopen_form,
        errors=errors,
        can_file=permissions.can_review(current_user),
    ), status


@bp.get("/")
@require(permissions.can_export)
def index():
    file_form, reopen_form = FileForm(request.args), ReopenForm()
    _choices(file_form, default_year=True)
    _choices(reopen_form, default_year=True)
    if not request.args:
        file_form.language.data = "en" if current_locale() == "en" else "zh-TW"
    return _page(file_form, reopen_form, [])


@bp.get("/download")
@require(permissions.can_export)
def download():
    """The document exactly as filed (its SHA-256 in a header, to check it)."""
    row = load_or_404(SummaryFiling, request.args.get("id"))
    resp = send_file(
        io.BytesIO(row.content), mimetype=row.mimetype, as_attachment=True, download_name=row.filename, max_age=0
    )
    resp.headers["Content-Type"] = row.mimetype
    resp.headers["X-Content-SHA256"] = row.sha256
    return resp


@bp.post("/file")
@require(permissions.can_review)
def file():
    file_form, reopen_form = FileForm(request.form), ReopenForm()
    _choices(file_form)
    _choices(reopen_form)
    try:
        options = resolve_options(
            year=file_form.year.data,
            as_of=None,
            fmt=file_form.format.data,
            lang=file_form.language.data,
            report=file_form.report.data,
            today=today(),
            known_at=file_form.known_at.data,
        )
        row = file_year(
            options, current_user, note=file_form.note.data or "", allow_draft=bool(file_form.allow_draft.data)
        )
    except (ExportError, DomainError) as exc:  # refused before anything was written
        leftover = apply_errors(file_form, {exc.field or "": exc.message}, aliases={"lang": "language"})
        return _page(file_form, reopen_form, leftover, 400)
    db.session.commit()
    flash(
        _(
            "Filed %(file)s (SHA-256 %(sha)s…). The year's records are locked until it is reopened.",
            file=row.filename,
            sha=row.sha256[:16],
        ),
        "success",
    )
    return redirect(url_for("filing.index"))


@bp.post("/reopen")
@require(permissions.can_review)
def reopen():
    file_form, reopen_form = FileForm(), ReopenForm(request.form)
    _choices(file_form)
    _choices(reopen_form)
    year_text = (reopen_form.year.data or "").strip()
    try:
        if not (year_text.isascii() and year_text.isdigit()):
            raise DomainError(_("Choose the year to reopen."), field="year")
        report = find_report(reopen_form.report.data)
        filing_ops.reopen_year(
            year=int(year_text), report=report, reason=reopen_form.reason.data or "", user=current_user
        )
    except (ExportError, DomainError) as exc:  # refused before anything was written
        leftover = apply_errors(reopen_form, {exc.field or "": exc.message})
        return _page(file_form, reopen_form, leftover, 400)
    db.session.commit()
    flash(_("%(year)s reopened: corrections dated in it can be recorded again.", year=year_text), "success")
    return redirect(url_for("filing.index"))
