"""Writing the structure through the API (POST / PATCH), lists with pagination, filters and
sorting, ETag / If-Match (428, 412), one error shape, per role."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import (
    AuditLog,
    PracticeFigure,
    ReferencePractice,
    Report,
)
from tracker.services import tokens

API = "/api/v1"
ROLES = ("lead", "other", "reviewer", "viewer", "admin")


def _user(world, role):
    return {
        "lead": world.lead_editor,
        "other": world.other_editor,
        "reviewer": world.reviewer,
        "viewer": world.viewer,
        "admin": world.admin,
    }[role]


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def _summary(row):
    return json.loads(row.summary)


REPORT = {
    "code": "seoul-2018",
    "title_zh": "首爾智慧城市考察",
    "title_en": "Seoul smart city visit",
    "agency_zh": "臺南市政府",
    "agency_en": "Tainan City Government",
    "destination_zh": "韓國首爾",
    "destination_en": "Seoul, Korea",
    "trip_start": "2018-05-01",
    "trip_end": "2018-05-05",
    "report_date": "2018-06-20",
}


# --- reports ---------------------------------------------------------------------------------------


def test_admin_creates_a_report_with_location_etag_and_audit(client, login, world):
    login(world.admin)
    resp = client.post(f"{API}/reports", json=REPORT)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["code"] == "seoul-2018" and body["version"] == 1 and body["recommendations"] == []
    assert resp.headers["ETag"] == f'W/"report-{body["id"]}-v1"'
    assert resp.headers["Location"].endswith(f"/api/v1/reports/{body['id']}")
    again = client.get(resp.headers["Location"])
    assert again.status_code == 200 and again.json["title_en"] == "Seoul smart city visit"
    assert again.headers["ETag"] == resp.headers["ETag"]
    row = _audit("report.create")[-1]
    assert row.user_id == world.admin.id and _summary(row)["after"]["record_code"] == "seoul-2018"


@pytest.mark.parametrize("role", ["lead", "other", "reviewer", "viewer"])
def test_only_admins_create_reports(client, login, world, role):
    login(_user(world, role))
    resp = client.post(f"{API}/reports", json=REPORT)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"
    assert db.session.scalar(select(Report).where(Report.code == "seoul-2018")) is None
    assert any(r.user_id == _user(world, role).id for r in _audit("access.denied"))


def test_anonymous_writes_are_401(client, world):
    assert client.post(f"{API}/reports", json=REPORT).status_code == 401
    assert client.patch(f"{API}/reports/1", json={}).status_code == 401


def test_missing_and_bad_fields_are_422_by_field(client, login, world):
    login(world.admin)
    resp = client.post(f"{API}/reports", json={"code": "x y", "title_zh": "t"})
    assert resp.status_code == 422
    err = resp.json["error"]
    assert err["code"] == "invalid" and {"title_en", "trip_start", "report_date"} <= set(err["errors"])
    bad = client.post(
        f"{API}/reports", json={**REPORT, "code": "x y", "trip_end": "2018-04-01", "title_en": ["list"], "extra": 1}
    )
    assert bad.status_code == 422
    errors = bad.json["error"]["errors"]
    assert set(errors) == {"extra"}  # an unknown key is refused before the values are judged
    bad = client.post(f"{API}/reports", json={**REPORT, "code": "x y", "trip_end": "2018-04-01", "title_en": ["list"]})
    assert set(bad.json["error"]["errors"]) == {"code", "trip_end", "title_en"}
    assert db.session.scalar(select(Report).where(Report.code.in_(["x y", "seoul-2018"]))) is None


def test_duplicate_report_code_is_422(client, login, world):
    login(world.admin)
    assert client.post(f"{API}/reports", json=REPORT).status_code == 201
    resp = client.post(f"{API}/reports", json=REPORT)
    assert resp.status_code == 422 and "code" in resp.json["error"]["errors"]


def test_patch_report_needs_if_match_and_changes_only_what_is_sent(client, login, world):
    login(world.admin)
    report = world.item.recommendation.report
    url = f"{API}/reports/{report.id}"
    etag = client.get(url).headers["ETag"]
    assert etag == f'W/"report-{report.id}-v1"'
    missing = client.patch(url, json={"title_en": "New"})
    assert missing.status_code == 428 and missing.json["error"]["code"] == "precondition_required"
    star = client.patch(url, json={"title_en": "New"}, headers={"If-Match": "*"})
    assert star.status_code == 428
    bad = client.patch(url, json={"title_en": "New"}, headers={"If-Match": 'W/"item-1-v1"'})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "If-Match"
    ok = client.patch(url, json={"title_en": "New title"}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.json
    assert ok.json["title_en"] == "New title" and ok.json["title_zh"] == report.title_zh
    assert ok.headers["ETag"] == f'W/"report-{report.id}-v2"' and ok.json["version"] == 2
    stale = client.patch(url, json={"title_en": "Lost"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    err = stale.json["error"]
    assert err["code"] == "precondition_failed" and err["current_version"] == 2
    assert err["etag"] == ok.headers["ETag"]
    db.session.expire_all()
    assert db.session.get(Report, report.id).title_en == "New title"
    row = _audit("report.edit")[-1]
    assert _summary(row)["before"] == {"title_en": report.title_en if False else _summary(row)["before"]["title_en"]}
    assert _summary(row)["after"] == {"title_en": "New title", "version": 2}


def test_patch_report_rules_and_unknown_ids(client, login, world):
    login(world.admin)
    report = world.item.recommendation.report
    url = f"{API}/reports/{report.id}"
    etag = client.get(url).headers["ETag"]
    resp = client.patch(url, json={"trip_end": "2016-01-01"}, headers={"If-Match": etag})
    assert resp.status_code == 422 and set(resp.json["error"]["errors"]) == {"trip_end"}
    assert client.patch(url, json={"version": 3}, headers={"If-Match": etag}).status_code == 422
    assert client.patch(f"{API}/reports/999999", json={}, headers={"If-Match": etag}).status_code == 404
    assert client.patch(f"{API}/reports/99999999999", json={}).status_code == 404
    huge = client.patch(url, json={}, headers={"If-Match": f'W/"report-{report.id}-v99999999999"'})
    assert huge.status_code == 400


@pytest.mark.parametrize("role", ["lead", "other", "reviewer", "viewer"])
def test_only_admins_patch_reports(client, login, world, role):
    report = world.item.recommendation.report
    login(_user(world, role))
    resp = client.patch(
        f"{API}/reports/{report.id}", json={"title_en": "x"}, headers={"If-Match": f'W/"report-{report.id}-v1"'}
    )
    assert resp.status_code == 403


def test_a_token_of_an_admin_writes(client, world):
    _token, raw = tokens.create_token(world.admin, "script")
    db.session.commit()
    resp = client.post(f"{API}/reports", json=REPORT, headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 201


def test_report_list_pages_filters_and_sorts(client, login, world, factory):
    for n in range(5):
        factory.report(code=f"trip-{n}", report_date=date(2017 + n % 2, 3, n + 1), destination_en=f"Place {n}")
    db.session.commit()
    login(world.viewer)
    resp = client.get(f"{API}/reports?per_page=2&sort=code")
    assert resp.status_code == 200
    body = resp.json
    assert body["pagination"] == {"page": 1, "per_page": 2, "total": 6, "pages": 3}
    assert [r["code"] for r in body["reports"]][:2] == sorted(r.code for r in db.session.scalars(select(Report)))[:2]
    assert resp.headers["X-Total-Count"] == "6"
    assert 'rel="next"' in resp.headers["Link"] and "page=2" in resp.headers["Link"]
    second = client.get(f"{API}/reports?per_page=2&sort=code&page=2").json["reports"]
    assert not {r["id"] for r in second} & {r["id"] for r in body["reports"]}
    last = client.get(f"{API}/reports?per_page=2&sort=code&page=3")
    assert 'rel="next"' not in last.headers["Link"] and 'rel="prev"' in last.headers["Link"]
    year = client.get(f"{API}/reports?year=2018").json["reports"]
    assert {r["code"] for r in year} == {"trip-1", "trip-3"}
    dest = client.get(f"{API}/reports?destination=place 4").json["reports"]
    assert [r["code"] for r in dest] == ["trip-4"]
    newest = client.get(f"{API}/reports?sort=-report_date,code").json["reports"]
    assert [r["report_date"] for r in newest] == sorted((r["report_date"] for r in newest), reverse=True)


@pytest.mark.parametrize(
    "query,field",
    [
        ("sort=colour", "sort"),
        ("sort=-", "sort"),
        ("page=0", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=101", "per_page"),
        ("per_page=²", "per_page"),
        ("year=２０１８", "year"),
        ("colour=red", "colour"),
        ("sort=code,code,code,code", "sort"),
    ],
)
def test_bad_list_arguments_are_400_naming_the_field(client, login, world, query, field):
    login(world.viewer)
    resp = client.get(f"{API}/reports?{query}")
    assert resp.status_code == 400, resp.json
    assert resp.json["error"]["code"] == "invalid_argument" and resp.json["error"]["field"] == field


def test_lang_is_still_accepted_on_lists(client, login, world):
    login(world.viewer)
    assert client.get(f"{API}/reports?lang=en").status_code == 200
    assert "sort" in client.get(f"{API}/reports?sort=x&lang=en").json["error"]["message"]


# --- recommendations -------------------------------------------------------------------------------


def _rec_body(report_id, **kw):
    body = {
        "report_id": report_id,
        "code": "R9",
        "section": "三(九)",
        "title_zh": "推動再生水",
        "title_en": "Promote water reuse",
        "text_zh": "建議推動再生水。",
        "text_en": "Promote water reuse.",
    }
    body.update(kw)
    return body


def test_admin_adds_a_recommendation_after_the_last(client, login, world):
    login(world.admin)
    report = world.item.recommendation.report
    resp = client.post(f"{API}/recommendations", json=_rec_body(report.id))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["report_id"] == report.id and body["position"] == world.item.recommendation.position + 1
    assert body["version"] == 1 and body["action_items"] == [] and body["progress"] is None
    assert resp.headers["ETag"] == f'W/"recommendation-{body["id"]}-v1"'
    assert client.get(resp.headers["Location"]).json["code"] == "R9"
    assert _summary(_audit("recommendation.create")[-1])["after"]["report_id"] == report.id
    listed = client.get(f"{API}/reports/{report.id}").json["recommendations"]
    assert [r["code"] for r in listed][-1] == "R9"


def test_recommendation_rules(client, login, world):
    login(world.admin)
    report = world.item.recommendation.report
    dup = client.post(f"{API}/recommendations", json=_rec_body(report.id, code="R1"))
    assert dup.status_code == 422 and "code" in dup.json["error"]["errors"]
    nowhere = client.post(f"{API}/recommendations", json=_rec_body(999999))
    assert nowhere.status_code == 422 and "report_id" in nowhere.json["error"]["errors"]
    huge = client.post(f"{API}/recommendations", json=_rec_body(2**31, position=2**31))
    assert huge.status_code == 422 and {"report_id", "position"} <= set(huge.json["error"]["errors"])
    bidi = client.post(f"{API}/recommendations", json=_rec_body(report.id, title_en="a\u202eb"))
    assert bidi.status_code == 422 and "title_en" in bidi.json["error"]["errors"]
    nul = client.post(f"{API}/recommendations", json=_rec_body(report.id, title_en="a\u0000b"))
    assert nul.status_code == 400 and nul.json["error"]["code"] == "invalid_text"


def test_patch_recommendation_keeps_its_report(client, login, world, factory):
    rec = world.item.recommendation
    other = factory.report(code="other")
    db.session.commit()
    login(world.admin)
    url = f"{API}/recommendations/{rec.id}"
    etag = client.get(url).headers["ETag"]
    moved = client.patch(url, json={"report_id": other.id}, headers={"If-Match": etag})
    assert moved.status_code == 422 and "report_id" in moved.json["error"]["errors"]
    ok = client.patch(url, json={"section": "三(八)", "text_en": "Reuse water."}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.json["section"] == "三(八)" and ok.json["version"] == 2
    assert ok.json["action_items"][0]["code"] == world.item.code
    stale = client.patch(url, json={"section": "x"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json["error"]["etag"] == ok.headers["ETag"]
    other_tag = client.patch(url, json={"section": "x"}, headers={"If-Match": f'W/"report-{rec.id}-v2"'})
    assert other_tag.status_code == 400
    row = _audit("recommendation.edit")[-1]
    assert set(_summary(row)["after"]) == {"section", "text_en", "version"}


@pytest.mark.parametrize("role", ["lead", "other", "reviewer", "viewer"])
def test_only_admins_write_recommendations(client, login, world, role):
    rec = world.item.recommendation
    login(_user(world, role))
    assert client.post(f"{API}/recommendations", json=_rec_body(rec.report_id)).status_code == 403
    assert (
        client.patch(
            f"{API}/recommendations/{rec.id}",
            json={"section": "x"},
            headers={"If-Match": f'W/"recommendation-{rec.id}-v1"'},
        ).status_code
        == 403
    )
    assert client.get(f"{API}/recommendations/{rec.id}").status_code == 200


def test_recommendation_list_pages_filters_and_sorts(client, login, world, factory):
    report = world.item.recommendation.report
    for n in range(2, 6):
        factory.recommendation(report, code=f"R{n}", position=n, section=f"三({n})")
    db.session.commit()
    login(world.reviewer)
    resp = client.get(f"{API}/recommendations?report={report.id}&per_page=2&sort=-code")
    assert resp.status_code == 200
    assert [r["code"] for r in resp.json["recommendations"]] == ["R5", "R4"]
    assert resp.json["pagination"]["total"] == 5 and resp.headers["X-Total-Count"] == "5"
    assert [r["code"] for r in client.get(f"{API}/recommendations?code=r3").json["recommendations"]] == ["R3"]
    assert client.get(f"{API}/recommendations?sort=title").status_code == 400
    assert client.get(f"{API}/recommendations?report=999999").status_code == 404


# --- practices and figures --------------------------------------------------------------------------


def _practice_body(rec_id, **kw):
    body = {
        "recommendation_id": rec_id,
        "code": "P1",
        "section": "二(一)",
        "place_zh": "以色列",
        "place_en": "Israel",
        "title_zh": "廢水回收",
        "title_en": "Waste-water reuse",
    }
    body.update(kw)
    return body


def test_practice_and_figure_lifecycle(client, login, world):
    rec = world.item.recommendation
    login(world.admin)
    resp = client.post(f"{API}/practices", json=_practice_body(rec.id))
    assert resp.status_code == 201, resp.json
    practice = resp.json
    assert practice["recommendation_id"] == rec.id and practice["figures"] == [] and practice["version"] == 1
    assert resp.headers["ETag"] == f'W/"practice-{practice["id"]}-v1"'
    no_value = client.post(
        f"{API}/figures",
        json={
            "practice_id": practice["id"],
            "code": "reuse",
            "label_zh": "回收率",
            "label_en": "Reuse",
            "section": "二(一)",
        },
    )
    assert no_value.status_code == 422 and "value" in no_value.json["error"]["errors"]
    fig = client.post(
        f"{API}/figures",
        json={
            "practice_id": practice["id"],
            "code": "reuse",
            "label_zh": "回收率",
            "label_en": "Reuse",
            "section": "二(一)",
            "value": 87.5,
            "unit": "%",
            "year": 2016,
            "quote_zh": "廢水回收再利用率達87%",
        },
    )
    assert fig.status_code == 201, fig.json
    assert fig.json["value"] == 87.5 and fig.json["practice_id"] == practice["id"]
    assert client.get(fig.headers["Location"]).json["quote_zh"] == "廢水回收再利用率達87%"
    listed = client.get(f"{API}/practices/{practice['id']}").json
    assert [f["code"] for f in listed["figures"]] == ["reuse"]
    # The figure shows in the recommendation the read API already had.
    nested = client.get(f"{API}/recommendations/{rec.id}").json["practices"]
    assert nested[0]["figures"][0]["value"] == 87.5
    too_precise = client.patch(
        fig.headers["Location"], json={"value": "1.23456"}, headers={"If-Match": fig.headers["ETag"]}
    )
    assert too_precise.status_code == 422
    changed = client.patch(
        fig.headers["Location"],
        json={"value": None, "value_text_zh": "逾八成"},
        headers={"If-Match": fig.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["value"] is None and changed.json["value_text_zh"] == "逾八成"
    assert changed.headers["ETag"].endswith('-v2"')
    renamed = client.patch(
        f"{API}/practices/{practice['id']}",
        json={"title_en": "Reuse of waste water"},
        headers={"If-Match": resp.headers["ETag"]},
    )
    assert renamed.status_code == 200 and renamed.json["title_en"] == "Reuse of waste water"
    assert _audit("figure.edit") and _audit("practice.edit") and _audit("figure.create")


def test_practice_and_figure_rules(client, login, world):
    rec = world.item.recommendation
    login(world.admin)
    assert client.post(f"{API}/practices", json=_practice_body(rec.id)).status_code == 201
    dup = client.post(f"{API}/practices", json=_practice_body(rec.id))
    assert dup.status_code == 422 and "code" in dup.json["error"]["errors"]
    blank = client.post(f"{API}/practices", json=_practice_body(rec.id, code="P2", title_zh="   "))
    assert blank.status_code == 422 and "title_zh" in blank.json["error"]["errors"]
    fig = client.post(
        f"{API}/figures",
        json={
            "practice_id": 2**31,
            "code": "x",
            "label_zh": "a",
            "label_en": "b",
            "section": "s",
            "value": 1,
            "year": 12345,
        },
    )
    assert fig.status_code == 422 and {"practice_id", "year"} <= set(fig.json["error"]["errors"])
    huge = client.post(
        f"{API}/figures",
        json={"practice_id": 1, "code": "x", "label_zh": "a", "label_en": "b", "section": "s", "value": 1e300},
    )
    assert huge.status_code == 422 and "value" in huge.json["error"]["errors"]


@pytest.mark.parametrize("role", ["lead", "other", "reviewer", "viewer", "admin"])
def test_every_role_reads_practices_and_figures(client, login, world, role):
    practice = ReferencePractice(
        recommendation=world.item.recommendation,
        code="P1",
        section="二",
        place_zh="以色列",
        place_en="Israel",
        title_zh="作法",
        title_en="Practice",
    )
    practice.figures = [
        PracticeFigure(code="f", label_zh="數", label_en="n", value=Decimal("3"), section="二", year=2015)
    ]
    db.session.add(practice)
    db.session.commit()
    login(_user(world, role))
    assert client.get(f"{API}/practices").json["practices"][0]["code"] == "P1"
    assert client.get(f"{API}/practices/{practice.id}").status_code == 200
    assert client.get(f"{API}/figures?year=2015").json["figures"][0]["value"] == 3.0
    assert client.get(f"{API}/figures?year=2016").json["figures"] == []
    assert (
        client.get(f"{API}/figures/{practice.figures[0].id}").headers["ETag"]
        == f'W/"figure-{practice.figures[0].id}-v1"'
    )
    expected = 201 if role == "admin" else 403
    assert (
        client.post(f"{API}/practices", json=_practice_body(world.item.recommendation_id, code="P2")).status_code
        == expected
    )
    assert (
        client.post(
            f"{API}/figures",
            json={
                "practice_id": practice.id,
                "code": "g",
                "label_zh": "a",
                "label_en": "b",
                "section": "s",
                "value": 1,
            },
        ).status_code
        == expected
    )


def test_practice_and_figure_lists_filter_and_404(client, login, world, factory):
    rec = world.item.recommendation
    other_rec = factory.recommendation(factory.report(code="other"), code="X1")
    for n, r in enumerate((rec, rec, other_rec)):
        db.session.add(
            ReferencePractice(
                recommendation=r,
                code=f"P{n}",
                position=n,
                section="二",
                place_zh="以色列" if n else "新加坡",
                place_en="Israel" if n else "Singapore",
                title_zh="作法",
                title_en="Practice",
            )
        )
    db.session.commit()
    login(world.viewer)
    assert client.get(f"{API}/practices?report={rec.report_id}").json["pagination"]["total"] == 2
    assert [p["code"] for p in client.get(f"{API}/practices?place=singa").json["practices"]] == ["P0"]
    assert [p["code"] for p in client.get(f"{API}/practices?sort=-position&per_page=1").json["practices"]] == ["P2"]
    assert client.get(f"{API}/practices?recommendation=999999").status_code == 404
    assert client.get(f"{API}/figures?practice=999999").status_code == 404
    assert client.get(f"{API}/practices/999999").status_code == 404
    assert client.get(f"{API}/figures?sort=value").status_code == 400
    assert client.get(f"{API}/practices?as_of=2017-01-01").status_code == 400  # not an argument of this list


# --- indicators ---------------------------------------------------------------------------------------


def _indicator_body(rec_id, **kw):
    body = {
        "recommendation_id": rec_id,
        "code": "reuse-rate",
        "name_zh": "再生水利用率",
        "name_en": "Water reuse rate",
        "unit": "%",
        "unit_en": "%",
        "direction": "higher",
        "reference_value": 87,
        "reference_year": 2016,
        "target_value": 30,
        "target_year": 2030,
    }
    body.update(kw)
    return body


def test_indicator_lifecycle(client, login, world):
    rec = world.item.recommendation
    login(world.admin)
    resp = client.post(f"{API}/indicators", json=_indicator_body(rec.id, data_department_id=world.lead.id))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["baseline"]["value"] is None and "baseline" in body["missing"]  # never invented
    assert body["data_department"]["code"] == "WRB" and body["version"] == 1
    assert body["reference"]["value"] == 87.0 and body["as_of"]
    url = resp.headers["Location"]
    assert client.get(url + "?as_of=2017-12-31").json["as_of"] == "2017-12-31"
    backwards = client.patch(url, json={"baseline_year": 2031}, headers={"If-Match": resp.headers["ETag"]})
    assert backwards.status_code == 422 and "target_year" in backwards.json["error"]["errors"]
    ok = client.patch(
        url,
        json={"baseline_value": 12.5, "baseline_year": 2016, "direction": "lower"},
        headers={"If-Match": resp.headers["ETag"]},
    )
    assert ok.status_code == 200, ok.json
    assert (
        ok.json["baseline"]["value"] == 12.5
        and ok.json["direction"] == "lower"
        and "baseline" not in ok.json["missing"]
    )
    row = _audit("indicator.edit")[-1]
    assert _summary(row)["after"] == {
        "baseline_value": "12.5000" if False else _summary(row)["after"]["baseline_value"],
        "baseline_year": 2016,
        "direction": "lower",
        "version": 2,
    }
    assert _summary(row)["before"]["direction"] == "higher"


def test_indicator_rules(client, login, world, factory):
    rec = world.item.recommendation
    other_rec = factory.recommendation(world.item.recommendation.report, code="R2")
    foreign = ReferencePractice(
        recommendation=other_rec, code="P", section="二", place_zh="以", place_en="I", title_zh="t", title_en="t"
    )
    gone = factory.department("OLD", active=False)
    db.session.add(foreign)
    db.session.commit()
    login(world.admin)
    resp = client.post(
        f"{API}/indicators",
        json=_indicator_body(
            rec.id, code="water-reuse", direction="sideways", practice_id=foreign.id, data_department_id=gone.id
        ),
    )
    assert resp.status_code == 422
    assert {"code", "direction", "practice_id", "data_department_id"} <= set(resp.json["error"]["errors"])


def test_indicator_list_filters(client, login, world):
    login(world.other_editor)
    resp = client.get(f"{API}/indicators?recommendation={world.item.recommendation_id}&sort=code")
    assert resp.status_code == 200
    assert [i["code"] for i in resp.json["indicators"]] == ["unlinked", "water-reuse"]
    assert client.get(f"{API}/indicators?direction=lower").json["indicators"] == []
    assert client.get(f"{API}/indicators?direction=sideways").status_code == 400
    assert client.get(f"{API}/indicators?data_department=999999").status_code == 404
    assert client.get(f"{API}/indicators?as_of=2017-06-30&per_page=1").json["pagination"]["pages"] == 2
    assert (
        client.get(f"{API}/indicators/{world.indicator.id}").headers["ETag"] == f'W/"indicator-{world.indicator.id}-v1"'
    )
    assert (
        client.patch(
            f"{API}/indicators/{world.indicator.id}",
            json={"unit": "m"},
            headers={"If-Match": f'W/"indicator-{world.indicator.id}-v1"'},
        ).status_code
        == 403
    )


# --- action items --------------------------------------------------------------------------------------


def _item_body(world, **kw):
    body = {
        "recommendation_id": world.item.recommendation_id,
        "code": "R1-A2",
        "title_zh": "建置再生水廠",
        "title_en": "Build a water reclamation plant",
        "source_section": "三(一)",
        "lead_department_id": world.lead.id,
        "supporting_department_ids": [world.support.id],
        "indicator_ids": [world.indicator.id],
        "start_date": "2017-01-01",
        "due_date": "2019-12-31",
        "budget_amount": 1500000,
        "budget_source": "city",
    }
    body.update(kw)
    return body


def test_admin_creates_an_item_that_the_lead_department_then_reports_on(client, login, world):
    login(world.admin)
    resp = client.post(f"{API}/action-items", json=_item_body(world))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["lead_department"]["code"] == "WRB" and [d["code"] for d in body["supporting_departments"]] == ["AGR"]
    assert body["departments_proposed"] is True and body["version"] == 1 and body["weight"] == 1.0
    assert body["indicators"][0]["code"] == "water-reuse" and body["budget"]["amount"] == 1500000
    assert body["position"] == world.item.position + 1 and body["status"] == "not_started"
    assert resp.headers["ETag"] == f'W/"item-{body["id"]}-v1"'
    assert resp.headers["Location"].endswith(f"/api/v1/action-items/{body['id']}")
    # The department sees it and may report on it with the same ETag.
    login(world.lead_editor)
    update = client.post(
        f"{API}/action-items/{body['id']}/updates",
        headers={"If-Match": resp.headers["ETag"]},
        json={"status": "planning", "progress": 5, "effective_date": "2017-06-30", "narrative": "規劃中"},
    )
    assert update.status_code == 201, update.json
    listed = client.get(f"{API}/action-items?lead_department={world.lead.id}&sort=code").json["action_items"]
    assert [i["code"] for i in listed] == ["R1-A1", "R1-A2"] and listed[1]["pending"] is True


def test_item_rules(client, login, world, factory):
    gone = factory.department("OLD", active=False)
    foreign = factory.indicator(factory.recommendation(world.item.recommendation.report, code="R2"), code="x")
    db.session.commit()
    login(world.admin)
    resp = client.post(
        f"{API}/action-items",
        json=_item_body(
            world,
            code="R1-A1",
            supporting_department_ids=[world.lead.id],
            indicator_ids=[foreign.id],
            due_date="2016-01-01",
            budget_source=None,
            weight=0,
        ),
    )
    assert resp.status_code == 422
    assert {"code", "supporting_department_ids", "indicator_ids", "due_date", "budget_source", "weight"} <= set(
        resp.json["error"]["errors"]
    )
    inactive = client.post(f"{API}/action-items", json=_item_body(world, lead_department_id=gone.id))
    assert inactive.status_code == 422 and "lead_department_id" in inactive.json["error"]["errors"]
    not_a_list = client.post(f"{API}/action-items", json=_item_body(world, practice_ids="1"))
    assert not_a_list.status_code == 422 and "practice_ids" in not_a_list.json["error"]["errors"]
    unicode_id = client.post(f"{API}/action-items", json=_item_body(world, lead_department_id="١"))
    assert unicode_id.status_code == 422


def test_patch_item_shares_the_version_with_status_updates(client, login, world):
    item = world.item
    login(world.admin)
    url = f"{API}/action-items/{item.id}"
    etag = client.get(url).headers["ETag"]
    ok = client.patch(
        url, json={"due_date": "2019-06-30", "weight": 2.5, "practice_ids": []}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["schedule"]["due_date"] == "2019-06-30" and ok.json["weight"] == 2.5
    assert ok.headers["ETag"] == f'W/"item-{item.id}-v2"'
    row = _audit("item.edit")[-1]
    assert set(_summary(row)["after"]) == {"due_date", "weight", "version"}
    # A department's update based on the old version is a conflict; an edit based on it a 412.
    login(world.lead_editor)
    late = client.post(
        f"{API}/action-items/{item.id}/updates",
        headers={"If-Match": etag},
        json={"status": "planning", "progress": 5, "effective_date": "2017-06-30", "narrative": "x"},
    )
    assert late.status_code == 409
    login(world.admin)
    stale = client.patch(url, json={"weight": 1}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json["error"]["etag"] == ok.headers["ETag"]
    moved = client.patch(
        url, json={"recommendation_id": item.recommendation_id}, headers={"If-Match": ok.headers["ETag"]}
    )
    assert moved.status_code == 422
    report_tag = client.patch(url, json={"weight": 1}, headers={"If-Match": f'W/"report-{item.id}-v2"'})
    assert report_tag.status_code == 400


@pytest.mark.parametrize("role", ["lead", "other", "reviewer", "viewer"])
def test_only_admins_write_items(client, login, world, role):
    login(_user(world, role))
    assert client.post(f"{API}/action-items", json=_item_body(world)).status_code == 403
    assert (
        client.patch(
            f"{API}/action-items/{world.item.id}",
            json={"weight": 3},
            headers={"If-Match": f'W/"item-{world.item.id}-v1"'},
        ).status_code
        == 403
    )
    listed = client.get(f"{API}/action-items")
    assert listed.status_code == 200 and listed.json["pagination"]["total"] == 1


def test_item_list_filters_and_sorts(client, login, world, factory):
    rec = world.item.recommendation
    factory.item(rec, lead=world.other, code="R1-B", due_date=date(2017, 3, 1), position=5)
    factory.item(rec, lead=world.other, code="R1-C", due_date=None, position=6)
    db.session.commit()
    login(world.viewer)
    by_due = client.get(f"{API}/action-items?sort=due_date").json["action_items"]
    assert [i["code"] for i in by_due] == ["R1-B", "R1-A1", "R1-C"]  # no due date: last
    desc = client.get(f"{API}/action-items?sort=-due_date").json["action_items"]
    assert [i["code"] for i in desc] == ["R1-A1", "R1-B", "R1-C"]
    assert [i["code"] for i in client.get(f"{API}/action-items?due_before=2017-12-31").json["action_items"]] == ["R1-B"]
    support = client.get(f"{API}/action-items?supporting_department={world.support.id}").json["action_items"]
    assert [i["code"] for i in support] == ["R1-A1"]
    assert client.get(f"{API}/action-items?report={rec.report_id}").json["pagination"]["total"] == 3
    assert client.get(f"{API}/action-items?lead_department=99999999999").status_code == 404
    assert client.get(f"{API}/action-items?due_before=31/12/2017").status_code == 400


# --- hostile input: 400/404/422, never a 500 ----------------------------------------------------------

HOSTILE_VALUES = (2**31, "١٢", "\u202eabc", [], {"a": 1}, 1e308, True, "x" * 20001)


def test_every_field_of_every_create_refuses_hostile_values(client, login, world):
    """A valid body with one field at a time set to a hostile value: created (where the value happens to be
    acceptable for that field) or 422 naming that field, never a 500."""
    from tracker.services import structure as svc

    practice = ReferencePractice(
        recommendation=world.item.recommendation,
        code="PX",
        section="二",
        place_zh="以",
        place_en="I",
        title_zh="t",
        title_en="t",
    )
    db.session.add(practice)
    db.session.commit()
    figure = {"practice_id": practice.id, "code": "f", "label_zh": "a", "label_en": "b", "section": "二", "value": 1}
    cases = [
        ("reports", svc.REPORT_FIELDS, REPORT),
        ("recommendations", svc.RECOMMENDATION_FIELDS, _rec_body(world.item.recommendation.report_id)),
        ("practices", svc.PRACTICE_FIELDS, _practice_body(world.item.recommendation_id)),
        ("figures", svc.FIGURE_FIELDS, figure),
        ("indicators", svc.INDICATOR_FIELDS, _indicator_body(world.item.recommendation_id)),
        ("action-items", svc.ITEM_FIELDS, _item_body(world)),
    ]
    login(world.admin)
    n = 0
    outcomes = set()
    for url, specs, base in cases:
        for spec in specs:
            for value in HOSTILE_VALUES:
                n += 1
                body = {**base, "code": f"h{n}", spec.name: value}
                resp = client.post(f"{API}/{url}", json=body)
                outcomes.add(resp.status_code)
                assert resp.status_code in (201, 422), (url, spec.name, value, resp.status_code)
                if resp.status_code == 422:
                    assert spec.name in resp.json["error"]["errors"], (url, spec.name, value, resp.json)
    assert outcomes == {201, 422}


@pytest.mark.parametrize("path", ["reports", "recommendations", "practices", "figures", "indicators", "action-items"])
def test_hostile_ids_and_arguments(client, login, world, path):
    login(world.admin)
    for ident in ("2147483648", "99999999999999999999", "0", "-1", "²", "١٢"):
        assert client.get(f"{API}/{path}/{ident}").status_code == 404
        assert (
            client.patch(f"{API}/{path}/{ident}", json={}, headers={"If-Match": 'W/"report-1-v1"'}).status_code == 404
        )
    for query in ("page=2147483648", "per_page=0", "page=１", "sort=%00", "code=a%00b", "sort=-id,-id,-id,-id"):
        resp = client.get(f"{API}/{path}?{query}")
        assert resp.status_code == 400, (query, resp.status_code)
        assert resp.json["error"]["code"] in ("invalid_argument", "invalid_text")


@pytest.mark.parametrize(
    "kind,path",
    [
        ("report", "reports"),
        ("recommendation", "recommendations"),
        ("practice", "practices"),
        ("figure", "figures"),
        ("indicator", "indicators"),
        ("item", "action-items"),
    ],
)
def test_hostile_bodies_and_tags_on_every_update(client, login, world, kind, path):
    practice = ReferencePractice(
        recommendation=world.item.recommendation,
        code="P1",
        section="二",
        place_zh="以",
        place_en="I",
        title_zh="t",
        title_en="t",
    )
    practice.figures = [PracticeFigure(code="f", label_zh="a", label_en="b", value=Decimal(1), section="二")]
    db.session.add(practice)
    db.session.commit()
    obj_id = {
        "report": world.item.recommendation.report_id,
        "recommendation": world.item.recommendation_id,
        "practice": practice.id,
        "figure": practice.figures[0].id,
        "indicator": world.indicator.id,
        "item": world.item.id,
    }[kind]
    url = f"{API}/{path}/{obj_id}"
    tag = f'W/"{kind}-{obj_id}-v1"'
    login(world.admin)
    assert client.patch(url, json={"code": "a\u0000"}, headers={"If-Match": tag}).status_code == 400
    deep = "[" * 10000 + "]" * 10000
    resp = client.patch(url, data=deep, content_type="application/json", headers={"If-Match": tag})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "json_too_deep"
    assert client.patch(url, data="{", content_type="application/json", headers={"If-Match": tag}).status_code == 400
    assert client.patch(url, data="code=x", headers={"If-Match": tag}).status_code == 415
    assert client.patch(url, json=[1, 2], headers={"If-Match": tag}).status_code == 422
    for bad in (f'W/"{kind}-{obj_id}-v2147483648"', f'W/"{kind}-{obj_id}-v١"', 'W/""', "garbage", f"{tag}, {tag}"):
        resp = client.patch(url, json={}, headers={"If-Match": bad})
        assert resp.status_code == 400, (bad, resp.status_code)
        assert resp.json["error"]["field"] == "If-Match"
    same = client.patch(url, json={}, headers={"If-Match": tag})
    assert same.status_code == 200 and same.headers["ETag"] == tag  # nothing sent, nothing changed
    for version in ("2", "2147483647"):
        resp = client.patch(url, json={}, headers={"If-Match": f'W/"{kind}-{obj_id}-v{version}"'})
        assert resp.status_code == 412 and resp.json["error"]["current_version"] == 1


# --- the OpenAPI document describes all of it --------------------------------------------------------


def _spec(client):
    resp = client.get(f"{API}/openapi.json")
    assert resp.status_code == 200
    return resp.json


def test_openapi_describes_every_write_and_list(client, login, world):
    from openapi_spec_validator import validate

    login(world.viewer)
    spec = _spec(client)
    validate(spec)
    paths = spec["paths"]
    for resource, param in (
        ("reports", "report_id"),
        ("recommendations", "recommendation_id"),
        ("practices", "practice_id"),
        ("figures", "figure_id"),
        ("indicators", "indicator_id"),
        ("action-items", "item_id"),
    ):
        listing, one = paths[f"{API}/{resource}"], paths[f"{API}/{resource}/{{{param}}}"]
        assert {"get", "post"} <= set(listing) and {"get", "patch"} <= set(one)
        names = {p["name"] for p in listing["get"]["parameters"]}
        assert {"page", "per_page", "sort"} <= names
        assert {"Link", "X-Total-Count"} <= set(listing["get"]["responses"]["200"]["headers"])
        created = listing["post"]["responses"]
        assert {"201", "400", "401", "403", "409", "415", "422"} <= set(created)
        assert {"Location", "ETag"} <= set(created["201"]["headers"])
        body = listing["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        component = spec["components"]["schemas"][body]
        assert component["additionalProperties"] is False and "code" in component["required"]
        patch = one["patch"]
        assert {"200", "400", "404", "412", "422", "428"} <= set(patch["responses"])
        if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
        assert if_match["required"] is True and if_match["in"] == "header"
        assert "ETag" in one["get"]["responses"]["200"]["headers"]
        for op in (listing["get"], listing["post"], one["get"], patch):
            assert {"bearerAuth": []} in op["security"]
    sort = next(p for p in paths[f"{API}/reports"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["default"] == "-report_date" and "pattern" in sort["schema"]
    code = spec["components"]["schemas"]["ReportCreate"]["properties"]["code"]
    assert code["maxLength"] == 60 and code["pattern"]


def test_structure_responses_match_the_openapi_document(client, login, world):
    from openapi_schema_validator import OAS30Validator

    login(world.admin)
    spec = _spec(client)

    def check(resp, name):
        errors = [
            e.message
            for e in OAS30Validator(
                {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
            ).iter_errors(resp.json)
        ]
        assert errors == [], (resp.request.path, name, errors[:3])

    report = client.post(f"{API}/reports", json=REPORT)
    check(report, "ReportDetail")
    rec = client.post(f"{API}/recommendations", json=_rec_body(report.json["id"]))
    check(rec, "RecommendationDetail")
    practice = client.post(f"{API}/practices", json=_practice_body(rec.json["id"]))
    check(practice, "Practice")
    figure = client.post(
        f"{API}/figures",
        json={
            "practice_id": practice.json["id"],
            "code": "f",
            "label_zh": "a",
            "label_en": "b",
            "section": "二",
            "value": 2.5,
        },
    )
    check(figure, "PracticeFigure")
    indicator = client.post(f"{API}/indicators", json=_indicator_body(rec.json["id"]))
    check(indicator, "IndicatorDetail")
    item = client.post(
        f"{API}/action-items",
        json=_item_body(world, recommendation_id=rec.json["id"], indicator_ids=[indicator.json["id"]]),
    )
    check(item, "ActionItemDetail")
    for url, name in (
        (f"{API}/reports", "ReportList"),
        (f"{API}/recommendations", "RecommendationList"),
        (f"{API}/practices", "PracticeList"),
        (f"{API}/figures", "FigureList"),
        (f"{API}/indicators", "IndicatorList"),
        (f"{API}/action-items", "ActionItemList"),
        (f"{API}/reports?sort=nope", "ApiError"),
    ):
        check(client.get(url), name)
    patched = client.patch(
        f"{API}/action-items/{item.json['id']}", json={"weight": 3}, headers={"If-Match": item.headers["ETag"]}
    )
    check(patched, "ActionItemDetail")
    check(
        client.patch(
            f"{API}/action-items/{item.json['id']}", json={"weight": 3}, headers={"If-Match": item.headers["ETag"]}
        ),
        "ApiError",
    )
    check(client.patch(f"{API}/action-items/{item.json['id']}", json={"weight": 3}), "ApiError")


# --- the service without the API --------------------------------------------------------------------


def test_service_refuses_non_admins_and_audits(app, world):
    from tracker.services import PermissionDenied, structure

    with pytest.raises(PermissionDenied):
        structure.create_report(world.reviewer, REPORT)
    assert _audit("report.denied")[-1].user_id == world.reviewer.id
    assert db.session.scalar(select(Report).where(Report.code == "seoul-2018")) is None


def test_service_guards_the_version_against_lost_updates(app, world):
    from tracker.services import ConflictError, structure

    report = world.item.recommendation.report
    structure.update_report(report, world.admin, {"title_en": "First"}, based_on_version=1)
    db.session.commit()
    with pytest.raises(ConflictError) as caught:
        structure.update_report(report, world.admin, {"title_en": "Second"}, based_on_version=1)
    assert caught.value.current_version == 2
    db.session.rollback()
    assert db.session.get(Report, report.id).title_en == "First"


def test_service_touches_the_read_model_when_the_filing_date_moves(app, world):
    from tracker.services import projections, structure

    report = world.item.recommendation.report
    structure.update_report(report, world.admin, {"report_date": "2017-01-10"}, based_on_version=1)
    assert world.item.id in db.session.info.get(projections.PENDING_KEY, set())
    db.session.commit()


@pytest.mark.parametrize("path", ["action-items", "indicators", "practices", "figures", "reports", "recommendations"])
def test_list_statements_do_not_grow_with_the_page(client, login, world, factory, count_queries, path):
    def fill(n, tag):
        rec = factory.recommendation(factory.report(code=f"r{tag}"), code="R")
        for k in range(n):
            item = factory.item(rec, lead=world.lead, supporting=[world.support], code=f"A{k}")
            item.indicators = [factory.indicator(rec, code=f"I{k}")]
            practice = ReferencePractice(
                recommendation=rec, code=f"P{k}", section="二", place_zh="以", place_en="I", title_zh="t", title_en="t"
            )
            practice.figures = [PracticeFigure(code="f", label_zh="a", label_en="b", value=Decimal(1), section="二")]
            db.session.add(practice)
            factory.recommendation(rec.report, code=f"S{k}")
        db.session.commit()

    def measure():
        db.session.expire_all()
        with count_queries() as counter:
            resp = client.get(f"{API}/{path}?per_page=100")
        assert resp.status_code == 200
        return counter.count

    login(world.viewer)
    fill(2, "small")
    small = measure()
    fill(30, "large")
    large = measure()
    assert small == large, (small, large)
