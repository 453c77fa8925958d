"""Shared fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL),
a client, the seeded report, factories, a role-login helper and a SQL counter.

CI switches (environment): REQUIRE_POSTGRES=1 makes a missing PostgreSQL server an
error instead of a skip; REQUIRE_BROWSER=1 does the same for Chromium (fixture
``browser``), REQUIRE_OFFICE=1 for LibreOffice and poppler (``soffice``, ``pdftotext``).
"""

from __future__ import annotations

import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def pytest_report_header(config):
    return f"database: {TEST_DATABASE_URL.split('@')[-1]}"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the zh-TW catalog if `make translations` has not (the .mo is not in git)."""
    from tests.catalog import compile_mo

    return compile_mo()


def _pg_admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def database_url():
    """The database for this run. PostgreSQL: a fresh database per session."""
    if not IS_POSTGRES:
        yield TEST_DATABASE_URL
        return
    import sqlalchemy as sa

    name = f"tracker_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_pg_schema_ready = False


def _empty_pg_tables() -> None:
    """Empty every table and restart its ids between tests.

    DELETE with triggers switched off (the append-only triggers refuse it otherwise)
    takes ~15 ms; TRUNCATE rewrites every table's files and took ~0.5 s a test, which
    made the PostgreSQL pass several minutes longer. Roles that may not switch
    triggers off (not superuser) fall back to TRUNCATE.
    """
    from sqlalchemy.exc import DBAPIError

    with db.engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(text("SET LOCAL session_replication_role = replica"))
        except DBAPIError:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )


class RequestClient(FlaskClient):
    """The test client, each request in an app context of its own, as under a real server.

    The test itself runs in the ``app`` fixture's app context (its ``db.session``, its ``g``);
    a request pushed there would share that ``g`` and session with the test and with every
    earlier request. So each request (and each redirect it follows) gets a fresh app
    context: fresh ``g`` (Flask-Babel's locale, the signed-in user), its own session, torn
    down (rolled back if uncommitted) when it ends. Before a request the test's own work is
    committed, so the request sees it on any database, and the test's objects are expired,
    so it reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and not g.get("_test_client_request"):
            db.session.commit()
        with self.application.app_context():
            g._test_client_request = True
            return super().open(*args, **kwargs)


def pytest_configure(config):
    # Every app the suite builds (the fixture's, and those tests create themselves).
    Flask.test_client_class = RequestClient


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh app with an empty schema for each test; the test runs in its app context.

    Requests made through ``client`` do not share this context (``RequestClient``); a test
    that builds a request by hand and needs a fresh ``g`` pushes ``app.app_context()`` first.
    """
    global _pg_schema_ready
    application = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        },
    )
    with application.app_context():
        if IS_POSTGRES:
            if not _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
        else:
            db.create_all()
        yield application
        db.session.remove()
        if IS_POSTGRES:
            _empty_pg_tables()
        else:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app):
    """The Israel 2016 report loaded from seed/data (committed)."""
    from seed.loader import load_seed

    load_seed(db.session, ROOT / "seed" / "data")
    db.session.commit()
    from tracker.models import Report

    return db.session.scalar(db.select(Report).where(Report.code == "israel-2016"))


@pytest.fixture
def factory(app):
    from tests.factories import Factory

    return Factory(db.session)


@pytest.fixture
def world(factory):
    """The cast most request-level tests need (tests/update_world.py): a lead, a supporting
    and an unrelated department, one user per role, and one action item with an indicator.

    The one meaning of ``world`` in the suite; a file that needs more extends it (a fixture
    ``world(world)``), other set-ups have names of their own.
    """
    from tests.update_world import build_world

    return build_world(factory)


@pytest.fixture
def login(client):
    """``login(user)`` signs ``user`` in on ``client`` and returns it (tests.factories.sign_in)."""
    from tests.factories import sign_in

    def _login(user, **kwargs):
        return sign_in(client, user, **kwargs)

    return _login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Context manager counting SQL statements sent to the database."""

    @contextmanager
    def _count():
        counter = QueryCounter()

        def _before(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", _before)

    return _count


# --- Browser tests (tests/e2e) ----------------------------------------------
# Playwright drives the Debian Chromium (it cannot download its own browsers).
# REQUIRE_BROWSER=1 turns a missing Chromium or Playwright into a failure.

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (REQUIRE_BROWSER=1) but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test session (per xdist worker)."""
    if not os.access(CHROMIUM, os.X_OK):
        _browser_unavailable(f"{CHROMIUM} not found (sudo make deps-system)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _browser_unavailable(f"Playwright is not installed: {exc}")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page; zh-TW like the city's users."""
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def _tool_unavailable(switch: str, reason: str):
    if os.environ.get(switch) == "1":
        pytest.fail(f"{switch}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of LibreOffice's soffice; skips without it (fails under REQUIRE_OFFICE=1)."""
    import shutil

    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        _tool_unavailable("REQUIRE_OFFICE", "LibreOffice (soffice) not installed (sudo make deps-system)")
    return path


@pytest.fixture(scope="session")
def pdftotext() -> str:
    """Path of poppler's pdftotext; skips without it (fails under REQUIRE_OFFICE=1)."""
    import shutil

    path = shutil.which("pdftotext")
    if path is None:
        _tool_unavailable("REQUIRE_OFFICE", "pdftotext (poppler-utils) not installed (sudo make deps-system)")
    return path


class LiveServer:
    """The app served over HTTP from a background thread, on a temporary SQLite file."""

    def __init__(self, app, url: str):
        self.app = app
        self.url = url

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(tmp_path):
    """A seeded app on a free port (werkzeug, threaded), CSRF on as in production."""
    import threading

    from werkzeug.serving import make_server

    from seed.loader import load_seed

    application = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "live.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "WTF_CSRF_ENABLED": True,
        },
    )
    with application.app_context():
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(application, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()
