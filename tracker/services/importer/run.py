"""``import_file``: read the sheet, map its columns, type its rows, write them through the
portfolio services inside one transaction, and roll everything back on any problem or on a dry
run; then name recommendations that likely repeat those of other reports.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ... import dates
from ...extensions import db
from ...models import Report
from ..audit import record_event
from ..sheets import SheetRefused, read_sheet
from .columns import ImportResult, Problem
from .rows import Row, _map_columns, _typed_rows
from .writes import _write


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
    from ..sdg import duplicate_suggestions

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
