"""Migrations: `flask db upgrade` from empty works, the head revision matches the
models (no autogenerate drift), a full downgrade/upgrade round trip leaves the
schema unchanged, and the append-only triggers exist.

Runs on a SQLite file by default and on a scratch PostgreSQL database when
TEST_DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade

from tracker import create_app
from tracker.extensions import db
from tracker.models.triggers import APPEND_ONLY_TABLES

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture
def make_scratch_url(tmp_path):
    """Makes empty databases of the configured kind; drops them afterwards."""
    created: list[str] = []
    admin = None
    if IS_POSTGRES:
        admin = sa.create_engine(TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")

    def _make() -> str:
        name = f"tracker_mig_{uuid.uuid4().hex[:10]}"
        if not IS_POSTGRES:
            return "sqlite:///" + str(tmp_path / f"{name}.sqlite3")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL required but unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        created.append(name)
        return TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name

    yield _make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_url(make_scratch_url):
    return make_scratch_url()


@contextmanager
def preserved_logging():
    """Alembic's env.py calls logging.fileConfig, which disables every existing
    logger; put the logging tree back so later tests in this process still log."""
    manager = logging.root.manager
    saved = {
        name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
        for name, lg in manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    root = (logging.root.level, list(logging.root.handlers))
    try:
        yield
    finally:
        for name, lg in manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.disabled, lg.level, lg.handlers[:], lg.propagate = (
                    saved[name][0],
                    saved[name][1],
                    saved[name][2],
                    saved[name][3],
                )
            else:
                lg.disabled = False
        logging.root.setLevel(root[0])
        logging.root.handlers[:] = root[1]


@pytest.fixture
def migrated_app(scratch_url, tmp_path):
    """An app bound to the scratch database, upgraded to head."""
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": scratch_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        },
    )
    with app.app_context(), preserved_logging():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _schema_diff() -> list:
    """Differences between the live database and the models, as `flask db check` sees them."""
    opts = dict(current_app.extensions["migrate"].configure_args)
    opts.pop("render_as_batch", None)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, db.metadata)


def _triggers() -> list[tuple[str, str]]:
    """(table, trigger name) of every user-defined trigger."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            rows = conn.execute(
                sa.text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal ORDER BY 1, 2"
                )
            )
        else:
            rows = conn.execute(
                sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1, 2")
            )
        return [tuple(r) for r in rows]


def _schema_dump() -> dict:
    """Everything the inspector knows about the schema, in a comparable form."""

    def norm(value):
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items()) if k not in {"comment"}}
        if isinstance(value, (list, tuple)):
            return [norm(v) for v in value]
        if isinstance(value, sa.types.TypeEngine):
            return str(value)
        return value

    with db.engine.connect() as conn:
        insp = sa.inspect(conn)
        dump: dict = {}
        for table in sorted(insp.get_table_names()):
            dump[table] = {
                "columns": norm(insp.get_columns(table)),
                "pk": norm(insp.get_pk_constraint(table)),
                "indexes": sorted(norm(insp.get_indexes(table)), key=repr),
                "uniques": sorted(norm(insp.get_unique_constraints(table)), key=repr),
                "fks": sorted(norm(insp.get_foreign_keys(table)), key=repr),
                "checks": sorted(norm(insp.get_check_constraints(table)), key=repr),
            }
    dump["__triggers__"] = _triggers()
    return dump


def test_upgrade_from_empty_creates_every_model_table(migrated_app):
    tables = set(sa.inspect(db.engine).get_table_names())
    missing = set(db.metadata.tables) - tables
    assert not missing, f"tables missing after `flask db upgrade`: {sorted(missing)}"
    assert "alembic_version" in tables


def test_head_revision_matches_the_models(migrated_app):
    diff = _schema_diff()
    assert diff == [], "models and migrations differ (write a revision):\n" + "\n".join(map(repr, diff))


def test_upgrade_is_a_no_op_when_already_at_head(migrated_app):
    before = _schema_dump()
    upgrade()
    assert _schema_dump() == before


def test_downgrade_to_base_then_upgrade_leaves_schema_unchanged(migrated_app):
    before = _schema_dump()

    downgrade(revision="base")
    left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert not left, f"tables left after downgrade to base: {sorted(left)}"
    assert _triggers() == [], "triggers left after downgrade to base"

    upgrade()
    after = _schema_dump()
    changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
    assert after == before, f"schema changed by the round trip in: {changed}"
    assert _schema_diff() == []


def test_append_only_triggers_exist_for_every_history_table(migrated_app):
    triggered = {table for table, _name in _triggers()}
    missing = set(APPEND_ONLY_TABLES) - triggered
    assert not missing, f"append-only tables without triggers: {sorted(missing)}"


def test_raw_sql_cannot_rewrite_or_erase_a_status_update(migrated_app):
    from tests.factories import Factory

    factory = Factory(db.session)
    item = factory.item()
    factory.update(item, "in_progress", 40, date(2017, 6, 30))
    db.session.commit()

    for statement in ("UPDATE status_update SET progress = 100", "DELETE FROM status_update"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(statement))

    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT progress FROM status_update")).scalar_one() == 40


def test_migrated_schema_equals_the_schema_the_tests_use(migrated_app, make_scratch_url, tmp_path):
    """The suite builds its schema with create_all(); production runs the migrations.
    Both must give the same tables, constraints (CHECKs included, which autogenerate
    does not compare) and triggers."""
    migrated = _schema_dump()
    migrated.pop("alembic_version")

    other = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": make_scratch_url(),
            "UPLOAD_FOLDER": str(tmp_path / "uploads2"),
        },
    )
    with other.app_context():
        db.create_all()
        created = _schema_dump()
        db.engine.dispose()

    changed = sorted(t for t in set(migrated) | set(created) if migrated.get(t) != created.get(t))
    assert migrated == created, f"migrations and create_all() differ in: {changed}"
