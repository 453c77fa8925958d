"""Security headers on every kind of response, HSTS in production only, no caching of
signed-in pages, debug refused in production, generic error pages with a request id,
and log lines that say who/what/when without secrets."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest

from tests.factories import DEFAULT_PASSWORD
from tracker import ConfigurationError, create_app
from tracker.extensions import db
from tracker.logging_setup import redact

ROOT = Path(__file__).resolve().parent.parent
PROD_SECRET = "k3Jx9-vQ2pLz7RtY8wN4mB6cH1sD5fG0aE_uI"


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_security_headers(resp) -> None:  # noqa: ANN001
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src", "default-src"):
        sources = csp.get(directive, csp["default-src"])
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(sources), directive
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer", "same-origin")
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def signed_in(client, factory, login):
    return login(factory.user("viewer"))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/account/",
        "/api/v1/reports",
        "/api/v1/openapi.json",
        "/no-such-page",
        "/api/v1/no-such-thing",
        "/static/css/app.css",
    ],
)
def test_headers_on_pages_api_errors_and_static(client, signed_in, path):
    resp = client.get(path)
    assert_security_headers(resp)


def test_headers_on_the_public_login_page(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert_security_headers(resp)


def test_no_hsts_outside_production(client, signed_in):
    assert "Strict-Transport-Security" not in client.get("/reports").headers


def _production_app(tmp_path, monkeypatch, flask_debug: str | None = None, **overrides):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    if flask_debug is None:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    else:
        monkeypatch.setenv("FLASK_DEBUG", flask_debug)
    settings = {"SECRET_KEY": PROD_SECRET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"}
    settings.update(overrides)
    return create_app("production", overrides=settings)


def test_hsts_in_production(tmp_path, monkeypatch):
    prod = _production_app(tmp_path, monkeypatch)
    resp = prod.test_client().get("/login", base_url="https://tracker.example")
    hsts = resp.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    assert_security_headers(resp)


def test_signed_in_pages_are_not_cached_but_static_files_may_be(client, signed_in):
    assert client.get("/reports").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/reports").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_templates_need_no_unsafe_inline():
    """The CSP forbids inline code; templates must not rely on it (it would silently not run)."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"\sstyle\s*=",
            r"<style[\s>]",
            r"\son[a-z]+\s*=\s*[\"']",
            r"javascript:",
        ):
            if re.search(pattern, text, flags=re.IGNORECASE):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders


class TestDebugAndErrors:
    def test_production_refuses_debug_mode(self, tmp_path, monkeypatch):
        with pytest.raises(ConfigurationError, match="Debug"):
            _production_app(tmp_path, monkeypatch, DEBUG=True)
        with pytest.raises(ConfigurationError, match="Debug"):
            _production_app(tmp_path, monkeypatch, flask_debug="1")  # as `flask run --debug` sets it

    def test_production_is_not_in_debug(self, tmp_path, monkeypatch):
        prod = _production_app(tmp_path, monkeypatch)
        assert prod.debug is False and prod.config["DEBUG"] is False

    @pytest.mark.parametrize("path, json", [("/boom", False), ("/api/v1/boom", True)])
    def test_server_error_is_generic_with_a_request_id(self, tmp_path, monkeypatch, path, json):
        prod = _production_app(tmp_path, monkeypatch)

        def boom():
            raise RuntimeError("secret internal detail: connection string postgres://u:pw@db")

        prod.add_url_rule(path, "boom", boom)
        from tracker.web import authn

        authn.PUBLIC_ENDPOINTS.add("boom")
        try:
            resp = prod.test_client().get(path, base_url="https://tracker.example")
        finally:
            authn.PUBLIC_ENDPOINTS.discard("boom")
        body = resp.get_data(as_text=True)
        assert resp.status_code == 500
        assert "secret internal detail" not in body and "Traceback" not in body and "RuntimeError" not in body
        request_id = resp.headers["X-Request-Id"]
        assert request_id and request_id in body
        if json:
            assert resp.get_json()["error"]["request_id"] == request_id
        assert_security_headers(resp)


class TestLogging:
    @pytest.fixture
    def log_output(self, app):
        handler = next(h for h in logging.getLogger("tracker").handlers if getattr(h, "_tracker", False))
        buffer = io.StringIO()
        old = handler.setStream(buffer)
        try:
            yield buffer
        finally:
            handler.setStream(old)

    def test_each_request_logs_who_what_when_without_secrets(self, app, client, factory, log_output):
        from tracker.services.tokens import create_token

        user = factory.user("viewer", password="Sup3r secret passphrase!")
        _, raw = create_token(user, "script")
        db.session.commit()
        client.post(
            "/login?password=leaked-in-query", data={"email": user.email, "password": "Sup3r secret passphrase!"}
        )
        client.get("/account/")
        client.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"})
        lines = log_output.getvalue().splitlines()
        assert any(f"user={user.id}]" in line and "GET /account/ 200" in line for line in lines), lines
        assert any("GET /api/v1/reports 200" in line and f"user={user.id}]" in line for line in lines), lines
        assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) and "req=" in line for line in lines)
        text = log_output.getvalue()
        assert "Sup3r secret" not in text and raw not in text and "leaked-in-query" not in text

    def test_failed_sign_in_is_logged_without_the_password(self, app, client, factory, log_output):
        user = factory.user("viewer")
        db.session.commit()
        client.post("/login", data={"email": user.email, "password": "guessing-Password-123"})
        text = log_output.getvalue()
        assert "failed sign-in" in text and "guessing-Password-123" not in text

    @pytest.mark.parametrize(
        "message",
        [
            "password=hunter2hunter2",
            'login {"password": "hunter2hunter2"}',
            "Authorization: Bearer pbt_abcdefghijklmnop",
            "token: pbt_abcdefghijklmnop",
            "recovery_code=abcd-efgh-jkmn",
        ],
    )
    def test_redaction_of_secrets_in_messages(self, message):
        assert "hunter2" not in redact(message) and "abcdefghijklmnop" not in redact(message)
        assert "efgh" not in redact(message)


def test_sign_in_page_works_with_this_policy(client):
    """The login form posts to this origin (form-action 'self') and loads only local assets."""
    html = client.get("/login").get_data(as_text=True)
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
        assert url.startswith("/") or url.startswith("#") or url.startswith("?"), url
    assert DEFAULT_PASSWORD not in html
