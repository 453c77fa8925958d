"""Second factor: TOTP enrolment and verification, one use per code, recovery codes,
throttled guessing, and which roles must use it."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditLog, RecoveryCode
from tracker.services import DomainError, totp


def enrol(user, *, earlier_steps: int = 0):
    """Enrol with the current code; ``earlier_steps`` pretends it happened that many steps ago
    (so the codes of the last minute count as unused)."""
    secret = totp.new_secret()
    codes = totp.enable(user, secret, pyotp.TOTP(secret).now())
    user.totp_last_counter -= earlier_steps
    db.session.commit()
    return secret, codes


def test_secret_has_160_bits_and_a_uri_for_authenticator_apps(app, factory):
    user = factory.user("reviewer", email="lin@tainan.gov.tw")
    secret = totp.new_secret()
    assert len(secret) == 32  # base32: 5 bits per character
    uri = totp.provisioning_uri(user, secret)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "lin%40tainan.gov.tw" in uri


def test_enable_needs_a_matching_code(app, factory):
    user = factory.user("reviewer")
    with pytest.raises(DomainError) as err:
        totp.enable(user, totp.new_secret(), "000000")
    assert err.value.field == "code"
    assert not user.totp_enabled


def test_enable_gives_ten_one_time_recovery_codes_stored_hashed(app, factory):
    user = factory.user("reviewer")
    _, codes = enrol(user)
    assert user.totp_enabled and len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)


def test_current_code_accepted_within_one_step_of_drift(app, factory):
    user = factory.user("reviewer")
    secret, _ = enrol(user, earlier_steps=5)
    assert totp.verify(user, pyotp.TOTP(secret).at(time.time() - 30))  # previous step: drift allowed
    assert not totp.verify(user, pyotp.TOTP(secret).at(time.time() - 120))


def test_a_code_is_accepted_only_once(app, factory):
    user = factory.user("reviewer")
    secret, _ = enrol(user, earlier_steps=5)
    code = pyotp.TOTP(secret).now()
    assert totp.verify(user, code)
    db.session.commit()
    assert not totp.verify(user, code)


def test_the_enrolment_code_cannot_be_replayed_at_sign_in(app, factory):
    user = factory.user("reviewer")
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).now()
    totp.enable(user, secret, code)
    db.session.commit()
    assert not totp.verify(user, code)


def test_recovery_code_works_once(app, factory):
    user = factory.user("admin")
    _, codes = enrol(user)
    assert totp.verify(user, codes[3].upper())
    db.session.commit()
    assert not totp.verify(user, codes[3])
    assert totp.remaining_recovery_codes(user) == 9


def test_wrong_codes_lock_the_second_step(app, factory):
    user = factory.user("reviewer")
    secret, _ = enrol(user, earlier_steps=5)
    for _ in range(5):
        assert not totp.verify(user, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
        db.session.commit()
    with pytest.raises(DomainError):
        totp.verify(user, pyotp.TOTP(secret).now())
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions.count("login.second_factor_failure") == 5 and "login.second_factor_lock" in actions


def test_required_roles_are_configurable(app, factory):
    reviewer, editor = factory.user("reviewer"), factory.user("editor")
    app.config["TOTP_REQUIRED_ROLES"] = ("reviewer", "admin")
    assert totp.is_required(reviewer) and not totp.is_required(editor)
    app.config["TOTP_REQUIRED_ROLES"] = ()
    assert not totp.is_required(reviewer)


def test_production_requires_it_for_reviewers_and_admins_by_default():
    from config import ProductionConfig

    assert set(ProductionConfig.TOTP_REQUIRED_ROLES) >= {"reviewer", "admin"}


def test_required_role_cannot_turn_it_off(app, factory):
    user = factory.user("reviewer")
    enrol(user)
    app.config["TOTP_REQUIRED_ROLES"] = ("reviewer",)
    with pytest.raises(DomainError):
        totp.disable(user)
    app.config["TOTP_REQUIRED_ROLES"] = ()
    totp.disable(user)
    assert not user.totp_enabled and user.totp_secret is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 0


# --- in the browser ---------------------------------------------------------------------------

from tests.factories import DEFAULT_PASSWORD, sign_in  # noqa: E402


class TestSignInWithSecondStep:
    def test_password_alone_opens_nothing_until_the_code_is_given(self, app, client, factory):
        user = factory.user("reviewer")
        secret, _ = enrol(user, earlier_steps=5)
        sign_in(client, user, via_form=True)
        resp = client.get("/account/")
        assert resp.status_code == 302 and "/account/verify" in resp.headers["Location"]
        assert client.get("/api/v1/reports").status_code == 401
        resp = client.post(
            "/account/verify",
            data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", "next": "/account/"},
        )
        assert resp.status_code == 422
        resp = client.post("/account/verify", data={"code": pyotp.TOTP(secret).now(), "next": "/account/"})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/")
        assert client.get("/account/").status_code == 200

    def test_recovery_code_signs_in_once(self, app, client, factory):
        user = factory.user("admin")
        _, codes = enrol(user)
        sign_in(client, user, via_form=True)
        assert client.post("/account/verify", data={"code": codes[0]}).status_code == 302
        assert client.get("/account/").status_code == 200
        other = app.test_client()
        sign_in(other, user, via_form=True)
        assert other.post("/account/verify", data={"code": codes[0]}).status_code == 422

    def test_api_token_is_not_held_at_the_second_step(self, app, client, factory):
        from tracker.services.tokens import create_token

        user = factory.user("reviewer")
        enrol(user)
        _, raw = create_token(user, "script")
        db.session.commit()
        resp = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"})
        assert resp.status_code == 200


class TestRequiredEnrolment:
    def test_required_role_must_enrol_before_anything_else(self, app, client, factory):
        app.config["TOTP_REQUIRED_ROLES"] = ("reviewer", "admin")
        reviewer = factory.user("reviewer")
        db.session.commit()
        sign_in(client, reviewer, via_form=True)
        resp = client.get("/reports")
        assert resp.status_code == 302 and "/account/two-factor" in resp.headers["Location"]
        page = client.get("/account/two-factor")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "<svg" in html and "otpauth://totp/" in html  # QR drawn locally, no external service
        with client.session_transaction() as sess:
            secret = sess["_totp_pending"]
        resp = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
        assert resp.get_data(as_text=True).count("<li><code>") == 10
        assert client.get("/reports").status_code == 200

    def test_other_roles_are_not_forced(self, app, client, factory):
        app.config["TOTP_REQUIRED_ROLES"] = ("reviewer", "admin")
        editor = factory.user("editor")
        db.session.commit()
        sign_in(client, editor, via_form=True)
        assert client.get("/account/").status_code == 200

    def test_any_user_may_turn_it_on_and_off(self, app, client, factory):
        viewer = factory.user("viewer")
        db.session.commit()
        sign_in(client, viewer, via_form=True)
        client.get("/account/two-factor")
        with client.session_transaction() as sess:
            secret = sess["_totp_pending"]
        assert client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
        db.session.refresh(viewer)
        assert viewer.totp_enabled
        resp = client.post("/account/two-factor/disable", data={"disable-password": "wrong password guess"})
        db.session.refresh(viewer)
        assert viewer.totp_enabled
        client.post("/account/two-factor/disable", data={"disable-password": DEFAULT_PASSWORD})
        db.session.refresh(viewer)
        assert not viewer.totp_enabled and resp.status_code == 302


def test_operator_resets_a_lost_second_factor_from_the_command_line(app, factory):
    user = factory.user("reviewer", email="lost.phone@example.org")
    enrol(user)
    app.config["TOTP_REQUIRED_ROLES"] = ("reviewer",)
    result = app.test_cli_runner().invoke(args=["reset-second-factor", "lost.phone@example.org"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.totp_enabled and user.totp_secret is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "account.totp_disable")).actor == "command line"
    assert app.test_cli_runner().invoke(args=["reset-second-factor", "nobody@example.org"]).exit_code != 0
