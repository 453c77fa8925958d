"""Writing an item's history from the browser: status updates (with the conflict screen),
notes, evidence downloads, and the item's timeline."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..inputs import get_by_id, load_or_404, parse_id, parse_int
from ..models import ActionItem, Attachment, StatusUpdate
from ..services import ConflictError, DomainError, NotFound, PermissionDenied, permissions, progress, updates, uploads
from .forms import NoteForm, UpdateForm, WithdrawForm, apply_errors

bp = Blueprint("actions", __name__)


# Operation error keys that have no field of the same name on the form.
UPDATE_ALIASES = {"evidence": "files", "based_on_version": "version"}


def _incoming_files() -> list[uploads.IncomingFile]:
    """Uploaded files, read up to one byte past the limit (enough to refuse an oversized one)."""
    limit = int(current_app.config.get("MAX_UPLOAD_BYTES") or 0)
    files = []
    for fs in request.files.getlist("files"):
        if not fs or not fs.filename:
            continue
        files.append(uploads.IncomingFile(fs.filename, fs.stream.read(limit + 1)))
    return files


def _unstage(tickets: list[str]) -> tuple[list[uploads.IncomingFile], list[str]]:
    files, kept = [], []
    for ticket in tickets:
        incoming = uploads.unstage(ticket, current_user.id, db.session)
        if incoming is not None:
            files.append(incoming)
            kept.append(ticket)
    return files, kept


def _stage_good(new_files: list[uploads.IncomingFile], notes: list[str] | None = None) -> list[str]:
    """Park the new files that pass their checks, so a re-shown form does not lose them.

    A file the bounded staging space cannot take is not kept; ``notes`` gets a message
    asking for it again."""
    tickets = []
    for incoming in new_files:
        try:
            tickets.append(uploads.stage(uploads.check_file(incoming), current_user.id))
        except uploads.StagingFull as exc:
            if notes is not None:
                notes.append(str(exc))
        except uploads.UploadRefused:
            continue
    return tickets


def _measurement_rows(form: UpdateForm, item) -> None:  # noqa: ANN001
    """One row per indicator linked to the item (a blank row records nothing)."""
    if request.method == "POST":
        return
    while form.measurements.entries:
        form.measurements.pop_entry()
    for ind in item.indicators:
        form.measurements.append_entry({"indicator_id": str(ind.id)})


def _map_measurement_errors(form: UpdateForm, errors: dict[str, str]) -> dict[str, str]:
    """Operation rows skip blank form rows; renumber "measurements.N..." to the form's rows."""
    index = form.measurement_index()
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "measurements" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(index.get(int(parts[1]), parts[1]))
            if len(parts) == 2:
                parts.append("value")
        out[".".join(parts)] = message
    return out


def _prefill_from(form: UpdateForm, corrects: StatusUpdate, *, correction: bool = True) -> None:
    """A correction starts from everything the report it corrects said: its data date (not
    today), status, progress, narrative, reason, link, measurements and proposed schedule
    and budget. Evidence files must be attached again (the form says so). A replacement of
    the report waiting for review starts from that report the same way (``correction``
    False: it is recorded as replacing it, not as correcting it)."""
    if correction:
        form.corrects_id.data = str(corrects.id)
    form.status.data = corrects.status.value
    form.progress.data = str(corrects.progress)
    form.effective_date.data = corrects.effective_date.isoformat()
    form.narrative.data = corrects.narrative
    form.reason.data = corrects.reason
    form.evidence_url.data = corrects.evidence_url
    by_indicator = {m.indicator_id: m for m in sorted(corrects.measurements, key=lambda m: m.id)}
    for entry in form.measurements.entries:
        sub = entry.form
        m = by_indicator.get(parse_int(sub.indicator_id.data or ""))
        if m is not None:
            sub.value.data = format(m.value.normalize(), "f")
            sub.measured_on.data = m.measured_on.isoformat()
            sub.source_note.data = m.source_note
    for name in ("proposed_start_date", "proposed_due_date"):
        if name in form and getattr(corrects, name) is not None:
            form[name].data = getattr(corrects, name).isoformat()
    if "proposed_budget_amount" in form and corrects.proposed_budget_amount is not None:
        form.proposed_budget_amount.data = str(int(corrects.proposed_budget_amount))
    if "proposed_budget_source" in form and corrects.proposed_budget_source is not None:
        form.proposed_budget_source.data = corrects.proposed_budget_source.value
    if "proposed_budget_note" in form and corrects.proposed_budget_note:
        form.proposed_budget_note.data = corrects.proposed_budget_note


@bp.route("/items/<int:item_id>/updates/new", methods=["GET", "POST"])
def new_update(item_id: int):
    """The status update form. 403 unless the user edits for the lead department."""
    item = load_or_404(ActionItem, item_id)
    if not permissions.can_submit_update(current_user, item):
        abort(403)  # logged by the 403 audit hook
    form = UpdateForm()
    _measurement_rows(form, item)
    today = updates.local_today()
    status_code = 200
    conflict = None
    staged: list[str] = []
    leftover: list[str] = []
    corrects = None
    pending = updates.live_pending(item.id)

    if request.method == "GET":
        form.version.data = str(item.version)
        form.replaces_id.data = str(pending.id) if pending is not None else ""
        form.effective_date.data = today.isoformat()
        if request.args.get("corrects"):
            corrects = get_by_id(StatusUpdate, request.args["corrects"])
            if corrects is None or corrects.action_item_id != item.id:
                abort(404)
            _prefill_from(form, corrects)
        elif pending is not None:
            _prefill_from(form, pending, correction=False)
    elif form.validate_on_submit():
        new_files = _incoming_files()
        staged_files, staged = _unstage(request.form.getlist("staged"))
        values = form.operation_values()
        try:
            su = updates.submit_update(item, current_user, files=staged_files + new_files, today=today, **values)
        except PermissionDenied:
            db.session.commit()  # keep the "update.denied" audit row
            g.denial_logged = True
            abort(403)
        except ConflictError as exc:
            db.session.rollback()
            conflict = {
                "based_on": values["based_on_version"],
                "current": exc.current_version,
                "changes": updates.changes_since(item, parse_int(values["based_on_version"]) or 0),
                "state": progress.item_states([item], today)[item.id],
            }
            form.version.data = str(exc.current_version)
            pending = updates.live_pending(item.id)
            form.replaces_id.data = str(pending.id) if pending is not None else ""
            staged += _stage_good(new_files, leftover)
            status_code = 409
        except DomainError as exc:
            db.session.rollback()
            pending = updates.live_pending(item.id)
            form.replaces_id.data = str(pending.id) if pending is not None else ""
            errors = exc.extra.get("errors") or {exc.field or "": exc.message}
            leftover = apply_errors(form, _map_measurement_errors(form, errors), UPDATE_ALIASES)
            staged += _stage_good(new_files, leftover)
            status_code = 422
        else:
            db.session.commit()
            flash(_("Your update was submitted and awaits review."), "success")
            return redirect(url_for("actions.history", item_id=item.id, _anchor=f"update-{su.id}"))
        if form.corrects_id.data:
            corrects = get_by_id(StatusUpdate, form.corrects_id.data)
    else:
        status_code = 400

    indicators = {str(ind.id): ind for ind in item.indicators}
    state = progress.item_states([item], today)[item.id]
    return render_template(
        "actions/update_form.html",
        item=item,
        form=form,
        indicators=indicators,
        state=state,
        conflict=conflict,
        staged=[(t, uploads.staged_name(t)) for t in staged],
        leftover=leftover,
        corrects=corrects,
        pending=pending,
        today=today,
        accept=",".join(uploads.ALLOWED_EXTENSIONS),
        propose_schedule=updates.can_propose_schedule(item),
        propose_budget=updates.can_propose_budget(item),
        max_mb=int(current_app.config.get("MAX_UPLOAD_BYTES", 0)) // (1024 * 1024),
    ), status_code


@bp.route("/items/<int:item_id>/notes/new", methods=["GET", "POST"])
def new_note(item_id: int):
    """A note from the lead or a supporting department. 403 for anyone else."""
    item = load_or_404(ActionItem, item_id)
    if not permissions.can_add_note(current_user, item):
        abort(403)
    form = NoteForm()
    today = updates.local_today()
    status_code = 200
    leftover: list[str] = []
    if request.method == "GET":
        form.effective_date.data = today.isoformat()
        if request.args.get("corrects"):
            corrects_id = parse_id(request.args["corrects"])
            if corrects_id is None:
                abort(404)
            form.corrects_id.data = str(corrects_id)
    elif form.validate_on_submit():
        try:
            note = updates.add_note(
                item,
                current_user,
                form.body.data,
                form.effective_date.data,
                corrects_id=form.corrects_id.data or None,
                today=today,
            )
        except PermissionDenied:
            db.session.commit()
            g.denial_logged = True
            abort(403)
        except DomainError as exc:
            db.session.rollback()
            leftover = apply_errors(form, exc.extra.get("errors") or {exc.field or "": exc.message})
            status_code = 422
        else:
            db.session.commit()
            flash(_("Your note was added."), "success")
            return redirect(url_for("actions.history", item_id=item.id, _anchor=f"note-{note.id}"))
    else:
        status_code = 400
    return render_template("actions/note_form.html", item=item, form=form, leftover=leftover), status_code


@bp.post("/items/<int:item_id>/updates/<int:update_id>/withdraw")
def withdraw_update(item_id: int, update_id: int):
    """Take back a report that waits for review, or a returned one the department will not
    correct (recorded; the report stays in the history). 403 unless the user edits for the
    lead department."""
    item = load_or_404(ActionItem, item_id)
    try:
        su = updates.get_update(item.id, update_id)
    except NotFound:
        abort(404)
    if not permissions.can_submit_update(current_user, item):
        abort(403)
    form = WithdrawForm()
    back = url_for("actions.history", item_id=item.id, _anchor=f"update-{su.id}")
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(back)
    try:
        updates.withdraw_update(su, current_user, reason=form.reason.data or "", based_on_version=form.version.data)
    except PermissionDenied:
        db.session.commit()
        g.denial_logged = True
        abort(403)
    except ConflictError:
        db.session.rollback()
        flash(_("This item changed while you were looking at it; check the history below and try again."), "error")
        return redirect(back)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("Report #%(id)s was withdrawn; it stays in the history.", id=su.id), "success")
    return redirect(back)


@bp.get("/items/<int:item_id>/history")
def history(item_id: int):
    """The item's timeline: updates with their review, notes and tracking decisions."""
    item = load_or_404(ActionItem, item_id)
    today = updates.local_today()
    return render_template(
        "actions/history.html",
        item=item,
        timeline=updates.item_timeline(item),
        state=progress.item_states([item], today)[item.id],
        can_update=permissions.can_submit_update(current_user, item),
        can_note=permissions.can_add_note(current_user, item),
    )


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """Download an evidence file: always as an attachment, with its checked type and nosniff."""
    att = load_or_404(Attachment, attachment_id)
    if not permissions.can_read(current_user):
        abort(403)
    try:
        path = uploads.stored_path(att.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    resp = send_file(
        path,
        mimetype=att.content_type,
        as_attachment=True,
        download_name=att.original_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    # The stored type already names its charset (text/csv; charset=utf-8): say it once.
    resp.headers["Content-Type"] = att.content_type
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
