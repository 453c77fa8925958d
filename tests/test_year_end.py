"""The commission's year-end review: a 列管建議 and 審核意見 for every item tracked in the
year (demo history: 2017 complete, 2018 with only R2-01 decided and one report pending)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import ActionItem, TrackingDecision, User
from tracker.services import annual


@pytest.fixture
def demo(seeded):
    from seed.demo import DEMO_DOMAIN, load_demo

    load_demo(db.session, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    db.session.commit()
    return db.session.scalar(select(User).where(User.email == f"reviewer@{DEMO_DOMAIN}"))


def test_status_counts_by_hand(demo):
    s2017 = annual.year_end_status(2017)
    assert (s2017.items, s2017.untracked, s2017.decided, s2017.missing, s2017.pending_reports) == (14, 0, 14, 0, 0)
    assert s2017.complete
    s2018 = annual.year_end_status(2018)
    # R5-03 was released at the 2017 review and R3-01 left to its department: not tracked in 2018.
    # R2-01 has its 2018 decision; the other 11 do not. R3-01's 2018-12-31 report is pending.
    assert (s2018.items, s2018.untracked, s2018.decided, s2018.missing, s2018.pending_reports) == (14, 2, 1, 11, 1)
    assert not s2018.complete


def test_reviewer_records_recommendations_row_by_row(client, login, demo):
    login(demo)
    page = client.get("/review/year-end?year=2018&missing=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="card year-end-row') == 11 and 'data-complete="no"' in html
    r101 = db.session.scalar(select(ActionItem).where(ActionItem.code == "R1-01"))
    r102 = db.session.scalar(select(ActionItem).where(ActionItem.code == "R1-02"))
    resp = client.post(
        "/review/year-end?year=2018&missing=1",
        data={
            "year": "2018",
            "item_ids": [str(r101.id), str(r102.id)],
            f"decision-{r101.id}": "continue",
            f"opinion-{r101.id}": "持續辦理，繼續列管。",
            f"decision-{r102.id}": "release",
            f"opinion-{r102.id}": "解除列管",  # not started: refused
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert f'id="err-{r102.id}"' in html and "解除列管" in html  # the typed opinion is kept
    decided = db.session.scalars(select(TrackingDecision).where(TrackingDecision.review_year == 2018)).all()
    assert sorted(d.action_item_id for d in decided) == sorted(
        [r101.id] + [d.action_item_id for d in decided if d.action_item_id != r101.id]
    )
    assert annual.year_end_status(2018).missing == 10


def test_year_end_page_refuses_a_year_that_has_not_ended(client, login, demo):
    login(demo)
    assert client.get("/review/year-end?year=2999").status_code == 404
    assert client.get("/review/year-end?year=abc").status_code == 404
