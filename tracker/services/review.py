"""Review operations: approve or return status updates (核定 / 退回), tracking decisions
(列管決定) and adoption decisions (採行情形), plus the review queue read.

Operations flush but never commit; the request or CLI command commits once. Each one
bumps the touched item's version atomically and writes an audit row.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from .. import labels
from ..extensions import db
from ..locale import current_locale, format_date
from ..models import (
    ActionItem, Adoption, AdoptionDecision, Measurement, Recommendation, Review, ReviewDecision,
    StatusUpdate, TrackingChoice, TrackingDecision, User,
)
from ..models.enums import RELEASABLE_STATUSES
from . import DomainError, NotFound, PermissionDenied, permissions
from . import progress
from .audit import record_event
from .benchmark import Point, official_measurements

TIMEZONE = ZoneInfo("Asia/Taipei")

def today() -> date:
    """Today's date in Tainan (the date reviewers see on their calendar)."""
    return datetime.now(TIMEZONE).date()


def local_midnight_utc(d: date) -> datetime:
    """00:00 Tainan time on ``d``, as an aware UTC datetime."""
    return datetime(d.year, d.month, d.day, tzinfo=TIMEZONE).astimezone(timezone.utc)


def _who(user: User | None) -> str:
    if user is None:
        return _("another reviewer")
    return user.name or user.email


def _fmt(d: date) -> str:
    return format_date(d, current_locale())


def _bump_version(item_id: int, session: Session) -> None:
    """Atomic ``version = version + 1`` (no read-modify-write race)."""
    session.execute(
        update(ActionItem).where(ActionItem.id == item_id).values(version=ActionItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    item = session.identity_map.get(identity_key(ActionItem, item_id))
    if item is not None:
        session.expire(item, ["version"])


def _check_effective(effective_date: date | None, not_before: date | None, field_name: str,
                     not_before_message: str | None = None) -> date:
    if effective_date is None:
        raise DomainError(_("Enter a date."), field=field_name, code="required")
    if effective_date > today():
        raise DomainError(_("The date cannot be in the future."), field=field_name, code="future_date")
    if not_before is not None and effective_date < not_before:
        raise DomainError(not_before_message or _("The date is too early."), field=field_name, code="date_too_early")
    return effective_date


def _already_reviewed(review: Review) -> DomainError:
    who, when = _who(review.reviewer), _fmt(review.effective_date)
    if review.decision is ReviewDecision.APPROVE:
        msg = _("This update was already approved by %(who)s on %(date)s; nothing was changed.", who=who, date=when)
    else:
        msg = _("This update was already returned by %(who)s on %(date)s; nothing was changed.", who=who, date=when)
    return DomainError(msg, code="already_reviewed", update_id=review.update_id)


def _existing_review(update_id: int, session: Session) -> Review | None:
    return session.scalar(
        select(Review).options(selectinload(Review.reviewer)).where(Review.update_id == update_id)
        .execution_options(populate_existing=True)
    )


def _review(update: StatusUpdate, reviewer: User, decision: ReviewDecision, effective_date: date | None,
            comment: str, session: Session) -> Review:
    if not permissions.can_review(reviewer):
        raise PermissionDenied(_("Only reviewers and administrators review updates."))
    comment = (comment or "").strip()
    if decision is ReviewDecision.RETURN and not comment:
        raise DomainError(_("Say why the update is returned: the department sees this comment."),
                          field="comment", code="required")
    effective_date = _check_effective(
        effective_date if effective_date is not None else today(), update.effective_date, "effective_date",
        _("The review date cannot be before the date the update describes (%(date)s).",
          date=_fmt(update.effective_date)),
    )
    existing = _existing_review(update.id, session)
    if existing is not None:
        raise _already_reviewed(existing)
    review = Review(update_id=update.id, decision=decision, comment=comment,
                    effective_date=effective_date, reviewer_id=reviewer.id)
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
    reviewer.last_review_at = datetime.now(timezone.utc)
    record_event(
        "update.approve" if decision is ReviewDecision.APPROVE else "update.return",
        user=reviewer, obj=review,
        after={"update_id": update.id, "action_item_id": update.action_item_id, "decision": decision.value,
               "effective_date": effective_date.isoformat(), "comment": comment},
    )
    return review


def approve_update(update: StatusUpdate, reviewer: User, effective_date: date | None = None,
                   comment: str = "", session: Session | None = None) -> Review:
    """Approve (核定) a submitted update: it becomes the item's official state from
    ``effective_date`` (default today). Raises DomainError (already reviewed, bad date),
    PermissionDenied."""
    return _review(update, reviewer, ReviewDecision.APPROVE, effective_date, comment, session or db.session)


def return_update(update: StatusUpdate, reviewer: User, comment: str, effective_date: date | None = None,
                  session: Session | None = None) -> Review:
    """Return (退回) a submitted update to its department with a required comment.
    Raises DomainError (no comment, already reviewed, bad date), PermissionDenied."""
    return _review(update, reviewer, ReviewDecision.RETURN, effective_date, comment, session or db.session)


@dataclass
class BatchResult:
    """Outcome of a batch: reviews made, and refusals with their reason per update id."""

    done: list[Review] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _batch(update_ids: Iterable[int], reviewer: User, decision: ReviewDecision, effective_date: date | None,
           comment: str, session: Session) -> BatchResult:
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


def approve_many(update_ids: Iterable[int], reviewer: User, effective_date: date | None = None,
                 comment: str = "", session: Session | None = None) -> BatchResult:
    """Approve each update on its own; refusals are reported, never half-applied."""
    return _batch(update_ids, reviewer, ReviewDecision.APPROVE, effective_date, comment, session or db.session)


def return_many(update_ids: Iterable[int], reviewer: User, comment: str, effective_date: date | None = None,
                session: Session | None = None) -> BatchResult:
    """Return each update on its own with the same comment; refusals are reported."""
    return _batch(update_ids, reviewer, ReviewDecision.RETURN, effective_date, comment, session or db.session)


def record_decision(item: ActionItem, decision: TrackingChoice | str, reason: str, effective_date: date | None,
                    user: User, session: Session | None = None) -> TrackingDecision:
    """Record a tracking decision (繼續列管 / 解除列管 / 自行列管). Release is refused unless the
    item's official status on the decision date is completed, ongoing or not feasible.
    Raises DomainError, PermissionDenied."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators record tracking decisions."))
    try:
        decision = TrackingChoice(decision)
    except ValueError:
        raise DomainError(_("Choose continue, release or self-track."), field="decision", code="invalid_choice") from None
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the decision."), field="reason", code="required")
    effective_date = _check_effective(effective_date, None, "effective_date")
    if decision is TrackingChoice.RELEASE:
        state = progress.item_states([item], effective_date, session=session)[item.id]
        if state.status not in RELEASABLE_STATUSES:
            raise DomainError(
                _("An item can be released only when its official status is completed, ongoing or not "
                  "feasible; on %(date)s it is “%(status)s”.",
                  date=_fmt(effective_date), status=labels.status_label(state.status)),
                field="decision", code="not_releasable", status=state.status.value,
            )
    row = TrackingDecision(action_item_id=item.id, decision=decision, reason=reason,
                           effective_date=effective_date, decided_by_id=user.id)
    session.add(row)
    session.flush()
    _bump_version(item.id, session)
    record_event("decision.record", user=user, obj=row,
                 after={"action_item_id": item.id, "decision": decision.value, "reason": reason,
                        "effective_date": effective_date.isoformat()})
    return row


def record_adoption(recommendation: Recommendation, decision: Adoption | str, reason: str,
                    decided_on: date | None, decided_by: str, user: User,
                    session: Session | None = None) -> AdoptionDecision:
    """Record the city's adoption decision (採行情形) on a recommendation; not adopted
    needs a reason. Raises DomainError, PermissionDenied."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators record adoption decisions."))
    try:
        decision = Adoption(decision)
    except ValueError:
        raise DomainError(_("Choose adopted, partly adopted, under study or not adopted."),
                          field="decision", code="invalid_choice") from None
    reason = (reason or "").strip()
    if decision is Adoption.NOT_ADOPTED and not reason:
        raise DomainError(_("Say why the recommendation is not adopted."), field="reason", code="required")
    decided_by = (decided_by or "").strip() or (user.name or user.email)
    if len(decided_by) > 200:
        raise DomainError(_("At most 200 characters."), field="decided_by", code="too_long")
    decided_on = _check_effective(decided_on, None, "decided_on")
    row = AdoptionDecision(recommendation_id=recommendation.id, decision=decision, reason=reason,
                           decided_on=decided_on, decided_by=decided_by, recorded_by_id=user.id)
    session.add(row)
    session.flush()
    record_event("adoption.record", user=user, obj=row,
                 after={"recommendation_id": recommendation.id, "decision": decision.value, "reason": reason,
                        "decided_on": decided_on.isoformat(), "decided_by": decided_by})
    return row


def latest_adoptions(recommendation_ids: Sequence[int], as_of: date | None = None,
                     session: Session | None = None) -> dict[int, AdoptionDecision]:
    """The adoption decision in force per recommendation (latest decided on or before ``as_of``)."""
    session = session or db.session
    if not recommendation_ids:
        return {}
    q = select(AdoptionDecision).where(AdoptionDecision.recommendation_id.in_(recommendation_ids))
    if as_of is not None:
        q = q.where(AdoptionDecision.decided_on <= as_of)
    out: dict[int, AdoptionDecision] = {}
    for row in session.scalars(q.order_by(AdoptionDecision.decided_on, AdoptionDecision.id)):
        out[row.recommendation_id] = row
    return out


# --- the review queue (a read) -------------------------------------------------------

@dataclass
class QueueEntry:
    update: StatusUpdate
    item: ActionItem
    state: progress.ItemState  # the official state today, to compare against
    previous_points: dict[int, Point]  # indicator id -> latest official measurement
    replaced_by: list[int]  # ids of later updates that correct this one


@dataclass
class QueueGroup:
    recommendation: Recommendation
    department_groups: list[tuple[Any, list[QueueEntry]]]


def pending_updates_query():
    """Submitted updates without a review, oldest first."""
    return (
        select(StatusUpdate)
        .outerjoin(Review, Review.update_id == StatusUpdate.id)
        .where(Review.id.is_(None))
        .order_by(StatusUpdate.submitted_at, StatusUpdate.id)
    )


def review_queue(as_of: date | None = None, report_ids: Sequence[int] | None = None,
                 session: Session | None = None) -> list[QueueGroup]:
    """Pending updates grouped by recommendation then department, each beside the item's
    official state on ``as_of`` (default today). A fixed number of statements."""
    session = session or db.session
    as_of = as_of or today()
    q = pending_updates_query().options(
        selectinload(StatusUpdate.attachments),
        selectinload(StatusUpdate.measurements).selectinload(Measurement.indicator),
        selectinload(StatusUpdate.submitted_by),
        selectinload(StatusUpdate.department),
        selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
        selectinload(StatusUpdate.action_item).selectinload(ActionItem.lead_department),
    )
    if report_ids is not None:
        q = q.join(ActionItem, ActionItem.id == StatusUpdate.action_item_id).join(Recommendation).where(
            Recommendation.report_id.in_(report_ids))
    updates = list(session.scalars(q))
    if not updates:
        return []
    items = {u.action_item_id: u.action_item for u in updates}
    states = progress.item_states(list(items.values()), as_of, session=session)
    indicator_ids = sorted({m.indicator_id for u in updates for m in u.measurements})
    latest_points = {k: v[-1] for k, v in official_measurements(indicator_ids, as_of, session).items() if v}
    ids = [u.id for u in updates]
    replaced: dict[int, list[int]] = defaultdict(list)
    for new_id, old_id in session.execute(
        select(StatusUpdate.id, StatusUpdate.corrects_id).where(StatusUpdate.corrects_id.in_(ids))
    ):
        replaced[old_id].append(new_id)

    by_rec: dict[int, dict[int, list[QueueEntry]]] = defaultdict(lambda: defaultdict(list))
    recs: dict[int, Recommendation] = {}
    depts: dict[int, Any] = {}
    for u in updates:
        item = u.action_item
        recs[item.recommendation_id] = item.recommendation
        depts[u.department_id] = u.department
        by_rec[item.recommendation_id][u.department_id].append(QueueEntry(
            update=u, item=item, state=states[item.id],
            previous_points={m.indicator_id: latest_points[m.indicator_id]
                             for m in u.measurements if m.indicator_id in latest_points},
            replaced_by=replaced.get(u.id, []),
        ))
    groups = []
    for rec in sorted(recs.values(), key=lambda r: (r.report_id, r.position, r.id)):
        dept_groups = [(depts[d], entries) for d, entries in
                       sorted(by_rec[rec.id].items(), key=lambda kv: depts[kv[0]].code)]
        groups.append(QueueGroup(rec, dept_groups))
    return groups


def pending_count(session: Session | None = None) -> int:
    """How many submitted updates wait for a review."""
    from sqlalchemy import func

    session = session or db.session
    sub = pending_updates_query().order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def get_update(update_id: int, session: Session | None = None) -> StatusUpdate:
    """The update with this id. Raises NotFound."""
    upd = (session or db.session).get(StatusUpdate, update_id)
    if upd is None:
        raise NotFound(_("No such update."))
    return upd
