"""The portfolio of reports: the list with its aggregates, and the administrator's writes
(reports, recommendations, reference practices and figures, indicators, action items,
archiving).

Reads: ``portfolio_page`` answers with a constant number of statements whatever the
number of reports and items (one count, one page of reports with every aggregate as a
GROUP BY subquery, one for the adoption decisions of that page).

Writes: every field is described once (``Field``) and checked by ``clean``; all problems
are raised together as ``DomainError(errors={field: message})`` before anything is
written. Every create and edit is recorded in the audit log with the fields that changed
(before and after). The spreadsheet import (services/importer.py) goes through the same
functions, so a rule holds whichever way the data comes in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from .. import dates
from ..extensions import db
from ..models import (
    ActionItem,
    AdoptionDecision,
    BudgetSource,
    Department,
    Direction,
    Indicator,
    ItemPeriod,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    RollupRecommendation,
    Status,
    TrackingChoice,
    User,
    utcnow,
)
from ..models.enums import Adoption
from . import DomainError, PermissionDenied, permissions, projections
from .audit import record_event
from .updates import parse_decimal, parse_int

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
VALUE_LIMIT = Decimal("1e15")


# --- field descriptions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One editable field: kind is text, long, code, date, int, year, decimal, enum or dept."""

    name: str
    label: Any
    kind: str = "text"
    required: bool = False
    max_len: int = 300
    enum: type[Enum] | None = None


def _f(name, label, kind="text", required=False, max_len=300, enum=None):  # noqa: ANN001, ANN202
    return Field(name, label, kind, required, max_len, enum)


REPORT_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("agency_zh", _l("Agency (Chinese)"), required=True, max_len=120),
    _f("agency_en", _l("Agency (English)"), required=True, max_len=200),
    _f("destination_zh", _l("Destination (Chinese)"), max_len=120),
    _f("destination_en", _l("Destination (English)"), max_len=120),
    _f("trip_start", _l("Trip start"), "date", True),
    _f("trip_end", _l("Trip end"), "date", True),
    _f("report_date", _l("Filing date"), "date", True),
    _f("travellers_zh", _l("Travellers (Chinese)"), "long", max_len=5000),
    _f("travellers_en", _l("Travellers (English)"), "long", max_len=5000),
    _f("summary_zh", _l("Summary (Chinese)"), "long", max_len=20000),
    _f("summary_en", _l("Summary (English)"), "long", max_len=20000),
    _f("source_file", _l("Source file"), max_len=300),
)

RECOMMENDATION_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("text_zh", _l("Text (Chinese)"), "long", True, 20000),
    _f("text_en", _l("Text (English)"), "long", max_len=20000),
)

PRACTICE_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("place_zh", _l("Place (Chinese)"), required=True, max_len=120),
    _f("place_en", _l("Place (English)"), required=True, max_len=120),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("description_zh", _l("Description (Chinese)"), "long", max_len=20000),
    _f("description_en", _l("Description (English)"), "long", max_len=20000),
)

FIGURE_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("position", _l("Position"), "int"),
    _f("label_zh", _l("Label (Chinese)"), required=True),
    _f("label_en", _l("Label (English)"), required=True),
    _f("value", _l("Value"), "decimal"),
    _f("value_text_zh", _l("Value as the report words it (Chinese)"), max_len=120),
    _f("value_text_en", _l("Value as the report words it (English)"), max_len=120),
    _f("unit", _l("Unit"), max_len=40),
    _f("unit_en", _l("Unit (English)"), max_len=40),
    _f("year", _l("Year"), "year"),
    _f("section", _l("Source section"), required=True, max_len=40),
    _f("quote_zh", _l("Verbatim quote"), "long", max_len=5000),
)

INDICATOR_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 60),
    _f("position", _l("Position"), "int"),
    _f("name_zh", _l("Name (Chinese)"), required=True),
    _f("name_en", _l("Name (English)"), required=True),
    _f("unit", _l("Unit"), required=True, max_len=40),
    _f("unit_en", _l("Unit (English)"), max_len=40),
    _f("direction", _l("Better when"), "enum", True, enum=Direction),
    _f("reference_value", _l("Reference value"), "decimal"),
    _f("reference_year", _l("Reference year"), "year"),
    _f("reference_place_zh", _l("Reference place (Chinese)"), max_len=120),
    _f("reference_place_en", _l("Reference place (English)"), max_len=120),
    _f("reference_source", _l("Reference source"), "long", max_len=5000),
    _f("baseline_value", _l("Baseline value"), "decimal"),
    _f("baseline_year", _l("Baseline year"), "year"),
    _f("baseline_source", _l("Baseline source"), "long", max_len=5000),
    _f("target_value", _l("Target value"), "decimal"),
    _f("target_year", _l("Target year"), "year"),
    _f("data_department", _l("Department providing the data"), "dept"),
    _f("notes_zh", _l("Notes (Chinese)"), "long", max_len=5000),
    _f("notes_en", _l("Notes (English)"), "long", max_len=5000),
)

ITEM_FIELDS: tuple[Field, ...] = (
    _f("code", _l("Code (stable key)"), "code", True, 40),
    _f("position", _l("Position"), "int"),
    _f("title_zh", _l("Title (Chinese)"), required=True),
    _f("title_en", _l("Title (English)"), required=True),
    _f("description_zh", _l("Description (Chinese)"), "long", max_len=20000),
    _f("description_en", _l("Description (English)"), "long", max_len=20000),
    _f("source_section", _l("Source section"), required=True, max_len=40),
    _f("lead_department", _l("Lead department"), "dept", True),
    _f("weight", _l("Weight"), "decimal"),
    _f("start_date", _l("Start date"), "date"),
    _f("due_date", _l("Due date"), "date"),
    _f("budget_amount", _l("Budget (NT$)"), "decimal"),
    _f("budget_source", _l("Budget source"), "enum", enum=BudgetSource),
    _f("budget_note", _l("Budget note"), "long", max_len=2000),
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _not_a_date(raw: Any) -> str:
    return _(
        "“%(value)s” is not a date: write it as 107/12/31 (ROC year), 1071231 or 2018-12-31.",
        value=str(raw).strip()[:40],
    )


def clean(
    fields: Sequence[Field], values: dict[str, Any], departments: dict[str, Department] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values of ``fields`` from ``values`` (strings as typed, or typed values), and a
    message per field that is wrong. Department fields take a department code."""
    from ..inputs import bidi_message, has_bidi_control

    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = values.get(f.name)
        if _blank(raw):
            if f.required:
                errors[f.name] = _("Fill in this field.")
            out[f.name] = "" if f.kind in ("text", "long", "code") else None
            continue
        if f.kind in ("text", "long", "code"):
            if not isinstance(raw, str):
                raw = str(raw)
            text = raw.strip()
            if has_bidi_control(text):
                errors[f.name] = bidi_message()
            elif len(text) > f.max_len:
                errors[f.name] = _("Use at most %(n)d characters.", n=f.max_len)
            elif f.kind == "text" and ("\n" in text or "\r" in text):
                errors[f.name] = _("Write this on one line.")
            elif f.kind == "code" and not CODE_RE.fullmatch(text):
                errors[f.name] = _("Use letters, digits, “.”, “-” and “_” only (for example israel-2016 or R1).")
            out[f.name] = text
        elif f.kind == "date":
            day = dates.parse_date(raw)
            if day is None:
                errors[f.name] = _not_a_date(raw)
            out[f.name] = day
        elif f.kind in ("int", "year"):
            number = parse_int(raw if not isinstance(raw, float) or not raw.is_integer() else int(raw))
            if number is None or (f.kind == "year" and not 1900 <= number <= 2199) or number < 0:
                errors[f.name] = (
                    _("Enter a year such as 2018.") if f.kind == "year" else _("Enter a whole number, 0 or more.")
                )
            out[f.name] = number
        elif f.kind == "decimal":
            number = parse_decimal(raw)
            if number is None:
                errors[f.name] = _("Enter a number such as 12.5.")
            out[f.name] = number
        elif f.kind == "enum":
            assert f.enum is not None
            try:
                out[f.name] = f.enum(raw.value if isinstance(raw, Enum) else str(raw).strip())
            except ValueError:
                errors[f.name] = _("Choose one of: %(choices)s.", choices=", ".join(e.value for e in f.enum))
                out[f.name] = None
        elif f.kind == "dept":
            depts = departments if departments is not None else _departments()
            code = str(raw).strip()
            dept = depts.get(code)
            if dept is None:
                errors[f.name] = _("There is no department with the code “%(code)s”.", code=code[:40])
            out[f.name] = dept
    return out, errors


def _departments() -> dict[str, Department]:
    return {d.code: d for d in db.session.scalars(select(Department))}


def _raise(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        message = errors[first] if len(errors) == 1 else _("Please correct the fields marked below.")
        raise DomainError(message, field=first, code="invalid", errors=errors)


def _plain(value: Any) -> Any:
    """A value as the audit log stores it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Department):
        return value.code
    return value


def _attr(f: Field) -> str:
    return {"data_department": "data_department", "lead_department": "lead_department"}.get(f.name, f.name)


def snapshot(obj: Any, fields: Sequence[Field]) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, _attr(f))) for f in fields}


def _apply(obj: Any, fields: Sequence[Field], values: dict[str, Any]) -> None:
    for f in fields:
        value = values[f.name]
        if f.name == "position" and value is None:
            continue
        if f.name == "weight" and value is None:
            value = Decimal(1)
        setattr(obj, _attr(f), value)


def _audit(action: str, actor: User, obj: Any, before: dict | None, after: dict, **extra: Any) -> dict:
    """Record the change; returns the changed fields (empty: nothing to record). The
    stable key is logged as "stable_key" ("code" is a redacted key in the audit log)."""
    before = {_log_key(k): v for k, v in before.items()} if before is not None else None
    after = {_log_key(k): v for k, v in after.items()}
    if before is None:
        changed = {k: v for k, v in after.items() if v not in (None, "")}
        record_event(action, user=actor, obj=obj, after=changed | extra)
        return changed
    changed = {k for k in after if after[k] != before.get(k)}
    if changed:
        record_event(
            action,
            user=actor,
            obj=obj,
            before={k: before.get(k) for k in sorted(changed)},
            after={k: after[k] for k in sorted(changed)} | extra,
        )
    return {k: after[k] for k in changed}


def _log_key(name: str) -> str:
    return "stable_key" if name == "code" else name


def _require_admin(actor: User, what: str, obj: Any = None) -> None:
    if not permissions.can_administer(actor):
        record_event(f"{what}.denied", user=actor, obj=obj)
        raise PermissionDenied(_("Only administrators may change reports and their contents."))


def _check_year_pair(values: dict[str, Any], errors: dict[str, str], low: str, high: str, message: str) -> None:
    if (
        values.get(low) is not None
        and values.get(high) is not None
        and values[high] <= values[low]
        and high not in errors
    ):
        errors[high] = message


def _check_number(
    values: dict[str, Any], errors: dict[str, str], name: str, message: str, ok: Any = lambda v: True
) -> None:
    v = values.get(name)
    if v is not None and name not in errors and (abs(v) >= VALUE_LIMIT or not ok(v)):
        errors[name] = message


# --- reports -----------------------------------------------------------------------------------


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
    from . import progress

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
    from ..inputs import get_by_id, looks_like_number

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


# --- recommendations, practices, figures, indicators, items -----------------------------------


def _unique(
    model: Any, parent_col: Any, parent_id: int, code: str, own_id: int | None, errors: dict[str, str], message: str
) -> None:
    if "code" in errors or not code:
        return
    clash = db.session.scalar(select(model.id).where(parent_col == parent_id, model.code == code))
    if clash is not None and clash != own_id:
        errors["code"] = message


def _next_position(model: Any, parent_col: Any, parent_id: int) -> int:
    return (
        int(db.session.scalar(select(func.coalesce(func.max(model.position), -1)).where(parent_col == parent_id)) or -1)
        + 1
    )


def save_recommendation(
    actor: User, values: dict[str, Any], *, report: Report | None = None, rec: Recommendation | None = None
) -> Recommendation:
    """Create (``report`` given) or edit (``rec`` given) a recommendation."""
    _require_admin(actor, "recommendation", rec)
    data, errors = clean(RECOMMENDATION_FIELDS, values)
    report_id = rec.report_id if rec is not None else report.id  # type: ignore[union-attr]
    _unique(
        Recommendation,
        Recommendation.report_id,
        report_id,
        data["code"],
        rec.id if rec else None,
        errors,
        _("This report already has a recommendation with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if rec is None:
        obj = Recommendation(report_id=report_id, text_en="")
        if data["position"] is None:
            obj.position = _next_position(Recommendation, Recommendation.report_id, report_id)
        _apply(obj, RECOMMENDATION_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("recommendation.create", actor, obj, None, snapshot(obj, RECOMMENDATION_FIELDS))
        return obj
    before = snapshot(rec, RECOMMENDATION_FIELDS)
    _apply(rec, RECOMMENDATION_FIELDS, data)
    db.session.flush()
    _audit("recommendation.edit", actor, rec, before, snapshot(rec, RECOMMENDATION_FIELDS))
    return rec


def save_practice(
    actor: User,
    values: dict[str, Any],
    *,
    recommendation: Recommendation | None = None,
    practice: ReferencePractice | None = None,
) -> ReferencePractice:
    _require_admin(actor, "practice", practice)
    data, errors = clean(PRACTICE_FIELDS, values)
    rec_id = practice.recommendation_id if practice is not None else recommendation.id  # type: ignore[union-attr]
    _unique(
        ReferencePractice,
        ReferencePractice.recommendation_id,
        rec_id,
        data["code"],
        practice.id if practice else None,
        errors,
        _("This recommendation already has a practice with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if practice is None:
        obj = ReferencePractice(recommendation_id=rec_id)
        if data["position"] is None:
            obj.position = _next_position(ReferencePractice, ReferencePractice.recommendation_id, rec_id)
        _apply(obj, PRACTICE_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("practice.create", actor, obj, None, snapshot(obj, PRACTICE_FIELDS))
        return obj
    before = snapshot(practice, PRACTICE_FIELDS)
    _apply(practice, PRACTICE_FIELDS, data)
    db.session.flush()
    _audit("practice.edit", actor, practice, before, snapshot(practice, PRACTICE_FIELDS))
    return practice


def save_figure(
    actor: User,
    values: dict[str, Any],
    *,
    practice: ReferencePractice | None = None,
    figure: PracticeFigure | None = None,
) -> PracticeFigure:
    _require_admin(actor, "figure", figure)
    data, errors = clean(FIGURE_FIELDS, values)
    _check_number(data, errors, "value", _("Enter a number below 10¹⁵."))
    if data.get("value") is None and not data.get("value_text_zh") and not errors:
        errors["value"] = _("Give the value, as a number or as the report words it.")
    pid = figure.practice_id if figure is not None else practice.id  # type: ignore[union-attr]
    _unique(
        PracticeFigure,
        PracticeFigure.practice_id,
        pid,
        data["code"],
        figure.id if figure else None,
        errors,
        _("This practice already has a figure with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if figure is None:
        obj = PracticeFigure(practice_id=pid)
        if data["position"] is None:
            obj.position = _next_position(PracticeFigure, PracticeFigure.practice_id, pid)
        _apply(obj, FIGURE_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("figure.create", actor, obj, None, snapshot(obj, FIGURE_FIELDS))
        return obj
    before = snapshot(figure, FIGURE_FIELDS)
    _apply(figure, FIGURE_FIELDS, data)
    db.session.flush()
    _audit("figure.edit", actor, figure, before, snapshot(figure, FIGURE_FIELDS))
    return figure


def save_indicator(
    actor: User,
    values: dict[str, Any],
    *,
    recommendation: Recommendation | None = None,
    indicator: Indicator | None = None,
) -> Indicator:
    _require_admin(actor, "indicator", indicator)
    data, errors = clean(INDICATOR_FIELDS, values)
    for name in ("reference_value", "baseline_value", "target_value"):
        _check_number(data, errors, name, _("Enter a number below 10¹⁵."))
    _check_year_pair(
        data, errors, "baseline_year", "target_year", _("The target year must come after the baseline year.")
    )
    rec_id = indicator.recommendation_id if indicator is not None else recommendation.id  # type: ignore[union-attr]
    _unique(
        Indicator,
        Indicator.recommendation_id,
        rec_id,
        data["code"],
        indicator.id if indicator else None,
        errors,
        _("This recommendation already has an indicator with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    if indicator is None:
        obj = Indicator(recommendation_id=rec_id)
        if data["position"] is None:
            obj.position = _next_position(Indicator, Indicator.recommendation_id, rec_id)
        _apply(obj, INDICATOR_FIELDS, data)
        db.session.add(obj)
        db.session.flush()
        _audit("indicator.create", actor, obj, None, snapshot(obj, INDICATOR_FIELDS))
        return obj
    before = snapshot(indicator, INDICATOR_FIELDS)
    _apply(indicator, INDICATOR_FIELDS, data)
    db.session.flush()
    _audit("indicator.edit", actor, indicator, before, snapshot(indicator, INDICATOR_FIELDS))
    return indicator


def _item_rules(data: dict[str, Any], errors: dict[str, str]) -> None:
    lead = data.get("lead_department")
    if lead is not None and not lead.active and "lead_department" not in errors:
        errors["lead_department"] = _("Department %(code)s is deactivated.", code=lead.code)
    w = data.get("weight")
    if w is not None and "weight" not in errors and (w <= 0 or w >= 100000 or w != w.quantize(Decimal("0.001"))):
        errors["weight"] = _("Enter a weight greater than 0 (1 is the default), with at most three decimals.")
    if (
        data.get("start_date")
        and data.get("due_date")
        and data["due_date"] < data["start_date"]
        and "due_date" not in errors
    ):
        errors["due_date"] = _("The due date cannot be before the start date.")
    amount = data.get("budget_amount")
    if (
        amount is not None
        and "budget_amount" not in errors
        and (amount < 0 or amount != amount.to_integral_value() or amount >= VALUE_LIMIT)
    ):
        errors["budget_amount"] = _("Enter the budget in whole NT$, 0 or more.")
    if amount is not None and data.get("budget_source") is None and "budget_source" not in errors:
        errors["budget_source"] = _("Choose the source of the budget.")


def create_item(
    actor: User,
    recommendation: Recommendation,
    values: dict[str, Any],
    *,
    departments: dict[str, Department] | None = None,
) -> ActionItem:
    """A new action item. Its tracking starts on the report's filing date (docs/domain.md);
    the departments are named by the administrator, so they are confirmed. Editing an
    item goes through services/updates.edit_item (versioned)."""
    _require_admin(actor, "item")
    data, errors = clean(ITEM_FIELDS, values, departments)
    _item_rules(data, errors)
    _unique(
        ActionItem,
        ActionItem.recommendation_id,
        recommendation.id,
        data["code"],
        None,
        errors,
        _("This recommendation already has an action item with the code “%(code)s”.", code=data["code"]),
    )
    _raise(errors)
    item = ActionItem(
        recommendation_id=recommendation.id, departments_confirmed_at=utcnow(), departments_confirmed_by_id=actor.id
    )
    if data["position"] is None:
        item.position = _next_position(ActionItem, ActionItem.recommendation_id, recommendation.id)
    _apply(item, ITEM_FIELDS, data)
    db.session.add(item)
    db.session.flush()
    projections.touch([item.id])
    _audit("item.create", actor, item, None, snapshot(item, ITEM_FIELDS))
    return item


# --- the portfolio list (a read) ---------------------------------------------------------------

SORTS = (
    "report_date",
    "trip_start",
    "agency",
    "destination",
    "recommendations",
    "items",
    "progress",
    "not_reported",
    "code",
)
STATES = ("current", "archived", "all")
PER_PAGE = 25


@dataclass
class PortfolioFilters:
    year: int | None = None
    department_id: int | None = None
    destination: str = ""
    state: str = "current"
    sort: str = "report_date"
    descending: bool = True
    page: int = 1


@dataclass
class PortfolioRow:
    id: int
    code: str
    title_zh: str
    title_en: str
    agency_zh: str
    agency_en: str
    destination_zh: str
    destination_en: str
    trip_start: date
    trip_end: date
    report_date: date
    archived: bool
    recommendations: int
    items: int
    progress: float | None
    not_reported: int
    adoptions: dict[str, int] = field(default_factory=dict)


@dataclass
class PortfolioPage:
    rows: list[PortfolioRow]
    total: int
    page: int
    pages: int
    period_end: date
    collecting_period: Any


def collecting_period(today: date | None = None) -> Any:
    """The period whose reports are being collected: the one that just ended while its
    deadline has not passed, otherwise the current one (as on the period page)."""
    cal = projections.calendar()
    today = today or dates.today()
    current = cal.containing(today)
    previous = cal.containing(current.start - timedelta(days=1))
    return previous if today <= previous.deadline else current


def _filters(f: PortfolioFilters) -> list[Any]:
    conds: list[Any] = []
    if f.year is not None:
        conds += [Report.report_date >= date(f.year, 1, 1), Report.report_date <= date(f.year, 12, 31)]
    if f.destination:
        like = f"%{f.destination.lower()}%"
        conds.append(or_(func.lower(Report.destination_zh).like(like), func.lower(Report.destination_en).like(like)))
    if f.department_id is not None:
        conds.append(
            Report.id.in_(
                select(Recommendation.report_id)
                .join(ActionItem)
                .where(ActionItem.lead_department_id == f.department_id)
            )
        )
    if f.state == "current":
        conds.append(Report.archived_at.is_(None))
    elif f.state == "archived":
        conds.append(Report.archived_at.is_not(None))
    return conds


def portfolio_page(f: PortfolioFilters, today: date | None = None) -> PortfolioPage:
    """One page of the portfolio: every aggregate in SQL (GROUP BY), three statements
    after the read model is brought up to date, whatever the number of reports."""
    today = today or dates.today()
    projections.sync(db.session)
    projections.ensure_current(today)
    cal = projections.calendar()
    pe_now = cal.containing(today).end
    collecting = collecting_period(today)
    conds = _filters(f)
    total = db.session.scalar(select(func.count()).select_from(Report).where(*conds)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, f.page), pages)

    rr = RollupRecommendation
    recs = (
        select(Recommendation.report_id.label("rid"), func.count().label("n"))
        .group_by(Recommendation.report_id)
        .subquery()
    )
    items = (
        select(Recommendation.report_id.label("rid"), func.count(ActionItem.id).label("n"))
        .join(ActionItem, ActionItem.recommendation_id == Recommendation.id)
        .group_by(Recommendation.report_id)
        .subquery()
    )
    rec_progress = case((rr.weight_total > 0, rr.weighted_progress * 1.0 / rr.weight_total), else_=None)
    prog = (
        select(rr.report_id.label("rid"), func.avg(rec_progress).label("p"))
        .where(rr.period_end == pe_now)
        .group_by(rr.report_id)
        .subquery()
    )
    ip = ItemPeriod
    unreported = (
        select(ip.report_id.label("rid"), func.count().label("n"))
        .where(ip.period_end == collecting.end, ip.must_report.is_(True), ip.review.is_(None))
        .group_by(ip.report_id)
        .subquery()
    )
    n_recs = func.coalesce(recs.c.n, 0)
    n_items = func.coalesce(items.c.n, 0)
    n_unrep = func.coalesce(unreported.c.n, 0)
    sort_col = {
        "report_date": Report.report_date,
        "trip_start": Report.trip_start,
        "agency": Report.agency_zh,
        "destination": Report.destination_zh,
        "recommendations": n_recs,
        "items": n_items,
        "progress": func.coalesce(prog.c.p, -1),
        "not_reported": n_unrep,
        "code": Report.code,
    }[f.sort if f.sort in SORTS else "report_date"]
    order = [sort_col.desc() if f.descending else sort_col.asc(), Report.id.desc() if f.descending else Report.id]
    q = (
        select(
            Report.id,
            Report.code,
            Report.title_zh,
            Report.title_en,
            Report.agency_zh,
            Report.agency_en,
            Report.destination_zh,
            Report.destination_en,
            Report.trip_start,
            Report.trip_end,
            Report.report_date,
            Report.archived_at,
            n_recs.label("n_recs"),
            n_items.label("n_items"),
            prog.c.p,
            n_unrep.label("n_unrep"),
        )
        .outerjoin(recs, recs.c.rid == Report.id)
        .outerjoin(items, items.c.rid == Report.id)
        .outerjoin(prog, prog.c.rid == Report.id)
        .outerjoin(unreported, unreported.c.rid == Report.id)
        .where(*conds)
        .order_by(*order)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    rows = [
        PortfolioRow(
            r.id,
            r.code,
            r.title_zh,
            r.title_en,
            r.agency_zh,
            r.agency_en,
            r.destination_zh,
            r.destination_en,
            r.trip_start,
            r.trip_end,
            r.report_date,
            r.archived_at is not None,
            int(r.n_recs),
            int(r.n_items),
            float(r.p) if r.p is not None else None,
            int(r.n_unrep),
        )
        for r in db.session.execute(q)
    ]
    if rows:
        _adoption_counts(rows)
    return PortfolioPage(rows, total, page, pages, pe_now, collecting)


def _adoption_counts(rows: list[PortfolioRow]) -> None:
    """Per report, how many recommendations stand at each adoption decision (the latest
    decision per recommendation): one statement."""
    ad = AdoptionDecision
    ranked = select(
        ad.recommendation_id,
        ad.decision,
        func.row_number()
        .over(partition_by=ad.recommendation_id, order_by=(ad.decided_on.desc(), ad.id.desc()))
        .label("rn"),
    ).subquery()
    q = (
        select(Recommendation.report_id, ranked.c.decision, func.count())
        .join(ranked, ranked.c.recommendation_id == Recommendation.id)
        .where(ranked.c.rn == 1, Recommendation.report_id.in_([r.id for r in rows]))
        .group_by(Recommendation.report_id, ranked.c.decision)
    )
    by_id = {r.id: r for r in rows}
    for rid, decision, n in db.session.execute(q):
        key = decision.value if isinstance(decision, Adoption) else str(decision)
        by_id[rid].adoptions[key] = int(n)


def filter_choices() -> dict[str, list]:
    """Years of filing, destinations and departments leading items, for the filter form."""
    years = sorted({d.year for d in db.session.scalars(select(Report.report_date).distinct())}, reverse=True)
    destinations = sorted({d for d in db.session.scalars(select(Report.destination_zh).distinct()) if d})
    depts = list(
        db.session.scalars(
            select(Department).where(Department.id.in_(select(ActionItem.lead_department_id))).order_by(Department.code)
        )
    )
    return {"years": years, "destinations": destinations, "departments": depts}


__all__ = [
    "FIGURE_FIELDS",
    "INDICATOR_FIELDS",
    "ITEM_FIELDS",
    "PRACTICE_FIELDS",
    "RECOMMENDATION_FIELDS",
    "REPORT_FIELDS",
    "Field",
    "PortfolioFilters",
    "archive_report",
    "clean",
    "create_item",
    "create_report",
    "current_report_ids",
    "edit_report",
    "portfolio_page",
    "save_figure",
    "save_indicator",
    "save_practice",
    "save_recommendation",
    "unarchive_report",
]
