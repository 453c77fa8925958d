"""Dashboard and benchmark pages: as-of dates, permissions, bad input, statement budget."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import Status, TrackingChoice
from tracker.services.review import today

TODAY = today()


@pytest.fixture
def signin(login):
    def _signin(user):
        db.session.commit()
        return login(user)

    return _signin


def build(factory, n_items: int, rec_count: int = 5, report=None, depts=None):
    """A report with ``n_items`` items spread over recommendations and departments, with a
    mix of approved, pending, returned updates, a release decision and due dates."""
    report = report or factory.report()
    recs = [factory.recommendation(report, code=f"R{i + 1}", position=i) for i in range(rec_count)]
    depts = depts or [factory.department() for _ in range(4)]
    statuses = [
        Status.IN_PROGRESS,
        Status.PLANNING,
        Status.COMPLETED,
        Status.ONGOING,
        Status.NOT_FEASIBLE,
        Status.ON_HOLD,
    ]
    items = []
    for i in range(n_items):
        it = factory.item(
            recs[i % rec_count],
            lead=depts[i % len(depts)],
            supporting=[depts[(i + 1) % len(depts)]],
            start_date=date(2017, 1, 1),
            due_date=date(2017, 1, 1) + timedelta(days=200 * (i % 5)),
            weight=Decimal(1 + i % 3),
        )
        st = statuses[i % len(statuses)]
        kw = {"reason": "法規限制"} if st is Status.NOT_FEASIBLE else {}
        factory.update(
            it,
            status=st,
            progress=100 if st is Status.COMPLETED else (i * 7) % 100,
            effective=date(2017, 6, 30),
            approved_on=date(2017, 7, 5),
            **kw,
        )
        if i % 4 == 0:
            factory.update(
                it, progress=90 if st is not Status.COMPLETED else 100, status=st, effective=date(2018, 6, 30), **kw
            )
        if i % 6 == 2:
            factory.decision(it, TrackingChoice.RELEASE, date(2017, 12, 20))
        items.append(it)
    db.session.commit()
    return report, items


@pytest.mark.parametrize("role, status", [("editor", 200), ("viewer", 200), ("reviewer", 200), ("admin", 200)])
def test_dashboard_roles(client, signin, factory, role, status):
    build(factory, 6)
    signin(factory.user(role))
    assert client.get("/dashboard/").status_code == status


def test_dashboard_shows_formula_counts_flags_and_decisions(client, signin, factory):
    report, items = build(factory, 12)
    signin(factory.user("viewer"))
    html = client.get(f"/dashboard/?report={report.id}&as_of=2017-12-31&lang=en").get_data(as_text=True)
    assert "Σ(weight × progress) ÷ Σ(weight)" in html
    assert 'id="chart-rec-progress"' in html and 'id="chart-dept-status"' in html
    assert '<title id="chart-rec-progress-title">' in html
    assert 'data-flag-list="overdue"' in html
    assert html.count('data-decision="') == 2  # items 2 and 8 released on 2017-12-20
    # Chinese: the formula, and 民國 dates.
    zh = client.get(f"/dashboard/?report={report.id}&as_of=2017-12-31&lang=zh-TW").get_data(as_text=True)
    assert "加權平均" in zh and "106年12月31日" in zh


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2017-02-30", "“2017-02-30” is not a date"),
        ("yesterday", "“yesterday” is not a date"),
        ("2017-13-05", "107/12/31"),
        ((TODAY + timedelta(days=1)).isoformat(), "after today"),
    ],
)
def test_bad_as_of_is_a_400_with_a_message(client, signin, factory, value, fragment):
    build(factory, 3)
    signin(factory.user("viewer"))
    r = client.get(f"/dashboard/?as_of={value}&lang=en")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert fragment in html and 'role="alert"' in html and 'aria-invalid="true"' in html


def test_unknown_report_is_404(client, signin, factory):
    signin(factory.user("viewer"))
    assert client.get("/dashboard/?report=9999").status_code == 404
    assert client.get("/dashboard/?report=no-such-code").status_code == 404


def test_dashboard_statement_count_is_constant(client, signin, factory, count_queries):
    """5 items or 300: the same number of SQL statements for the page."""
    small, _ = build(factory, 5)
    build(factory, 2)  # two reports from the start: "all reports" lists reports, not recommendations
    signin(factory.user("viewer"))
    client.get("/dashboard/")  # warm-up: per-process first-request work is not the page's

    def measure(url):
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    before = {
        "report": measure(f"/dashboard/?report={small.id}&as_of=2018-12-31"),
        "all": measure("/dashboard/?as_of=2018-12-31"),
    }
    big, _ = build(factory, 300)
    client.get("/dashboard/")  # the signed-in user is reloaded once after the commit
    after = {
        "report": measure(f"/dashboard/?report={big.id}&as_of=2018-12-31"),
        "all": measure("/dashboard/?as_of=2018-12-31"),
    }
    assert before == after, (before, after)
    print("dashboard SQL statements (5 items -> 300 items):", before, after)


def test_benchmark_page(client, signin, factory):
    rec = factory.recommendation(code="R1", title_zh="水資源再利用")
    water = factory.department(name_zh="水利局", name_en="Water Resources Bureau")
    ind = factory.indicator(
        rec,
        name_zh="污水回收再利用率",
        name_en="Reclaimed water share",
        unit="%",
        reference_value=Decimal("80"),
        reference_year=2016,
        reference_place_zh="以色列",
        reference_place_en="Israel",
        baseline_value=Decimal("5"),
        baseline_year=2016,
        target_value=Decimal("30"),
        target_year=2020,
    )
    factory.indicator(
        rec,
        name_zh="滴灌面積",
        name_en="Drip-irrigated area",
        unit="ha",
        reference_value=Decimal("75"),
        data_department=water,
    )
    it = factory.item(rec, lead=water)
    upd = factory.update(it, effective=date(2018, 6, 30), approved_on=date(2018, 7, 10))
    factory.measurement(ind, 12, date(2018, 6, 30), update=upd)
    factory.measurement(ind, 8, date(2017, 6, 30))
    db.session.commit()
    signin(factory.user("reviewer"))
    html = client.get(f"/dashboard/recommendations/{rec.id}/benchmark?lang=en").get_data(as_text=True)
    assert f'id="chart-ind-{ind.id}"' in html and "Israel" in html
    assert re.search(rf'data-indicator="{ind.code}" data-gap="0\.0933"', html)  # (12-5)/(80-5)
    # What is missing, and who should provide it.
    assert 'data-missing="baseline,target,measurement"' in html and "Water Resources Bureau" in html
    # As known before the approval of the 2018 update only the direct 2017 measurement counts.
    before = client.get(f"/dashboard/recommendations/{rec.id}/benchmark?as_of=2018-07-09&known_at=2018-07-09").get_data(
        as_text=True
    )
    assert re.search(rf'data-indicator="{ind.code}" data-gap="0\.0400"', before)  # (8-5)/(80-5)
    assert client.get(f"/dashboard/recommendations/{rec.id}/benchmark?as_of=bad").status_code == 400
    assert client.get("/dashboard/recommendations/99999/benchmark").status_code == 404


def test_benchmark_page_with_the_seed(client, signin, factory, seeded):
    signin(factory.user("viewer"))
    for rec in seeded.recommendations:
        r = client.get(f"/dashboard/recommendations/{rec.id}/benchmark")
        assert r.status_code == 200, rec.code
    assert client.get("/dashboard/").status_code == 200
