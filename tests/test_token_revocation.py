"""API tokens die with the password: a password change, "sign out everywhere", an
administrator's reset and deactivation revoke every token of the user (audited as
token.revoke_all, told to the user); reactivation does not revive them; making a token
asks for the password again, and for the second factor when the user has one."""

from __future__ import annotations

import json

import pyotp
import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, sign_in
from tracker.extensions import db
from tracker.models import ApiToken, AuditLog, LoginThrottle, User
from tracker.services import tokens, totp, users

NEW_PASSWORD = "a completely different passphrase"


def _api(app, raw: str) -> int:
    return app.test_client().get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"}).status_code


def _revoke_all_rows() -> list[dict]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "token.revoke_all").order_by(AuditLog.id))
    return [json.loads(r.summary)["after"] | {"actor": r.actor} for r in rows]


def _new_token(client, name="stolen", password=DEFAULT_PASSWORD, code=None) -> str:
    data = {"name": name, "password": password}
    if code is not None:
        data["code"] = code
    resp = client.post("/account/tokens", data=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True).split('id="new-token-value" type="text" readonly value="')[1].split('"')[0]


@pytest.fixture
def victim(factory):
    user = factory.user("editor")
    db.session.commit()
    return user


def test_a_token_made_with_a_stolen_password_dies_when_the_victim_changes_it(app, victim):
    thief = app.test_client()
    sign_in(thief, victim, via_form=True)
    raw = _new_token(thief)
    assert _api(app, raw) == 200

    owner = app.test_client()
    sign_in(owner, victim, via_form=True)
    resp = owner.post(
        "/account/password?lang=en",
        data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "Your 1 API token was revoked" in resp.get_data(as_text=True)  # told how many
    assert _api(app, raw) == 401
    assert _revoke_all_rows() == [
        {"owner": victim.email, "reason": "password_changed", "count": 1, "prefixes": [raw[:10]], "actor": victim.email}
    ]
    page = owner.get("/account/tokens?lang=en").get_data(as_text=True)
    assert "your password was changed" in page


def test_sign_out_everywhere_revokes_the_tokens(app, victim):
    thief = app.test_client()
    sign_in(thief, victim, via_form=True)
    raw = _new_token(thief)
    owner = app.test_client()
    sign_in(owner, victim, via_form=True)
    resp = owner.post("/account/sign-out-others?lang=en", follow_redirects=True)
    assert "Your 1 API token was revoked" in resp.get_data(as_text=True)
    assert _api(app, raw) == 401
    assert thief.get("/account/").status_code == 302  # the thief's session is gone too
    assert _revoke_all_rows()[0]["reason"] == "signed_out_everywhere"


def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(app, client, login, factory, victim):
    _token, raw = tokens.create_token(victim, "script")
    db.session.commit()
    admin = login(factory.user("admin"))
    resp = client.post(f"/admin/users/{victim.id}/deactivate?lang=en", follow_redirects=True)
    assert f"1 API token of {victim.email} was revoked" in resp.get_data(as_text=True)
    assert client.post(f"/admin/users/{victim.id}/reactivate").status_code == 302
    assert db.session.get(User, victim.id).active
    assert _api(app, raw) == 401
    row = _revoke_all_rows()[0]
    assert row["reason"] == "deactivated" and row["actor"] == admin.email


def test_an_administrators_password_reset_revokes_tokens(app, client, login, factory, victim):
    _t1, raw1 = tokens.create_token(victim, "one")
    _t2, raw2 = tokens.create_token(victim, "two")
    db.session.commit()
    login(factory.user("admin"))
    resp = client.post(
        f"/admin/users/{victim.id}?lang=en",
        data={
            "email": victim.email,
            "name": victim.name,
            "role": "editor",
            "department": victim.department.code,
            "locale": "",
            "password": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    assert f"2 API tokens of {victim.email} were revoked" in resp.get_data(as_text=True)
    assert _api(app, raw1) == 401 and _api(app, raw2) == 401
    assert _revoke_all_rows()[0]["reason"] == "password_reset"
    assert {t.revoked_reason for t in db.session.scalars(select(ApiToken))} == {"password_reset"}


def test_plain_sign_out_and_other_users_tokens_are_untouched(app, factory, victim):
    other = factory.user("viewer")
    _t, raw_other = tokens.create_token(other, "theirs")
    _t, raw_mine = tokens.create_token(victim, "mine")
    db.session.commit()
    users.set_password(db.session.get(User, victim.id), NEW_PASSWORD)
    db.session.commit()
    assert _api(app, raw_other) == 200 and _api(app, raw_mine) == 401
    browser = app.test_client()
    sign_in(browser, other, via_form=True)
    browser.post("/logout")
    assert _api(app, raw_other) == 200  # signing out of one browser is not "everywhere"


def test_making_a_token_asks_for_the_password_and_counts_wrong_ones(app, client, login, victim):
    login(victim)
    for password in ("", "not my password"):
        resp = client.post("/account/tokens", data={"name": "script", "password": password})
        assert resp.status_code == 422 and 'id="password-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
    assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.email == victim.email)) == 2
    refused = db.session.scalars(select(AuditLog).where(AuditLog.action == "token.create_refused")).all()
    assert len(refused) == 2
    # The same lock as sign-in: after five wrong passwords even the right one is refused.
    for _ in range(3):
        client.post("/account/tokens", data={"name": "script", "password": "still wrong"})
    resp = client.post("/account/tokens", data={"name": "script", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 422 and db.session.scalar(select(ApiToken)) is None


def test_making_a_token_asks_for_the_second_factor_when_the_user_has_one(app, client, login, victim):
    secret = totp.new_secret()
    victim.totp_secret, victim.totp_enabled = secret, True
    db.session.commit()
    client.post("/login", data={"email": victim.email, "password": DEFAULT_PASSWORD})
    assert client.post("/account/verify", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    page = client.get("/account/tokens").get_data(as_text=True)
    assert 'name="code"' in page
    resp = client.post("/account/tokens", data={"name": "script", "password": DEFAULT_PASSWORD, "code": "000000"})
    assert resp.status_code == 422 and 'id="code-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
    # The code used at sign-in cannot be replayed; the next time step's code works.
    import time

    later = pyotp.TOTP(secret).at(time.time() + 30)
    raw = _new_token(client, code=later)
    assert _api(app, raw) == 200


def test_the_command_line_still_makes_tokens_without_a_password(app, runner, victim):
    result = runner.invoke(args=["create-token", victim.email, "--name", "server script"])
    assert result.exit_code == 0, result.output
    assert _api(app, result.output.strip().splitlines()[-1]) == 200
