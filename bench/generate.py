"""Synthetic data at the size of a city (or a country) for the benchmarks.

    .venv/bin/python bench/generate.py --reports 200 --items 10000 --updates-per-item 20
    .venv/bin/python bench/generate.py --items 100000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The seeded Israel 2016 report plus ``--reports - 1`` generated reports (five
recommendations each, filed between 2016 and 2025), ``--items`` action items spread over
them and over ``--departments`` departments, each with a history of about
``--updates-per-item`` status updates from its report's filing to today: one report per
half-year period (most on time, some late, some periods skipped), most approved, some
returned and corrected, some replaced while pending, the latest ones still pending;
year-end tracking decisions (列管建議) with their opinions, a few releases; measurements.
One editor per department, reviewers and viewers (password ``bench-password-1234``).
Records carry the times they would have been recorded, so knowledge dates work. The read
model is then rebuilt from that history (services/projections.rebuild).

Deterministic for a given ``--seed``. Rows are bulk-inserted; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project root holds the packages
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tracker.models import (  # noqa: E402
    ActionItem,
    BudgetSource,
    Department,
    Indicator,
    Measurement,
    Recommendation,
    Report,
    Review,
    ReviewDecision,
    Role,
    Status,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    UpdateWithdrawal,
    User,
    WithdrawalKind,
    action_item_supporting,
)
from tracker.periods import Calendar  # noqa: E402

PASSWORD = "bench-password-1234"
VERBS = ["盤點", "研擬", "召開", "辦理", "推動", "完成", "檢討", "彙整", "評估", "規劃"]
OBJECTS = [
    "再生水利用計畫",
    "新創育成輔導",
    "智慧路口監視系統",
    "資安演練",
    "太陽光電設置",
    "雙語教育課程",
    "姊妹市交流活動",
    "影視拍攝協助",
    "滴灌技術示範",
    "防災資料平台",
]
PLACES = [
    ("以色列", "Israel"),
    ("日本", "Japan"),
    ("德國", "Germany"),
    ("荷蘭", "Netherlands"),
    ("新加坡", "Singapore"),
    ("美國", "United States"),
    ("韓國", "Korea"),
    ("丹麥", "Denmark"),
]
HOSTILE = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1:A2)"]
TAIPEI_OFFSET = timedelta(hours=8)  # recorded times at a given local hour


@dataclass
class GenStats:
    reports: int = 0
    items: int = 0
    updates: int = 0
    reviews: int = 0
    withdrawals: int = 0
    decisions: int = 0
    measurements: int = 0
    users: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.reports:,} reports, {self.items:,} action items, {self.updates:,} status updates, "
            f"{self.reviews:,} reviews, {self.withdrawals:,} withdrawals, {self.decisions:,} tracking decisions, "
            f"{self.measurements:,} measurements, {self.users:,} users in {self.seconds:.1f} s"
        )


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.last = label, max(total, 1), 0, -1.0
        self.tty = sys.stderr.isatty()

    def step(self, n: int = 1) -> None:
        self.done += n
        fraction = self.done / self.total
        if self.tty and fraction - self.last >= 0.01 or not self.tty and fraction - self.last >= 0.25:
            self.last = fraction
            bar = "#" * int(fraction * 30)
            end = "\r" if self.tty else "\n"
            sys.stderr.write(f"{self.label:<14} [{bar:<30}] {fraction:4.0%}{end}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` in Taipei on ``day``, as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - TAIPEI_OFFSET


def _status(prog: int, rng: random.Random) -> tuple[Status, int]:
    if prog >= 100:
        return Status.COMPLETED, 100
    if rng.random() < 0.02:
        return Status.ON_HOLD, prog
    if prog == 0:
        return Status.NOT_STARTED, 0
    if prog < 15:
        return Status.PLANNING, prog
    return (Status.ONGOING if rng.random() < 0.15 else Status.IN_PROGRESS), prog


def _chunks(session: Session, model, rows: list[dict], size: int = 5000) -> None:  # noqa: ANN001
    for start in range(0, len(rows), size):
        session.execute(insert(model), rows[start : start + size])


def _next_id(session: Session, model) -> int:  # noqa: ANN001
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def generate(
    session: Session,
    n_items: int,
    seed: int = 1,
    n_reports: int = 1,
    updates_per_item: int = 20,
    n_departments: int = 40,
    hostile_every: int = 997,
    today: date | None = None,
) -> GenStats:
    """Add the synthetic data (loads the seed first if needed) and rebuild the read model.
    Flushes; the caller commits."""
    from argon2 import PasswordHasher

    from seed.loader import load_seed
    from tracker import dates
    from tracker.services import projections

    started = time.perf_counter()
    today = today or dates.today()
    rng = random.Random(seed)
    stats = GenStats()
    cal = Calendar.from_config()
    if session.scalar(select(Report).where(Report.code == "israel-2016")) is None:
        load_seed(session, ROOT / "seed" / "data")
        session.flush()

    # Departments and people.
    depts = list(session.scalars(select(Department).order_by(Department.id)))
    for n in range(len(depts), n_departments):
        session.add(Department(code=f"bench{n:03d}", name_zh=f"測試局{n:03d}", name_en=f"Benchmark bureau {n:03d}"))
    session.flush()
    depts = list(session.scalars(select(Department).order_by(Department.id)))
    dept_ids = [d.id for d in depts]
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    users = [
        {
            "email": f"editor-{d.code.lower()}@bench.example",
            "name": f"承辦人 {d.code}",
            "role": Role.EDITOR,
            "department_id": d.id,
        }
        for d in depts
    ]
    users += [
        {"email": f"reviewer{n}@bench.example", "name": f"審核者 {n}", "role": Role.REVIEWER, "department_id": None}
        for n in range(1, 4)
    ]
    users += [
        {"email": "viewer@bench.example", "name": "檢視者", "role": Role.VIEWER, "department_id": None},
        {"email": "admin@bench.example", "name": "管理者", "role": Role.ADMIN, "department_id": None},
    ]
    known = set(session.scalars(select(User.email)))
    new_users = [{**u, "password_hash": hashed} for u in users if u["email"] not in known]
    if new_users:
        session.execute(insert(User), new_users)
    stats.users = len(users)
    editors = {u.department_id: u.id for u in session.scalars(select(User).where(User.role == Role.EDITOR))}
    reviewers = list(session.scalars(select(User.id).where(User.role == Role.REVIEWER)))

    # Reports and recommendations.
    reports = [session.scalar(select(Report).where(Report.code == "israel-2016"))]
    first_new = _next_id(session, Report)
    report_rows = []
    for n in range(1, n_reports):
        filed = date(2016, 6, 1) + timedelta(days=rng.randint(0, 365 * 9))
        place = rng.choice(PLACES)
        report_rows.append(
            {
                "id": first_new + n - 1,
                "code": f"bench-{n:04d}",
                "title_zh": f"測試出國報告第{n}號（{place[0]}）",
                "title_en": f"Benchmark trip report {n} ({place[1]})",
                "agency_zh": "臺南市政府",
                "agency_en": "Tainan City Government",
                "destination_zh": place[0],
                "destination_en": place[1],
                "trip_start": filed - timedelta(days=40),
                "trip_end": filed - timedelta(days=33),
                "report_date": filed,
            }
        )
    if report_rows:
        _chunks(session, Report, report_rows)
    reports += list(session.scalars(select(Report).where(Report.code.like("bench-%")).order_by(Report.id)))
    stats.reports = len(reports)
    first_rec = _next_id(session, Recommendation)
    rec_rows = []
    for r in reports[1:]:
        for k in range(5):
            rec_rows.append(
                {
                    "id": first_rec + len(rec_rows),
                    "report_id": r.id,
                    "code": f"R{k + 1}",
                    "position": k,
                    "section": f"三({'一二三四五'[k]})",
                    "title_zh": f"建議{k + 1}",
                    "title_en": f"Recommendation {k + 1}",
                    "text_zh": "（測試資料）建議內容",
                    "text_en": "(benchmark data) recommendation text",
                }
            )
    if rec_rows:
        _chunks(session, Recommendation, rec_rows)
    recs = list(session.scalars(select(Recommendation).order_by(Recommendation.id)))
    report_date = {r.id: r.report_date for r in reports}

    # Action items.
    first_item = _next_id(session, ActionItem)
    item_rows, support = [], []
    now = datetime.now(UTC)
    for n in range(n_items):
        rec = recs[n % len(recs)]
        filed = report_date[rec.report_id]
        due = filed + timedelta(days=rng.choice([365, 730, 1095, 1460, 2190]))
        has_budget = rng.random() < 0.6
        lead = rng.choice(dept_ids)
        item_id = first_item + n
        item_rows.append(
            {
                "id": item_id,
                "recommendation_id": rec.id,
                "code": f"{rec.code}-B{n + 1:06d}",
                "position": 1000 + n,
                "title_zh": f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}（第{n + 1}案）",
                "title_en": f"Benchmark action item {n + 1}",
                "description_zh": "",
                "description_en": "",
                "source_section": rec.section,
                "lead_department_id": lead,
                "weight": Decimal(rng.choice([1, 1, 1, 2, 3])),
                "start_date": filed,
                "due_date": due,
                "budget_amount": Decimal(rng.randrange(100_000, 50_000_000, 10_000)) if has_budget else None,
                "budget_source": rng.choice(list(BudgetSource)) if has_budget else None,
                "budget_note": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for d in rng.sample(dept_ids, k=rng.randint(0, 2)):
            if d != lead:
                support.append({"action_item_id": item_id, "department_id": d})
    _chunks(session, ActionItem, item_rows)
    if support:
        _chunks(session, action_item_supporting, support)
    stats.items = len(item_rows)

    # History.
    updates, reviews, withdrawals, decisions = [], [], [], []
    uid = _next_id(session, StatusUpdate)
    bar = Progress("history", len(item_rows))
    for k, item in enumerate(item_rows):
        filed = item["start_date"]
        periods = [p for p in cal.between(cal.first_tracked(filed), today) if p.end < today]
        editor = editors.get(item["lead_department_id"])
        version, prog, budget = 1, 0, updates_per_item
        done = False
        for step, period in enumerate(periods):
            if budget <= 0 or done:
                break
            if rng.random() < 0.08 and step:
                continue  # the department skipped this period
            # Several reports in one period when the item is young (its report filed lately).
            per_period = max(1, round(budget / max(1, len(periods) - step)))
            length = (period.end - period.start).days
            for i in range(per_period):
                if budget <= 0:
                    break
                effective = (
                    period.end if i == per_period - 1 else period.start + timedelta(days=length * (i + 1) // per_period)
                )
                last = step == len(periods) - 1 and i == per_period - 1
                prog = min(100, prog + rng.randint(0, 12 if per_period == 1 else 4))
                status, p = _status(prog, rng)
                submitted = effective + timedelta(days=rng.choice([3, 5, 8, 10, 12, 14, 20, 35]))
                narrative = f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}，{rng.choice(VERBS)}後續工作，進度{p}%。"
                if hostile_every and k % hostile_every == 0 and step == 0 and i == 0:
                    narrative = HOSTILE[(k // hostile_every) % len(HOSTILE)]

                def add(corrects: int | None, when: date, text: str) -> int:
                    nonlocal uid, version
                    row = {
                        "id": uid,
                        "action_item_id": item["id"],
                        "status": status,
                        "progress": p,
                        "effective_date": effective,
                        "narrative": text,
                        "evidence_url": "https://example.org/evidence" if status is Status.COMPLETED else "",
                        "reason": "",
                        "based_on_version": version,
                        "department_id": item["lead_department_id"],
                        "submitted_by_id": editor,
                        "submitted_at": _at(min(when, today), 9, rng.randint(0, 59)),
                        "corrects_id": corrects,
                        "proposed_budget_note": "",
                    }
                    updates.append(row)
                    uid += 1
                    version += 1
                    return row["id"]

                current = add(None, submitted, narrative)
                budget -= 1
                if rng.random() < 0.1 and budget > 1:
                    # Replaced while pending: a second version two days later.
                    second = add(current, submitted + timedelta(days=2), narrative + "（修正）")
                    withdrawals.append(
                        {
                            "update_id": current,
                            "kind": WithdrawalKind.REPLACED,
                            "replaced_by_id": second,
                            "reason": "",
                            "withdrawn_by_id": editor,
                            "recorded_at": _at(min(submitted + timedelta(days=2), today), 9),
                        }
                    )
                    current, budget = second, budget - 1
                reviewed = submitted + timedelta(days=rng.randint(3, 25))
                if (last or budget == 0) and rng.random() < 0.3 or reviewed >= today:
                    continue  # still waiting for review
                if rng.random() < 0.07 and budget > 1 and reviewed + timedelta(days=8) < today:
                    reviews.append(
                        {
                            "update_id": current,
                            "decision": ReviewDecision.RETURN,
                            "comment": "請補充佐證資料",
                            "effective_date": reviewed,
                            "reviewer_id": rng.choice(reviewers),
                            "recorded_at": _at(reviewed, 10),
                        }
                    )
                    current = add(current, reviewed + timedelta(days=4), narrative + "（補充）")
                    budget -= 1
                    reviewed += timedelta(days=8)
                reviews.append(
                    {
                        "update_id": current,
                        "decision": ReviewDecision.APPROVE,
                        "comment": "",
                        "effective_date": reviewed,
                        "reviewer_id": rng.choice(reviewers),
                        "recorded_at": _at(reviewed, 10),
                    }
                )
                if status is Status.COMPLETED:
                    done = True
                    break
        # Year-end reviews (列管建議) for the years that ended, most of them recorded.
        for year in range(filed.year, today.year):
            if rng.random() < 0.7:
                released = prog >= 100 and year == today.year - 1
                decisions.append(
                    {
                        "action_item_id": item["id"],
                        "review_year": year,
                        "effective_date": date(year, 12, 31),
                        "decision": TrackingChoice.RELEASE if released else TrackingChoice.CONTINUE,
                        "reason": "已完成，解除列管。" if released else "持續辦理，繼續列管。",
                        "decided_by_id": rng.choice(reviewers),
                        "recorded_at": _at(date(year + 1, 1, 20), 10),
                    }
                )
        bar.step()
    bar.close()
    for model, rows, label in (
        (StatusUpdate, updates, "updates"),
        (Review, reviews, "reviews"),
        (UpdateWithdrawal, withdrawals, "withdrawals"),
        (TrackingDecision, decisions, "decisions"),
    ):
        ins = Progress(f"insert {label}", len(rows))
        for start in range(0, len(rows), 5000):
            session.execute(insert(model), rows[start : start + 5000])
            ins.step(len(rows[start : start + 5000]))
        ins.close()
    stats.updates, stats.reviews, stats.withdrawals, stats.decisions = (
        len(updates),
        len(reviews),
        len(withdrawals),
        len(decisions),
    )

    measurements = []
    for ind in session.scalars(select(Indicator)):
        value = float(ind.baseline_value) if ind.baseline_value is not None else 10.0
        for period in cal.between(cal.first_tracked(date(2016, 12, 23)), today):
            if period.end >= today:
                break
            value *= 1 + rng.uniform(-0.02, 0.08)
            measurements.append(
                {
                    "indicator_id": ind.id,
                    "value": Decimal(f"{value:.2f}"),
                    "measured_on": period.end,
                    "source_note": "測試資料",
                    "recorded_at": _at(period.end + timedelta(days=20), 11),
                }
            )
    if measurements:
        session.execute(insert(Measurement), measurements)
    stats.measurements = len(measurements)
    session.flush()
    reset_sequences(session)
    sys.stderr.write("rebuilding the read model...\n")
    projections.rebuild(session, today)
    session.flush()
    stats.seconds = time.perf_counter() - started
    return stats


def reset_sequences(session: Session) -> None:
    """PostgreSQL: rows inserted with explicit ids leave the id sequences behind; move each to
    the table's largest id, so the app's own inserts (the write benchmark) get fresh ids."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    from tracker.extensions import db

    for table in db.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        seq = session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
        if seq:
            session.execute(
                text(f'SELECT setval(:s, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'), {"s": seq}
            )


def create_database(url: str, n_items: int, seed: int = 1, n_reports: int = 1, updates_per_item: int = 20):
    """A fresh schema at ``url`` with the seed and the generated data; returns (app, stats)."""
    from tracker import create_app
    from tracker.extensions import db

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        stats = generate(db.session, n_items, seed, n_reports, updates_per_item)
        db.session.commit()
    return app, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200, help="reports in all, the seeded one included")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--updates-per-item", type=int, default=20)
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        "--db",
        dest="db",
        default="/tmp/tracker-bench.sqlite",
        help="SQLite file (replaced) or a full SQLAlchemy URL (its tables are replaced)",
    )
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    from tracker import create_app
    from tracker.extensions import db

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        stats = generate(db.session, args.items, args.seed, args.reports, args.updates_per_item, args.departments)
        db.session.commit()
    print(stats.describe())


if __name__ == "__main__":
    main()
