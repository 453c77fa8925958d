"""docs/security.md says only what a test proves: every test it cites exists, and the
claims that had no test of their own have one here (what the session cookie holds, one
access line per request)."""

from __future__ import annotations

import ast
import io
import logging
import re
from pathlib import Path

import pyotp
import pytest
from flask.sessions import SecureCookieSessionInterface

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
CITATION = re.compile(r"(tests/[\w/]+\.py)((?:::\w+)+)?")


def _names(path: Path) -> set[str]:
    """Dotted names of the classes and functions of a test module ("TestX", "TestX::test_y", "test_z")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef)):
                name = f"{prefix}::{child.name}" if prefix else child.name
                found.add(name)
                walk(child, name)

    walk(tree, "")
    return found


def test_every_test_the_security_page_cites_exists():
    text = DOC.read_text(encoding="utf-8")
    citations = CITATION.findall(text)
    assert len(citations) >= 60, len(citations)
    missing = []
    for path, names in citations:
        file = ROOT / path
        if not file.exists():
            missing.append(path)
            continue
        if names and names.lstrip(":") not in _names(file):
            missing.append(path + names)
    assert not missing, missing


# The keys docs/security.md lists under "What the session cookie holds".
DOCUMENTED_COOKIE_KEYS = {
    "_user_id",
    "_fresh",
    "_id",
    "_login_at",
    "_seen_at",
    "_2fa",
    "csrf_token",
    "lang",
    "_totp_pending",
    "_flashes",
}


def test_the_session_cookie_holds_only_the_documented_keys(app, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    user = factory.user("reviewer")
    db.session.commit()
    client = app.test_client()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    seen: set[str] = set()

    def keys() -> dict:
        cookie = client.get_cookie("session")
        data = serializer.loads(cookie.value) if cookie else {}
        seen.update(data)
        return data

    def csrf(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        keys()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    client.post(
        "/login?lang=en", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf("/login")}
    )
    keys()
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = keys()["_totp_pending"]
    assert secret.replace(" ", "") in page.replace(" ", "")  # shown to its owner anyway
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    data = keys()
    assert "_totp_pending" not in data and "_2fa" in data
    assert seen <= DOCUMENTED_COOKIE_KEYS, seen - DOCUMENTED_COOKIE_KEYS
    dump = repr(data)
    assert DEFAULT_PASSWORD not in dump and user.email not in dump and "argon2" not in dump


@pytest.fixture
def access_lines(app):
    handler = next(h for h in logging.getLogger("tracker").handlers if getattr(h, "_tracker", False))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield lambda: [line for line in buffer.getvalue().splitlines() if "tracker.access:" in line]
    finally:
        handler.setStream(old)


def test_one_access_line_per_request_whatever_the_answer(app, client, login, factory, access_lines):
    login(factory.user("admin"))
    requests = [
        ("GET", "/"),
        ("GET", "/no-such-page"),
        ("PUT", "/api/v1/reports"),
        ("GET", "/admin/users?q=%00"),
        ("GET", "/reports/2147483648"),
        ("GET", "/api/v1/reports?as_of=nope"),
        ("POST", "/logout"),
        ("GET", "/api/v1/reports"),
    ]
    for method, path in requests:
        client.open(path, method=method, headers={"X-Request-Id": f"probe-{len(access_lines())}"})
    lines = access_lines()
    assert len(lines) == len(requests), lines
    for n, (line, (method, path)) in enumerate(zip(lines, requests, strict=False)):
        assert f"req=probe-{n} " in line and f"{method} {path.split('?')[0]} " in line
    # Static files are not logged.
    client.get("/static/css/app.css")
    assert len(access_lines()) == len(requests)
