"""HTTP security headers on every response, and the debug guard.

The policy is strict on purpose: the app ships no inline script or style, so the CSP
needs no 'unsafe-inline' and an injected <script> or style= attribute simply does
not run (ASVS 4.0 V14.4).
"""

from __future__ import annotations

import math
from collections import Counter

from flask import Flask, current_app, has_request_context, request
from flask.helpers import get_debug_flag
from markupsafe import Markup

from . import ConfigurationError
from .inputs import has_bidi_control, strip_bidi_controls

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# Features the tracker never uses; denying them limits what injected content could do.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)

HSTS = "max-age=31536000; includeSubDomains"

STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": Flask-WTF's CSRF check on HTTPS compares the Referer with the
    # host, and strict-origin-when-cross-origin still sends it for same-origin posts.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


# Words of placeholder secrets ("change-me", "your-secret-key-goes-here"...). Six letters or
# more (plus "your-"), so a random key contains one with negligible probability.
PLACEHOLDER_WORDS = (
    "change",
    "secret",
    "placeholder",
    "example",
    "replace",
    "default",
    "password",
    "insecure",
    "sample",
    "goes-here",
    "your-",
    "1234567890",
    "qwerty",
)
MIN_SECRET_LENGTH = 32
# Shannon entropy of the key's own characters times its length: 'x' * 32 has 0 bits, 'abcd' * 8
# 64; secrets.token_hex(16) about 115 (never below 90 in 200,000 draws), token_urlsafe(32) about 200.
MIN_SECRET_BITS = 80


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is not a real secret (too short, a placeholder, low entropy, a repeated
    pattern), or None. Production refuses to start with such a key."""
    if len(key) < MIN_SECRET_LENGTH:
        return f"{len(key)} characters, fewer than {MIN_SECRET_LENGTH}"
    lowered = key.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"contains {word!r}"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < MIN_SECRET_BITS or len(counts) < 6:
        return f"low entropy (about {bits:.0f} bits in {len(counts)} distinct characters)"
    for period in range(1, len(key) // 2 + 1):
        if len(key) % period == 0 and key[:period] * (len(key) // period) == key:
            return f"a {period}-character pattern repeated"
    return None


def init_security(app: Flask) -> None:
    """Refuse debug mode in production. (The security headers are added to every response
    by the request finish hook, tracker/__init__.py register_request_hooks.)"""
    if app.config.get("ENV_NAME") == "production" and (app.debug or get_debug_flag()):
        # The Werkzeug debugger runs arbitrary code for whoever reaches it.
        raise ConfigurationError("Debug mode must be off in production (unset FLASK_DEBUG and DEBUG)")

    # Every {{ value }} in every template loses text-direction overrides and isolates
    # (U+202A-U+202E, U+2066-U+2069): stored text cannot display as something else.
    app.jinja_env.finalize = neutralise_bidi


def neutralise_bidi(value):  # noqa: ANN001, ANN201
    if isinstance(value, str) and has_bidi_control(value):
        cleaned = strip_bidi_controls(value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def apply_security_headers(resp):  # noqa: ANN001
    """Add the headers to ``resp`` (idempotent; also called by the server-error handler,
    because after_request hooks do not run when the request failed badly)."""
    # One pass over the headers already set (Headers.setdefault scans the list and raises
    # internally for every absent name: measurable on every request).
    present = {name.lower() for name in resp.headers.keys()}
    for name, value in STATIC_HEADERS.items():
        if name.lower() not in present:
            resp.headers.add(name, value)
    if current_app.config.get("SECURITY_HEADERS_HSTS") and "strict-transport-security" not in present:
        resp.headers.add("Strict-Transport-Security", HSTS)
    if not has_request_context() or request.endpoint != "static":
        _no_store(resp)
    return resp


def _no_store(resp) -> None:  # noqa: ANN001
    """Pages and API answers carry officials' data: no browser or proxy keeps a copy.

    A view that chose a private cache policy on purpose keeps it.
    """
    current = resp.headers.get("Cache-Control", "")
    if "no-store" in current or "private" in current:
        return
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
