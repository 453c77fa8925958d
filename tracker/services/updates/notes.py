"""Notes on an item from its lead or a supporting department (not reviewed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from ...extensions import db
from ...models import (
    ActionItem,
    ItemNote,
    User,
)
from .. import (
    PermissionDenied,
    permissions,
)
from ..audit import record_event
from .fields import (
    MAX_NOTE,
    _blank,
    _check_date,
    _check_length,
    _check_text,
    _raise_errors,
    _report_date,
    local_today,
    parse_int,
)


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
