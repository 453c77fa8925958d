"""``next`` after sign-in (and after the second step) only ever leads to this host."""

from __future__ import annotations

import pyotp
import pytest

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db
from tracker.services import totp
from tracker.web.authn import is_safe_next

HOSTILE = [
    "https://evil.example/phish",
    "http:evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
]
SAFE = ["/", "/account/", "/reports?lang=en", "/dashboard/#overview"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", SAFE)
def test_local_paths_are_allowed(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_redirects_off_site(app, client, factory, target):
    user = factory.user("viewer")
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "next": target})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_sign_in_follows_a_local_next(app, client, factory):
    user = factory.user("viewer")
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "next": "/account/"})
    assert resp.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example"])
def test_second_step_never_redirects_off_site(app, client, factory, target):
    user = factory.user("reviewer")
    secret = totp.new_secret()
    totp.enable(user, secret, pyotp.TOTP(secret).now())
    user.totp_last_counter -= 5
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    resp = client.post("/account/verify", data={"code": pyotp.TOTP(secret).now(), "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/") and "evil" not in resp.headers["Location"]
