"""Reading an item's history: its status updates, the timeline on a data date, the
changes since a version (conflicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    ItemNote,
    Measurement,
    Review,
    StatusUpdate,
    TrackingDecision,
    UpdateState,
)
from .. import (
    NotFound,
)
from .fields import local_today
from .submit import update_state, update_state_reviewed


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
