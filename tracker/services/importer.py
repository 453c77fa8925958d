"""Importing reports, recommendations and action items from a spreadsheet (CSV, XLSX, ODS).

The template has the columns of the CSV export (tracker/exports: one row per action item,
the same headings in either language), followed by the columns only an import needs (the
report's and the recommendation's own fields). docs/portfolio.md lists them.

The whole file is checked before anything is kept: the rows are written through the same
services as the administrator's forms (services/portfolio.py) inside one transaction, every
problem is collected as (row, column, reason), and any problem rolls everything back. A
dry run always rolls back. Keys are stable (report code; recommendation code within the
report; item code within the recommendation): a row whose key exists must agree with what
is stored, so importing the same file again changes nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import dates
from ..extensions import db
from ..models import ActionItem, BudgetSource, Department, Recommendation, Report, Role
from ..sections import section_ref
from . import DomainError, labels
from . import portfolio as pf
from .audit import record_event
from .sheets import Sheet, SheetRefused, cell_date, cell_problem, cell_text, is_blank, read_sheet


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # the heading (lazy: zh-TW or English)
    target: str = ""  # "report.<field>", "rec.<field>", "item.<field>" or "" (read only, ignored)
    required: bool = False  # the column must be present
    note: Any = ""


# The CSV export's columns first, in its order and with its headings; then the import's own.
COLUMNS: tuple[Column, ...] = (
    Column("report", _l("Report"), "report.code", True, _l("Report code, the report's stable key")),
    Column("recommendation", _l("Recommendation"), "rec.code", True, _l("Recommendation code within the report")),
    Column("code", _l("Code"), "item.code", True, _l("Action item code within the recommendation")),
    Column("title", _l("Action item"), "item.title_zh", True, _l("Title of the action item (Chinese)")),
    Column("section", _l("Source section"), "item.source_section", True, _l("Section of the report, e.g. 三(一)")),
    Column("lead", _l("Lead department"), "item.lead_department", True, _l("Department code or name")),
    Column(
        "supporting",
        _l("Supporting departments"),
        "item.supporting",
        False,
        _l("Codes or names, separated by commas or semicolons"),
    ),
    Column(
        "proposed",
        _l("Departments proposed"),
        "",
        False,
        _l("Read only: ignored (imported departments are proposed until a reviewer confirms them)"),
    ),
    Column("start", _l("Start date"), "item.start_date"),
    Column("due", _l("Due date"), "item.due_date"),
    Column("budget", _l("Budget (NT$)"), "item.budget_amount"),
    Column("budget_source", _l("Budget source"), "item.budget_source"),
    Column("status", _l("Status"), "", False, _l("Read only: ignored (status changes are status updates)")),
    Column("progress", _l("Progress (%)"), "", False, _l("Read only: ignored")),
    Column("weight", _l("Weight"), "item.weight"),
    Column("last_update", _l("Last approved update"), "", False, _l("Read only: ignored")),
    Column("year", _l("Progress reported this year"), "", False, _l("Read only: ignored")),
    Column("pending", _l("Reports waiting for review"), "", False, _l("Read only: ignored")),
    Column("decision", _l("Year-end recommendation"), "", False, _l("Read only: ignored")),
    Column("opinion", _l("Commission's opinion"), "", False, _l("Read only: ignored")),
    Column("flags", _l("Flags"), "", False, _l("Read only: ignored")),
    Column("title_en", _l("Action item (English)"), "item.title_en", False, _l("Defaults to the Chinese title")),
    Column("report_title_zh", _l("Report title"), "report.title_zh", False, _l("Needed for a new report")),
    Column("report_title_en", _l("Report title (English)"), "report.title_en"),
    Column("agency_zh", _l("Agency"), "report.agency_zh", False, _l("Needed for a new report")),
    Column("agency_en", _l("Agency (English)"), "report.agency_en"),
    Column("destination_zh", _l("Destination"), "report.destination_zh"),
    Column("destination_en", _l("Destination (English)"), "report.destination_en"),
    Column("trip_start", _l("Trip start"), "report.trip_start", False, _l("Needed for a new report")),
    Column("trip_end", _l("Trip end"), "report.trip_end", False, _l("Needed for a new report")),
    Column(
        "report_date",
        _l("Filing date"),
        "report.report_date",
        False,
        _l("Needed for a new report; tracking starts on it"),
    ),
    Column("rec_section", _l("Recommendation section"), "rec.section", False, _l("Needed for a new recommendation")),
    Column("rec_title_zh", _l("Recommendation title"), "rec.title_zh", False, _l("Needed for a new recommendation")),
    Column("rec_title_en", _l("Recommendation title (English)"), "rec.title_en"),
    Column("rec_text_zh", _l("Recommendation text"), "rec.text_zh", False, _l("The recommendation's verbatim text")),
)
BY_KEY = {c.key: c for c in COLUMNS}


def headings(locale: str) -> list[str]:
    with force_locale(locale):
        return [str(c.label) for c in COLUMNS]


def _heading_index() -> dict[str, Column]:
    """Every accepted spelling of a heading (key, English, zh-TW; case and spaces ignored)."""
    out: dict[str, Column] = {}
    for locale in ("en", "zh_TW"):
        with force_locale(locale):
            for c in COLUMNS:
                out[_norm(str(c.label))] = c
    for c in COLUMNS:
        out[_norm(c.key)] = c
    return out


def _norm(text: str) -> str:
    # NFKC folds full-width brackets, digits and letters into their ASCII forms.
    return unicodedata.normalize("NFKC", "".join(text.split())).lower()


@dataclass
class Problem:
    row: int | None  # spreadsheet row (the header is row 1); None: the whole file
    column: str  # the heading as written in the file ("" for the whole row or file)
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(n)d", n=self.row))
        if self.column:
            where.append(_("column “%(name)s”", name=self.column))
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass
class ImportResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"reports": 0, "recommendations": 0, "items": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"reports": 0, "recommendations": 0, "items": 0})
    report_codes: list[str] = field(default_factory=list)
    dry_run: bool = False


class ImportFailed(DomainError):
    """The file was refused; ``result.problems`` lists every problem."""

    def __init__(self, result: ImportResult):
        super().__init__(
            _("Nothing was imported: the file has %(n)d problems.", n=len(result.problems)), code="import_refused"
        )
        self.result = result


@dataclass
class SystemActor:
    """The command line's actor (an operator with shell access), as the audit log names it."""

    email: str = "cli"
    id: None = None
    role: Role = Role.ADMIN
    is_authenticated: bool = True
    department_id: None = None


# --- the import --------------------------------------------------------------------------------


def import_file(
    filename: str, data: bytes, actor: Any, *, dry_run: bool = False, today: date | None = None
) -> ImportResult:
    """Check and (unless ``dry_run``) import the file. Commits nothing itself: on success the
    caller commits; with problems (or a dry run) everything is rolled back here."""
    result = ImportResult(ok=False, dry_run=dry_run)
    try:
        sheet = read_sheet(filename, data)
    except SheetRefused as exc:
        result.problems.append(Problem(None, "", exc.message))
        return result
    result.notes.extend(sheet.notes)
    columns = _map_columns(sheet, result)
    if result.problems:
        return result
    rows = _typed_rows(sheet, columns, result)
    if not rows and not result.problems:
        result.problems.append(Problem(None, "", _("The file has a heading row but no data rows.")))
    if result.problems:
        return result
    _suggest_duplicates(rows, result)
    try:
        _write(rows, columns, actor, result, today or dates.today())
    finally:
        if result.problems or dry_run:
            db.session.rollback()
    result.ok = not result.problems
    if result.ok and not dry_run:
        import hashlib

        record_event(
            "import.report",
            user=actor if getattr(actor, "id", None) else None,
            actor=getattr(actor, "email", ""),
            object_type="import",
            object_id=filename[:60],
            after={
                "file": filename[:200],
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": len(rows),
                "created": result.created,
                "unchanged": result.unchanged,
                "reports": result.report_codes,
            },
        )
    return result


def _suggest_duplicates(rows: list[Row], result: ImportResult) -> None:
    """Recommendations of the file that likely repeat those of other reports (similar text or a
    shared SDG target, services/sdg.py): named in the notes for the administrator to check."""
    from .sdg import duplicate_suggestions

    seen: set[tuple[str, str]] = set()
    for row in rows:
        report_code = str(row.cells.get("report") or "")
        rec_code = str(row.cells.get("recommendation") or "")
        title, text = str(row.cells.get("rec_title_zh") or ""), str(row.cells.get("rec_text_zh") or "")
        if (report_code, rec_code) in seen or not (title or text):
            continue
        seen.add((report_code, rec_code))
        existing = db.session.scalar(select(Report.id).where(Report.code == report_code))
        found = duplicate_suggestions([{"title": title, "text": text}], exclude_report_id=existing, limit=2)
        for s in found.get(0, []):
            result.notes.append(
                _(
                    "Recommendation %(code)s of %(report)s may repeat recommendation %(other)s of report %(other_report)s "
                    "(similar text%(targets)s): check before tracking both.",
                    code=rec_code,
                    report=report_code,
                    other=s.recommendation.code,
                    other_report=s.report.code,
                    targets=(", SDG " + ", ".join(s.shared_targets)) if s.shared_targets else "",
                )
            )


def _map_columns(sheet: Sheet, result: ImportResult) -> dict[str, tuple[int, str]]:
    """Column key -> (index, heading as written). Unknown, duplicate or missing columns are problems."""
    index = _heading_index()
    found: dict[str, tuple[int, str]] = {}
    for i, heading in enumerate(sheet.header):
        if not heading:
            if any(not is_blank(r[i]) for r in sheet.rows if i < len(r)):
                result.problems.append(Problem(1, _("column %(n)d", n=i + 1), _("This column has no heading.")))
            continue
        col = index.get(_norm(heading))
        if col is None:
            result.problems.append(Problem(1, heading, _("Unknown column: use the headings of the template.")))
        elif col.key in found:
            result.problems.append(Problem(1, heading, _("This column appears twice.")))
        else:
            found[col.key] = (i, heading)
    for c in COLUMNS:
        if c.required and c.key not in found:
            result.problems.append(Problem(1, str(c.label), _("This required column is missing.")))
    return found


@dataclass
class Row:
    number: int
    cells: dict[str, Any]  # column key -> cell value (typed by the spreadsheet, or text)


def _typed_rows(sheet: Sheet, columns: dict[str, tuple[int, str]], result: ImportResult) -> list[Row]:
    rows = []
    long_text = {"rec_text_zh", "year", "opinion"}
    for n, raw in enumerate(sheet.rows, start=2):
        if all(is_blank(c) for c in raw):
            continue
        cells: dict[str, Any] = {}
        for key, (i, heading) in columns.items():
            value = raw[i] if i < len(raw) else None
            if not BY_KEY[key].target:
                continue
            if isinstance(value, str) or value is None:
                text = cell_text(value)
                problem = cell_problem(text, multiline=key in long_text)
                if problem:
                    result.problems.append(Problem(n, heading, problem))
                    continue
                cells[key] = text
            else:
                cells[key] = (
                    cell_date(value)
                    if key in ("start", "due", "trip_start", "trip_end", "report_date")
                    else cell_text(value)
                )
        rows.append(Row(n, cells))
    return rows


def _department_index() -> dict[str, Department]:
    out: dict[str, Department] = {}
    for d in db.session.scalars(select(Department)):
        for name in (d.code, d.name_zh, d.name_en):
            out.setdefault(_norm(name), d)
    return out


def _budget_source(text: str) -> str | None:
    """A budget source from its value or its label in either language."""
    if not text:
        return ""
    wanted = _norm(text)
    for source in BudgetSource:
        if wanted == source.value:
            return source.value
        for locale in ("en", "zh_TW"):
            with force_locale(locale):
                if wanted == _norm(str(labels.BUDGET_SOURCE[source])):
                    return source.value
    return None


# The ideographic enumeration comma (U+3001, how the zh-TW export joins names), full-width
# comma and semicolon, written as code points (no Chinese literals in code).
_SEPARATORS = tuple(map(chr, (0x3001, 0xFF0C, 0xFF1B))) + (";", "\n")


def _split_departments(text: str) -> list[str]:
    for sep in _SEPARATORS:
        text = text.replace(sep, ",")
    return [t.strip() for t in text.split(",") if t.strip()]


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
        if pf._plain(typed[f.name]) != stored.get(f.name):
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


# --- the template ------------------------------------------------------------------------------

TEMPLATE_EXAMPLE = {
    "report": "example-2019",
    "recommendation": "R1",
    "code": "R1-A1",
    "title": "EXAMPLE – replace this row",
    "section": "III(1)",
    "lead": "DEPT-CODE",
    "supporting": "",
    "start": "108/01/01",
    "due": "108/12/31",
    "budget": "",
    "budget_source": "",
    "weight": "1",
    "title_en": "EXAMPLE – replace this row",
    "report_title_zh": "EXAMPLE",
    "report_title_en": "EXAMPLE",
    "agency_zh": "EXAMPLE",
    "agency_en": "EXAMPLE",
    "destination_zh": "",
    "destination_en": "",
    "trip_start": "107/11/12",
    "trip_end": "107/11/19",
    "report_date": "107/12/23",
    "rec_section": "III(1)",
    "rec_title_zh": "EXAMPLE",
    "rec_title_en": "EXAMPLE",
    "rec_text_zh": "EXAMPLE",
}


def template_rows(locale: str) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Headings, one example row (to replace) and the column notes (a second sheet)."""
    with force_locale(locale):
        head = [str(c.label) for c in COLUMNS]
        example = [TEMPLATE_EXAMPLE.get(c.key, "") for c in COLUMNS]
        notes = [[str(c.label), c.key, str(_("required")) if c.required else "", str(c.note)] for c in COLUMNS]
    return head, [example], notes


def template_bytes(fmt: str, locale: str) -> bytes:
    """The import template as CSV (UTF-8 with BOM) or XLSX (with a sheet of column notes)."""
    import csv
    import io

    head, rows, notes = template_rows(locale)
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(head)
        w.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "import"
    ws.append(head)
    for r in rows:
        ws.append(r)
    with force_locale(locale):
        ws2 = wb.create_sheet(str(_("Columns")))
        ws2.append([str(_("Heading")), str(_("Key")), str(_("Required")), str(_("Note"))])
    for n in notes:
        ws2.append(n)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
