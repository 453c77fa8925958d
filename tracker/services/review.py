"""Review operations: approve or return status updates (核定 / 退回), tracking decisions
(列管決定) and adoption decisions (採行情形), plus the review queue read.

Operations flush but never commit; the request or CLI command commits once. Each one
bumps the touched item's version atomically and writes an audit row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from .. import dates
from ..extensions import db
from ..locale import current_locale, format_date
from ..models import (
    ActionItem,
    Adoption,
    AdoptionDecision,
    ItemPeriod,
    Measurement,
    Recommendation,
    Review,
    ReviewDecision,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    UpdateWithdrawal,
    User,
    WithdrawalKind,
)
from ..models.enums import RELEASABLE_STATUSES
from . import DomainError, NotFound, PermissionDenied, filing, labels, permissions, progress, projections
from .audit import record_event
from .benchmark import Point, official_measurements


def today() -> date:
    """Today's date in Tainan (the date reviewers see on their calendar)."""
    return dates.today()


def local_midnight_utc(d: date) -> datetime:
    """00:00 Tainan time on ``d``, as an aware UTC datetime."""
    return dates.start_of_day(d)


def _who(user: User | None) -> str:
    if user is None:
        return _("another reviewer")
    return user.display_name


def _fmt(d: date) -> str:
    return format_date(d, current_locale())


def _bump_version(item_id: int, session: Session) -> None:
    """Atomic ``version = version + 1`` (no read-modify-write race)."""
    session.execute(
        update(ActionItem)
        .where(ActionItem.id == item_id)
        .values(version=ActionItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    item = session.identity_map.get(identity_key(ActionItem, item_id))
    if item is not None:
        session.expire(item, ["version"])


def _check_effective(
    effective_date: date | None, not_before: date | None, field_name: str, not_before_message: str | None = None
) -> date:
    if effective_date is None:
        raise DomainError(_("Enter a date."), field=field_name, code="required")
    if not dates.EARLIEST <= effective_date <= dates.LATEST:
        raise DomainError(
            _("%(date)s is not a date the tracker can record (from 1912 on).", date=effective_date.isoformat()),
            field=field_name,
            code="date_out_of_range",
        )
    if effective_date > today():
        raise DomainError(
            _(
                "%(date)s is after today (%(today)s): choose today or an earlier date.",
                date=_fmt(effective_date),
                today=_fmt(today()),
            ),
            field=field_name,
            code="future_date",
        )
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
    projections.touch([update.action_item_id], session)
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
    """Submitted updates neither reviewed nor withdrawn, oldest first."""
    return (
        select(StatusUpdate)
        .outerjoin(Review, Review.update_id == StatusUpdate.id)
        .outerjoin(UpdateWithdrawal, UpdateWithdrawal.update_id == StatusUpdate.id)
        .where(Review.id.is_(None), UpdateWithdrawal.id.is_(None))
        .order_by(StatusUpdate.submitted_at, StatusUpdate.id)
    )


@dataclass
class QueuePage:
    groups: list[QueueGroup]
    total: int
    page: int
    pages: int

    @property
    def entries(self) -> int:
        return sum(len(e) for g in self.groups for _d, e in g.department_groups)


QUEUE_PAGE = 20


def review_queue(
    as_of: date | None = None,
    report_ids: Sequence[int] | None = None,
    session: Session | None = None,
    *,
    page: int = 1,
    per_page: int = QUEUE_PAGE,
    department_id: int | None = None,
) -> QueuePage:
    """One page of the updates waiting for review, oldest first, grouped by recommendation
    then department, each beside the item's official state today. The waiting updates are
    found through the read model (one row per item), so the cost follows the page, not the
    history. A fixed number of statements."""
    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current()
    ip = ItemPeriod
    conds = [ip.period_end == current, ip.pending_update_id.is_not(None)]
    if report_ids is not None:
        conds.append(ip.report_id.in_(report_ids))
    if department_id is not None:
        conds.append(ip.lead_department_id == department_id)
    total = session.scalar(select(func.count()).select_from(ip).where(*conds)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = {
        r.pending_update_id: r
        for r in session.scalars(
            select(ip).where(*conds).order_by(ip.pending_update_id).limit(per_page).offset((page - 1) * per_page)
        )
    }
    if not rows:
        return QueuePage([], total, page, pages)
    updates = list(
        session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.id.in_(list(rows)))
            .order_by(StatusUpdate.submitted_at, StatusUpdate.id)
            .options(
                selectinload(StatusUpdate.attachments),
                selectinload(StatusUpdate.measurements).selectinload(Measurement.indicator),
                selectinload(StatusUpdate.submitted_by),
                selectinload(StatusUpdate.department),
                selectinload(StatusUpdate.action_item).selectinload(ActionItem.recommendation),
                selectinload(StatusUpdate.action_item).selectinload(ActionItem.lead_department),
            )
        )
    )
    today_ = today()
    cal, soon = progress.calendar(), projections.due_soon_days()
    states = {}
    for row in rows.values():
        st = progress.state_from_row(row)
        progress._flags_today(st, row, today_, cal, soon)
        states[row.item_id] = st
    indicator_ids = sorted({m.indicator_id for u in updates for m in u.measurements})
    latest_points = {k: v[-1] for k, v in official_measurements(indicator_ids, today_, session).items() if v}
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
        by_rec[item.recommendation_id][u.department_id].append(
            QueueEntry(
                update=u,
                item=item,
                state=states[item.id],
                previous_points={
                    m.indicator_id: latest_points[m.indicator_id]
                    for m in u.measurements
                    if m.indicator_id in latest_points
                },
                replaced_by=replaced.get(u.id, []),
            )
        )
    groups = []
    for rec in sorted(recs.values(), key=lambda r: (r.report_id, r.position, r.id)):
        dept_groups = [
            (depts[d], entries) for d, entries in sorted(by_rec[rec.id].items(), key=lambda kv: depts[kv[0]].code)
        ]
        groups.append(QueueGroup(rec, dept_groups))
    return QueuePage(groups, total, page, pages)


def pending_count(session: Session | None = None, department_id: int | None = None) -> int:
    """How many updates wait for a review (read model: one indexed count)."""
    session = session or db.session
    projections.sync(session)
    current = projections.ensure_current()
    conds = [ItemPeriod.period_end == current, ItemPeriod.pending_update_id.is_not(None)]
    if department_id is not None:
        conds.append(ItemPeriod.lead_department_id == department_id)
    return session.scalar(select(func.count()).select_from(ItemPeriod).where(*conds)) or 0


def get_update(update_id: int, session: Session | None = None) -> StatusUpdate:
    """The update with this id. Raises NotFound."""
    upd = (session or db.session).get(StatusUpdate, update_id)
    if upd is None:
        raise NotFound(_("No such update."))
    return upd
