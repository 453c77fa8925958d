"""Configuration: production refuses unsafe settings, development keeps a
generated secret, and environment variables override class defaults."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import config as config_module
from tracker import ConfigurationError, create_app

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k3Jx9-vQ2pLz7RtY8wN4mB6cH1sD5fG0aE_uI"  # 38 random-looking characters


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No secret or database in the environment or the class defaults; instance in tmp_path."""
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "TRACKER_ENV",
        "REPORTING_DEADLINE_DAYS",
        "DUE_SOON_DAYS",
        "SESSION_COOKIE_SECURE",
        "TOTP_REQUIRED_ROLES",
        "REPORTING_PERIOD_ENDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path


def sqlite_url(tmp_path) -> str:
    return "sqlite:///" + str(tmp_path / "prod.sqlite3")


class TestProduction:
    def test_refuses_to_start_without_secret_key(self, clean_env, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
            create_app("production")

    @pytest.mark.parametrize(
        "secret",
        [
            "short-secret",
            "x" * 31,
            "change-me-change-me-change-me-change-me",
            "CHANGEME-please-0123456789-0123456789-abc",
            # The probe's: long enough, but no secret at all.
            "x" * 32,
            "your-secret-key-goes-here-1234567890",
            "abcd" * 8,
            "0123456789abcdef" * 2,
            "Tr4ck3r!" * 5,
            "replace-with-a-long-random-string-please",
        ],
    )
    def test_refuses_short_or_placeholder_secret(self, clean_env, monkeypatch, secret):
        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        monkeypatch.setenv("SECRET_KEY", secret)
        with pytest.raises(ConfigurationError, match="too short or a placeholder"):
            create_app("production")

    def test_random_keys_are_accepted(self, clean_env, monkeypatch):
        """The entropy and placeholder rules never refuse what the README tells people to use."""
        import secrets

        from tracker.security import secret_key_problem

        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        for make in (
            lambda: secrets.token_urlsafe(48),
            lambda: secrets.token_urlsafe(32),
            lambda: secrets.token_hex(16),
            lambda: secrets.token_hex(32),
        ):
            keys = [make() for _ in range(2000)]
            assert [k for k in keys if secret_key_problem(k)] == []
        monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
        create_app("production")

    def test_refuses_to_start_without_database_url(self, clean_env, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
        with pytest.raises(ConfigurationError, match="DATABASE_URL must be set"):
            create_app("production")

    def test_starts_with_real_settings_and_secure_defaults(self, clean_env, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        app = create_app("production")
        assert app.config["SECRET_KEY"] == GOOD_SECRET
        assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url(clean_env)
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["ALLOW_DEMO_DATA"] is False
        assert not app.debug
        # Production never generates a secret file of its own.
        assert not (clean_env / "instance" / "secret_key").exists()

    def test_tracker_env_selects_the_class(self, clean_env, monkeypatch):
        monkeypatch.setenv("TRACKER_ENV", "production")
        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        with pytest.raises(ConfigurationError):
            create_app()


class TestDevelopment:
    def test_generates_secret_once_in_instance_folder_and_reuses_it(self, clean_env):
        first = create_app("development")
        secret_file = clean_env / "instance" / "secret_key"
        assert secret_file.exists()
        assert len(first.config["SECRET_KEY"]) >= 32
        assert secret_file.read_text().strip() == first.config["SECRET_KEY"]
        # Only the owner may read it.
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

        second = create_app("development")
        assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]

    def test_defaults_to_sqlite_in_instance_folder(self, clean_env):
        app = create_app("development")
        expected = clean_env / "instance" / "tracker.sqlite3"
        assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(expected)
        assert app.config["UPLOAD_FOLDER"] == str(clean_env / "instance" / "uploads")

    def test_secret_key_from_environment_wins_over_generated_one(self, clean_env, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
        app = create_app("development")
        assert app.config["SECRET_KEY"] == GOOD_SECRET
        assert not (clean_env / "instance" / "secret_key").exists()

    def test_default_is_development(self, clean_env):
        app = create_app()
        assert app.config["ENV_NAME"] == "development"


class TestEnvironmentOverrides:
    def test_integer_setting(self, clean_env, monkeypatch):
        monkeypatch.setenv("REPORTING_DEADLINE_DAYS", "20")
        monkeypatch.setenv("DUE_SOON_DAYS", "14")
        app = create_app("development")
        assert app.config["REPORTING_DEADLINE_DAYS"] == 20
        assert app.config["DUE_SOON_DAYS"] == 14

    def test_boolean_tuple_and_text_settings(self, clean_env, monkeypatch):
        monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
        monkeypatch.setenv("TOTP_REQUIRED_ROLES", "admin,reviewer")
        monkeypatch.setenv("REPORTING_PERIOD_ENDS", "12-31")
        app = create_app("development")
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["TOTP_REQUIRED_ROLES"] == ("admin", "reviewer")
        assert app.config["REPORTING_PERIOD_ENDS"] == "12-31"

    def test_database_url_overrides_development_default(self, clean_env, monkeypatch):
        url = "sqlite:///" + str(clean_env / "other.sqlite3")
        monkeypatch.setenv("DATABASE_URL", url)
        app = create_app("development")
        assert app.config["SQLALCHEMY_DATABASE_URI"] == url

    def test_testing_config_ignores_database_url(self, clean_env, monkeypatch):
        # A developer's DATABASE_URL must never be wiped by the test suite.
        monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(clean_env / "real.sqlite3"))
        app = create_app("testing")
        assert "real.sqlite3" not in app.config["SQLALCHEMY_DATABASE_URI"]

    def test_derived_settings_follow_the_environment(self, clean_env, monkeypatch):
        monkeypatch.setenv("SESSION_ABSOLUTE_HOURS", "8")
        monkeypatch.setenv("MAX_UPLOAD_BYTES", "1048576")
        app = create_app("development")
        assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
        assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1048576

    def test_classes_do_not_read_the_environment(self, clean_env, monkeypatch):
        """Settings are read when an app is built, not when config.py is imported."""
        probe = "import config; print(config.Config.DUE_SOON_DAYS, config.DevelopmentConfig.DEBUG)"
        env = {**os.environ, "DUE_SOON_DAYS": "3", "FLASK_DEBUG": "1"}
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert out.split() == ["30", "False"]
        assert config_module.settings(config_module.DevelopmentConfig, env)["DUE_SOON_DAYS"] == 3

    @pytest.mark.parametrize(
        "name, value",
        [("SESSION_COOKIE_SECURE", "sometimes"), ("LOGIN_MAX_FAILURES", "five"), ("MAIL_PORT", "25.5")],
    )
    def test_a_value_that_does_not_fit_is_refused_by_name(self, clean_env, monkeypatch, name, value):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigurationError, match=name):
            create_app("development")

    def test_flask_debug_turns_debug_on_in_development_only(self, clean_env, monkeypatch):
        monkeypatch.setenv("FLASK_DEBUG", "1")
        assert create_app("development").config["DEBUG"] is True
        monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
        monkeypatch.setenv("DATABASE_URL", sqlite_url(clean_env))
        with pytest.raises(ConfigurationError, match="Debug mode must be off"):
            create_app("production")

    def test_test_database_url_sets_the_testing_database(self, clean_env, monkeypatch):
        url = "sqlite:///" + str(clean_env / "suite.sqlite3")
        monkeypatch.setenv("TEST_DATABASE_URL", url)
        assert create_app("testing").config["SQLALCHEMY_DATABASE_URI"] == url

    def test_explicit_overrides_win_over_environment(self, clean_env, monkeypatch):
        monkeypatch.setenv("REPORTING_DEADLINE_DAYS", "20")
        app = create_app("development", overrides={"REPORTING_DEADLINE_DAYS": 45})
        assert app.config["REPORTING_DEADLINE_DAYS"] == 45


class TestPeriodSettings:
    """A period setting that cannot work stops the app at start-up, naming value and rule."""

    @pytest.mark.parametrize(
        "value, fragment",
        [
            ("06-31,12-31", "'06-31' is not a day that exists in every year"),
            ("02-29", "02-29 is refused"),
            ("6/30", "'6/30' is not a month-day"),
            ("", "is empty"),
            ("12-31,12-31", "names the same day twice"),
            ("13-01", "'13-01' is not a day that exists"),
        ],
    )
    def test_bad_period_ends_are_refused(self, clean_env, monkeypatch, value, fragment):
        from tracker import ConfigurationError

        monkeypatch.setenv("REPORTING_PERIOD_ENDS", value)
        with pytest.raises(ConfigurationError, match="REPORTING_PERIOD_ENDS") as info:
            create_app("development")
        assert fragment in str(info.value)

    @pytest.mark.parametrize("value", ["-1", "121", "ten"])
    def test_bad_deadline_is_refused(self, clean_env, monkeypatch, value):
        from tracker import ConfigurationError

        monkeypatch.setenv("REPORTING_DEADLINE_DAYS", value)
        with pytest.raises((ConfigurationError, ValueError)):
            create_app("development")
