"""Filed annual summaries and reopened years: filing freezes a year's records."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .base import AppendOnly, check, utcnow
from .types import UTCDateTime

if TYPE_CHECKING:
    from .department import User
    from .report import Report


class SummaryFiling(AppendOnly, db.Model):
    """An annual follow-up summary as the commission filed it: the exact bytes, their
    SHA-256, who filed it and when. ``report_id`` None means every report. Filing locks
    the year's records until a reviewer reopens it (YearReopening)."""

    __tablename__ = "summary_filing"
    __table_args__ = (
        check("year >= 1912", "year_roc"),
        check("size >= 0", "size_non_negative"),
        Index("ix_summary_filing_year_report", "year", "report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    format: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The document's knowledge date: what was approved or decided by then is in it.
    known_at: Mapped[date] = mapped_column(Date)
    # Deferred: listing filings must not load every document into memory.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    # What changed since the previous filing of the same year (plain text, may be empty).
    changes: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report | None] = relationship()
    filed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<SummaryFiling {self.year} report={self.report_id} {self.format} {self.sha256[:12]}>"


class YearReopening(AppendOnly, db.Model):
    """A reviewer reopened a filed year so that corrections dated in it can be recorded."""

    __tablename__ = "year_reopening"
    __table_args__ = (
        check("length(reason) > 0", "reason_required"),
        Index("ix_year_reopening_year_report", "year", "report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report | None] = relationship()
    reopened_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<YearReopening {self.year} report={self.report_id}>"
