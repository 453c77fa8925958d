"""Drafts of reports read from their own text, and knowledge across reports: the search
index, SDG and ISO 37120 tags, and action items answering several recommendations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import check, utcnow
from .types import UTCDateTime

if TYPE_CHECKING:
    from .department import User
    from .report import Report

DRAFT_STATUSES = ("open", "confirmed", "discarded")


class ReportDraft(db.Model):
    """A report read from an uploaded document, waiting for an administrator's review.

    Kept in the database (several web workers serve the review pages). ``data`` holds the
    extracted and edited fields: title, agency, destination, trip_start, trip_end,
    report_date (ISO) and ``recommendations`` [{section, title, text, source, sdg}].
    Nothing is tracked until the draft is confirmed, which creates the report.
    """

    __tablename__ = "report_draft"
    __table_args__ = (
        check("status IN ('open', 'confirmed', 'discarded')", "status_known"),
        check("version >= 1", "version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # The document's text (cleaned paragraphs) and the recommendations section as found.
    source_text: Mapped[str] = mapped_column(Text)
    section_text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)

    created_by: Mapped[User | None] = relationship()
    report: Mapped[Report | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReportDraft {self.id} {self.status}>"


class SearchDocument(db.Model):
    """One searchable text: a report, a recommendation or a reference practice, both
    languages in ``content``. Kept in step with its source by ``services.search`` in the
    same transaction; SQLite indexes ``content`` with FTS5 (trigram), PostgreSQL with a
    pg_trgm GIN index (both created next to the table, see ``services.search``)."""

    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="uq_search_document_kind_ref"),
        check("kind IN ('report', 'recommendation', 'practice')", "kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")


recommendation_sdg = Table(
    "recommendation_sdg",
    db.metadata,
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True),
    Column("target", String(8), primary_key=True, index=True),
)

practice_sdg = Table(
    "practice_sdg",
    db.metadata,
    Column("practice_id", ForeignKey("reference_practice.id", ondelete="CASCADE"), primary_key=True),
    Column("target", String(8), primary_key=True, index=True),
)

indicator_iso37120 = Table(
    "indicator_iso37120",
    db.metadata,
    Column("indicator_id", ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
    Column("code", String(12), nullable=False, index=True),
)

# An action item answers its own recommendation and, through this table, recommendations
# of other reports that ask for the same thing.
action_item_recommendation = Table(
    "action_item_recommendation",
    db.metadata,
    Column("action_item_id", ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True),
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True, index=True),
)

__all__ = [
    "DRAFT_STATUSES",
    "ReportDraft",
    "SearchDocument",
    "action_item_recommendation",
    "indicator_iso37120",
    "practice_sdg",
    "recommendation_sdg",
]
