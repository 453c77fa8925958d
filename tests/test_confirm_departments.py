"""Departments the report does not name are proposed (擬議) until a reviewer or an
administrator confirms them; the adoption decision is reachable from the pages."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import ActionItem, AuditLog


def _world(factory):
    lead = factory.department("water", name_zh="水利局", name_en="Water Resources Bureau")
    helper = factory.department("econ", name_zh="經濟發展局", name_en="Economic Development Bureau")
    rec = factory.recommendation(code="R1")
    item = factory.item(rec, lead=lead, supporting=[helper], code="R1-01")
    users = {
        role: factory.user(role, lead if role == "editor" else None)
        for role in ("viewer", "editor", "reviewer", "admin")
    }
    db.session.commit()
    return item, rec, users


def test_proposed_until_a_reviewer_confirms(client, login, factory):
    item, rec, users = _world(factory)
    login(users["viewer"])
    html = client.get(f"/action-items/{item.id}").get_data(as_text=True)
    assert html.count('class="chip proposed"') == 2 and "confirm-departments" not in html
    html = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert html.count('class="chip proposed"') == 2
    assert client.post(f"/review/items/{item.id}/confirm-departments").status_code == 403

    login(users["reviewer"])
    html = client.get(f"/action-items/{item.id}").get_data(as_text=True)
    assert f"/review/items/{item.id}/confirm-departments" in html
    version = item.version
    resp = client.post(f"/review/items/{item.id}/confirm-departments")
    assert resp.status_code == 302
    db.session.expire_all()
    item = db.session.get(ActionItem, item.id)
    assert item.departments_confirmed_at is not None and item.departments_confirmed_by_id == users["reviewer"].id
    assert item.version == version + 1
    html = client.get(f"/action-items/{item.id}").get_data(as_text=True)
    assert 'class="chip proposed"' not in html and users["reviewer"].display_name in html
    # Twice is harmless and audited once.
    assert client.post(f"/review/items/{item.id}/confirm-departments").status_code == 302
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "item.departments_confirm")
        )
        == 1
    )
    assert client.post("/review/items/999999/confirm-departments").status_code == 404


def test_api_says_which_departments_are_proposed(client, login, factory):
    item, _rec, users = _world(factory)
    login(users["viewer"])
    body = client.get(f"/api/v1/action-items/{item.id}").get_json()
    assert body["departments_proposed"] is True


def test_adoption_form_is_linked_for_reviewers_only(client, login, factory):
    item, rec, users = _world(factory)
    report_id = rec.report_id
    target = f"/review/recommendations/{rec.id}/adoption"
    for role in ("viewer", "editor"):
        login(users[role])
        assert target not in client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
        assert target not in client.get(f"/reports/{report_id}").get_data(as_text=True)
    for role in ("reviewer", "admin"):
        login(users[role])
        assert target in client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
        assert target in client.get(f"/reports/{report_id}").get_data(as_text=True)
        assert client.get(target).status_code == 200
