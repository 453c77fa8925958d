"""Factories for test objects: short calls that read like the user's story."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from tracker.models import (
    ActionItem,
    Department,
    Direction,
    Indicator,
    Measurement,
    Recommendation,
    Report,
    Review,
    ReviewDecision,
    Role,
    Status,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    User,
)

_seq = itertools.count(1)
# Cheap hashing parameters: tests create many users.
_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
DEFAULT_PASSWORD = "correct horse battery staple"


def at(day: date, hour: int) -> datetime:
    """``hour`` o'clock on ``day`` in Tainan, as the aware UTC time a record stores."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Taipei")).astimezone(UTC)


def refresh(session: Session, item: ActionItem) -> None:
    """Keep the read model in step, as the operations do after every write."""
    from tracker.services import projections

    projections.touch([item.id], session)


def sign_in(client, user: User, *, via_form: bool = False, password: str = DEFAULT_PASSWORD) -> User:
    """Sign ``user`` in on ``client`` (any test client); the one sign-in helper of the suite.

    By default the client's session gets exactly what a successful sign-in puts there
    (tests/session_keys.py), without a request. ``via_form=True`` posts the sign-in form with
    ``password`` as a person does (sign-in events, throttling, the two-factor step) and
    asserts the form accepted it; a test of a refused password posts the form itself.
    The ``login`` fixture (conftest.py) is this function on the ``client`` fixture.
    """
    if via_form:
        resp = client.post("/login", data={"email": user.email, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user
    from tests import session_keys

    with client.session_transaction() as sess:
        sess.update(session_keys.for_user(user))
    return user


class Factory:
    def __init__(self, session: Session):
        self.s = session

    def department(self, code: str | None = None, **kw) -> Department:
        n = next(_seq)
        code = code or f"dept{n}"
        d = Department(
            code=code, name_zh=kw.pop("name_zh", f"測試局{n}"), name_en=kw.pop("name_en", f"Test Bureau {n}"), **kw
        )
        self.s.add(d)
        self.s.flush()
        return d

    def user(
        self,
        role: Role | str = Role.VIEWER,
        department: Department | None = None,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        **kw,
    ) -> User:
        role = Role(role)
        if role is Role.EDITOR and department is None:
            department = self.department()
        n = next(_seq)
        u = User(
            email=(email or f"{role.value}{n}@example.org").lower(),
            name=kw.pop("name", f"{role.value} {n}"),
            password_hash=_hasher.hash(password),
            role=role,
            department=department,
            **kw,
        )
        self.s.add(u)
        self.s.flush()
        return u

    def report(self, **kw) -> Report:
        n = next(_seq)
        r = Report(
            code=kw.pop("code", f"report-{n}"),
            title_zh=kw.pop("title_zh", f"測試報告{n}"),
            title_en=kw.pop("title_en", f"Test report {n}"),
            agency_zh="臺南市政府",
            agency_en="Tainan City Government",
            trip_start=kw.pop("trip_start", date(2016, 11, 12)),
            trip_end=kw.pop("trip_end", date(2016, 11, 19)),
            report_date=kw.pop("report_date", date(2016, 12, 23)),
            **kw,
        )
        self.s.add(r)
        self.s.flush()
        return r

    def recommendation(self, report: Report | None = None, **kw) -> Recommendation:
        n = next(_seq)
        rec = Recommendation(
            report=report or self.report(),
            code=kw.pop("code", f"R{n}"),
            position=kw.pop("position", n),
            section=kw.pop("section", "三(一)"),
            title_zh=kw.pop("title_zh", f"建議{n}"),
            title_en=kw.pop("title_en", f"Recommendation {n}"),
            text_zh=kw.pop("text_zh", "建議內容"),
            text_en=kw.pop("text_en", "Text"),
            **kw,
        )
        self.s.add(rec)
        self.s.flush()
        return rec

    def item(
        self,
        recommendation: Recommendation | None = None,
        lead: Department | None = None,
        supporting: list[Department] | None = None,
        **kw,
    ) -> ActionItem:
        n = next(_seq)
        it = ActionItem(
            recommendation=recommendation or self.recommendation(),
            code=kw.pop("code", f"A{n}"),
            position=kw.pop("position", n),
            title_zh=kw.pop("title_zh", f"辦理事項{n}"),
            title_en=kw.pop("title_en", f"Action item {n}"),
            source_section=kw.pop("source_section", "三(一)"),
            lead_department=lead or self.department(),
            weight=kw.pop("weight", Decimal(1)),
            **kw,
        )
        it.supporting_departments = list(supporting or [])
        self.s.add(it)
        self.s.flush()
        refresh(self.s, it)
        return it

    def update(
        self,
        item: ActionItem,
        status: Status | str = Status.IN_PROGRESS,
        progress: int = 50,
        effective: date = date(2017, 6, 30),
        approved_on: date | None = None,
        returned_on: date | None = None,
        by: User | None = None,
        reviewer: User | None = None,
        submitted_on: date | None = None,
        **kw,
    ) -> StatusUpdate:
        """A status update, optionally reviewed; bumps the item version like the operations do.

        Recorded when it happened: submitted at 09:00 on ``submitted_on`` (default: the day it
        describes), reviewed at 10:00 on the review day, so knowledge dates work as in life."""
        su = StatusUpdate(
            action_item=item,
            status=Status(status),
            progress=progress,
            effective_date=effective,
            based_on_version=item.version,
            department_id=item.lead_department_id,
            submitted_by=by,
            narrative=kw.pop("narrative", "辦理情形"),
            submitted_at=kw.pop("submitted_at", None) or at(submitted_on or effective, 9),
            **kw,
        )
        self.s.add(su)
        item.version += 1
        self.s.flush()
        if approved_on or returned_on:
            self.s.add(
                Review(
                    update=su,
                    decision=ReviewDecision.APPROVE if approved_on else ReviewDecision.RETURN,
                    comment="" if approved_on else "請補充",
                    effective_date=approved_on or returned_on,
                    reviewer=reviewer,
                    recorded_at=at(approved_on or returned_on, 10),
                )
            )
            item.version += 1
            self.s.flush()
        refresh(self.s, item)
        return su

    def decision(
        self,
        item: ActionItem,
        decision: TrackingChoice | str,
        effective: date,
        reason: str = "理由",
        by: User | None = None,
        recorded_on: date | None = None,
        review_year: int | None = None,
    ) -> TrackingDecision:
        d = TrackingDecision(
            action_item=item,
            decision=TrackingChoice(decision),
            reason=reason,
            effective_date=effective,
            decided_by=by,
            review_year=review_year,
            recorded_at=at(recorded_on or effective, 10),
        )
        self.s.add(d)
        item.version += 1
        self.s.flush()
        refresh(self.s, item)
        return d

    def indicator(self, recommendation: Recommendation, **kw) -> Indicator:
        n = next(_seq)
        ind = Indicator(
            recommendation=recommendation,
            code=kw.pop("code", f"I{n}"),
            name_zh=kw.pop("name_zh", f"指標{n}"),
            name_en=kw.pop("name_en", f"Indicator {n}"),
            unit=kw.pop("unit", "%"),
            direction=Direction(kw.pop("direction", "higher")),
            **kw,
        )
        self.s.add(ind)
        self.s.flush()
        return ind

    def measurement(
        self,
        indicator: Indicator,
        value,
        measured_on: date,
        update: StatusUpdate | None = None,
        recorded_on: date | None = None,
    ) -> Measurement:
        m = Measurement(
            indicator=indicator,
            value=Decimal(str(value)),
            measured_on=measured_on,
            update=update,
            recorded_at=at(recorded_on, 11)
            if recorded_on
            else (update.submitted_at if update is not None else at(measured_on, 11)),
        )
        self.s.add(m)
        self.s.flush()
        return m
