"""Schemathesis against /api/v1/openapi.json: zero server errors, zero schema violations.

Two passes over one server: a lead department's editor over the reading and reporting
operations, an administrator over the structure operations (tag ``api_structure``: create
and update reports, recommendations, practices, figures, indicators and items, and their
lists), so that writes of both kinds really happen.

A live server (werkzeug, threaded) serves the app on a seeded database — a temporary
SQLite file, or in the PostgreSQL pass a scratch PostgreSQL database, where integers
overflow and NUL is refused — and the schemathesis command line runs all its phases
(coverage: boundary and invalid values of every parameter; fuzzing; stateful: links
between operations) with a fixed seed and a bounded number of examples, as a lead
department's editor with a personal token (so writes really happen).

The CLI is used (not the pytest plugin) because it runs the coverage and stateful phases
and writes a JSON report whose totals the test checks and prints.

Checks: every response must be no server error and must match what the schema declares
(status code, content type, headers, body), undeclared methods must get 405 with Allow.
Not asserted: positive_data_acceptance and negative_data_rejection — the API applies
business rules no schema expresses (no future dates, completed needs evidence, a stale
version is 409) and, like the form, accepts numbers sent as strings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text

from tests.conftest import IS_POSTGRES, ROOT, TEST_DATABASE_URL, _pg_admin_url
from tracker import create_app
from tracker.extensions import db

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
    "response_schema_conformance,unsupported_method,allow_header_conformance"
)
MAX_EXAMPLES = 20
# The structure operations have large bodies: the coverage phase alone gives ~2,400 cases (every
# boundary and wrong type of every field); a few random examples more each keep the run short.
MAX_EXAMPLES_STRUCTURE = 5
SEED = 20261129


@pytest.fixture
def api_server(tmp_path):
    """(base URL, tokens by role): the seeded app on its own database, served from a thread."""
    from werkzeug.serving import make_server

    from seed.loader import load_seed
    from tracker.models import ActionItem, Role, User
    from tracker.services.passwords import hash_password
    from tracker.services.tokens import create_token

    admin_engine = name = None
    if IS_POSTGRES:
        name = f"tracker_fuzz_{uuid.uuid4().hex[:8]}"
        admin_engine = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = "sqlite:///" + str(tmp_path / "fuzz.sqlite3")
    application = create_app(
        "testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "uploads")}
    )
    with application.app_context():
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        item = db.session.scalar(select(ActionItem).order_by(ActionItem.id))
        editor = User(
            email="fuzz-editor@example.org",
            name="Fuzz",
            role=Role.EDITOR,
            department_id=item.lead_department_id,
            password_hash=hash_password("fuzz editor passphrase"),
        )
        admin = User(
            email="fuzz-admin@example.org",
            name="Fuzz admin",
            role=Role.ADMIN,
            password_hash=hash_password("fuzz admin passphrase"),
        )
        db.session.add_all([editor, admin])
        db.session.flush()
        raw = {"editor": create_token(editor, "schemathesis")[1], "admin": create_token(admin, "schemathesis")[1]}
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-fuzz-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", raw
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


def _schemathesis(base: str, token: str, tmp_path: Path, name: str, max_examples: int, *selection: str) -> dict:
    """Run the schemathesis CLI over the selected operations; the JSON report, checked for zero failures."""
    report = tmp_path / f"schemathesis-{name}.json"
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        # Hypothesis' too_slow health check measures the machine, not the API (CI shares two cores).
        "--suppress-health-check",
        "too_slow",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *selection,
    ]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert report.exists(), done.stdout[-4000:] + done.stderr[-2000:]
    result = json.loads(report.read_text())
    cases = result["test_cases"]
    summary = (
        f"schemathesis ({name}): {cases['generated']} cases over {result['operations']['tested']} operations "
        f"in {result['running_time']:.0f}s, {cases['with_failures']} with failures, {cases['errored']} errored"
    )
    print(summary)
    assert done.returncode == 0 and result["exit_code"] == 0, summary + "\n" + done.stdout[-6000:]
    assert result["failures"] == [] and result["errors"] == [], summary
    assert cases["with_failures"] == 0
    assert {p: v["status"] for p, v in result["phases"].items() if p != "examples"} == {
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "success",
    }
    return result


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_server, tmp_path):
    """Two passes on one server: a lead department's editor over the reading and reporting operations (their
    writes really happen), an administrator over the structure operations (creates and updates really
    happen: reports, recommendations, practices, figures, indicators, items)."""
    base, tokens = api_server
    editor = _schemathesis(base, tokens["editor"], tmp_path, "editor", MAX_EXAMPLES, "--exclude-tag", "api_structure")
    assert editor["operations"]["tested"] >= 10 and editor["test_cases"]["generated"] >= 300
    admin = _schemathesis(
        base, tokens["admin"], tmp_path, "admin", MAX_EXAMPLES_STRUCTURE, "--include-tag", "api_structure"
    )
    assert admin["operations"]["tested"] >= 19 and admin["test_cases"]["generated"] >= 300
