"""Enumerations of the domain (docs/domain.md, "Glossary"). Values are stored as text."""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    ADMIN = "admin"


class Status(str, enum.Enum):
    NOT_STARTED = "not_started"
    PLANNING = "planning"
    IN_PROGRESS = "in_progress"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    NOT_FEASIBLE = "not_feasible"


STATUS_ORDER = list(Status)


class ReviewDecision(str, enum.Enum):
    APPROVE = "approve"
    RETURN = "return"


class UpdateState(str, enum.Enum):
    """Derived state of a status update (never stored on the update row)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


class WithdrawalKind(str, enum.Enum):
    """Why a pending update stopped waiting for review."""

    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


class PeriodReview(str, enum.Enum):
    """Where an item's report for one reporting period stands (per item per period)."""

    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class Timeliness(str, enum.Enum):
    ON_TIME = "on_time"
    LATE = "late"


class TrackingChoice(str, enum.Enum):
    CONTINUE = "continue"
    RELEASE = "release"
    SELF_TRACK = "self_track"


RELEASABLE_STATUSES = frozenset({Status.COMPLETED, Status.ONGOING, Status.NOT_FEASIBLE})


class Adoption(str, enum.Enum):
    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    UNDER_STUDY = "under_study"
    NOT_ADOPTED = "not_adopted"


class Direction(str, enum.Enum):
    HIGHER = "higher"
    LOWER = "lower"


class BudgetSource(str, enum.Enum):
    CITY = "city"
    CENTRAL = "central"
    OTHER = "other"
