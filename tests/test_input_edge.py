"""Input the outside probe used to cause server errors, refused at the edge with a 4xx
(tracker/inputs.py): ids and numbers beyond the database's integer, Unicode digits, NUL
and lone surrogates, overflowing dates, JSON nested too deep, non-JSON bodies on the
API, text-direction controls; and the smaller findings (405 with Allow, CSV charset,
X-Request-Id). Each case runs on SQLite and on PostgreSQL (where the numbers overflow)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.update_world import update_form
from tracker.errors import NotFound
from tracker.extensions import db
from tracker.inputs import MAX_INT, json_too_deep, load_or_404, parse_id, parse_int, parse_iso_date
from tracker.models import AuditLog, Department, ItemNote, LoginThrottle, StatusUpdate, User

HUGE = ["2147483648", "99999999999999999999", "9223372036854775808"]
UNICODE_DIGITS = ["²", "１２", "١٢٣", "٣"]
NOT_IDS = ["0", "-1", "+1", "1_000", " 1", "1.0", "0x1"]


def _int_rules(app):
    """Every URL rule with an <int:...> part, with the names of those parts."""
    for rule in app.url_map.iter_rules():
        names = [name for name, conv in rule._converters.items() if type(conv).__name__ == "BoundedIntConverter"]
        if names:
            yield rule, names


def _path(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", value)
    return path


# --- the shared parsers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_INT), MAX_INT),
        (7, 7),
        (7.0, 7),
        (str(MAX_INT + 1), None),
        (MAX_INT + 1, None),
        ("²", None),
        ("１２", None),
        ("١٢", None),
        ("0", None),
        ("-3", None),
        ("1_000", None),
        (True, None),
        (1.5, None),
        ("", None),
        (None, None),
        ([1], None),
    ],
)
def test_parse_id_accepts_only_ascii_digits_in_range(raw, expected):
    assert parse_id(raw) == expected


def test_parse_int_is_bounded_both_ways():
    assert parse_int("-2147483647") == -MAX_INT
    assert parse_int("-2147483648") is None
    assert parse_int(10**30) is None


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01",
        "9999-12-31",
        "1899-12-31",
        "3000-01-01",
        "２０１７-０１-０１",
        "2017-1-1",
        "20170101",
        "2017-02-30",
    ],
)
def test_dates_outside_1900_to_2999_or_badly_written_are_refused(raw):
    assert parse_iso_date(raw) is None


def test_json_depth_scan_skips_brackets_inside_strings():
    assert json_too_deep(b"[" * 40 + b"]" * 40)
    assert not json_too_deep(b'{"a": "' + b"[" * 500 + b'"}')
    assert not json_too_deep(b"[" * 32 + b"]" * 32)


# --- ids in paths: the bounded converter ------------------------------------------------------


def test_every_int_route_uses_the_bounded_converter(app):
    rules = list(_int_rules(app))
    assert len(rules) >= 25, [r.rule for r, _ in rules]
    every_int = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(every_int) == len(rules)


@pytest.mark.parametrize("value", HUGE + UNICODE_DIGITS + NOT_IDS[:2] + ["%C2%B2", "%EF%BC%91"])
def test_an_id_that_cannot_exist_is_404_without_a_query(app, client, count_queries, value):
    for rule, names in _int_rules(app):
        for name in names:
            values = {n: ("1" if n != name else value) for n in names}
            method = "GET" if "GET" in rule.methods else "POST"
            with count_queries() as counter:
                resp = client.open(_path(rule, values), method=method)
            assert resp.status_code == 404, (rule.rule, value, resp.status_code)
            assert counter.count == 0, (rule.rule, counter.statements)
            if rule.rule.startswith("/api/"):
                assert resp.json["error"]["status"] == 404


def test_load_or_404_is_the_page_404_or_the_api_not_found(app, factory, count_queries):
    """The one loader: a row, else abort(404) for a page, else NotFound with the caller's words."""
    from sqlalchemy.orm import selectinload
    from werkzeug.exceptions import NotFound as PageNotFound

    dept_id = factory.department().id
    db.session.commit()
    db.session.expunge_all()
    with app.test_request_context("/"):
        loaded = load_or_404(Department, str(dept_id), selectinload(Department.users))
        assert loaded.id == dept_id
        assert "users" in loaded.__dict__  # the loader options were applied
        with pytest.raises(PageNotFound):
            load_or_404(Department, dept_id + 1000)
        with pytest.raises(NotFound) as caught:
            load_or_404(Department, dept_id + 1000, message="There is no department.", field="department")
        assert (caught.value.message, caught.value.field, caught.value.status_code) == (
            "There is no department.",
            "department",
            404,
        )
        with count_queries() as counter, pytest.raises(PageNotFound):
            load_or_404(Department, "2147483648")
        assert counter.count == 0


def test_impossible_ids_are_404_for_a_signed_in_administrator_too(app, client, login, factory):
    login(factory.user("admin"))
    for rule, names in _int_rules(app):
        values = {n: "2147483648" for n in names}
        method = "GET" if "GET" in rule.methods else "POST"
        assert client.open(_path(rule, values), method=method).status_code == 404, rule.rule


def test_the_openapi_document_declares_the_id_range(client, login, factory):
    login(factory.user("viewer"))
    spec = client.get("/api/v1/openapi.json").json
    item_param = next(
        p for p in spec["paths"]["/api/v1/action-items/{item_id}"]["parameters"] if p["name"] == "item_id"
    )
    assert item_param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_INT}


# --- numbers in query strings, forms and JSON ---------------------------------------------------


@pytest.fixture
def signed_in_admin(client, login, world):
    return login(world.admin)


@pytest.fixture
def report_id(world):
    return world.item.recommendation.report_id


def test_report_filter_beyond_any_id_is_not_found(client, signed_in_admin, report_id):
    for value in HUGE:
        for path in ("/dashboard/", "/review/changes", "/api/v1/recommendations", "/api/v1/summary"):
            resp = client.get(path, query_string={"report": value})
            assert resp.status_code == 404, (path, value, resp.status_code)
    assert client.get("/dashboard/", query_string={"report": str(report_id)}).status_code == 200


def test_report_filter_with_unicode_digits_is_refused(client, signed_in_admin):
    for value in ["²", "١٢", "２", "1_000", "1.5"]:
        assert client.get("/dashboard/", query_string={"report": value}).status_code == 404  # no such code
        assert client.get("/review/changes", query_string={"report": value}).status_code == 404
        for path in ("/api/v1/recommendations", "/api/v1/summary"):
            resp = client.get(path, query_string={"report": value})
            assert resp.status_code == 400 and resp.json["error"]["field"] == "report", (path, value)


def test_export_with_an_impossible_report_id_names_the_field(client, signed_in_admin):
    for value in ("2147483648", "²"):
        resp = client.get(
            "/exports/download", query_string={"report": value, "year": "2017", "format": "csv", "language": "en"}
        )
        assert resp.status_code == 400


def test_audit_page_number_is_bounded(client, signed_in_admin):
    for page in ["99999999999999999999", "2147483648", "٣", "0", "-1"]:
        assert client.get("/admin/audit", query_string={"page": page}).status_code == 400, page
    assert client.get("/admin/audit", query_string={"page": "3"}).status_code == 200


def test_corrects_on_the_forms_cannot_name_an_impossible_update(client, login, world):
    login(world.lead_editor)
    for value in HUGE + ["²", "١"]:
        _corrects_refused(client, world, value)


def _corrects_refused(client, world, value):
    for form in ("updates", "notes"):
        resp = client.get(f"/items/{world.item.id}/{form}/new", query_string={"corrects": value})
        assert resp.status_code == 404, (form, value)
    resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world, corrects_id=value))
    assert resp.status_code == 422
    resp = client.post(
        f"/items/{world.item.id}/notes/new",
        data={"body": "協辦意見", "effective_date": "2017-06-30", "corrects_id": value},
    )
    assert resp.status_code == 422


def test_batch_review_with_impossible_ids_is_400(client, login, factory, world):
    login(world.reviewer)
    resp = client.post(
        "/review/batch", data={"action": "approve", "update_ids": ["2147483648"], "effective_date": "2017-07-01"}
    )
    assert resp.status_code == 400
    resp = client.post("/review/batch", data={"action": "approve", "update_ids": ["١"], "effective_date": "2017-07-01"})
    assert resp.status_code == 400


def _api_body(world, **overrides):
    body = {
        "status": "in_progress",
        "progress": 40,
        "effective_date": "2017-06-30",
        "narrative": "完成規劃",
        "version": world.item.version,
    }
    body.update(overrides)
    return body


def test_json_numbers_beyond_the_database_are_422(client, login, world):
    login(world.lead_editor)
    for field, value in [
        ("version", 2147483648),
        ("version", "2147483648"),
        ("version", 10**20),
        ("version", "١"),
        ("corrects_id", 9481928958),
        ("corrects_id", "²"),
        ("progress", 10**20),
        ("measurements", [{"indicator_id": 2**40, "value": 1, "measured_on": "2017-06-01"}]),
        ("measurements", [{"indicator_id": 1, "value": "1e999999", "measured_on": "2017-06-01"}]),
        ("measurements", [{"indicator_id": 1, "value": "١٢", "measured_on": "2017-06-01"}]),
    ]:
        body = _api_body(world, **{field: value})
        resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", json=body)
        assert resp.status_code == 422, (field, value, resp.json)
        assert resp.json["error"]["errors"]
    assert db.session.scalar(select(StatusUpdate.id)) is None


def test_if_match_beyond_any_version_is_400(client, login, world):
    login(world.lead_editor)
    body = _api_body(world)
    del body["version"]
    for tag in [
        'W/"item-{id}-v2147483648"',
        'W/"item-2147483648-v1"',
        'W/"item-{id}-v١"',
        'W/""',
        '"item-{id}-v99999999999999999999"',
    ]:
        resp = client.post(
            f"/api/v1/action-items/{world.item.id}/updates",
            json=body,
            headers={"If-Match": tag.format(id=world.item.id)},
        )
        assert resp.status_code == 400 and resp.json["error"]["field"] == "If-Match", tag


def test_totp_code_in_arabic_indic_digits_is_a_counted_failure(app, client, factory):
    """ "١٢٣٤٥٦".isdigit() is true; compare_digest raised TypeError and the try was not counted."""
    from tracker.services import totp

    user = factory.user("reviewer")
    secret = totp.new_secret()
    user.totp_secret, user.totp_enabled = secret, True
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    for code in ("١٢٣٤٥٦", "１２３４５６", "²²²²²²"):
        resp = client.post("/account/verify", data={"code": code})
        assert resp.status_code == 422
    failures = db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.email == f"2fa:{user.id}"))
    assert failures == 3
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "login.second_factor_failure")) is not None


# --- text that cannot be stored -------------------------------------------------------------

BAD_TEXT = ["a\x00b", "\x00"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_nul_in_form_fields_is_400_with_a_clear_message(client, login, world, text):
    login(world.lead_editor)
    resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world, narrative=text))
    assert resp.status_code == 400
    assert "NUL" in resp.get_data(as_text=True)
    resp = client.post(f"/items/{world.item.id}/notes/new", data={"body": text, "effective_date": "2017-06-30"})
    assert resp.status_code == 400
    resp = client.post("/account/tokens", data={"name": text, "password": "x"})
    assert resp.status_code == 400
    assert db.session.scalar(select(ItemNote.id)) is None


def test_nul_in_query_strings_and_sign_in_is_400(client, login, factory):
    assert client.post("/login", data={"email": "a\x00@example.org", "password": "whatever"}).status_code == 400
    login(factory.user("admin"))
    for path in (
        "/admin/users?q=a%00b",
        "/admin/items?q=%00",
        "/my-department/?q=%00",
        "/admin/audit?user=%00",
        "/dashboard/?report=%00",
    ):
        resp = client.get(path)
        assert resp.status_code == 400, path
        assert resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"narrative": "a\\u0000b"}',
        '{"narrative": "\\ud800"}',
        '{"narrative": "\\udfff x"}',
        '{"x\\u0000": 1}',
        '{"measurements": [{"source_note": "\\ud83d"}]}',
    ],
)
def test_nul_and_lone_surrogates_in_json_are_400_json(client, login, world, raw):
    login(world.lead_editor)
    resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", data=raw, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "invalid_text" and resp.json["error"]["request_id"]


def test_a_proper_surrogate_pair_is_fine(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        f"/api/v1/action-items/{world.item.id}/updates",
        data='{"status": "in_progress", "progress": 40, "effective_date": "2017-06-30", '
        f'"narrative": "\\ud83d\\udca7 water", "version": {world.item.version}}}',
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.json


# --- dates that overflow --------------------------------------------------------------------


def test_dates_that_would_overflow_are_400(client, signed_in_admin, report_id):
    for path in [
        "/review/changes?since=0001-01-01",
        "/admin/audit?date_to=9999-12-31",
        "/admin/audit?date_from=0001-01-01",
        "/dashboard/?as_of=0001-01-01",
        "/reports/{report}?as_of=0001-01-01",
        "/api/v1/reports?as_of=0001-01-01",
        "/api/v1/summary?as_of=1899-12-31",
    ]:
        resp = client.get(path.format(report=report_id))
        assert resp.status_code == 400, path


def test_update_dates_outside_the_range_are_422(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        f"/api/v1/action-items/{world.item.id}/updates",
        json=_api_body(
            world, measurements=[{"indicator_id": world.indicator.id, "value": 1, "measured_on": "0001-01-01"}]
        ),
    )
    assert resp.status_code == 422 and "measurements.0.measured_on" in resp.json["error"]["errors"]


# --- JSON bodies ----------------------------------------------------------------------------


def test_json_nested_ten_thousand_deep_is_400(client, login, world):
    login(world.lead_editor)
    for raw in ("[" * 10000 + "]" * 10000, '{"a":' * 10000 + "1" + "}" * 10000):
        resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", data=raw, content_type="application/json")
        assert resp.status_code == 400 and resp.json["error"]["code"] == "json_too_deep"


def test_invalid_json_is_400(client, login, world):
    login(world.lead_editor)
    resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", data="{nope", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_non_json_bodies_on_the_api_are_415(client, login, world, content_type):
    login(world.lead_editor)
    kwargs = {"data": "narrative=x"} if content_type is None else {"data": "narrative=x", "content_type": content_type}
    resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", **kwargs)
    assert resp.status_code == 415 and resp.json["error"]["code"] == "unsupported_media_type"


def test_narrative_that_is_not_text_is_422_and_not_stored(client, login, world):
    login(world.lead_editor)
    for narrative in [["a", "b"], {"a": 1}, 42, True]:
        resp = client.post(f"/api/v1/action-items/{world.item.id}/updates", json=_api_body(world, narrative=narrative))
        assert resp.status_code == 422 and "narrative" in resp.json["error"]["errors"], narrative
    assert db.session.scalar(select(StatusUpdate.id)) is None


# --- text-direction controls --------------------------------------------------------------

RLO = "\u202e"
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_bidi_controls_are_refused_in_narratives_with_a_field_message(client, login, world):
    login(world.lead_editor)
    for char in BIDI:
        resp = client.post(
            f"/api/v1/action-items/{world.item.id}/updates",
            json=_api_body(world, narrative=f"approved {char}devorppa ton"),
        )
        assert resp.status_code == 422 and "narrative" in resp.json["error"]["errors"], hex(ord(char))
        resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world, reason=f"x{char}y"))
        assert resp.status_code == 422 and "U+202A" in resp.get_data(as_text=True), hex(ord(char))


def test_bidi_controls_are_refused_in_names_notes_tokens_and_review_texts(client, login, world):
    login(world.support_editor)
    resp = client.post(
        f"/items/{world.item.id}/notes/new", data={"body": f"ok{RLO}kcab", "effective_date": "2017-06-30"}
    )
    assert resp.status_code == 422
    login(world.admin)
    resp = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.org",
            "name": f"Admin{RLO}",
            "role": "viewer",
            "password": "a long enough passphrase here",
        },
    )
    assert resp.status_code == 422 and db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    resp = client.post("/admin/departments/new", data={"code": "NEW", "name_zh": f"新{RLO}局", "name_en": "New"})
    assert resp.status_code == 422 and db.session.scalar(select(Department).where(Department.code == "NEW")) is None
    resp = client.post("/account/tokens", data={"name": f"script{RLO}", "password": "correct horse battery staple"})
    assert resp.status_code == 422
    login(world.reviewer)
    resp = client.post(
        f"/review/items/{world.item.id}/decision",
        data={"decision": "continue", "reason": f"ok{RLO}", "effective_date": "2017-07-01"},
    )
    assert resp.status_code == 422


def test_bidi_controls_already_stored_do_not_reach_the_page(client, login, world):
    world.lead.name_zh = f"水利局{RLO}局利水"
    world.admin.name = f"{RLO}nimda"
    db.session.commit()
    login(world.admin)
    for path in (f"/action-items/{world.item.id}", "/admin/departments", "/admin/users"):
        html = client.get(path).get_data(as_text=True)
        assert not any(ch in html for ch in BIDI), path
    assert "水利局局利水" in client.get("/admin/departments").get_data(as_text=True)


# --- the smaller findings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("TRACE", "/api/v1/reports"),
        ("PUT", "/api/v1/reports"),
        ("DELETE", "/api/v1/action-items/1/updates"),
        ("PATCH", "/login"),
        ("PUT", "/account/tokens"),
    ],
)
def test_405_answers_carry_allow(client, login, factory, method, path):
    login(factory.user("viewer"))
    resp = client.open(path, method=method)
    assert resp.status_code == 405
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert "GET" in allowed or "POST" in allowed
    assert resp.headers["Content-Security-Policy"] and resp.headers["X-Request-Id"]


@pytest.mark.parametrize(
    "supplied, kept",
    [
        ("abc123", True),
        ("8f14e45f-ceea-467f-a0e6-3a1a6d2b1c9e", True),
        ("req.42_x", True),
        ("abc] user=1 admin: forged", False),
        ("a" * 65, False),
        ("", False),
        ("-leading", False),
        ("ümlaut", False),
        ("a b", False),
    ],
)
def test_request_id_is_taken_only_as_a_short_safe_token(client, supplied, kept):
    resp = client.get("/login", headers={"X-Request-Id": supplied} if "\n" not in supplied else {})
    if "\n" in supplied:
        return
    echoed = resp.headers["X-Request-Id"]
    assert (echoed == supplied) is kept
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", echoed)


def test_csv_download_says_charset_once(client, signed_in_admin, report_id):
    resp = client.get(
        "/exports/download", query_string={"report": report_id, "year": "2017", "format": "csv", "language": "en"}
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("locale", ["a" * 5000, "fr", "zh_TW\x01"])
def test_an_account_language_outside_the_list_is_422_not_a_database_error(client, login, world, locale):
    """Found by tests/test_fuzz_routes.py on PostgreSQL: user_account.locale holds 8 characters."""
    login(world.admin)
    resp = client.post(
        f"/admin/users/{world.viewer.id}",
        data={"email": world.viewer.email, "name": "V", "role": "viewer", "department": "", "locale": locale},
    )
    assert resp.status_code == 422 and 'id="locale-error"' in resp.get_data(as_text=True)
    resp = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.org",
            "role": "viewer",
            "locale": locale,
            "password": "a long enough passphrase here",
        },
    )
    assert resp.status_code == 422 and db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    resp = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.org",
            "role": "viewer",
            "locale": "en",
            "password": "a long enough passphrase here",
        },
    )
    assert resp.status_code == 302
    assert db.session.scalar(select(User.locale).where(User.email == "new@example.org")) == "en"
