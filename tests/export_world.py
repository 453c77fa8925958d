"""A seeded report with a 2017–2018 history for the export tests: approved, returned and
pending updates, one approved only after the as-of date, a tracking decision, and cells a
spreadsheet would evaluate (formula injection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import ActionItem, Recommendation, Report, Status

LATE_NARRATIVE = "LATE-2018-UPDATE 這筆辦理情形在基準日之後才生效"
UNAPPROVED_NARRATIVE = "APPROVED-TOO-LATE 基準日之後才核定"
IN_YEAR_NARRATIVE = "IN-YEAR-2017 完成再生水廠規劃"
HOSTILE_TITLE = '=HYPERLINK("http://example.invalid/x","click")'
HOSTILE_REASON = "+1+1"
HOSTILE_DEPT = "@SUM(A1:A2)"
AS_OF = date(2017, 12, 31)


@dataclass
class ExportHistory:
    report: Report
    items: list[ActionItem]
    hostile: ActionItem


def build_export_history(seeded: Report, factory) -> ExportHistory:
    recs = list(
        db.session.scalars(
            select(Recommendation).where(Recommendation.report_id == seeded.id).order_by(Recommendation.position)
        )
    )
    items = list(
        db.session.scalars(
            select(ActionItem)
            .join(Recommendation)
            .where(Recommendation.report_id == seeded.id)
            .order_by(ActionItem.recommendation_id, ActionItem.position)
        )
    )
    first, second, third = items[0], items[1], items[2]
    factory.update(
        first,
        Status.IN_PROGRESS,
        40,
        effective=date(2017, 6, 30),
        approved_on=date(2017, 7, 10),
        narrative=IN_YEAR_NARRATIVE,
    )
    # Effective after the as-of date: absent from the 2017 summary.
    factory.update(
        first,
        Status.IN_PROGRESS,
        70,
        effective=date(2018, 3, 31),
        approved_on=date(2018, 4, 5),
        narrative=LATE_NARRATIVE,
    )
    # Effective in 2017 but approved only in 2018: not official on 2017-12-31.
    factory.update(
        second,
        Status.COMPLETED,
        100,
        effective=date(2017, 12, 15),
        approved_on=date(2018, 1, 10),
        narrative=UNAPPROVED_NARRATIVE,
    )
    factory.update(third, Status.PLANNING, 10, effective=date(2017, 6, 30), returned_on=date(2017, 7, 2))
    factory.update(third, Status.ONGOING, 60, effective=date(2017, 12, 31))  # pending on the as-of date
    factory.decision(first, "continue", date(2017, 12, 20), reason=HOSTILE_REASON, review_year=2017)
    hostile_dept = factory.department(code="hostile", name_zh=HOSTILE_DEPT, name_en=HOSTILE_DEPT)
    hostile = factory.item(
        recs[4],
        lead=hostile_dept,
        title_zh=HOSTILE_TITLE,
        title_en=HOSTILE_TITLE,
        code="R5-X",
        start_date=date(2017, 1, 1),
        due_date=date(2017, 9, 30),
    )
    factory.update(
        hostile,
        Status.IN_PROGRESS,
        20,
        effective=date(2017, 3, 31),
        approved_on=date(2017, 4, 2),
        narrative="-2+3 公式字元",
    )
    db.session.commit()
    return ExportHistory(report=seeded, items=items, hostile=hostile)
