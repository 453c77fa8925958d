"""Login throttling kept in the database: 5 failures lock one account for 15 minutes,
with one generic message, an audit row, and counts shared across connections."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db
from tracker.models import AuditLog, LoginThrottle, User, utcnow
from tracker.services import DomainError
from tracker.services.throttle import check_login, generic_message, locked_until, register_failure


@pytest.fixture
def GENERIC(app):
    """The one message for every failure, in the page's language (zh-TW by default)."""
    return generic_message()


def fail(email: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(DomainError) as err:
            check_login(email, "wrong password here")
        assert err.value.message == generic_message()
        db.session.commit()


def test_five_failures_lock_the_account_even_for_the_right_password(app, factory, GENERIC):
    user = factory.user("editor")
    db.session.commit()
    fail(user.email, 4)
    assert locked_until(user.email) is None
    fail(user.email, 1)
    until = locked_until(user.email)
    assert until is not None
    assert timedelta(minutes=14) < until - utcnow() <= timedelta(minutes=15)
    with pytest.raises(DomainError) as err:
        check_login(user.email, DEFAULT_PASSWORD)
    assert err.value.message == GENERIC
    db.session.commit()
    refreshed = db.session.get(User, user.id)
    db.session.refresh(refreshed)
    assert refreshed.locked_until is not None and refreshed.failed_logins == 5


def test_lock_ends_after_fifteen_minutes(app, factory):
    user = factory.user("editor")
    db.session.commit()
    fail(user.email, 5)
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.email == user.email))
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert check_login(user.email, DEFAULT_PASSWORD).id == user.id
    db.session.commit()
    db.session.refresh(row)
    assert row.failures == 0 and row.locked_until is None


def test_lock_is_per_account_not_global(app, factory):
    victim, other = factory.user("editor"), factory.user("reviewer")
    db.session.commit()
    fail(victim.email, 5)
    assert check_login(other.email, DEFAULT_PASSWORD).id == other.id


def test_success_resets_the_count(app, factory):
    user = factory.user("editor")
    db.session.commit()
    fail(user.email, 4)
    check_login(user.email, DEFAULT_PASSWORD)
    db.session.commit()
    fail(user.email, 4)
    assert locked_until(user.email) is None


def test_unknown_address_gets_the_same_answer_and_lock(app, factory):
    fail("nobody@example.org", 5)
    assert locked_until("nobody@example.org") is not None
    fail("NoBody@Example.org ", 1)  # same key whatever the case and spaces


def test_failures_and_lock_are_audited_without_the_password(app, factory):
    user = factory.user("editor")
    db.session.commit()
    fail(user.email, 5)
    actions = [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("login.failure") == 5
    assert "login.lock" in actions
    assert all("wrong password here" not in a.summary for a in db.session.scalars(select(AuditLog)))


def test_concurrent_failures_are_all_counted(app, tmp_path):
    """Counting is an atomic UPDATE in the database: parallel workers lose no failure."""
    from tracker import create_app

    shared = app
    if db.engine.url.database in (None, "", ":memory:"):
        # An in-memory SQLite database lives in one connection; use a file like production.
        shared = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite3"})
        with shared.app_context():
            db.create_all()
    key = "race@example.org"
    errors: list[Exception] = []

    def worker():
        try:
            with shared.app_context():
                for _ in range(3):
                    register_failure(key, utcnow())
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with shared.app_context():
        assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.email == key)) == 12
        assert locked_until(key) is not None
        if shared is not app:
            db.session.remove()
            db.engine.dispose()


def test_login_page_locks_after_five_failures_with_one_generic_message(app, client, factory, GENERIC):
    user = factory.user("editor")
    db.session.commit()
    for _ in range(5):
        resp = client.post("/login", data={"email": user.email, "password": "not the password"})
        assert resp.status_code == 200 and GENERIC in resp.get_data(as_text=True)
    resp = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 200 and GENERIC in resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    # An unknown address reads exactly the same.
    resp = client.post("/login", data={"email": "nobody@example.org", "password": "whatever it is"})
    assert GENERIC in resp.get_data(as_text=True)


@pytest.fixture
def shared_app(app, tmp_path):
    """The test app when its database is shared between connections (PostgreSQL), else a
    file SQLite database like production (an in-memory one lives in one connection)."""
    from tracker import create_app

    if db.engine.url.database not in (None, "", ":memory:"):
        yield app
        return
    other = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/lock.sqlite3",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        },
    )
    with other.app_context():
        db.create_all()
        yield other
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("threads, per_thread", [(2, 4), (8, 2)])
def test_parallel_wrong_passwords_get_exactly_the_limit(shared_app, monkeypatch, threads, per_thread):
    """The probe got 6 tries with 2 workers and 11 with 8 (limit 5): the lock was read before
    the one-second hash and the failure counted after it. Now each attempt is counted
    atomically first, so exactly LOGIN_MAX_FAILURES passwords are ever checked."""
    from tests.factories import Factory
    from tracker.services import signin

    with shared_app.app_context():
        user = Factory(db.session).user("editor")
        email = user.email
        db.session.commit()
        db.session.remove()

    checked = []
    guard = threading.Lock()
    real_verify = signin.verify_password

    def slow_verify(u, password):  # noqa: ANN001
        with guard:
            checked.append(password)
        time.sleep(0.3)  # an argon2 hash with production parameters takes about this long or more
        return real_verify(u, password)

    monkeypatch.setattr(signin, "verify_password", slow_verify)
    start = threading.Barrier(threads)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attacker(n: int) -> None:
        try:
            client = shared_app.test_client()
            start.wait(timeout=30)
            for k in range(per_thread):
                resp = client.post("/login", data={"email": email, "password": f"guess-{n}-{k}-wrong"})
                with guard:
                    statuses.append(resp.status_code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=attacker, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, errors
    assert len(statuses) == threads * per_thread and set(statuses) == {200}
    assert len(checked) == shared_app.config["LOGIN_MAX_FAILURES"] == 5
    with shared_app.app_context():
        assert locked_until(email) is not None
        # Locked: the right password is refused without being checked.
        with pytest.raises(DomainError):
            check_login(email, DEFAULT_PASSWORD)
        db.session.commit()
        assert len(checked) == 5
        db.session.remove()
