"""Review screens: the queue (approve / return, one or many), tracking decisions,
adoption decisions and "since last review"."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import dates
from ..errors import InvalidDate
from ..extensions import db
from ..inputs import bidi_message, has_bidi_control, load_or_404, page_number, parse_id
from ..locale import current_locale, format_year_number
from ..models import (
    ActionItem,
    Adoption,
    AdoptionDecision,
    Recommendation,
    Report,
    StatusUpdate,
    TrackingChoice,
)
from ..services import DomainError, labels, permissions, progress
from ..services import review as review_ops
from ..services.changes import changes_since, default_since
from ..services.portfolio import report_filter
from .authz import require
from .datefield import DateValueField, not_future

bp = Blueprint("review", __name__, url_prefix="/review")


def _no_bidi(form, field) -> None:  # noqa: ANN001
    """Text-direction controls could make a comment or reason display as something else."""
    if has_bidi_control(field.data):
        raise ValidationError(bidi_message())


class ReviewForm(FlaskForm):
    """One update's approve / return form (prefixed per update on the queue page)."""

    comment = TextAreaField(
        _l("Comment to the department"),
        validators=[Optional(), Length(max=4000), _no_bidi],
        description=_l("Required when returning; shown to the department."),
    )
    effective_date = DateValueField(
        _l("Review date"), validators=[DataRequired(_l("Enter a date.")), not_future], default=review_ops.today
    )


class BatchForm(FlaskForm):
    """Approve or return every checked update with one comment and date."""

    comment = TextAreaField(
        _l("Comment for the selected updates"),
        validators=[Optional(), Length(max=4000), _no_bidi],
        description=_l("Required when returning; shown to each department."),
    )
    effective_date = DateValueField(
        _l("Review date for the selected updates"),
        validators=[DataRequired(_l("Enter a date.")), not_future],
        default=review_ops.today,
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Tracking decision"),
        choices=[SelectChoice(c.value, labels.TRACKING[c]) for c in TrackingChoice],
        validators=[DataRequired(_l("Choose a decision."))],
        description=_l("Release is possible only for completed, ongoing or not-feasible items."),
    )
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give the reason for the decision.")), Length(max=4000), _no_bidi]
    )
    effective_date = DateValueField(
        _l("Decision date"), validators=[DataRequired(_l("Enter a date.")), not_future], default=review_ops.today
    )


class AdoptionForm(FlaskForm):
    decision = RadioField(
        _l("Adoption decision"),
        choices=[SelectChoice(c.value, labels.ADOPTION[c]) for c in Adoption],
        validators=[DataRequired(_l("Choose a decision."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=4000), _no_bidi],
        description=_l("Required when the recommendation is not adopted."),
    )
    decided_on = DateValueField(
        _l("Decision date"), validators=[DataRequired(_l("Enter a date.")), not_future], default=review_ops.today
    )
    decided_by = StringField(
        _l("Decided by"),
        validators=[Optional(), Length(max=200), _no_bidi],
        description=_l("Who made the decision, e.g. the mayor or a commission meeting. Default: you."),
    )


def _put_on_form(form: FlaskForm, exc: DomainError) -> bool:
    """Attach a domain error to its field; False when it concerns no field of the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
        return True
    return False


def _render_queue(
    forms: dict[int, ReviewForm] | None = None,
    batch: BatchForm | None = None,
    status: int = 200,
    focus_id: int | None = None,
):
    page = page_number(request.args.get("page"))
    report_ids, report, _error = report_filter(request.args.get("report"))
    queue = review_ops.review_queue(report_ids=report_ids, page=page)
    if report_ids is None:
        from .nav import prime_badges

        prime_badges({"review.queue": queue.total})
    forms = forms or {}
    for group in queue.groups:
        for _dept, entries in group.department_groups:
            for entry in entries:
                forms.setdefault(entry.update.id, ReviewForm(prefix=f"u{entry.update.id}", formdata=None))
    return render_template(
        "review/queue.html",
        groups=queue.groups,
        forms=forms,
        batch=batch or BatchForm(formdata=None),
        total=queue.total,
        page=queue.page,
        pages=queue.pages,
        report=report,
        focus_id=focus_id,
    ), status


@bp.get("/")
@require(permissions.can_review)
def queue():
    return _render_queue()


def _single(update_id: int, approve: bool):
    upd = load_or_404(StatusUpdate, update_id)
    form = ReviewForm(prefix=f"u{update_id}")
    # A refused review is shown at its card, which the form's action URL points at
    # (#update-N, same page of the queue) and whose first wrong field takes the focus.
    if not form.validate():
        return _render_queue({update_id: form}, status=422, focus_id=update_id)
    try:
        if approve:
            review_ops.approve_update(upd, current_user, form.effective_date.data, form.comment.data or "")
        else:
            review_ops.return_update(upd, current_user, form.comment.data or "", form.effective_date.data)
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "already_reviewed" or not _put_on_form(form, exc):
            flash(exc.message, "error")
            return redirect(url_for(".queue", **_queue_args()))
        return _render_queue({update_id: form}, status=422, focus_id=update_id)
    db.session.commit()
    code = upd.action_item.code
    if approve:
        flash(_("Update #%(id)s (%(code)s) approved.", id=update_id, code=code), "success")
    else:
        flash(_("Update #%(id)s (%(code)s) returned to the department.", id=update_id, code=code), "success")
    return redirect(url_for(".queue", **_queue_args()))


def _queue_args() -> dict:
    """The queue's page and report filter, kept across a review."""
    return {k: request.args[k] for k in ("page", "report") if request.args.get(k)}


@bp.post("/updates/<int:update_id>/approve")
@require(permissions.can_review)
def approve(update_id: int):
    return _single(update_id, approve=True)


@bp.post("/updates/<int:update_id>/return")
@require(permissions.can_review)
def return_update(update_id: int):
    return _single(update_id, approve=False)


@bp.post("/batch")
@require(permissions.can_review)
def batch():
    form = BatchForm()
    action = request.form.get("action")
    if action not in ("approve", "return"):
        abort(400, description=_("Choose approve or return."))
    ids = [parse_id(v) for v in request.form.getlist("update_ids")]
    if any(i is None for i in ids):
        abort(400, description=_("Update ids must be numbers."))
    valid = form.validate()
    if not ids:
        flash(_("Select at least one update first."), "error")
        valid = False
    if action == "return" and not (form.comment.data or "").strip():
        form.comment.errors = list(form.comment.errors) + [
            _("Say why the updates are returned: the departments see this comment.")
        ]
        valid = False
    if not valid:
        return _render_queue(batch=form, status=422)
    if action == "approve":
        result = review_ops.approve_many(ids, current_user, form.effective_date.data, form.comment.data or "")
    else:
        result = review_ops.return_many(ids, current_user, form.comment.data or "", form.effective_date.data)
    db.session.commit()
    if result.done:
        msg = (
            _("%(n)s updates approved.", n=len(result.done))
            if action == "approve"
            else _("%(n)s updates returned to their departments.", n=len(result.done))
        )
        flash(msg, "success")
    for uid, reason in result.refused:
        flash(_("Update #%(id)s was not changed: %(reason)s", id=uid, reason=reason), "error")
    return redirect(url_for(".queue"))


@bp.route("/items/<int:item_id>/decision", methods=["GET", "POST"])
@require(permissions.can_review)
def decision(item_id: int):
    item = load_or_404(ActionItem, item_id)
    form = DecisionForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                review_ops.record_decision(
                    item, form.decision.data, form.reason.data, form.effective_date.data, current_user
                )
            except DomainError as exc:
                db.session.rollback()
                if not _put_on_form(form, exc):
                    flash(exc.message, "error")
            else:
                db.session.commit()
                flash(_("Tracking decision recorded for %(code)s.", code=item.code), "success")
                return redirect(url_for("reports.action_item", item_id=item.id))
        status = 422
    state = progress.item_states([item], review_ops.today(), fold=True)[item.id]
    return render_template("review/decision.html", item=item, form=form, state=state), status


@bp.post("/items/<int:item_id>/confirm-departments")
@require(permissions.can_review)
def confirm_departments(item_id: int):
    """Confirm the departments proposed (擬議) for an item the report does not assign."""
    item = load_or_404(ActionItem, item_id)
    was_proposed = item.departments_confirmed_at is None
    review_ops.confirm_departments(item, current_user)
    db.session.commit()
    if was_proposed:
        flash(_("The departments of %(code)s are confirmed.", code=item.code), "success")
    else:
        flash(_("The departments of %(code)s were already confirmed.", code=item.code), "info")
    return redirect(url_for("reports.action_item", item_id=item.id))


@bp.route("/recommendations/<int:rec_id>/adoption", methods=["GET", "POST"])
@require(permissions.can_review)
def adoption(rec_id: int):
    rec = load_or_404(Recommendation, rec_id)
    form = AdoptionForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                review_ops.record_adoption(
                    rec,
                    form.decision.data,
                    form.reason.data or "",
                    form.decided_on.data,
                    form.decided_by.data or "",
                    current_user,
                )
            except DomainError as exc:
                db.session.rollback()
                if not _put_on_form(form, exc):
                    flash(exc.message, "error")
            else:
                db.session.commit()
                flash(_("Adoption decision recorded for %(code)s.", code=rec.code), "success")
                return redirect(url_for(".adoption", rec_id=rec.id))
        status = 422
    history = list(
        db.session.scalars(
            db.select(AdoptionDecision)
            .where(AdoptionDecision.recommendation_id == rec.id)
            .order_by(AdoptionDecision.decided_on.desc(), AdoptionDecision.id.desc())
        )
    )
    return render_template("review/adoption.html", rec=rec, form=form, history=history), status


@bp.get("/changes")
@require(permissions.can_review)
def changes():
    report_ids, report, error = report_filter(request.args.get("report"))
    if error:
        abort(404, description=error)
    raw = request.args.get("since")
    msg = None
    try:
        since_day = dates.parse_date_arg(raw, "since", _("Since"))
        if since_day is not None:
            dates.check_not_future(since_day, "since", _("Since"))
    except InvalidDate as exc:
        since_day, msg = None, exc.message
    if msg:
        return render_template(
            "review/changes.html",
            changes=None,
            error=msg,
            since_raw=raw,
            report=report,
            reports=_reports(),
            reason=None,
        ), 400
    if since_day is not None:
        since, reason = review_ops.local_midnight_utc(since_day), "chosen"
    else:
        since, reason = default_since(current_user)
    found = changes_since(since, report_ids=report_ids)
    return render_template(
        "review/changes.html",
        changes=found,
        error=None,
        since=since,
        reason=reason,
        since_raw=raw or dates.local_date(since).isoformat(),
        report=report,
        reports=_reports(),
    )


def _reports() -> list[Report]:
    return list(db.session.scalars(db.select(Report).order_by(Report.report_date.desc(), Report.id)))


@bp.app_template_global()
def review_today() -> date:
    return review_ops.today()


# --- the year-end review (列管建議 and 審核意見 for every tracked item) ---------------------------

YEAR_END_PAGE = 30


def _year_end_year() -> int:
    raw = (request.args.get("year") or request.form.get("year") or "").strip()
    last = review_ops.today().year - 1
    if raw.isascii() and raw.isdigit() and len(raw) == 4 and 1912 <= int(raw) <= last:
        return int(raw)
    if raw:
        abort(404)
    return last


@bp.route("/year-end", methods=["GET", "POST"])
@require(permissions.can_review)
def year_end():
    """The commission's year-end review: for every item tracked in the year, its 列管建議
    (continue / release / self-track) and 審核意見. Rows with a choice are recorded one by
    one; a refused row keeps what was typed and says why."""
    from ..services import annual

    year = _year_end_year()
    report_ids, report, _error = report_filter(request.args.get("report"))
    only_missing = request.args.get("missing") == "1"
    page = page_number(request.args.get("page"))
    errors: dict[int, str] = {}
    typed: dict[int, tuple[str, str]] = {}
    status = 200
    if request.method == "POST":
        ids = [int(v) for v in request.form.getlist("item_ids") if v.isascii() and v.isdigit() and len(v) < 10]
        done = 0
        for item_id in ids:
            choice = (request.form.get(f"decision-{item_id}") or "").strip()
            opinion = (request.form.get(f"opinion-{item_id}") or "").strip()
            if not choice and not opinion:
                continue
            typed[item_id] = (choice, opinion)
            item = db.session.get(ActionItem, item_id)
            if item is None:
                continue
            try:
                with db.session.begin_nested():
                    review_ops.record_decision(item, choice, opinion, None, current_user, review_year=year)
                done += 1
                typed.pop(item_id, None)
            except DomainError as exc:
                errors[item_id] = exc.message
        db.session.commit()
        if done:
            flash(
                _(
                    "%(n)s year-end decisions recorded for %(year)s.",
                    n=done,
                    year=format_year_number(year, current_locale()),
                ),
                "success",
            )
        if not errors:
            return redirect(
                url_for(
                    ".year_end",
                    year=year,
                    report=report.id if report else None,
                    missing="1" if only_missing else None,
                    page=page,
                )
            )
        status = 422
    rows, total = annual.year_end_page(year, report_ids, only_missing=only_missing, page=page, per_page=YEAR_END_PAGE)
    summary = annual.year_end_status(year, report_ids)
    pages = max(1, -(-total // YEAR_END_PAGE))
    return render_template(
        "review/year_end.html",
        year=year,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        report=report,
        only_missing=only_missing,
        summary=summary,
        errors=errors,
        typed=typed,
        choices=list(TrackingChoice),
        years=list(range(review_ops.today().year - 1, 2015, -1)),
    ), status
