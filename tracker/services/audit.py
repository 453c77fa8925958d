"""Audit trail: every write and every login success or failure.

``record_event`` adds a row to the session (the caller's single commit stores it
with the change itself, so an audit row never exists for a rolled-back write).
Summaries must never contain secrets: pass only the fields that changed.
"""

from __future__ import annotations

import json
from typing import Any

from ..extensions import db
from ..models import AuditLog

SECRET_KEYS = {
    "password",
    "password_hash",
    "token",
    "token_hash",
    "totp_secret",
    "code",
    "code_hash",
    "csrf_token",
    "secret",
}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if k.lower() in SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an edit changed, for its audit row: ``before`` and ``after`` (snapshots of the same
    fields) cut down to the fields whose value differs; both empty when nothing changed."""
    keys = [k for k in after if after[k] != before.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record_event(
    action: str,
    *,
    user: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
    actor: str = "",
    ip: str = "",
    request_id: str = "",
    note: str = "",
) -> AuditLog:
    """Add an audit row for ``action`` (e.g. "update.submit", "login.failure"); flushes nothing."""
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = object_id or getattr(obj, "id", "")
    summary: dict[str, Any] = {}
    if before:
        summary["before"] = _scrub(before)
    if after:
        summary["after"] = _scrub(after)
    if note:
        summary["note"] = note
    if not ip or not request_id:
        ip, request_id = ip or _request_ip(), request_id or _request_id()
    row = AuditLog(
        user_id=getattr(user, "id", None),
        actor=actor or getattr(user, "email", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        summary=json.dumps(summary, ensure_ascii=False, default=str, sort_keys=True),
        ip=ip,
        request_id=request_id,
    )
    db.session.add(row)
    return row


def _request_ip() -> str:
    try:
        from flask import request

        return request.remote_addr or ""
    except RuntimeError:
        return ""


def _request_id() -> str:
    try:
        from flask import g

        return g.get("request_id", "") or ""
    except RuntimeError:
        return ""
