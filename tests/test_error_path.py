"""The server-error path holds when a write fails: the session is rolled back first, the
log filter never touches the (expired) user object, one error line carries the request
id, and the client gets the JSON error (API) or the error page (web) with the security
headers and the request id — never a bare server default."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import select

from tests.test_security_headers import assert_security_headers
from tests.update_world import update_form
from tracker.extensions import db
from tracker.models import Department, StatusUpdate
from tracker.services import tokens, updates


@pytest.fixture
def log_output(app):
    handler = next(h for h in logging.getLogger("tracker").handlers if getattr(h, "_tracker", False))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


@pytest.fixture
def failing_write(monkeypatch, world):
    """The update's audit row triggers a flush that the database refuses (a duplicate
    department code): the session is left needing a rollback, as after the probe's
    PostgreSQL errors."""
    code = world.lead.code

    def broken_record_event(*args, **kwargs):
        db.session.add(Department(code=code, name_zh="重複", name_en="Duplicate"))
        db.session.flush()

    monkeypatch.setattr(updates.submit, "record_event", broken_record_event)


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " ERROR " in line]


def test_failed_write_through_the_api_answers_json_500_with_headers_and_one_log_line(
    app, client, world, failing_write, log_output
):
    # A token request commits (last_used_at) before the view runs, so the user object is
    # expired when the write fails: touching it in the log filter used to raise.
    _, raw = tokens.create_token(world.lead_editor, "script")
    db.session.commit()
    resp = client.post(
        f"/api/v1/action-items/{world.item.id}/updates",
        headers={"Authorization": f"Bearer {raw}"},
        json={
            "status": "in_progress",
            "progress": 40,
            "effective_date": "2017-06-30",
            "narrative": "完成規劃",
            "version": world.item.version,
        },
    )
    assert resp.status_code == 500
    assert resp.mimetype == "application/json"
    error = resp.json["error"]
    assert error["code"] == "internal_error" and error["request_id"] == resp.headers["X-Request-Id"]
    assert "Department" not in resp.get_data(as_text=True) and "IntegrityError" not in resp.get_data(as_text=True)
    assert_security_headers(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    lines = _error_lines(log_output.getvalue())
    assert len(lines) == 1, lines
    assert f"req={error['request_id']} user={world.lead_editor.id}]" in lines[0]
    assert any("POST /api/v1/action-items" in line and " 500 " in line for line in log_output.getvalue().splitlines())
    # Rolled back: nothing half-saved, and the next request on the same session works.
    assert db.session.scalar(select(StatusUpdate.id)) is None
    assert (
        client.get(f"/api/v1/action-items/{world.item.id}", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )


def test_failed_write_from_the_form_answers_the_error_page(app, client, login, world, failing_write, log_output):
    login(world.lead_editor)
    resp = client.post(
        f"/items/{world.item.id}/updates/new", data=update_form(world), headers={"X-Request-Id": "probe-42"}
    )
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert "probe-42" in body and resp.headers["X-Request-Id"] == "probe-42"
    assert "IntegrityError" not in body and "Traceback" not in body
    assert_security_headers(resp)
    assert len(_error_lines(log_output.getvalue())) == 1


def test_when_even_the_error_page_fails_a_fixed_page_still_carries_headers(
    app, client, login, world, failing_write, monkeypatch
):
    from tracker.web import errors

    def no_templates(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(errors, "render_template", no_templates)
    login(world.lead_editor)
    resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world))
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    assert resp.headers["X-Request-Id"] in resp.get_data(as_text=True)
    assert_security_headers(resp)


def test_an_error_in_an_after_request_hook_still_gets_the_json_error(app, client, world):
    """Flask hands such errors to the 500 handler (outside of testing they are not re-raised)."""
    _, raw = tokens.create_token(world.viewer, "script")
    db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.after_request
    def _explode(resp):  # noqa: ANN001
        if resp.status_code == 200:
            raise RuntimeError("after_request failed")
        return resp

    resp = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 500
    assert resp.json["error"]["request_id"] == resp.headers["X-Request-Id"]
    assert_security_headers(resp)


def test_the_log_filter_never_raises(app):
    from tracker.logging_setup import RequestContextFilter

    class Exploding:
        @property
        def id(self):  # noqa: ANN201
            raise RuntimeError("expired object touched")

    with app.test_request_context("/"):
        from flask import g

        g._login_user = Exploding()
        g.log_user_id = 7
        g.request_id = "r1"
        record = logging.LogRecord("tracker", logging.INFO, __file__, 1, "hello %s", ("x",), None)
        assert RequestContextFilter().filter(record) is True
        assert record.user_id == "7" and record.request_id == "r1"
        broken = logging.LogRecord("tracker", logging.INFO, __file__, 1, "bad %d", ("x",), None)
        assert RequestContextFilter().filter(broken) is True
