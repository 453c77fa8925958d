"""Trip reports, their recommendations, the foreign practices and the indicators."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import AppendOnly, check, enum_column, utcnow
from .enums import Adoption, Direction
from .types import UTCDateTime

if TYPE_CHECKING:
    from .action import ActionItem, StatusUpdate
    from .department import Department


class Report(db.Model):
    """An official overseas trip report (出國報告)."""

    __tablename__ = "report"
    __table_args__ = (check("trip_end >= trip_start", "trip_dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    agency_zh: Mapped[str] = mapped_column(String(120))
    agency_en: Mapped[str] = mapped_column(String(200))
    destination_zh: Mapped[str] = mapped_column(String(120), default="")
    destination_en: Mapped[str] = mapped_column(String(120), default="")
    trip_start: Mapped[date] = mapped_column(Date)
    trip_end: Mapped[date] = mapped_column(Date)
    report_date: Mapped[date] = mapped_column(Date)
    travellers_zh: Mapped[str] = mapped_column(Text, default="")
    travellers_en: Mapped[str] = mapped_column(Text, default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived once its follow-up is finished (services/portfolio.archive_report): it stays in
    # the history and in past summaries, and leaves today's dashboard and period page.
    # Declared last to match the column order of migration f14a, which appends them.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archive_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic-concurrency version (ETag / If-Match on the API): bumped by every edit.
    # After f14a's columns: migration f14c appends it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="report", order_by="Recommendation.position"
    )

    def __repr__(self) -> str:
        return f"<Report {self.code}>"


class Recommendation(db.Model):
    """One recommendation (建議事項) of a report, citing its section."""

    __tablename__ = "recommendation"
    __table_args__ = (
        UniqueConstraint("report_id", "code"),
        check("position >= 0", "position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[str] = mapped_column(String(40))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    # Optimistic-concurrency version (ETag / If-Match on the API): bumped by every edit.
    # Declared last to match migration f14c, which appends it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    report: Mapped[Report] = relationship(back_populates="recommendations")
    practices: Mapped[list[ReferencePractice]] = relationship(
        back_populates="recommendation", order_by="ReferencePractice.position"
    )
    indicators: Mapped[list[Indicator]] = relationship(back_populates="recommendation", order_by="Indicator.position")
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="recommendation", order_by="ActionItem.position"
    )
    adoption_decisions: Mapped[list[AdoptionDecision]] = relationship(
        back_populates="recommendation", order_by="AdoptionDecision.decided_on"
    )

    def __repr__(self) -> str:
        return f"<Recommendation {self.code} {self.section}>"


class AdoptionDecision(AppendOnly, db.Model):
    """The city's decision on a recommendation (採行情形); history is append-only."""

    __tablename__ = "adoption_decision"
    __table_args__ = (
        check("decision <> 'not_adopted' OR length(reason) > 0", "not_adopted_needs_reason"),
        Index("ix_adoption_decision_rec_date", "recommendation_id", "decided_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"))
    decision: Mapped[Adoption] = mapped_column(enum_column(Adoption, "adoption"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="adoption_decisions")

    def __repr__(self) -> str:
        return f"<AdoptionDecision rec={self.recommendation_id} {self.decision.value}>"


class ReferencePractice(db.Model):
    """A foreign practice (國外標竿作法) the report holds up, with the section it comes from."""

    __tablename__ = "reference_practice"
    __table_args__ = (UniqueConstraint("recommendation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[str] = mapped_column(String(40))
    place_zh: Mapped[str] = mapped_column(String(120))
    place_en: Mapped[str] = mapped_column(String(120))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # Optimistic-concurrency version (ETag / If-Match on the API): bumped by every edit.
    # Declared last to match migration f14c, which appends it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    recommendation: Mapped[Recommendation] = relationship(back_populates="practices")
    figures: Mapped[list[PracticeFigure]] = relationship(back_populates="practice", order_by="PracticeFigure.position")

    def __repr__(self) -> str:
        return f"<ReferencePractice {self.code} {self.section}>"


class PracticeFigure(db.Model):
    """A figure the report gives for a practice, with its verbatim source quote."""

    __tablename__ = "practice_figure"
    __table_args__ = (UniqueConstraint("practice_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("reference_practice.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    label_zh: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    value_text_zh: Mapped[str] = mapped_column(String(120), default="")
    value_text_en: Mapped[str] = mapped_column(String(120), default="")
    unit: Mapped[str] = mapped_column(String(40), default="")
    year: Mapped[int | None]
    section: Mapped[str] = mapped_column(String(40))
    quote_zh: Mapped[str] = mapped_column(Text, default="")
    # English form of `unit` (which keeps the report's zh-TW wording); empty until given, and
    # then the interface falls back to `unit`. Declared last to match the column order of
    # migration unit1, which appends it (test_migrations compares against create_all()).
    unit_en: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Optimistic-concurrency version (ETag / If-Match on the API): bumped by every edit.
    # Declared last to match migration f14c, which appends it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    practice: Mapped[ReferencePractice] = relationship(back_populates="figures")

    def __repr__(self) -> str:
        return f"<PracticeFigure {self.code}={self.value}{self.unit}>"


class Indicator(db.Model):
    """A measurable indicator compared against the foreign reference value."""

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "code"),
        check("target_year IS NULL OR baseline_year IS NULL OR target_year > baseline_year", "target_after_baseline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("reference_practice.id"), index=True)
    reference_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    reference_year: Mapped[int | None]
    reference_place_zh: Mapped[str] = mapped_column(String(120), default="")
    reference_place_en: Mapped[str] = mapped_column(String(120), default="")
    reference_source: Mapped[str] = mapped_column(Text, default="")
    baseline_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    baseline_year: Mapped[int | None]
    baseline_source: Mapped[str] = mapped_column(Text, default="")
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    target_year: Mapped[int | None]
    # Which department is expected to provide missing data.
    data_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    notes_zh: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")
    # English form of `unit` (which keeps the report's zh-TW wording); empty until given, and
    # then the interface falls back to `unit`. Declared last to match the column order of
    # migration unit1, which appends it (test_migrations compares against create_all()).
    unit_en: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Optimistic-concurrency version (ETag / If-Match on the API): bumped by every edit.
    # Declared last to match migration f14c, which appends it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    recommendation: Mapped[Recommendation] = relationship(back_populates="indicators")
    practice: Mapped[ReferencePractice | None] = relationship()
    data_department: Mapped[Department | None] = relationship()
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="indicator", order_by="Measurement.measured_on"
    )

    def __repr__(self) -> str:
        return f"<Indicator {self.code}>"


class Measurement(AppendOnly, db.Model):
    """A dated value of an indicator. Official once its status update is approved
    (or immediately when entered by an administrator without an update)."""

    __tablename__ = "measurement"
    __table_args__ = (Index("ix_measurement_indicator_date", "indicator_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    measured_on: Mapped[date] = mapped_column(Date)
    source_note: Mapped[str] = mapped_column(Text, default="")
    update_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="measurements")
    update: Mapped[StatusUpdate | None] = relationship(back_populates="measurements")

    def __repr__(self) -> str:
        return f"<Measurement ind={self.indicator_id} {self.measured_on} {self.value}>"
