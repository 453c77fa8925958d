"""The two dates, reporting periods, roll-up and health on hand-computed scenarios
(tests/scenarios.py tells each item's story; services/progress.py and history.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.scenarios import build_scenarios
from tracker.dates import DataDates, today
from tracker.extensions import db
from tracker.models import ItemPeriod, Status, TrackingChoice
from tracker.periods import Calendar, PeriodSettingError, parse_period_ends
from tracker.services import progress

HALF = Calendar(((6, 30), (12, 31)), 15)


def dd(as_of: str, known_at: str | None = None) -> DataDates:
    t = today()
    return DataDates(date.fromisoformat(as_of), date.fromisoformat(known_at) if known_at else t, t)


@pytest.fixture
def sc(factory):
    return build_scenarios(factory)


def states(sc, dates, fold=False):
    got = progress.item_states(sc.items, dates, fold=fold)
    return {item.code: got[item.id] for item in sc.items}


# --- the two dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fold", [False, True], ids=["read model", "history"])
def test_year_end_report_approved_in_january_counts_for_the_year(sc, fold):
    s = states(sc, dd("2017-12-31"), fold)
    assert s["JANUARY"].progress == 60 and s["JANUARY"].official.effective_date == date(2017, 12, 31)
    assert s["JANUARY"].official.approved_on == date(2018, 1, 20)
    # As printed on 2017-12-31 the 12-31 report did not exist yet, and nothing was pending.
    printed = states(sc, dd("2017-12-31", "2017-12-31"), True)
    assert printed["JANUARY"].progress == 30 and printed["JANUARY"].pending is None
    # Known on 2018-01-10: submitted (01-05) and waiting for review.
    mid = states(sc, dd("2017-12-31", "2018-01-10"), True)
    assert mid["JANUARY"].progress == 30 and mid["JANUARY"].pending.progress == 60
    assert states(sc, dd("2017-12-31", "2018-01-20"), True)["JANUARY"].progress == 60


def test_pending_counts_only_reports_that_existed(sc):
    assert progress.build_summary(dd("2017-12-31", "2017-12-31"), [sc.report.id]).pending_count == 0
    assert progress.build_summary(dd("2017-12-31", "2018-01-10"), [sc.report.id]).pending_count == 1
    assert progress.build_summary(dd("2017-12-31"), [sc.report.id]).pending_count == 0


def test_a_late_report_counts_once_known(sc):
    assert states(sc, dd("2017-07-16"))["LATE"].progress == 40
    printed = states(sc, dd("2017-07-16", "2017-07-16"), True)["LATE"]
    assert printed.progress == 0 and printed.stale and printed.pending is None
    waiting = states(sc, dd("2017-07-22", "2017-07-22"), True)["LATE"]
    assert waiting.pending is not None and not waiting.stale


def test_returned_then_corrected(sc):
    returned = states(sc, dd("2017-07-06", "2017-07-06"), True)["RETURNED"]
    assert returned.returned_id == sc.returned_id and returned.pending is None and returned.progress == 0
    corrected = states(sc, dd("2017-07-10", "2017-07-10"), True)["RETURNED"]
    assert corrected.returned_id is None and corrected.pending.id == sc.correction_id
    assert states(sc, dd("2017-12-31"))["RETURNED"].progress == 50


@pytest.mark.parametrize("fold", [False, True], ids=["read model", "history"])
def test_never_reported_is_flagged_from_its_first_missed_period(sc, fold):
    assert not states(sc, dd("2017-07-15"), fold)["NEVER"].stale  # 2017 H1 is due that day
    assert states(sc, dd("2017-07-16"), fold)["NEVER"].stale
    assert states(sc, dd("2017-12-31"), fold)["NEVER"].stale
    # Items that reported on 2017 H1 are not flagged at the end of 2017, however long ago it was.
    s = states(sc, dd("2017-12-31"), fold)
    assert [code for code, st in s.items() if st.stale] == ["NEVER"]


def test_released_mid_year(sc):
    before = states(sc, dd("2017-09-09"), True)["RELEASED"]
    assert before.status is Status.COMPLETED and not before.released and before.flags == []
    after = states(sc, dd("2017-09-10"), True)["RELEASED"]
    assert after.released and after.decision.decision is TrackingChoice.RELEASE


def test_overdue_and_due_soon(sc, factory):
    assert states(sc, dd("2017-06-30"))["OVERDUE"].flags == ["due_soon"]  # due that very day
    assert states(sc, dd("2017-07-01"))["OVERDUE"].flags == ["overdue"]
    soon = factory.item(sc.late.recommendation, due_date=date(2017, 8, 1))
    db.session.commit()
    st = progress.item_states([soon], dd("2017-07-05"))[soon.id]
    assert st.due_soon and not st.overdue


# --- the summary: numbers computed by hand ---------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, known_at, r1, r2, pending, reported",
    [
        ("2017-12-31", None, 50.0, 110 / 3, 0, 2),  # (40+60+50)/3, (0+100+10)/3; H2: JANUARY, RELEASED
        ("2017-12-31", "2017-12-31", 40.0, 110 / 3, 0, 1),  # JANUARY still 30; only RELEASED had reported
        ("2017-12-31", "2018-01-10", 40.0, 110 / 3, 1, 2),  # JANUARY submitted, pending
    ],
)
def test_summary_by_hand(sc, as_of, known_at, r1, r2, pending, reported):
    s = progress.build_summary(dd(as_of, known_at), [sc.report.id])
    got = {rs.recommendation.code: rs.rollup.progress for rs in s.recommendations}
    assert got["R1"] == pytest.approx(r1) and got["R2"] == pytest.approx(r2)
    assert s.overall_progress == pytest.approx((r1 + r2) / 2)
    assert s.pending_count == pending
    assert s.flag_counts == {"overdue": 1, "due_soon": 0, "stale": 1}
    assert s.status_counts[Status.IN_PROGRESS] == 4 and s.status_counts[Status.COMPLETED] == 1
    assert (s.reporting.period.end, s.reporting.must_report, s.reporting.reported) == (date(2017, 12, 31), 6, reported)


def test_summary_read_model_and_history_agree(sc):
    fast = progress.build_summary(dd("2017-12-31"), [sc.report.id])
    slow = progress._summary_from_history(db.session, dd("2017-12-31"), [sc.report.id], None, None, None)
    assert fast.source == "read model" and slow.source == "history"
    assert fast.overall_progress == slow.overall_progress and fast.flag_counts == slow.flag_counts
    assert fast.reporting.on_time == slow.reporting.on_time == 2


# --- per item per period ---------------------------------------------------------------------------


def test_period_rows_say_who_reported_on_time(sc):
    rows = {(r.item_id, r.period_end): r for r in db.session.scalars(db.select(ItemPeriod))}
    h1, h2, next_h1 = date(2017, 6, 30), date(2017, 12, 31), date(2018, 6, 30)

    def row(item, end):
        r = rows[(item.id, end)]
        return (r.review.value if r.review else None, r.timeliness.value if r.timeliness else None, r.must_report)

    assert row(sc.late, h1) == ("approved", "late", True)
    assert rows[(sc.late.id, h1)].first_submitted_on == date(2017, 7, 20)
    assert row(sc.january, h1) == ("approved", "on_time", True)
    assert row(sc.january, h2) == ("approved", "on_time", True)  # submitted 2018-01-05, due 01-15
    assert row(sc.returned, h1) == ("approved", "on_time", True)  # the returned first came in 07-01
    assert row(sc.never, h1) == (None, None, True)
    assert row(sc.never, h2) == (None, None, True)
    assert row(sc.released, h2) == ("approved", "on_time", True)
    assert row(sc.released, next_h1) == (None, None, False)  # closed and released: nothing to report
    # Before the first period (the report was filed 2016-12-23) nothing is due.
    assert rows[(sc.never.id, date(2016, 12, 31))].must_report is False


def test_rollup_is_weighted_and_leaves_out_not_feasible(factory):
    rec = factory.recommendation()
    a = factory.item(rec, weight=Decimal(1))
    b = factory.item(rec, weight=Decimal(3))
    c = factory.item(rec)
    factory.update(a, progress=100, status=Status.COMPLETED, approved_on=date(2017, 7, 1))
    factory.update(b, progress=20, approved_on=date(2017, 7, 1))
    factory.update(c, progress=0, status=Status.NOT_FEASIBLE, reason="法規不允許", approved_on=date(2017, 7, 1))
    db.session.commit()
    states = progress.item_states([a, b, c], date(2017, 12, 31))
    r = progress.rollup([a, b, c], states)
    assert r.progress == (1 * 100 + 3 * 20) / 4
    assert (r.items_counted, r.items_excluded) == (2, 1)


def test_self_tracked_items_no_longer_report(factory):
    item = factory.item()
    factory.update(item, progress=30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 3))
    factory.decision(
        item, TrackingChoice.SELF_TRACK, date(2017, 12, 31), recorded_on=date(2018, 1, 20), review_year=2017
    )
    db.session.commit()
    st = progress.item_states([item], dd("2019-01-31"))[item.id]
    assert not st.stale and not st.tracked and not st.open


# --- the calendar -------------------------------------------------------------------------------


def test_half_years():
    p = HALF.containing(date(2017, 3, 5))
    assert (p.start, p.end, p.deadline) == (date(2017, 1, 1), date(2017, 6, 30), date(2017, 7, 15))
    assert HALF.containing(date(2017, 7, 1)).start == date(2017, 7, 1)
    assert HALF.containing(date(2017, 12, 31)).end == date(2017, 12, 31)
    assert HALF.containing(date(2018, 1, 1)).end == date(2018, 6, 30)


def test_first_period_and_last_due():
    assert HALF.first_tracked(date(2016, 12, 23)).end == date(2017, 6, 30)  # a part-period is not due
    assert HALF.first_tracked(date(2017, 1, 1)).end == date(2017, 6, 30)
    assert HALF.last_due(date(2017, 7, 15)).end == date(2016, 12, 31)  # H1 due that very day
    assert HALF.last_due(date(2017, 7, 16)).end == date(2017, 6, 30)
    assert HALF.last_due(date(2018, 1, 16)).end == date(2017, 12, 31)


def test_quarters_and_years():
    q = Calendar(parse_period_ends("03-31,06-30,09-30,12-31"), 10)
    assert q.containing(date(2017, 5, 1)).start == date(2017, 4, 1)
    assert [p.end.month for p in q.in_year(2017)] == [3, 6, 9, 12]
    y = Calendar(parse_period_ends("12-31"), 30)
    p = y.containing(date(2017, 5, 1))
    assert (p.start, p.end, p.deadline) == (date(2017, 1, 1), date(2017, 12, 31), date(2018, 1, 30))


@pytest.mark.parametrize("raw", ["06-31", "02-29", "6/30", "", "12-31,12-31", "00-10", "１２-31"])
def test_bad_period_settings(raw):
    with pytest.raises(PeriodSettingError, match="REPORTING_PERIOD_ENDS"):
        parse_period_ends(raw)


def test_labels():
    assert HALF.containing(date(2018, 3, 1)).label("zh_TW") == "107年上半年"
    assert HALF.containing(date(2018, 9, 1)).label("en") == "2018 H2"
