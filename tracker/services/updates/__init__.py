"""Writing an item's history: status updates (辦理情形), notes, administrator edits; and the
reads that show that history (timeline, conflicts).

``submit_update`` is the one operation behind both the web form and the API, so both
refuse the same input with the same messages. Every field is checked before anything
is written; all problems are raised together as ``DomainError(errors={field: message})``.

No lost update: a write names the item version it was based on and bumps it with one
guarded ``UPDATE ... WHERE version = :v``; a concurrent writer's UPDATE then matches no
row and gets ``ConflictError``. This holds on SQLite (writers serialise on the database
lock) and on PostgreSQL (the second UPDATE waits for the row lock, then re-checks).

The modules, one concept each:

* ``fields``: reading and checking what people type; the guarded version bump;
* ``proposal``: the schedule and budget a department proposes;
* ``submit``: submitting, replacing and withdrawing status updates, and their state;
* ``notes``: notes from the lead or supporting departments;
* ``items``: an administrator's edits of an item, reading one item;
* ``timeline``: reading an item's history.

Callers import this package (``from tracker.services import updates``); the names below
are its interface.
"""

from __future__ import annotations

from .fields import (
    MAX_FILES,
    MAX_MEASUREMENTS,
    MAX_NARRATIVE,
    MAX_NOTE,
    MAX_REASON,
    MAX_SOURCE_NOTE,
    MAX_URL,
    VALUE_LIMIT,
    local_today,
    parse_date,
    parse_decimal,
    parse_int,
)
from .items import ITEM_FIELDS, edit_item, get_item
from .notes import add_note
from .proposal import can_propose_budget, can_propose_schedule
from .submit import PendingExists, live_pending, submit_update, update_state, update_state_reviewed, withdraw_update
from .timeline import TimelineEntry, changes_since, cut_timeline, get_update, item_timeline, item_updates

__all__ = [
    "ITEM_FIELDS",
    "MAX_FILES",
    "MAX_MEASUREMENTS",
    "MAX_NARRATIVE",
    "MAX_NOTE",
    "MAX_REASON",
    "MAX_SOURCE_NOTE",
    "MAX_URL",
    "VALUE_LIMIT",
    "PendingExists",
    "TimelineEntry",
    "add_note",
    "can_propose_budget",
    "can_propose_schedule",
    "changes_since",
    "cut_timeline",
    "edit_item",
    "get_item",
    "get_update",
    "item_timeline",
    "item_updates",
    "live_pending",
    "local_today",
    "parse_date",
    "parse_decimal",
    "parse_int",
    "submit_update",
    "update_state",
    "update_state_reviewed",
    "withdraw_update",
]
