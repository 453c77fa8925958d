"""Writing the typed rows: each report, recommendation and action item is found by its
stable key (and must then agree with what is stored) or created through the portfolio
services; a service's field errors become problems of that row and column.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import ActionItem, Department, Recommendation, Report
from ...sections import section_ref
from .. import DomainError, labels
from .. import portfolio as pf
from ..portfolio.fields import _plain
from ..sheets import is_blank
from .columns import BY_KEY, COLUMNS, ImportResult, Problem, _norm
from .rows import Row, _budget_source, _department_index, _split_departments


def _values(row: Row, prefix: str) -> dict[str, Any]:
    out = {}
    for key, value in row.cells.items():
        target = BY_KEY[key].target
        if target.startswith(prefix + "."):
            out[target.split(".", 1)[1]] = value
    return out


def _heading(columns: dict[str, tuple[int, str]], target: str) -> str:
    for key, (_i, heading) in columns.items():
        if BY_KEY[key].target == target:
            return heading
    col = next((c for c in COLUMNS if c.target == target), None)
    return str(col.label) if col else target.split(".", 1)[-1]


def _field_errors(row: Row, columns: dict, prefix: str, exc: DomainError, result: ImportResult) -> None:
    errors = exc.extra.get("errors") or {exc.field or "": exc.message}
    for name, message in errors.items():
        result.problems.append(Problem(row.number, _heading(columns, f"{prefix}.{name}") if name else "", message))


def _differences(obj: Any, fields: tuple, given: dict[str, Any]) -> list[str]:
    """Fields given in the row whose value differs from the stored one."""
    typed, errors = pf.clean([f for f in fields if f.name in given], given)
    stored = pf.snapshot(obj, fields)
    out = []
    for f in fields:
        if f.name not in given or is_blank(given[f.name]) or f.name in errors:
            continue
        if _plain(typed[f.name]) != stored.get(f.name):
            out.append(f.name)
    return out


def _write(rows: list[Row], columns: dict, actor: Any, result: ImportResult, today: date) -> None:
    depts = _department_index()
    dept_by_code = {d.code: d for d in depts.values()}
    reports: dict[str, Report | None] = {}
    recs: dict[tuple[str, str], Recommendation | None] = {}
    seen_items: dict[tuple[str, str, str], int] = {}
    for row in rows:
        report_code = str(row.cells.get("report") or "")
        rec_code = str(row.cells.get("recommendation") or "")
        item_code = str(row.cells.get("code") or "")
        key = (report_code, rec_code, item_code)
        if report_code and rec_code and item_code:
            if key in seen_items:
                result.problems.append(
                    Problem(
                        row.number,
                        _heading(columns, "item.code"),
                        _(
                            "The same action item (%(report)s / %(rec)s / %(item)s) is already on row %(row)d.",
                            report=report_code,
                            rec=rec_code,
                            item=item_code,
                            row=seen_items[key],
                        ),
                    )
                )
                continue
            seen_items[key] = row.number
        # --- the report
        if report_code not in reports:
            reports[report_code] = _report_for(row, columns, actor, result, today)
        report = reports[report_code]
        if report is None:
            continue
        if report.id is not None and report.code not in result.report_codes:
            result.report_codes.append(report.code)
        # --- the recommendation
        rkey = (report_code, rec_code)
        if rkey not in recs:
            recs[rkey] = _rec_for(row, columns, actor, report, result)
        rec = recs[rkey]
        if rec is None:
            continue
        # --- the item
        _item_for(row, columns, actor, rec, depts, dept_by_code, result)


def _report_for(row: Row, columns: dict, actor: Any, result: ImportResult, today: date) -> Report | None:
    given = _values(row, "report")
    code = str(given.get("code") or "")
    if not code:
        result.problems.append(Problem(row.number, _heading(columns, "report.code"), _("Fill in this field.")))
        return None
    existing = db.session.scalar(select(Report).where(Report.code == code))
    if existing is not None:
        diff = _differences(existing, pf.REPORT_FIELDS, given)
        for name in diff:
            result.problems.append(
                Problem(
                    row.number,
                    _heading(columns, f"report.{name}"),
                    _(
                        "Report %(code)s already exists with a different value; change it in the portfolio, not by import.",
                        code=code,
                    ),
                )
            )
        if not diff:
            result.unchanged["reports"] += 1
        return existing if not diff else None
    values = dict(given)
    for zh, en in (("title_zh", "title_en"), ("agency_zh", "agency_en")):
        if is_blank(values.get(en)):
            values[en] = values.get(zh)
    try:
        report = pf.create_report(actor, values, today=today)
    except DomainError as exc:
        _field_errors(row, columns, "report", exc, result)
        return None
    result.created["reports"] += 1
    return report


def _rec_for(row: Row, columns: dict, actor: Any, report: Report, result: ImportResult) -> Recommendation | None:
    given = _values(row, "rec")
    code = str(given.get("code") or "")
    existing = (
        db.session.scalar(
            select(Recommendation).where(Recommendation.report_id == report.id, Recommendation.code == code)
        )
        if code
        else None
    )
    if existing is not None:
        diff = _differences(existing, pf.RECOMMENDATION_FIELDS, given)
        for name in diff:
            result.problems.append(
                Problem(
                    row.number,
                    _heading(columns, f"rec.{name}"),
                    _(
                        "Recommendation %(code)s already exists with a different value; change it in the portfolio, "
                        "not by import.",
                        code=code,
                    ),
                )
            )
        if not diff:
            result.unchanged["recommendations"] += 1
        return existing if not diff else None
    values = dict(given)
    if is_blank(values.get("title_en")):
        values["title_en"] = values.get("title_zh")
    if is_blank(values.get("text_zh")):
        values["text_zh"] = values.get("title_zh")
    try:
        rec = pf.save_recommendation(actor, values, report=report)
    except DomainError as exc:
        _field_errors(row, columns, "rec", exc, result)
        return None
    result.created["recommendations"] += 1
    return rec


def _item_for(
    row: Row,
    columns: dict,
    actor: Any,
    rec: Recommendation,
    depts: dict[str, Department],
    dept_by_code: dict[str, Department],
    result: ImportResult,
) -> None:
    given = _values(row, "item")
    problems_before = len(result.problems)
    # Departments by code or name (the export writes names).
    lead_text = str(given.get("lead_department") or "")
    if lead_text:
        lead = depts.get(_norm(lead_text))
        if lead is None:
            result.problems.append(
                Problem(
                    row.number,
                    _heading(columns, "item.lead_department"),
                    _("Unknown department “%(name)s”: use a department code or name.", name=lead_text[:60]),
                )
            )
        else:
            given["lead_department"] = lead.code
    supporting: list[Department] = []
    for name in _split_departments(str(given.pop("supporting", "") or "")):
        d = depts.get(_norm(name))
        if d is None:
            result.problems.append(
                Problem(
                    row.number,
                    _heading(columns, "item.supporting"),
                    _("Unknown department “%(name)s”: use a department code or name.", name=name[:60]),
                )
            )
        elif d not in supporting:
            supporting.append(d)
    source_text = str(given.get("budget_source") or "")
    source = _budget_source(source_text)
    if source is None:
        result.problems.append(
            Problem(
                row.number,
                _heading(columns, "item.budget_source"),
                _(
                    "Unknown budget source “%(value)s”: choose one of %(choices)s.",
                    value=source_text[:60],
                    choices=", ".join(str(v) for v in labels.BUDGET_SOURCE.values()),
                ),
            )
        )
    else:
        given["budget_source"] = source
    if len(result.problems) > problems_before:
        return
    code = str(given.get("code") or "")
    existing = (
        db.session.scalar(select(ActionItem).where(ActionItem.recommendation_id == rec.id, ActionItem.code == code))
        if code
        else None
    )
    if existing is not None:
        title = given.pop("title_zh", "")
        # The English CSV export writes 三(一) as III(1): the same section.
        section = str(given.get("source_section") or "")
        if section and section_ref(section, "en") == section_ref(existing.source_section, "en"):
            given["source_section"] = existing.source_section
        diff = _differences(existing, pf.ITEM_FIELDS, given)
        if title and title not in (existing.title_zh, existing.title_en):
            diff.append("title_zh")
        if supporting and {d.id for d in supporting} != {d.id for d in existing.supporting_departments}:
            diff.append("supporting")
        for name in diff:
            result.problems.append(
                Problem(
                    row.number,
                    _heading(columns, f"item.{name}"),
                    _(
                        "Action item %(code)s already exists with a different value; change it in the administration, "
                        "not by import.",
                        code=code,
                    ),
                )
            )
        if not diff:
            result.unchanged["items"] += 1
        return
    values = dict(given)
    if is_blank(values.get("title_en")):
        values["title_en"] = values.get("title_zh")
    try:
        item = pf.create_item(actor, rec, values, departments=dept_by_code)
    except DomainError as exc:
        _field_errors(row, columns, "item", exc, result)
        return
    lead_id = item.lead_department_id
    if any(d.id == lead_id for d in supporting):
        result.problems.append(
            Problem(
                row.number,
                _heading(columns, "item.supporting"),
                _("The lead department cannot also be a supporting department."),
            )
        )
        return
    inactive = [d.code for d in supporting if not d.active]
    if inactive:
        result.problems.append(
            Problem(row.number, _heading(columns, "item.supporting"), _("Deactivated departments cannot be added."))
        )
        return
    item.supporting_departments = sorted(supporting, key=lambda d: d.code)
    result.created["items"] += 1
