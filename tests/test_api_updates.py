"""POST/GET /api/v1/action-items/<id>/updates: the same operation as the form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.update_world import tiny_pdf, update_form
from tracker.extensions import db
from tracker.models import AuditLog, Review, ReviewDecision, StatusUpdate
from tracker.services import tokens, updates, uploads


def _url(world) -> str:
    return f"/api/v1/action-items/{world.item.id}/updates"


def _body(world, **overrides):
    body = {
        "status": "in_progress",
        "progress": 40,
        "effective_date": "2017-06-30",
        "narrative": "完成再生水廠規劃",
        "version": world.item.version,
    }
    body.update(overrides)
    return body


def test_post_creates_a_pending_update_with_location_and_new_version(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        _url(world),
        json=_body(
            world,
            measurements=[
                {"indicator_id": world.indicator.id, "value": 12.5, "measured_on": "2017-06-01", "source_note": "年報"}
            ],
            evidence_url="https://example.org/report",
        ),
    )
    assert resp.status_code == 201, resp.json
    data = resp.json
    assert data["item_version"] == 2
    assert data["update"]["state"] == "submitted" and data["update"]["review"] is None
    assert data["update"]["measurements"][0]["value"] == 12.5
    assert resp.headers["Location"] == f"{_url(world)}/{data['update']['id']}"
    assert resp.headers["ETag"] == f'W/"item-{world.item.id}-v2"'
    one = client.get(resp.headers["Location"])
    assert one.status_code == 200 and one.json["narrative"] == "完成再生水廠規劃"


def test_if_match_carries_the_version(client, login, world):
    login(world.lead_editor)
    body = _body(world)
    del body["version"]
    resp = client.post(_url(world), json=body, headers={"If-Match": f'W/"item-{world.item.id}-v1"'})
    assert resp.status_code == 201
    stale = client.post(_url(world), json=body, headers={"If-Match": f'"item-{world.item.id}-v1"'})
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "version_conflict"
    assert stale.json["error"]["current_version"] == 2
    bad = client.post(_url(world), json=body, headers={"If-Match": '"something-else"'})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "If-Match"


def test_the_item_etag_from_the_read_api_is_accepted(client, login, world):
    login(world.lead_editor)
    item = client.get(f"/api/v1/action-items/{world.item.id}")
    assert item.status_code == 200 and item.headers.get("ETag")
    body = _body(world)
    del body["version"]
    resp = client.post(_url(world), json=body, headers={"If-Match": item.headers["ETag"]})
    assert resp.status_code == 201


def test_stale_version_gets_409_and_writes_nothing(client, login, world):
    login(world.lead_editor)
    assert client.post(_url(world), json=_body(world, version=1)).status_code == 201
    resp = client.post(_url(world), json=_body(world, version=1, narrative="second"))
    assert resp.status_code == 409
    assert resp.json["error"]["current_version"] == 2
    assert db.session.scalar(select(StatusUpdate).where(StatusUpdate.narrative == "second")) is None


def test_missing_version_is_named(client, login, world):
    login(world.lead_editor)
    body = _body(world)
    del body["version"]
    resp = client.post(_url(world), json=body)
    assert resp.status_code == 422
    assert set(resp.json["error"]["errors"]) == {"version"}


def test_invalid_fields_are_all_named_in_a_422(client, login, world):
    login(world.lead_editor)
    resp = client.post(
        _url(world),
        json={
            "status": "completed",
            "progress": 150,
            "effective_date": "2099-01-01",
            "narrative": "",
            "evidence_url": "file:///etc/passwd",
            "version": 1,
            "measurements": [
                {"indicator_id": world.other_indicator.id, "value": "x", "measured_on": "2017-13-01"},
                "nonsense",
            ],
        },
    )
    assert resp.status_code == 422
    errors = resp.json["error"]["errors"]
    assert set(errors) == {
        "progress",
        "effective_date",
        "narrative",
        "evidence_url",
        "measurements.0.indicator_id",
        "measurements.0.value",
        "measurements.0.measured_on",
        "measurements.1",
    }
    assert resp.json["error"]["field"] in errors
    assert db.session.scalar(select(StatusUpdate)) is None


@pytest.mark.parametrize(
    "body",
    [
        {"narrative": "x", "unexpected": 1},
        {"narrative": "x", "attachments": []},
    ],
)
def test_unknown_fields_are_refused(client, login, world, body):
    login(world.lead_editor)
    resp = client.post(_url(world), json=body)
    assert resp.status_code in (400, 422)
    assert db.session.scalar(select(StatusUpdate)) is None


def test_a_body_that_is_not_a_json_object_is_refused(client, login, world):
    login(world.lead_editor)
    for resp in (
        client.post(_url(world), data="not json", content_type="application/json"),
        client.post(_url(world), json=[1, 2]),
    ):
        assert resp.status_code in (400, 422)
        assert "error" in resp.json


@pytest.mark.parametrize("who", ["support_editor", "other_editor", "reviewer", "viewer", "admin"])
def test_other_roles_and_departments_get_403_and_are_logged(client, login, world, who):
    user = getattr(world, who)
    login(user)
    resp = client.post(_url(world), json=_body(world))
    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "forbidden"
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "update.denied"))
    assert row.user_id == user.id and row.object_id == str(world.item.id)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "access.denied")) is None  # logged once


def test_unknown_item_is_404(client, login, world):
    login(world.lead_editor)
    assert client.post("/api/v1/action-items/9999/updates", json=_body(world)).status_code == 404
    assert client.get("/api/v1/action-items/9999/updates").status_code == 404
    assert client.get(f"{_url(world)}/9999").status_code == 404


def test_history_lists_updates_newest_first_with_review_files_and_measurements(client, login, world, factory):
    first = updates.submit_update(
        world.item,
        world.lead_editor,
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="first",
        based_on_version=1,
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
        measurements=[{"indicator_id": world.indicator.id, "value": "7", "measured_on": "2017-06-01"}],
    )
    db.session.add(
        Review(
            update=first,
            decision=ReviewDecision.RETURN,
            comment="請補充",
            effective_date=date(2017, 7, 5),
            reviewer=world.reviewer,
        )
    )
    world.item.version += 1
    db.session.flush()
    second = updates.submit_update(
        world.item,
        world.lead_editor,
        status="in_progress",
        progress=35,
        effective_date="2017-06-30",
        narrative="second",
        based_on_version=3,
        corrects_id=first.id,
    )
    db.session.add(
        Review(update=second, decision=ReviewDecision.APPROVE, effective_date=date(2017, 7, 9), reviewer=world.reviewer)
    )
    third = updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=40,
        effective_date="2017-12-31",
        narrative="third",
        based_on_version=4,
    )
    db.session.commit()
    login(world.viewer)
    resp = client.get(_url(world))
    assert resp.status_code == 200
    data = resp.json
    assert data["version"] == world.item.version
    assert [u["id"] for u in data["updates"]] == [third.id, second.id, first.id]
    assert [u["state"] for u in data["updates"]] == ["submitted", "approved", "returned"]
    returned = data["updates"][2]
    assert returned["review"]["comment"] == "請補充" and returned["review"]["decision"] == "return"
    assert returned["attachments"][0]["name"] == "a.pdf"
    assert returned["attachments"][0]["url"] == f"/attachments/{first.attachments[0].id}"
    assert returned["measurements"][0]["value"] == 7.0
    assert data["updates"][1]["corrects_id"] == first.id


def test_a_token_submits_like_the_lead_editor(client, world):
    _tok, raw = tokens.create_token(world.lead_editor, "script")
    db.session.commit()
    resp = client.post(_url(world), json=_body(world), headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 201
    su = db.session.scalar(select(StatusUpdate))
    assert su.submitted_by_id == world.lead_editor.id


# --- the form and the API answer the same input with the same words -------------------------------

FUTURE = (date.today() + timedelta(days=3)).isoformat()
BAD_INPUTS = [
    {"status": "completed", "progress": "90", "narrative": ""},
    {"status": "not_feasible", "progress": "0", "reason": ""},
    {"status": "bogus", "progress": "abc", "effective_date": FUTURE},
    {"progress": "101", "effective_date": "2016-01-01", "evidence_url": "javascript:alert(1)"},
    {"progress": "7.5", "effective_date": "2017-02-30", "narrative": "x" * 10001},
    {"measurements": [{"value": "a lot", "measured_on": FUTURE}]},
    {"measurements": [{"value": "3", "measured_on": ""}]},
    {"status": "completed", "progress": "100"},
]
FORM_KEYS = {
    "measurements.0.value": "measurements-0-value",
    "measurements.0.measured_on": "measurements-0-measured_on",
    "evidence": "files",
}


def _form_errors(html: str) -> dict[str, str]:
    found = {}
    for m in re.finditer(r'<ul class="field-errors" id="([^"]+)-error">(.*?)</ul>', html, re.S):
        body = re.sub(r'<span class="visually-hidden">.*?</span>', "", m.group(2), flags=re.S)
        found[m.group(1)] = re.sub(r"<[^>]+>", "", body).strip()
    return found


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_form_and_api_refuse_the_same_input_with_the_same_messages(client, login, world, bad, lang):
    login(world.lead_editor)
    bad = dict(bad)
    measurements = bad.pop("measurements", None)
    # API
    body = {
        "status": "in_progress",
        "progress": "40",
        "effective_date": "2017-06-30",
        "narrative": "n",
        "version": 1,
        **bad,
    }
    if measurements is not None:
        body["measurements"] = [{"indicator_id": world.indicator.id, **m} for m in measurements]
    api = client.post(f"{_url(world)}?lang={lang}", json=body)
    assert api.status_code == 422
    api_errors = api.json["error"]["errors"]
    # Form
    fields = {k: v for k, v in bad.items()}
    if measurements is not None:
        for key, value in measurements[0].items():
            fields[f"measurements-0-{key}"] = value
    form = client.post(f"/items/{world.item.id}/updates/new?lang={lang}", data=update_form(world, **fields))
    assert form.status_code == 422
    form_errors = _form_errors(form.get_data(as_text=True))
    assert {FORM_KEYS.get(k, k): v for k, v in api_errors.items()} == form_errors
    assert db.session.scalar(select(StatusUpdate)) is None
