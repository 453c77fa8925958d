"""HTTP security headers on every response, and the debug guard.

The policy is strict on purpose: the app ships no inline script or style, so the CSP
needs no 'unsafe-inline' and an injected <script> or style= attribute simply does
not run (ASVS 4.0 V14.4).
"""
from __future__ import annotations

from flask import Flask, request
from flask.helpers import get_debug_flag

from . import ConfigurationError

CONTENT_SECURITY_POLICY = "; ".join([
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
])

# Features the tracker never uses; denying them limits what injected content could do.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
        "payment", "usb", "browsing-topics",
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


def init_security(app: Flask) -> None:
    """Refuse debug mode in production and add the security headers to every response."""
    if app.config.get("ENV_NAME") == "production" and (app.debug or get_debug_flag()):
        # The Werkzeug debugger runs arbitrary code for whoever reaches it.
        raise ConfigurationError("Debug mode must be off in production (unset FLASK_DEBUG and DEBUG)")

    @app.after_request
    def _security_headers(resp):  # noqa: ANN001
        for name, value in STATIC_HEADERS.items():
            resp.headers.setdefault(name, value)
        if app.config.get("SECURITY_HEADERS_HSTS"):
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
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
