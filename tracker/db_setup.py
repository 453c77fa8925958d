"""Per-connection database settings.

SQLite (a file): foreign keys on, WAL, ``synchronous=FULL``, a 10 s busy timeout, and one
way of starting a write transaction. A transaction that starts by reading and then writes
has to upgrade its read lock; in WAL mode that upgrade fails at once ("database is locked",
the busy timeout does not apply) when another connection committed in between. So a write
transaction starts with ``BEGIN IMMEDIATE`` (the write lock first) just before its first
INSERT, UPDATE, DELETE or SAVEPOINT; reads before it run outside the transaction, as the
driver did before (the version checks are guarded UPDATEs, not reads).

Writers of the same file also queue on an exclusive ``flock`` of ``<database>.writelock``
before ``BEGIN IMMEDIATE`` and release it after COMMIT or ROLLBACK. SQLite's own busy
handler polls with sleeps of up to 100 ms, so under contention the write lock sat idle
between writers (two gunicorn workers: more time asleep than writing); a writer queued on
the flock looks again every half millisecond. It waits at most the busy timeout, then goes
on without the flock. The SQLite lock still decides: the flock only
orders the writers of this application, a connection that does not take it (the sqlite3
shell, a backup) is waited for by the busy timeout as before.

PostgreSQL: nothing here; row locks are taken by the statements that change rows.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry

# Statements that make a transaction a write transaction (after leading spaces and comments).
_WRITE_START = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)
_LOCK_FD = "tracker_writelock_fd"
BUSY_TIMEOUT_S = 10
# How often a queued writer looks at the flock again: short next to a write (~10 ms of CPU),
# unlike SQLite's busy handler (sleeps of up to 100 ms).
FLOCK_POLL_S = 0.0005


def is_write_statement(statement: str) -> bool:
    return _WRITE_START.match(statement) is not None


def configure_engine_events(engine: Engine) -> None:
    """SQLite: enforce foreign keys, use WAL, wait on locks instead of failing, and start
    write transactions with the write lock (see the module's docstring)."""
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    on_file = database not in (None, "", ":memory:") and not str(database).startswith("file::memory:")
    lock_path = f"{os.path.abspath(database)}.writelock" if on_file else None

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, record: ConnectionPoolEntry) -> None:  # noqa: ANN001
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        if on_file:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    if not on_file:
        return

    def _acquire(record_info: dict) -> None:
        """Queue on the flock for at most the busy timeout; then go on without it (SQLite's
        own lock and busy timeout decide, as without the flock): a writer is never held
        longer than before, whatever holds the flock."""
        fd = record_info.get(_LOCK_FD)
        if fd is None:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            record_info[_LOCK_FD] = fd
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(FLOCK_POLL_S)

    def _release(record_info: dict) -> None:
        fd = record_info.get(_LOCK_FD)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_immediate(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn is None or dbapi_conn.in_transaction or not is_write_statement(statement):
            return
        info = conn.connection.info
        _acquire(info)
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    # The flock is released after the database's COMMIT or ROLLBACK: these events run before
    # SQLAlchemy's own call, so they end the transaction themselves (the driver's commit or
    # rollback afterwards finds none and does nothing).
    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:  # noqa: ANN001
        _end(conn.connection, "commit")

    @event.listens_for(engine, "rollback")
    def _rollback(conn) -> None:  # noqa: ANN001
        _end(conn.connection, "rollback")

    def _end(pooled: Any, how: str) -> None:
        dbapi_conn = pooled.dbapi_connection
        try:
            if dbapi_conn is not None and dbapi_conn.in_transaction:
                getattr(dbapi_conn, how)()
        finally:
            _release(pooled.info)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_conn, record: ConnectionPoolEntry, reset_state: Any) -> None:  # noqa: ANN001
        try:
            if dbapi_conn.in_transaction:
                dbapi_conn.rollback()
        finally:
            _release(record.info)

    @event.listens_for(engine, "close")
    def _close(dbapi_conn, record: ConnectionPoolEntry) -> None:  # noqa: ANN001
        fd = record.info.pop(_LOCK_FD, None)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its lock
