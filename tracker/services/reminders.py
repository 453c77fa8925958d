"""Reminder digests driven by the reporting periods (docs/reminders.md).

Editors hear about the period whose reports are being collected on the reminder days before
its deadline (``REMINDER_DAYS_BEFORE``, default 7, 3, 1 and 0 days), about items still not
reported for the last period whose deadline has passed (the day after it, then every
``REMINDER_INTERVAL_AFTER`` days until the next deadline), and about reports the commission
returned; overdue items ride along but never trigger an e-mail alone. Reviewers hear how
many reports wait for review. At most one digest of each kind per person per day (the
ReminderLog ledger), and nobody gets an e-mail with nothing to do.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..locale import normalise_locale
from ..mail import Mailer, build_message
from ..models import ActionItem, Department, ItemPeriod, ReminderLog, Review, Role, StatusUpdate, User
from ..periods import Period
from . import progress, projections
from .review import pending_count, pending_updates_query

EDITOR = "editor_digest"
REVIEWER = "reviewer_digest"


@dataclass
class Digest:
    """What one person is reminded of on one day."""

    user: User
    kind: str
    as_of: date
    department: Department | None = None
    # Editors: the period whose reports are being collected (deadline ahead) and its items
    # not reported yet; the last period whose deadline has passed and its items never reported.
    due_period: Period | None = None
    due: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    late_period: Period | None = None
    late: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    overdue: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    returned: list[StatusUpdate] = field(default_factory=list)
    # Reviewers: how many reports wait, and the oldest of them.
    pending_total: int = 0
    pending: list[StatusUpdate] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to do: no e-mail (overdue items alone never trigger one)."""
        return not (self.due or self.late or self.returned or self.pending)

    @property
    def days_left(self) -> int | None:
        return (self.due_period.deadline - self.as_of).days if self.due_period is not None else None

    @property
    def locale(self) -> str:
        return normalise_locale(self.user.locale) or "zh_TW"

    def fingerprint(self) -> str:
        """A stable hash of the digest's content (stored in the ledger)."""
        body = {
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "due": [i.id for i, _s in self.due],
            "late": [i.id for i, _s in self.late],
            "overdue": [i.id for i, _s in self.overdue],
            "returned": [u.id for u in self.returned],
            "pending": [u.id for u in self.pending],
            "pending_total": self.pending_total,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _days(setting: str, default: str) -> list[int]:
    raw = str(current_app.config.get(setting, default) or default)
    return sorted({int(p.strip()) for p in raw.split(",") if p.strip().isascii() and p.strip().isdigit()}, reverse=True)


def reminder_plan(day: date) -> tuple[Period | None, Period | None]:
    """(the period to remind about before its deadline, the period to chase after its
    deadline) on ``day``; either is None when ``day`` is no reminder day for it."""
    cal = progress.calendar()
    before_days = _days("REMINDER_DAYS_BEFORE", "7,3,1,0")
    every = max(1, int(current_app.config.get("REMINDER_INTERVAL_AFTER", 7) or 7))
    collecting = cal.previous(cal.containing(day))  # ended; its reports are being collected
    due = collecting if day <= collecting.deadline and (collecting.deadline - day).days in before_days else None
    last = cal.last_due(day)
    late = None
    if last is not None and day <= cal.next(last).deadline:  # until the next deadline takes over
        after = (day - last.deadline).days
        if after >= 1 and (after - 1) % every == 0:
            late = last
    return due, late


def _not_reported(session: Session, period: Period, department_ids: Iterable[int]) -> dict[int, list]:
    """Per lead department: items that must report on ``period`` and have not (read model)."""
    ip = ItemPeriod
    rows = session.execute(
        select(ip, ActionItem)
        .join(ActionItem, ActionItem.id == ip.item_id)
        .where(
            ip.period_end == period.end,
            ip.must_report.is_(True),
            ip.review.is_(None),
            ip.lead_department_id.in_(list(department_ids)),
        )
        .order_by(ip.lead_department_id, ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
    ).all()
    out: dict[int, list] = defaultdict(list)
    for row, item in rows:
        out[row.lead_department_id].append((item, progress.state_from_row(row)))
    return out


def _department_rows(session: Session, day: date, department_ids: Iterable[int]) -> tuple[dict, dict]:
    """Per department: items overdue on ``day``, and the returned reports to revise."""
    ip = ItemPeriod
    current = projections.ensure_current()
    rows = session.execute(
        select(ip, ActionItem)
        .join(ActionItem, ActionItem.id == ip.item_id)
        .where(
            ip.period_end == current,
            ip.lead_department_id.in_(list(department_ids)),
            or_(ip.open_due_date < day, ip.returned_update_id.is_not(None)),
        )
        .order_by(ActionItem.recommendation_id, ActionItem.position, ActionItem.id)
    ).all()
    overdue: dict[int, list] = defaultdict(list)
    returned_ids: dict[int, list[int]] = defaultdict(list)
    for row, item in rows:
        if row.open_due_date is not None and row.open_due_date < day:
            overdue[row.lead_department_id].append((item, progress.state_from_row(row)))
        if row.returned_update_id is not None:
            returned_ids[row.lead_department_id].append(row.returned_update_id)
    wanted = [i for ids in returned_ids.values() for i in ids]
    updates = (
        {
            u.id: u
            for u in session.scalars(
                select(StatusUpdate)
                .where(StatusUpdate.id.in_(wanted))
                .options(
                    selectinload(StatusUpdate.review).selectinload(Review.reviewer),
                    selectinload(StatusUpdate.action_item),
                )
            )
        }
        if wanted
        else {}
    )
    returned = {d: [updates[i] for i in ids if i in updates] for d, ids in returned_ids.items()}
    return overdue, returned


REVIEWER_LIST = 20


def collect_digests(as_of: date, session: Session | None = None) -> list[Digest]:
    """Every non-empty digest for ``as_of``: one per active editor (their department's items)
    and one per active reviewer (reports waiting for review). A fixed number of statements."""
    session = session or db.session
    projections.sync(session)
    users = list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_((Role.EDITOR, Role.REVIEWER)))
            .options(selectinload(User.department))
            .order_by(User.id)
        )
    )
    dept_ids = {u.department_id for u in users if u.role is Role.EDITOR and u.department_id is not None}
    due_period, late_period = reminder_plan(as_of)
    due = _not_reported(session, due_period, dept_ids) if due_period and dept_ids else {}
    late = _not_reported(session, late_period, dept_ids) if late_period and dept_ids else {}
    overdue, returned = _department_rows(session, as_of, dept_ids) if dept_ids else ({}, {})
    pending: list[StatusUpdate] | None = None
    total = 0
    digests: list[Digest] = []
    for user in users:
        if user.role is Role.EDITOR:
            if user.department_id is None or (user.department and not user.department.active):
                continue
            mine_due, mine_late = due.get(user.department_id, []), late.get(user.department_id, [])
            d = Digest(
                user=user,
                kind=EDITOR,
                as_of=as_of,
                department=user.department,
                due_period=due_period if mine_due else None,
                due=mine_due,
                late_period=late_period if mine_late else None,
                late=mine_late,
                overdue=overdue.get(user.department_id, []),
                returned=returned.get(user.department_id, []),
            )
        else:
            if pending is None:
                total = pending_count(session)
                pending = (
                    list(
                        session.scalars(
                            pending_updates_query()
                            .limit(REVIEWER_LIST)
                            .options(
                                selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
                                selectinload(StatusUpdate.department),
                            )
                        )
                    )
                    if total
                    else []
                )
            d = Digest(user=user, kind=REVIEWER, as_of=as_of, pending=pending, pending_total=total)
        if not d.empty:
            digests.append(d)
    return digests


def already_sent(as_of: date, session: Session | None = None) -> set[tuple[int, str]]:
    """(user id, kind) pairs already sent on ``as_of``."""
    session = session or db.session
    rows = session.execute(select(ReminderLog.user_id, ReminderLog.kind).where(ReminderLog.sent_on == as_of))
    return {(user_id, kind) for user_id, kind in rows}


def render_digest(digest: Digest) -> EmailMessage:
    """The digest as a multipart (plain text + HTML) message in the recipient's language."""
    base_url = current_app.config.get("BASE_URL", "http://127.0.0.1:5000")
    settings_sender = current_app.config.get("MAIL_DEFAULT_SENDER", "tracker@localhost")
    with current_app.test_request_context("/", base_url=base_url), force_locale(digest.locale):
        if digest.kind == EDITOR:
            subject = _(
                "Policy Benchmark Tracker: %(n)s action items of %(dept)s need attention",
                n=len({i.id for i, _s in digest.due + digest.late} | {u.action_item_id for u in digest.returned}),
                dept=digest.department.name(digest.locale) if digest.department else "",
            )
            link = url_for("mydept.index", _external=True)
            template = "email/digest_editor"
        else:
            subject = _("Policy Benchmark Tracker: %(n)s updates wait for your review", n=digest.pending_total)
            link = url_for("review.queue", _external=True)
            template = "email/digest_reviewer"
        ctx = {
            "digest": digest,
            "link": link,
            "user": digest.user,
            "dashboard_link": url_for("dashboard.index", _external=True),
        }
        text = render_template(f"{template}.txt", **ctx)
        html = render_template(f"{template}.html", **ctx)
    return build_message(digest.user.email, subject, text, html, settings_sender, to_name=digest.user.name)


def send_digest(digest: Digest, mailer: Mailer, session: Session | None = None) -> ReminderLog:
    """Send one digest and add its ledger row (flushes; the caller commits right after)."""
    session = session or db.session
    mailer.send(render_digest(digest))
    row = ReminderLog(user_id=digest.user.id, sent_on=digest.as_of, digest_hash=digest.fingerprint(), kind=digest.kind)
    session.add(row)
    session.flush()
    return row


def due_digests(as_of: date, session: Session | None = None) -> tuple[list[Digest], list[Digest]]:
    """(digests to send, digests skipped because already sent today)."""
    digests = collect_digests(as_of, session)
    sent = already_sent(as_of, session)
    todo = [d for d in digests if (d.user.id, d.kind) not in sent]
    done = [d for d in digests if (d.user.id, d.kind) in sent]
    return todo, done


def describe(digests: Iterable[Digest]) -> list[str]:
    """One line per digest, for the CLI's output."""
    lines = []
    for d in digests:
        if d.kind == EDITOR:
            lines.append(
                f"{d.user.email} [{d.locale}] editor: due={len(d.due)} late={len(d.late)} "
                f"returned={len(d.returned)} overdue={len(d.overdue)}"
            )
        else:
            lines.append(f"{d.user.email} [{d.locale}] reviewer: pending={d.pending_total}")
    return lines
