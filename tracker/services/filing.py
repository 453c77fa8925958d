"""Filing the annual summary (歸檔) and the year lock it sets.

When the commission files a year's summary, the document is kept exactly as filed (bytes,
SHA-256, who, when) and the year's records of the reports it covers are locked: a report,
review, tracking decision or adoption decision dated in that year is refused until a
reviewer reopens the year with a reason. Filing again records what changed since the
previous filing. The document itself is built by tracker.exports (a layer above this one),
which hands the bytes to ``file_summary``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import dates
from ..extensions import db
from ..models import ActionItem, Recommendation, Report, SummaryFiling, User, YearReopening
from . import DomainError, PermissionDenied, permissions
from .audit import record_event

FORMATS = ("odt", "ods", "pdf", "docx", "xlsx", "csv")


class YearFiled(DomainError):
    """A record dated in a filed year; the year must be reopened first."""

    status_code = 409

    def __init__(self, year: int, filing: SummaryFiling):
        who = filing.filed_by.display_name if filing.filed_by is not None else _("the commission")
        super().__init__(
            _(
                "The %(year)s summary was filed on %(date)s by %(who)s, so its records are locked. A reviewer "
                "must reopen %(year)s (with a reason) before anything dated in it can be recorded.",
                year=_year(year),
                date=_day(dates.local_date(filing.filed_at)),
                who=who,
            ),
            field="effective_date",
            code="year_filed",
            year=year,
            filing_id=filing.id,
        )
        self.year = year
        self.filing = filing


def _year(year: int) -> str:
    from ..locale import current_locale, format_year_number

    try:  # the sentences say 「%(year)s 年度」: 民國106 年度
        return format_year_number(year, current_locale())
    except RuntimeError:
        return str(year)


def _day(day: date | None) -> str:
    from ..locale import current_locale, format_date

    try:
        return format_date(day, current_locale())
    except RuntimeError:
        return day.isoformat() if day else "—"


@dataclass(frozen=True)
class YearStatus:
    year: int
    report_id: int | None
    filing: SummaryFiling | None  # the filing in force (None: open)
    last_filing: SummaryFiling | None
    reopening: YearReopening | None  # the reopening that undid the last filing, if any

    @property
    def locked(self) -> bool:
        return self.filing is not None


def year_status(year: int, report_id: int | None, session: Session | None = None) -> YearStatus:
    """Whether ``year`` is filed (locked) for the report (``None``: a filing of every report)."""
    session = session or db.session
    scope_f = [SummaryFiling.year == year]
    scope_r = [YearReopening.year == year]
    if report_id is not None:
        scope_f.append(or_(SummaryFiling.report_id == report_id, SummaryFiling.report_id.is_(None)))
        scope_r.append(or_(YearReopening.report_id == report_id, YearReopening.report_id.is_(None)))
    last_f = session.scalar(
        select(SummaryFiling).where(*scope_f).order_by(SummaryFiling.filed_at.desc(), SummaryFiling.id.desc()).limit(1)
    )
    last_r = session.scalar(
        select(YearReopening)
        .where(*scope_r)
        .order_by(YearReopening.recorded_at.desc(), YearReopening.id.desc())
        .limit(1)
    )
    if last_f is None:
        return YearStatus(year, report_id, None, None, last_r)
    if last_r is not None and (last_r.recorded_at, last_r.id) >= (last_f.filed_at, 0):
        return YearStatus(year, report_id, None, last_f, last_r)
    return YearStatus(year, report_id, last_f, last_f, None)


def _report_of(item: ActionItem) -> int:
    if item.recommendation is not None:
        return item.recommendation.report_id
    return db.session.scalar(select(Recommendation.report_id).where(Recommendation.id == item.recommendation_id))


def ensure_year_open(item: ActionItem, day: date, report_id: int | None = None) -> None:
    """Refuse a record of ``item`` dated ``day`` in a filed year. Raises YearFiled."""
    status = year_status(day.year, report_id if report_id is not None else _report_of(item))
    if status.locked:
        assert status.filing is not None
        raise YearFiled(day.year, status.filing)


def ensure_report_year_open(report_id: int, day: date) -> None:
    """The same for records of a recommendation (adoption decisions). Raises YearFiled."""
    status = year_status(day.year, report_id)
    if status.locked:
        assert status.filing is not None
        raise YearFiled(day.year, status.filing)


def file_summary(
    *,
    year: int,
    report: Report | None,
    fmt: str,
    lang: str,
    filename: str,
    mimetype: str,
    content: bytes,
    known_at: date,
    user: User,
    changes: str = "",
    note: str = "",
    session: Session | None = None,
) -> SummaryFiling:
    """Keep the document as filed and lock the year. Raises PermissionDenied, DomainError."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators file the annual summary."))
    if fmt not in FORMATS:
        raise DomainError(_("Unknown format."), field="format")
    if len(note) > 2000:
        raise DomainError(_("Use at most %(n)d characters.", n=2000), field="note")
    row = SummaryFiling(
        year=year,
        report_id=report.id if report is not None else None,
        format=fmt,
        lang=lang,
        filename=filename,
        mimetype=mimetype,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        known_at=known_at,
        content=content,
        changes=changes,
        note=note.strip(),
        filed_by_id=user.id,
    )
    session.add(row)
    session.flush()
    record_event(
        "summary.file",
        user=user,
        obj=row,
        after={
            "year": year,
            "report": report.code if report is not None else None,
            "format": fmt,
            "lang": lang,
            "sha256": row.sha256,
            "size": row.size,
            "known_at": known_at.isoformat(),
        },
    )
    return row


def reopen_year(
    *, year: int, report: Report | None, reason: str, user: User, session: Session | None = None
) -> YearReopening:
    """Unlock a filed year so corrections dated in it can be recorded (the reason is kept).
    Raises PermissionDenied, DomainError."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators reopen a filed year."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the year is reopened: the reason stays in the history."), field="reason", code="required"
        )
    if len(reason) > 5000:
        raise DomainError(_("Use at most %(n)d characters.", n=5000), field="reason")
    status = year_status(year, report.id if report is not None else None, session)
    if not status.locked:
        raise DomainError(
            _("%(year)s is not filed, so there is nothing to reopen.", year=_year(year)), code="not_filed"
        )
    row = YearReopening(
        year=year, report_id=report.id if report is not None else None, reason=reason, reopened_by_id=user.id
    )
    session.add(row)
    session.flush()
    record_event(
        "summary.reopen",
        user=user,
        obj=row,
        after={"year": year, "report": report.code if report is not None else None, "reason": reason},
    )
    return row


def filings(
    year: int | None = None, report_id: int | None = None, session: Session | None = None
) -> list[SummaryFiling]:
    """Filed summaries, newest first (their content is not loaded)."""
    session = session or db.session
    q = select(SummaryFiling).order_by(SummaryFiling.filed_at.desc(), SummaryFiling.id.desc())
    if year is not None:
        q = q.where(SummaryFiling.year == year)
    if report_id is not None:
        q = q.where(SummaryFiling.report_id == report_id)
    return list(session.scalars(q))


def previous_filing(year: int, report_id: int | None, session: Session | None = None) -> SummaryFiling | None:
    """The latest filing of the same year and report scope."""
    session = session or db.session
    q = select(SummaryFiling).where(SummaryFiling.year == year)
    q = (
        q.where(SummaryFiling.report_id == report_id)
        if report_id is not None
        else q.where(SummaryFiling.report_id.is_(None))
    )
    return session.scalar(q.order_by(SummaryFiling.filed_at.desc(), SummaryFiling.id.desc()).limit(1))
