"""Filing the annual summary (歸檔): render the document with the export options, keep it
exactly as rendered (services.filing.file_summary: bytes, SHA-256, who, when) and say what
changed since the previous filing of the same year and report.

"What changed" compares the items of the new document with the same summary compiled on the
previous filing's knowledge date: the history is append-only, so (D, K_previous) gives back
exactly the state the previous document showed. One place for the web page and the CLI."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..dates import DataDates
from ..extensions import db
from ..models import SummaryFiling, User, YearReopening
from ..services import DomainError, annual
from ..services import filing as filing_ops
from . import ExportOptions, render_summary
from .summary import build_document

_COMPARED = ("status", "progress", "decision", "opinion", "pending")


def _item_rows(options: ExportOptions, known_at: date) -> dict[tuple[str, str], dict]:
    dd = DataDates(options.as_of, known_at, options.dates.today)
    doc = build_document(options.year, dd, options.locale, options.report_ids, parts=("sheets",))
    keys = [c.key for c in doc.items.columns]
    out = {}
    for row in doc.items.rows:
        values = dict(zip(keys, row, strict=False))
        out[(values["report"], values["code"])] = values
    return out


def changes_since(previous: SummaryFiling | None, options: ExportOptions) -> str:
    """Plain text: per item, what differs from the previous filing (and the reopenings between)."""
    if previous is None:
        return ""
    with force_locale(options.locale):
        before = _item_rows(options, previous.known_at)
        after = _item_rows(options, options.dates.known_at)
        labels = {
            "status": _("Status"),
            "progress": _("Progress (%)"),
            "decision": _("Year-end recommendation"),
            "opinion": _("Commission's opinion"),
            "pending": _("Reports waiting for review"),
        }
        lines = []
        q = select(YearReopening).where(
            YearReopening.year == options.year, YearReopening.recorded_at > previous.filed_at
        )
        if options.report is not None:
            q = q.where(YearReopening.report_id == options.report.id)
        for r in db.session.scalars(q.order_by(YearReopening.recorded_at)):
            lines.append(_("Reopened: %(reason)s", reason=r.reason))
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old is None or new is None:
                lines.append(_("%(code)s: added", code=key[1]) if old is None else _("%(code)s: removed", code=key[1]))
                continue
            diffs = [
                f"{labels[k]} {old[k] if old[k] not in (None, '') else '—'} → "
                f"{new[k] if new[k] not in (None, '') else '—'}"
                for k in _COMPARED
                if old[k] != new[k]
            ]
            if diffs:
                lines.append(f"{key[1]}: " + "; ".join(diffs))
        if not lines:
            lines.append(_("Nothing changed since the filing of %(date)s.", date=previous.known_at.isoformat()))
        return "\n".join(lines)


def file_year(options: ExportOptions, user: User, note: str = "", allow_draft: bool = False) -> SummaryFiling:
    """Render and file the summary. Raises DomainError (the year is already filed, or the
    summary is still a draft and ``allow_draft`` is not set) or PermissionDenied."""
    report_id = options.report.id if options.report is not None else None
    status = filing_ops.year_status(options.year, report_id)
    if status.locked:
        raise DomainError(
            _(
                "%(year)s is already filed (%(file)s): reopen it first to file it again.",
                year=options.year,
                file=status.filing.filename,
            ),
            field="year",
            code="already_filed",
        )
    if not allow_draft:
        review = annual.review_year(options.year, options.dates, options.report_ids)
        if review.is_draft:  # the same rule as the document's draft mark
            raise DomainError(
                _(
                    "The %(year)s summary is still a draft: %(pending)s reports wait for review and "
                    "%(missing)s items have no year-end recommendation. File it anyway only if that is "
                    "intended.",
                    year=options.year,
                    pending=review.pending_reports,
                    missing=len(review.missing_decisions),
                ),
                field="allow_draft",
                code="draft",
            )
    previous = filing_ops.previous_filing(options.year, report_id)
    content = render_summary(options)
    changes = changes_since(previous, options)
    return filing_ops.file_summary(
        year=options.year,
        report=options.report,
        fmt=options.format,
        lang=options.lang,
        filename=options.filename,
        mimetype=options.mimetype,
        content=content,
        known_at=options.dates.known_at,
        user=user,
        changes=changes,
        note=note,
    )


__all__ = ["changes_since", "file_year"]
