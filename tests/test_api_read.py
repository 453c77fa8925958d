"""Read API (/api/v1): reports, recommendations, action items, as of a date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.api import common
from tracker.extensions import db
from tracker.models import (
    Adoption,
    AdoptionDecision,
    BudgetSource,
    PracticeFigure,
    ReferencePractice,
    Status,
    TrackingChoice,
)

API = "/api/v1"


# --- Data -------------------------------------------------------------------------


def build_report(factory, n_items: int = 5, n_recs: int = 3, tag: str = ""):
    """A report whose every relation is filled: practices with figures, indicators with
    measurements, items with supporting departments, approved and pending updates,
    tracking and adoption decisions. Items are spread over the recommendations."""
    water, econ, edu = (factory.department(code=c + tag) for c in ("WRB", "EDB", "EDU"))
    report = factory.report(code="trip-2016" + tag)
    recs = [factory.recommendation(report, code=f"R{n + 1}", position=n, section=f"三({n + 1})") for n in range(n_recs)]
    practices, indicators = [], []
    for n, rec in enumerate(recs):
        practice = ReferencePractice(
            recommendation=rec,
            code=f"P{n + 1}",
            section="二(一)",
            place_zh="以色列",
            place_en="Israel",
            title_zh=f"作法{n + 1}",
            title_en=f"Practice {n + 1}",
        )
        practice.figures = [
            PracticeFigure(
                code="reuse",
                label_zh="廢水回收率",
                label_en="Waste-water reuse",
                value=Decimal("80"),
                unit="%",
                year=2016,
                section="二(一)",
                quote_zh="廢水回收再利用率達80%",
            ),
            PracticeFigure(
                code="text",
                label_zh="文字",
                label_en="Text",
                value=None,
                value_text_zh="多",
                value_text_en="many",
                section="二(一)",
            ),
        ]
        db.session.add(practice)
        indicator = factory.indicator(
            rec,
            code=f"I{n + 1}",
            reference_value=Decimal("80"),
            reference_year=2016,
            reference_place_en="Israel",
            baseline_value=Decimal("10"),
            baseline_year=2016,
            target_value=Decimal("40"),
            target_year=2020,
            practice=practice,
            data_department=water,
        )
        factory.indicator(rec, code=f"J{n + 1}", target_value=Decimal("5"), target_year=2020)  # no baseline
        factory.measurement(indicator, "25", date(2017, 6, 30))
        db.session.add(
            AdoptionDecision(
                recommendation=rec, decision=Adoption.UNDER_STUDY, decided_on=date(2017, 1, 5), decided_by="市長"
            )
        )
        db.session.add(
            AdoptionDecision(
                recommendation=rec, decision=Adoption.ADOPTED, decided_on=date(2017, 3, 1), decided_by="市長"
            )
        )
        practices.append(practice)
        indicators.append(indicator)
    items = []
    for n in range(n_items):
        k = n % n_recs
        item = factory.item(
            recs[k],
            lead=water,
            supporting=[econ, edu],
            code=f"A{n + 1}",
            position=n,
            start_date=date(2017, 1, 1),
            due_date=date(2018, 12, 31),
            budget_amount=Decimal("1500000"),
            budget_source=BudgetSource.CITY,
        )
        item.practices = [practices[k]]
        item.indicators = [indicators[k]]
        factory.update(item, progress=40, effective=date(2017, 6, 30), approved_on=date(2017, 7, 10))
        if n % 2 == 0:
            factory.update(item, progress=60, effective=date(2017, 12, 1))  # pending
        if n % 3 == 0:
            factory.decision(item, TrackingChoice.CONTINUE, date(2017, 12, 20))
        items.append(item)
    db.session.commit()
    return report, recs, items


@pytest.fixture
def reader(factory, login):
    return login(factory.user("viewer"))


@pytest.fixture
def data(factory, reader):
    return build_report(factory)


def get_json(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json
    return resp.get_json()


# --- Reports ------------------------------------------------------------------------


def test_report_list_has_overall_progress_as_of_the_date(client, data):
    report, _, _ = data
    body = get_json(client, f"{API}/reports?as_of=2017-12-31")
    assert body["as_of"] == "2017-12-31"
    (row,) = body["reports"]
    assert row == {
        "id": report.id,
        "code": "trip-2016",
        "title_zh": report.title_zh,
        "title_en": report.title_en,
        "agency_zh": "臺南市政府",
        "agency_en": "Tainan City Government",
        "trip_start": "2016-11-12",
        "trip_end": "2016-11-19",
        "report_date": "2016-12-23",
        "progress": 40.0,
    }
    # The report describing 2017-06-30 counts on 2017-07-01 with everything known today...
    assert get_json(client, f"{API}/reports?as_of=2017-07-01")["reports"][0]["progress"] == 40.0
    # ...but as printed that day it was not approved yet (approved 2017-07-10).
    printed = get_json(client, f"{API}/reports?as_of=2017-07-01&known_at=2017-07-01")
    assert printed["known_at"] == "2017-07-01" and printed["reports"][0]["progress"] == 0.0
    assert get_json(client, f"{API}/reports?as_of=2017-06-29")["reports"][0]["progress"] == 0.0


def test_report_detail_rolls_up_each_recommendation(client, factory, reader):
    rec = factory.recommendation(code="R1")
    a = factory.item(rec, weight=Decimal(1))
    b = factory.item(rec, weight=Decimal(2))
    c = factory.item(rec)
    factory.update(a, progress=50, approved_on=date(2017, 7, 1))
    factory.update(c, status=Status.NOT_FEASIBLE, progress=0, reason="法規不允許", approved_on=date(2017, 7, 1))
    db.session.commit()
    body = get_json(client, f"{API}/reports/{rec.report_id}?as_of=2017-12-31")
    assert body["as_of"] == "2017-12-31"
    (r,) = body["recommendations"]
    # (1 × 50 + 2 × 0) / 3, one decimal; the not-feasible item is left out.
    assert r["progress"] == 16.7 and body["progress"] == 16.7
    assert (r["item_count"], r["items_counted"], r["items_excluded"]) == (3, 2, 1)
    assert r["status_counts"] == {
        "not_started": 1,
        "planning": 0,
        "in_progress": 1,
        "ongoing": 0,
        "completed": 0,
        "on_hold": 0,
        "not_feasible": 1,
    }
    assert b.id  # the never-updated item counts as not started, 0 %


def test_report_without_items_has_null_progress(client, factory, reader):
    report = factory.report()
    db.session.commit()
    body = get_json(client, f"{API}/reports/{report.id}")
    assert body["progress"] is None and body["recommendations"] == []
    assert body["as_of"] == common.local_today().isoformat()


# --- Recommendations ----------------------------------------------------------------


def test_recommendations_are_fully_nested(client, data):
    report, recs, items = data
    body = get_json(client, f"{API}/recommendations?report={report.id}&as_of=2017-12-31")
    assert [r["code"] for r in body["recommendations"]] == ["R1", "R2", "R3"]
    r1 = body["recommendations"][0]
    assert r1["report_id"] == report.id and r1["section"] == "三(1)"
    assert r1["text_zh"] == "建議內容" and r1["text_en"] == "Text"
    assert r1["adoption"] == {"decision": "adopted", "reason": "", "decided_on": "2017-03-01", "decided_by": "市長"}

    (practice,) = r1["practices"]
    assert practice["place_en"] == "Israel"
    fig, text_fig = practice["figures"]
    assert fig == {
        "id": fig["id"],
        "code": "reuse",
        "label_zh": "廢水回收率",
        "label_en": "Waste-water reuse",
        "value": 80.0,
        "value_text_zh": "",
        "value_text_en": "",
        "unit": "%",
        "unit_en": "",
        "year": 2016,
        "section": "二(一)",
        "quote_zh": "廢水回收再利用率達80%",
        "practice_id": practice["id"],
        "position": 0,
        "version": 1,
    }
    assert text_fig["value"] is None and text_fig["value_text_en"] == "many"

    full, empty = r1["indicators"]
    assert full["reference"] == {"value": 80.0, "year": 2016, "place_zh": "", "place_en": "Israel", "source": ""}
    assert full["baseline"] == {"value": 10.0, "year": 2016, "source": ""}
    assert full["target"] == {"value": 40.0, "year": 2020}
    assert full["latest"]["value"] == 25.0 and full["latest"]["measured_on"] == "2017-06-30"
    assert full["gap_closure"] == round((25 - 10) / (80 - 10), 4)
    assert full["on_track"] == "on_track" and full["missing"] == []
    assert full["data_department"]["code"] == "WRB"
    assert empty["baseline"] == {"value": None, "year": None, "source": ""}
    assert empty["missing"] == ["baseline", "reference", "measurement"]
    assert empty["latest"] is None and empty["gap_closure"] is None and empty["on_track"] == "insufficient_data"

    first = r1["action_items"][0]
    assert first["code"] == "A1" and first["status"] == "in_progress" and first["progress"] == 40.0
    assert first["lead_department"] == {
        "id": items[0].lead_department_id,
        "code": "WRB",
        "name_zh": items[0].lead_department.name_zh,
        "name_en": items[0].lead_department.name_en,
    }
    assert [d["code"] for d in first["supporting_departments"]] == ["EDB", "EDU"]
    # It reported for 2017H1 (the last period whose deadline, 2017-07-15, has passed): not stale,
    # however many days have gone by since (the old 180-day rule flagged it).
    assert first["pending"] is True and first["flags"] == []
    assert first["tracking_decision"]["decision"] == "continue"
    assert first["version"] == items[0].version and first["due_date"] == "2018-12-31"
    assert r1["progress"] == 40.0 and r1["status_counts"]["in_progress"] == len(r1["action_items"])


def test_recommendations_follow_the_as_of_date(client, data):
    report, _, _ = data
    early = get_json(client, f"{API}/recommendations?report={report.id}&as_of=2017-02-01")["recommendations"][0]
    assert early["adoption"]["decision"] == "under_study"
    assert early["indicators"][0]["latest"] is None
    assert all(
        i["status"] == "not_started" and not i["pending"] and i["tracking_decision"] is None
        for i in early["action_items"]
    )
    late = get_json(client, f"{API}/recommendations?report={report.id}&as_of=2019-06-30")["recommendations"][0]
    assert set(late["action_items"][0]["flags"]) == {"overdue", "stale"}


def test_recommendations_filter_by_report(client, data, factory):
    other = factory.recommendation(code="X1")
    db.session.commit()
    everything = get_json(client, f"{API}/recommendations")["recommendations"]
    assert {r["code"] for r in everything} == {"R1", "R2", "R3", "X1"}
    only = get_json(client, f"{API}/recommendations?report={other.report_id}")["recommendations"]
    assert [r["code"] for r in only] == ["X1"] and only[0]["action_items"] == []


def test_recommendation_detail_is_the_list_entry(client, data):
    report, recs, _ = data
    listed = get_json(client, f"{API}/recommendations?report={report.id}&as_of=2017-12-31")["recommendations"][1]
    one = get_json(client, f"{API}/recommendations/{recs[1].id}?as_of=2017-12-31")
    assert one.pop("as_of") == "2017-12-31"
    one.pop("known_at")
    assert one == listed


# --- Action items -------------------------------------------------------------------


def test_action_item_detail_with_etag(client, data, factory):
    _, recs, items = data
    item = items[0]
    resp = client.get(f"{API}/action-items/{item.id}?as_of=2017-12-31")
    assert resp.status_code == 200
    assert resp.headers["ETag"] == f'W/"item-{item.id}-v{item.version}"'
    body = resp.get_json()
    assert body["as_of"] == "2017-12-31" and body["version"] == item.version
    assert body["report"]["code"] == "trip-2016"
    assert body["recommendation"] == {
        "id": recs[0].id,
        "code": "R1",
        "section": "三(1)",
        "title_zh": recs[0].title_zh,
        "title_en": recs[0].title_en,
    }
    assert body["status"] == "in_progress" and body["progress"] == 40.0 and body["effective_date"] == "2017-06-30"
    assert body["official_update"]["approved_on"] == "2017-07-10"
    assert body["official_update"]["narrative"] == "辦理情形"
    assert body["pending"] is True
    assert body["pending_update"]["progress"] == 60.0 and body["pending_update"]["effective_date"] == "2017-12-01"
    assert body["tracking_decision"]["decision"] == "continue"
    assert body["schedule"] == {"start_date": "2017-01-01", "due_date": "2018-12-31"}
    assert body["budget"] == {"amount": 1500000.0, "source": "city", "note": ""}
    assert body["weight"] == 1.0
    assert [p["code"] for p in body["practices"]] == ["P1"]
    assert [i["code"] for i in body["indicators"]] == ["I1"]
    assert [d["code"] for d in body["supporting_departments"]] == ["EDB", "EDU"]
    assert body["lead_department"]["code"] == "WRB"


def test_action_item_before_any_update(client, factory, reader):
    item = factory.item()
    db.session.commit()
    body = get_json(client, f"{API}/action-items/{item.id}")
    assert body["status"] == "not_started" and body["progress"] == 0.0
    assert body["official_update"] is None and body["pending_update"] is None and body["effective_date"] is None
    assert body["budget"] == {"amount": None, "source": None, "note": ""}
    assert body["schedule"] == {"start_date": None, "due_date": None}


def test_etag_follows_the_version(client, factory, reader):
    item = factory.item()
    db.session.commit()
    before = client.get(f"{API}/action-items/{item.id}").headers["ETag"]
    factory.update(item, progress=10, approved_on=date(2017, 7, 1))
    db.session.commit()
    after = client.get(f"{API}/action-items/{item.id}").headers["ETag"]
    assert before != after
    assert common.parse_if_match(after, item.id) == item.version


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("", None),
        ("*", None),
        ('W/"item-7-v3"', 3),
        ('"item-7-v12"', 12),
        (' W/"item-7-v1" ', 1),
    ],
)
def test_parse_if_match(header, expected):
    assert common.parse_if_match(header, 7) == expected


@pytest.mark.parametrize("header", ['"abc"', 'W/"item-8-v3"', 'W/"item-7-v3", W/"item-7-v4"', "item-7-v3"])
def test_parse_if_match_refuses_other_tags(app, header):
    with app.test_request_context():
        with pytest.raises(common.InvalidArgument) as err:
            common.parse_if_match(header, 7)
    assert err.value.status_code == 400 and err.value.field == "If-Match"


def test_item_etag_format(factory):
    item = factory.item()
    assert common.item_etag(item) == f'W/"item-{item.id}-v{item.version}"'
    assert common.parse_if_match(common.item_etag(item), item.id) == item.version


# --- Errors -------------------------------------------------------------------------


def _urls(report, rec, item) -> list[str]:
    return [
        f"{API}/reports",
        f"{API}/reports/{report.id}",
        f"{API}/recommendations",
        f"{API}/recommendations/{rec.id}",
        f"{API}/action-items/{item.id}",
    ]


@pytest.mark.parametrize(
    "value", ["2017-13-01", "2017-02-30", "yesterday", "2017-1-1", "20171231", "2017-12-31T00:00", ""]
)
def test_invalid_as_of_is_400_naming_the_field(client, data, value):
    report, recs, items = data
    for url in _urls(report, recs[0], items[0]):
        body = get_json(client, f"{url}?as_of={value}", 400)
        assert body["error"]["status"] == 400 and body["error"]["field"] == "as_of"
        assert "YYYY-MM-DD" in body["error"]["message"]
        assert body["error"]["fields"] == {"as_of": [body["error"]["message"]]}


def test_future_as_of_is_400_with_the_reason(client, data):
    report, recs, items = data
    tomorrow = (common.local_today() + timedelta(days=1)).isoformat()
    for url in _urls(report, recs[0], items[0]):
        body = get_json(client, f"{url}?as_of={tomorrow}&lang=en", 400)
        assert body["error"]["field"] == "as_of"
        assert "future" in body["error"]["message"] and tomorrow in body["error"]["message"]
    # Today itself is fine.
    get_json(client, f"{API}/reports?as_of={common.local_today().isoformat()}")


def test_error_messages_follow_the_language(client, data):
    body = get_json(client, f"{API}/reports?as_of=nope&lang=zh-TW", 400)
    assert "YYYY-MM-DD" in body["error"]["message"]
    assert body["error"]["request_id"]


@pytest.mark.parametrize(
    "url",
    [
        "/reports/999999",
        "/recommendations/999999",
        "/action-items/999999",
        "/recommendations?report=999999",
    ],
)
def test_unknown_ids_are_404_json(client, reader, url):
    body = get_json(client, API + url, 404)
    assert body["error"]["status"] == 404 and body["error"]["code"] == "not_found"
    assert "999999" in body["error"]["message"]


def test_bad_report_filter_is_400(client, reader):
    body = get_json(client, f"{API}/recommendations?report=abc", 400)
    assert body["error"]["field"] == "report"


def test_unknown_route_is_json(client, reader):
    body = get_json(client, f"{API}/reports/abc", 404)
    assert body["error"]["status"] == 404


def test_every_endpoint_needs_a_signed_in_user(client, factory):
    report, recs, items = build_report(factory, n_items=1, n_recs=1)
    for url in _urls(report, recs[0], items[0]):
        resp = client.get(url)
        assert resp.status_code == 401 and resp.is_json, url
        assert resp.get_json()["error"]["status"] == 401


def test_a_personal_token_reads_too(client, factory):
    from tracker.services import tokens

    user = factory.user("viewer")
    _, raw = tokens.create_token(user, "nightly export")
    db.session.commit()
    resp = client.get(f"{API}/reports", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200 and resp.get_json()["reports"] == []


@pytest.mark.parametrize("role", ["editor", "reviewer", "viewer", "admin"])
def test_every_role_may_read(client, factory, login, role):
    login(factory.user(role))
    assert client.get(f"{API}/reports").status_code == 200


# --- OpenAPI ------------------------------------------------------------------------


@pytest.fixture
def spec(client, reader):
    return get_json(client, f"{API}/openapi.json")


def test_openapi_document_is_valid_and_complete(spec):
    from openapi_spec_validator import validate

    validate(spec)
    assert spec["openapi"].startswith("3.")
    paths = {
        f"{API}/reports",
        f"{API}/reports/{{report_id}}",
        f"{API}/recommendations",
        f"{API}/recommendations/{{recommendation_id}}",
        f"{API}/action-items/{{item_id}}",
    }
    assert paths <= set(spec["paths"])
    assert {
        "ReportList",
        "ReportDetail",
        "RecommendationList",
        "RecommendationDetail",
        "ActionItemDetail",
        "ApiError",
    } <= set(spec["components"]["schemas"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Personal API token (Authorization: Bearer <token>).",
    }
    assert {"bearerAuth": []} in spec["security"]
    for path in paths:
        op = spec["paths"][path]["get"]
        assert {"bearerAuth": []} in op["security"]
        assert {"200", "400", "401"} <= set(op["responses"])
        assert any(p["name"] == "as_of" and p["in"] == "query" for p in op["parameters"])
    item_200 = spec["paths"][f"{API}/action-items/{{item_id}}"]["get"]["responses"]["200"]
    assert "ETag" in item_200["headers"]
    # Error responses describe the body web/errors.py really sends.
    bad = spec["components"]["responses"]["BAD_REQUEST"]["content"]["application/json"]["schema"]
    assert bad == {"$ref": "#/components/schemas/ApiError"}


def _validator(spec, name):
    from openapi_schema_validator import OAS30Validator

    # The components carry additionalProperties: false, so an undocumented key fails too.
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def test_responses_match_the_openapi_document(client, data, spec):
    report, recs, items = data
    cases = [
        (f"{API}/reports?as_of=2017-12-31", "ReportList"),
        (f"{API}/reports/{report.id}?as_of=2017-12-31", "ReportDetail"),
        (f"{API}/recommendations?as_of=2017-12-31", "RecommendationList"),
        (f"{API}/recommendations/{recs[0].id}?as_of=2017-02-01", "RecommendationDetail"),
        (f"{API}/action-items/{items[0].id}?as_of=2017-12-31", "ActionItemDetail"),
        (f"{API}/action-items/{items[1].id}?as_of=2017-01-01", "ActionItemDetail"),
        (f"{API}/action-items/999999", "ApiError"),
        (f"{API}/reports?as_of=x", "ApiError"),
    ]
    for url, name in cases:
        body = client.get(url).get_json()
        errors = [e.message for e in _validator(spec, name).iter_errors(body)]
        assert errors == [], (url, errors[:3])


# --- Statement count ----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["reports", "report", "recommendations", "recommendation", "item"])
def test_statement_count_does_not_grow_with_the_data(app, client, factory, login, count_queries, endpoint):
    def measure(n_items, tag):
        report, recs, items = build_report(factory, n_items=n_items, tag=tag)
        url = {
            "reports": f"{API}/reports",
            "report": f"{API}/reports/{report.id}",
            "recommendations": f"{API}/recommendations?report={report.id}",
            "recommendation": f"{API}/recommendations/{recs[0].id}",
            "item": f"{API}/action-items/{items[0].id}",
        }[endpoint]
        url += ("&" if "?" in url else "?") + "as_of=2017-12-31"
        db.session.expire_all()  # nothing served from the identity map
        with count_queries() as counter:
            resp = client.get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return counter.count

    login(factory.user("viewer"))
    small = measure(5, "")
    # A second report of 200 items alongside the first: /reports covers both.
    large = measure(200, "-big")
    print(f"{endpoint}: {small} statements (5 items), {large} (205 items)")
    assert small == large, (small, large)
    assert large <= 16


# --- Seeded report ------------------------------------------------------------------


@pytest.fixture
def seeded_report(request):
    """The seeded Israel 2016 report."""
    return request.getfixturevalue("seeded")


def test_seeded_report_through_the_api(client, seeded_report, reader):
    reports = get_json(client, f"{API}/reports")["reports"]
    assert "israel-2016" in [r["code"] for r in reports]
    detail = get_json(client, f"{API}/reports/{seeded_report.id}")
    assert [r["code"] for r in detail["recommendations"]] == ["R1", "R2", "R3", "R4", "R5"]
    recs = get_json(client, f"{API}/recommendations?report={seeded_report.id}")["recommendations"]
    assert len(recs) == 5
    assert all(r["text_zh"] and r["text_en"] and r["section"] for r in recs)
    figures = [f for r in recs for p in r["practices"] for f in p["figures"]]
    assert figures and all(f["section"] for f in figures)
    assert any(f["value"] == 80.0 and f["unit"] == "%" for f in figures)  # national water reuse 80 %
    # Never invent a number: a baseline the report does not give is null and listed as missing.
    for ind in (i for r in recs for i in r["indicators"]):
        assert (ind["baseline"]["value"] is None) == ("baseline" in ind["missing"])
    items = [i for r in recs for i in r["action_items"]]
    assert items and all(i["lead_department"]["name_zh"] for i in items)
    one = client.get(f"{API}/action-items/{items[0]['id']}")
    assert one.status_code == 200 and one.headers["ETag"].startswith('W/"item-')
