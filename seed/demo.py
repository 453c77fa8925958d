"""Demo data for trying the tracker out: never loaded in production (``flask seed --demo``
is refused there).

* One account per role (admin, reviewer, viewer), an editor in the department that leads
  the most action items, a second editor in the next one, and an editor for every other
  department whose items get demo updates. Passwords are random and returned once; an
  existing demo account gets a new password (and its old sessions end).
* A clearly marked history (every text starts with 「示範資料」) of half-yearly status updates
  for 2017–2018: approved updates, one returned and resubmitted, one still pending, tracking
  decisions (continue; release of a completed item) and a few invented measurements. What
  is reported and decided when is the plan in ``seed.demo_plan``; this module writes it.

Idempotent: the history is written once (skipped when any update by a demo account
exists). Flushes, never commits. History rows are append-only: written, never changed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from seed.demo_plan import DECISIONS, DEMO_DOMAIN, DEMO_REPORT, PLAN, YEAR_END_MEETING, Step
from tracker.models import (
    ActionItem,
    Department,
    Indicator,
    Measurement,
    Recommendation,
    Report,
    Review,
    ReviewDecision,
    Role,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    User,
    utcnow,
)

__all__ = ["DEMO_DOMAIN", "load_demo"]

DEMO_MARK = "示範資料："
PASSWORD_BYTES = 18  # token_urlsafe(18) gives 24 characters
TAIPEI = ZoneInfo("Asia/Taipei")
MEASUREMENT_NOTE = "示範資料：虛構數值，非實際統計（demo value, not an official figure）"
SUBMIT_AFTER = timedelta(days=5)  # a department reports a few days after the period ends
REVIEW_AFTER = timedelta(days=10)  # and the commission reviews a few days later


def _at(d: date, hour: int = 9) -> datetime:
    """``hour`` o'clock in Tainan on ``d``, as an aware UTC datetime."""
    return datetime.combine(d, time(hour), tzinfo=TAIPEI).astimezone(UTC)


def _password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


# --- accounts -------------------------------------------------------------------------------------


def _account(
    session: Session, hasher: PasswordHasher, email: str, role: Role, name: str, department: Department | None
) -> tuple[str, str, str]:
    """Create the demo account or give the existing one a new password."""
    password = _password()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, name=name, department=department, password_hash=hasher.hash(password))
        session.add(user)
    else:
        user.password_hash = hasher.hash(password)
        user.password_changed_at = utcnow()
        user.session_version = (user.session_version or 1) + 1  # old sessions end
        user.role, user.department, user.name = role, department, name
        user.active, user.failed_logins, user.locked_until = True, 0, None
    return role.value, email, password


def _demo_report(session: Session) -> Report | None:
    report = session.scalar(select(Report).where(Report.code == DEMO_REPORT))
    return report or session.scalar(select(Report).order_by(Report.id).limit(1))


def _items(session: Session, report: Report | None) -> list[ActionItem]:
    if report is None:
        return []
    return list(
        session.scalars(
            select(ActionItem)
            .join(Recommendation)
            .where(Recommendation.report_id == report.id)
            .options(selectinload(ActionItem.lead_department), selectinload(ActionItem.indicators))
            .order_by(Recommendation.position, ActionItem.position)
        )
    )


def _editor_departments(items: list[ActionItem]) -> list[Department]:
    """Departments that get a demo editor: the two leading the most items first (the
    'editor' and 'editor2' accounts), then every other lead department in the demo plan."""
    counts = Counter(item.lead_department for item in items)
    ranked = sorted(counts, key=lambda d: (-counts[d], d.code))
    chosen = ranked[:2]
    for item in items:
        if item.code in PLAN and item.lead_department not in chosen:
            chosen.append(item.lead_department)
    return chosen


def _accounts(
    session: Session, items: list[ActionItem], hasher: PasswordHasher
) -> tuple[list[tuple[str, str, str]], dict[int, User]]:
    reviewer_dept = session.scalar(select(Department).where(Department.code == "rdec"))
    accounts = [
        _account(session, hasher, f"admin@{DEMO_DOMAIN}", Role.ADMIN, "示範管理者 Demo admin", None),
        _account(session, hasher, f"reviewer@{DEMO_DOMAIN}", Role.REVIEWER, "示範審核者 Demo reviewer", reviewer_dept),
        _account(session, hasher, f"viewer@{DEMO_DOMAIN}", Role.VIEWER, "示範檢視者 Demo viewer", None),
    ]
    editors: dict[int, str] = {}
    for n, dept in enumerate(_editor_departments(items)):
        local = "editor" if n == 0 else "editor2" if n == 1 else f"editor-{dept.code.lower()}"
        email = f"{local}@{DEMO_DOMAIN}"
        accounts.append(_account(session, hasher, email, Role.EDITOR, f"示範承辦人（{dept.name_zh}）", dept))
        editors[dept.id] = email
    session.flush()
    by_email = {u.email: u for u in session.scalars(select(User).where(User.email.in_(editors.values())))}
    return accounts, {dept_id: by_email[email] for dept_id, email in editors.items()}


# --- history --------------------------------------------------------------------------------------


def _history_exists(session: Session) -> bool:
    return (
        session.scalar(
            select(StatusUpdate.id)
            .join(User, StatusUpdate.submitted_by_id == User.id)
            .where(User.email.like(f"%@{DEMO_DOMAIN}"))
            .limit(1)
        )
        is not None
    )


class _ItemWriter:
    """Writes one item's demo history in date order, bumping the item's version per record."""

    def __init__(
        self,
        session: Session,
        item: ActionItem,
        editor: User | None,
        reviewer: User | None,
        indicators: dict[str, Indicator],
    ):
        self.session, self.item, self.editor, self.reviewer = session, item, editor, reviewer
        self.indicators = indicators

    def _bump(self) -> None:
        self.item.version = (self.item.version or 1) + 1

    def submit(self, step: Step, narrative: str, when: date, corrects: StatusUpdate | None = None) -> StatusUpdate:
        update = StatusUpdate(
            action_item=self.item,
            status=step.status,
            progress=step.progress,
            effective_date=step.effective,
            narrative=DEMO_MARK + narrative,
            reason=step.reason,
            evidence_url=step.evidence,
            based_on_version=self.item.version,
            corrects=corrects,
            department_id=self.item.lead_department_id,
            submitted_by=self.editor,
            submitted_at=_at(when),
        )
        self.session.add(update)
        # Flushed one by one so ids follow the dates: a resubmission (which points at the
        # update it corrects) would otherwise be inserted after later updates.
        self.session.flush()
        self._bump()
        for code, value in step.measurements:
            indicator = self.indicators.get(code)
            if indicator is not None:
                self.session.add(
                    Measurement(
                        indicator=indicator,
                        value=Decimal(value),
                        measured_on=step.effective,
                        source_note=MEASUREMENT_NOTE,
                        update=update,
                        recorded_by_id=self.editor.id if self.editor else None,
                        recorded_at=_at(when),
                    )
                )
        return update

    def review(self, update: StatusUpdate, decision: ReviewDecision, when: date, comment: str = "") -> None:
        self.session.add(
            Review(
                update=update,
                decision=decision,
                comment=comment,
                effective_date=when,
                reviewer=self.reviewer,
                recorded_at=_at(when, 10),
            )
        )
        self._bump()

    def decide(self, choice: TrackingChoice, year: int, reason: str) -> None:
        """The year-end review of ``year``: dated on the year's last day (the state it judges),
        recorded at the January meeting."""
        self.session.add(
            TrackingDecision(
                action_item=self.item,
                decision=choice,
                reason=DEMO_MARK + reason,
                effective_date=date(year, 12, 31),
                decided_by=self.reviewer,
                recorded_at=_at(YEAR_END_MEETING[year], 10),
                review_year=year,
            )
        )
        self._bump()

    def write(self, steps: tuple[Step, ...], decisions: list[tuple[int, TrackingChoice, str]]) -> None:
        pending = sorted(decisions, key=lambda d: d[0])
        for step in steps:
            submitted = step.effective + SUBMIT_AFTER
            pending = self._decisions_before(pending, submitted)
            update = self.submit(step, step.narrative, submitted)
            reviewed = step.effective + REVIEW_AFTER
            if step.review == "approve":
                self.review(update, ReviewDecision.APPROVE, reviewed)
            elif step.review == "return":
                self.review(update, ReviewDecision.RETURN, reviewed, step.comment)
                again = self.submit(step, step.resubmission, reviewed + timedelta(days=4), corrects=update)
                self.review(again, ReviewDecision.APPROVE, reviewed + timedelta(days=7))
        self._decisions_before(pending, date.max)

    def _decisions_before(self, pending: list, limit: date) -> list:
        while pending and YEAR_END_MEETING[pending[0][0]] < limit:
            year, choice, reason = pending.pop(0)
            self.decide(choice, year, reason)
        return pending


def _history(session: Session, items: list[ActionItem], editors: dict[int, User]) -> None:
    reviewer = session.scalar(select(User).where(User.email == f"reviewer@{DEMO_DOMAIN}"))
    indicators = {}
    for item in items:
        for ind in item.indicators:
            indicators[ind.code] = ind
    for item in items:
        steps = PLAN.get(item.code, ())
        decisions = [(year, choice, reason) for c, year, choice, reason in DECISIONS if c == item.code]
        if not steps and not decisions:
            continue
        _ItemWriter(session, item, editors.get(item.lead_department_id), reviewer, indicators).write(steps, decisions)


def load_demo(session: Session, hasher: PasswordHasher | None = None) -> list[tuple[str, str, str]]:
    """Create (or reset) the demo accounts and write the demo history once.

    Returns (role, e-mail, password) for every demo account; the passwords are shown
    once and stored only as argon2id hashes (``PasswordHasher()``'s recommended
    parameters unless a cheaper hasher is passed, as the tests do).
    """
    items = _items(session, _demo_report(session))
    accounts, editors = _accounts(session, items, hasher or PasswordHasher())
    if items and not _history_exists(session):
        _history(session, items, editors)
    session.flush()
    from tracker.services import projections

    projections.touch([item.id for item in items], session)
    return accounts
