"""Sessions: cookie flags, a new session at sign-in, old sessions made useless by
sign-out, password change and deactivation, and idle / absolute timeouts."""

from __future__ import annotations

import time

from tests.factories import DEFAULT_PASSWORD, sign_in
from tracker import create_app
from tracker.extensions import db
from tracker.services import passwords, sessions, users

NEW_PASSWORD = "violet otter under the lamp"


def signed_in(client) -> bool:
    """True if the client's session opens a protected page."""
    resp = client.get("/account/")
    return resp.status_code == 200


class TestCookie:
    def test_production_cookie_is_host_prefixed_secure_httponly_lax(self, monkeypatch, tmp_path):
        monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
        prod = create_app(
            "production",
            overrides={
                "SECRET_KEY": "k3Jx9-vQ2pLz7RtY8wN4mB6cH1sD5fG0aE_uI",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
            },
        )
        with prod.test_request_context("/"):
            from flask import session

            session["lang"] = "en"
            resp = prod.make_response("ok")
            prod.session_interface.save_session(prod, session, resp)
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Path=/" in cookie and "Domain=" not in cookie

    def test_every_environment_uses_httponly_lax(self, app):
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


class TestNewSessionAtSignIn:
    def test_sign_in_drops_what_the_session_held_before(self, client, factory):
        user = factory.user("viewer")
        db.session.commit()
        with client.session_transaction() as sess:
            sess["planted"] = "by an attacker"
            sess[sessions.SECOND_FACTOR] = user.get_id()
        sign_in(client, user, via_form=True)
        with client.session_transaction() as sess:
            assert "planted" not in sess and sessions.SECOND_FACTOR not in sess
            assert sess["_user_id"] == user.get_id()


class TestOldSessionsDie:
    def test_after_sign_out_a_copied_cookie_is_useless(self, app, factory):
        user = factory.user("viewer")
        db.session.commit()
        browser, thief = app.test_client(), app.test_client()
        sign_in(browser, user, via_form=True)
        with browser.session_transaction() as sess:
            stolen = dict(sess)
        with thief.session_transaction() as sess:
            sess.update(stolen)
        assert signed_in(thief)
        browser.post("/logout")
        assert not signed_in(thief)

    def test_password_change_ends_other_sessions_but_not_this_one(self, app, factory):
        user = factory.user("editor")
        db.session.commit()
        here, elsewhere = app.test_client(), app.test_client()
        sign_in(here, user, via_form=True)
        sign_in(elsewhere, user, via_form=True)
        resp = here.post(
            "/account/password",
            data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert resp.status_code == 302
        assert signed_in(here)
        assert not signed_in(elsewhere)

    def test_password_change_needs_the_current_password(self, app, client, factory):
        user = factory.user("editor")
        db.session.commit()
        sign_in(client, user, via_form=True)
        resp = client.post(
            "/account/password?lang=en",
            data={"current_password": "a wrong guess here", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert resp.status_code == 422
        assert "current password is not correct" in resp.get_data(as_text=True)
        db.session.refresh(user)
        assert passwords.check_current_password(user, DEFAULT_PASSWORD)

    def test_deactivation_ends_sessions(self, app, client, factory):
        user, admin = factory.user("editor"), factory.user("admin")
        db.session.commit()
        sign_in(client, user, via_form=True)
        users.deactivate_user(user, actor=admin)
        db.session.commit()
        assert not signed_in(client)

    def test_sign_out_others_keeps_this_browser(self, app, factory):
        user = factory.user("viewer")
        db.session.commit()
        here, elsewhere = app.test_client(), app.test_client()
        sign_in(here, user, via_form=True)
        sign_in(elsewhere, user, via_form=True)
        assert here.post("/account/sign-out-others").status_code == 302
        assert signed_in(here) and not signed_in(elsewhere)


class TestTimeouts:
    def _age(self, client, *, login_ago: float, seen_ago: float) -> None:
        now = time.time()
        with client.session_transaction() as sess:
            sess[sessions.LOGIN_AT] = int(now - login_ago)
            sess[sessions.SEEN_AT] = int(now - seen_ago)

    def test_idle_timeout(self, app, client, factory):
        user = factory.user("viewer")
        db.session.commit()
        sign_in(client, user, via_form=True)
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        self._age(client, login_ago=idle - 60, seen_ago=idle - 60)
        assert signed_in(client)  # active just within the limit; activity restarts the clock
        self._age(client, login_ago=idle + 120, seen_ago=idle + 60)
        resp = client.get("/account/")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
        assert not signed_in(client)

    def test_absolute_timeout_despite_activity(self, app, client, factory):
        user = factory.user("viewer")
        db.session.commit()
        sign_in(client, user, via_form=True)
        limit = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        self._age(client, login_ago=limit + 60, seen_ago=5)
        assert not signed_in(client)

    def test_timeouts_are_configurable(self, app, client, factory):
        app.config["SESSION_IDLE_MINUTES"] = 2
        user = factory.user("viewer")
        db.session.commit()
        sign_in(client, user, via_form=True)
        self._age(client, login_ago=200, seen_ago=180)
        assert not signed_in(client)

    def test_api_gets_401_json_when_the_session_expired(self, app, client, factory):
        user = factory.user("viewer")
        db.session.commit()
        sign_in(client, user, via_form=True)
        self._age(client, login_ago=10, seen_ago=app.config["SESSION_IDLE_MINUTES"] * 60 + 60)
        resp = client.get("/api/v1/reports")
        assert resp.status_code == 401 and resp.is_json


def test_expiry_rules_in_isolation():
    s: dict = {}
    assert sessions.expiry_reason(s, idle_minutes=30, absolute_hours=12, now=1000.0) is None  # stamps
    assert s[sessions.LOGIN_AT] == 1000
    assert sessions.expiry_reason(s, idle_minutes=30, absolute_hours=12, now=1000 + 29 * 60) is None
    assert sessions.expiry_reason(s, idle_minutes=30, absolute_hours=12, now=1000 + 31 * 60) == "idle"
    sessions.touch(s, now=1000 + 29 * 60)
    assert sessions.expiry_reason(s, idle_minutes=30, absolute_hours=12, now=1000 + 31 * 60) is None
    assert sessions.expiry_reason(s, idle_minutes=0, absolute_hours=12, now=1000 + 13 * 3600) == "absolute"
