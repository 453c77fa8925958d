"""Authorization matrix: every rule of the URL map, for every kind of caller.

HOW TO CLASSIFY A NEW ROUTE (the test fails with "classify this route" until you do):
  1. Add one line to EXPECTED below: (endpoint, METHOD): (anon, lead, other, reviewer, viewer, admin)
     with the HTTP status each caller must get, in that order:
       anon      not signed in (pages: 302 to the login page, API: 401)
       lead      editor of the item's lead department (WRB)
       other     editor of another department (EDU)
       reviewer, viewer, admin
     Use the named constants (LOGIN, UNAUTH, OK, FORBIDDEN...) where they fit.
  2. If the URL has a parameter this file does not know yet, add it to url_values() (built
     from the seeded world in _world()). GET rules run all six callers on one world; for
     POST (and other writes) the database is emptied and the world rebuilt before each
     caller, so a successful write cannot change what the next caller sees. POSTs send an empty form / JSON body: the table checks who
     gets through, not what a valid submission does.
Only ``static`` is skipped.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from tests.conftest import IS_POSTGRES
from tests.factories import Factory, sign_in
from tests.update_world import build_world, tiny_pdf
from tracker.extensions import db
from tracker.models import PracticeFigure, ReferencePractice
from tracker.services import drafting, tokens, updates, uploads
from tracker.services import review as review_ops

ROLES = ("anon", "lead", "other", "reviewer", "viewer", "admin")
LOGIN = 302  # page, not signed in: redirect to the login page
UNAUTH = 401  # API, not signed in
OK = 200
CREATED = 201
REDIRECT = 302  # done (or nothing to do), go elsewhere
BAD = 400  # signed in and allowed, but the empty request is malformed
FORBIDDEN = 403
NOT_FOUND = 404  # e.g. someone else's token: existence not revealed
METHOD_NOT_ALLOWED = 405
INVALID = 422  # allowed; the empty form is refused by the rules
ALL_PAGES = (LOGIN, OK, OK, OK, OK, OK)
ALL_API = (UNAUTH, OK, OK, OK, OK, OK)
ADMIN_PAGE = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
ADMIN_POST = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT)
ADMIN_FORM_POST = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, INVALID)
PRECONDITION_REQUIRED = 428  # an API update without If-Match
API_ADMIN_CREATE = (UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, INVALID)
API_ADMIN_UPDATE = (UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, PRECONDITION_REQUIRED)

EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    # --- sign-in and the user's own account (auth, account) ---
    ("auth.login", "GET"): (OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("auth.login", "POST"): (OK, OK, OK, OK, OK, OK),  # empty form: shown again with the error
    ("auth.logout", "POST"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("auth.tokens", "GET"): ALL_PAGES,
    ("auth.tokens", "POST"): (LOGIN, INVALID, INVALID, INVALID, INVALID, INVALID),
    ("auth.revoke_token", "POST"): (LOGIN, REDIRECT, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    ("account.index", "GET"): ALL_PAGES,
    ("dates.parse", "GET"): ALL_PAGES,  # the live hint under date inputs (tracker/web/datefield.py)
    ("account.change_password", "GET"): ALL_PAGES,
    ("account.change_password", "POST"): (LOGIN, INVALID, INVALID, INVALID, INVALID, INVALID),
    ("account.two_factor", "GET"): ALL_PAGES,
    ("account.two_factor", "POST"): (LOGIN, INVALID, INVALID, INVALID, INVALID, INVALID),
    ("account.disable_two_factor", "POST"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("account.recovery_codes", "POST"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("account.sign_out_others", "POST"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("account.verify", "GET"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    ("account.verify", "POST"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    # --- read pages ---
    ("reports.home", "GET"): (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),  # to each role's work
    ("reports.index", "GET"): ALL_PAGES,
    ("reports.report", "GET"): ALL_PAGES,
    ("reports.recommendation", "GET"): ALL_PAGES,
    ("reports.action_item", "GET"): ALL_PAGES,
    ("actions.history", "GET"): ALL_PAGES,
    ("actions.attachment", "GET"): ALL_PAGES,
    # --- department work ---
    ("mydept.index", "GET"): (LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    ("actions.new_update", "GET"): (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("actions.new_update", "POST"): (LOGIN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("actions.withdraw_update", "POST"): (LOGIN, REDIRECT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("actions.new_note", "GET"): (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("actions.new_note", "POST"): (LOGIN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # --- review (reviewers and admins) ---
    ("review.queue", "GET"): (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    ("review.approve", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT),
    ("review.return_update", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, INVALID, FORBIDDEN, INVALID),
    ("review.batch", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, BAD, FORBIDDEN, BAD),
    ("review.decision", "GET"): (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    ("review.decision", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, INVALID, FORBIDDEN, INVALID),
    ("review.adoption", "GET"): (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    ("review.adoption", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, INVALID, FORBIDDEN, INVALID),
    ("review.confirm_departments", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT),
    ("review.changes", "GET"): (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    ("review.year_end", "GET"): (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    ("review.year_end", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, REDIRECT),
    # --- dashboard: every signed-in role reads the whole picture (departments included) ---
    ("dashboard.index", "GET"): ALL_PAGES,
    ("dashboard.benchmark_page", "GET"): ALL_PAGES,
    ("dashboard.flagged", "GET"): ALL_PAGES,
    ("periods.index", "GET"): ALL_PAGES,
    # --- annual summary exports (reviewers, viewers, admins) ---
    ("exports.index", "GET"): ALL_PAGES,
    ("exports.download", "GET"): ALL_PAGES,
    # --- filed annual summaries: everyone reads; reviewers and admins file and reopen ---
    ("filing.index", "GET"): ALL_PAGES,
    ("filing.download", "GET"): (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),  # no ?id=
    ("filing.file", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, BAD, FORBIDDEN, BAD),
    ("filing.reopen", "POST"): (LOGIN, FORBIDDEN, FORBIDDEN, BAD, FORBIDDEN, BAD),
    # --- administration ---
    ("admin.index", "GET"): ADMIN_PAGE,
    ("admin.users", "GET"): ADMIN_PAGE,
    ("admin.user_new", "GET"): ADMIN_PAGE,
    ("admin.user_new", "POST"): ADMIN_FORM_POST,
    ("admin.user_edit", "GET"): ADMIN_PAGE,
    ("admin.user_edit", "POST"): ADMIN_FORM_POST,
    ("admin.user_deactivate", "POST"): ADMIN_POST,
    ("admin.user_reactivate", "POST"): ADMIN_POST,
    ("admin.departments", "GET"): ADMIN_PAGE,
    ("admin.department_new", "GET"): ADMIN_PAGE,
    ("admin.department_new", "POST"): ADMIN_FORM_POST,
    ("admin.department_edit", "GET"): ADMIN_PAGE,
    ("admin.department_edit", "POST"): ADMIN_FORM_POST,
    ("admin.department_deactivate", "POST"): ADMIN_POST,
    ("admin.department_reactivate", "POST"): ADMIN_POST,
    ("admin.items", "GET"): ADMIN_PAGE,
    ("admin.item_edit", "GET"): ADMIN_PAGE,
    ("admin.item_edit", "POST"): ADMIN_FORM_POST,
    ("admin.audit", "GET"): ADMIN_PAGE,
    # --- public ---
    ("health.healthz", "GET"): (OK, OK, OK, OK, OK, OK),
    # --- portfolio: everyone reads it; administrators write ---
    ("portfolio.index", "GET"): ALL_PAGES,
    ("portfolio.report_new", "GET"): ADMIN_PAGE,
    ("portfolio.report_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.manage", "GET"): ADMIN_PAGE,
    ("portfolio.report_edit", "GET"): ADMIN_PAGE,
    ("portfolio.report_edit", "POST"): ADMIN_FORM_POST,
    ("portfolio.archive", "POST"): ADMIN_POST,  # refused (follow-up open): back to the page with the reason
    ("portfolio.unarchive", "POST"): ADMIN_POST,
    ("portfolio.recommendation_new", "GET"): ADMIN_PAGE,
    ("portfolio.recommendation_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.recommendation_edit", "GET"): ADMIN_PAGE,
    ("portfolio.recommendation_edit", "POST"): ADMIN_FORM_POST,
    ("portfolio.practice_new", "GET"): ADMIN_PAGE,
    ("portfolio.practice_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.practice_edit", "GET"): ADMIN_PAGE,
    ("portfolio.practice_edit", "POST"): ADMIN_FORM_POST,
    ("portfolio.figure_new", "GET"): ADMIN_PAGE,
    ("portfolio.figure_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.figure_edit", "GET"): ADMIN_PAGE,
    ("portfolio.figure_edit", "POST"): ADMIN_FORM_POST,
    ("portfolio.indicator_new", "GET"): ADMIN_PAGE,
    ("portfolio.indicator_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.indicator_edit", "GET"): ADMIN_PAGE,
    ("portfolio.indicator_edit", "POST"): ADMIN_FORM_POST,
    ("portfolio.item_new", "GET"): ADMIN_PAGE,
    ("portfolio.item_new", "POST"): ADMIN_FORM_POST,
    ("portfolio.import_report", "GET"): ADMIN_PAGE,
    ("portfolio.import_report", "POST"): ADMIN_FORM_POST,  # no file: "Choose a file."
    ("portfolio.import_template", "GET"): ADMIN_PAGE,
    # --- bulk status update: department editors ---
    ("bulk.index", "GET"): (LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("bulk.index", "POST"): (LOGIN, INVALID, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN),  # no file
    ("bulk.download", "GET"): (LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # --- report drafts (administrators) ---
    ("drafts.index", "GET"): ADMIN_PAGE,
    ("drafts.upload", "POST"): ADMIN_FORM_POST,  # no file
    ("drafts.review", "GET"): ADMIN_PAGE,
    ("drafts.meta", "POST"): ADMIN_POST,  # nothing to change
    ("drafts.recommendation", "POST"): ADMIN_FORM_POST,  # empty section, title, text
    ("drafts.confirm", "POST"): ADMIN_FORM_POST,  # no code
    ("drafts.discard", "POST"): ADMIN_POST,
    # --- knowledge across reports: search (everyone), tags and links (administrators) ---
    ("knowledge.search", "GET"): ALL_PAGES,
    ("knowledge.tags", "GET"): ADMIN_PAGE,
    ("knowledge.save_rec_sdg", "POST"): ADMIN_POST,  # no targets: cleared
    ("knowledge.save_practice_sdg", "POST"): ADMIN_POST,
    ("knowledge.save_indicator_iso", "POST"): ADMIN_POST,  # no code: cleared
    ("knowledge.link_item", "POST"): ADMIN_FORM_POST,  # no item chosen
    ("knowledge.unlink_item", "POST"): ADMIN_FORM_POST,  # not linked
    # --- API ---
    ("api-docs.openapi_json", "GET"): ALL_API,
    ("api_reports.list_reports", "GET"): ALL_API,
    ("api_reports.get_report", "GET"): ALL_API,
    ("api_reports.list_recommendations", "GET"): ALL_API,
    ("api_reports.get_recommendation", "GET"): ALL_API,
    ("api_reports.get_action_item", "GET"): ALL_API,
    ("api_summary.get_summary", "GET"): ALL_API,
    ("api_updates.ItemUpdates", "GET"): ALL_API,
    ("api_updates.ItemUpdates", "POST"): (UNAUTH, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ("api_updates.get_update", "GET"): ALL_API,
    # Structure: every role reads; only administrators write (403 before the body is read). The empty
    # body misses required fields (422); a PATCH without If-Match is 428.
    ("api_structure.list_practices", "GET"): ALL_API,
    ("api_structure.get_practice", "GET"): ALL_API,
    ("api_structure.list_figures", "GET"): ALL_API,
    ("api_structure.get_figure", "GET"): ALL_API,
    ("api_structure.list_indicators", "GET"): ALL_API,
    ("api_structure.get_indicator", "GET"): ALL_API,
    ("api_structure.list_action_items", "GET"): ALL_API,
    ("api_structure.create_report", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_report", "PATCH"): API_ADMIN_UPDATE,
    ("api_structure.create_recommendation", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_recommendation", "PATCH"): API_ADMIN_UPDATE,
    ("api_structure.create_practice", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_practice", "PATCH"): API_ADMIN_UPDATE,
    ("api_structure.create_figure", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_figure", "PATCH"): API_ADMIN_UPDATE,
    ("api_structure.create_indicator", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_indicator", "PATCH"): API_ADMIN_UPDATE,
    ("api_structure.create_action_item", "POST"): API_ADMIN_CREATE,
    ("api_structure.update_action_item", "PATCH"): API_ADMIN_UPDATE,
    ("api_updates.withdraw", "POST"): (UNAUTH, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}

SKIPPED = {"static"}
SAFE_METHODS = {"GET"}


PDF = tiny_pdf()


def _reset_database() -> None:
    """Empty every table (history tables refuse DELETE, so drop/create or TRUNCATE)."""
    db.session.remove()
    if IS_POSTGRES:
        from sqlalchemy import text

        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        db.drop_all()
        db.create_all()


def _world(factory):
    """The seeded world every rule is checked against (ids in url_values)."""
    w = build_world(factory)
    returned = updates.submit_update(
        w.item,
        w.lead_editor,
        status="in_progress",
        progress=20,
        effective_date="2017-05-31",
        narrative="older",
        based_on_version=w.item.version,
    )
    review_ops.return_update(returned, w.reviewer, "請補充", date(2017, 7, 1))
    pending = updates.submit_update(
        w.item,
        w.lead_editor,
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=w.item.version,
        files=[uploads.IncomingFile("evidence.pdf", PDF)],
    )
    token, _raw = tokens.create_token(w.lead_editor, "matrix")
    target_user = factory.user("viewer", email="target@example.org")
    practice = ReferencePractice(
        recommendation_id=w.item.recommendation_id,
        code="P1",
        section="二",
        place_zh="地",
        place_en="Place",
        title_zh="作法",
        title_en="Practice",
    )
    db.session.add(practice)
    db.session.flush()
    figure = PracticeFigure(practice_id=practice.id, code="F1", label_zh="數", label_en="Figure", section="二")
    db.session.add(figure)
    spare_dept = factory.department("SPARE")
    draft = drafting.create_draft("matrix.txt", "一、建議\n(一) 甲項\n內容。\n".encode(), w.admin)
    db.session.commit()
    w.extra = {
        "practice": practice,
        "figure": figure,
        "pending": pending,
        "token": token,
        "target_user": target_user,
        "spare_dept": spare_dept,
        "draft": draft,
    }
    return w


def url_values(w) -> dict[str, int]:
    """A value for every URL parameter name used in the URL map."""
    rec = w.item.recommendation
    return {
        "item_id": w.item.id,
        "update_id": w.extra["pending"].id,
        "attachment_id": w.extra["pending"].attachments[0].id,
        "token_id": w.extra["token"].id,
        "user_id": w.extra["target_user"].id,
        "department_id": w.extra["spare_dept"].id,
        "report_id": rec.report_id,
        "rec_id": rec.id,
        "recommendation_id": rec.id,
        "practice_id": w.extra["practice"].id,
        "figure_id": w.extra["figure"].id,
        "indicator_id": w.indicator.id,
        "fmt": "xlsx",
        "draft_id": w.extra["draft"].id,
        "index": 0,
    }


def _user_for(w, role: str):
    return {
        "lead": w.lead_editor,
        "other": w.other_editor,
        "reviewer": w.reviewer,
        "viewer": w.viewer,
        "admin": w.admin,
        "anon": None,
    }[role]


def _rules(app):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method))
    return sorted(out)


def _call(app, w, endpoint: str, method: str, role: str) -> int:
    client = app.test_client()
    user = _user_for(w, role)
    if user is not None:
        sign_in(client, user)
    with app.test_request_context():
        rule = next(r for r in app.url_map.iter_rules(endpoint=endpoint))
        values = {k: v for k, v in url_values(w).items() if k in rule.arguments}
        url = url_for(endpoint, **values)
    if method == "GET":
        resp = client.get(url)
    elif url.startswith("/api/"):
        resp = client.open(url, method=method, json={})
    else:
        resp = client.open(url, method=method, data={})
    if role == "anon" and resp.status_code == 302:
        assert "/login" in resp.headers["Location"], f"{endpoint} {method}: anonymous redirected elsewhere"
    return resp.status_code


def _all_rules() -> list[tuple[str, str]]:
    from tracker import create_app

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return _rules(app)


ALL_RULES = _all_rules()


def test_every_route_is_classified(app):
    missing = [r for r in _rules(app) if r not in EXPECTED]
    assert not missing, "classify this route in tests/test_authz_matrix.py EXPECTED: " + ", ".join(
        f"{e} {m}" for e, m in missing
    )
    stale = [r for r in EXPECTED if r not in _rules(app)]
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"


GET_RULES = [r for r in ALL_RULES if r[1] in SAFE_METHODS]
WRITE_RULES = [r for r in ALL_RULES if r[1] not in SAFE_METHODS]


@pytest.mark.parametrize("endpoint,method", GET_RULES, ids=[f"{e}-{m}" for e, m in GET_RULES])
def test_read_rule(app, factory, endpoint, method):
    if (endpoint, method) not in EXPECTED:
        pytest.fail(f"classify this route: {endpoint} {method}")
    w = _world(factory)
    got = tuple(_call(app, w, endpoint, method, role) for role in ROLES)
    if os.environ.get("AUTHZ_PRINT"):
        print(f"\n    ({endpoint!r}, {method!r}): {got},")
    assert got == EXPECTED[(endpoint, method)], dict(zip(ROLES, got, strict=False))


@pytest.mark.parametrize("endpoint,method", WRITE_RULES, ids=[f"{e}-{m}" for e, m in WRITE_RULES])
def test_write_rule(app, endpoint, method):
    if (endpoint, method) not in EXPECTED:
        pytest.fail(f"classify this route: {endpoint} {method}")
    got = []
    for role in ROLES:
        _reset_database()
        w = _world(Factory(db.session))
        got.append(_call(app, w, endpoint, method, role))
    got = tuple(got)
    if os.environ.get("AUTHZ_PRINT"):
        print(f"\n    ({endpoint!r}, {method!r}): {got},")
    assert got == EXPECTED[(endpoint, method)], dict(zip(ROLES, got, strict=False))


def test_refusals_are_in_the_audit_log(app, factory):
    from tracker.models import AuditLog

    w = _world(factory)
    _call(app, w, "admin.users", "GET", "viewer")
    _call(app, w, "actions.new_update", "POST", "other")
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action.in_(["access.denied", "update.denied"]))).all()
    assert {(r.action, r.user_id) for r in rows} >= {
        ("access.denied", w.viewer.id),
        ("access.denied", w.other_editor.id),
    }
