"""Every everyday page issues the same number of SQL statements, at most 12, whether the
city has 100 action items or 10,000 (bench/generate.py builds both, with history).

Statements are counted on the engine (before_cursor_execute) for one request, after a
warm-up request (per-process first-request work is not the page's).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.factories import sign_in

# Counted per request as a server runs it: each request has its own app context and session
# (tests/conftest.py RequestClient), so loading the signed-in user (with their department, one
# statement) counts, as it does in production.
BUDGET = 12


def _url(tmp_path_factory, name: str) -> str:
    if IS_POSTGRES:
        import uuid

        import sqlalchemy as sa

        from tests.conftest import _pg_admin_url

        db_name = f"tracker_budget_{name}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
        admin.dispose()
        return TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + db_name
    return "sqlite:///" + str(tmp_path_factory.mktemp(name) / "bench.sqlite3")


def _world(tmp_path_factory, name: str, items: int):
    from bench.generate import generate
    from tracker import create_app
    from tracker.extensions import db

    url = _url(tmp_path_factory, name)
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        generate(
            db.session,
            items,
            seed=7,
            n_reports=max(2, items // 50),
            updates_per_item=2,
            n_departments=20,
            today=date.today(),
        )
        db.session.commit()
        db.session.remove()
    return app, url


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    built = {n: _world(tmp_path_factory, f"w{n}", n) for n in (100, 10_000)}
    yield built
    for app, url in built.values():
        with app.app_context():
            from tracker.extensions import db

            db.engine.dispose()
        if IS_POSTGRES:
            import sqlalchemy as sa

            from tests.conftest import _pg_admin_url

            admin = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            admin.dispose()


def _pages(app):
    """(role, path) of every everyday page, for this world's ids."""
    from tracker.extensions import db
    from tracker.models import ActionItem, Recommendation, Report, User

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.code == "israel-2016"))
        rec = db.session.scalar(
            select(Recommendation).where(Recommendation.report_id == report.id).order_by(Recommendation.position)
        )
        item = db.session.scalar(select(ActionItem).order_by(ActionItem.id.desc()))
        editor = db.session.scalar(select(User.email).where(User.email.like("editor-%")).order_by(User.id))
    return [
        ("viewer@bench.example", "/dashboard/"),
        ("viewer@bench.example", "/dashboard/?as_of=2018-12-31"),
        ("viewer@bench.example", "/dashboard/?report=israel-2016"),
        ("viewer@bench.example", f"/reports/{report.id}"),
        ("viewer@bench.example", f"/recommendations/{rec.id}"),
        ("viewer@bench.example", f"/action-items/{item.id}"),
        (editor, "/my-department/"),
        ("reviewer1@bench.example", "/review/"),
        ("viewer@bench.example", "/periods/"),
        ("viewer@bench.example", "/portfolio/"),
        ("viewer@bench.example", "/portfolio/?sort=progress&dir=asc"),
        ("viewer@bench.example", "/api/v1/summary"),
        ("viewer@bench.example", f"/api/v1/action-items/{item.id}"),
        ("viewer@bench.example", "/reports"),
    ]


def _count(app, email: str, path: str) -> int:
    from tracker.extensions import db
    from tracker.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        client = app.test_client()
        sign_in(client, user)
        assert client.get(path).status_code == 200, path
        statements: list[str] = []

        def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _before)
        try:
            assert client.get(path).status_code == 200, path
        finally:
            event.remove(db.engine, "before_cursor_execute", _before)
        db.session.remove()
    return len(statements)


def test_statements_per_page_do_not_grow_with_the_city(worlds):
    small_app, _ = worlds[100]
    big_app, _ = worlds[10_000]

    def key(n: int, path: str) -> str:  # ids differ between the worlds
        return f"{n}:{path.split('/')[1] or 'home'}{'?' + path.split('?')[1] if '?' in path else ''}"

    small = {key(n, path): _count(small_app, who, path) for n, (who, path) in enumerate(_pages(small_app))}
    big = {key(n, path): _count(big_app, who, path) for n, (who, path) in enumerate(_pages(big_app))}
    print("SQL statements per page (100 -> 10,000 items):", small, big)
    assert small == big
    assert max(big.values()) <= BUDGET, {k: v for k, v in big.items() if v > BUDGET}
