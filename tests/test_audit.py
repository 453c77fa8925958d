"""Every write and every sign-in leaves an audit row (who, when in UTC, what, before/after),
never a secret; administrators browse and filter the log."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, sign_in
from tests.update_world import tiny_pdf
from tracker.extensions import db
from tracker.models import AuditLog, User
from tracker.services import updates, uploads
from tracker.services.audit import record_event


def _actions() -> list[str]:
    return [r.action for r in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_a_whole_working_session_is_audited_without_secrets(client, world, app):
    """Sign in, submit, note, manage users, departments, tokens and items, sign out: each leaves a row."""
    secrets_seen: list[str] = [DEFAULT_PASSWORD]

    client.post("/login", data={"email": world.lead_editor.email, "password": "wrong password guess"})
    secrets_seen.append("wrong password guess")
    sign_in(client, world.lead_editor, via_form=True)
    data = {
        "status": "in_progress",
        "progress": "30",
        "effective_date": "2017-06-30",
        "narrative": "n",
        "version": "1",
        "measurements-0-indicator_id": str(world.indicator.id),
    }
    assert client.post(f"/items/{world.item.id}/updates/new", data=data).status_code == 302
    token_page = client.post("/account/tokens", data={"name": "script", "password": DEFAULT_PASSWORD}).get_data(
        as_text=True
    )
    raw = re.search(r'value="(pbt_[^"]+)"', token_page).group(1)
    secrets_seen.append(raw)
    client.post("/logout")

    sign_in(client, world.support_editor, via_form=True)
    client.post(f"/items/{world.item.id}/notes/new", data={"body": "協辦", "effective_date": "2017-06-30"})
    client.get("/admin/")  # forbidden
    client.post("/logout")

    sign_in(client, world.admin, via_form=True)
    client.post(
        "/admin/users/new", data={"email": "n@example.org", "role": "viewer", "password": "brand new passphrase 1"}
    )
    secrets_seen.append("brand new passphrase 1")
    new_user = db.session.scalar(select(User).where(User.email == "n@example.org"))
    client.post(
        f"/admin/users/{new_user.id}",
        data={"email": "n@example.org", "name": "N", "role": "viewer", "department": "", "locale": ""},
    )
    client.post(f"/admin/users/{new_user.id}/deactivate")
    client.post("/admin/departments/new", data={"code": "ECO", "name_zh": "經發局", "name_en": "Economic"})
    client.post(f"/admin/departments/{world.other.id}", data={"code": "EDU", "name_zh": "教育局!", "name_en": "Edu"})
    client.post(
        f"/admin/items/{world.item.id}",
        data={
            "title_zh": "新標題",
            "title_en": "New",
            "lead_department_id": str(world.lead.id),
            "weight": "1",
            "version": "2",
            "budget_source": "",
        },
    )
    from tracker.models import ApiToken

    token = db.session.scalar(select(ApiToken))
    client.post("/logout")
    sign_in(client, world.lead_editor, via_form=True)
    client.post(f"/account/tokens/{token.id}/revoke")

    actions = _actions()
    for expected in (
        "login.failure",
        "login.success",
        "update.submit",
        "token.create",
        "logout",
        "note.add",
        "access.denied",
        "user.create",
        "user.update",
        "user.deactivate",
        "department.create",
        "department.update",
        "item.edit",
        "token.revoke",
    ):
        assert expected in actions, (expected, actions)
    rows = db.session.scalars(select(AuditLog)).all()
    dump = json.dumps([[r.actor, r.summary, r.object_id] for r in rows], ensure_ascii=False)
    for secret in secrets_seen:
        assert secret not in dump
    assert "$argon2" not in dump and "token_hash" not in dump
    for r in rows:
        assert r.at.tzinfo is not None and abs(datetime.now(UTC) - r.at) < timedelta(minutes=5)
        assert r.request_id and r.ip == "127.0.0.1"
    submit = next(r for r in rows if r.action == "update.submit")
    assert submit.user_id == world.lead_editor.id and submit.object_type == "status_update"
    assert json.loads(submit.summary)["after"]["progress"] == 30


def test_audit_rows_belong_to_the_write_they_describe(world):
    """record_event only adds to the session: a write that rolls back leaves no audit row."""
    updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=1,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
    )
    db.session.rollback()
    assert "update.submit" not in _actions()


def test_secret_keys_are_redacted_even_if_passed(world):
    record_event("test.event", user=world.admin, after={"password": "hunter2", "token": "pbt_x", "name": "ok"})
    db.session.commit()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "test.event"))
    assert "hunter2" not in row.summary and "pbt_x" not in row.summary and '"ok"' in row.summary


# --- the admin page ------------------------------------------------------------------------------


def _seed_events(world):
    base = datetime(2017, 7, 1, 1, 0, tzinfo=UTC)
    rows = []
    for i in range(120):
        rows.append(
            AuditLog(
                at=base + timedelta(hours=i),
                user_id=world.lead_editor.id if i % 2 else world.admin.id,
                actor=world.lead_editor.email if i % 2 else world.admin.email,
                action="update.submit" if i % 3 else "user.update",
                object_type="status_update" if i % 3 else "user_account",
                object_id=str(i),
                summary=json.dumps({"after": {"n": i}}),
            )
        )
    db.session.add_all(rows)
    db.session.commit()


def _listed_ids(html: str) -> list[str]:
    return re.findall(r'<td data-object="(?:status_update|user_account) (\d+)">', html)


def test_audit_page_filters_and_paginates(client, login, world):
    _seed_events(world)
    login(world.admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert len(_listed_ids(html)) == 50 and "/admin/audit?page=2" in html
    html = client.get("/admin/audit?page=3").get_data(as_text=True)
    assert len(_listed_ids(html)) >= 20
    html = client.get("/admin/audit?action=user.update").get_data(as_text=True)
    assert set(int(i) % 3 for i in _listed_ids(html)) == {0}
    html = client.get("/admin/audit?user=lead@").get_data(as_text=True)
    assert set(int(i) % 2 for i in _listed_ids(html)) == {1}
    html = client.get("/admin/audit?object_type=status_update&object_id=7").get_data(as_text=True)
    assert _listed_ids(html) == ["7"]
    # Dates are Taiwan dates: 2017-07-01 (Taipei) = 2017-06-30 16:00 to 2017-07-01 16:00 UTC → hours 0..14.
    html = client.get("/admin/audit?date_from=2017-07-01&date_to=2017-07-01").get_data(as_text=True)
    assert sorted(int(i) for i in _listed_ids(html)) == list(range(0, 15))
    # Filters are kept in the page links.
    html = client.get("/admin/audit?action=update.submit").get_data(as_text=True)
    assert "action=update.submit" in html.split('class="pagination"')[1]


def test_audit_page_refuses_a_bad_date_clearly(client, login, world):
    login(world.admin)
    resp = client.get("/admin/audit?date_from=2017-02-30")
    assert resp.status_code == 400
    assert 'id="date_from-error"' in resp.get_data(as_text=True)


def test_changed_fields_keeps_only_what_an_edit_changed():
    from tracker.services.audit import changed_fields

    before = {"code": "WRB", "name_zh": "水利局", "name_en": "Water", "active": True}
    after = {"code": "WRB", "name_zh": "水利局", "name_en": "Water Resources Bureau", "active": False}
    assert changed_fields(before, after) == (
        {"name_en": "Water", "active": True},
        {"name_en": "Water Resources Bureau", "active": False},
    )
    assert changed_fields(before, dict(before)) == ({}, {})
    assert changed_fields({}, {"locale": "en"}) == ({"locale": None}, {"locale": "en"})  # a field new to the snapshot
