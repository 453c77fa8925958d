"""The benchmark rules as pure functions, with answers computed by hand.

classify(latest, latest_when, baseline, baseline_year, target, target_year, direction):
the baseline counts from mid-year of its year, the target is due mid-year of its year;
ratio = (actual yearly change) / (needed yearly change).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.models import Direction
from tracker.services.benchmark import OnTrack, classify, gap_closure


def test_gap_closure_by_hand():
    assert gap_closure(25, 10, 80) == pytest.approx(15 / 70)
    assert gap_closure(10, 10, 80) == 0
    assert gap_closure(80, 10, 80) == 1
    assert gap_closure(5, 10, 80) == pytest.approx(-5 / 70)  # worse than the baseline
    # lower is better: 30 % water loss to a 10 % reference, now 20 %: half the gap closed
    assert gap_closure(20, 30, 10) == pytest.approx(0.5)


@pytest.mark.parametrize("latest, baseline, reference", [(None, 1, 2), (1, None, 2), (1, 2, None), (5, 3, 3)])
def test_gap_closure_undefined(latest, baseline, reference):
    assert gap_closure(latest, baseline, reference) is None


# Baseline 10 in 2016 (2016.5), target 50 in 2026 (2026.5): 4 a year needed.
# Measured at 2021.5 (5 years on): on track needs 10 + 0.95 * 4 * 5 = 29.
@pytest.mark.parametrize(
    "latest, expected, ratio",
    [
        (30, OnTrack.ON_TRACK, 1.0),  # 20 in 5 years = 4/year
        (29, OnTrack.ON_TRACK, 0.95),  # exactly the bound
        (28.9, OnTrack.NEEDS_ACCELERATION, 0.945),
        (22, OnTrack.NEEDS_ACCELERATION, 0.6),  # 12 / 20
        (21.9, OnTrack.LIMITED_PROGRESS, 0.595),
        (10, OnTrack.LIMITED_PROGRESS, 0.0),  # no change
        (8, OnTrack.DETERIORATING, -0.1),  # went the wrong way
        (50, OnTrack.ACHIEVED, None),  # target met
        (61, OnTrack.ACHIEVED, None),
    ],
)
def test_classify_higher_is_better(latest, expected, ratio):
    got, got_ratio = classify(latest, 2021.5, 10, 2016, 50, 2026, Direction.HIGHER)
    assert got is expected
    if ratio is None:
        assert got_ratio is None
    else:
        assert got_ratio == pytest.approx(ratio)


# Lower is better: 30 in 2016, target 10 in 2026 (-2 a year); at 2021.5.
@pytest.mark.parametrize(
    "latest, expected",
    [
        (20, OnTrack.ON_TRACK),  # -10 in 5 years = -2/year, ratio 1
        (24, OnTrack.NEEDS_ACCELERATION),  # -6 / -10 = 0.6
        (29, OnTrack.LIMITED_PROGRESS),  # 0.1
        (33, OnTrack.DETERIORATING),  # went up
        (10, OnTrack.ACHIEVED),
        (9, OnTrack.ACHIEVED),
    ],
)
def test_classify_lower_is_better(latest, expected):
    assert classify(latest, 2021.5, 30, 2016, 10, 2026, Direction.LOWER)[0] is expected


@pytest.mark.parametrize(
    "args",
    [
        (None, 2021.5, 10, 2016, 50, 2026),  # no measurement
        (30, 2021.5, 10, 2016, None, 2026),  # no target
        (30, 2021.5, None, 2016, 50, 2026),  # no baseline
        (30, 2021.5, 10, None, 50, 2026),  # no baseline year
        (30, 2021.5, 10, 2016, 50, None),  # no target year
        (30, 2016.0, 10, 2016, 50, 2026),  # measured before the baseline's mid-year
        (30, 2021.5, 10, 2026, 50, 2026),  # target due when the baseline was taken
    ],
)
def test_classify_insufficient_data(args):
    assert classify(*args, Direction.HIGHER) == (OnTrack.INSUFFICIENT_DATA, None)


def test_a_measurement_is_corrected_only_by_an_official_later_one_of_the_same_day(factory):
    """A correction is a later measurement of the same day (there is no pointer to the row it
    corrects): it replaces the official value once it is official itself on the knowledge date
    (its report approved by K, or entered directly by K); a pending or returned report's value
    never does."""
    from datetime import date

    from tracker.dates import DataDates
    from tracker.services.benchmark import official_measurements

    item = factory.item()
    ind = factory.indicator(item.recommendation)
    day = date(2018, 6, 30)
    first = factory.update(item, effective=day, approved_on=date(2018, 7, 10))
    factory.measurement(ind, 10, day, update=first)
    pending = factory.update(item, effective=day, submitted_on=date(2018, 8, 1))
    factory.measurement(ind, 11, day, update=pending)
    returned = factory.update(item, effective=day, submitted_on=date(2018, 8, 2), returned_on=date(2018, 8, 3))
    factory.measurement(ind, 99, day, update=returned)
    approved = factory.update(item, effective=day, submitted_on=date(2018, 8, 20), approved_on=date(2018, 9, 1))
    factory.measurement(ind, 12, day, update=approved)
    factory.measurement(ind, 13, day, recorded_on=date(2018, 10, 5))  # an administrator's direct entry

    def value(known_at: date) -> Decimal:
        points = official_measurements([ind.id], DataDates(date(2018, 12, 31), known_at, date(2019, 1, 1)))[ind.id]
        assert [p.measured_on for p in points] == [day]  # one value per day
        return points[0].value

    assert value(date(2018, 7, 10)) == 10
    assert value(date(2018, 8, 31)) == 10  # the pending and the returned values never count
    assert value(date(2018, 9, 1)) == 12  # the correction counts from its approval
    assert value(date(2018, 10, 4)) == 12
    assert value(date(2018, 10, 5)) == 13  # a direct entry counts once recorded
    assert official_measurements([ind.id], DataDates(date(2018, 6, 29), date(2018, 12, 31), date(2019, 1, 1))) == {}
