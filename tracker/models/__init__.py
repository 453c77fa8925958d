"""All models, importable from one place."""

from .action import (
    ActionItem,
    Attachment,
    ItemNote,
    Review,
    StatusUpdate,
    TrackingDecision,
    UpdateWithdrawal,
    action_item_indicator,
    action_item_practice,
    action_item_supporting,
)
from .audit import AuditLog, ReminderLog
from .base import AppendOnlyError, utcnow
from .department import ApiToken, Department, LoginThrottle, PasswordHistory, RecoveryCode, User
from .enums import (
    Adoption,
    BudgetSource,
    Direction,
    PeriodReview,
    ReviewDecision,
    Role,
    Status,
    Timeliness,
    TrackingChoice,
    UpdateState,
    WithdrawalKind,
)
from .filing import SummaryFiling, YearReopening
from .knowledge import (
    ReportDraft,
    SearchDocument,
    action_item_recommendation,
    indicator_iso37120,
    practice_sdg,
    recommendation_sdg,
)
from .projection import (
    COUNTERS,
    ItemPeriod,
    ProjectionState,
    RollupCityDepartment,
    RollupDepartment,
    RollupRecommendation,
)
from .report import (
    AdoptionDecision,
    Indicator,
    Measurement,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
)

__all__ = [
    "ReportDraft",
    "SearchDocument",
    "action_item_recommendation",
    "indicator_iso37120",
    "practice_sdg",
    "recommendation_sdg",
    "COUNTERS",
    "ItemPeriod",
    "PeriodReview",
    "ProjectionState",
    "RollupCityDepartment",
    "RollupDepartment",
    "RollupRecommendation",
    "SummaryFiling",
    "Timeliness",
    "UpdateWithdrawal",
    "WithdrawalKind",
    "YearReopening",
    "ActionItem",
    "Adoption",
    "AdoptionDecision",
    "ApiToken",
    "AppendOnlyError",
    "Attachment",
    "AuditLog",
    "BudgetSource",
    "Department",
    "Direction",
    "Indicator",
    "ItemNote",
    "LoginThrottle",
    "Measurement",
    "PasswordHistory",
    "PracticeFigure",
    "Recommendation",
    "RecoveryCode",
    "ReferencePractice",
    "ReminderLog",
    "Report",
    "Review",
    "ReviewDecision",
    "Role",
    "Status",
    "StatusUpdate",
    "TrackingChoice",
    "TrackingDecision",
    "UpdateState",
    "User",
    "action_item_indicator",
    "action_item_practice",
    "action_item_supporting",
    "utcnow",
]

from ..extensions import db as _db
from .search_ddl import attach as _attach_search_index
from .triggers import attach as _attach_triggers

_attach_triggers(_db.metadata)
_attach_search_index(_db.metadata)
