"""Bulk status update: a department downloads the items it must report on for the period
being collected as a spreadsheet (XLSX or CSV), fills in status, progress, narrative and
date, and uploads it.

Each filled-in row is submitted through ``services/updates.submit_update`` — the same
checks, the same "at most one report waiting for review per item" rule, the same review
flow as one update at a time — all in one transaction: every problem is collected as
(row, column, reason) and any problem means nothing is submitted. Rows whose status is
left empty are skipped. The item's version in the sheet makes an item changed since the
download a conflict, as on the form.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import dates
from ..extensions import db
from ..models import ActionItem, ItemPeriod, Recommendation, Report, Status, User
from . import ConflictError, DomainError, PermissionDenied, labels, permissions, projections, updates
from .audit import record_event
from .importer import Problem
from .portfolio import collecting_period
from .sheets import SheetRefused, cell_date, cell_problem, cell_text, is_blank, read_sheet


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    editable: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("report", _l("Report")),
    Column("recommendation", _l("Recommendation")),
    Column("code", _l("Code")),
    Column("title", _l("Action item")),
    Column("version", _l("Version")),
    Column("current_status", _l("Current status")),
    Column("current_progress", _l("Current progress (%)")),
    Column("status", _l("Status"), True),
    Column("progress", _l("Progress (%)"), True),
    Column("narrative", _l("Progress report (辦理情形)"), True),
    Column("effective_date", _l("Date described"), True),
    Column("reason", _l("Reason (not feasible)"), True),
    Column("evidence_url", _l("Evidence link"), True),
)
REQUIRED = ("report", "recommendation", "code", "version", "status", "progress", "narrative", "effective_date")
FIELD_COLUMN = {
    "status": "status",
    "progress": "progress",
    "narrative": "narrative",
    "effective_date": "effective_date",
    "reason": "reason",
    "evidence_url": "evidence_url",
    "evidence": "evidence_url",
    "version": "version",
    "replaces_id": "status",
}


@dataclass
class BulkResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)  # item codes
    skipped: int = 0


def department_items(department_id: int, today: date | None = None) -> tuple[Any, list[tuple]]:
    """The period being collected and the department's items that must report on it, with
    their report and recommendation codes and their official state today."""
    today = today or dates.today()
    projections.sync(db.session)
    projections.ensure_current(today)
    period = collecting_period(today)
    cur_end = projections.calendar().containing(today).end
    ip = ItemPeriod
    q = (
        select(ActionItem, Report.code, Recommendation.code, ip.status, ip.progress)
        .join(Recommendation, Recommendation.id == ActionItem.recommendation_id)
        .join(Report, Report.id == Recommendation.report_id)
        .join(ip, (ip.item_id == ActionItem.id) & (ip.period_end == cur_end))
        .where(
            ActionItem.lead_department_id == department_id,
            ActionItem.id.in_(
                select(ItemPeriod.item_id).where(ItemPeriod.period_end == period.end, ItemPeriod.must_report.is_(True))
            ),
        )
        .order_by(Report.code, Recommendation.position, ActionItem.position, ActionItem.id)
    )
    return period, list(db.session.execute(q))


def sheet_rows(department_id: int, locale: str, today: date | None = None) -> tuple[Any, list[str], list[list]]:
    period, rows = department_items(department_id, today)
    with force_locale(locale):
        head = [str(c.label) for c in COLUMNS]
        out = []
        for item, report_code, rec_code, status, progress in rows:
            title = item.title_en if locale == "en" and item.title_en else item.title_zh
            out.append(
                [
                    report_code,
                    rec_code,
                    item.code,
                    title,
                    item.version,
                    str(labels.label(Status(status))),
                    progress,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return period, head, out


def download(department_id: int, fmt: str, locale: str, today: date | None = None) -> bytes:
    """The department's sheet as XLSX (status chosen from a list) or CSV (UTF-8 with BOM)."""
    from .sheets import neutralise

    period, head, rows = sheet_rows(department_id, locale, today)
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(head)
        w.writerows([neutralise(v) if isinstance(v, str) else v for v in r] for r in rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = period.key
    ws.append(head)
    for r in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in r])
    with force_locale(locale):
        choices = ",".join(str(labels.label(s)) for s in Status)
    if rows and len(choices) < 250:
        col = "ABCDEFGHIJKLM"[[c.key for c in COLUMNS].index("status")]
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{len(rows) + 1}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _heading_index() -> dict[str, Column]:
    from .importer.columns import _norm

    out: dict[str, Column] = {}
    for locale in ("en", "zh_TW"):
        with force_locale(locale):
            for c in COLUMNS:
                out[_norm(str(c.label))] = c
    for c in COLUMNS:
        out[_norm(c.key)] = c
    return out


def _status(text: str) -> str:
    """A status from its value or its label in either language ("" if it is neither: the
    service then says "Choose a status")."""
    from .importer.columns import _norm

    wanted = _norm(text)
    for s in Status:
        if wanted == s.value:
            return s.value
        for locale in ("en", "zh_TW"):
            with force_locale(locale):
                if wanted == _norm(str(labels.label(s))):
                    return s.value
    return text


def upload(user: User, filename: str, data: bytes, today: date | None = None) -> BulkResult:
    """Submit every filled-in row of the sheet as a status update, all or nothing. Commits
    nothing itself: on success the caller commits; with problems everything is rolled back."""
    result = BulkResult(ok=False)
    if not permissions.has_department_work(user) or user.department_id is None:
        raise PermissionDenied(_("Only department editors submit status updates."))
    try:
        sheet = read_sheet(filename, data)
    except SheetRefused as exc:
        result.problems.append(Problem(None, "", exc.message))
        return result
    result.notes.extend(sheet.notes)
    index = _heading_index()
    columns: dict[str, tuple[int, str]] = {}
    for i, heading in enumerate(sheet.header):
        if not heading:
            continue
        col = index.get(_norm_heading(heading))
        if col is None:
            result.problems.append(Problem(1, heading, _("Unknown column: use the headings of the downloaded sheet.")))
        elif col.key in columns:
            result.problems.append(Problem(1, heading, _("This column appears twice.")))
        else:
            columns[col.key] = (i, heading)
    for key in REQUIRED:
        if key not in columns:
            label = next(str(c.label) for c in COLUMNS if c.key == key)
            result.problems.append(Problem(1, label, _("This required column is missing.")))
    if result.problems:
        return result

    def heading(key: str) -> str:
        return columns[key][1] if key in columns else key

    seen: dict[int, int] = {}
    try:
        for n, raw in enumerate(sheet.rows, start=2):
            cells: dict[str, Any] = {}
            bad = False
            for key, (i, head) in columns.items():
                value = raw[i] if i < len(raw) else None
                if key == "effective_date":
                    value = cell_date(value)
                if isinstance(value, str) or value is None:
                    text = cell_text(value)
                    problem = cell_problem(text, multiline=key in ("narrative", "reason"))
                    if problem:
                        result.problems.append(Problem(n, head, problem))
                        bad = True
                    value = text
                elif key != "effective_date":
                    value = cell_text(value)
                cells[key] = value
            if bad:
                continue
            if is_blank(cells.get("status")) and all(
                is_blank(cells.get(k)) for k in ("progress", "narrative", "effective_date", "reason", "evidence_url")
            ):
                result.skipped += 1
                continue
            item = db.session.scalar(
                select(ActionItem)
                .join(Recommendation)
                .join(Report)
                .where(
                    Report.code == str(cells.get("report") or ""),
                    Recommendation.code == str(cells.get("recommendation") or ""),
                    ActionItem.code == str(cells.get("code") or ""),
                )
            )
            if item is None:
                result.problems.append(
                    Problem(
                        n,
                        heading("code"),
                        _(
                            "There is no action item %(report)s / %(rec)s / %(item)s: keep the first columns as downloaded.",
                            report=str(cells.get("report"))[:60],
                            rec=str(cells.get("recommendation"))[:40],
                            item=str(cells.get("code"))[:40],
                        ),
                    )
                )
                continue
            if item.id in seen:
                result.problems.append(
                    Problem(
                        n,
                        heading("code"),
                        _("This action item is already on row %(row)d: one report per item.", row=seen[item.id]),
                    )
                )
                continue
            seen[item.id] = n
            if not permissions.can_submit_update(user, item):
                result.problems.append(
                    Problem(
                        n, heading("code"), _("Your department does not lead action item %(code)s.", code=item.code)
                    )
                )
                continue
            try:
                # A refused row writes nothing (the service checks first); any problem rolls back all.
                updates.submit_update(
                    item,
                    user,
                    status=_status(str(cells.get("status") or "")),
                    progress=cells.get("progress"),
                    effective_date=cells.get("effective_date"),
                    narrative=cells.get("narrative"),
                    reason=cells.get("reason") or "",
                    evidence_url=cells.get("evidence_url") or "",
                    based_on_version=cells.get("version"),
                    today=today,
                )
            except ConflictError:
                result.problems.append(
                    Problem(
                        n,
                        heading("version"),
                        _(
                            "Action item %(code)s was changed after you downloaded the sheet: download it again.",
                            code=item.code,
                        ),
                    )
                )
            except DomainError as exc:
                errors = exc.extra.get("errors") or {exc.field or "status": exc.message}
                for name, message in errors.items():
                    result.problems.append(Problem(n, heading(FIELD_COLUMN.get(name, "status")), message))
            else:
                result.submitted.append(item.code)
        if not result.problems and not result.submitted:
            result.problems.append(Problem(None, "", _("No row has a status filled in: nothing to submit.")))
    finally:
        if result.problems:
            db.session.rollback()
    result.ok = not result.problems
    if result.ok:
        record_event(
            "update.bulk",
            user=user,
            object_type="department",
            object_id=user.department_id,
            after={"file": filename[:200], "items": result.submitted, "skipped": result.skipped},
        )
    return result


def _norm_heading(text: str) -> str:
    from .importer.columns import _norm

    return _norm(text)
