"""Approving and returning status updates (核定 / 退回), one or many; an approved report's
proposed schedule and budget become the item's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    Review,
    ReviewDecision,
    StatusUpdate,
    UpdateWithdrawal,
    User,
    WithdrawalKind,
)
from .. import DomainError, PermissionDenied, filing, permissions, projections
from ..audit import record_event
from .common import _bump_version, _check_effective, _fmt, _who, today


def _already_reviewed(review: Review) -> DomainError:
    who, when = _who(review.reviewer), _fmt(review.effective_date)
    if review.decision is ReviewDecision.APPROVE:
        msg = _("This update was already approved by %(who)s on %(date)s; nothing was changed.", who=who, date=when)
    else:
        msg = _("This update was already returned by %(who)s on %(date)s; nothing was changed.", who=who, date=when)
    return DomainError(msg, code="already_reviewed", update_id=review.update_id)


def _existing_review(update_id: int, session: Session) -> Review | None:
    return session.scalar(
        select(Review)
        .options(selectinload(Review.reviewer))
        .where(Review.update_id == update_id)
        .execution_options(populate_existing=True)
    )


def _review(
    update: StatusUpdate,
    reviewer: User,
    decision: ReviewDecision,
    effective_date: date | None,
    comment: str,
    session: Session,
) -> Review:
    if not permissions.can_review(reviewer):
        raise PermissionDenied(_("Only reviewers and administrators review updates."))
    comment = (comment or "").strip()
    if decision is ReviewDecision.RETURN and not comment:
        raise DomainError(
            _("Say why the update is returned: the department sees this comment."), field="comment", code="required"
        )
    effective_date = _check_effective(
        effective_date if effective_date is not None else today(),
        update.effective_date,
        "effective_date",
        _(
            "The review date cannot be before the date the update describes (%(date)s).",
            date=_fmt(update.effective_date),
        ),
    )
    existing = _existing_review(update.id, session)
    if existing is not None:
        raise _already_reviewed(existing)
    withdrawal = session.scalar(select(UpdateWithdrawal).where(UpdateWithdrawal.update_id == update.id))
    if withdrawal is not None:
        if withdrawal.kind is WithdrawalKind.REPLACED:
            msg = _(
                "The department replaced this report with a newer one on %(date)s; review the newer one.",
                date=_fmt(dates.local_date(withdrawal.recorded_at)),
            )
        else:
            msg = _(
                "The department withdrew this report on %(date)s; there is nothing to review.",
                date=_fmt(dates.local_date(withdrawal.recorded_at)),
            )
        raise DomainError(msg, code="withdrawn", update_id=update.id, replaced_by_id=withdrawal.replaced_by_id)
    filing.ensure_year_open(update.action_item, update.effective_date)
    review = Review(
        update_id=update.id, decision=decision, comment=comment, effective_date=effective_date, reviewer_id=reviewer.id
    )
    try:
        # The unique constraint on review.update_id settles a race between two
        # reviewers; the savepoint keeps the rest of the transaction usable.
        with session.begin_nested():
            session.add(review)
            session.flush()
            _bump_version(update.action_item_id, session)
    except IntegrityError:
        existing = _existing_review(update.id, session)
        if existing is None:  # some other constraint: not a race, let it surface
            raise
        raise _already_reviewed(existing) from None
    if decision is ReviewDecision.APPROVE and update.proposes_schedule:
        _apply_proposal(update, reviewer, session)
        projections.touch([update.action_item_id], session)  # the schedule changes every period
    else:
        # A review changes nothing in the periods before the data date of the report.
        projections.touch([update.action_item_id], session, since=update.effective_date)
    reviewer.last_review_at = dates.now()
    record_event(
        "update.approve" if decision is ReviewDecision.APPROVE else "update.return",
        user=reviewer,
        obj=review,
        after={
            "update_id": update.id,
            "action_item_id": update.action_item_id,
            "decision": decision.value,
            "effective_date": effective_date.isoformat(),
            "comment": comment,
        },
    )
    return review


def _apply_proposal(update: StatusUpdate, reviewer: User, session: Session) -> None:
    """An approved report's proposed schedule and budget become the item's (audited)."""
    item = session.get(ActionItem, update.action_item_id)
    assert item is not None
    before = {
        "start_date": item.start_date,
        "due_date": item.due_date,
        "budget_amount": item.budget_amount,
        "budget_source": item.budget_source,
        "budget_note": item.budget_note,
    }
    # Only what the item still lacks: a schedule or budget an administrator set after the
    # report was written is not overwritten by the proposal.
    if item.start_date is None and item.due_date is None:
        if update.proposed_start_date is not None:
            item.start_date = update.proposed_start_date
        if update.proposed_due_date is not None:
            item.due_date = update.proposed_due_date
    if item.budget_amount is None and update.proposed_budget_amount is not None:
        item.budget_amount = update.proposed_budget_amount
        item.budget_source = update.proposed_budget_source
        item.budget_note = update.proposed_budget_note or item.budget_note
    if item.start_date and item.due_date and item.due_date < item.start_date:
        raise DomainError(
            _("The proposed schedule ends before it starts; return the report with a comment."),
            field="proposed_due_date",
            code="schedule_order",
        )
    session.flush()
    after = {
        "start_date": item.start_date,
        "due_date": item.due_date,
        "budget_amount": item.budget_amount,
        "budget_source": item.budget_source,
        "budget_note": item.budget_note,
    }
    changed = {k for k in after if after[k] != before[k]}
    if changed:

        def plain(v: Any) -> Any:
            return (
                v.isoformat()
                if isinstance(v, date)
                else v.value
                if hasattr(v, "value")
                else str(v)
                if v is not None and not isinstance(v, str)
                else v
            )

        record_event(
            "item.schedule_approved",
            user=reviewer,
            obj=item,
            before={k: plain(before[k]) for k in changed},
            after={k: plain(after[k]) for k in changed} | {"update_id": update.id},
        )


def approve_update(
    update: StatusUpdate,
    reviewer: User,
    effective_date: date | None = None,
    comment: str = "",
    session: Session | None = None,
) -> Review:
    """Approve (核定) a submitted update: it becomes the item's official state from
    ``effective_date`` (default today). Raises DomainError (already reviewed, bad date),
    PermissionDenied."""
    return _review(update, reviewer, ReviewDecision.APPROVE, effective_date, comment, session or db.session)


def return_update(
    update: StatusUpdate,
    reviewer: User,
    comment: str,
    effective_date: date | None = None,
    session: Session | None = None,
) -> Review:
    """Return (退回) a submitted update to its department with a required comment.
    Raises DomainError (no comment, already reviewed, bad date), PermissionDenied."""
    return _review(update, reviewer, ReviewDecision.RETURN, effective_date, comment, session or db.session)


@dataclass
class BatchResult:
    """Outcome of a batch: reviews made, and refusals with their reason per update id."""

    done: list[Review] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _batch(
    update_ids: Iterable[int],
    reviewer: User,
    decision: ReviewDecision,
    effective_date: date | None,
    comment: str,
    session: Session,
) -> BatchResult:
    result = BatchResult()
    ids = list(dict.fromkeys(int(i) for i in update_ids))
    updates = {u.id: u for u in session.scalars(select(StatusUpdate).where(StatusUpdate.id.in_(ids)))} if ids else {}
    for uid in ids:
        upd = updates.get(uid)
        if upd is None:
            result.refused.append((uid, _("No such update.")))
            continue
        try:
            result.done.append(_review(upd, reviewer, decision, effective_date, comment, session))
        except DomainError as exc:
            result.refused.append((uid, exc.message))
    return result


def approve_many(
    update_ids: Iterable[int],
    reviewer: User,
    effective_date: date | None = None,
    comment: str = "",
    session: Session | None = None,
) -> BatchResult:
    """Approve each update on its own; refusals are reported, never half-applied."""
    return _batch(update_ids, reviewer, ReviewDecision.APPROVE, effective_date, comment, session or db.session)


def return_many(
    update_ids: Iterable[int],
    reviewer: User,
    comment: str,
    effective_date: date | None = None,
    session: Session | None = None,
) -> BatchResult:
    """Return each update on its own with the same comment; refusals are reported."""
    return _batch(update_ids, reviewer, ReviewDecision.RETURN, effective_date, comment, session or db.session)
