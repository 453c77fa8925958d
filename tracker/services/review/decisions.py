"""Tracking decisions (列管決定), confirming proposed departments, adoption decisions (採行情形)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import dates
from ...extensions import db
from ...models import (
    ActionItem,
    Adoption,
    AdoptionDecision,
    Recommendation,
    TrackingChoice,
    TrackingDecision,
    User,
)
from ...models.enums import RELEASABLE_STATUSES
from .. import DomainError, PermissionDenied, filing, labels, permissions, progress, projections
from ..audit import record_event
from .common import _bump_version, _check_effective, _fmt, today


def record_decision(
    item: ActionItem,
    decision: TrackingChoice | str,
    reason: str,
    effective_date: date | None,
    user: User,
    session: Session | None = None,
    review_year: int | None = None,
) -> TrackingDecision:
    """Record a tracking decision (繼續列管 / 解除列管 / 自行列管) with the commission's opinion
    (審核意見) as its reason. With ``review_year`` it is that year's year-end 列管建議 and is
    dated on the year's last day unless another date is given. Release is refused unless the
    item's official status on the decision date is completed, ongoing or not feasible, and
    refused for an item already released. Raises DomainError, YearFiled, PermissionDenied."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators record tracking decisions."))
    try:
        decision = TrackingChoice(decision)
    except ValueError:
        raise DomainError(
            _("Choose continue, release or self-track."), field="decision", code="invalid_choice"
        ) from None
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the decision."), field="reason", code="required")
    if len(reason) > 5000:
        raise DomainError(_("Use at most %(n)d characters.", n=5000), field="reason", code="too_long")
    if review_year is not None:
        if not isinstance(review_year, int) or not 1912 <= review_year < today().year:
            raise DomainError(
                _("A year-end review is for a year that has ended."), field="review_year", code="invalid_year"
            )
        effective_date = effective_date or date(review_year, 12, 31)
    effective_date = _check_effective(effective_date, None, "effective_date")
    filing.ensure_year_open(item, effective_date)
    state = progress.item_states([item], dates.DataDates(effective_date, today(), today()), session=session, fold=True)[
        item.id
    ]
    if decision is TrackingChoice.RELEASE:
        if state.released:
            raise DomainError(
                _(
                    "This item was already released from tracking on %(date)s; nothing was changed.",
                    date=_fmt(state.decision.effective_date),
                ),
                field="decision",
                code="already_released",
            )
        if state.status not in RELEASABLE_STATUSES:
            raise DomainError(
                _(
                    "An item can be released only when its official status is completed, ongoing or not "
                    "feasible; on %(date)s it is “%(status)s”.",
                    date=_fmt(effective_date),
                    status=labels.status_label(state.status),
                ),
                field="decision",
                code="not_releasable",
                status=state.status.value,
            )
    row = TrackingDecision(
        action_item_id=item.id,
        decision=decision,
        reason=reason,
        effective_date=effective_date,
        decided_by_id=user.id,
        review_year=review_year,
    )
    session.add(row)
    session.flush()
    _bump_version(item.id, session)
    projections.touch([item.id], session)
    record_event(
        "decision.record",
        user=user,
        obj=row,
        after={
            "action_item_id": item.id,
            "decision": decision.value,
            "reason": reason,
            "effective_date": effective_date.isoformat(),
            "review_year": review_year,
        },
    )
    return row


def confirm_departments(item: ActionItem, user: User, session: Session | None = None) -> ActionItem:
    """Confirm the lead and supporting departments of an item the report does not assign
    itself (they were proposed, 擬議). Raises PermissionDenied; confirming twice is a no-op."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators confirm departments."))
    if item.departments_confirmed_at is not None:
        return item
    item.departments_confirmed_at = dates.now()
    item.departments_confirmed_by_id = user.id
    session.flush()
    _bump_version(item.id, session)
    record_event(
        "item.departments_confirm",
        user=user,
        obj=item,
        after={
            "lead_department_id": item.lead_department_id,
            "supporting_department_ids": sorted(d.id for d in item.supporting_departments),
        },
    )
    return item


def record_adoption(
    recommendation: Recommendation,
    decision: Adoption | str,
    reason: str,
    decided_on: date | None,
    decided_by: str,
    user: User,
    session: Session | None = None,
) -> AdoptionDecision:
    """Record the city's adoption decision (採行情形) on a recommendation; not adopted
    needs a reason. Raises DomainError, PermissionDenied."""
    session = session or db.session
    if not permissions.can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators record adoption decisions."))
    try:
        decision = Adoption(decision)
    except ValueError:
        raise DomainError(
            _("Choose adopted, partly adopted, under study or not adopted."), field="decision", code="invalid_choice"
        ) from None
    reason = (reason or "").strip()
    if decision is Adoption.NOT_ADOPTED and not reason:
        raise DomainError(_("Say why the recommendation is not adopted."), field="reason", code="required")
    decided_by = (decided_by or "").strip() or user.display_name
    if len(decided_by) > 200:
        raise DomainError(_("At most 200 characters."), field="decided_by", code="too_long")
    decided_on = _check_effective(decided_on, None, "decided_on")
    filing.ensure_report_year_open(recommendation.report_id, decided_on)
    row = AdoptionDecision(
        recommendation_id=recommendation.id,
        decision=decision,
        reason=reason,
        decided_on=decided_on,
        decided_by=decided_by,
        recorded_by_id=user.id,
    )
    session.add(row)
    session.flush()
    record_event(
        "adoption.record",
        user=user,
        obj=row,
        after={
            "recommendation_id": recommendation.id,
            "decision": decision.value,
            "reason": reason,
            "decided_on": decided_on.isoformat(),
            "decided_by": decided_by,
        },
    )
    return row


def latest_adoptions(
    recommendation_ids: Sequence[int], as_of: date | dates.DataDates | None = None, session: Session | None = None
) -> dict[int, AdoptionDecision]:
    """The adoption decision in force per recommendation: the latest decided on or before D
    and recorded by the end of K (``as_of`` a date means K = today). One statement."""
    session = session or db.session
    if not recommendation_ids:
        return {}
    q = select(AdoptionDecision).where(AdoptionDecision.recommendation_id.in_(recommendation_ids))
    if as_of is not None:
        dd = as_of if isinstance(as_of, dates.DataDates) else dates.DataDates(as_of, today(), today())
        q = q.where(AdoptionDecision.decided_on <= dd.as_of, AdoptionDecision.recorded_at < dd.known_before())
    out: dict[int, AdoptionDecision] = {}
    for row in session.scalars(q.order_by(AdoptionDecision.decided_on, AdoptionDecision.id)):
        out[row.recommendation_id] = row
    return out
