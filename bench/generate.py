"""Synthetic data for the benchmarks: the seeded Israel 2016 report plus N action items
with a 2017–2018 history (status updates, reviews, tracking decisions, measurements).

Shared by every benchmark (exports, dashboard, API). Rows are bulk-inserted, so 10,000
items with about 40,000 history rows take a few seconds. Deterministic for a given seed.

    .venv/bin/python bench/generate.py --items 10000 --db /tmp/bench.sqlite
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tracker.models import (  # noqa: E402
    ActionItem, BudgetSource, Department, Indicator, Measurement, Recommendation, Report, Review,
    ReviewDecision, Status, StatusUpdate, TrackingChoice, TrackingDecision, action_item_supporting,
)

# Half-yearly reporting periods: an update describes the state at a period end and is
# reviewed a few weeks later.
PERIOD_ENDS = [date(2017, 6, 30), date(2017, 12, 31), date(2018, 6, 30), date(2018, 12, 31)]
VERBS = ["盤點", "研擬", "召開", "辦理", "推動", "完成", "檢討", "彙整", "評估", "規劃"]
OBJECTS = ["再生水利用計畫", "新創育成輔導", "智慧路口監視系統", "資安演練", "太陽光電設置",
           "雙語教育課程", "姊妹市交流活動", "影視拍攝協助", "滴灌技術示範", "防災資料平台"]
HOSTILE = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)"]


@dataclass
class GenStats:
    items: int
    updates: int
    reviews: int
    decisions: int
    measurements: int
    seconds: float

    def describe(self) -> str:
        return (f"{self.items:,} action items, {self.updates:,} status updates, {self.reviews:,} reviews, "
                f"{self.decisions:,} tracking decisions, {self.measurements:,} measurements "
                f"in {self.seconds:.1f} s")


def _progress_for(step: int, rng: random.Random) -> tuple[Status, int]:
    base = min(100, step * 25 + rng.randint(-10, 15))
    if base >= 100 and rng.random() < 0.6:
        return Status.COMPLETED, 100
    base = max(0, min(95, base))
    if rng.random() < 0.03:
        return Status.ON_HOLD, base
    if rng.random() < 0.02:
        return Status.NOT_FEASIBLE, base
    if base == 0:
        return Status.NOT_STARTED, 0
    if base < 20:
        return Status.PLANNING, base
    return (Status.ONGOING if rng.random() < 0.15 else Status.IN_PROGRESS), base


def generate(session: Session, n_items: int, seed: int = 1, hostile_every: int = 997) -> GenStats:
    """Add ``n_items`` items with history to the seeded report (loads the seed first if needed).
    Flushes; the caller commits."""
    from seed.loader import load_seed

    started = time.perf_counter()
    rng = random.Random(seed)
    report = session.scalar(select(Report).where(Report.code == "israel-2016"))
    if report is None:
        load_seed(session, ROOT / "seed" / "data")
        session.flush()
        report = session.scalar(select(Report).where(Report.code == "israel-2016"))
    recs = list(session.scalars(select(Recommendation).where(Recommendation.report_id == report.id)
                                .order_by(Recommendation.position)))
    depts = [d.id for d in session.scalars(select(Department).order_by(Department.id))]
    now = datetime.now(timezone.utc)
    items = []
    for n in range(n_items):
        rec = recs[n % len(recs)]
        start = date(2017, 1, 1) + timedelta(days=rng.randint(0, 200))
        due = start + timedelta(days=rng.choice([180, 365, 540, 730]))
        has_budget = rng.random() < 0.6
        items.append({
            "recommendation_id": rec.id, "code": f"{rec.code}-B{n + 1:05d}", "position": 1000 + n,
            "title_zh": f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}（第{n + 1}案）",
            "title_en": f"Benchmark action item {n + 1}",
            "description_zh": "", "description_en": "", "source_section": rec.section,
            "lead_department_id": rng.choice(depts), "weight": Decimal(rng.choice([1, 1, 1, 2, 3])),
            "start_date": start, "due_date": due,
            "budget_amount": Decimal(rng.randrange(100_000, 50_000_000, 10_000)) if has_budget else None,
            "budget_source": rng.choice(list(BudgetSource)) if has_budget else None,
            "budget_note": "", "version": 1, "created_at": now, "updated_at": now,
        })
    session.execute(insert(ActionItem), items)
    ids = list(session.scalars(select(ActionItem.id).where(ActionItem.position >= 1000)
                               .where(ActionItem.recommendation_id.in_([r.id for r in recs]))
                               .order_by(ActionItem.position)))[-n_items:]
    leads = {row.id: row.lead_department_id for row in session.execute(
        select(ActionItem.id, ActionItem.lead_department_id).where(ActionItem.id.in_(ids)))}
    support = []
    for item_id in ids:
        for d in rng.sample(depts, k=rng.randint(0, 2)):
            if d != leads[item_id]:
                support.append({"action_item_id": item_id, "department_id": d})
    if support:
        session.execute(insert(action_item_supporting), support)

    updates, reviews, decisions = [], [], []
    next_update_id = (session.scalar(select(StatusUpdate.id).order_by(StatusUpdate.id.desc()).limit(1)) or 0) + 1
    for k, item_id in enumerate(ids):
        version = 1
        for step, period_end in enumerate(PERIOD_ENDS, start=1):
            if rng.random() < 0.15:
                continue  # the department skipped this period (stale items exist)
            status, prog = _progress_for(step, rng)
            narrative = f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}，{rng.choice(VERBS)}後續工作，進度{prog}%。"
            if hostile_every and k % hostile_every == 0 and step == 1:
                narrative = HOSTILE[(k // hostile_every) % len(HOSTILE)]
            uid = next_update_id
            next_update_id += 1
            updates.append({
                "id": uid, "action_item_id": item_id, "status": status, "progress": prog,
                "effective_date": period_end, "narrative": narrative,
                "reason": "法規限制" if status is Status.NOT_FEASIBLE else "", "evidence_url": "",
                "based_on_version": version, "department_id": leads[item_id], "submitted_at": now,
            })
            version += 1
            roll = rng.random()
            if period_end == PERIOD_ENDS[-1] and roll < 0.3:
                continue  # still pending review
            decision = ReviewDecision.RETURN if roll > 0.93 else ReviewDecision.APPROVE
            reviews.append({
                "update_id": uid, "decision": decision,
                "comment": "請補充佐證資料" if decision is ReviewDecision.RETURN else "",
                "effective_date": period_end + timedelta(days=rng.randint(5, 40)), "recorded_at": now,
            })
        if rng.random() < 0.4:
            choice = rng.choice([TrackingChoice.CONTINUE, TrackingChoice.CONTINUE, TrackingChoice.SELF_TRACK])
            decisions.append({"action_item_id": item_id, "decision": choice, "reason": "依審查結果決定",
                              "effective_date": date(2017, 12, 31) + timedelta(days=rng.randint(10, 60)),
                              "recorded_at": now})
    for chunk in range(0, len(updates), 5000):
        session.execute(insert(StatusUpdate), updates[chunk:chunk + 5000])
    for chunk in range(0, len(reviews), 5000):
        session.execute(insert(Review), reviews[chunk:chunk + 5000])
    if decisions:
        session.execute(insert(TrackingDecision), decisions)

    measurements = []
    for ind in session.scalars(select(Indicator).where(Indicator.recommendation_id.in_([r.id for r in recs]))):
        value = float(ind.baseline_value) if ind.baseline_value is not None else 10.0
        for period_end in PERIOD_ENDS:
            value *= 1 + rng.uniform(-0.02, 0.08)
            measurements.append({"indicator_id": ind.id, "value": Decimal(f"{value:.2f}"),
                                 "measured_on": period_end})
    if measurements:
        session.execute(insert(Measurement), measurements)
    session.flush()
    return GenStats(len(ids), len(updates), len(reviews), len(decisions), len(measurements),
                    time.perf_counter() - started)


def create_database(url: str, n_items: int, seed: int = 1):
    """A fresh schema at ``url`` with the seed and ``n_items`` generated items; returns the app."""
    from tracker import create_app
    from tracker.extensions import db

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        stats = generate(db.session, n_items, seed)
        db.session.commit()
    return app, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--db", default="/tmp/tracker-bench.sqlite",
                        help="SQLite file (replaced) or a full SQLAlchemy URL")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    _, stats = create_database(url, args.items, args.seed)
    print(stats.describe())


if __name__ == "__main__":
    main()
