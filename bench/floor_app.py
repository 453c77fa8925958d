"""The bare floor of the page benchmark: a Flask app with one route doing one query and
rendering one cached template, no extensions, no hooks, no middleware.

    BENCH_DATABASE_URL=sqlite:////tmp/tracker-bench.sqlite gunicorn -w 2 bench.floor_app:app

``/healthz`` here answers what the tracker's own ``/healthz`` answers (one query, a small
JSON body), so the two show what the tracker's per-request machinery costs; ``/page`` is
the same query rendered through a Jinja template.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

app = Flask(__name__)
_url = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/tracker-bench.sqlite")
engine = create_engine(_url, pool_size=5) if not _url.startswith("sqlite") else create_engine(_url)
PAGE = app.jinja_env.from_string("<!doctype html><title>floor</title><p>database {{ n }}</p>")  # compiled once


def _one_query() -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


@app.get("/healthz")
def healthz():
    return jsonify(status="ok", database="ok" if _one_query() == 1 else "error")


@app.get("/page")
def page():
    return PAGE.render(n=_one_query())
