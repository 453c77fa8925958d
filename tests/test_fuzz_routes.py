"""Property: no input makes any page answer 5xx.

For every URL rule of the app (web and API), one test in two parts:

* a sweep: each query argument the endpoint reads and each field of its form gets each
  DANGEROUS value in turn (numbers beyond the database's integer, Unicode digits, NUL,
  text-direction controls, dates that overflow, very long text), as the role that owns
  the page, and every path id gets each PATH_VALUES value;
* Hypothesis: random combinations of path ids, query arguments and form fields drawn
  from HOSTILE values and free text, as every role and signed out (MAX_EXAMPLES per
  rule, derandomized so CI runs the same cases).

Runs on PostgreSQL in the PostgreSQL pass, where integers overflow and NUL is refused by
the database itself.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.factories import sign_in
from tests.update_world import World, build_world
from tracker.extensions import db

MAX_EXAMPLES = 15

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "2147483647",
    "2147483648",
    "-2147483649",
    "99999999999999999999",
    "9" * 400,
    "1e308",
    "1e-999999",
    "NaN",
    "inf",
    "1_000",
    "0x10",
    "²",
    "１２",
    "١٢٣",
    "٣",
    "۴",
    "0001-01-01",
    "9999-12-31",
    "2017-02-30",
    "2017-12-31",
    "1899-12-31",
    "3000-01-01",
    "２０１７-０１-０１",
    "2017-06-30T00:00:00",
    "a\x00b",
    "\x00",
    "\u202e",
    "x\u202ey\u2066",
    "<script>alert(1)</script>",
    "=1+1",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "%",
    "\\",
    "null",
    "[]",
    "{}",
    "😀",
    "\ufeff",
    "\u200b",
    "a" * 5000,
    "javascript:alert(1)",
    "//evil.example",
    "x\r\ny",
    "in_progress",
    "completed",
    "not_feasible",
    "approve",
    "return",
    "continue",
    "release",
    "adopted",
    "editor",
    "admin",
    "zh-TW",
    "en",
    "csv",
    "WRB",
    "R1-A1",
]
PATH_VALUES = [
    "1",
    "2",
    "3",
    "5",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "99999999999999999999",
    "²",
    "１",
    "١٢",
    "1.0",
    "1e3",
    "%00",
    "%C2%B2",
    "%EF%BC%91",
    "%F0%9F%92%A7",
    "abc",
    "01",
    "0000000001",
]
# One of each class the probe found (the HOSTILE list below has more of each).
DANGEROUS = [
    "",
    "-1",
    "2147483648",
    "99999999999999999999",
    "²",
    "١٢٣",
    "1e-999999",
    "0001-01-01",
    "9999-12-31",
    "a\x00b",
    "x\u202ey",
    "a" * 5000,
]
# Query arguments any page reads (and a few it does not).
QUERY_KEYS = [
    "as_of",
    "report",
    "since",
    "page",
    "q",
    "user",
    "action",
    "object_type",
    "object_id",
    "date_from",
    "date_to",
    "corrects",
    "department",
    "sort",
    "status",
    "flag",
    "role",
    "year",
    "format",
    "language",
    "lang",
    "next",
    "x",
]
# What each endpoint reads from the query string (grep request.args / the argument schemas).
ENDPOINT_QUERY = {
    "reports.report": ["as_of"],
    "reports.recommendation": ["as_of"],
    "reports.action_item": ["as_of"],
    "dashboard.index": ["report", "as_of"],
    "dashboard.benchmark_page": ["as_of"],
    "review.changes": ["report", "since"],
    "admin.users": ["q"],
    "admin.items": ["q"],
    "admin.audit": ["user", "action", "object_type", "object_id", "date_from", "date_to", "page"],
    "actions.new_update": ["corrects"],
    "actions.new_note": ["corrects"],
    "mydept.index": ["department", "sort", "status", "flag", "role", "q"],
    "exports.index": ["report", "year", "as_of", "format", "language"],
    "exports.download": ["report", "year", "as_of", "format", "language"],
    "auth.login": ["next"],
    "account.verify": ["next"],
    "portfolio.index": ["year", "department", "destination", "state", "sort", "dir", "page"],
    "api_reports.list_reports": ["as_of"],
    "api_reports.get_report": ["as_of"],
    "api_reports.list_recommendations": ["as_of", "report"],
    "api_reports.get_recommendation": ["as_of"],
    "api_reports.get_action_item": ["as_of"],
    "api_summary.get_summary": ["as_of", "report"],
    "api_structure.list_practices": ["page", "per_page", "sort", "report", "recommendation", "place"],
    "api_structure.list_figures": ["page", "per_page", "sort", "practice", "recommendation", "year"],
    "api_structure.list_indicators": [
        "as_of",
        "known_at",
        "page",
        "per_page",
        "sort",
        "report",
        "recommendation",
        "direction",
        "data_department",
    ],
    "api_structure.list_action_items": [
        "as_of",
        "known_at",
        "page",
        "per_page",
        "sort",
        "report",
        "recommendation",
        "lead_department",
        "supporting_department",
        "due_before",
    ],
    "api_structure.get_indicator": ["as_of", "known_at"],
}
ENDPOINT_QUERY["api_reports.list_reports"] += ["page", "per_page", "sort", "year", "code", "agency", "destination"]
ENDPOINT_QUERY["api_reports.list_recommendations"] += ["page", "per_page", "sort", "code", "section"]
# Who owns each page (prefix match): the sweep signs in as them so the input reaches the operation.
OWNERS = [
    ("actions.new_note", "support_editor"),
    ("actions.", "lead_editor"),
    ("mydept.", "lead_editor"),
    ("review.", "reviewer"),
    ("admin.", "admin"),
    ("dashboard.", "reviewer"),
    ("exports.", "reviewer"),
    ("api_updates.", "lead_editor"),
    ("api_structure.", "admin"),
    ("auth.login", "anonymous"),
    ("portfolio.index", "viewer"),
    ("portfolio.", "admin"),
    ("bulk.", "lead_editor"),
    ("", "viewer"),
]
# Export formats whose writers take seconds are covered by tests/test_exports.py.
SLOW_FORMATS = {"pdf", "odt", "docx", "xlsx", "ods"}


def _base_forms(world: World) -> dict[str, dict[str, str]]:
    """A plausible form per endpoint, so that hostile values also reach the operations."""
    update = {
        "status": "in_progress",
        "progress": "40",
        "effective_date": "2017-06-30",
        "narrative": "辦理情形",
        "reason": "",
        "evidence_url": "",
        "version": "1",
        "corrects_id": "",
        "measurements-0-indicator_id": str(world.indicator.id),
        "measurements-0-value": "1",
        "measurements-0-measured_on": "2017-06-01",
        "measurements-0-source_note": "年報",
    }
    report = {
        "code": "fuzz-report",
        "title_zh": "報告",
        "title_en": "Report",
        "agency_zh": "機關",
        "agency_en": "Agency",
        "trip_start": "105/11/12",
        "trip_end": "105/11/19",
        "report_date": "1051223",
    }
    user = {
        "email": "fuzz@example.org",
        "name": "Fuzz",
        "role": "viewer",
        "department": "",
        "locale": "",
        "password": "",
    }
    return {
        "auth.login": {"email": world.viewer.email, "password": "wrong password", "next": "/"},
        "auth.tokens": {"name": "script", "password": "wrong", "code": ""},
        "account.change_password": {"current_password": "x", "new_password": "y", "confirm": "y"},
        "account.two_factor": {"code": "123456"},
        "account.verify": {"code": "123456", "next": "/"},
        "account.disable_two_factor": {"disable-password": "x"},
        "account.recovery_codes": {"codes-password": "x"},
        "actions.new_update": update,
        "actions.new_note": {"body": "協辦意見", "effective_date": "2017-06-30", "corrects_id": ""},
        "actions.withdraw_update": {"reason": "撤回理由", "version": "1"},
        "admin.user_new": user,
        "portfolio.report_new": report,
        "portfolio.report_edit": report,
        "portfolio.recommendation_new": {
            "code": "R9",
            "section": "三(九)",
            "title_zh": "建議",
            "title_en": "R",
            "text_zh": "內容",
            "position": "",
        },
        "portfolio.item_new": {
            "code": "A9",
            "title_zh": "事項",
            "title_en": "Item",
            "source_section": "三",
            "lead_department": "WRB",
            "weight": "1",
            "due_date": "107/12/31",
            "budget_amount": "1000",
            "budget_source": "city",
        },
        "portfolio.indicator_new": {
            "code": "I9",
            "name_zh": "指標",
            "name_en": "Ind",
            "unit": "%",
            "direction": "higher",
            "baseline_year": "2017",
            "target_year": "2020",
            "reference_value": "1.5",
            "data_department": "WRB",
        },
        "portfolio.archive": {"reason": "完成"},
        "admin.user_edit": user,
        "admin.department_new": {"code": "FZ", "name_zh": "測試局", "name_en": "Fuzz Bureau"},
        "admin.department_edit": {"code": "FZ", "name_zh": "測試局", "name_en": "Fuzz Bureau"},
        "admin.item_edit": {
            "title_zh": "標題",
            "title_en": "Title",
            "description_zh": "",
            "description_en": "",
            "lead_department_id": str(world.lead.id),
            "supporting_department_ids": "",
            "weight": "1",
            "start_date": "2017-01-01",
            "due_date": "2018-12-31",
            "budget_amount": "1000",
            "budget_source": "city",
            "budget_note": "",
            "version": "1",
        },
        "review.batch": {"action": "approve", "update_ids": "1", "comment": "", "effective_date": "2017-07-01"},
        "review.approve": {"u1-comment": "", "u1-effective_date": "2017-07-01"},
        "review.return_update": {"u1-comment": "請補充", "u1-effective_date": "2017-07-01"},
        "review.decision": {"decision": "continue", "reason": "理由", "effective_date": "2017-07-01"},
        "review.adoption": {"decision": "adopted", "reason": "", "decided_on": "2017-07-01", "decided_by": ""},
    }


@pytest.fixture
def fuzz_world(app, factory):
    """The update world plus a reviewed update, a note and a token, all committed."""
    world = build_world(factory)
    su = factory.update(world.item, by=world.lead_editor)
    factory.update(
        world.item, approved_on=__import__("datetime").date(2017, 7, 1), by=world.lead_editor, reviewer=world.reviewer
    )
    assert su.id
    db.session.commit()
    return world


def _owner(endpoint: str) -> str:
    return next(who for prefix, who in OWNERS if endpoint.startswith(prefix))


def _people(world: World) -> dict:
    return {
        "anonymous": None,
        "lead_editor": world.lead_editor,
        "support_editor": world.support_editor,
        "other_editor": world.other_editor,
        "reviewer": world.reviewer,
        "viewer": world.viewer,
        "admin": world.admin,
    }


def _send(client, people, who, method, path, query, form):
    """One request as ``who`` (a fresh session each time); asserts it is not a server error."""
    with client.session_transaction() as sess:
        sess.clear()
    user = people[who]
    if user is not None:
        db.session.refresh(user)
        if not user.active:
            return None
        sign_in(client, user)
    url = quote(path, safe="/%:") if "%" not in path else path
    resp = client.open(url, method=method, query_string=query, data=form)
    db.session.rollback()
    assert resp.status_code < 500, (
        who,
        method,
        path,
        query,
        form and {k: v[:80] for k, v in form.items()},
        resp.status_code,
        resp.get_data(as_text=True)[:300],
    )
    return resp


def _rule(app, rule_id):
    endpoint, rule_text = rule_id.split(":", 1)
    return endpoint, next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule_text)


def _fill(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = values.get(name, "1")
        path = path.replace(f"<int:{name}>", value).replace(f"<path:{name}>", value).replace(f"<{name}>", value)
    return path


def _rules(app):
    skip = {"static"}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in skip]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def _rule_ids():
    from tracker import create_app

    application = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [f"{r.endpoint}:{r.rule}" for r in _rules(application)] + ["static:/static/<path:filename>"]


RULE_IDS = _rule_ids()


def _values(draw, keys, value_strategy, max_size):
    chosen = draw(st.lists(st.sampled_from(keys), max_size=max_size, unique=True))
    return {key: draw(value_strategy) for key in chosen}


# Text without lone surrogates: a URL or a form cannot carry them (JSON can: tests/test_input_edge.py).
free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
hostile = st.one_of(st.sampled_from(HOSTILE), free_text)


def sweep(app, client, fuzz_world, endpoint, rule) -> None:
    """The deterministic part: every parameter the endpoint reads gets every DANGEROUS value."""
    people = _people(fuzz_world)
    who = _owner(endpoint)
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    if endpoint == "static":
        for value in ("css/app.css", "../../etc/passwd", "%00", "a%00b", "..%2F..%2Fx", "%C2%B2", "nope/" * 40):
            _send(client, people, "anonymous", "GET", _fill(rule, {"filename": value}), {}, None)
        return
    for name in rule.arguments:
        for value in PATH_VALUES:
            for method in methods:
                _send(client, people, who, method, _fill(rule, {name: value}), {}, None)
    if "GET" in methods:
        for key in ENDPOINT_QUERY.get(endpoint, []) + ["lang"]:
            for value in DANGEROUS:
                query = {key: value}
                if endpoint == "exports.download":
                    query = {"year": "2017", "format": "csv", "language": "en", **query}
                    if query["format"] in SLOW_FORMATS:
                        continue
                _send(client, people, who, "GET", _fill(rule, {}), query, None)
    if "POST" in methods:
        base = _base_forms(fuzz_world).get(endpoint, {})
        for key in sorted(base) or ["x"]:
            for value in DANGEROUS:
                _send(client, people, who, "POST", _fill(rule, {}), {}, {**base, key: value})


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_no_input_gives_a_server_error(app, client, fuzz_world, rule_id):
    endpoint, rule = _rule(app, rule_id)
    sweep(app, client, fuzz_world, endpoint, rule)
    world = fuzz_world
    people = _people(world)
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    base_forms = _base_forms(world)

    @st.composite
    def requests(draw):
        path = rule.rule
        for name in rule.arguments:
            if endpoint == "static":
                value = draw(
                    st.sampled_from(
                        [
                            "css/app.css",
                            "../../etc/passwd",
                            "%00",
                            "a%00b",
                            "..%2F..%2Fx",
                            "js/app.js",
                            "%C2%B2",
                            "nope/" * 40,
                        ]
                    )
                )
            else:
                value = draw(st.sampled_from(PATH_VALUES))
            path = path.replace(f"<int:{name}>", value).replace(f"<path:{name}>", value).replace(f"<{name}>", value)
        query = _values(draw, ENDPOINT_QUERY.get(endpoint, []) + QUERY_KEYS, hostile, 4)
        if endpoint == "exports.download" and query.get("format") in SLOW_FORMATS:
            query["format"] = "csv"
        method = draw(st.sampled_from(methods))
        form = None
        if method == "POST":
            form = dict(base_forms.get(endpoint, {}))
            keys = sorted(form) or ["name", "code", "password", "body", "narrative", "comment", "reason"]
            form.update(_values(draw, keys, hostile, 4))
        who = draw(st.sampled_from(sorted(people)))
        return method, path, query, form, who

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(requests())
    def check(request):
        method, path, query, form, who = request
        note(f"{who}: {method} {path} query={query!r} form={form!r}")
        _send(client, people, who, method, path, query, form)

    check()
