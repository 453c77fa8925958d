"""The administrator's forms: reports (new, manage, edit, archive, unarchive),
recommendations, practices, figures, indicators and action items.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...inputs import load_or_404
from ...models import Indicator, PracticeFigure, Recommendation, ReferencePractice, Report
from ...services import permissions
from ...services import portfolio as svc
from ..authz import require
from ..saving import save
from .blueprint import _back_to, _form, bp


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
