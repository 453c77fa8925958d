"""Demo data for trying the tracker out: never loaded in production (``flask seed --demo``
is refused there).

* One account per role (admin, reviewer, viewer), an editor in the department that leads
  the most action items, a second editor in the next one, and an editor for every other
  department whose items get demo updates. Passwords are random and returned once; an
  existing demo account gets a new password (and its old sessions end).
* A clearly marked history (every text starts with 「示範資料」) of half-yearly status updates
  for 2017–2018: approved updates, one returned and resubmitted, one still pending, tracking
  decisions (continue; release of a completed item) and a few invented measurements.

Idempotent: the history is written once (skipped when any update by a demo account
exists). Flushes, never commits. History rows are append-only: written, never changed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
    Status,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    User,
    utcnow,
)

__all__ = ["DEMO_DOMAIN", "load_demo"]

DEMO_DOMAIN = "demo.tainan.example"
DEMO_MARK = "示範資料："
PASSWORD_BYTES = 18  # token_urlsafe(18) gives 24 characters
TAIPEI = ZoneInfo("Asia/Taipei")
EVIDENCE_BASE = f"https://{DEMO_DOMAIN}/evidence/"
MEASUREMENT_NOTE = "示範資料：虛構數值，非實際統計（demo value, not an official figure）"

# Which report the demo history is written for (the first report when it is missing).
DEMO_REPORT = "israel-2016"
SUBMIT_AFTER = timedelta(days=5)  # a department reports a few days after the period ends
REVIEW_AFTER = timedelta(days=10)  # and the commission reviews a few days later


@dataclass(frozen=True)
class Step:
    """One half-yearly status update in the demo plan and what the reviewer does with it."""

    effective: date
    status: Status
    progress: int
    narrative: str
    review: str | None = "approve"  # "approve", "return" (then resubmitted and approved) or None (pending)
    comment: str = ""
    reason: str = ""
    evidence: str = ""
    measurements: tuple[tuple[str, str], ...] = ()  # (indicator code, value)
    resubmission: str = ""  # narrative of the corrected update after a return


H1_2017, H2_2017, H1_2018, H2_2018 = date(2017, 6, 30), date(2017, 12, 31), date(2018, 6, 30), date(2018, 12, 31)
IP, ONGOING, PLANNING = Status.IN_PROGRESS, Status.ONGOING, Status.PLANNING

PLAN: dict[str, tuple[Step, ...]] = {
    "R1-01": (
        Step(H1_2017, IP, 20, "盤點藍曬圖園區、BIG O、BIG O2 及胖地之營運現況，研擬整合輔導資源。"),
        Step(H2_2017, IP, 40, "各基地持續營運，辦理創業輔導及交流活動。"),
        Step(H1_2018, ONGOING, 60, "新創育成已納入年度例行業務，持續辦理。"),
        Step(H2_2018, ONGOING, 70, "持續辦理，並參考以色列新創基地四項目標調整輔導內容。"),
    ),
    "R1-03": (
        Step(H1_2017, PLANNING, 5, "蒐集耶路撒冷影視產業支持措施資料。"),
        Step(H2_2017, Status.ON_HOLD, 5, "配合中央影城規劃期程，暫緩辦理。", reason="示範資料：待中央影城計畫確定。"),
    ),
    "R2-01": (
        Step(H1_2017, IP, 30, "彙整警察局、交通局運用路口監視器影像之情形。"),
        Step(H2_2017, IP, 45, "與災害防救辦公室、工務局研商災情掌握之影像運用。"),
        Step(
            H1_2018,
            IP,
            60,
            "持續推動路口監視器影像跨局處運用。",
            review="return",
            comment="示範資料：請補充各局處實際運用情形。",
            resubmission="已補充交通局、災害防救辦公室及工務局之運用情形。",
        ),
        Step(H2_2018, IP, 75, "跨局處運用機制運作中。"),
    ),
    "R3-01": (
        Step(
            H1_2017,
            ONGOING,
            50,
            "陽光電城計畫持續推動。",
            measurements=(("pv-capacity", "230"), ("pv-generation", "280")),
        ),
        Step(
            H2_2017,
            ONGOING,
            60,
            "持續受理太陽光電設置案件。",
            measurements=(("pv-capacity", "265"), ("pv-generation", "320")),
        ),
        Step(
            H1_2018,
            ONGOING,
            70,
            "持續推動，並宣導低碳城市自治條例。",
            measurements=(("pv-capacity", "300"), ("pv-generation", "365")),
        ),
        Step(
            H2_2018,
            ONGOING,
            80,
            "持續推動陽光電城計畫。",
            review=None,
            measurements=(("pv-capacity", "340"), ("pv-generation", "410")),
        ),
    ),
    "R3-02": (
        Step(H1_2017, PLANNING, 10, "辦理再生水計畫規劃作業。"),
        Step(H2_2017, IP, 30, "再生水計畫推動中。"),
        Step(H1_2018, IP, 50, "再生水計畫持續推動。"),
        Step(H2_2018, IP, 65, "再生水計畫持續推動。"),
    ),
    "R4-01": (
        Step(H2_2017, PLANNING, 10, "研擬長期人才培育規劃，洽詢各級學校合作意願。"),
        Step(H1_2018, IP, 25, "與學校研商綠能及影視相關課程合作。"),
        Step(H2_2018, IP, 35, "持續推動學校合作。"),
    ),
    "R5-01": (
        Step(H2_2017, IP, 20, "與若娜娜市聯繫，研商交流項目。"),
        Step(H1_2018, ONGOING, 40, "姊妹市交流納入年度國際交流業務。"),
        Step(H2_2018, ONGOING, 50, "持續辦理姊妹市交流。"),
    ),
    "R5-03": (
        Step(H1_2017, IP, 40, "已致函若娜娜市，洽詢訪問時程。"),
        Step(H2_2017, Status.COMPLETED, 100, "訪問已完成（示範情境）。", evidence=EVIDENCE_BASE + "R5-03"),
    ),
}

# The commission's year-end reviews (列管建議 and 審核意見 for the year): every item of the
# report for 2017, recorded at the review meeting in January 2018; for 2018 only R2-01 so
# far, so the 2018 summary is still a draft. (item, year, decision, opinion)
YEAR_END_MEETING = {2017: date(2018, 1, 20), 2018: date(2019, 1, 20)}
DECISIONS: tuple[tuple[str, int, TrackingChoice, str], ...] = (
    ("R1-01", 2017, TrackingChoice.CONTINUE, "尚在辦理中，繼續列管。"),
    ("R1-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R1-03", 2017, TrackingChoice.CONTINUE, "配合中央期程暫緩辦理，繼續列管。"),
    ("R2-01", 2017, TrackingChoice.CONTINUE, "跨局處運用推動中，繼續列管。"),
    ("R2-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R3-01", 2017, TrackingChoice.SELF_TRACK, "已納入陽光電城計畫例行推動，改由主辦機關自行列管。"),
    ("R3-02", 2017, TrackingChoice.CONTINUE, "再生水計畫推動中，繼續列管。"),
    ("R3-03", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R3-04", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R4-01", 2017, TrackingChoice.CONTINUE, "規劃中，繼續列管。"),
    ("R5-01", 2017, TrackingChoice.CONTINUE, "交流項目研商中，繼續列管。"),
    ("R5-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R5-03", 2017, TrackingChoice.RELEASE, "事項已完成（示範情境），解除列管。"),
    ("R5-04", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R2-01", 2018, TrackingChoice.CONTINUE, "持續擴充跨局處運用，繼續列管。"),
)


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
