"""As-of state, roll-up and health flags (services/progress.py)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from tracker.extensions import db
from tracker.models import Status, TrackingChoice
from tracker.services import progress


def test_state_uses_only_updates_approved_by_the_as_of_date(factory):
    item = factory.item(start_date=date(2017, 1, 1), due_date=date(2018, 12, 31))
    factory.update(item, progress=30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 10))
    factory.update(item, progress=60, effective=date(2017, 12, 31), approved_on=date(2018, 1, 15))
    factory.update(item, progress=90, effective=date(2018, 6, 30))  # pending
    db.session.commit()

    def state(d):
        return progress.item_states([item], d)[item.id]

    assert state(date(2017, 6, 30)).progress == 0  # effective, but not yet approved
    assert state(date(2017, 7, 10)).progress == 30
    assert state(date(2017, 12, 31)).progress == 30  # approval of the next comes later
    assert state(date(2018, 1, 15)).progress == 60
    later = state(date(2018, 7, 1))
    assert later.progress == 60 and later.pending is not None and later.pending.progress == 90


def test_rollup_is_weighted_and_leaves_out_not_feasible(factory):
    rec = factory.recommendation()
    a = factory.item(rec, weight=Decimal(1))
    b = factory.item(rec, weight=Decimal(3))
    c = factory.item(rec)
    factory.update(a, progress=100, status=Status.COMPLETED, approved_on=date(2017, 7, 1))
    factory.update(b, progress=20, approved_on=date(2017, 7, 1))
    factory.update(c, progress=0, status=Status.NOT_FEASIBLE, reason="法規不允許", approved_on=date(2017, 7, 1))
    states = progress.item_states([a, b, c], date(2017, 12, 31))
    r = progress.rollup([a, b, c], states)
    assert r.progress == (1 * 100 + 3 * 20) / 4
    assert (r.items_counted, r.items_excluded) == (2, 1)


def test_health_flags(factory):
    overdue = factory.item(start_date=date(2017, 1, 1), due_date=date(2017, 6, 30))
    soon = factory.item(start_date=date(2017, 1, 1), due_date=date(2017, 7, 20))
    done = factory.item(start_date=date(2017, 1, 1), due_date=date(2017, 6, 30))
    factory.update(done, status=Status.COMPLETED, progress=100, approved_on=date(2017, 6, 1),
                   effective=date(2017, 6, 1))
    factory.update(soon, progress=10, effective=date(2017, 6, 1), approved_on=date(2017, 6, 2))
    states = progress.item_states([overdue, soon, done], date(2017, 7, 1))
    assert states[overdue.id].overdue and not states[overdue.id].due_soon
    assert states[soon.id].due_soon and not states[soon.id].stale
    assert states[done.id].flags == []
    # Stale: no approved update for more than 180 days.
    later = progress.item_states([soon], date(2017, 12, 31))[soon.id]
    assert later.stale and later.overdue


def test_released_items_carry_no_flags_and_decision_is_as_of(factory):
    item = factory.item(start_date=date(2017, 1, 1), due_date=date(2017, 3, 1))
    factory.update(item, status=Status.COMPLETED, progress=100, effective=date(2017, 5, 1), approved_on=date(2017, 5, 2))
    factory.decision(item, TrackingChoice.RELEASE, date(2017, 12, 20))
    assert progress.item_states([item], date(2017, 12, 19))[item.id].decision is None
    st = progress.item_states([item], date(2017, 12, 31))[item.id]
    assert st.released and st.flags == []


def test_current_period_half_years():
    assert progress.current_period(date(2017, 3, 5), "06-30,12-31") == (date(2017, 1, 1), date(2017, 6, 30))
    assert progress.current_period(date(2017, 7, 1), "06-30,12-31") == (date(2017, 7, 1), date(2017, 12, 31))
    assert progress.current_period(date(2017, 12, 31), "06-30,12-31") == (date(2017, 7, 1), date(2017, 12, 31))
