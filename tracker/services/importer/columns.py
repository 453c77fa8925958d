"""The import's columns (the CSV export's, then the import's own) and the headings they
accept in either language, and what an import answers: ``Problem`` (row, column, reason),
``ImportResult``, ``ImportFailed``, and the command line's ``SystemActor``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...models import Role
from .. import DomainError


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
