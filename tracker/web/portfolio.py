"""The portfolio of reports (every signed-in role reads it) and the administrator's forms
for reports, recommendations, practices, figures, indicators and action items, archiving
and the spreadsheet import.

Business rules live in services/portfolio.py and services/importer.py; these views turn
their DomainErrors into messages on the form (422) and never write on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..inputs import load_or_404, page_number
from ..models import Department, Indicator, PracticeFigure, Recommendation, ReferencePractice, Report
from ..services import permissions
from ..services import portfolio as svc
from .authz import require
from .saving import save

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")


def _filters() -> tuple[svc.PortfolioFilters, dict[str, str]]:
    """The list's filters from the query string; unknown values are ignored (the page says
    which filters are in force), a department or year that is not a number likewise."""
    args = request.args
    f = svc.PortfolioFilters()
    kept: dict[str, str] = {}
    year = (args.get("year") or "").strip()
    if year.isascii() and year.isdigit() and len(year) == 4 and 1900 <= int(year) <= 2199:
        f.year = int(year)
        kept["year"] = year
    dept = (args.get("department") or "").strip()
    if dept:
        d = db.session.scalar(select(Department).where(Department.code == dept[:40]))
        if d is not None:
            f.department_id = d.id
            kept["department"] = d.code
    dest = (args.get("destination") or "").strip()[:120]
    if dest:
        f.destination = dest
        kept["destination"] = dest
    state = args.get("state") or "current"
    f.state = state if state in svc.STATES else "current"
    if f.state != "current":
        kept["state"] = f.state
    sort = args.get("sort") or "report_date"
    f.sort = sort if sort in svc.SORTS else "report_date"
    f.descending = (args.get("dir") or "desc") != "asc"
    if f.sort != "report_date" or not f.descending:
        kept["sort"] = f.sort
        kept["dir"] = "desc" if f.descending else "asc"
    f.page = page_number(args.get("page"))
    return f, kept


@bp.get("/")
@require(permissions.can_read)
def index():
    f, kept = _filters()
    page = svc.portfolio_page(f)
    return render_template(
        "portfolio/index.html",
        page=page,
        f=f,
        kept=kept,
        choices=svc.filter_choices(),
        sorts=svc.SORTS,
        is_admin=permissions.can_administer(current_user),
    )


# --- administrator forms -----------------------------------------------------------------------


def _form(
    fields: tuple,
    *,
    title: str,
    obj: Any,
    write: Callable[[dict], Any],
    back: str,
    message: Callable[[Any], str],
    next_url: Callable[[Any], str],
    extra: dict | None = None,
):
    """GET: the form (filled from ``obj``); POST: ``write(values)`` saved, then redirect, or the
    form again with every message by field (422)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f.name: request.form.get(f.name, "") for f in fields}
        saved = save(lambda: write(values), message)
        if saved.ok:
            return redirect(next_url(saved.result))
        errors = saved.errors(fields[0].name)
    else:
        values = {k: ("" if v is None else str(v)) for k, v in svc.snapshot(obj, fields).items()} if obj else {}
    depts = (
        list(db.session.scalars(select(Department).order_by(Department.code)))
        if any(f.kind == "dept" for f in fields)
        else []
    )
    return render_template(
        "portfolio/form.html",
        fields=fields,
        values=values,
        errors=errors,
        title=title,
        back=back,
        departments=depts,
        **(extra or {}),
    ), (422 if errors else 200)


@bp.route("/reports/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def report_new():
    return _form(
        svc.REPORT_FIELDS,
        title=_("New report"),
        obj=None,
        write=lambda v: svc.create_report(current_user, v),
        back=url_for("portfolio.index"),
        message=lambda r: _("Report %(code)s created.", code=r.code),
        next_url=lambda r: url_for("portfolio.manage", report_id=r.id),
    )


@bp.get("/reports/<int:report_id>")
@require(permissions.can_administer)
def manage(report_id: int):
    report = load_or_404(
        Report,
        report_id,
        selectinload(Report.recommendations)
        .selectinload(Recommendation.practices)
        .selectinload(ReferencePractice.figures),
        selectinload(Report.recommendations).selectinload(Recommendation.indicators),
        selectinload(Report.recommendations).selectinload(Recommendation.action_items),
    )
    still_open = svc.open_items(report) if report.archived_at is None else []
    return render_template("portfolio/manage.html", report=report, still_open=still_open)


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@require(permissions.can_administer)
def report_edit(report_id: int):
    report = load_or_404(Report, report_id)

    def write(values: dict) -> Report:
        svc.edit_report(report, current_user, values)
        return report

    return _form(
        svc.REPORT_FIELDS,
        title=_("Edit report"),
        obj=report,
        write=write,
        back=url_for("portfolio.manage", report_id=report.id),
        message=lambda r: _("Report %(code)s saved.", code=r.code),
        next_url=lambda r: url_for("portfolio.manage", report_id=r.id),
    )


@bp.post("/reports/<int:report_id>/archive")
@require(permissions.can_administer)
def archive(report_id: int):
    report = load_or_404(Report, report_id)
    save(
        lambda: svc.archive_report(report, current_user, request.form.get("reason", "")),
        _("Report %(code)s archived. It stays in the history and in past summaries.", code=report.code),
        flash_error=True,
    )
    return redirect(url_for("portfolio.manage", report_id=report_id))


@bp.post("/reports/<int:report_id>/unarchive")
@require(permissions.can_administer)
def unarchive(report_id: int):
    report = load_or_404(Report, report_id)
    save(
        lambda: svc.unarchive_report(report, current_user),
        _("Report %(code)s is current again.", code=report.code),
        flash_error=True,
    )
    return redirect(url_for("portfolio.manage", report_id=report_id))


def _back_to(report_id: int) -> Callable[[Any], str]:
    return lambda _obj: url_for("portfolio.manage", report_id=report_id)


@bp.route("/reports/<int:report_id>/recommendations/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def recommendation_new(report_id: int):
    report = load_or_404(Report, report_id)
    return _form(
        svc.RECOMMENDATION_FIELDS,
        title=_("New recommendation"),
        obj=None,
        write=lambda v: svc.save_recommendation(current_user, v, report=report),
        back=url_for("portfolio.manage", report_id=report.id),
        message=lambda r: _("Recommendation %(code)s saved.", code=r.code),
        next_url=_back_to(report.id),
    )


@bp.route("/recommendations/<int:rec_id>/edit", methods=["GET", "POST"])
@require(permissions.can_administer)
def recommendation_edit(rec_id: int):
    rec = load_or_404(Recommendation, rec_id)
    return _form(
        svc.RECOMMENDATION_FIELDS,
        title=_("Edit recommendation"),
        obj=rec,
        write=lambda v: svc.save_recommendation(current_user, v, rec=rec),
        back=url_for("portfolio.manage", report_id=rec.report_id),
        message=lambda r: _("Recommendation %(code)s saved.", code=r.code),
        next_url=_back_to(rec.report_id),
    )


@bp.route("/recommendations/<int:rec_id>/practices/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def practice_new(rec_id: int):
    rec = load_or_404(Recommendation, rec_id)
    return _form(
        svc.PRACTICE_FIELDS,
        title=_("New reference practice"),
        obj=None,
        write=lambda v: svc.save_practice(current_user, v, recommendation=rec),
        back=url_for("portfolio.manage", report_id=rec.report_id),
        message=lambda p: _("Practice %(code)s saved.", code=p.code),
        next_url=_back_to(rec.report_id),
    )


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@require(permissions.can_administer)
def practice_edit(practice_id: int):
    practice = load_or_404(ReferencePractice, practice_id)
    rid = practice.recommendation.report_id
    return _form(
        svc.PRACTICE_FIELDS,
        title=_("Edit reference practice"),
        obj=practice,
        write=lambda v: svc.save_practice(current_user, v, practice=practice),
        back=url_for("portfolio.manage", report_id=rid),
        message=lambda p: _("Practice %(code)s saved.", code=p.code),
        next_url=_back_to(rid),
    )


@bp.route("/practices/<int:practice_id>/figures/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def figure_new(practice_id: int):
    practice = load_or_404(ReferencePractice, practice_id)
    rid = practice.recommendation.report_id
    return _form(
        svc.FIGURE_FIELDS,
        title=_("New figure"),
        obj=None,
        write=lambda v: svc.save_figure(current_user, v, practice=practice),
        back=url_for("portfolio.manage", report_id=rid),
        message=lambda x: _("Figure %(code)s saved.", code=x.code),
        next_url=_back_to(rid),
    )


@bp.route("/figures/<int:figure_id>/edit", methods=["GET", "POST"])
@require(permissions.can_administer)
def figure_edit(figure_id: int):
    figure = load_or_404(PracticeFigure, figure_id)
    rid = figure.practice.recommendation.report_id
    return _form(
        svc.FIGURE_FIELDS,
        title=_("Edit figure"),
        obj=figure,
        write=lambda v: svc.save_figure(current_user, v, figure=figure),
        back=url_for("portfolio.manage", report_id=rid),
        message=lambda x: _("Figure %(code)s saved.", code=x.code),
        next_url=_back_to(rid),
    )


@bp.route("/recommendations/<int:rec_id>/indicators/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def indicator_new(rec_id: int):
    rec = load_or_404(Recommendation, rec_id)
    return _form(
        svc.INDICATOR_FIELDS,
        title=_("New indicator"),
        obj=None,
        write=lambda v: svc.save_indicator(current_user, v, recommendation=rec),
        back=url_for("portfolio.manage", report_id=rec.report_id),
        message=lambda x: _("Indicator %(code)s saved.", code=x.code),
        next_url=_back_to(rec.report_id),
    )


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@require(permissions.can_administer)
def indicator_edit(indicator_id: int):
    indicator = load_or_404(Indicator, indicator_id)
    rid = indicator.recommendation.report_id
    return _form(
        svc.INDICATOR_FIELDS,
        title=_("Edit indicator"),
        obj=indicator,
        write=lambda v: svc.save_indicator(current_user, v, indicator=indicator),
        back=url_for("portfolio.manage", report_id=rid),
        message=lambda x: _("Indicator %(code)s saved.", code=x.code),
        next_url=_back_to(rid),
    )


@bp.route("/recommendations/<int:rec_id>/items/new", methods=["GET", "POST"])
@require(permissions.can_administer)
def item_new(rec_id: int):
    rec = load_or_404(Recommendation, rec_id)
    return _form(
        svc.ITEM_FIELDS,
        title=_("New action item"),
        obj=None,
        write=lambda v: svc.create_item(current_user, rec, v),
        back=url_for("portfolio.manage", report_id=rec.report_id),
        message=lambda x: _("Action item %(code)s created.", code=x.code),
        next_url=_back_to(rec.report_id),
    )


# --- spreadsheet import ------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@require(permissions.can_administer)
def import_report():
    """Upload a spreadsheet; "check only" (dry run) or import. Problems: every one listed as
    row, column and reason (422), nothing written."""
    from ..services import importer, sheets

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
    from ..locale import current_locale
    from ..services import importer

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
