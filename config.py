"""Application configuration: one class of defaults per environment, and one typed loader.

The classes hold plain defaults and never read the environment themselves; ``settings``
reads it, once, when ``create_app`` builds an app. Every setting whose default is text, a
number, a yes/no or a comma-separated list is overridden by the environment variable of
the same name (README.md lists them), converted to the default's type; a few are read
under another, documented name (``ENV_NAMES``: ``DATABASE_URL`` is
``SQLALCHEMY_DATABASE_URI``, ``FLASK_DEBUG`` is development's ``DEBUG``). The class is
chosen by ``TRACKER_ENV`` (development, testing, production).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import timedelta
from typing import Any


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    # Settings read from an environment variable of another name.
    ENV_NAMES: Mapping[str, str] = types.MappingProxyType({"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"})

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Languages: zh-TW is the default, English the second language.
    BABEL_DEFAULT_LOCALE = "zh_TW"
    BABEL_DEFAULT_TIMEZONE = "Asia/Taipei"
    LANGUAGES = ("zh_TW", "en")

    # Domain settings (docs/domain.md).
    DUE_SOON_DAYS = 30
    # Reporting periods end on these month-day pairs (half-yearly by default); reports for
    # a period are due REPORTING_DEADLINE_DAYS after its end. An item with no report
    # effective in or after the last period whose deadline has passed is "not reported".
    REPORTING_PERIOD_ENDS = "06-30,12-31"
    REPORTING_DEADLINE_DAYS = 15
    # Reminders (send-reminders): these many days before a deadline, and every this many
    # days after it for the items still not reported (docs/reminders.md).
    REMINDER_DAYS_BEFORE = "7,3,1,0"
    REMINDER_INTERVAL_AFTER = 7

    # Uploads live outside the static folder, under generated names.
    UPLOAD_FOLDER: str | None = None  # default: <instance>/uploads
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    # MAX_CONTENT_LENGTH is MAX_UPLOAD_BYTES + 1 MiB (see derived_settings).
    MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024
    MAX_ZIP_ENTRIES = 2000
    # Spreadsheets imported as reports or bulk status updates (docs/portfolio.md).
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    # Files of a refused submission wait in <UPLOAD_FOLDER>/staging so the re-shown form keeps
    # them (services/uploads/): bounded per user, in total and in time; swept by
    # `flask sweep-uploads` (cron / systemd timer) and while staging; left out of backups.
    STAGING_MAX_BYTES_PER_USER = 50 * 1024 * 1024
    STAGING_MAX_FILES_PER_USER = 20
    STAGING_MAX_BYTES_TOTAL = 500 * 1024 * 1024
    STAGING_MAX_AGE_HOURS = 24

    # Sessions and accounts.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    # PERMANENT_SESSION_LIFETIME is SESSION_ABSOLUTE_HOURS (see derived_settings).
    REMEMBER_COOKIE_DURATION = timedelta(days=0)
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128
    # Taiwan's 資通系統防護基準 stricter rules (off by default, ASVS is the default).
    PASSWORD_REQUIRE_COMPLEXITY = False
    PASSWORD_MAX_AGE_DAYS = 0  # 0 = no expiry
    PASSWORD_HISTORY = 0  # 0 = reuse allowed
    TOTP_REQUIRED_ROLES: tuple[str, ...] = ()

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # argon2id parameters (argon2-cffi); empty = the library's RFC 9106 defaults.
    ARGON2_PARAMS: dict = {}

    # E-mail (reminders).
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 30
    MAIL_DEFAULT_SENDER = "tracker@localhost"
    BASE_URL = "http://127.0.0.1:5000"

    # API documentation (flask-smorest).
    API_TITLE = "Policy Benchmark Tracker API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    ALLOW_DEMO_DATA = True
    LOG_LEVEL = ""  # empty: DEBUG when debugging, else INFO
    # Backups of PostgreSQL databases use these client programs.
    PG_DUMP = "pg_dump"
    PG_RESTORE = "pg_restore"
    # Key of the HMAC-SHA256 signature on backup manifests (restore refuses unsigned or
    # wrongly signed archives); empty: SECRET_KEY. Keep it where the backups are restored.
    BACKUP_SIGNING_KEY: str | None = None
    SECURITY_HEADERS_HSTS = False


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    ENV_NAMES = types.MappingProxyType({**Config.ENV_NAMES, "DEBUG": "FLASK_DEBUG"})
    DEBUG = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    # The suite's database comes from TEST_DATABASE_URL, never from a developer's DATABASE_URL.
    ENV_NAMES = types.MappingProxyType({"SQLALCHEMY_DATABASE_URI": "TEST_DATABASE_URL"})
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    PASSWORD_MIN_LENGTH = 12
    # Cheap hashing keeps the suite fast; production keeps the defaults.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEBUG = False
    ALLOW_DEMO_DATA = False
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    SECURITY_HEADERS_HSTS = True
    TOTP_REQUIRED_ROLES = ("reviewer", "admin")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class SettingError(ValueError):
    """An environment variable whose value does not fit its setting's type."""


def setting_names(config: type[Config]) -> list[str]:
    """The settings of ``config`` that an environment variable may set: upper-case names whose
    default is text, a whole number, a yes/no or a tuple of words (not dicts or durations)."""
    hints = typing.get_type_hints(config)
    names = []
    for name in dir(config):
        if not name.isupper() or name in {"ENV_NAME", "ENV_NAMES"}:
            continue
        value = getattr(config, name)
        if isinstance(value, (str, int, tuple)) or (value is None and _text_hint(hints.get(name))):
            names.append(name)
    return names


def _text_hint(hint: Any) -> bool:
    return hint is not None and str in typing.get_args(hint)


def parse_setting(name: str, default: Any, raw: str) -> Any:
    """``raw`` (an environment variable's text) as the type of ``default``."""
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise SettingError(f"{name}={raw!r} is not a yes/no value (true, false, 1, 0, yes, no, on, off)")
    if isinstance(default, int):
        try:
            return int(raw.strip())
        except ValueError:
            raise SettingError(f"{name}={raw!r} is not a whole number") from None
    if isinstance(default, tuple):
        return tuple(word.strip() for word in raw.split(",") if word.strip())
    return raw


def settings(config: type[Config], environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings of ``config`` with every environment override applied, typed.

    An empty SECRET_KEY or DATABASE_URL counts as unset (the app then generates or refuses
    one); other settings take what they are given.
    """
    values: dict[str, Any] = {name: getattr(config, name) for name in dir(config) if name.isupper()}
    for name in setting_names(config):
        variable = config.ENV_NAMES.get(name, name)
        raw = environ.get(variable)
        if raw is None or (raw == "" and values[name] is None):
            continue
        values[name] = parse_setting(variable, values[name], raw)
    return values


def derived_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings computed from others (after environment and explicit overrides)."""
    return {
        "MAX_CONTENT_LENGTH": values["MAX_UPLOAD_BYTES"] + 1024 * 1024,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=values["SESSION_ABSOLUTE_HOURS"]),
    }
