"""Drafting reports from their own text (administrators only): upload, review, confirm.

docs/drafting.md. The draft lives in the database (several workers serve these pages);
every change posts the draft's version, so two administrators cannot overwrite each
other's edits unknowingly.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..inputs import load_or_404, parse_int
from ..models import ReportDraft
from ..services import drafting, permissions
from .saving import save

# Lists of SDG targets may be typed with the full-width comma of a Chinese keyboard.
FULLWIDTH_COMMA = chr(0xFF0C)

bp = Blueprint("drafts", __name__, url_prefix="/admin/drafts")


@bp.before_request
def _administrators_only():
    if not permissions.can_administer(current_user):
        abort(403)


def _version() -> int | None:
    return parse_int(request.form.get("version"), low=1)


def _index_page(error: str | None = None, status: int = 200):
    drafts = db.session.scalars(select(ReportDraft).order_by(ReportDraft.id.desc()).limit(100)).all()
    return render_template("drafts/index.html", drafts=drafts, error=error), status


@bp.get("/")
def index():
    return _index_page()


@bp.post("/")
def upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index_page(_("Choose a file (DOCX, ODT, PDF or .txt)."), 422)
    # One byte more than the limit is enough for check_file to refuse an oversized file.
    data = upload.read(int(current_app.config["MAX_UPLOAD_BYTES"]) + 1)
    saved = save(
        lambda: drafting.create_draft(upload.filename, data, current_user),
        lambda draft: _(
            "%(num)d recommendations were found. Review them, then confirm the report.",
            num=len(draft.data["recommendations"]),
        ),
    )
    if isinstance(saved.error, drafting.DraftRefused):
        return _index_page(saved.error.message, 422)
    if saved.error is not None:
        raise saved.error
    return redirect(url_for("drafts.review", draft_id=saved.result.id))


def _review_page(draft: ReportDraft, errors: dict | None = None, submitted: dict | None = None, status: int = 200):
    from ..services import sdg

    suggestions = sdg.duplicate_suggestions(draft.data.get("recommendations") or [])
    cover = draft.source_text.split("\n\n")[:20]
    return render_template(
        "drafts/review.html",
        draft=draft,
        recs=draft.data.get("recommendations") or [],
        errors=errors or {},
        submitted=submitted or {},
        cover=cover,
        paragraphs_of=drafting.paragraphs_of,
        suggested_code=drafting.suggest_code(draft),
        suggestions=suggestions,
        sdg_label=sdg.target_label,
    ), status


@bp.get("/<int:draft_id>")
def review(draft_id: int):
    return _review_page(load_or_404(ReportDraft, draft_id))


def _after(draft: ReportDraft, operation, message: str, *, anchor: str = "", scope: str = "", submitted=None):
    saved = save(operation, message)
    if (exc := saved.error) is not None:
        errors = {f"{scope}{k}": v for k, v in saved.errors("form").items()}
        if exc.field and f"{scope}{exc.field}" not in errors:
            errors[f"{scope}{exc.field}"] = exc.message
        errors.setdefault("_message", exc.message)
        draft = load_or_404(ReportDraft, draft.id)
        return _review_page(draft, errors, submitted, 409 if exc.code in ("version_conflict", "draft_closed") else 422)
    return redirect(url_for("drafts.review", draft_id=draft.id) + (f"#{anchor}" if anchor else ""))


@bp.post("/<int:draft_id>/meta")
def meta(draft_id: int):
    draft = load_or_404(ReportDraft, draft_id)
    values = {k: request.form.get(k, "") for k in drafting.META_FIELDS if k in request.form}
    return _after(
        draft,
        lambda: drafting.update_meta(draft, values, current_user, _version()),
        _("The report's fields were saved."),
        anchor="meta",
        scope="meta.",
        submitted={"meta": values},
    )


@bp.post("/<int:draft_id>/recommendations/<int(min=0):index>")
def recommendation(draft_id: int, index: int):
    draft = load_or_404(ReportDraft, draft_id)
    action = request.form.get("action", "save")
    version = _version()
    form = request.form
    if action == "save":
        op = lambda: drafting.edit_recommendation(  # noqa: E731
            draft, index, form.get("section", ""), form.get("title", ""), form.get("text", ""), current_user, version
        )
        message = _("The recommendation was saved.")
    elif action == "drop":
        op = lambda: drafting.drop_recommendation(draft, index, current_user, version)  # noqa: E731
        message = _("The recommendation was dropped from the draft.")
    elif action == "merge":
        op = lambda: drafting.merge_with_next(draft, index, current_user, version)  # noqa: E731
        message = _("The recommendation was merged with the next one.")
    elif action == "split":
        paragraph = parse_int(form.get("paragraph"), low=1) or 0
        op = lambda: drafting.split_recommendation(draft, index, paragraph, current_user, version)  # noqa: E731
        message = _("The recommendation was split in two.")
    elif action in ("up", "down"):
        offset = -1 if action == "up" else 1
        op = lambda: drafting.move_recommendation(draft, index, offset, current_user, version)  # noqa: E731
        message = _("The recommendation was moved.")
    elif action == "sdg":
        targets = [t for t in form.get("sdg", "").replace(FULLWIDTH_COMMA, ",").replace(" ", ",").split(",") if t]
        op = lambda: drafting.set_sdg(draft, index, targets, current_user, version)  # noqa: E731
        message = _("The SDG targets were saved.")
    else:
        abort(400)
    recs = draft.data.get("recommendations") or []
    submitted = {}
    if action in ("save", "sdg") and 0 <= index < len(recs):
        # Show what was typed (over the stored values) when the change is refused.
        typed = {k: form[k] for k in ("section", "title", "text", "sdg") if k in form}
        submitted = {f"rec.{index}": {**recs[index], **typed}}
    return _after(draft, op, message, anchor=f"rec-{index}", scope=f"rec.{index}.", submitted=submitted)


@bp.post("/<int:draft_id>/confirm")
def confirm(draft_id: int):
    draft = load_or_404(ReportDraft, draft_id)
    form = request.form
    saved = save(
        lambda: drafting.confirm_draft(
            draft,
            current_user,
            code=form.get("code", ""),
            title_en=form.get("title_en", ""),
            agency_en=form.get("agency_en", ""),
            destination_en=form.get("destination_en", ""),
            version=_version(),
        ),
        lambda report: _(
            "Report %(code)s was created with %(num)d recommendations.",
            code=report.code,
            num=len(report.recommendations),
        ),
    )
    if (exc := saved.error) is not None:
        errors = {f"confirm.{k}": v for k, v in saved.errors("form").items()}
        errors["_message"] = exc.message
        status = 409 if exc.code in ("version_conflict", "draft_closed") else 422
        return _review_page(load_or_404(ReportDraft, draft_id), errors, {"confirm": dict(form)}, status)
    return redirect(url_for("reports.report", report_id=saved.result.id))


@bp.post("/<int:draft_id>/discard")
def discard(draft_id: int):
    draft = load_or_404(ReportDraft, draft_id)
    saved = save(
        lambda: drafting.discard_draft(draft, current_user, _version()),
        _("The draft was discarded; nothing was created."),
        flash_error=True,
    )
    if not saved.ok:
        return redirect(url_for("drafts.review", draft_id=draft_id))
    return redirect(url_for("drafts.index"))
