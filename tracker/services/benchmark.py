"""Indicators against the foreign benchmark: latest value, gap closure, on-track class.

Gap closure = (latest − baseline) / (reference − baseline).
On-track class (after Open SDG): ratio of the actual yearly change since the baseline
to the yearly change needed to reach the target by its year —
≥ 0.95 on track, 0.6–0.95 needs acceleration, 0–0.6 limited progress,
< 0 deteriorating; "achieved" once the target is met.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import dates
from ..dates import DataDates
from ..extensions import db
from ..models import Direction, Indicator, Measurement, Review, ReviewDecision

# The on-track classes' lower bounds on the actual/needed yearly-change ratio (Open SDG's).
ON_TRACK_AT = 0.95
NEEDS_ACCELERATION_AT = 0.6


class OnTrack(str, enum.Enum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    NEEDS_ACCELERATION = "needs_acceleration"
    LIMITED_PROGRESS = "limited_progress"
    DETERIORATING = "deteriorating"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class Point:
    measured_on: date
    value: Decimal
    measurement_id: int


@dataclass
class IndicatorState:
    indicator: Indicator
    points: list[Point]
    latest: Point | None
    gap_closure: float | None
    ratio: float | None
    on_track: OnTrack
    missing: list[str] = field(default_factory=list)


def _year_fraction(d: date) -> float:
    return d.year + (d.timetuple().tm_yday - 1) / 365.25


def gap_closure(latest: float | None, baseline: float | None, reference: float | None) -> float | None:
    """(latest − baseline) / (reference − baseline); None when undefined."""
    if latest is None or baseline is None or reference is None or reference == baseline:
        return None
    return (latest - baseline) / (reference - baseline)


def classify(
    latest: float | None,
    latest_when: float | None,
    baseline: float | None,
    baseline_year: int | None,
    target: float | None,
    target_year: int | None,
    direction: Direction,
) -> tuple[OnTrack, float | None]:
    """On-track class and the actual/needed yearly-change ratio."""
    if latest is None or target is None:
        return OnTrack.INSUFFICIENT_DATA, None
    met = latest >= target if direction is Direction.HIGHER else latest <= target
    if met:
        return OnTrack.ACHIEVED, None
    if baseline is None or baseline_year is None or target_year is None or latest_when is None:
        return OnTrack.INSUFFICIENT_DATA, None
    # Baseline taken at mid-year of its year when only the year is known.
    base_when = baseline_year + 0.5
    years_needed = target_year + 0.5 - base_when
    years_elapsed = latest_when - base_when
    if years_needed <= 0 or years_elapsed <= 0:
        return OnTrack.INSUFFICIENT_DATA, None
    needed = (target - baseline) / years_needed
    actual = (latest - baseline) / years_elapsed
    if needed == 0:
        return OnTrack.INSUFFICIENT_DATA, None
    ratio = actual / needed
    if ratio >= ON_TRACK_AT:
        return OnTrack.ON_TRACK, ratio
    if ratio >= NEEDS_ACCELERATION_AT:
        return OnTrack.NEEDS_ACCELERATION, ratio
    if ratio >= 0:
        return OnTrack.LIMITED_PROGRESS, ratio
    return OnTrack.DETERIORATING, ratio


def _f(v: Decimal | None) -> float | None:
    return float(v) if v is not None else None


def official_measurements(
    indicator_ids: Sequence[int], as_of: date | DataDates, session: Session | None = None
) -> dict[int, list[Point]]:
    """Measurements official on (D, K): measured on or before D and either entered directly
    by K or part of a report approved by K (``as_of`` a date means K = today)."""
    session = session or db.session
    if not indicator_ids:
        return {}
    dd = as_of if isinstance(as_of, DataDates) else DataDates(as_of, dates.today(), dates.today())
    known = dd.known_before()
    q = (
        select(Measurement.id, Measurement.indicator_id, Measurement.measured_on, Measurement.value)
        .outerjoin(Review, Review.update_id == Measurement.update_id)
        .where(
            Measurement.indicator_id.in_(indicator_ids),
            Measurement.measured_on <= dd.as_of,
            or_(
                Measurement.update_id.is_(None) & (Measurement.recorded_at < known),
                (Review.decision == ReviewDecision.APPROVE) & (Review.recorded_at < known),
            ),
        )
        .order_by(Measurement.indicator_id, Measurement.measured_on, Measurement.id)
    )
    out: dict[int, list[Point]] = defaultdict(list)
    for r in session.execute(q):
        points = out[r.indicator_id]
        # A later measurement of the same day corrects the earlier one (rows come in id order
        # within a day): a correction is a new record, as everywhere in the history.
        if points and points[-1].measured_on == r.measured_on:
            points[-1] = Point(r.measured_on, r.value, r.id)
        else:
            points.append(Point(r.measured_on, r.value, r.id))
    return out


def indicator_states(
    indicators: Sequence[Indicator], as_of: date | DataDates, session: Session | None = None
) -> dict[int, IndicatorState]:
    """Benchmark state of each indicator on (D, K) (one statement)."""
    points = official_measurements([i.id for i in indicators], as_of, session)
    result: dict[int, IndicatorState] = {}
    for ind in indicators:
        pts = points.get(ind.id, [])
        latest = pts[-1] if pts else None
        missing = []
        if ind.baseline_value is None:
            missing.append("baseline")
        if ind.target_value is None:
            missing.append("target")
        if ind.reference_value is None:
            missing.append("reference")
        if latest is None:
            missing.append("measurement")
        lv = _f(latest.value) if latest else None
        cls, ratio = classify(
            lv,
            _year_fraction(latest.measured_on) if latest else None,
            _f(ind.baseline_value),
            ind.baseline_year,
            _f(ind.target_value),
            ind.target_year,
            ind.direction,
        )
        result[ind.id] = IndicatorState(
            indicator=ind,
            points=pts,
            latest=latest,
            gap_closure=gap_closure(lv, _f(ind.baseline_value), _f(ind.reference_value)),
            ratio=ratio,
            on_track=cls,
            missing=missing,
        )
    return result
