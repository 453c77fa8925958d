"""One live report per item (docs/domain.md "History is append-only"): at most one report
waits for review; the department withdraws or replaces it (both recorded, nothing
deleted); the reviewer sees only the live one and cannot approve a replaced one. The same
rule through the form and the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.update_world import update_form
from tracker.extensions import db
from tracker.models import AuditLog, Review, StatusUpdate, UpdateState, UpdateWithdrawal, WithdrawalKind
from tracker.services import DomainError, updates
from tracker.services import review as review_ops
from tracker.services.updates import PendingExists


def _submit(world, **kw):
    values = dict(
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="第一版",
        based_on_version=world.item.version,
    )
    values.update(kw)
    su = updates.submit_update(world.item, world.lead_editor, **values)
    db.session.commit()
    return su


def _api(world) -> str:
    return f"/api/v1/action-items/{world.item.id}/updates"


# --- the operation ------------------------------------------------------------------------


def test_a_second_report_while_one_waits_is_refused_and_writes_nothing(world):
    first = _submit(world)
    before = db.session.scalar(select(func.count()).select_from(StatusUpdate))
    with pytest.raises(PendingExists) as exc:
        updates.submit_update(
            world.item,
            world.lead_editor,
            status="in_progress",
            progress=40,
            effective_date="2017-06-30",
            narrative="第二版",
            based_on_version=world.item.version,
        )
    db.session.rollback()
    assert exc.value.status_code == 409 and exc.value.code == "pending_exists"
    assert exc.value.extra["pending_update_id"] == first.id
    assert db.session.scalar(select(func.count()).select_from(StatusUpdate)) == before


def test_replacing_records_a_withdrawal_and_the_old_one_cannot_be_approved(world):
    first = _submit(world)
    second = _submit(world, narrative="第二版", progress=40, replaces_id=first.id)
    w = db.session.scalar(select(UpdateWithdrawal).where(UpdateWithdrawal.update_id == first.id))
    assert w.kind is WithdrawalKind.REPLACED and w.replaced_by_id == second.id
    assert updates.update_state(first) is UpdateState.REPLACED
    assert db.session.get(StatusUpdate, first.id) is not None  # nothing deleted
    # The reviewer's queue holds only the live one.
    queue = review_ops.review_queue()
    ids = [e.update.id for g in queue.groups for _d, es in g.department_groups for e in es]
    assert ids == [second.id]
    # Approving the older one after the newer is impossible.
    with pytest.raises(DomainError) as exc:
        review_ops.approve_update(first, world.reviewer)
    db.session.rollback()
    assert exc.value.code == "withdrawn" and exc.value.extra["replaced_by_id"] == second.id
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_replacing_a_report_that_was_reviewed_meanwhile_is_refused(world):
    first = _submit(world)
    review_ops.approve_update(first, world.reviewer)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        updates.submit_update(
            world.item,
            world.lead_editor,
            status="in_progress",
            progress=40,
            effective_date="2017-06-30",
            narrative="x",
            based_on_version=world.item.version,
            replaces_id=first.id,
        )
    db.session.rollback()
    assert "replaces_id" in exc.value.extra["errors"]


def test_withdrawing_twice_or_an_approved_report_is_refused(world):
    first = _submit(world)
    updates.withdraw_update(first, world.lead_editor, reason="資料有誤")
    db.session.commit()
    assert updates.update_state(first) is UpdateState.WITHDRAWN
    with pytest.raises(DomainError) as exc:
        updates.withdraw_update(first, world.lead_editor)
    assert exc.value.code == "already_withdrawn"
    db.session.rollback()
    second = _submit(world, narrative="再送")
    review_ops.approve_update(second, world.reviewer)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        updates.withdraw_update(second, world.lead_editor)
    assert exc.value.code == "already_approved"


# --- the form -----------------------------------------------------------------------------


def test_form_says_it_replaces_the_waiting_report_and_does(client, login, world):
    first = _submit(world)
    login(world.lead_editor)
    html = client.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)
    assert 'id="replaces-box"' in html
    assert re.search(rf'name="replaces_id" type="hidden" value="{first.id}"', html)
    assert "第一版" in html and re.search(
        r'name="effective_date"[^>]*value="(?:2017-06-30|106/0?6/30)"', html
    )  # starts from it
    assert 'name="corrects_id" type="hidden" value=""' in html
    resp = client.post(
        f"/items/{world.item.id}/updates/new", data=update_form(world, narrative="第二版", replaces_id=str(first.id))
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert updates.update_state(db.session.get(StatusUpdate, first.id)) is UpdateState.REPLACED
    assert updates.live_pending(world.item.id).narrative == "第二版"


def test_form_without_replaces_while_one_waits_says_so(client, login, world):
    _submit(world)
    login(world.lead_editor)
    resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world, narrative="第二版"))
    assert resp.status_code == 422
    assert "請以本筆取代之" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StatusUpdate)) == 1


@pytest.mark.parametrize(
    "role,expected",
    [
        ("lead_editor", 302),
        ("support_editor", 403),
        ("other_editor", 403),
        ("reviewer", 403),
        ("viewer", 403),
        ("admin", 403),
    ],
)
def test_withdraw_from_the_page_for_every_role(client, login, world, role, expected):
    first = _submit(world)
    login(getattr(world, role))
    resp = client.post(
        f"/items/{world.item.id}/updates/{first.id}/withdraw",
        data={"reason": "數據待確認", "version": str(world.item.version)},
    )
    assert resp.status_code == expected
    db.session.expire_all()
    state = updates.update_state(db.session.get(StatusUpdate, first.id))
    assert state is (UpdateState.WITHDRAWN if expected == 302 else UpdateState.SUBMITTED)
    if expected == 302:
        assert resp.headers["Location"].endswith(f"/items/{world.item.id}/history#update-{first.id}")
        w = db.session.scalar(select(UpdateWithdrawal).where(UpdateWithdrawal.update_id == first.id))
        assert w.reason == "數據待確認" and w.withdrawn_by_id == world.lead_editor.id
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "update.withdraw")) is not None
        html = client.get(f"/items/{world.item.id}/history").get_data(as_text=True)
        assert "已撤回" in html or "Withdrawn" in html


def test_withdraw_and_replace_controls_only_for_the_lead_department(client, login, world):
    first = _submit(world)
    for user, shown in (
        (world.lead_editor, True),
        (world.support_editor, False),
        (world.reviewer, False),
        (world.viewer, False),
    ):
        login(user)
        for url in (f"/items/{world.item.id}/history", f"/action-items/{world.item.id}"):
            html = client.get(url).get_data(as_text=True)
            assert (f"/updates/{first.id}/withdraw" in html) is shown, (user.email, url)


def test_reviewer_approving_a_replaced_report_gets_a_message_and_nothing_changes(client, login, world):
    first = _submit(world)
    second = _submit(world, narrative="第二版", replaces_id=first.id)
    login(world.reviewer)
    resp = client.post(
        f"/review/updates/{first.id}/approve", data={f"u{first.id}-effective_date": "2017-07-05"}, follow_redirects=True
    )
    html = resp.get_data(as_text=True)
    assert "以較新之辦理情形取代此筆" in html
    assert f'id="update-{second.id}"' in html and f'id="update-{first.id}"' not in html
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


# --- the API ------------------------------------------------------------------------------


def test_api_second_post_is_409_with_the_pending_id_then_replaces(client, login, world):
    login(world.lead_editor)
    body = {"status": "in_progress", "progress": 30, "effective_date": "2017-06-30", "narrative": "第一版"}
    first = client.post(_api(world), json={**body, "version": 1})
    assert first.status_code == 201
    first_id = first.json["update"]["id"]
    again = client.post(_api(world), json={**body, "narrative": "第二版", "version": 2})
    assert again.status_code == 409
    err = again.json["error"]
    assert err["code"] == "pending_exists" and err["pending_update_id"] == first_id
    assert err["field"] == "replaces_id" and err["message"]
    replaced = client.post(_api(world), json={**body, "narrative": "第二版", "version": 2, "replaces_id": first_id})
    assert replaced.status_code == 201, replaced.json
    old = client.get(f"{_api(world)}/{first_id}").json
    assert old["state"] == "replaced"
    assert old["withdrawal"]["kind"] == "replaced"
    assert old["withdrawal"]["replaced_by_id"] == replaced.json["update"]["id"]


def test_api_withdraw_for_every_role(client, login, world):
    first = _submit(world)
    for user, expected in (
        (world.other_editor, 403),
        (world.reviewer, 403),
        (world.viewer, 403),
        (world.admin, 403),
        (world.lead_editor, 200),
    ):
        login(user)
        resp = client.post(
            f"{_api(world)}/{first.id}/withdraw", json={"reason": "改日再報", "version": world.item.version}
        )
        assert resp.status_code == expected, (user.email, resp.json)
    assert resp.json["update"]["state"] == "withdrawn" and resp.json["update"]["withdrawal"]["reason"] == "改日再報"
    twice = client.post(f"{_api(world)}/{first.id}/withdraw", json={"version": resp.json["item_version"]})
    assert twice.status_code == 422 and twice.json["error"]["code"] == "already_withdrawn"


def test_openapi_spells_out_replace_semantics(client, login, world):
    login(world.viewer)
    spec = client.get("/api/v1/openapi.json").json
    schema = spec["components"]["schemas"]["UpdateIn"]["properties"]
    assert "replaces_id" in schema and "409" in schema["replaces_id"]["description"]
    post = spec["paths"]["/api/v1/action-items/{item_id}/updates"]["post"]
    assert "pending_exists" in post["responses"]["409"]["description"]
    assert "replaces_id" in post["description"]
    states = spec["components"]["schemas"]["UpdateOut"]["properties"]["state"]["enum"]
    assert {"withdrawn", "replaced"} <= set(states)
