"""/healthz: public, one query, never cached; 503 with a log line when the database is gone."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tracker.extensions import db


def test_healthz_answers_without_a_session(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in resp.headers  # no session is started for a probe
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"


def test_healthz_issues_one_statement(app, client):
    client.get("/healthz")  # warm-up: first-request work is not the probe's
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get("/healthz").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
    assert seen == ["SELECT 1"]


def test_healthz_reports_an_unreachable_database(app, client, monkeypatch, caplog):
    with app.app_context():
        engine = db.engine

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(type(engine), "connect", refuse)
    with caplog.at_level(logging.ERROR):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "unreachable"}
    assert "database is unreachable" in caplog.text


def test_healthz_only_answers_get(client):
    resp = client.post("/healthz")
    assert resp.status_code == 405
    assert "GET" in resp.headers.get("Allow", "")
