"""Fault test: no acknowledged write is lost when server processes are killed.

gunicorn (2 sync workers) serves the real app on a free loopback port against a file
SQLite database in WAL mode, or, when TEST_DATABASE_URL points at PostgreSQL, a scratch
PostgreSQL database (``make test`` runs this module in both passes). Writer threads,
one per action item, POST status updates through the API with a personal token,
each carrying the version it got back, and record every 201. Mid-load one worker is
SIGKILLed; later the master and all workers are SIGKILLed while requests are in flight.
The server is started again, and every acknowledged update must be there with the
same content; the database must pass its integrity check (SQLite: PRAGMA
integrity_check and foreign_key_check; PostgreSQL: amcheck on every B-tree index plus
consistency queries) and each item's version must equal 1 + its number of updates
(every committed update bumped it in the same transaction).

Bounded: at most MAX_REQUESTS_PER_WRITER requests per writer and LOAD_SECONDS of load;
only 127.0.0.1 is contacted. Numbers are printed (pytest -s) and kept in
``fault_result`` for the report.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, _pg_admin_url

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
WRITERS = 4
MAX_REQUESTS_PER_WRITER = 400
LOAD_SECONDS = 6.0
KILL_WORKER_AFTER = 2.0
# A real random key: production refuses placeholder-looking ones (tracker/security.py secret_key_problem).
SECRET = secrets.token_urlsafe(48)


@dataclass
class Ack:
    update_id: int
    item_id: int
    narrative: str
    progress: int


@dataclass
class Stats:
    acks: list[Ack] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    conflicts: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc, no extra tools)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces: the fields after the last ')' are fixed.
        fields_after = stat.rsplit(")", 1)[1].split()
        if int(fields_after[1]) == pid:
            out.append(int(entry.name))
    return out


class Server:
    """gunicorn with 2 workers against ``env``'s database."""

    def __init__(self, env: dict[str, str], port: int, log: Path, token: str):
        self.env, self.port, self.log, self.token = env, port, log, token
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        logfile = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "2",
                "--timeout",
                "30",
                "--no-control-socket",
                "tracker:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
        logfile.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            if len(children(self.proc.pid)) >= 2:
                try:
                    status, _ = request(self.port, "GET", "/api/v1/openapi.json", token=self.token)
                    if status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """Leave nothing running, whatever state the test ended in."""
        if self.proc is not None and (self.proc.poll() is None or self.workers()):
            self.kill_all()

    def workers(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def busy_worker(self, tries: int = 100) -> int:
        """A worker caught handling a request (not waiting for a connection), if we can tell."""
        for _ in range(tries):
            for pid in self.workers():
                if not _waiting_for_connection(pid):
                    return pid
            time.sleep(0.01)
        return self.workers()[0]

    def kill_all(self) -> list[int]:
        """SIGKILL the master and every worker at once (no graceful anything)."""
        victims = [self.proc.pid] + self.workers()
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for pid in victims[1:]:
            _wait_gone(pid)
        return victims


# x86-64 system calls a sync worker sits in while it has no request: select, pselect6,
# poll, ppoll, epoll_wait, epoll_pwait, accept, accept4.
_IDLE_SYSCALLS = {"23", "270", "7", "271", "232", "281", "43", "288"}


def _waiting_for_connection(pid: int) -> bool:
    if platform.machine() != "x86_64":
        return False
    try:
        current = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return True
    return bool(current) and current[0] in _IDLE_SYSCALLS


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        try:
            # Reap if it is our child; a worker is the master's child and init reaps it.
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except OSError:
            return
        time.sleep(0.05)


def request(
    port: int, method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 15
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


@pytest.fixture
def database(tmp_path):
    """A migrated database with one editor, an API token and WRITERS action items."""
    if IS_POSTGRES:
        name = f"tracker_fault_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # pragma: no cover - depends on the machine
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL required but unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path / 'fault.sqlite3'}"
    from flask_migrate import upgrade

    from tests.factories import Factory
    from tracker import create_app
    from tracker.extensions import db
    from tracker.services.tokens import create_token

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade()  # the real migrations, as in production
        f = Factory(db.session)
        dept = f.department("WRB")
        editor = f.user("editor", department=dept, email="fault.editor@example.org")
        rec = f.recommendation()
        items = [f.item(rec, lead=dept).id for _ in range(WRITERS)]
        _, token = create_token(editor, "fault test")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        yield url, token, items
    finally:
        if IS_POSTGRES:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture
def servers():
    """Every server a test starts is stopped at teardown, even after a failure."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def writer(port: int, token: str, item_id: int, w: int, stop: threading.Event, stats: Stats) -> None:
    """POST updates for one item, carrying the version each answer returns; each one replaces
    the previous one, which still waits for review (one live report per item)."""
    version = 1
    replaces: int | None = None
    for seq in range(MAX_REQUESTS_PER_WRITER):
        if stop.is_set():
            return
        narrative = f"writer {w} update {seq} {uuid.uuid4().hex[:8]}"
        progress = seq % 101
        with stats.lock:
            stats.sent += 1
        try:
            status, body = request(
                port,
                "POST",
                f"/api/v1/action-items/{item_id}/updates",
                token=token,
                body={
                    "status": "in_progress",
                    "progress": progress,
                    "effective_date": "2017-06-30",
                    "narrative": narrative,
                    "version": version,
                    "replaces_id": replaces,
                },
            )
        except (OSError, http.client.HTTPException):
            # Killed mid-request: this write is unacknowledged (it may or may not exist).
            with stats.lock:
                stats.errors += 1
            time.sleep(0.05)
            version, replaces = _current_state(port, token, item_id, version, replaces)
            continue
        if status == 201:
            with stats.lock:
                stats.acks.append(Ack(body["update"]["id"], item_id, narrative, progress))
            version = body["item_version"]
            replaces = body["update"]["id"]
        elif status == 409:
            with stats.lock:
                stats.conflicts += 1
            version = body["error"].get("current_version", version)
            replaces = body["error"].get("pending_update_id", replaces)
        else:
            with stats.lock:
                stats.unexpected.append(f"{status} {body}"[:300])
            return


def _current_state(port: int, token: str, item_id: int, version: int, replaces: int | None) -> tuple[int, int | None]:
    """The item's version and its update waiting for review, as the server sees them now."""
    try:
        status, body = request(port, "GET", f"/api/v1/action-items/{item_id}/updates", token=token, timeout=5)
    except (OSError, http.client.HTTPException):
        return version, replaces
    if status != 200:
        return version, replaces
    waiting = [u["id"] for u in body.get("updates", []) if u.get("state") == "submitted"]
    return body.get("version") or version, (waiting[0] if waiting else None)


def check_database(url: str, stats: Stats, items: list[int]) -> dict:
    """Every acknowledged update with the same content; integrity; versions consistent."""
    engine = sa.create_engine(url)
    report: dict = {}
    try:
        with engine.connect() as conn:
            rows = {
                r.id: r
                for r in conn.execute(text("SELECT id, action_item_id, narrative, progress, status FROM status_update"))
            }
            missing = [a.update_id for a in stats.acks if a.update_id not in rows]
            changed = [
                a.update_id
                for a in stats.acks
                if a.update_id in rows
                and (
                    rows[a.update_id].action_item_id != a.item_id
                    or rows[a.update_id].narrative != a.narrative
                    or rows[a.update_id].progress != a.progress
                    or rows[a.update_id].status != "in_progress"
                )
            ]
            report.update(rows_present=len(rows), missing=missing, changed=changed)
            audited = {
                int(r[0]) for r in conn.execute(text("SELECT object_id FROM audit_log WHERE action = 'update.submit'"))
            }
            report["unaudited"] = [uid for uid in rows if uid not in audited]
            versions = {r.id: r.version for r in conn.execute(text("SELECT id, version FROM action_item"))}
            counts = dict(
                conn.execute(text("SELECT action_item_id, count(*) FROM status_update GROUP BY action_item_id")).all()
            )
            report["version_mismatch"] = {
                i: (versions[i], counts.get(i, 0)) for i in items if versions[i] != 1 + counts.get(i, 0)
            }
            if engine.dialect.name == "sqlite":
                report["integrity"] = conn.execute(text("PRAGMA integrity_check")).scalar()
                report["foreign_key_violations"] = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
                report["journal_mode"] = conn.execute(text("PRAGMA journal_mode")).scalar()
            else:
                has_amcheck = conn.execute(
                    text("SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'")
                ).scalar()
                if has_amcheck:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                indexes = (
                    []
                    if not has_amcheck
                    else conn.execute(
                        text(
                            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE a.amname = 'btree' AND n.nspname = 'public'"
                        )
                    )
                    .scalars()
                    .all()
                )
                for index in indexes:
                    conn.execute(text("SELECT bt_index_check(CAST(:i AS regclass), true)"), {"i": index})
                report["indexes_checked"] = len(indexes)
                orphans = conn.execute(
                    text(
                        "SELECT count(*) FROM status_update su LEFT JOIN action_item ai ON ai.id = su.action_item_id "
                        "WHERE ai.id IS NULL"
                    )
                ).scalar()
                report["integrity"] = "ok" if orphans == 0 else f"{orphans} orphaned updates"
                report["foreign_key_violations"] = []
    finally:
        engine.dispose()
    return report


def test_no_acknowledged_write_is_lost_when_workers_and_master_are_killed(database, servers, tmp_path):
    url, token, items = database
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TRACKER_", "TEST_"))}
    env.update(
        TRACKER_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
        TRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        PYTHONPATH=str(ROOT),
    )
    server = Server(env, port, tmp_path / "gunicorn.log", token)
    servers.append(server)
    server.start()
    stats, stop = Stats(), threading.Event()
    threads = [
        threading.Thread(target=writer, args=(port, token, item, w, stop, stats), daemon=True)
        for w, item in enumerate(items)
    ]
    started = time.monotonic()
    killed_worker = killed_all = None
    try:
        for t in threads:
            t.start()
        time.sleep(KILL_WORKER_AFTER)
        acks_before_kill = len(stats.acks)
        killed_worker = server.busy_worker()
        os.kill(killed_worker, signal.SIGKILL)  # mid-load: requests in this worker die with it
        time.sleep(LOAD_SECONDS - KILL_WORKER_AFTER)
        respawned = [p for p in server.workers() if p != killed_worker]
        errors_before_final_kill = stats.errors
        killed_all = server.kill_all()  # master and workers, requests still in flight
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server.stop()
    load_time = time.monotonic() - started

    # Restart on the same database: the acknowledged updates are served again.
    server = Server(env, free_port(), tmp_path / "gunicorn-restart.log", token)
    servers.append(server)
    server.start()
    try:
        served = 0
        for ack in stats.acks:
            status, body = request(
                server.port, "GET", f"/api/v1/action-items/{ack.item_id}/updates/{ack.update_id}", token=token
            )
            assert status == 200, (ack, status, body)
            assert (body["narrative"], body["progress"], body["status"]) == (ack.narrative, ack.progress, "in_progress")
            served += 1
    finally:
        server.kill_all()

    report = check_database(url, stats, items)
    result = {
        "database": "postgresql" if IS_POSTGRES else "sqlite (WAL)",
        "requests_sent": stats.sent,
        "acknowledged": len(stats.acks),
        "acknowledged_before_worker_kill": acks_before_kill,
        "present_after_restart": served,
        "connection_errors_from_worker_kill": errors_before_final_kill,
        "connection_errors_total": stats.errors,
        "conflicts": stats.conflicts,
        "rows_in_db": report["rows_present"],
        "worker_killed": killed_worker,
        "respawned_workers_seen": len(respawned),
        "processes_killed_at_end": len(killed_all or []),
        "load_seconds": round(load_time, 1),
        "integrity": report["integrity"],
        "indexes_checked": report.get("indexes_checked"),
    }
    print("\nFAULT TEST", json.dumps(result))
    assert not stats.unexpected, stats.unexpected
    assert len(stats.acks) >= 10, "too little load to mean anything"
    assert acks_before_kill < len(stats.acks), "no write acknowledged after the worker was killed"
    assert respawned, "gunicorn did not replace the killed worker"
    assert report["missing"] == [] and report["changed"] == []
    assert served == len(stats.acks)
    assert report["integrity"] == "ok" and report["foreign_key_violations"] == []
    assert report["version_mismatch"] == {}
    assert report["unaudited"] == []
    if not IS_POSTGRES:
        assert report["journal_mode"] == "wal"
