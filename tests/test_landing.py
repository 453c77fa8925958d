"""Every role lands on its work: after sign-in and on "/", reviewers and administrators on
the review queue, department editors on their department (with what is due this period),
viewers on the dashboard; the navigation counts what each role can act on (one COUNT);
a return without a comment is shown at its card with the focus there; releasing a
released item is refused; pages speak in sentences, not codes and versions."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from tests.update_world import update_form
from tracker.extensions import db
from tracker.models import TrackingDecision
from tracker.services import review as review_ops
from tracker.services import updates

LANDING = {
    "reviewer": "/review/",
    "admin": "/review/",
    "lead_editor": "/my-department/",
    "other_editor": "/my-department/",
    "viewer": "/dashboard/",
}


def _submit(world, **kw):
    values = dict(
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="第一版",
        based_on_version=world.item.version,
    )
    values.update(kw)
    su = updates.submit_update(world.item, world.lead_editor, **values)
    db.session.commit()
    return su


@pytest.mark.parametrize("role", sorted(LANDING))
def test_sign_in_lands_each_role_on_its_work(client, world, role):
    user = getattr(world, role)
    resp = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == LANDING[role]
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == LANDING[role]
    assert client.get(LANDING[role]).status_code == 200


def test_a_requested_page_still_wins_over_the_landing_page(client, world):
    resp = client.post(
        "/login",
        data={"email": world.reviewer.email, "password": DEFAULT_PASSWORD, "next": f"/action-items/{world.item.id}"},
    )
    assert resp.headers["Location"] == f"/action-items/{world.item.id}"


def _badge(html: str, href: str) -> str | None:
    m = re.search(rf'<a href="{re.escape(href)}"[^>]*>[^<]*<span class="nav-count" data-count="(\d+)">', html)
    return m.group(1) if m else None


def test_navigation_counts_what_each_role_acts_on(client, login, world):
    su = _submit(world)
    login(world.reviewer)
    assert _badge(client.get("/reports").get_data(as_text=True), "/review/") == "1"
    assert _badge(client.get("/review/").get_data(as_text=True), "/review/") == "1"  # counted by the page
    login(world.admin)
    assert _badge(client.get("/reports").get_data(as_text=True), "/review/") == "1"
    login(world.viewer)
    html = client.get("/reports").get_data(as_text=True)
    assert 'class="nav-count"' not in html
    review_ops.return_update(su, world.reviewer, "請補充", date(2017, 7, 3))
    db.session.commit()
    login(world.lead_editor)
    assert _badge(client.get("/reports").get_data(as_text=True), "/my-department/") == "1"
    assert _badge(client.get("/my-department/").get_data(as_text=True), "/my-department/") == "1"
    login(world.other_editor)
    assert 'class="nav-count"' not in client.get("/reports").get_data(as_text=True)
    login(world.reviewer)
    assert 'class="nav-count"' not in client.get("/reports").get_data(as_text=True)  # nothing waits


def test_the_count_costs_one_statement(client, login, world, count_queries):
    _submit(world)
    login(world.viewer)
    client.get("/reports")
    with count_queries() as viewer:
        client.get("/reports")
    login(world.reviewer)
    client.get("/reports")
    with count_queries() as reviewer:
        client.get("/reports")
    assert reviewer.count == viewer.count + 1
    extra = [
        s
        for s in reviewer.statements
        if s.lower().startswith("select count(*)") and "item_period.pending_update_id is not null" in s.lower()
    ]
    assert len(extra) == 1


def test_my_department_shows_what_is_due_this_period(client, login, world):
    login(world.lead_editor)
    html = client.get("/my-department/").get_data(as_text=True)
    section = html.split('id="due-this-period"')[1].split("</section>")[0]
    assert "115年下半年" in section  # the period being collected on the test clock's today
    assert 'data-due-item="R1-A1" data-review="none"' in section
    assert f"/items/{world.item.id}/updates/new" in section
    assert "<h1>水利局</h1>" in html and "WRB ·" not in html


def test_return_without_comment_stays_at_the_card_with_focus(client, login, world):
    su = _submit(world)
    login(world.reviewer)
    html = client.get("/review/").get_data(as_text=True)
    assert f'action="/review/updates/{su.id}/approve#update-{su.id}"' in html
    assert f'formaction="/review/updates/{su.id}/return#update-{su.id}"' in html
    resp = client.post(
        f"/review/updates/{su.id}/return", data={f"u{su.id}-comment": "", f"u{su.id}-effective_date": "2017-07-03"}
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    card = html.split(f'id="update-{su.id}"')[1].split("</article>")[0]
    assert f'id="u{su.id}-comment-error"' in card
    assert re.search(
        rf'<textarea[^>]*autofocus[^>]*id="u{su.id}-comment"|<textarea[^>]*id="u{su.id}-comment"[^>]*autofocus', card
    )
    assert html.count("autofocus") == 1


def test_releasing_a_released_item_is_refused_with_a_message(client, login, world):
    su = _submit(world, status="completed", progress=100, evidence_url="https://example.org/done")
    review_ops.approve_update(su, world.reviewer, date(2017, 7, 3))
    review_ops.record_decision(world.item, "release", "已完成", date(2017, 7, 10), world.reviewer)
    db.session.commit()
    login(world.reviewer)
    resp = client.post(
        f"/review/items/{world.item.id}/decision",
        data={"decision": "release", "reason": "再次解除", "effective_date": "2017-08-01"},
    )
    assert resp.status_code == 422
    assert "已於" in resp.get_data(as_text=True) and "解除列管" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(TrackingDecision)).all()) == 1


def test_conflict_screen_speaks_without_version_numbers(client, login, world):
    login(world.lead_editor)
    _submit(world)  # the item moves on while the form is open
    resp = client.post(f"/items/{world.item.id}/updates/new", data=update_form(world, version="1"))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "已有他人修改此辦理事項" in html
    assert not re.search(r"第 ?\d+ ?版|版本 ?\d+|version \d", html)
    assert "水利局" in html


def test_department_names_not_codes_on_the_item_pages(client, login, world):
    _submit(world)
    login(world.viewer)
    for url in (f"/items/{world.item.id}/history",):
        html = client.get(url).get_data(as_text=True)
        assert "水利局" in html and "WRB ·" not in html and "(WRB)" not in html


def test_audit_log_reads_as_sentences_in_both_languages(client, login, world):
    from tracker.services.audit import record_event

    su = _submit(world)
    review_ops.approve_update(su, world.reviewer, date(2017, 7, 3))
    record_event(
        "item.edit",
        user=world.admin,
        obj=world.item,
        before={"due_date": "2018-12-31"},
        after={"due_date": "2019-12-31", "version": 4},
    )
    db.session.commit()
    login(world.admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    table = html.split('id="audit"')[1]
    visible = re.sub(r"<[^>]+>", " ", table)
    assert "核定辦理情形" in visible and "提報辦理情形" in visible
    assert "update.approve" not in visible and "update.submit" not in visible
    assert "{" not in visible and "=" not in visible
    assert "預定完成日期：2018-12-31 → 2019-12-31" in visible
    html = client.get("/admin/audit?lang=en").get_data(as_text=True)
    visible = re.sub(r"<[^>]+>", " ", html.split('id="audit"')[1])
    assert "Approved a report" in visible and "Due date: 2018-12-31 → 2019-12-31" in visible
