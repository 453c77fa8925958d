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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    ActionItem, Attachment, BudgetSource, Department, ItemNote, Measurement, Recommendation, Report, Review,
    ReviewDecision, Status, StatusUpdate, TrackingDecision, UpdateState, User, action_item_supporting,
    utcnow,
)
from ..models.enums import STATUS_ORDER
from . import ConflictError, DomainError, NotFound, PermissionDenied, permissions, progress, uploads
from .audit import record_event

TAIPEI = ZoneInfo("Asia/Taipei")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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
    return datetime.now(TAIPEI).date()


# --- parsing helpers (shared by every operation here; inputs may be strings or typed) ----------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date from a date or a YYYY-MM-DD string; None if it is neither."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return None


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = str(value).strip().replace(",", "") if isinstance(value, str) else str(value)
    if not text or not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        return None
    return number


def _check_date(value: Any, key: str, errors: dict[str, str], today: date, earliest: date | None,
                missing_msg: str) -> date | None:
    if _blank(value):
        errors[key] = missing_msg
        return None
    d = parse_date(value)
    if d is None:
        errors[key] = _("Enter a real date as YYYY-MM-DD.")
        return None
    if d > today:
        errors[key] = _("The date cannot be in the future.")
        return None
    if earliest is not None and d < earliest:
        errors[key] = _("The date cannot be before the report date (%(date)s).", date=earliest.isoformat())
        return None
    return d


def _check_url(value: Any, errors: dict[str, str]) -> str:
    url = _text(value)
    if not url:
        return ""
    parts = urlsplit(url)
    if (len(url) > MAX_URL or parts.scheme.lower() not in ("http", "https") or not parts.netloc
            or any(ch.isspace() for ch in url)):
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
    result = db.session.execute(
        update(ActionItem)
        .where(ActionItem.id == item.id, ActionItem.version == based_on_version)
        .values(version=ActionItem.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(ActionItem.version).where(ActionItem.id == item.id))
        raise ConflictError(
            _("This item was changed by someone else (now version %(v)s) after you opened it.", v=current),
            current_version=current,
        )
    db.session.refresh(item, ["version", "updated_at"])


def _report_date(item: ActionItem) -> date | None:
    return db.session.scalar(
        select(Report.report_date).join(Recommendation, Recommendation.report_id == Report.id)
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
        measured_on = _check_date(entry.get("measured_on"), f"{key}.measured_on", errors, today, None,
                                  _("Enter the date of the measurement."))
        note = _text(entry.get("source_note"))
        _check_length(note, MAX_SOURCE_NOTE, f"{key}.source_note", errors)
        if ind_id in linked and value is not None and measured_on is not None:
            clean.append(_CleanMeasurement(ind_id, value, measured_on, note))
    return clean


def submit_update(item: ActionItem, user: User, *, status: Any, progress: Any, effective_date: Any,
                  narrative: Any, reason: Any = "", evidence_url: Any = "",
                  files: Sequence[uploads.IncomingFile] = (), measurements: Any = (),
                  based_on_version: Any, corrects_id: Any = None, today: date | None = None) -> StatusUpdate:
    """Submit a status update (pending review) with its evidence and measurements.

    Raises PermissionDenied (audited as "update.denied"; the caller commits to keep that
    row), DomainError with ``errors`` {field: message} for every bad field at once, or
    ConflictError when the item is no longer at ``based_on_version``.
    """
    if not permissions.can_submit_update(user, item):
        record_event("update.denied", user=user, obj=item,
                     note=f"department {getattr(user, 'department_id', None)} is not the lead department")
        raise PermissionDenied(_("Only editors of the lead department may submit status updates for this item."))
    today = today or local_today()
    errors: dict[str, str] = {}

    status_v: Status | None = None
    try:
        status_v = Status(status.value if isinstance(status, Status) else _text(status))
    except ValueError:
        errors["status"] = _("Choose a status.")

    progress_v = None if _blank(progress) else parse_int(progress)
    if progress_v is None or not 0 <= progress_v <= 100:
        errors["progress"] = _("Enter the progress as a whole number from 0 to 100.")
    elif status_v is Status.COMPLETED and progress_v != 100:
        errors["progress"] = _("A completed item must be at 100 % progress.")

    effective = _check_date(effective_date, "effective_date", errors, today, _report_date(item),
                            _("Enter the date this update describes."))

    narrative_v = _text(narrative)
    if not narrative_v:
        errors["narrative"] = _("Describe what was done (辦理情形).")
    _check_length(narrative_v, MAX_NARRATIVE, "narrative", errors)

    reason_v = _text(reason)
    if status_v is Status.NOT_FEASIBLE and not reason_v:
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

    if (status_v is Status.COMPLETED and not checked and not url
            and "files" not in errors and "evidence_url" not in errors):
        errors["evidence"] = _("A completed item needs at least one evidence file or link.")

    clean_measurements = _check_measurements(measurements, item, today, errors)

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

    _raise_errors(errors)
    assert status_v is not None and progress_v is not None and effective is not None and version is not None

    _bump_version(item, version)
    su = StatusUpdate(
        action_item=item, status=status_v, progress=progress_v, effective_date=effective,
        narrative=narrative_v, reason=reason_v, evidence_url=url, based_on_version=version,
        corrects=corrects, department_id=item.lead_department_id, submitted_by=user,
    )
    db.session.add(su)
    db.session.flush()
    for cf in checked:
        stored = uploads.store(cf, db.session)
        db.session.add(Attachment(update=su, original_name=cf.original_name, stored_name=stored,
                                  content_type=cf.file_type.content_type, size=cf.size, sha256=cf.sha256,
                                  uploaded_by_id=user.id))
    for m in clean_measurements:
        db.session.add(Measurement(indicator_id=m.indicator_id, value=m.value, measured_on=m.measured_on,
                                   source_note=m.source_note, update=su, recorded_by_id=user.id))
    db.session.flush()
    record_event("update.submit", user=user, obj=su, after={
        "item": item.code, "status": status_v.value, "progress": progress_v,
        "effective_date": effective.isoformat(), "based_on_version": version, "corrects_id": su.corrects_id,
        "attachments": [{"name": cf.original_name, "sha256": cf.sha256, "size": cf.size} for cf in checked],
        "measurements": len(clean_measurements), "evidence_url": url,
    })
    return su


def update_state(su: StatusUpdate) -> UpdateState:
    """Submitted until a review exists; then approved or returned."""
    if su.review is None:
        return UpdateState.SUBMITTED
    return UpdateState.APPROVED if su.review.decision is ReviewDecision.APPROVE else UpdateState.RETURNED


# --- notes ---------------------------------------------------------------------------------------

def add_note(item: ActionItem, user: User, body: Any, effective_date: Any, *, corrects_id: Any = None,
             today: date | None = None) -> ItemNote:
    """A note from the lead or a supporting department. Raises PermissionDenied (audited) or DomainError.

    Notes do not bump the item version: they cannot overwrite a status, so they must not
    make a department's status update conflict.
    """
    if not permissions.can_add_note(user, item):
        record_event("note.denied", user=user, obj=item,
                     note=f"department {getattr(user, 'department_id', None)} neither leads nor supports")
        raise PermissionDenied(_("Only editors of the lead or a supporting department may add notes to this item."))
    today = today or local_today()
    errors: dict[str, str] = {}
    body_v = _text(body)
    if not body_v:
        errors["body"] = _("Write the note.")
    _check_length(body_v, MAX_NOTE, "body", errors)
    effective = _check_date(effective_date, "effective_date", errors, today, _report_date(item),
                            _("Enter the date this note describes."))
    corrects = None
    if not _blank(corrects_id):
        cid = parse_int(corrects_id)
        corrects = db.session.get(ItemNote, cid) if cid is not None else None
        if corrects is None or corrects.action_item_id != item.id:
            errors["corrects_id"] = _("The note to correct does not belong to this item.")
    _raise_errors(errors)
    note = ItemNote(action_item=item, department_id=user.department_id, author=user, body=body_v,
                    effective_date=effective, corrects_id=corrects.id if corrects else None)
    db.session.add(note)
    db.session.flush()
    record_event("note.add", user=user, obj=note, after={
        "item": item.code, "effective_date": effective.isoformat(), "corrects_id": note.corrects_id,
        "length": len(body_v),
    })
    return note


# --- administrator edits of an item -----------------------------------------------------------

ITEM_FIELDS = ("title_zh", "title_en", "description_zh", "description_en", "lead_department_id",
               "supporting_department_ids", "weight", "start_date", "due_date", "budget_amount",
               "budget_source", "budget_note")


def _item_summary(item: ActionItem) -> dict[str, Any]:
    return {
        "title_zh": item.title_zh, "title_en": item.title_en,
        "description_zh": item.description_zh, "description_en": item.description_en,
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
        clean[key] = _text(values.get(key))
        if not clean[key]:
            errors[key] = _("Enter the title.")
        _check_length(clean[key], 300, key, errors)
    for key in ("description_zh", "description_en"):
        clean[key] = _text(values.get(key))
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

    dates: dict[str, date | None] = {}
    for key in ("start_date", "due_date"):
        raw = values.get(key)
        dates[key] = None if _blank(raw) else parse_date(raw)
        if not _blank(raw) and dates[key] is None:
            errors[key] = _("Enter a real date as YYYY-MM-DD.")
    if dates["start_date"] and dates["due_date"] and dates["due_date"] < dates["start_date"]:
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
    budget_note = _text(values.get("budget_note"))
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
    item.start_date, item.due_date = dates["start_date"], dates["due_date"]
    item.budget_amount = amount
    item.budget_source = source
    item.budget_note = budget_note
    db.session.flush()
    after = _item_summary(item)
    changed = [k for k in after if after[k] != before[k]]
    record_event("item.edit", user=actor, obj=item, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed} | {"version": item.version})
    return item


# --- reads -----------------------------------------------------------------------------------

def get_item(item_id: int) -> ActionItem:
    """The action item. Raises NotFound."""
    item = db.session.get(ActionItem, item_id)
    if item is None:
        raise NotFound(_("No such action item."))
    return item


def _history_options() -> list:
    return [
        selectinload(StatusUpdate.review).selectinload(Review.reviewer),
        selectinload(StatusUpdate.attachments),
        selectinload(StatusUpdate.measurements).selectinload(Measurement.indicator),
        selectinload(StatusUpdate.submitted_by),
        selectinload(StatusUpdate.department),
    ]


def item_updates(item_id: int) -> list[StatusUpdate]:
    """Every update of an item, newest first, with reviews, files and measurements (fixed statements)."""
    return list(db.session.scalars(
        select(StatusUpdate).where(StatusUpdate.action_item_id == item_id)
        .options(*_history_options()).order_by(StatusUpdate.id.desc())
    ))


def get_update(item_id: int, update_id: int) -> StatusUpdate:
    """One update of the item. Raises NotFound."""
    su = db.session.scalar(select(StatusUpdate).where(StatusUpdate.id == update_id,
                                                      StatusUpdate.action_item_id == item_id)
                           .options(*_history_options()))
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


def item_timeline(item: ActionItem, as_of: date | None = None) -> list[TimelineEntry]:
    """Updates (with review state), notes and tracking decisions, newest first (fixed statements).

    With ``as_of``, records effective later are left out and a review recorded later does not
    count yet, so the history agrees with the official state on that date.
    """
    updates = item_updates(item.id)
    notes = list(db.session.scalars(
        select(ItemNote).where(ItemNote.action_item_id == item.id)
        .options(selectinload(ItemNote.author), selectinload(ItemNote.department))
    ))
    decisions = list(db.session.scalars(
        select(TrackingDecision).where(TrackingDecision.action_item_id == item.id)
        .options(selectinload(TrackingDecision.decided_by))
    ))
    corrected_updates: dict[int, list[int]] = {}
    for su in updates:
        if su.corrects_id:
            corrected_updates.setdefault(su.corrects_id, []).append(su.id)
    corrected_notes: dict[int, list[int]] = {}
    for n in notes:
        if n.corrects_id:
            corrected_notes.setdefault(n.corrects_id, []).append(n.id)
    def state_on(su: StatusUpdate) -> UpdateState:
        if as_of is not None and su.review is not None and su.review.effective_date > as_of:
            return UpdateState.SUBMITTED
        return update_state(su)

    entries = [TimelineEntry("update", su.effective_date, su.submitted_at, su, state_on(su),
                             sorted(corrected_updates.get(su.id, []))) for su in updates]
    entries += [TimelineEntry("note", n.effective_date, n.created_at, n, None,
                              sorted(corrected_notes.get(n.id, []))) for n in notes]
    entries += [TimelineEntry("decision", d.effective_date, d.recorded_at, d) for d in decisions]
    if as_of is not None:
        entries = [e for e in entries if e.effective_date <= as_of]
    entries.sort(key=lambda e: (e.effective_date, e.recorded_at), reverse=True)
    return entries


def changes_since(item: ActionItem, version: int) -> list[StatusUpdate]:
    """Updates submitted after the caller loaded ``version`` (for the conflict screen)."""
    return list(db.session.scalars(
        select(StatusUpdate).where(StatusUpdate.action_item_id == item.id,
                                   StatusUpdate.based_on_version >= version)
        .options(*_history_options()).order_by(StatusUpdate.id.desc())
    ))


# --- the department's work list ---------------------------------------------------------------

@dataclass
class WorkRow:
    item: ActionItem
    role: str  # "lead" or "supporting"
    state: progress.ItemState
    latest: StatusUpdate | None

    @property
    def returned(self) -> StatusUpdate | None:
        """The latest update if it was returned and not yet revised."""
        if self.latest is not None and update_state(self.latest) is UpdateState.RETURNED:
            return self.latest
        return None


def department_worklist(department_id: int, as_of: date) -> list[WorkRow]:
    """Items the department leads or supports, with state, flags and latest update (fixed statements)."""
    sup = action_item_supporting
    items = list(db.session.scalars(
        select(ActionItem)
        .where(or_(ActionItem.lead_department_id == department_id,
                   ActionItem.id.in_(select(sup.c.action_item_id).where(sup.c.department_id == department_id))))
        .options(selectinload(ActionItem.supporting_departments), selectinload(ActionItem.lead_department),
                 selectinload(ActionItem.recommendation))
        .order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
    ))
    if not items:
        return []
    ids = [i.id for i in items]
    states = progress.item_states(items, as_of)
    rn = func.row_number().over(partition_by=StatusUpdate.action_item_id,
                                order_by=StatusUpdate.id.desc()).label("rn")
    latest_ids = select(StatusUpdate.id, rn).where(StatusUpdate.action_item_id.in_(ids)).subquery()
    latest = {su.action_item_id: su for su in db.session.scalars(
        select(StatusUpdate).join(latest_ids, latest_ids.c.id == StatusUpdate.id)
        .where(latest_ids.c.rn == 1)
        .options(selectinload(StatusUpdate.review).selectinload(Review.reviewer))
    )}
    return [WorkRow(i, "lead" if i.lead_department_id == department_id else "supporting",
                    states[i.id], latest.get(i.id)) for i in items]


WORKLIST_FLAGS = ("overdue", "due_soon", "stale", "pending", "returned")
WORKLIST_SORTS = ("due", "code", "progress", "status")


def filter_worklist(rows: Iterable[WorkRow], *, status: str = "", flag: str = "", role: str = "",
                    q: str = "") -> list[WorkRow]:
    """Rows matching every given filter (unknown values are ignored)."""
    out = []
    needle = (q or "").strip().lower()
    for row in rows:
        if status and status in {s.value for s in Status} and row.state.status.value != status:
            continue
        if flag in ("overdue", "due_soon", "stale") and not getattr(row.state, flag):
            continue
        if flag == "pending" and row.state.pending is None:
            continue
        if flag == "returned" and row.returned is None:
            continue
        if role in ("lead", "supporting") and row.role != role:
            continue
        if needle and not any(needle in (v or "").lower() for v in (
                row.item.code, row.item.title_zh, row.item.title_en,
                row.item.recommendation.code if row.item.recommendation else "")):
            continue
        out.append(row)
    return out


def sort_worklist(rows: list[WorkRow], key: str) -> list[WorkRow]:
    """Sort by due date (undated last), code, progress or status order; default: due."""
    def code_key(r: WorkRow) -> tuple:
        rec = r.item.recommendation
        return (rec.report_id if rec else 0, rec.position if rec else 0, r.item.position, r.item.code)

    if key == "code":
        return sorted(rows, key=code_key)
    if key == "progress":
        return sorted(rows, key=lambda r: (r.state.progress, code_key(r)))
    if key == "status":
        return sorted(rows, key=lambda r: (STATUS_ORDER.index(r.state.status), code_key(r)))
    return sorted(rows, key=lambda r: (r.item.due_date is None, r.item.due_date or date.max, code_key(r)))
