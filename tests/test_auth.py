"""Signing in and out, the global sign-in guard, CSRF and personal API tokens."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db
from tracker.models import ApiToken, AuditLog, User
from tracker.services import tokens, users


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _all_audit_text() -> str:
    return " ".join(f"{r.actor} {r.summary}" for r in db.session.scalars(select(AuditLog)))


# --- the guard ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/my-department/", "/admin/", "/account/tokens", "/items/1/history"])
def test_pages_send_anonymous_visitors_to_the_login_page(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")
    assert "next=" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/action-items/1/updates", "/api/v1/openapi.json"])
def test_api_answers_anonymous_callers_with_401_json(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert resp.json["error"]["request_id"] == resp.headers["X-Request-Id"]


def test_login_page_and_static_files_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


# --- signing in ------------------------------------------------------------------------------


def test_login_by_email_any_case_starts_a_new_session_and_is_audited(client, factory):
    user = factory.user("viewer", email="viewer@example.org")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"  # session fixation: must not survive the login
    resp = client.post(
        "/login", data={"email": "  Viewer@Example.ORG ", "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/"
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{user.id}:{user.session_version}"
    assert client.get("/reports").status_code == 200
    events = _audit("login.success")
    assert [e.user_id for e in events] == [user.id]
    assert db.session.get(User, user.id).last_login_at is not None


def test_editors_land_on_their_department_page(client, factory):
    factory.user("editor", email="ed@example.org")
    db.session.commit()
    resp = client.post("/login", data={"email": "ed@example.org", "password": DEFAULT_PASSWORD})
    assert resp.headers["Location"] == "/my-department/"


@pytest.mark.parametrize(
    "email,password",
    [
        ("viewer@example.org", "wrong password!!"),
        ("nobody@example.org", DEFAULT_PASSWORD),
        ("", ""),
    ],
)
def test_failed_login_says_the_same_thing_and_is_audited_without_secrets(client, factory, email, password):
    factory.user("viewer", email="viewer@example.org")
    db.session.commit()
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'id="password-error"' in page
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    failures = _audit("login.failure") + _audit("login.refused_locked")
    if email:
        assert failures and failures[-1].actor == email
    text = _all_audit_text()
    assert DEFAULT_PASSWORD not in text and "wrong password!!" not in text


def test_deactivated_user_cannot_sign_in_and_loses_open_sessions(client, factory, login):
    admin = factory.user("admin")
    user = factory.user("viewer", email="gone@example.org")
    db.session.commit()
    login(user)
    assert client.get("/reports").status_code == 200
    users.deactivate_user(user, actor=admin)
    db.session.commit()
    assert client.get("/reports").status_code == 302  # old session no longer valid
    resp = client.post("/login", data={"email": "gone@example.org", "password": DEFAULT_PASSWORD})
    assert 'id="password-error"' in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
        "/\t/evil",
    ],
)
def test_login_never_redirects_off_site(client, factory, target):
    factory.user("viewer", email="v@example.org")
    db.session.commit()
    resp = client.post("/login", data={"email": "v@example.org", "password": DEFAULT_PASSWORD, "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/dashboard/"  # a viewer lands on the dashboard


def test_next_is_kept_through_the_redirect_to_login(client, factory):
    resp = client.get("/admin/audit?action=login.success")
    assert resp.status_code == 302
    login_page = client.get(resp.headers["Location"])
    assert 'value="/admin/audit?action=login.success"' in login_page.get_data(as_text=True)


def test_passwords_are_argon2id_and_old_parameters_are_upgraded_at_login(client, factory, app):
    user = users.create_user("new@example.org", "viewer", "a long enough passphrase")
    db.session.commit()
    assert user.password_hash.startswith("$argon2id$")
    cheap = factory.user("viewer", email="cheap@example.org")  # factory hashes with cheap parameters
    db.session.commit()
    old_hash = cheap.password_hash
    client.post("/login", data={"email": "cheap@example.org", "password": DEFAULT_PASSWORD})
    db.session.expire_all()
    new_hash = db.session.get(User, cheap.id).password_hash
    assert new_hash != old_hash and new_hash.startswith("$argon2id$")


# --- signing out -------------------------------------------------------------------------------


def test_logout_ends_the_session_and_a_copied_cookie_stops_working(client, factory, login, app):
    user = login(factory.user("viewer"))
    db.session.commit()
    assert client.get("/reports").status_code == 200
    stolen = app.test_client()
    with client.session_transaction() as sess:
        payload = dict(sess)
    with stolen.session_transaction() as sess:
        sess.update(payload)
    assert stolen.get("/reports").status_code == 200
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/reports").status_code == 302
    assert stolen.get("/reports").status_code == 302
    assert _audit("logout")[0].user_id == user.id


def test_logout_needs_post(client, factory, login):
    login(factory.user("viewer"))
    db.session.commit()
    assert client.get("/logout").status_code == 405


# --- CSRF ------------------------------------------------------------------------------------


def test_csrf_token_is_required_on_forms_when_enabled(client, factory, app):
    app.config["WTF_CSRF_ENABLED"] = True
    factory.user("viewer", email="v@example.org")
    db.session.commit()
    resp = client.post("/login", data={"email": "v@example.org", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 400
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"email": "v@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    # The new session has a new CSRF secret: the token of the login page is no longer valid.
    assert client.post("/logout", data={"csrf_token": token}).status_code == 400
    page = client.get("/account/tokens").get_data(as_text=True)
    fresh = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 302


def test_api_writes_with_the_session_cookie_need_the_csrf_header(client, factory, login, app):
    app.config["WTF_CSRF_ENABLED"] = True
    dept = factory.department()
    login(factory.user("editor", dept))
    item = factory.item(lead=dept)
    db.session.commit()
    url = f"/api/v1/action-items/{item.id}/updates"
    assert client.post(url, json={"narrative": "x"}).status_code == 400
    page = client.get(f"/items/{item.id}/updates/new").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post(url, json={"narrative": "x"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 422  # past CSRF, refused by the rules


def test_bearer_token_requests_need_no_csrf_token(client, factory, app):
    app.config["WTF_CSRF_ENABLED"] = True
    dept = factory.department()
    user = factory.user("editor", dept)
    item = factory.item(lead=dept)
    _tok, raw = tokens.create_token(user, "script")
    db.session.commit()
    resp = client.post(
        f"/api/v1/action-items/{item.id}/updates", json={"narrative": "x"}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert resp.status_code == 422


# --- personal API tokens ----------------------------------------------------------------------


def test_token_page_shows_a_new_token_once_and_stores_only_its_digest(client, factory, login):
    user = login(factory.user("viewer"))
    db.session.commit()
    resp = client.post("/account/tokens", data={"name": "import script", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    page = resp.get_data(as_text=True)
    raw = page.split('id="new-token-value" type="text" readonly value="')[1].split('"')[0]
    assert raw.startswith("pbt_") and len(raw) > 40
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps([r.summary for r in _audit("token.create")])
    again = client.get("/account/tokens").get_data(as_text=True)
    assert raw not in again and row.prefix in again
    assert "new-token-value" not in again


def test_token_authenticates_the_api_and_records_last_use(client, factory):
    user = factory.user("viewer")
    token, raw = tokens.create_token(user, "script")
    db.session.commit()
    resp = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    # A token is for the API only, not for pages.
    assert client.get("/", headers={"Authorization": f"Bearer {raw}"}).status_code == 302


@pytest.mark.parametrize("header", ["Bearer pbt_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "pbt_x"])
def test_bad_tokens_get_401(client, header):
    assert client.get("/api/v1/reports", headers={"Authorization": header}).status_code == 401


def test_revoked_token_and_token_of_a_deactivated_user_stop_working(client, factory, login):
    admin = factory.user("admin")
    owner = factory.user("viewer")
    token, raw = tokens.create_token(owner, "a")
    _t2, raw2 = tokens.create_token(owner, "b")
    db.session.commit()
    login(owner)
    resp = client.post(f"/account/tokens/{token.id}/revoke")
    assert resp.status_code == 302
    other = client.application.test_client()
    assert other.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert other.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw2}"}).status_code == 200
    users.deactivate_user(db.session.get(User, owner.id), actor=admin)
    db.session.commit()
    assert other.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw2}"}).status_code == 401
    assert [e.action for e in _audit("token.revoke")] == ["token.revoke"]


def test_someone_elses_token_cannot_be_revoked(client, factory, login):
    owner = factory.user("viewer")
    token, _raw = tokens.create_token(owner, "a")
    login(factory.user("viewer"))
    db.session.commit()
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_token_needs_a_name(client, factory, login):
    login(factory.user("viewer"))
    db.session.commit()
    resp = client.post("/account/tokens", data={"name": "  ", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 422
    assert 'id="name-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
