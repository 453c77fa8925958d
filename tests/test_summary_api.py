"""GET /api/v1/summary: the dashboard's numbers as JSON, as of any date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_dashboard import build
from tracker.extensions import db
from tracker.models import Status
from tracker.services import review as ops
from tracker.services.review import today

TODAY = today()


@pytest.fixture
def signin(login):
    def _signin(user):
        db.session.commit()
        return login(user)

    return _signin


def test_summary_shape_and_numbers(client, signin, factory):
    report, items = build(factory, 12)
    signin(factory.user("viewer"))
    r = client.get(f"/api/v1/summary?as_of=2017-12-31&report={report.id}")
    assert r.status_code == 200
    data = r.get_json()
    assert data["as_of"] == "2017-12-31" and data["year"] == 2017
    assert [x["id"] for x in data["reports"]] == [report.id]
    assert data["item_count"] == 12 and sum(data["status_counts"].values()) == 12
    assert [rec["code"] for rec in data["recommendations"]] == ["R1", "R2", "R3", "R4", "R5"]
    assert sum(d["total"] for d in data["departments"]) == 12
    assert set(data["flags"]) == {"overdue", "due_soon", "stale"}
    assert all({"id", "code", "recommendation_code"} <= set(f) for f in data["flags"]["overdue"])
    assert len(data["decisions"]) == 2 and data["decisions"][0]["decision"] == "release"
    assert data["pending_count"] == 0  # pending updates are effective 2018-06-30
    assert "Σ(weight × item progress)" in data["formula"]
    assert client.get(f"/api/v1/summary?report={report.id}").get_json()["pending_count"] == 3


@pytest.mark.parametrize("query", ["as_of=2017-12-31", "as_of=2018-06-30&known_at=2018-07-01", ""])
def test_summary_answer_is_exactly_the_schema_dump(client, signin, factory, query):
    """The summary is serialised by a precomputed dumper (api/summary.schema_dumper): its
    answer must be what marshmallow's SummarySchema.dump gives for the same payload."""
    import json
    from datetime import date

    from tracker.api.summary import SummarySchema, build_payload, schema_dumper
    from tracker.dates import DataDates

    build(factory, 12)
    signin(factory.user("viewer"))
    data = client.get(f"/api/v1/summary?{query}").get_json()
    as_of = DataDates(date.fromisoformat(data["as_of"]), date.fromisoformat(data["known_at"]), TODAY)
    payload = build_payload(as_of, None)
    assert schema_dumper(SummarySchema())(payload) == SummarySchema().dump(payload)
    assert data == json.loads(json.dumps(SummarySchema().dump(payload)))
    assert data["recommendations"] and data["departments"]
    assert isinstance(data["recommendations"][0]["rollup"]["weight_total"], float)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["reporting"]["deadline"])


def test_schema_dumper_formats_like_marshmallow():
    """Nested objects, nulls, dates, rounded progress and integers given as other numbers."""
    from datetime import date
    from decimal import Decimal

    from tracker.api.summary import SummaryRecommendationSchema, schema_dumper

    rec = {
        "id": 7,
        "code": "R1",
        "report_id": 3,
        "section": None,
        "title_zh": "標題",
        "title_en": None,
        "progress": 33.3333,
        "rollup": {"weight_total": Decimal("2.500"), "items_counted": 2, "items_excluded": 0},
        "item_count": 2.0,
        "status_counts": {s.value: n for n, s in enumerate(Status)},
        "adoption": {"decision": "adopted", "decided_on": date(2018, 1, 2), "decided_by": "市政會議"},
    }
    schema = SummaryRecommendationSchema()
    assert schema_dumper(schema)(rec) == schema.dump(rec)
    assert schema_dumper(schema)(dict(rec, adoption=None, progress=None)) == schema.dump(
        dict(rec, adoption=None, progress=None)
    )


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2017-02-30",
        "as_of=31/12/2017",
        "as_of=2017-1-5",
        f"as_of={(TODAY + timedelta(days=1)).isoformat()}",
        "report=abc",
    ],
)
def test_bad_arguments_are_400_json(client, signin, factory, query):
    signin(factory.user("viewer"))
    r = client.get(f"/api/v1/summary?{query}")
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert err["field"] == query.split("=")[0] and err["message"]


def test_unknown_report_is_404_json(client, signin, factory):
    signin(factory.user("viewer"))
    r = client.get("/api/v1/summary?report=424242")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert "424242" in r.get_json()["error"]["message"]


@pytest.mark.parametrize("role, status", [("editor", 200), ("viewer", 200), ("reviewer", 200), ("admin", 200)])
def test_summary_roles(client, signin, factory, role, status):
    signin(factory.user(role))
    assert client.get("/api/v1/summary").status_code == status


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/summary").status_code == 401


def _page_numbers(html: str) -> dict:
    """The numbers the dashboard page shows (read from its data attributes)."""

    def attr_rows(pattern):
        return re.findall(pattern, html)

    overall = re.search(r'data-stat="overall" data-value="([^"]*)"', html).group(1)
    stats = {
        k: int(v) for k, v in re.findall(r'data-stat="(items|pending|overdue|due_soon|stale)" data-value="(\d+)"', html)
    }
    recs = {
        code: (round(float(p), 1) if p else None)
        for code, p in attr_rows(r'data-rec="([^"]+)" data-rec-id="\d+" data-progress="([^"]*)"')
    }
    status_table = html[html.index('id="status-table"') :]
    status_table = status_table[: status_table.index("</table>")]
    statuses = {k: int(v) for k, v in re.findall(r'data-status="(\w+)">(\d+)<', status_table)}
    dept_table = html[html.index('id="dept-table"') :]
    dept_table = dept_table[: dept_table.index("</table>")]
    depts = {}
    for code, row in re.findall(r'data-dept="([^"]+)">(.*?)</tr>', dept_table, re.S):
        depts[code] = {k: int(v) for k, v in re.findall(r'data-status="(\w+)">(\d+)<', row)}
    flags = {}
    for key in ("overdue", "due_soon", "stale"):
        m = re.search(rf'data-flag-list="{key}">(.*?)</table>', html, re.S)
        # The page previews the first ten of each list (by due date); the API sends 100.
        flags[key] = [int(i) for i in re.findall(r'data-item="(\d+)"', m.group(1))] if m else []
    decisions = sorted(int(i) for i in re.findall(r'data-decision="(\d+)"', html))
    return {
        "overall": round(float(overall), 1) if overall else None,
        "stats": stats,
        "recs": recs,
        "statuses": statuses,
        "depts": depts,
        "flags": flags,
        "decisions": decisions,
    }


def _api_numbers(data: dict) -> dict:
    return {
        "overall": data["overall_progress"],
        "stats": {"items": data["item_count"], "pending": data["pending_count"], **data["flag_counts"]},
        "recs": {r["code"]: r["progress"] for r in data["recommendations"]},
        "statuses": data["status_counts"],
        "depts": {d["code"]: d["status_counts"] for d in data["departments"]},
        "flags": {k: [i["id"] for i in v][:10] for k, v in data["flags"].items()},
        "decisions": sorted(d["id"] for d in data["decisions"]),
    }


@pytest.mark.parametrize("as_of", ["2017-07-04", "2017-12-31", "2018-12-31", None])
def test_dashboard_page_and_api_show_the_same_numbers(client, signin, factory, as_of):
    report, _ = build(factory, 30)
    signin(factory.user("reviewer"))
    q = f"report={report.id}" + (f"&as_of={as_of}" if as_of else "")
    page = _page_numbers(client.get(f"/dashboard/?{q}").get_data(as_text=True))
    api = _api_numbers(client.get(f"/api/v1/summary?{q}").get_json())
    assert page == api


def test_numbers_before_an_approval_differ_exactly_by_that_approval(client, signin, factory):
    """The numbers as printed the day before an approval are today's minus that approval."""
    report, items = build(factory, 10, rec_count=2)
    reviewer = factory.user("reviewer")
    target = items[1]  # planning, approved 2017-07-05 at (1*7)%100 = 7 %, weight 2, no pending update
    upd = factory.update(target, status=Status.IN_PROGRESS, progress=57, effective=TODAY - timedelta(days=10))
    db.session.commit()
    signin(reviewer)
    before_approval = client.get(f"/api/v1/summary?report={report.id}").get_json()
    day_before = (TODAY - timedelta(days=1)).isoformat()
    ops.approve_update(upd, reviewer)  # effective today
    db.session.commit()

    now = client.get(f"/api/v1/summary?report={report.id}").get_json()
    then = client.get(f"/api/v1/summary?report={report.id}&as_of={day_before}&known_at={day_before}").get_json()
    assert then == {**before_approval, "as_of": day_before, "known_at": day_before}

    # Exactly one item moved: planning 7 % -> in progress 57 %, weight 2 in its recommendation.
    rec_code = target.recommendation.code
    changed_rec = next(r for r in now["recommendations"] if r["code"] == rec_code)
    old_rec = next(r for r in then["recommendations"] if r["code"] == rec_code)
    weight_total = changed_rec["rollup"]["weight_total"]
    assert changed_rec["progress"] == pytest.approx(old_rec["progress"] + 2 * (57 - 7) / weight_total, abs=0.1)
    from tracker.services import progress

    exact_now = progress.build_summary(TODAY, [report.id])
    exact_then = progress.build_summary(
        progress.data_dates(TODAY - timedelta(days=1), TODAY - timedelta(days=1)), [report.id]
    )
    rec_now = next(r for r in exact_now.recommendations if r.recommendation.code == rec_code).rollup
    rec_then = next(r for r in exact_then.recommendations if r.recommendation.code == rec_code).rollup
    assert rec_now.progress - rec_then.progress == pytest.approx(2 * 50 / float(rec_now.weight_total), abs=1e-9)
    assert exact_now.overall_progress - exact_then.overall_progress == pytest.approx(
        2 * 50 / float(rec_now.weight_total) / 2, abs=1e-9
    )  # two recommendations, plain mean
    assert now["status_counts"]["in_progress"] == then["status_counts"]["in_progress"] + 1
    assert now["status_counts"]["planning"] == then["status_counts"]["planning"] - 1
    assert now["pending_count"] == then["pending_count"] - 1
    # Everything else is identical.
    for key in ("decisions", "item_count", "reports", "formula"):
        assert now[key] == then[key]
    others_now = [r for r in now["recommendations"] if r["code"] != rec_code]
    others_then = [r for r in then["recommendations"] if r["code"] != rec_code]
    assert others_now == others_then
    # The dashboard page as of the day before shows the same as the API for that day.
    page = _page_numbers(
        client.get(f"/dashboard/?report={report.id}&as_of={day_before}&known_at={day_before}").get_data(as_text=True)
    )
    assert page == _api_numbers(then)


def test_openapi_documents_the_summary(client, signin, factory):
    signin(factory.user("viewer"))
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/summary"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"as_of", "report"}


def test_a_personal_token_reads_the_summary(app, factory):
    from tracker.services.tokens import create_token

    viewer = factory.user("viewer")
    _token, raw = create_token(viewer, "dashboard script", actor_label="test")
    db.session.commit()
    client = app.test_client()
    r = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200 and "overall_progress" in r.get_json()


def test_summary_statement_count_is_constant(client, signin, factory, count_queries):
    small, _ = build(factory, 5)
    signin(factory.user("viewer"))
    client.get("/api/v1/summary")

    def measure(url):
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    before = (measure(f"/api/v1/summary?report={small.id}&as_of=2018-12-31"), measure("/api/v1/summary"))
    big, _ = build(factory, 300)
    after = (measure(f"/api/v1/summary?report={big.id}&as_of=2018-12-31"), measure("/api/v1/summary"))
    assert before == after, (before, after)
    print("summary API SQL statements (5 items -> 300 items):", before, after)
