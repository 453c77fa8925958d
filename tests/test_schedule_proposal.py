"""Due dates and schedules get filled: the lead department proposes 執行期程 (start, due
date) and 經費 in its report while the item has none; the reviewer approves them with the
report (written to the item, audited); from then on overdue and due soon light up, in the
read model as in the folded history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.update_world import World, update_form
from tracker import dates
from tracker.extensions import db
from tracker.models import AuditLog, ItemPeriod
from tracker.services import progress, projections, updates
from tracker.services import review as review_ops


@pytest.fixture
def world(world) -> World:
    """The shared world (conftest.py), plus what these tests need."""
    w = world
    w.item.start_date = None
    w.item.due_date = None
    db.session.commit()
    projections.refresh_items([w.item.id])
    db.session.commit()
    return w


def _api(world) -> str:
    return f"/api/v1/action-items/{world.item.id}/updates"


def _row(item_id: int) -> ItemPeriod:
    current = progress.calendar().containing(dates.today()).end
    return db.session.scalar(select(ItemPeriod).where(ItemPeriod.item_id == item_id, ItemPeriod.period_end == current))


def test_the_form_offers_the_proposal_only_while_the_item_has_none(client, login, world):
    login(world.lead_editor)
    html = client.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)
    for name in ("proposed_start_date", "proposed_due_date", "proposed_budget_amount", "proposed_budget_source"):
        assert f'name="{name}"' in html
    world.item.due_date = date(2019, 12, 31)
    world.item.budget_amount = 1000
    db.session.commit()
    html = client.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)
    assert 'name="proposed_due_date"' not in html and 'name="proposed_budget_amount"' not in html


def test_proposal_through_the_form_then_approval_lights_overdue(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        f"/items/{world.item.id}/updates/new",
        data=update_form(
            world,
            proposed_start_date="107/01/01",
            proposed_due_date="2019-12-31",
            proposed_budget_amount="1,200,000",
            proposed_budget_source="city",
            proposed_budget_note="107年度預算",
        ),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    su = updates.live_pending(world.item.id)
    assert (su.proposed_start_date, su.proposed_due_date) == (date(2018, 1, 1), date(2019, 12, 31))
    assert int(su.proposed_budget_amount) == 1200000
    assert world.item.due_date is None and not _row(world.item.id).overdue
    # The reviewer sees the proposal beside the item's (empty) schedule.
    login(world.reviewer)
    card = client.get("/review/").get_data(as_text=True).split(f'id="update-{su.id}"')[1]
    assert 'data-proposed-due="2019-12-31"' in card and "NT$ 1,200,000" in card
    resp = client.post(f"/review/updates/{su.id}/approve", data={f"u{su.id}-effective_date": "2017-07-03"})
    assert resp.status_code == 302
    db.session.expire_all()
    item = updates.get_item(world.item.id)
    assert (item.start_date, item.due_date, int(item.budget_amount)) == (date(2018, 1, 1), date(2019, 12, 31), 1200000)
    assert item.budget_note == "107年度預算"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "item.schedule_approved"))
    assert '"due_date": "2019-12-31"' in audit.summary and f'"update_id": {su.id}' in audit.summary
    # The read model was refreshed with the new due date: overdue today, in both readings.
    row = _row(item.id)
    assert row.open_due_date == date(2019, 12, 31)
    assert progress.item_states([item], dates.today())[item.id].overdue
    assert progress.item_states([item], dates.today(), fold=True)[item.id].overdue
    login(world.lead_editor)
    html = client.get("/my-department/?flag=overdue").get_data(as_text=True)
    assert 'data-item="R1-A1"' in html


def test_api_proposal_and_due_soon(client, login, world):
    login(world.lead_editor)
    soon = dates.today() + timedelta(days=10)
    resp = client.post(
        _api(world),
        json={
            "status": "in_progress",
            "progress": 30,
            "effective_date": "2017-06-30",
            "narrative": "規劃中",
            "version": world.item.version,
            "proposed_due_date": soon.isoformat(),
        },
    )
    assert resp.status_code == 201, resp.json
    assert resp.json["update"]["proposed_due_date"] == soon.isoformat()
    su = updates.live_pending(world.item.id)
    review_ops.approve_update(su, world.reviewer, date(2017, 7, 3))
    db.session.commit()
    item = updates.get_item(world.item.id)
    state = progress.item_states([item], dates.today())[item.id]
    assert state.due_soon and not state.overdue


def test_a_proposal_is_refused_once_the_item_has_a_schedule(client, login, world):
    world.item.due_date = date(2019, 12, 31)
    db.session.commit()
    login(world.lead_editor)
    resp = client.post(
        _api(world),
        json={
            "status": "in_progress",
            "progress": 30,
            "effective_date": "2017-06-30",
            "narrative": "x",
            "version": world.item.version,
            "proposed_due_date": "2020-12-31",
            "proposed_budget_amount": 5000,
            "proposed_budget_source": "city",
        },
    )
    assert resp.status_code == 422
    errors = resp.json["error"]["errors"]
    assert (
        "proposed_due_date" in errors and "2019" in errors["proposed_due_date"] or "108" in errors["proposed_due_date"]
    )
    assert "proposed_budget_amount" not in errors  # the item has no budget yet: that part is fine


def test_bad_proposals_are_refused_by_field(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        _api(world),
        json={
            "status": "in_progress",
            "progress": 30,
            "effective_date": "2017-06-30",
            "narrative": "x",
            "version": world.item.version,
            "proposed_start_date": "2019-01-01",
            "proposed_due_date": "2018-01-01",
            "proposed_budget_amount": "-5",
        },
    )
    assert resp.status_code == 422
    errors = resp.json["error"]["errors"]
    assert set(errors) >= {"proposed_due_date", "proposed_budget_amount"}


def test_approval_does_not_overwrite_a_schedule_set_meanwhile(world):
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="x",
        based_on_version=world.item.version,
        proposal={"proposed_due_date": "2019-12-31"},
    )
    db.session.commit()
    world.item.due_date = date(2020, 6, 30)  # an administrator set it before the review
    db.session.commit()
    review_ops.approve_update(su, world.reviewer, date(2017, 7, 3))
    db.session.commit()
    assert updates.get_item(world.item.id).due_date == date(2020, 6, 30)


@pytest.mark.parametrize("role", ["support_editor", "other_editor", "reviewer", "viewer", "admin"])
def test_only_the_lead_department_proposes(client, login, world, role):
    login(getattr(world, role))
    resp = client.post(
        _api(world),
        json={
            "status": "in_progress",
            "progress": 30,
            "effective_date": "2017-06-30",
            "narrative": "x",
            "version": world.item.version,
            "proposed_due_date": "2019-12-31",
        },
    )
    assert resp.status_code == 403
    assert updates.get_item(world.item.id).due_date is None
