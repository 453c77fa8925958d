"""The rules of state, as pure functions of one item's append-only history.

Everything the tracker says about an item on a data date D with a knowledge date K comes
from ``state_on`` and ``period_rows`` here (docs/domain.md states the rules in words):

* a record counts on (D, K) when it is effective on or before D and was recorded
  (submitted, reviewed, withdrawn, decided) by the end of K;
* the official state is the latest approved report (by effective date, then id);
* pending: submitted by K, effective by D, neither reviewed nor withdrawn by K;
* stale (not reported): the item is open and has no report effective in or after the last
  period whose deadline has passed on D, counting from the first period it must report on.

No database and no Flask: services/projections.py feeds these the rows it loads and keeps
the results as the read model; the tests feed them hand-made histories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..models.enums import PeriodReview, ReviewDecision, Status, Timeliness, TrackingChoice, WithdrawalKind
from ..periods import Calendar, Period

# Statuses that end the work: no health flag and no further report once reached.
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.NOT_FEASIBLE})
# Knowledge date meaning "everything recorded so far" (the read model's K).
EVERYTHING = date.max


# --- the history of one item ---------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateRec:
    id: int
    effective_date: date
    submitted_on: date  # the city's calendar day it was submitted (known from then)
    status: Status
    progress: int
    corrects_id: int | None = None


@dataclass(frozen=True)
class ReviewRec:
    update_id: int
    decision: ReviewDecision
    recorded_on: date
    effective_date: date


@dataclass(frozen=True)
class WithdrawalRec:
    update_id: int
    kind: WithdrawalKind
    recorded_on: date


@dataclass(frozen=True)
class DecisionRec:
    id: int
    choice: TrackingChoice
    effective_date: date
    recorded_on: date
    review_year: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class ItemFacts:
    """What the history is about: the item's attributes that the rules read."""

    item_id: int
    start: date  # tracking start: the item's own date, else its report's filing date
    due_date: date | None
    weight: Decimal
    recommendation_id: int
    report_id: int
    lead_department_id: int


@dataclass
class ItemHistory:
    facts: ItemFacts
    updates: list[UpdateRec] = field(default_factory=list)  # ascending id
    reviews: dict[int, ReviewRec] = field(default_factory=dict)  # by update id
    withdrawals: dict[int, WithdrawalRec] = field(default_factory=dict)  # by update id
    decisions: list[DecisionRec] = field(default_factory=list)


# --- states ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficialUpdate:
    """The approved report behind an item's official state."""

    id: int
    status: Status
    progress: int
    effective_date: date
    approved_on: date  # the review's date (when the commission approved it)


@dataclass(frozen=True)
class PendingUpdate:
    id: int
    status: Status
    progress: int
    effective_date: date


@dataclass(frozen=True)
class Decision:
    id: int
    decision: TrackingChoice
    effective_date: date
    review_year: int | None = None
    reason: str = ""


@dataclass
class ItemState:
    """The state of one action item on (D, K)."""

    item_id: int
    status: Status
    progress: int
    official: OfficialUpdate | None
    pending: PendingUpdate | None
    decision: Decision | None
    returned_id: int | None = None  # a returned report not yet corrected or withdrawn
    reported_through: date | None = None  # effective date of the latest report (see module doc)
    exists: bool = True  # False on a data date before the item's tracking start
    overdue: bool = False
    due_soon: bool = False
    stale: bool = False

    @property
    def applicable(self) -> bool:
        """Not-feasible items count as not applicable in every roll-up."""
        return self.status is not Status.NOT_FEASIBLE

    @property
    def released(self) -> bool:
        return self.decision is not None and self.decision.decision is TrackingChoice.RELEASE

    @property
    def tracked(self) -> bool:
        """The commission still tracks it: neither released nor left to the department (自行列管)."""
        return self.decision is None or self.decision.decision is TrackingChoice.CONTINUE

    @property
    def open(self) -> bool:
        """The commission expects reports: not closed (completed, not feasible) and still tracked."""
        return self.status not in CLOSED_STATUSES and self.tracked

    @property
    def flags(self) -> list[str]:
        return [name for name in ("overdue", "due_soon", "stale") if getattr(self, name)]


def _known(day: date, knowledge: date) -> bool:
    return day <= knowledge


def _withdrawn_by(h: ItemHistory, update_id: int, knowledge: date) -> WithdrawalRec | None:
    w = h.withdrawals.get(update_id)
    return w if w is not None and _known(w.recorded_on, knowledge) else None


def _review_by(h: ItemHistory, update_id: int, knowledge: date) -> ReviewRec | None:
    r = h.reviews.get(update_id)
    return r if r is not None and _known(r.recorded_on, knowledge) else None


def state_on(h: ItemHistory, as_of: date, knowledge: date, calendar: Calendar, due_soon_days: int = 30) -> ItemState:
    """The item's state on data date ``as_of`` with knowledge date ``knowledge``."""
    updates = [u for u in h.updates if u.effective_date <= as_of and _known(u.submitted_on, knowledge)]
    official: OfficialUpdate | None = None
    best: tuple | None = None
    pending: PendingUpdate | None = None
    returned_id: int | None = None
    corrected = {u.corrects_id for u in updates if u.corrects_id is not None}
    reported_through: date | None = None
    for u in updates:  # ascending id: later ones win ties
        review = _review_by(h, u.id, knowledge)
        withdrawal = _withdrawn_by(h, u.id, knowledge)
        if withdrawal is None or withdrawal.kind is WithdrawalKind.REPLACED:
            # A plain withdrawal takes the report back; anything else was a real report.
            reported_through = u.effective_date if reported_through is None else max(reported_through, u.effective_date)
        if review is not None and review.decision is ReviewDecision.APPROVE:
            key = (u.effective_date, u.id)
            if best is None or key > best:
                best = key
                official = OfficialUpdate(u.id, u.status, u.progress, u.effective_date, review.effective_date)
        elif review is None and withdrawal is None:
            pending = PendingUpdate(u.id, u.status, u.progress, u.effective_date)
        elif (
            review is not None
            and review.decision is ReviewDecision.RETURN
            and withdrawal is None
            and u.id not in corrected
        ):
            returned_id = u.id
    decision: Decision | None = None
    dbest: tuple | None = None
    for d in h.decisions:
        if d.effective_date <= as_of and _known(d.recorded_on, knowledge):
            key = (d.effective_date, d.id)
            if dbest is None or key > dbest:
                dbest = key
                decision = Decision(d.id, d.choice, d.effective_date, d.review_year, d.reason)
    state = ItemState(
        item_id=h.facts.item_id,
        exists=h.facts.start <= as_of,
        status=official.status if official else Status.NOT_STARTED,
        progress=official.progress if official else 0,
        official=official,
        pending=pending,
        decision=decision,
        returned_id=returned_id,
    )
    first = calendar.first_tracked(h.facts.start)
    state.reported_through = max(reported_through or date.min, first.start - timedelta(days=1))
    if state.open:
        due = h.facts.due_date
        if due is not None:
            state.overdue = due < as_of
            state.due_soon = as_of <= due <= as_of + timedelta(days=due_soon_days)
        last_due = calendar.last_due(as_of)
        state.stale = last_due is not None and state.reported_through < last_due.start
    return state


# --- per period -------------------------------------------------------------------------------------


@dataclass
class PeriodRow:
    """One item's state at the end of one period (K = everything known) and its report
    for that period: the values of an ``item_period`` row."""

    period: Period
    state: ItemState
    must_report: bool
    period_update_id: int | None
    review: PeriodReview | None
    first_submitted_on: date | None
    timeliness: Timeliness | None

    def values(self, facts: ItemFacts) -> dict:
        st = self.state
        return {
            "item_id": facts.item_id,
            "period_end": self.period.end,
            "period_start": self.period.start,
            "report_id": facts.report_id,
            "recommendation_id": facts.recommendation_id,
            "lead_department_id": facts.lead_department_id,
            "weight": facts.weight,
            "due_date": facts.due_date,
            "status": st.status,
            "progress": st.progress,
            "official_update_id": st.official.id if st.official else None,
            "official_effective_date": st.official.effective_date if st.official else None,
            "official_approved_on": st.official.approved_on if st.official else None,
            "pending_update_id": st.pending.id if st.pending else None,
            "pending_status": st.pending.status if st.pending else None,
            "pending_progress": st.pending.progress if st.pending else None,
            "pending_effective_date": st.pending.effective_date if st.pending else None,
            "returned_update_id": st.returned_id,
            "decision": st.decision.decision if st.decision else None,
            "decision_id": st.decision.id if st.decision else None,
            "released": st.released,
            "must_report": self.must_report,
            "period_update_id": self.period_update_id,
            "review": self.review,
            "first_submitted_on": self.first_submitted_on,
            "timeliness": self.timeliness,
            "overdue": st.overdue,
            "due_soon": st.due_soon,
            "stale": st.stale,
            "open_due_date": facts.due_date if st.open else None,
            "open_reported_through": st.reported_through if st.open else None,
        }


def period_report(
    h: ItemHistory, period: Period, knowledge: date, as_of: date | None = None
) -> tuple[int | None, PeriodReview | None, date | None, Timeliness | None]:
    """How the item's report for ``period`` stands on K (only reports effective by
    ``as_of`` when given): (the report that stands for it, approved / pending / returned,
    first submission day, on time / late)."""
    in_period = [
        u
        for u in h.updates
        if period.contains(u.effective_date)
        and _known(u.submitted_on, knowledge)
        and (as_of is None or u.effective_date <= as_of)
    ]
    corrected = {u.corrects_id for u in h.updates if u.corrects_id is not None and _known(u.submitted_on, knowledge)}
    approved: list[UpdateRec] = []
    live: list[tuple[UpdateRec, ReviewRec | None]] = []
    first: date | None = None
    for u in in_period:
        review = _review_by(h, u.id, knowledge)
        withdrawal = _withdrawn_by(h, u.id, knowledge)
        if withdrawal is None or withdrawal.kind is WithdrawalKind.REPLACED:
            first = u.submitted_on if first is None else min(first, u.submitted_on)
        if review is not None and review.decision is ReviewDecision.APPROVE:
            approved.append(u)
        elif withdrawal is None and u.id not in corrected:
            live.append((u, review))
    timeliness = None if first is None else (Timeliness.ON_TIME if first <= period.deadline else Timeliness.LATE)
    if approved:
        chosen = max(approved, key=lambda u: (u.effective_date, u.id))
        return chosen.id, PeriodReview.APPROVED, first, timeliness
    if live:
        u, review = max(live, key=lambda pair: pair[0].id)
        return u.id, (PeriodReview.PENDING if review is None else PeriodReview.RETURNED), first, timeliness
    return None, None, first, timeliness


def item_periods(h: ItemHistory, calendar: Calendar, through: date) -> Iterable[Period]:
    """The periods an item has rows for: from the one holding its start through the period
    ending ``through``."""
    return calendar.between(calendar.containing(h.facts.start), through)


def period_rows(
    h: ItemHistory, calendar: Calendar, through: date, knowledge: date = EVERYTHING, due_soon_days: int = 30
) -> list[PeriodRow]:
    """The item's rows for every period from the one holding its start through ``through``."""
    first = calendar.first_tracked(h.facts.start)
    rows = []
    for period in item_periods(h, calendar, through):
        state = state_on(h, period.end, knowledge, calendar, due_soon_days)
        must = period >= first and state_on(h, period.start - timedelta(days=1), knowledge, calendar).open
        update_id, review, first_on, timeliness = period_report(h, period, knowledge)
        rows.append(PeriodRow(period, state, must, update_id, review, first_on, timeliness))
    return rows


# --- roll-up -----------------------------------------------------------------------------------------


@dataclass
class RollUp:
    """Weighted mean of item progress: Σ(weight × progress) / Σ(weight), not-feasible left out."""

    progress: float | None
    weight_total: Decimal
    items_counted: int
    items_excluded: int


def rollup(pairs: Iterable[tuple[Decimal | int | None, ItemState]]) -> RollUp:
    """The roll-up of (weight, state) pairs (not-feasible items left out)."""
    total_w = Decimal(0)
    total = Decimal(0)
    counted = excluded = 0
    for weight, st in pairs:
        if not st.applicable:
            excluded += 1
            continue
        w = Decimal(weight if weight is not None else 1)
        total_w += w
        total += w * st.progress
        counted += 1
    return RollUp(float(total / total_w) if total_w > 0 else None, total_w, counted, excluded)


def mean_progress(values: Iterable[float | None]) -> float | None:
    """A report's progress: the plain mean of its recommendations' progress."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
