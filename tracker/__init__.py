"""Policy Benchmark Tracker: follow-up of official overseas trip reports."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import CONFIGS, Config, SettingError, derived_settings, settings

__version__ = "1.4.0"

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """Raised when the app is configured in a way that is unsafe to run."""


class TrackerFlask(Flask):
    """Flask, with ``ensure_sync`` remembered per function: Flask asks ``inspect`` whether every
    hook and view is a coroutine function on every request (a dozen times a request). The
    functions are the app's own hooks and views, fixed at start-up; the cache is bounded."""

    _sync_cache_limit = 2048

    def ensure_sync(self, func):  # noqa: ANN001, ANN201
        cache = self.__dict__.setdefault("_sync_cache", {})
        try:
            return cache[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        result = super().ensure_sync(func)
        if len(cache) < self._sync_cache_limit:
            cache[func] = result
        return result


class _SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per set of
    keys instead of on every request (building one JSON-dumps a probe value). Derived from
    the configuration only: a changed SECRET_KEY or SECRET_KEY_FALLBACKS builds a new one."""

    _signing: tuple[tuple, Any] | None = None

    def get_signing_serializer(self, app: Flask):  # noqa: ANN201
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        cached = self._signing
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        self._signing = (keys, serializer)
        return serializer


def create_app(config: type[Config] | str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Application factory: config, extensions, blueprints, error handlers, CLI."""
    app = TrackerFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", str(ROOT / "instance")),
    )
    load_config(app, config, overrides)
    register_request_hooks(app)
    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, config: type[Config] | str | None, overrides: dict[str, Any] | None) -> None:
    """Settings in one pass: the class's defaults, the environment (config.settings, typed),
    then ``overrides``; then the derived settings and the start-up checks."""
    if config is None or isinstance(config, str):
        config = CONFIGS[(config or os.environ.get("TRACKER_ENV", "development")).lower()]
    try:
        values = settings(config, os.environ)
    except SettingError as exc:
        raise ConfigurationError(str(exc)) from None
    values.update(overrides or {})
    values.update({k: v for k, v in derived_settings(values).items() if k not in (overrides or {})})
    app.config.from_mapping(values)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    env = app.config["ENV_NAME"]
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        if env == "production":
            raise ConfigurationError("DATABASE_URL must be set in production")
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "tracker.sqlite3")
    if not app.config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigurationError("SECRET_KEY must be set in production (at least 32 random characters)")
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if env == "production":
        from .security import secret_key_problem

        problem = secret_key_problem(str(app.config["SECRET_KEY"]))
        if problem:
            raise ConfigurationError(
                f"SECRET_KEY is too short or a placeholder ({problem}); use at least 32 random "
                "characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    from .periods import PeriodSettingError, parse_deadline_days, parse_period_ends

    try:
        parse_period_ends(app.config["REPORTING_PERIOD_ENDS"])
        parse_deadline_days(app.config["REPORTING_DEADLINE_DAYS"])
    except PeriodSettingError as exc:
        raise ConfigurationError(str(exc)) from None
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite: no pool pre-ping needed; WAL and foreign keys are set per connection.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}


def _instance_secret(instance: Path) -> str:
    """A development secret generated once and kept in the instance folder."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def register_extensions(app: Flask) -> None:
    from .db_setup import configure_engine_events
    from .extensions import api, babel, csrf, db, login_manager, migrate
    from .locale import select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)
    from .models.search_ddl import include_name

    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True, include_name=include_name
    )
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "translations"),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    api.init_app(app, spec_kwargs={"info": {"description": "Read and write API of the Policy Benchmark Tracker."}})
    from .locale import register_template_helpers

    register_template_helpers(app)
    # The search index follows every flush (a Session event registered on import).
    from .logging_setup import init_logging
    from .security import init_security
    from .services import search  # noqa: F401

    init_logging(app)
    init_security(app)


def register_request_hooks(app: Flask) -> None:
    """What every request pays for at its start and its end, in one hook each (registered
    first: the start runs before any other hook, the finish after every other one)."""
    import time

    from flask import g, request

    from .locale import WTFORMS_CATALOG
    from .web.errors import ensure_request_id, finish_response

    app.session_interface = _SigningSessionInterface()

    @app.before_request
    def _start_request() -> None:
        ensure_request_id()  # the request id every log line and answer carries
        g.request_started = time.perf_counter()  # for the access log line
        # flask_wtf.i18n reads this request attribute before loading its own catalog.
        request.wtforms_translations = WTFORMS_CATALOG

    # X-Request-Id and the security headers (also added by the error handlers, which
    # answer when after_request hooks do not run).
    app.after_request(finish_response)


def register_input_guards(app: Flask) -> None:
    """Before any route exists: the bounded ``int`` converter; before any view: the edge check."""
    from .inputs import init_input_guards
    from .web.errors import error_response

    init_input_guards(app, error_response)


def register_blueprints(app: Flask) -> None:
    from .api import register_api
    from .web import register_web

    register_web(app)
    register_api(app)


def register_errorhandlers(app: Flask) -> None:
    from .web.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
