"""Hand-computed period scenarios (docs/domain.md): one report filed 2016-12-23, half-year
periods with a 15-day deadline, so the first period an item reports on is 2017 H1
(2017-01-01 to 2017-06-30, due 2017-07-15) and 2017 H2 is due 2018-01-15.

Each item tells one story; the answers the tests expect are written next to it.

* LATE      report on 2017-06-30, submitted 07-20 (after the deadline), approved 07-25: 40 %.
* JANUARY   H1 report 30 % approved 2017-07-10; the 2017-12-31 report (60 %) submitted
            2018-01-05 and approved 2018-01-20 — in the 2017 summary compiled after that.
* RETURNED  2017-06-30 report submitted 07-01, returned 07-05, corrected 07-08 and the
            correction (50 %) approved 07-12.
* NEVER     never reports: not reported from 2017-07-16 on.
* RELEASED  completed on 2017-08-31 (approved 09-05), released from tracking 2017-09-10.
* OVERDUE   due 2017-06-30, 10 % on 2017-06-01 (approved 06-02): overdue from 07-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.extensions import db
from tracker.models import ActionItem, Report, Status, TrackingChoice


@dataclass
class Scenarios:
    report: Report
    late: ActionItem
    january: ActionItem
    returned: ActionItem
    never: ActionItem
    released: ActionItem
    overdue: ActionItem
    correction_id: int
    returned_id: int

    @property
    def items(self) -> list[ActionItem]:
        return [self.late, self.january, self.returned, self.never, self.released, self.overdue]


def build_scenarios(factory) -> Scenarios:
    report = factory.report(code="scenarios", report_date=date(2016, 12, 23))
    r1 = factory.recommendation(report, code="R1", position=0)
    r2 = factory.recommendation(report, code="R2", position=1)
    water, econ = factory.department(code="WATER"), factory.department(code="ECON")

    def item(rec, code, lead, **kw):
        return factory.item(rec, code=code, lead=lead, weight=Decimal(1), **kw)

    late = item(r1, "LATE", water)
    factory.update(
        late, progress=40, effective=date(2017, 6, 30), submitted_on=date(2017, 7, 20), approved_on=date(2017, 7, 25)
    )

    january = item(r1, "JANUARY", water)
    factory.update(
        january, progress=30, effective=date(2017, 6, 30), submitted_on=date(2017, 7, 3), approved_on=date(2017, 7, 10)
    )
    factory.update(
        january, progress=60, effective=date(2017, 12, 31), submitted_on=date(2018, 1, 5), approved_on=date(2018, 1, 20)
    )

    returned = item(r1, "RETURNED", econ)
    first = factory.update(
        returned, progress=20, effective=date(2017, 6, 30), submitted_on=date(2017, 7, 1), returned_on=date(2017, 7, 5)
    )
    correction = factory.update(
        returned,
        progress=50,
        effective=date(2017, 6, 30),
        submitted_on=date(2017, 7, 8),
        approved_on=date(2017, 7, 12),
        corrects_id=first.id,
    )

    never = item(r2, "NEVER", econ)

    released = item(r2, "RELEASED", water)
    factory.update(
        released, progress=60, effective=date(2017, 6, 30), submitted_on=date(2017, 7, 2), approved_on=date(2017, 7, 6)
    )
    factory.update(
        released,
        status=Status.COMPLETED,
        progress=100,
        effective=date(2017, 8, 31),
        submitted_on=date(2017, 9, 1),
        approved_on=date(2017, 9, 5),
        evidence_url="https://example.org/done",
    )
    factory.decision(released, TrackingChoice.RELEASE, date(2017, 9, 10), reason="已完成，解除列管")

    overdue = item(r2, "OVERDUE", econ, due_date=date(2017, 6, 30))
    factory.update(
        overdue, progress=10, effective=date(2017, 6, 1), submitted_on=date(2017, 6, 1), approved_on=date(2017, 6, 2)
    )
    db.session.commit()
    return Scenarios(report, late, january, returned, never, released, overdue, correction.id, first.id)
