"""A correction keeps what it corrects: "修正後重新提報" after a return prefills everything
from the returned report (its data date, status, progress, narrative, measurements), and a
returned report stays visible to its department until it is corrected or withdrawn, even
when a later report exists."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.update_world import update_form
from tracker.extensions import db
from tracker.models import StatusUpdate, UpdateState
from tracker.services import review as review_ops
from tracker.services import updates


def _returned(world) -> StatusUpdate:
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="on_hold",
        progress=35,
        effective_date="2017-12-31",
        narrative="107年度辦理情形",
        reason="經費未核定",
        evidence_url="https://example.org/r",
        measurements=[
            {"indicator_id": world.indicator.id, "value": "12.5", "measured_on": "2017-12-01", "source_note": "年報"}
        ],
        based_on_version=world.item.version,
    )
    review_ops.return_update(su, world.reviewer, "請補充量測來源", date(2018, 1, 5))
    db.session.commit()
    return su


def _value(html: str, name: str) -> str | None:
    m = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*?(?:value="([^"]*)")?[^>]*>', html)
    if m and m.group(0).startswith("<textarea"):
        t = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\s*(.*?)</textarea>', html, re.S)
        return t.group(1).strip() if t else None
    if m and m.group(1) is None:
        v = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', m.group(0))
        return v.group(1) if v else ""
    return m.group(1) if m else None


def test_correction_prefills_the_returned_report_not_today(client, login, world):
    su = _returned(world)
    login(world.lead_editor)
    html = client.get(f"/items/{world.item.id}/updates/new?corrects={su.id}").get_data(as_text=True)
    assert re.search(r'name="effective_date"[^>]*value="(?:2017-12-31|106/12/31)"', html)
    assert re.search(r'<option selected value="on_hold">|<option value="on_hold" selected', html)
    assert re.search(r'name="progress"[^>]*value="35"', html)
    assert "107年度辦理情形" in html and "經費未核定" in html
    assert re.search(r'name="evidence_url"[^>]*value="https://example.org/r"', html)
    assert re.search(r'name="measurements-0-value"[^>]*value="12.5"', html)
    assert re.search(r'name="measurements-0-measured_on"[^>]*value="(?:2017-12-01|106/12/0?1)"', html)
    assert re.search(r'name="measurements-0-source_note"[^>]*value="年報"', html)
    assert re.search(rf'name="corrects_id" type="hidden" value="{su.id}"', html)
    assert "請補充量測來源" in html  # the reviewer's comment above the form


def test_submitting_the_prefilled_correction_keeps_the_data_date(client, login, world):
    su = _returned(world)
    login(world.lead_editor)
    data = update_form(
        world,
        status="on_hold",
        progress="40",
        effective_date="2017-12-31",
        narrative="107年度辦理情形（補充）",
        reason="經費未核定",
        corrects_id=str(su.id),
        **{
            "measurements-0-value": "12.5",
            "measurements-0-measured_on": "2017-12-01",
            "measurements-0-source_note": "年報",
        },
    )
    resp = client.post(f"/items/{world.item.id}/updates/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    new = db.session.scalar(select(StatusUpdate).where(StatusUpdate.corrects_id == su.id))
    assert new.effective_date == date(2017, 12, 31)
    assert [(m.value, m.measured_on) for m in new.measurements] == [(12.5, date(2017, 12, 1))]


@pytest.mark.parametrize("role", ["support_editor", "other_editor", "reviewer", "viewer", "admin"])
def test_only_the_lead_department_opens_a_correction(client, login, world, role):
    su = _returned(world)
    login(getattr(world, role))
    assert client.get(f"/items/{world.item.id}/updates/new?corrects={su.id}").status_code == 403


def _returned_ids_on_mydept(client) -> list[str]:
    html = client.get("/my-department/").get_data(as_text=True)
    return re.findall(r'id="returned-(\d+)"', html)


def test_a_returned_report_stays_visible_after_a_later_report(client, login, world):
    su = _returned(world)
    later = updates.submit_update(
        world.item,
        world.lead_editor,
        status="in_progress",
        progress=50,
        effective_date="2018-06-30",
        narrative="108年上半年",
        based_on_version=world.item.version,
    )
    review_ops.approve_update(later, world.reviewer, date(2018, 7, 2))
    db.session.commit()
    login(world.lead_editor)
    assert _returned_ids_on_mydept(client) == [str(su.id)]
    html = client.get(f"/items/{world.item.id}/history").get_data(as_text=True)
    assert f"/items/{world.item.id}/updates/new?corrects={su.id}" in html
    # Corrected: it no longer waits.
    fix = updates.submit_update(
        world.item,
        world.lead_editor,
        status="on_hold",
        progress=35,
        effective_date="2017-12-31",
        narrative="補正",
        corrects_id=su.id,
        based_on_version=world.item.version,
    )
    db.session.commit()
    assert _returned_ids_on_mydept(client) == []
    assert fix.corrects_id == su.id


def test_a_returned_report_can_be_withdrawn_instead_of_corrected(client, login, world):
    su = _returned(world)
    login(world.lead_editor)
    assert _returned_ids_on_mydept(client) == [str(su.id)]
    resp = client.post(
        f"/items/{world.item.id}/updates/{su.id}/withdraw",
        data={"reason": "改於下期一併提報", "version": str(world.item.version)},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert updates.update_state(db.session.get(StatusUpdate, su.id)) is UpdateState.WITHDRAWN
    assert _returned_ids_on_mydept(client) == []
    # A corrected return cannot be withdrawn any more.
    other = _returned(world)
    updates.submit_update(
        world.item,
        world.lead_editor,
        status="on_hold",
        progress=35,
        effective_date="2017-12-31",
        narrative="補正",
        corrects_id=other.id,
        based_on_version=world.item.version,
    )
    db.session.commit()
    resp = client.post(
        f"/items/{world.item.id}/updates/{other.id}/withdraw",
        data={"version": str(world.item.version)},
        follow_redirects=True,
    )
    assert "已修正後重新提報" in resp.get_data(as_text=True)
