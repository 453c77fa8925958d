"""``/healthz``: is the application up and its database reachable (for load balancers and
monitoring, and the app's floor in the page benchmark: one query through every hook every
request pays for). Public, no session needed, never cached."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .authn import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        with db.engine.connect() as conn:  # no ORM session: nothing to tear down
            ok = conn.execute(text("SELECT 1")).scalar_one() == 1
    except SQLAlchemyError:
        log.exception("health check: the database is unreachable")
        ok = False
    resp = jsonify(status="ok" if ok else "error", database="ok" if ok else "unreachable")
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
