"""Action items and their append-only history: updates, reviews, decisions, notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import AppendOnly, check, enum_column, utcnow
from .enums import BudgetSource, ReviewDecision, Status, TrackingChoice, WithdrawalKind
from .types import UTCDateTime

if TYPE_CHECKING:
    from .department import Department, User
    from .report import Indicator, Measurement, Recommendation, ReferencePractice


action_item_supporting = Table(
    "action_item_supporting",
    db.metadata,
    Column("action_item_id", ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id"), primary_key=True, index=True),
)

action_item_practice = Table(
    "action_item_practice",
    db.metadata,
    Column("action_item_id", ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True),
    Column("practice_id", ForeignKey("reference_practice.id"), primary_key=True, index=True),
)

action_item_indicator = Table(
    "action_item_indicator",
    db.metadata,
    Column("action_item_id", ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicator.id"), primary_key=True, index=True),
)


class ActionItem(db.Model):
    """An action item (辦理事項) answering a recommendation, led by one department."""

    __tablename__ = "action_item"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "code"),
        check("weight > 0", "weight_positive"),
        check("version >= 1", "version_positive"),
        check("due_date IS NULL OR start_date IS NULL OR due_date >= start_date", "schedule_ordered"),
        check("budget_amount IS NULL OR budget_amount >= 0", "budget_non_negative"),
        Index("ix_action_item_rec_position", "recommendation_id", "position"),
        Index("ix_action_item_due_date", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"))
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    source_section: Mapped[str] = mapped_column(String(40))
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 3), default=Decimal(1))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 0))
    budget_source: Mapped[BudgetSource | None] = mapped_column(enum_column(BudgetSource, "budget_source"))
    budget_note: Mapped[str] = mapped_column(Text, default="")
    # Optimistic-concurrency version: bumped by every write that touches the item.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Tracking starts at the report's filing date unless an administrator sets another day
    # (docs/domain.md "Reporting periods"); the first period to report on follows from it.
    tracking_start: Mapped[date | None] = mapped_column(Date)
    # Departments the report itself does not name are proposed (擬議) until a reviewer or an
    # administrator confirms them.
    departments_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departments_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    recommendation: Mapped[Recommendation] = relationship(back_populates="action_items")
    lead_department: Mapped[Department] = relationship(back_populates="led_items", foreign_keys=[lead_department_id])
    supporting_departments: Mapped[list[Department]] = relationship(
        secondary=action_item_supporting, order_by="Department.code"
    )
    practices: Mapped[list[ReferencePractice]] = relationship(secondary=action_item_practice)
    indicators: Mapped[list[Indicator]] = relationship(secondary=action_item_indicator)
    updates: Mapped[list[StatusUpdate]] = relationship(back_populates="action_item", order_by="StatusUpdate.id")
    departments_confirmed_by: Mapped[User | None] = relationship(foreign_keys=[departments_confirmed_by_id])
    decisions: Mapped[list[TrackingDecision]] = relationship(
        back_populates="action_item", order_by="TrackingDecision.id"
    )
    notes: Mapped[list[ItemNote]] = relationship(back_populates="action_item", order_by="ItemNote.id")

    def __repr__(self) -> str:
        return f"<ActionItem {self.code} v{self.version}>"


class StatusUpdate(AppendOnly, db.Model):
    """A department's progress report (辦理情形). Submitted, then approved or returned
    by a separate Review record; the row itself never changes."""

    __tablename__ = "status_update"
    __table_args__ = (
        check("progress >= 0 AND progress <= 100", "progress_range"),
        check("status <> 'completed' OR progress = 100", "completed_is_100"),
        check("status <> 'not_feasible' OR length(reason) > 0", "not_feasible_needs_reason"),
        Index("ix_status_update_item_effective", "action_item_id", "effective_date"),
        Index("ix_status_update_effective_date", "effective_date"),
        check(
            "proposed_due_date IS NULL OR proposed_start_date IS NULL OR proposed_due_date >= proposed_start_date",
            "proposed_schedule_ordered",
        ),
        check("proposed_budget_amount IS NULL OR proposed_budget_amount >= 0", "proposed_budget_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"))
    status: Mapped[Status] = mapped_column(enum_column(Status, "status"))
    progress: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(2000), default="")
    based_on_version: Mapped[int] = mapped_column(Integer)
    # A correction or resubmission points at the update it replaces.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The schedule and budget (執行期程、經費) the department proposes, usually in its first
    # report; applied to the item when the report is approved.
    proposed_start_date: Mapped[date | None] = mapped_column(Date)
    proposed_due_date: Mapped[date | None] = mapped_column(Date)
    proposed_budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 0))
    proposed_budget_source: Mapped[BudgetSource | None] = mapped_column(
        enum_column(BudgetSource, "proposed_budget_source")
    )
    proposed_budget_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    action_item: Mapped[ActionItem] = relationship(back_populates="updates")
    department: Mapped[Department] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    corrects: Mapped[StatusUpdate | None] = relationship(remote_side=[id])
    review: Mapped[Review | None] = relationship(back_populates="update", uselist=False)
    withdrawal: Mapped[UpdateWithdrawal | None] = relationship(
        back_populates="update", uselist=False, foreign_keys="UpdateWithdrawal.update_id"
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="update")
    measurements: Mapped[list[Measurement]] = relationship(back_populates="update")

    @property
    def proposes_schedule(self) -> bool:
        return any(
            v is not None
            for v in (
                self.proposed_start_date,
                self.proposed_due_date,
                self.proposed_budget_amount,
                self.proposed_budget_source,
            )
        )

    def __repr__(self) -> str:
        return f"<StatusUpdate {self.id} item={self.action_item_id} {self.status.value} {self.progress}%>"


class UpdateWithdrawal(AppendOnly, db.Model):
    """A pending update taken back by its department before review: withdrawn, or replaced
    by a newer update (``replaced_by``). The update row stays; this records why it no longer
    waits for review (at most one per update)."""

    __tablename__ = "update_withdrawal"
    __table_args__ = (
        UniqueConstraint("update_id"),
        check("kind <> 'replaced' OR replaced_by_id IS NOT NULL", "replaced_has_replacement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("status_update.id"))
    kind: Mapped[WithdrawalKind] = mapped_column(enum_column(WithdrawalKind, "withdrawal_kind"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[StatusUpdate] = relationship(back_populates="withdrawal", foreign_keys=[update_id])
    replaced_by: Mapped[StatusUpdate | None] = relationship(foreign_keys=[replaced_by_id])
    withdrawn_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<UpdateWithdrawal update={self.update_id} {self.kind.value}>"


class Attachment(AppendOnly, db.Model):
    """An evidence file stored outside the static folder under a generated name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("status_update.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[StatusUpdate] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.stored_name} {self.original_name!r}>"


class Review(AppendOnly, db.Model):
    """A reviewer's decision on one update (核定 / 退回). One per update: the unique
    constraint makes a second reviewer's attempt fail instead of overwriting."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("update_id"),
        check("decision <> 'return' OR length(comment) > 0", "return_needs_comment"),
        Index("ix_review_effective_date", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("status_update.id"))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision, "review_decision"))
    comment: Mapped[str] = mapped_column(Text, default="")
    effective_date: Mapped[date] = mapped_column(Date)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[StatusUpdate] = relationship(back_populates="review")
    reviewer: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Review update={self.update_id} {self.decision.value}>"


class TrackingDecision(AppendOnly, db.Model):
    """A tracking decision (列管決定): continue, release or self-track."""

    __tablename__ = "tracking_decision"
    __table_args__ = (
        check("length(reason) > 0", "reason_required"),
        Index("ix_tracking_decision_item_date", "action_item_id", "effective_date"),
        Index("ix_tracking_decision_review_year", "review_year", "action_item_id"),
        Index("ix_tracking_decision_effective_date", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"))
    decision: Mapped[TrackingChoice] = mapped_column(enum_column(TrackingChoice, "tracking_choice"))
    # The commission's opinion (審核意見) that the decision rests on.
    reason: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the decision is the year-end review's 列管建議 for that year.
    review_year: Mapped[int | None] = mapped_column(Integer)

    action_item: Mapped[ActionItem] = relationship(back_populates="decisions")
    decided_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TrackingDecision item={self.action_item_id} {self.decision.value}>"


class ItemNote(AppendOnly, db.Model):
    """A note from a supporting (or lead) department on an item; not reviewed."""

    __tablename__ = "item_note"
    __table_args__ = (check("length(body) > 0", "body_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("item_note.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action_item: Mapped[ActionItem] = relationship(back_populates="notes")
    department: Mapped[Department | None] = relationship()
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ItemNote {self.id} item={self.action_item_id}>"
