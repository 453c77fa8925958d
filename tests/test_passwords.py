"""Password policy (ASVS V2.1 by default, 資通系統防護基準 rules when switched on),
argon2id hashing and changing one's own password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db
from tracker.models import AuditLog, PasswordHistory, utcnow
from tracker.services import DomainError
from tracker.services.passwords import (
    change_password,
    common_passwords,
    password_expired,
    validate_new_password,
)

GOOD = "violet otter under the lamp"


@pytest.fixture(autouse=True)
def english(app):
    """Messages are checked by their English wording."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


class TestLength:
    @pytest.mark.parametrize(
        "password, ok",
        [
            ("v" * 0, False),
            ("Tz8#kq2Lm9!", False),  # 11 characters
            ("Tz8#kq2Lm9!x", True),  # 12
            ("紅色雨傘放在門口旁邊的小木椅", True),  # 14 CJK characters count as 14
            ("wq" + "x7Rk" * 31 + "zz", True),  # 128
            ("wq" + "x7Rk" * 31 + "zzz", False),  # 129
        ],
    )
    def test_twelve_to_128_characters(self, app, password, ok):
        assert (validate_new_password(None, password) == []) is ok


class TestCommonPasswords:
    def test_bundled_list_is_loaded(self, app):
        listed = common_passwords()
        assert len(listed) > 19000
        assert "password1234" in listed

    @pytest.mark.parametrize(
        "password",
        [
            "password1234",  # on the list as is
            "QWERTY123456",  # on the list, case ignored
            "Password2024!",  # list word with digits and a symbol stuck on
            "!!qwertyuiop12",  # ... at either end
            "passwordpassword",  # a listed word repeated
            "111111111111",  # one character repeated
            "abcdabcdabcd",  # a short unit repeated
            "tainantainan",  # about this very system
        ],
    )
    def test_common_or_guessable_refused(self, app, password):
        problems = validate_new_password(None, password)
        assert any("too common" in p for p in problems), problems

    def test_own_email_name_refused(self, app, factory):
        user = factory.user("editor", email="chen.meiling@tainan.gov.tw")
        assert validate_new_password(user, "chen.meiling2024")
        assert validate_new_password(None, "chen.meiling2024") == []

    @pytest.mark.parametrize("password", [GOOD, "correct horse battery staple", "臺南市水資源回收中心再利用"])
    def test_passphrases_accepted_without_composition_rules(self, app, password):
        assert validate_new_password(None, password) == []


class TestStricterRules:
    def test_complexity_only_when_switched_on(self, app):
        assert validate_new_password(None, GOOD) == []
        app.config["PASSWORD_REQUIRE_COMPLEXITY"] = True
        assert validate_new_password(None, GOOD)
        assert validate_new_password(None, "Violet-Otter-7-lamp") == []

    def test_no_reuse_of_last_three_when_switched_on(self, app, factory):
        user = factory.user("editor", password="first password alpha")
        passwords = ["second password beta", "third password gamma", "fourth password delta"]
        current = "first password alpha"
        app.config["PASSWORD_HISTORY"] = 3
        for new in passwords[:2]:
            change_password(user, current, new)
            current = new
        # Current is gamma; the last three are gamma, beta, alpha.
        for reused in ("first password alpha", "second password beta", "third password gamma"):
            assert any("not used" in p for p in validate_new_password(user, reused))
        change_password(user, current, passwords[2])
        assert validate_new_password(user, "first password alpha") == []  # fourth back: allowed
        assert (
            db.session.scalar(
                select(func.count()).select_from(PasswordHistory).where(PasswordHistory.user_id == user.id)
            )
            == 3
        )

    def test_reuse_allowed_by_default(self, app, factory):
        user = factory.user("editor", password=GOOD)
        assert validate_new_password(user, GOOD) == []

    def test_expiry_only_when_switched_on(self, app, factory):
        user = factory.user("viewer")
        user.password_changed_at = utcnow() - timedelta(days=400)
        assert not password_expired(user)
        app.config["PASSWORD_MAX_AGE_DAYS"] = 90
        assert password_expired(user)
        user.password_changed_at = utcnow() - timedelta(days=89)
        assert not password_expired(user)


class TestChangePassword:
    def test_needs_the_current_password(self, app, factory):
        user = factory.user("editor")
        old_hash, old_version = user.password_hash, user.session_version
        with pytest.raises(DomainError) as err:
            change_password(user, "not my password", GOOD)
        assert err.value.field == "current_password"
        assert user.password_hash == old_hash and user.session_version == old_version

    def test_refuses_a_weak_new_password(self, app, factory):
        user = factory.user("editor")
        with pytest.raises(DomainError) as err:
            change_password(user, DEFAULT_PASSWORD, "password1234")
        assert err.value.field == "new_password"

    def test_stores_argon2id_ends_other_sessions_and_audits(self, app, factory):
        user = factory.user("editor")
        version = user.session_version
        change_password(user, DEFAULT_PASSWORD, GOOD)
        db.session.commit()
        assert user.password_hash.startswith("$argon2id$")
        assert user.session_version == version + 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "account.password_change")
            )
            == 1
        )
        log = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.password_change"))
        assert GOOD not in log.summary and DEFAULT_PASSWORD not in log.summary


def test_password_page_lists_the_stricter_rules_in_force(app, client, factory, login):
    login(factory.user("viewer"))
    assert "Password rules" not in client.get("/account/password?lang=en").get_data(as_text=True)
    app.config.update(PASSWORD_REQUIRE_COMPLEXITY=True, PASSWORD_HISTORY=3, PASSWORD_MAX_AGE_DAYS=90)
    html = client.get("/account/password?lang=en").get_data(as_text=True)
    assert "digits and symbols" in html and "last 3 passwords" in html and "90 days" in html


def test_expired_password_must_be_changed_before_anything_else(app, client, factory, login):
    user = login(factory.user("viewer"))
    user.password_changed_at = utcnow() - timedelta(days=100)
    db.session.commit()
    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    resp = client.get("/reports")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/account/password")
    resp = client.post(
        "/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": GOOD, "confirm": GOOD}
    )
    assert resp.status_code == 302
    assert client.get("/reports").status_code == 200
