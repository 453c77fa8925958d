"""Reminder digests: department editors hear about their overdue, due-soon and stale
items and returned updates; reviewers about the updates waiting for them.

At most one digest of each kind per person per day: the ReminderLog ledger records
what was sent, so running ``send-reminders`` twice on one day sends nothing new.
Nobody gets an empty digest.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Iterable

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..locale import normalise_locale
from ..mail import Mailer, build_message
from ..models import (
    ActionItem, Department, ReminderLog, Review, ReviewDecision, Role, StatusUpdate, User,
)
from . import progress
from .review import pending_updates_query

EDITOR = "editor_digest"
REVIEWER = "reviewer_digest"


@dataclass
class Digest:
    """What one person is reminded of on one day."""

    user: User
    kind: str
    as_of: date
    department: Department | None = None
    overdue: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    due_soon: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    stale: list[tuple[ActionItem, progress.ItemState]] = field(default_factory=list)
    returned: list[StatusUpdate] = field(default_factory=list)
    pending: list[StatusUpdate] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon or self.stale or self.returned or self.pending)

    @property
    def locale(self) -> str:
        return normalise_locale(self.user.locale) or "zh_TW"

    def fingerprint(self) -> str:
        """A stable hash of the digest's content (stored in the ledger)."""
        body = {
            "kind": self.kind, "as_of": self.as_of.isoformat(),
            "overdue": [i.id for i, _s in self.overdue], "due_soon": [i.id for i, _s in self.due_soon],
            "stale": [i.id for i, _s in self.stale], "returned": [u.id for u in self.returned],
            "pending": [u.id for u in self.pending],
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _returned_updates(session: Session) -> dict[int, list[StatusUpdate]]:
    """Returned updates not yet followed by a newer update on the same item, per department."""
    latest = dict(session.execute(
        select(StatusUpdate.action_item_id, func.max(StatusUpdate.id)).group_by(StatusUpdate.action_item_id)
    ).all())
    rows = session.scalars(
        select(StatusUpdate).join(Review, Review.update_id == StatusUpdate.id)
        .where(Review.decision == ReviewDecision.RETURN)
        .options(selectinload(StatusUpdate.review).selectinload(Review.reviewer),
                 selectinload(StatusUpdate.action_item))
        .order_by(StatusUpdate.id)
    )
    out: dict[int, list[StatusUpdate]] = defaultdict(list)
    for u in rows:
        if latest.get(u.action_item_id) == u.id:
            out[u.department_id].append(u)
    return out


def collect_digests(as_of: date, session: Session | None = None) -> list[Digest]:
    """Every non-empty digest for ``as_of``: one per active editor (their department's
    items) and one per active reviewer (pending updates). A fixed number of statements."""
    session = session or db.session
    items = progress.load_items(session=session)
    states = progress.item_states(items, as_of, session=session) if items else {}
    by_dept: dict[int, list[ActionItem]] = defaultdict(list)
    for it in items:
        by_dept[it.lead_department_id].append(it)
    returned = _returned_updates(session)
    users = list(session.scalars(
        select(User).where(User.active.is_(True), User.role.in_((Role.EDITOR, Role.REVIEWER)))
        .options(selectinload(User.department)).order_by(User.id)))
    pending: list[StatusUpdate] | None = None
    digests: list[Digest] = []
    for user in users:
        if user.role is Role.EDITOR:
            if user.department_id is None or (user.department and not user.department.active):
                continue
            d = Digest(user=user, kind=EDITOR, as_of=as_of, department=user.department)
            for it in by_dept.get(user.department_id, []):
                st = states[it.id]
                if st.overdue:
                    d.overdue.append((it, st))
                if st.due_soon:
                    d.due_soon.append((it, st))
                if st.stale:
                    d.stale.append((it, st))
            d.returned = returned.get(user.department_id, [])
        else:
            if pending is None:
                pending = list(session.scalars(pending_updates_query().options(
                    selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
                    selectinload(StatusUpdate.department))))
            d = Digest(user=user, kind=REVIEWER, as_of=as_of, pending=pending)
        if not d.empty:
            digests.append(d)
    return digests


def already_sent(as_of: date, session: Session | None = None) -> set[tuple[int, str]]:
    """(user id, kind) pairs already sent on ``as_of``."""
    session = session or db.session
    rows = session.execute(select(ReminderLog.user_id, ReminderLog.kind).where(ReminderLog.sent_on == as_of))
    return {(user_id, kind) for user_id, kind in rows}


def _link(endpoint: str, fallback: str = "reports.index", **values) -> str:
    if endpoint not in current_app.view_functions:
        endpoint = fallback
    return url_for(endpoint, _external=True, **values)


def render_digest(digest: Digest) -> EmailMessage:
    """The digest as a multipart (plain text + HTML) message in the recipient's language."""
    base_url = current_app.config.get("BASE_URL", "http://127.0.0.1:5000")
    settings_sender = current_app.config.get("MAIL_DEFAULT_SENDER", "tracker@localhost")
    with current_app.test_request_context("/", base_url=base_url), force_locale(digest.locale):
        if digest.kind == EDITOR:
            subject = _("Policy Benchmark Tracker: %(n)s action items of %(dept)s need attention",
                        n=len({i.id for i, _s in digest.overdue + digest.due_soon + digest.stale}
                              | {u.action_item_id for u in digest.returned}),
                        dept=digest.department.name(digest.locale) if digest.department else "")
            link = _link("mydept.index")
            template = "email/digest_editor"
        else:
            subject = _("Policy Benchmark Tracker: %(n)s updates wait for your review", n=len(digest.pending))
            link = _link("review.queue")
            template = "email/digest_reviewer"
        ctx = {"digest": digest, "link": link, "user": digest.user,
               "dashboard_link": _link("dashboard.index")}
        text = render_template(f"{template}.txt", **ctx)
        html = render_template(f"{template}.html", **ctx)
    return build_message(digest.user.email, subject, text, html, settings_sender, to_name=digest.user.name)


def send_digest(digest: Digest, mailer: Mailer, session: Session | None = None) -> ReminderLog:
    """Send one digest and add its ledger row (flushes; the caller commits right after)."""
    session = session or db.session
    mailer.send(render_digest(digest))
    row = ReminderLog(user_id=digest.user.id, sent_on=digest.as_of, digest_hash=digest.fingerprint(),
                      kind=digest.kind)
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
            lines.append(f"{d.user.email} [{d.locale}] editor: overdue={len(d.overdue)} due_soon={len(d.due_soon)} "
                         f"stale={len(d.stale)} returned={len(d.returned)}")
        else:
            lines.append(f"{d.user.email} [{d.locale}] reviewer: pending={len(d.pending)}")
    return lines
