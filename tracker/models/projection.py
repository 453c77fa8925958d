"""The read model: state per item per reporting period, and its roll-ups.

A projection of the append-only history (status updates, reviews, withdrawals, tracking
decisions), never a source of truth. services/projections.py writes it in the same
transaction as every record that changes it, can rebuild it from the history at any time,
and tests check it against a recomputation. Rows hold the state on the period's last day
with everything known now; the row of the current period is therefore today's state.
Pages read one row per item through an index, and the roll-ups let the dashboard add up
a few hundred rows instead of folding tens of thousands of updates.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import enum_column
from .enums import PeriodReview, Status, Timeliness, TrackingChoice

# Counters kept by both roll-ups (per recommendation, per report and department).
COUNTERS = (
    "n_items",
    "n_not_started",
    "n_planning",
    "n_in_progress",
    "n_ongoing",
    "n_completed",
    "n_on_hold",
    "n_not_feasible",
    "n_pending",
    "n_released",
    "n_must_report",
    "n_reported",
    "n_on_time",
    "n_late",
    "n_approved",
    "n_returned",
    "n_overdue",
    "n_due_soon",
    "n_stale",
)


class ItemPeriod(db.Model):
    """An item's state at the end of one reporting period, with everything known now,
    and how its report for that period stands."""

    __tablename__ = "item_period"
    __table_args__ = (
        Index("ix_item_period_period_rec", "period_end", "recommendation_id"),
        Index("ix_item_period_period_dept", "period_end", "lead_department_id"),
        Index("ix_item_period_period_report", "period_end", "report_id"),
        Index("ix_item_period_period_due", "period_end", "open_due_date"),
        Index("ix_item_period_period_reported", "period_end", "open_reported_through"),
        Index("ix_item_period_period_pending", "period_end", "pending_update_id"),
        Index("ix_item_period_period_returned", "period_end", "returned_update_id"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True)
    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id", ondelete="CASCADE"), index=True)
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    due_date: Mapped[date | None] = mapped_column(Date)
    # The official state on period_end: the latest approved report effective by then.
    status: Mapped[Status] = mapped_column(enum_column(Status, "period_status"))
    progress: Mapped[int] = mapped_column(Integer)
    official_update_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    official_effective_date: Mapped[date | None] = mapped_column(Date)
    official_approved_on: Mapped[date | None] = mapped_column(Date)
    # A report waiting for review (effective by period_end), and a returned report the
    # department has not corrected or withdrawn yet.
    pending_update_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    pending_status: Mapped[Status | None] = mapped_column(enum_column(Status, "pending_status"))
    pending_progress: Mapped[int | None] = mapped_column(Integer)
    pending_effective_date: Mapped[date | None] = mapped_column(Date)
    returned_update_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    decision: Mapped[TrackingChoice | None] = mapped_column(enum_column(TrackingChoice, "period_decision"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_decision.id"), index=True)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reporting on this period: must the item report, which report stands for it, how it
    # was reviewed and whether it came in by the deadline.
    must_report: Mapped[bool] = mapped_column(Boolean, default=False)
    period_update_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    review: Mapped[PeriodReview | None] = mapped_column(enum_column(PeriodReview, "period_review"))
    first_submitted_on: Mapped[date | None] = mapped_column(Date)
    timeliness: Mapped[Timeliness | None] = mapped_column(enum_column(Timeliness, "timeliness"))
    # Health on period_end.
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    due_soon: Mapped[bool] = mapped_column(Boolean, default=False)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    # For health on any later day (today's page): NULL once the item is closed or released.
    # open_due_date: the due date; open_reported_through: the effective date of the latest
    # report (or the day before the first period it must report on).
    open_due_date: Mapped[date | None] = mapped_column(Date)
    open_reported_through: Mapped[date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"<ItemPeriod item={self.item_id} {self.period_end} {self.status.value} {self.progress}%>"


class RollupRecommendation(db.Model):
    """Sums of item_period rows per period and recommendation (the roll-up's terms)."""

    __tablename__ = "rollup_recommendation"
    __table_args__ = (Index("ix_rollup_recommendation_period_report", "period_end", "report_id"),)

    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # Σ weight × progress and Σ weight over applicable (not not-feasible) items.
    weighted_progress: Mapped[Decimal] = mapped_column(Numeric(20, 3), default=Decimal(0))
    weight_total: Mapped[Decimal] = mapped_column(Numeric(20, 3), default=Decimal(0))
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    n_not_started: Mapped[int] = mapped_column(Integer, default=0)
    n_planning: Mapped[int] = mapped_column(Integer, default=0)
    n_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    n_ongoing: Mapped[int] = mapped_column(Integer, default=0)
    n_completed: Mapped[int] = mapped_column(Integer, default=0)
    n_on_hold: Mapped[int] = mapped_column(Integer, default=0)
    n_not_feasible: Mapped[int] = mapped_column(Integer, default=0)
    n_pending: Mapped[int] = mapped_column(Integer, default=0)
    n_released: Mapped[int] = mapped_column(Integer, default=0)
    n_must_report: Mapped[int] = mapped_column(Integer, default=0)
    n_reported: Mapped[int] = mapped_column(Integer, default=0)
    n_on_time: Mapped[int] = mapped_column(Integer, default=0)
    n_late: Mapped[int] = mapped_column(Integer, default=0)
    n_approved: Mapped[int] = mapped_column(Integer, default=0)
    n_returned: Mapped[int] = mapped_column(Integer, default=0)
    n_overdue: Mapped[int] = mapped_column(Integer, default=0)
    n_due_soon: Mapped[int] = mapped_column(Integer, default=0)
    n_stale: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<RollupRecommendation {self.period_end} rec={self.recommendation_id} n={self.n_items}>"


class RollupDepartment(db.Model):
    """Sums of item_period rows per period, report and lead department."""

    __tablename__ = "rollup_department"

    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), primary_key=True, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True, index=True)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    n_not_started: Mapped[int] = mapped_column(Integer, default=0)
    n_planning: Mapped[int] = mapped_column(Integer, default=0)
    n_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    n_ongoing: Mapped[int] = mapped_column(Integer, default=0)
    n_completed: Mapped[int] = mapped_column(Integer, default=0)
    n_on_hold: Mapped[int] = mapped_column(Integer, default=0)
    n_not_feasible: Mapped[int] = mapped_column(Integer, default=0)
    n_pending: Mapped[int] = mapped_column(Integer, default=0)
    n_released: Mapped[int] = mapped_column(Integer, default=0)
    n_must_report: Mapped[int] = mapped_column(Integer, default=0)
    n_reported: Mapped[int] = mapped_column(Integer, default=0)
    n_on_time: Mapped[int] = mapped_column(Integer, default=0)
    n_late: Mapped[int] = mapped_column(Integer, default=0)
    n_approved: Mapped[int] = mapped_column(Integer, default=0)
    n_returned: Mapped[int] = mapped_column(Integer, default=0)
    n_overdue: Mapped[int] = mapped_column(Integer, default=0)
    n_due_soon: Mapped[int] = mapped_column(Integer, default=0)
    n_stale: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<RollupDepartment {self.period_end} report={self.report_id} dept={self.department_id}>"


class RollupCityDepartment(db.Model):
    """Sums of item_period rows per period and lead department over every report: the
    city-wide view reads a row per department instead of adding up one per report."""

    __tablename__ = "rollup_city_department"

    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True, index=True)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    n_not_started: Mapped[int] = mapped_column(Integer, default=0)
    n_planning: Mapped[int] = mapped_column(Integer, default=0)
    n_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    n_ongoing: Mapped[int] = mapped_column(Integer, default=0)
    n_completed: Mapped[int] = mapped_column(Integer, default=0)
    n_on_hold: Mapped[int] = mapped_column(Integer, default=0)
    n_not_feasible: Mapped[int] = mapped_column(Integer, default=0)
    n_pending: Mapped[int] = mapped_column(Integer, default=0)
    n_released: Mapped[int] = mapped_column(Integer, default=0)
    n_must_report: Mapped[int] = mapped_column(Integer, default=0)
    n_reported: Mapped[int] = mapped_column(Integer, default=0)
    n_on_time: Mapped[int] = mapped_column(Integer, default=0)
    n_late: Mapped[int] = mapped_column(Integer, default=0)
    n_approved: Mapped[int] = mapped_column(Integer, default=0)
    n_returned: Mapped[int] = mapped_column(Integer, default=0)
    n_overdue: Mapped[int] = mapped_column(Integer, default=0)
    n_due_soon: Mapped[int] = mapped_column(Integer, default=0)
    n_stale: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<RollupCityDepartment {self.period_end} dept={self.department_id}>"


class ProjectionState(db.Model):
    """Bookkeeping of the read model: ``periods_through`` is the end of the latest period
    every item has a row for (advanced when the calendar enters a new period)."""

    __tablename__ = "projection_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    periods_through: Mapped[date | None] = mapped_column(Date)
    # The period setting the rows were built with; a different setting means a rebuild.
    period_setting: Mapped[str] = mapped_column(String(120), default="")

    def __repr__(self) -> str:
        return f"<ProjectionState {self.key} through={self.periods_through}>"
