"""Creating, editing, archiving and unarchiving a report, and which reports today's pages
show (``current_report_ids``). Every write checks the administrator, validates every field
first (``DomainError(errors=...)``), records the change in the audit log and flushes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    Department,
    Recommendation,
    Report,
    Status,
    TrackingChoice,
    User,
    utcnow,
)
from .. import DomainError, projections
from ..audit import record_event
from .fields import REPORT_FIELDS, _apply, _audit, _raise, _require_admin, clean, snapshot


def _report_rules(values: dict[str, Any], errors: dict[str, str], report: Report | None, today: date) -> None:
    if "code" not in errors and values.get("code"):
        clash = db.session.scalar(select(Report.id).where(Report.code == values["code"]))
        if clash is not None and (report is None or clash != report.id):
            errors["code"] = _("Another report already has the code “%(code)s”.", code=values["code"])
    start, end, filed = values.get("trip_start"), values.get("trip_end"), values.get("report_date")
    if start and end and end < start and "trip_end" not in errors:
        errors["trip_end"] = _("The trip cannot end before it starts.")
    if end and filed and filed < end and "report_date" not in errors:
        errors["report_date"] = _("A report is filed after the trip: the filing date cannot be before the trip ends.")
    if filed and filed > today and "report_date" not in errors:
        errors["report_date"] = _("The filing date cannot be in the future.")


def create_report(
    actor: User, values: dict[str, Any], *, today: date | None = None, departments: dict[str, Department] | None = None
) -> Report:
    """A new report (nothing tracked until it has action items). Raises DomainError."""
    _require_admin(actor, "report")
    data, errors = clean(REPORT_FIELDS, values, departments)
    _report_rules(data, errors, None, today or dates.today())
    _raise(errors)
    report = Report()
    _apply(report, REPORT_FIELDS, data)
    db.session.add(report)
    db.session.flush()
    _audit("report.create", actor, report, None, snapshot(report, REPORT_FIELDS))
    return report


def edit_report(report: Report, actor: User, values: dict[str, Any], *, today: date | None = None) -> dict:
    """Change a report's description or dates; returns the changed fields. A new filing
    date moves its items' tracking start (the read model is recomputed for them)."""
    _require_admin(actor, "report", report)
    data, errors = clean(REPORT_FIELDS, values)
    _report_rules(data, errors, report, today or dates.today())
    _raise(errors)
    before = snapshot(report, REPORT_FIELDS)
    _apply(report, REPORT_FIELDS, data)
    db.session.flush()
    changed = _audit("report.edit", actor, report, before, snapshot(report, REPORT_FIELDS))
    if "report_date" in changed:
        projections.touch(item_ids_of(report.id))
    return changed


def item_ids_of(report_id: int) -> list[int]:
    return list(
        db.session.scalars(select(ActionItem.id).join(Recommendation).where(Recommendation.report_id == report_id))
    )


def open_items(report: Report, today: date | None = None) -> list[ActionItem]:
    """The report's items whose follow-up is not finished today: tracked by the commission
    (not released, not left to the department) and neither completed nor not feasible, or
    with a report still waiting for review."""
    from .. import progress

    items = progress.load_items([report.id])
    states = progress.item_states(items, dates.DataDates(*(3 * [today or dates.today()])))
    out = []
    for item in items:
        st = states[item.id]
        finished = (
            st.decision is not None and st.decision.decision in (TrackingChoice.RELEASE, TrackingChoice.SELF_TRACK)
        ) or st.status in (Status.COMPLETED, Status.NOT_FEASIBLE)
        if not finished or st.pending is not None:
            out.append(item)
    return out


def archive_report(report: Report, actor: User, reason: Any = "") -> Report:
    """Archive a report whose follow-up is finished. It stays in the history and in past
    summaries; today's dashboard and period page leave it out. Raises DomainError."""
    _require_admin(actor, "report", report)
    if report.archived_at is not None:
        raise DomainError(_("This report is already archived."), code="already_archived")
    reason_v = "" if reason is None else str(reason).strip()
    if len(reason_v) > 2000:
        raise DomainError(_("Use at most %(n)d characters.", n=2000), field="reason")
    still_open = open_items(report)
    if still_open:
        codes = ", ".join(i.code for i in still_open[:10]) + (" …" if len(still_open) > 10 else "")
        raise DomainError(
            _(
                "The follow-up of this report is not finished: %(n)d action items are still open or wait for "
                "review (%(codes)s). Release them or record their completion first.",
                n=len(still_open),
                codes=codes,
            ),
            code="follow_up_open",
            open_items=[i.id for i in still_open],
        )
    report.archived_at = utcnow()
    report.archive_reason = reason_v
    db.session.flush()
    record_event(
        "report.archive",
        user=actor,
        obj=report,
        before={"archived": False},
        after={"archived": True, "reason": reason_v},
    )
    return report


def unarchive_report(report: Report, actor: User) -> Report:
    """Bring an archived report back to today's pages."""
    _require_admin(actor, "report", report)
    if report.archived_at is None:
        raise DomainError(_("This report is not archived."), code="not_archived")
    report.archived_at = None
    db.session.flush()
    record_event("report.unarchive", user=actor, obj=report, before={"archived": True}, after={"archived": False})
    return report


def current_report_ids(session: Any = None) -> list[int] | None:
    """The reports today's dashboard and period page show by default: every report that is
    not archived; None (no filter) while no report is archived."""
    session = session or db.session
    rows = session.execute(select(Report.id, Report.archived_at)).all()
    if all(r.archived_at is None for r in rows):
        return None
    return [r.id for r in rows if r.archived_at is None]


def report_filter(raw: str | None) -> tuple[list[int] | None, Report | None, str | None]:
    """A ``report`` filter (query string, command option) as an id or a code: (ids to filter
    on, the report, error message); (None, None, None) when none is given."""
    from ...inputs import get_by_id, looks_like_number

    if raw is None or not raw.strip():
        return None, None, None
    value = raw.strip()
    # ASCII digits name an id (get_by_id: none can be above 2**31-1); anything else a code.
    report = (
        get_by_id(Report, value)
        if looks_like_number(value)
        else db.session.scalar(select(Report).where(Report.code == value[:60]))
    )
    if report is None:
        return None, None, _("No such report: %(value)s.", value=value[:60])
    return [report.id], report, None
