"""The read model is a pure function of the history (docs/domain.md, "The read model").

Random histories are written through the real operations (submit, withdraw, replace,
approve, return, tracking decisions) with the clock moved to each record's day. Then:
* the stored item_period rows and roll-ups equal a recomputation from the history
  (projections.check), also after the calendar has moved on by periods (rollover);
* every state the read model answers (today, period ends, K = today) equals the state
  folded from the history, item by item and in the summary's numbers.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tracker.dates import DataDates, today
from tracker.extensions import db
from tracker.models import ItemPeriod, Status, TrackingChoice
from tracker.services import DomainError, progress, projections, updates
from tracker.services import review as review_ops

START = date(2017, 1, 2)
_seq = itertools.count()

STEP = st.tuples(
    st.integers(0, 900),  # day offset from START
    st.integers(0, 2),  # item
    st.sampled_from(
        [
            "submit",
            "submit",
            "submit",
            "approve",
            "approve",
            "return",
            "withdraw",
            "replace",
            "continue",
            "release",
            "self_track",
        ]
    ),
    st.sampled_from([s.value for s in Status]),
    st.integers(0, 100),
    st.integers(0, 200),  # how many days before "today" the report describes
)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(4), tzinfo=UTC)  # 12:00 in Taipei


def _world(factory):
    n = next(_seq)
    report = factory.report(code=f"rm-{n}", report_date=date(2016, 12, 23))
    recs = [factory.recommendation(report, code=f"R{k}", position=k) for k in range(2)]
    lead = factory.department(code=f"L{n}")
    editor = factory.user("editor", department=lead)
    reviewer = factory.user("reviewer")
    items = [
        factory.item(
            recs[k % 2],
            lead=lead,
            code=f"A{k}",
            position=k,
            weight=Decimal(1 + k),
            due_date=date(2018, 3, 1) + timedelta(days=200 * k),
        )
        for k in range(3)
    ]
    db.session.commit()
    return items, editor, reviewer


def _apply(step, items, editor, reviewer) -> None:
    offset, k, action, status, prog, back = step
    day = START + timedelta(days=offset)
    item = items[k]
    db.session.refresh(item)
    pending = updates.live_pending(item.id)
    effective = max(date(2016, 12, 23), day - timedelta(days=back))
    try:
        if action in ("submit", "replace"):
            status_v = Status(status)
            kw = {"reason": "理由"} if status_v is Status.NOT_FEASIBLE else {}
            if status_v is Status.COMPLETED:
                prog, kw = 100, {"evidence_url": "https://example.org/evidence"}
            updates.submit_update(
                item,
                editor,
                status=status_v.value,
                progress=prog,
                effective_date=effective,
                narrative="辦理情形",
                based_on_version=item.version,
                replaces_id=pending.id if (pending is not None and action == "replace") else None,
                **kw,
            )
        elif action in ("approve", "return") and pending is not None:
            if action == "approve":
                review_ops.approve_update(pending, reviewer, day)
            else:
                review_ops.return_update(pending, reviewer, "請補充", day)
        elif action == "withdraw" and pending is not None:
            updates.withdraw_update(pending, editor, reason="重新整理")
        elif action in ("continue", "release", "self_track"):
            review_ops.record_decision(item, TrackingChoice(action), "審核意見", day, reviewer)
        db.session.commit()
    except DomainError:
        db.session.rollback()


def _check_equal(items) -> None:
    assert projections.check() == []
    cal = progress.calendar()
    now = today()
    days = [now] + [p.end for p in cal.between(cal.containing(date(2017, 1, 1)), now) if p.end <= now]
    # Days that are no period end: rows of a nearby period corrected item by item.
    days += [
        date(2017, 3, 15),
        date(2017, 7, 10),
        date(2017, 12, 30),
        date(2018, 1, 10),
        date(2018, 8, 1),
        date(2019, 2, 28),
    ]
    for d in days:
        dd = DataDates(d, now, now)
        fast = progress.item_states(items, dd)
        slow = progress.item_states(items, dd, fold=True)
        for item in items:
            a, b = fast[item.id], slow[item.id]
            assert (
                a.exists,
                a.status,
                a.progress,
                a.flags,
                a.pending and a.pending.id,
                a.released,
                a.official and a.official.id,
                a.decision and a.decision.id,
            ) == (
                b.exists,
                b.status,
                b.progress,
                b.flags,
                b.pending and b.pending.id,
                b.released,
                b.official and b.official.id,
                b.decision and b.decision.id,
            ), (d, item.code)
        report_ids = [items[0].recommendation.report_id]
        rm = progress.build_summary(dd, report_ids, flag_limit=None, decision_limit=None)
        hs = progress._summary_from_history(db.session, dd, report_ids, None, None, None)
        assert rm.source != "history" and hs.source == "history"
        assert [
            (r.recommendation.code, r.item_count, dict(r.status_counts), r.rollup.progress, r.pending)
            for r in rm.recommendations
        ] == [
            (r.recommendation.code, r.item_count, dict(r.status_counts), r.rollup.progress, r.pending)
            for r in hs.recommendations
        ], d
        assert rm.flag_counts == hs.flag_counts, d
        assert rm.pending_count == hs.pending_count and rm.overall_progress == hs.overall_progress, d
        assert (
            rm.reporting.must_report,
            rm.reporting.reported,
            rm.reporting.on_time,
            rm.reporting.late,
            rm.reporting.approved,
            rm.reporting.returned,
        ) == (
            hs.reporting.must_report,
            hs.reporting.reported,
            hs.reporting.on_time,
            hs.reporting.late,
            hs.reporting.approved,
            hs.reporting.returned,
        ), d
        assert dict(rm.department_counts) == dict(hs.department_counts), d
        assert {f: [x.item_id for x in rm.flagged[f]] for f in rm.flagged} == {
            f: [x.item_id for x in hs.flagged[f]] for f in hs.flagged
        }, d


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_random_histories_keep_the_read_model_equal_to_the_history(app, factory, steps):
    with time_machine.travel(_noon(START), tick=False):
        items, editor, reviewer = _world(factory)
    for step in sorted(steps, key=lambda s: s[0]):
        with time_machine.travel(_noon(START + timedelta(days=step[0])), tick=False):
            _apply(step, items, editor, reviewer)
    _check_equal(items)
    _check_rows_from(items)


def _check_rows_from(items) -> None:
    """The write path recomputes only the periods from a day on (projections.rows_from):
    the same rows as history.period_rows from that period on, for every day it may get."""
    cal = projections.calendar()
    through = cal.containing(today()).end
    histories = projections.load_histories(db.session, [item.id for item in items])
    for h in histories.values():
        every = projections.compute_rows(h, cal, through)
        days = {date(2016, 1, 1), h.facts.start, through} | {u.effective_date for u in h.updates}
        for since in sorted(days):
            want = [r for r in every if r["period_end"] >= since]
            assert projections.rows_from(h, cal, through, since) == want, since


def test_rollover_carries_state_into_new_periods(app, factory):
    """Written in 2017, read years later: the periods in between are added by the rollover
    (SQL carry-over), and they equal a recomputation."""
    with time_machine.travel(_noon(date(2017, 3, 1)), tick=False):
        items, editor, reviewer = _world(factory)
        updates.submit_update(
            items[0],
            editor,
            status="in_progress",
            progress=30,
            effective_date="2017-02-28",
            narrative="n",
            based_on_version=items[0].version,
        )
        db.session.commit()
        review_ops.approve_update(updates.live_pending(items[0].id), reviewer)
        review_ops.record_decision(items[1], "self_track", "自行列管", date(2017, 3, 1), reviewer)
        db.session.commit()
        assert projections.check() == []
    for day in (date(2017, 8, 1), date(2018, 1, 20), date(2019, 7, 2)):
        with time_machine.travel(_noon(day), tick=False):
            progress.build_summary(today())  # a page read moves the calendar on
            assert projections.check() == [], day
    _check_equal(items)


@pytest.mark.parametrize("setting", ["03-31,06-30,09-30,12-31", "12-31"])
def test_other_period_settings(app, factory, setting):
    app.config["REPORTING_PERIOD_ENDS"] = setting
    with time_machine.travel(_noon(date(2017, 5, 1)), tick=False):
        items, editor, reviewer = _world(factory)
        updates.submit_update(
            items[0],
            editor,
            status="planning",
            progress=10,
            effective_date="2017-03-31",
            narrative="n",
            based_on_version=items[0].version,
        )
        db.session.commit()
    _check_equal(items)


def test_changing_due_soon_days_rebuilds_the_rows(app, factory):
    """The stored rows carry each period's due-soon flag: a new DUE_SOON_DAYS must not leave
    them computed with the old one."""
    with time_machine.travel(_noon(date(2017, 5, 1)), tick=False):
        items, editor, reviewer = _world(factory)
        items[0].due_date = date(2017, 9, 10)  # 72 days after the period's end
        projections.touch([items[0].id])
        db.session.commit()
        progress.build_summary(today())
        assert projections.check() == []

        def stored_due_soon():
            return db.session.scalar(
                select(ItemPeriod.due_soon).where(
                    ItemPeriod.item_id == items[0].id, ItemPeriod.period_end == date(2017, 6, 30)
                )
            )

        assert stored_due_soon() is False
        app.config["DUE_SOON_DAYS"] = 90
        progress.build_summary(today())  # the first read after the change rebuilds
        assert projections.check() == []
        assert stored_due_soon() is True
