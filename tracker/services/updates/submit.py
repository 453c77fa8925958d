"""Submitting, replacing and withdrawing status updates (辦理情形), and the state of one.

An item has at most one report waiting for review (docs/domain.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    Attachment,
    BudgetSource,
    Measurement,
    Review,
    ReviewDecision,
    Status,
    StatusUpdate,
    UpdateState,
    UpdateWithdrawal,
    User,
    WithdrawalKind,
)
from .. import (
    DomainError,
    PermissionDenied,
    filing,
    permissions,
    projections,
    uploads,
)
from ..audit import record_event
from .fields import (
    MAX_FILES,
    MAX_NARRATIVE,
    MAX_REASON,
    _blank,
    _bump_version,
    _check_date,
    _check_length,
    _check_measurements,
    _check_text,
    _check_url,
    _fmt,
    _raise_errors,
    _report_date,
    _text,
    local_today,
    parse_int,
)
from .proposal import _check_proposal


def live_pending(item_id: int) -> StatusUpdate | None:
    """The item's report waiting for review (at most one: docs/domain.md), or None."""
    return db.session.scalar(
        select(StatusUpdate)
        .outerjoin(Review, Review.update_id == StatusUpdate.id)
        .outerjoin(UpdateWithdrawal, UpdateWithdrawal.update_id == StatusUpdate.id)
        .where(StatusUpdate.action_item_id == item_id, Review.id.is_(None), UpdateWithdrawal.id.is_(None))
        .order_by(StatusUpdate.id.desc())
        .limit(1)
    )


class PendingExists(DomainError):
    """The item already has a report waiting for review; withdraw or replace it."""

    status_code = 409

    def __init__(self, pending: StatusUpdate):
        super().__init__(
            _(
                "A report for this item (submitted %(date)s, describing %(effective)s) is still waiting for "
                "review. Replace it with this one, or withdraw it first.",
                date=_fmt(dates.local_date(pending.submitted_at) or pending.effective_date),
                effective=_fmt(pending.effective_date),
            ),
            field="replaces_id",
            code="pending_exists",
            pending_update_id=pending.id,
        )
        self.pending = pending


def submit_update(
    item: ActionItem,
    user: User,
    *,
    status: Any,
    progress: Any,
    effective_date: Any,
    narrative: Any,
    reason: Any = "",
    evidence_url: Any = "",
    files: Sequence[uploads.IncomingFile] = (),
    measurements: Any = (),
    based_on_version: Any,
    corrects_id: Any = None,
    replaces_id: Any = None,
    proposal: dict[str, Any] | None = None,
    today: date | None = None,
) -> StatusUpdate:
    """Submit a status update (pending review) with its evidence, measurements and, where
    the department proposes them, a schedule and budget.

    An item has at most one report waiting for review: ``replaces_id`` names it to replace
    it (recorded as a withdrawal, nothing deleted). ``corrects_id`` names a returned report
    this one corrects. Raises PermissionDenied (audited as "update.denied"; the caller
    commits to keep that row), DomainError with ``errors`` {field: message} for every bad
    field at once, PendingExists (409) when another report is waiting, YearFiled when the
    date lies in a filed year, or ConflictError when the item is no longer at
    ``based_on_version``.
    """
    if not permissions.can_submit_update(user, item):
        record_event(
            "update.denied",
            user=user,
            obj=item,
            note=f"department {getattr(user, 'department_id', None)} is not the lead department",
        )
        raise PermissionDenied(_("Only editors of the lead department may submit status updates for this item."))
    today = today or local_today()
    errors: dict[str, str] = {}

    status_v: Status | None = None
    try:
        status_v = Status(
            status.value if isinstance(status, Status) else (status.strip() if isinstance(status, str) else None)
        )
    except ValueError:
        errors["status"] = _("Choose a status.")

    progress_v = None if _blank(progress) else parse_int(progress)
    if progress_v is None or not 0 <= progress_v <= 100:
        errors["progress"] = _("Enter the progress as a whole number from 0 to 100.")
    elif status_v is Status.COMPLETED and progress_v != 100:
        errors["progress"] = _("A completed item must be at 100 % progress.")

    effective = _check_date(
        effective_date, "effective_date", errors, today, _report_date(item), _("Enter the date this update describes.")
    )

    narrative_v = _check_text(narrative, "narrative", errors)
    if not narrative_v and "narrative" not in errors:
        errors["narrative"] = _("Describe what was done (辦理情形).")
    _check_length(narrative_v, MAX_NARRATIVE, "narrative", errors)

    reason_v = _check_text(reason, "reason", errors)
    if status_v is Status.NOT_FEASIBLE and not reason_v and "reason" not in errors:
        errors["reason"] = _("Explain why the item is not feasible.")
    _check_length(reason_v, MAX_REASON, "reason", errors)

    url = _check_url(evidence_url, errors)

    checked: list[uploads.CheckedFile] = []
    problems: list[str] = []
    if len(files) > MAX_FILES:
        problems.append(_("Attach at most %(n)d files.", n=MAX_FILES))
    else:
        for incoming in files:
            try:
                checked.append(uploads.check_file(incoming))
            except uploads.UploadRefused as exc:
                problems.append(str(exc))
    if problems:
        errors["files"] = " ".join(problems)

    if (
        status_v is Status.COMPLETED
        and not checked
        and not url
        and "files" not in errors
        and "evidence_url" not in errors
    ):
        errors["evidence"] = _("A completed item needs at least one evidence file or link.")

    clean_measurements = _check_measurements(measurements, item, today, errors)
    proposed = _check_proposal(proposal or {}, item, errors)

    corrects: StatusUpdate | None = None
    if not _blank(corrects_id):
        cid = parse_int(corrects_id)
        corrects = db.session.get(StatusUpdate, cid) if cid is not None else None
        if corrects is None or corrects.action_item_id != item.id:
            errors["corrects_id"] = _("The update to correct does not belong to this item.")
            corrects = None

    version = parse_int(based_on_version)
    if version is None:
        errors["version"] = _("Give the item version your update is based on.")

    pending = live_pending(item.id)
    replaces: StatusUpdate | None = None
    if not _blank(replaces_id):
        rid = parse_int(replaces_id)
        if pending is None or rid != pending.id:
            errors["replaces_id"] = _(
                "Only the report that is waiting for review can be replaced; it has "
                "been reviewed or withdrawn in the meantime."
            )
        else:
            replaces = pending
    _raise_errors(errors)
    assert status_v is not None and progress_v is not None and effective is not None and version is not None
    _bump_version(item, version)  # a stale version is a conflict first (nothing is written: the caller rolls back)
    if pending is not None and replaces is None:
        raise PendingExists(pending)
    filing.ensure_year_open(item, effective)

    su = StatusUpdate(
        action_item=item,
        status=status_v,
        progress=progress_v,
        effective_date=effective,
        narrative=narrative_v,
        reason=reason_v,
        evidence_url=url,
        based_on_version=version,
        corrects=corrects or replaces,
        department_id=item.lead_department_id,
        submitted_by=user,
        # A new record has no review or withdrawal and only the evidence added below: known
        # here, so reading them back (the API's answer) costs no query.
        review=None,
        withdrawal=None,
        attachments=[],
        measurements=[],
        **proposed,
    )
    db.session.add(su)
    db.session.flush()
    if replaces is not None:
        db.session.add(
            UpdateWithdrawal(
                update_id=replaces.id, kind=WithdrawalKind.REPLACED, replaced_by_id=su.id, withdrawn_by_id=user.id
            )
        )
    for cf in checked:
        stored = uploads.store(cf, db.session)
        db.session.add(
            Attachment(
                update=su,
                original_name=cf.original_name,
                stored_name=stored,
                content_type=cf.file_type.content_type,
                size=cf.size,
                sha256=cf.sha256,
                uploaded_by_id=user.id,
            )
        )
    for m in clean_measurements:
        db.session.add(
            Measurement(
                indicator_id=m.indicator_id,
                value=m.value,
                measured_on=m.measured_on,
                source_note=m.source_note,
                update=su,
                recorded_by_id=user.id,
            )
        )
    db.session.flush()
    # Nothing changes in the periods before the data dates of this report and of the
    # report it corrects or replaces.
    since = min(d.effective_date for d in (su, corrects, replaces) if d is not None)
    projections.touch([item.id], since=since)
    record_event(
        "update.submit",
        user=user,
        obj=su,
        after={
            "item": item.code,
            "status": status_v.value,
            "progress": progress_v,
            "effective_date": effective.isoformat(),
            "based_on_version": version,
            "corrects_id": su.corrects_id,
            "replaces_id": replaces.id if replaces is not None else None,
            "attachments": [{"name": cf.original_name, "sha256": cf.sha256, "size": cf.size} for cf in checked],
            "measurements": len(clean_measurements),
            "evidence_url": url,
            **{
                k: (
                    v.isoformat()
                    if isinstance(v, date)
                    else v.value
                    if isinstance(v, BudgetSource)
                    else str(v)
                    if isinstance(v, Decimal)
                    else v
                )
                for k, v in proposed.items()
                if v not in (None, "")
            },
        },
    )
    return su


def withdraw_update(
    update: StatusUpdate, user: User, *, reason: Any = "", based_on_version: Any = None
) -> UpdateWithdrawal:
    """Take back a report that waits for review, or a returned one the department will not
    correct (recorded; the report stays in the history and no longer waits for a correction).
    Raises PermissionDenied (audited), DomainError (already reviewed or withdrawn) or
    ConflictError."""
    item = update.action_item
    if not permissions.can_submit_update(user, item):
        record_event("update.withdraw_denied", user=user, obj=update)
        raise PermissionDenied(_("Only editors of the lead department may withdraw its reports."))
    reason_v = _text(reason)
    errors: dict[str, str] = {}
    _check_length(reason_v, MAX_REASON, "reason", errors)
    _raise_errors(errors)
    if update.review is not None and update.review.decision is ReviewDecision.APPROVE:
        raise DomainError(
            _("This report has already been approved; it can no longer be withdrawn."), code="already_approved"
        )
    if update.withdrawal is not None:
        raise DomainError(_("This report was already withdrawn."), code="already_withdrawn")
    if update.review is not None and db.session.scalar(
        select(func.count()).select_from(StatusUpdate).where(StatusUpdate.corrects_id == update.id)
    ):
        raise DomainError(
            _("This returned report has already been corrected; there is nothing to withdraw."),
            code="already_corrected",
        )
    version = parse_int(based_on_version) if not _blank(based_on_version) else item.version
    if version is None:
        raise DomainError(_("Give the item version your change is based on."), field="version")
    _bump_version(item, version)
    row = UpdateWithdrawal(update_id=update.id, kind=WithdrawalKind.WITHDRAWN, reason=reason_v, withdrawn_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    projections.touch([item.id], since=update.effective_date)
    record_event(
        "update.withdraw",
        user=user,
        obj=update,
        after={
            "item": item.code,
            "effective_date": update.effective_date.isoformat(),
            "reason": reason_v,
            "returned": update.review is not None,
        },
    )
    return row


def update_state(su: StatusUpdate) -> UpdateState:
    """Submitted until reviewed or withdrawn; then approved, returned, withdrawn or replaced
    (a returned report the department withdrew instead of correcting is withdrawn)."""
    if su.review is not None and su.review.decision is ReviewDecision.APPROVE:
        return UpdateState.APPROVED
    if su.review is not None and su.withdrawal is None:
        return UpdateState.RETURNED
    if su.withdrawal is not None:
        return UpdateState.REPLACED if su.withdrawal.kind is WithdrawalKind.REPLACED else UpdateState.WITHDRAWN
    return UpdateState.SUBMITTED


def update_state_reviewed(su: StatusUpdate) -> UpdateState:
    """The state a reviewed report had before any later withdrawal."""
    return UpdateState.APPROVED if su.review.decision is ReviewDecision.APPROVE else UpdateState.RETURNED
