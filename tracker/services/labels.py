"""Display labels of the domain enumerations (docs/domain.md, "Glossary").

Lazy strings, so they resolve in the language of the request — or of
``flask_babel.force_locale(...)`` in exports and CLI commands. Pages, exports and
e-mails use these so a status reads the same (辦理中, 已完成...) everywhere.
"""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from ..models.enums import (
    Adoption,
    BudgetSource,
    Direction,
    ReviewDecision,
    Role,
    Status,
    TrackingChoice,
    UpdateState,
)

STATUS = {
    Status.NOT_STARTED: _l("Not started"),
    Status.PLANNING: _l("Planning"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.ONGOING: _l("Ongoing"),
    Status.COMPLETED: _l("Completed"),
    Status.ON_HOLD: _l("On hold"),
    Status.NOT_FEASIBLE: _l("Not feasible"),
}

ADOPTION = {
    Adoption.ADOPTED: _l("Adopted"),
    Adoption.PARTLY_ADOPTED: _l("Partly adopted"),
    Adoption.UNDER_STUDY: _l("Under study"),
    Adoption.NOT_ADOPTED: _l("Not adopted"),
}

TRACKING = {
    TrackingChoice.CONTINUE: _l("Continue tracking"),
    TrackingChoice.RELEASE: _l("Release from tracking"),
    TrackingChoice.SELF_TRACK: _l("Self-tracking by the department"),
}

REVIEW = {
    ReviewDecision.APPROVE: _l("Approved"),
    ReviewDecision.RETURN: _l("Returned"),
}

UPDATE_STATE = {
    UpdateState.SUBMITTED: _l("Pending review"),
    UpdateState.APPROVED: _l("Approved"),
    UpdateState.RETURNED: _l("Returned"),
    UpdateState.WITHDRAWN: _l("Withdrawn"),
    UpdateState.REPLACED: _l("Replaced"),
}

BUDGET_SOURCE = {
    BudgetSource.CITY: _l("City annual budget"),
    BudgetSource.CENTRAL: _l("Central-government subsidy"),
    BudgetSource.OTHER: _l("Other source"),
}

DIRECTION = {
    Direction.HIGHER: _l("Higher is better"),
    Direction.LOWER: _l("Lower is better"),
}

ROLE = {
    Role.EDITOR: _l("Department editor"),
    Role.REVIEWER: _l("Reviewer"),
    Role.VIEWER: _l("Viewer"),
    Role.ADMIN: _l("Administrator"),
}

# Health flags of an item (services/progress.py ItemState.flags).
FLAG = {
    "overdue": _l("Overdue"),
    "due_soon": _l("Due soon"),
    "stale": _l("Stale"),
}

# On-track classes of services/benchmark.py, keyed by value to avoid importing services here.
ON_TRACK = {
    "achieved": _l("Achieved"),
    "on_track": _l("On track"),
    "needs_acceleration": _l("Needs acceleration"),
    "limited_progress": _l("Limited progress"),
    "deteriorating": _l("Deteriorating"),
    "insufficient_data": _l("Insufficient data"),
}

_BY_TYPE: dict[type, dict] = {
    Status: STATUS,
    Adoption: ADOPTION,
    TrackingChoice: TRACKING,
    ReviewDecision: REVIEW,
    UpdateState: UPDATE_STATE,
    BudgetSource: BUDGET_SOURCE,
    Direction: DIRECTION,
    Role: ROLE,
}


def label(value: Any) -> str:
    """Localized label of an enum member (any enum of the domain, or an OnTrack class).

    Unknown values fall back to their raw value so a new enum member never breaks a page.
    """
    if value is None:
        return ""
    table = _BY_TYPE.get(type(value))
    if table is not None:
        return str(table[value])
    raw = value.value if isinstance(value, enum.Enum) else str(value)
    if raw in ON_TRACK:
        return str(ON_TRACK[raw])
    if raw in FLAG:
        return str(FLAG[raw])
    return raw


def status_label(value: Status | str) -> str:
    """Label of a status given as a member or its stored value ('in_progress')."""
    return str(STATUS[Status(value)])
