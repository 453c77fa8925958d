"""Application configuration.

Every setting can be overridden by an environment variable of the same name
(``DATABASE_URL`` maps to ``SQLALCHEMY_DATABASE_URI``). Classes are chosen by
``TRACKER_ENV`` (development, testing, production).
"""

from __future__ import annotations

import os
from datetime import timedelta


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Languages: zh-TW is the default, English the second language.
    BABEL_DEFAULT_LOCALE = "zh_TW"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BABEL_DEFAULT_TIMEZONE", "Asia/Taipei")
    LANGUAGES = ("zh_TW", "en")

    # Domain settings (docs/domain.md).
    DUE_SOON_DAYS = _env_int("DUE_SOON_DAYS", 30)
    # Reporting periods end on these month-day pairs (half-yearly by default); reports for
    # a period are due REPORTING_DEADLINE_DAYS after its end. An item with no report
    # effective in or after the last period whose deadline has passed is "not reported".
    REPORTING_PERIOD_ENDS = os.environ.get("REPORTING_PERIOD_ENDS", "06-30,12-31")
    REPORTING_DEADLINE_DAYS = _env_int("REPORTING_DEADLINE_DAYS", 15)
    # Reminders (send-reminders): these many days before a deadline, and every this many
    # days after it for the items still not reported (docs/reminders.md).
    REMINDER_DAYS_BEFORE = os.environ.get("REMINDER_DAYS_BEFORE", "7,3,1,0")
    REMINDER_INTERVAL_AFTER = _env_int("REMINDER_INTERVAL_AFTER", 7)

    # Uploads live outside the static folder, under generated names.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: <instance>/uploads
    MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 1024 * 1024
    MAX_DECOMPRESSED_BYTES = _env_int("MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024)
    MAX_ZIP_ENTRIES = _env_int("MAX_ZIP_ENTRIES", 2000)
    # Spreadsheets imported as reports or bulk status updates (docs/portfolio.md).
    IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    # Files of a refused submission wait in <UPLOAD_FOLDER>/staging so the re-shown form keeps
    # them (services/uploads/): bounded per user, in total and in time; swept by
    # `flask sweep-uploads` (cron / systemd timer) and while staging; left out of backups.
    STAGING_MAX_BYTES_PER_USER = _env_int("STAGING_MAX_BYTES_PER_USER", 50 * 1024 * 1024)
    STAGING_MAX_FILES_PER_USER = _env_int("STAGING_MAX_FILES_PER_USER", 20)
    STAGING_MAX_BYTES_TOTAL = _env_int("STAGING_MAX_BYTES_TOTAL", 500 * 1024 * 1024)
    STAGING_MAX_AGE_HOURS = _env_int("STAGING_MAX_AGE_HOURS", 24)

    # Sessions and accounts.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_ABSOLUTE_HOURS)
    REMEMBER_COOKIE_DURATION = timedelta(days=0)
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)
    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 12)
    PASSWORD_MAX_LENGTH = 128
    # Taiwan's 資通系統防護基準 stricter rules (off by default, ASVS is the default).
    PASSWORD_REQUIRE_COMPLEXITY = _env_bool("PASSWORD_REQUIRE_COMPLEXITY", False)
    PASSWORD_MAX_AGE_DAYS = _env_int("PASSWORD_MAX_AGE_DAYS", 0)  # 0 = no expiry
    PASSWORD_HISTORY = _env_int("PASSWORD_HISTORY", 0)  # 0 = reuse allowed
    TOTP_REQUIRED_ROLES = tuple(r for r in os.environ.get("TOTP_REQUIRED_ROLES", "").split(",") if r)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # argon2id parameters (argon2-cffi); empty = the library's RFC 9106 defaults.
    ARGON2_PARAMS: dict = {}

    # E-mail (reminders).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "tracker@localhost")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # API documentation (flask-smorest).
    API_TITLE = "Policy Benchmark Tracker API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    ALLOW_DEMO_DATA = True
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "")  # empty: DEBUG when debugging, else INFO
    # Backups of PostgreSQL databases use these client programs.
    PG_DUMP = os.environ.get("PG_DUMP", "pg_dump")
    PG_RESTORE = os.environ.get("PG_RESTORE", "pg_restore")
    # Key of the HMAC-SHA256 signature on backup manifests (restore refuses unsigned or
    # wrongly signed archives); empty: SECRET_KEY. Keep it where the backups are restored.
    BACKUP_SIGNING_KEY = os.environ.get("BACKUP_SIGNING_KEY") or None
    SECURITY_HEADERS_HSTS = False


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = _env_bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
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
    TOTP_REQUIRED_ROLES = tuple(r for r in os.environ.get("TOTP_REQUIRED_ROLES", "reviewer,admin").split(",") if r)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
