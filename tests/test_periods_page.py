"""The reporting period page against the hand-computed scenarios (tests/scenarios.py):
who must report on a period, who has, on time or late, per lead department."""

from __future__ import annotations

import re

import pytest

from tests.scenarios import build_scenarios
from tracker.extensions import db


@pytest.fixture
def sc(factory):
    return build_scenarios(factory)


def _stats(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-stat="(\w+)" data-value="(\d+)"', html)}


def _dept_not_reported(html: str) -> dict[str, int]:
    rows = re.findall(r'<tr data-dept="(\w+)".*?data-not-reported="(\d+)"', html, re.S)
    return {code: int(n) for code, n in rows}


def _items(html: str) -> dict[int, tuple[str, str]]:
    return {
        int(i): (rev, tim)
        for i, rev, tim in re.findall(r'<tr data-item="(\d+)" data-review="(\w+)" data-timeliness="(\w+)"', html)
    }


def test_first_half_of_2017_by_hand(client, login, factory, sc):
    login(factory.user("reviewer"))
    db.session.commit()
    resp = client.get(f"/periods/?period=2017-06-30&report={sc.report.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # LATE came in 07-20 (late); JANUARY, RETURNED (its returned first version came 07-01),
    # RELEASED and OVERDUE on time; NEVER not at all.
    assert _stats(html) == {
        "must_report": 6,
        "reported": 5,
        "on_time": 4,
        "late": 1,
        "not_reported": 1,
        "pending": 0,
        "returned": 0,
        "approved": 5,
    }
    assert _dept_not_reported(html) == {"ECON": 1, "WATER": 0}
    items = _items(html)
    assert items[sc.late.id] == ("approved", "late")
    assert items[sc.returned.id] == ("approved", "on_time")
    assert items[sc.never.id] == ("none", "none")


def test_second_half_of_2017_by_hand(client, login, factory, sc):
    login(factory.user("reviewer"))
    db.session.commit()
    html = client.get(f"/periods/?period=2017-12-31&report={sc.report.id}").get_data(as_text=True)
    # Only JANUARY (submitted 2018-01-05) and RELEASED (completed in August) reported on H2.
    assert _stats(html) == {
        "must_report": 6,
        "reported": 2,
        "on_time": 2,
        "late": 0,
        "not_reported": 4,
        "pending": 0,
        "returned": 0,
        "approved": 2,
    }
    assert _dept_not_reported(html) == {"ECON": 3, "WATER": 1}
    # The department filter and the state filter narrow the list.
    html = client.get(f"/periods/?period=2017-12-31&report={sc.report.id}&department=ECON&state=not_reported").get_data(
        as_text=True
    )
    assert set(_items(html)) == {sc.returned.id, sc.never.id, sc.overdue.id}


def test_editor_starts_on_their_department(client, login, factory, sc):
    econ = sc.never.lead_department
    login(factory.user("editor", econ))
    db.session.commit()
    html = client.get(f"/periods/?period=2017-12-31&report={sc.report.id}").get_data(as_text=True)
    assert set(_items(html)) == {sc.returned.id, sc.never.id, sc.overdue.id}
    # ... and may see the whole city.
    html = client.get(f"/periods/?period=2017-12-31&report={sc.report.id}&department=").get_data(as_text=True)
    assert len(_items(html)) == 6


@pytest.mark.parametrize(
    "query, status",
    [
        ("period=2017-02-30", 404),
        ("period=abc", 404),
        ("department=NOPE", 404),
        ("report=999999", 404),
        ("report=abc", 404),
        ("page=-1", 200),
        ("state=bogus", 200),
        ("state=%00", 400),
    ],
)
def test_bad_parameters(client, login, factory, sc, query, status):
    login(factory.user("viewer"))
    db.session.commit()
    assert client.get(f"/periods/?{query}").status_code == status


def test_anonymous_is_sent_to_sign_in(client, sc):
    assert client.get("/periods/").status_code in (302, 401)


def test_the_list_total_from_the_rollups_equals_a_count_of_the_rows(factory, sc):
    """The period page takes its list's total from the roll-ups (progress.period_total)
    instead of counting the period's rows: the two agree for every filter."""
    from tracker.services import progress

    db.session.commit()
    for period in progress.periods_for([sc.report.id]):
        departments = progress.department_reporting(period, [sc.report.id])
        for dept_id in [None, *(d.department.id for d in departments)]:
            for state in ("", *progress.PERIOD_STATES):
                known = progress.period_total(departments, dept_id, state)
                counted = progress.period_items(period, [sc.report.id], dept_id, state, 1, 1)[1]
                if state == "pending":
                    assert known is None  # the roll-ups count a different "pending"
                else:
                    assert known == counted, (period.end, dept_id, state)
