"""What changed since a moment: the "since last review" read for the half-yearly meeting.

A change counts by the time it was *recorded*, not the date it describes: an update
recorded yesterday about last June is still new to the reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import (
    ActionItem,
    AdoptionDecision,
    AuditLog,
    Indicator,
    ItemNote,
    Measurement,
    Recommendation,
    Review,
    StatusUpdate,
    TrackingDecision,
    User,
)
from .review import local_midnight_utc, today


@dataclass
class Changes:
    since: datetime
    until: datetime | None
    updates: list[StatusUpdate] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    decisions: list[TrackingDecision] = field(default_factory=list)
    notes: list[ItemNote] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    adoptions: list[AdoptionDecision] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.updates)
            + len(self.reviews)
            + len(self.decisions)
            + len(self.notes)
            + len(self.measurements)
            + len(self.adoptions)
        )


def _window(q: Select, column, since: datetime, until: datetime | None) -> Select:
    q = q.where(column >= since)
    if until is not None:
        q = q.where(column < until)
    return q.order_by(column)


def _items_in(report_ids: Sequence[int]) -> Select:
    return select(ActionItem.id).join(Recommendation).where(Recommendation.report_id.in_(report_ids))


def changes_since(
    since: datetime,
    until: datetime | None = None,
    report_ids: Sequence[int] | None = None,
    session: Session | None = None,
) -> Changes:
    """New updates, reviews, tracking decisions, notes, measurements and adoption decisions
    recorded at or after ``since`` (and before ``until``). Six statements plus eager loads."""
    session = session or db.session
    out = Changes(since=since, until=until)
    item_load = selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation)

    q = select(StatusUpdate).options(
        item_load,
        selectinload(StatusUpdate.department),
        selectinload(StatusUpdate.review),
        selectinload(StatusUpdate.submitted_by),
    )
    if report_ids is not None:
        q = q.where(StatusUpdate.action_item_id.in_(_items_in(report_ids)))
    out.updates = list(session.scalars(_window(q, StatusUpdate.submitted_at, since, until)))

    q = (
        select(Review)
        .join(StatusUpdate, StatusUpdate.id == Review.update_id)
        .options(
            selectinload(Review.update).selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
            selectinload(Review.reviewer),
        )
    )
    if report_ids is not None:
        q = q.where(StatusUpdate.action_item_id.in_(_items_in(report_ids)))
    out.reviews = list(session.scalars(_window(q, Review.recorded_at, since, until)))

    q = select(TrackingDecision).options(
        selectinload(TrackingDecision.action_item).selectinload(ActionItem.recommendation),
        selectinload(TrackingDecision.decided_by),
    )
    if report_ids is not None:
        q = q.where(TrackingDecision.action_item_id.in_(_items_in(report_ids)))
    out.decisions = list(session.scalars(_window(q, TrackingDecision.recorded_at, since, until)))

    q = select(ItemNote).options(
        selectinload(ItemNote.action_item).selectinload(ActionItem.recommendation),
        selectinload(ItemNote.department),
        selectinload(ItemNote.author),
    )
    if report_ids is not None:
        q = q.where(ItemNote.action_item_id.in_(_items_in(report_ids)))
    out.notes = list(session.scalars(_window(q, ItemNote.created_at, since, until)))

    q = select(Measurement).options(
        selectinload(Measurement.indicator).selectinload(Indicator.recommendation),
        selectinload(Measurement.update).selectinload(StatusUpdate.review),
    )
    if report_ids is not None:
        q = (
            q.join(Indicator, Indicator.id == Measurement.indicator_id)
            .join(Recommendation, Recommendation.id == Indicator.recommendation_id)
            .where(Recommendation.report_id.in_(report_ids))
        )
    out.measurements = list(session.scalars(_window(q, Measurement.recorded_at, since, until)))

    q = select(AdoptionDecision).options(selectinload(AdoptionDecision.recommendation))
    if report_ids is not None:
        q = q.join(Recommendation, Recommendation.id == AdoptionDecision.recommendation_id).where(
            Recommendation.report_id.in_(report_ids)
        )
    out.adoptions = list(session.scalars(_window(q, AdoptionDecision.recorded_at, since, until)))
    return out


def default_since(user: User, session: Session | None = None) -> tuple[datetime, str]:
    """Where "since last review" starts for ``user``, and why: the user's previous review
    (before today), else their previous sign-in, else one reporting cycle ago."""
    session = session or db.session
    start_of_today = local_midnight_utc(today())
    candidates = []
    last_review = session.scalar(
        select(func.max(Review.recorded_at)).where(Review.reviewer_id == user.id, Review.recorded_at < start_of_today)
    )
    last_decision = session.scalar(
        select(func.max(TrackingDecision.recorded_at)).where(
            TrackingDecision.decided_by_id == user.id, TrackingDecision.recorded_at < start_of_today
        )
    )
    candidates = [t for t in (last_review, last_decision) if t is not None]
    if user.last_review_at is not None and user.last_review_at < start_of_today:
        candidates.append(user.last_review_at)
    if candidates:
        return _aware(max(candidates)), "review"
    # The login being used now is the latest one; the one before it is "previous".
    logins = list(
        session.scalars(
            select(AuditLog.at)
            .where(AuditLog.user_id == user.id, AuditLog.action.in_(("login.success", "login")))
            .order_by(AuditLog.at.desc())
            .limit(2)
        )
    )
    if len(logins) == 2:
        return _aware(logins[1]), "login"
    if user.last_login_at is not None and user.last_login_at < start_of_today:
        return _aware(user.last_login_at), "login"
    # Nothing to go by: the start of the previous reporting period (one whole cycle back).
    from ..periods import Calendar

    cal = Calendar.from_config()
    return local_midnight_utc(cal.previous(cal.containing(today())).start), "cycle"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
