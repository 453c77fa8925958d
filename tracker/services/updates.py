"""Writing an item's history: status updates (辦理情形), notes, administrator edits; and the
reads that show that history (timeline, the department's work list, conflicts).

``submit_update`` is the one operation behind both the web form and the API, so both
refuse the same input with the same messages. Every field is checked before anything
is written; all problems are raised together as ``DomainError(errors={field: message})``.

No lost update: a write names the item version it was based on and bumps it with one
guarded ``UPDATE ... WHERE version = :v``; a concurrent writer's UPDATE then matches no
row and gets ``ConflictError``. This holds on SQLite (writers serialise on the database
lock) and on PostgreSQL (the second UPDATE waits for the row lock, then re-checks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import dates, inputs
from ..extensions import db
from ..inputs import bidi_message, has_bidi_control
from ..models import (
    ActionItem,
    Attachment,
    BudgetSource,
    Department,
    ItemNote,
    Measurement,
    Recommendation,
    Report,
    Review,
    ReviewDecision,
    Status,
    StatusUpdate,
    TrackingDecision,
    UpdateState,
    UpdateWithdrawal,
    User,
    WithdrawalKind,
    utcnow,
)
from . import (
    ConflictError,
    DomainError,
    NotFound,
    PermissionDenied,
    filing,
    permissions,
    projections,
    uploads,
)
from .audit import record_event

MAX_NARRATIVE = 10000
MAX_REASON = 5000
MAX_URL = 2000
MAX_NOTE = 10000
MAX_SOURCE_NOTE = 2000
MAX_MEASUREMENTS = 50
MAX_FILES = 10
VALUE_LIMIT = Decimal("1e15")


def local_today() -> date:
    """Today in Tainan: the 'future' in every date rule is judged on Asia/Taipei's calendar."""
    return dates.today()


# --- parsing helpers (shared by every operation here; inputs may be strings or typed) ----------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _check_text(value: Any, key: str, errors: dict[str, str]) -> str:
    """A text field: a string (or nothing), without text-direction controls. A JSON list or
    object is refused, not stored as its Python spelling."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Send this field as text.")
        return ""
    if has_bidi_control(value):
        errors[key] = bidi_message()
    return value.strip()


def parse_date(value: Any) -> date | None:
    """A date from a date or what officials type (107/12/31, 1071231, 2018-12-31 ...); None
    if it is neither (tracker.dates.parse_date)."""
    return dates.parse_date(value)


def parse_int(value: Any) -> int | None:
    """An int, or a string of ASCII digits, within the database's integer range; else None."""
    return inputs.parse_int(value)


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not isinstance(value, (str, int, float, Decimal)):
        return None
    text = str(value).strip().replace(",", "") if isinstance(value, str) else str(value)
    # ASCII digits and a short exponent: Decimal() also reads Unicode digits and 1e-999999.
    if not text or not re.fullmatch(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        return None
    return number


def _check_date(
    value: Any, key: str, errors: dict[str, str], today: date, earliest: date | None, missing_msg: str
) -> date | None:
    if _blank(value):
        errors[key] = missing_msg
        return None
    d = parse_date(value)
    if d is None:
        errors[key] = _(
            "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
            value=str(value).strip()[:40],
        )
        return None
    if d > today:
        errors[key] = _(
            "%(date)s is after today (%(today)s): a report describes what has happened.",
            date=_fmt(d),
            today=_fmt(today),
        )
        return None
    if earliest is not None and d < earliest:
        errors[key] = _("The date cannot be before the report date (%(date)s).", date=_fmt(earliest))
        return None
    return d


def _fmt(day: date) -> str:
    from ..locale import current_locale, format_date

    try:
        return format_date(day, current_locale())
    except RuntimeError:
        return day.isoformat()


def _check_url(value: Any, errors: dict[str, str]) -> str:
    url = _check_text(value, "evidence_url", errors)
    if not url or "evidence_url" in errors:
        return ""
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() for ch in url)
    ):
        errors["evidence_url"] = _("Enter a web address starting with http:// or https://.")
        return ""
    return url


def _check_length(value: str, limit: int, key: str, errors: dict[str, str]) -> None:
    if len(value) > limit and key not in errors:
        errors[key] = _("Use at most %(n)d characters.", n=limit)


def _raise_errors(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
        raise DomainError(message, field=first, code="invalid", errors=errors)


def _bump_version(item: ActionItem, based_on_version: int) -> None:
    """Atomically move the item from ``based_on_version`` to the next. Raises ConflictError."""
    now = utcnow()
    result = db.session.execute(
        update(ActionItem)
        .where(ActionItem.id == item.id, ActionItem.version == based_on_version)
        .values(version=ActionItem.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(ActionItem.version).where(ActionItem.id == item.id))
        raise ConflictError(
            _("Someone else changed this item after you opened it: reload it, check the change and try again."),
            current_version=current,
        )
    # The guarded UPDATE matched: the row now holds exactly these values (no read back).
    set_committed_value(item, "version", based_on_version + 1)
    set_committed_value(item, "updated_at", now)


def _report_date(item: ActionItem) -> date | None:
    return db.session.scalar(
        select(Report.report_date)
        .join(Recommendation, Recommendation.report_id == Report.id)
        .where(Recommendation.id == item.recommendation_id)
    )


# --- status updates ---------------------------------------------------------------------------


@dataclass
class _CleanMeasurement:
    indicator_id: int
    value: Decimal
    measured_on: date
    source_note: str


def _check_measurements(raw: Any, item: ActionItem, today: date, errors: dict[str, str]) -> list[_CleanMeasurement]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, (list, tuple)):
        errors["measurements"] = _("Give the measurements as a list.")
        return []
    if len(raw) > MAX_MEASUREMENTS:
        errors["measurements"] = _("Give at most %(n)d measurements.", n=MAX_MEASUREMENTS)
        return []
    linked = {ind.id for ind in item.indicators}
    clean = []
    for i, entry in enumerate(raw):
        key = f"measurements.{i}"
        if not isinstance(entry, dict):
            errors[key] = _("Each measurement needs an indicator, a value and a date.")
            continue
        ind_id = parse_int(entry.get("indicator_id"))
        if ind_id is None or ind_id not in linked:
            errors[f"{key}.indicator_id"] = _("Choose an indicator linked to this item.")
        value_raw = entry.get("value")
        value = None if _blank(value_raw) else parse_decimal(value_raw)
        if _blank(value_raw):
            errors[f"{key}.value"] = _("Enter the measured value.")
        elif value is None:
            errors[f"{key}.value"] = _("Enter the value as a number, e.g. 42 or 3.5.")
        measured_on = _check_date(
            entry.get("measured_on"), f"{key}.measured_on", errors, today, None, _("Enter the date of the measurement.")
        )
        note = _check_text(entry.get("source_note"), f"{key}.source_note", errors)
        _check_length(note, MAX_SOURCE_NOTE, f"{key}.source_note", errors)
        if ind_id in linked and value is not None and measured_on is not None:
            clean.append(_CleanMeasurement(ind_id, value, measured_on, note))
    return clean


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


def _check_proposal(values: dict[str, Any], item: ActionItem, errors: dict[str, str]) -> dict[str, Any]:
    """The schedule and budget a report proposes (all optional)."""
    out: dict[str, Any] = {
        "proposed_start_date": None,
        "proposed_due_date": None,
        "proposed_budget_amount": None,
        "proposed_budget_source": None,
        "proposed_budget_note": "",
    }
    for key in ("proposed_start_date", "proposed_due_date"):
        raw = values.get(key)
        if _blank(raw):
            continue
        day = parse_date(raw)
        if day is None:
            errors[key] = _(
                "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
                value=str(raw).strip()[:40],
            )
        else:
            out[key] = day
    start, due = out["proposed_start_date"], out["proposed_due_date"]
    if start and due and due < start:
        errors["proposed_due_date"] = _("The due date cannot be before the start date.")
    # Proposed only while the item has none: once approved, the schedule and budget are
    # changed by the commission's administrators, not by a report.
    if (start or due) and not can_propose_schedule(item):
        key = "proposed_due_date" if due else "proposed_start_date"
        errors.setdefault(
            key,
            _(
                "This item already has a schedule (%(period)s); ask the commission to change it.",
                period=_schedule_text(item),
            ),
        )
    raw_amount = values.get("proposed_budget_amount")
    if not _blank(raw_amount):
        amount = parse_decimal(raw_amount)
        if amount is None or amount < 0 or amount != amount.to_integral_value():
            errors["proposed_budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
        else:
            out["proposed_budget_amount"] = amount
    raw_source = _text(values.get("proposed_budget_source"))
    if raw_source:
        try:
            out["proposed_budget_source"] = BudgetSource(raw_source)
        except ValueError:
            errors["proposed_budget_source"] = _("Choose the source of the budget.")
    if (
        out["proposed_budget_amount"] is not None
        and out["proposed_budget_source"] is None
        and "proposed_budget_source" not in errors
    ):
        errors["proposed_budget_source"] = _("Choose the source of the budget.")
    note = _text(values.get("proposed_budget_note"))
    _check_length(note, 2000, "proposed_budget_note", errors)
    out["proposed_budget_note"] = note
    if (
        out["proposed_budget_amount"] is not None or out["proposed_budget_source"] is not None
    ) and not can_propose_budget(item):
        errors.setdefault(
            "proposed_budget_amount", _("This item already has a budget; ask the commission to change it.")
        )
    if note and out["proposed_budget_amount"] is None and "proposed_budget_amount" not in errors:
        errors["proposed_budget_amount"] = _("Enter the proposed budget the note explains.")
    return out


def can_propose_schedule(item: ActionItem) -> bool:
    """The lead department proposes a schedule (執行期程) while the item has none."""
    return item.start_date is None and item.due_date is None


def can_propose_budget(item: ActionItem) -> bool:
    """... and a budget (經費) while the item has none."""
    return item.budget_amount is None


def _schedule_text(item: ActionItem) -> str:
    return " – ".join(_fmt(d) if d else "…" for d in (item.start_date, item.due_date))


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


# --- notes ---------------------------------------------------------------------------------------


def add_note(
    item: ActionItem, user: User, body: Any, effective_date: Any, *, corrects_id: Any = None, today: date | None = None
) -> ItemNote:
    """A note from the lead or a supporting department. Raises PermissionDenied (audited) or DomainError.

    Notes do not bump the item version: they cannot overwrite a status, so they must not
    make a department's status update conflict.
    """
    if not permissions.can_add_note(user, item):
        record_event(
            "note.denied",
            user=user,
            obj=item,
            note=f"department {getattr(user, 'department_id', None)} neither leads nor supports",
        )
        raise PermissionDenied(_("Only editors of the lead or a supporting department may add notes to this item."))
    today = today or local_today()
    errors: dict[str, str] = {}
    body_v = _check_text(body, "body", errors)
    if not body_v and "body" not in errors:
        errors["body"] = _("Write the note.")
    _check_length(body_v, MAX_NOTE, "body", errors)
    effective = _check_date(
        effective_date, "effective_date", errors, today, _report_date(item), _("Enter the date this note describes.")
    )
    corrects = None
    if not _blank(corrects_id):
        cid = parse_int(corrects_id)
        corrects = db.session.get(ItemNote, cid) if cid is not None else None
        if corrects is None or corrects.action_item_id != item.id:
            errors["corrects_id"] = _("The note to correct does not belong to this item.")
    _raise_errors(errors)
    note = ItemNote(
        action_item=item,
        department_id=user.department_id,
        author=user,
        body=body_v,
        effective_date=effective,
        corrects_id=corrects.id if corrects else None,
    )
    db.session.add(note)
    db.session.flush()
    record_event(
        "note.add",
        user=user,
        obj=note,
        after={
            "item": item.code,
            "effective_date": effective.isoformat(),
            "corrects_id": note.corrects_id,
            "length": len(body_v),
        },
    )
    return note


# --- administrator edits of an item -----------------------------------------------------------

ITEM_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "lead_department_id",
    "supporting_department_ids",
    "weight",
    "start_date",
    "due_date",
    "budget_amount",
    "budget_source",
    "budget_note",
)


def _item_summary(item: ActionItem) -> dict[str, Any]:
    return {
        "title_zh": item.title_zh,
        "title_en": item.title_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "lead_department": item.lead_department.code if item.lead_department else None,
        "supporting_departments": sorted(d.code for d in item.supporting_departments),
        "weight": str(item.weight) if item.weight is not None else None,
        "start_date": item.start_date.isoformat() if item.start_date else None,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "budget_amount": str(item.budget_amount) if item.budget_amount is not None else None,
        "budget_source": item.budget_source.value if item.budget_source else None,
        "budget_note": item.budget_note,
    }


def edit_item(item: ActionItem, actor: User, values: dict[str, Any], *, based_on_version: Any) -> ActionItem:
    """Change an item's description, departments, weight, schedule or budget (administrators).

    Raises PermissionDenied, DomainError (``errors`` by field) or ConflictError.
    """
    if not permissions.can_administer(actor):
        record_event("item.denied", user=actor, obj=item)
        raise PermissionDenied()
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in ("title_zh", "title_en"):
        clean[key] = _check_text(values.get(key), key, errors)
        if not clean[key] and key not in errors:
            errors[key] = _("Enter the title.")
        _check_length(clean[key], 300, key, errors)
    for key in ("description_zh", "description_en"):
        clean[key] = _check_text(values.get(key), key, errors)
        _check_length(clean[key], 20000, key, errors)

    depts = {d.id: d for d in db.session.scalars(select(Department))}
    lead_id = parse_int(values.get("lead_department_id"))
    if lead_id not in depts:
        errors["lead_department_id"] = _("Choose the lead department.")
    elif not depts[lead_id].active and lead_id != item.lead_department_id:
        errors["lead_department_id"] = _("Department %(code)s is deactivated.", code=depts[lead_id].code)
    raw_support = values.get("supporting_department_ids") or []
    support_ids = [parse_int(v) for v in (raw_support if isinstance(raw_support, (list, tuple)) else [raw_support])]
    current_support = {d.id for d in item.supporting_departments}
    if any(s not in depts for s in support_ids):
        errors["supporting_department_ids"] = _("Choose supporting departments from the list.")
    elif lead_id in support_ids:
        errors["supporting_department_ids"] = _("The lead department cannot also be a supporting department.")
    elif any(not depts[s].active and s not in current_support for s in support_ids):
        errors["supporting_department_ids"] = _("Deactivated departments cannot be added.")

    weight = parse_decimal(values.get("weight"))
    if weight is None or weight <= 0 or weight >= 100000:
        errors["weight"] = _("Enter a weight greater than 0 (1 is the default).")
    elif weight != weight.quantize(Decimal("0.001")):
        errors["weight"] = _("Use at most three decimals.")

    days: dict[str, date | None] = {}
    for key in ("start_date", "due_date"):
        raw = values.get(key)
        days[key] = None if _blank(raw) else parse_date(raw)
        if not _blank(raw) and days[key] is None:
            errors[key] = _("Enter a real date as YYYY-MM-DD.")
    if days["start_date"] and days["due_date"] and days["due_date"] < days["start_date"]:
        errors["due_date"] = _("The due date cannot be before the start date.")

    amount_raw = values.get("budget_amount")
    amount = None if _blank(amount_raw) else parse_decimal(amount_raw)
    if not _blank(amount_raw) and (amount is None or amount < 0 or amount != amount.to_integral_value()):
        errors["budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
    source_raw = _text(values.get("budget_source"))
    source = None
    if source_raw:
        try:
            source = BudgetSource(source_raw)
        except ValueError:
            errors["budget_source"] = _("Choose the source of the budget.")
    if amount is not None and source is None and "budget_source" not in errors:
        errors["budget_source"] = _("Choose the source of the budget.")
    budget_note = _check_text(values.get("budget_note"), "budget_note", errors)
    _check_length(budget_note, 2000, "budget_note", errors)
    version = parse_int(based_on_version)
    if version is None:
        errors["version"] = _("Give the item version your change is based on.")
    _raise_errors(errors)

    before = _item_summary(item)
    _bump_version(item, version)
    for key in ("title_zh", "title_en", "description_zh", "description_en"):
        setattr(item, key, clean[key])
    item.lead_department = depts[lead_id]
    item.supporting_departments = sorted((depts[s] for s in set(support_ids)), key=lambda d: d.code)
    item.weight = weight
    item.start_date, item.due_date = days["start_date"], days["due_date"]
    item.budget_amount = amount
    item.budget_source = source
    item.budget_note = budget_note
    db.session.flush()
    projections.touch([item.id])
    after = _item_summary(item)
    changed = [k for k in after if after[k] != before[k]]
    record_event(
        "item.edit",
        user=actor,
        obj=item,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed} | {"version": item.version},
    )
    return item


# --- reads -----------------------------------------------------------------------------------


def get_item(item_id: int) -> ActionItem:
    """The action item. Raises NotFound."""
    item = db.session.get(ActionItem, item_id)
    if item is None:
        raise NotFound(_("No such action item."))
    return item


def _history_options() -> list:
    # One row per update carries its review, reviewer, withdrawal, author and department
    # (joins); files and measurements come in one statement each.
    return [
        joinedload(StatusUpdate.review).joinedload(Review.reviewer),
        joinedload(StatusUpdate.withdrawal),
        selectinload(StatusUpdate.attachments),
        selectinload(StatusUpdate.measurements).joinedload(Measurement.indicator),
        joinedload(StatusUpdate.submitted_by),
        joinedload(StatusUpdate.department),
    ]


def item_updates(item_id: int) -> list[StatusUpdate]:
    """Every update of an item, newest first, with reviews, files and measurements (fixed statements)."""
    return list(
        db.session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.action_item_id == item_id)
            .options(*_history_options())
            .order_by(StatusUpdate.id.desc())
        )
    )


def get_update(item_id: int, update_id: int) -> StatusUpdate:
    """One update of the item. Raises NotFound."""
    su = db.session.scalar(
        select(StatusUpdate)
        .where(StatusUpdate.id == update_id, StatusUpdate.action_item_id == item_id)
        .options(*_history_options())
    )
    if su is None:
        raise NotFound(_("No such status update."))
    return su


@dataclass
class TimelineEntry:
    kind: str  # "update", "note" or "decision"
    effective_date: date
    recorded_at: datetime
    record: Any
    state: UpdateState | None = None
    corrected_by: list[int] = field(default_factory=list)


def item_timeline(item: ActionItem, as_of: date | dates.DataDates | None = None) -> list[TimelineEntry]:
    """Updates (with review state), notes and tracking decisions, newest first (fixed statements).

    With ``as_of`` (D, K), records effective after D or recorded after K are left out and a
    review or withdrawal recorded after K does not count yet, so the history agrees with the
    official state on those dates (``cut_timeline``).
    """
    updates = item_updates(item.id)
    notes = list(
        db.session.scalars(
            select(ItemNote)
            .where(ItemNote.action_item_id == item.id)
            .options(joinedload(ItemNote.author), joinedload(ItemNote.department))
        )
    )
    decisions = list(
        db.session.scalars(
            select(TrackingDecision)
            .where(TrackingDecision.action_item_id == item.id)
            .options(joinedload(TrackingDecision.decided_by))
        )
    )
    corrected_updates: dict[int, list[int]] = {}
    for su in updates:
        if su.corrects_id:
            corrected_updates.setdefault(su.corrects_id, []).append(su.id)
    corrected_notes: dict[int, list[int]] = {}
    for n in notes:
        if n.corrects_id:
            corrected_notes.setdefault(n.corrects_id, []).append(n.id)
    entries = [
        TimelineEntry(
            "update", su.effective_date, su.submitted_at, su, update_state(su), sorted(corrected_updates.get(su.id, []))
        )
        for su in updates
    ]
    entries += [
        TimelineEntry("note", n.effective_date, n.created_at, n, None, sorted(corrected_notes.get(n.id, [])))
        for n in notes
    ]
    entries += [TimelineEntry("decision", d.effective_date, d.recorded_at, d) for d in decisions]
    entries.sort(key=lambda e: (e.effective_date, e.recorded_at), reverse=True)
    if as_of is not None:
        dd = as_of if isinstance(as_of, dates.DataDates) else dates.DataDates(as_of, local_today(), local_today())
        return cut_timeline(entries, dd)
    return entries


def cut_timeline(entries: list[TimelineEntry], dd: dates.DataDates) -> list[TimelineEntry]:
    """The timeline as known on (D, K): later records left out, later reviews and withdrawals
    not counted yet (no statement)."""
    known = dd.known_before()

    def state_on(su: StatusUpdate) -> UpdateState:
        if su.review is not None and su.review.recorded_at >= known:
            return UpdateState.SUBMITTED
        if su.review is None and su.withdrawal is not None and su.withdrawal.recorded_at >= known:
            return UpdateState.SUBMITTED
        if su.review is not None and su.withdrawal is not None and su.withdrawal.recorded_at >= known:
            return update_state_reviewed(su)
        return update_state(su)

    out = []
    for e in entries:
        if e.effective_date > dd.as_of or e.recorded_at >= known:
            continue
        state = state_on(e.record) if e.kind == "update" else e.state
        out.append(TimelineEntry(e.kind, e.effective_date, e.recorded_at, e.record, state, e.corrected_by))
    return out


def changes_since(item: ActionItem, version: int) -> list[StatusUpdate]:
    """Updates submitted after the caller loaded ``version`` (for the conflict screen)."""
    return list(
        db.session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.action_item_id == item.id, StatusUpdate.based_on_version >= version)
            .options(*_history_options())
            .order_by(StatusUpdate.id.desc())
        )
    )
