"""Administration: users, departments, action items (version-checked) — administrators only."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD
from tracker.extensions import db
from tracker.models import ActionItem, AuditLog, BudgetSource, Department, Role, User


def _errors(html: str) -> set[str]:
    return set(re.findall(r'<ul class="field-errors" id="([^"]+)-error">', html))


@pytest.mark.parametrize("who", ["lead_editor", "reviewer", "viewer"])
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/users", "/admin/users/new", "/admin/departments", "/admin/items", "/admin/audit"]
)
def test_administration_is_for_administrators_only(client, login, world, who, path):
    login(getattr(world, who))
    assert client.get(path).status_code == 403


# --- users --------------------------------------------------------------------------------------


def test_admin_creates_an_editor_who_can_then_sign_in(client, login, world, app):
    login(world.admin)
    resp = client.post(
        "/admin/users/new",
        data={
            "email": "New.Editor@Tainan.gov.tw",
            "name": "陳承辦",
            "role": "editor",
            "department": "WRB",
            "locale": "en",
            "password": "a long enough passphrase",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.editor@tainan.gov.tw"))
    assert (user.role, user.department.code, user.locale, user.name) == (Role.EDITOR, "WRB", "en", "陳承辦")
    assert user.password_hash.startswith("$argon2id$")
    other = app.test_client()
    assert (
        other.post(
            "/login", data={"email": "new.editor@tainan.gov.tw", "password": "a long enough passphrase"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "data,fields",
    [
        ({"email": "not-an-address", "role": "viewer", "password": "a long enough passphrase"}, {"email"}),
        ({"email": "lead@example.org", "role": "viewer", "password": "a long enough passphrase"}, {"email"}),
        ({"email": "x@example.org", "role": "editor", "password": "a long enough passphrase"}, {"department"}),
        (
            {"email": "x@example.org", "role": "editor", "department": "NOPE", "password": "a long enough passphrase"},
            {"department"},
        ),
        ({"email": "x@example.org", "role": "superuser", "password": "a long enough passphrase"}, {"role"}),
        ({"email": "x@example.org", "role": "viewer", "password": "short"}, {"password"}),
        ({"email": "", "role": "", "password": ""}, {"email", "role", "password"}),
    ],
)
def test_bad_user_input_is_refused_next_to_the_field(client, login, world, data, fields):
    login(world.admin)
    before = db.session.scalar(select(User.id).order_by(User.id.desc()))
    resp = client.post("/admin/users/new", data=data)
    assert resp.status_code == 422
    assert _errors(resp.get_data(as_text=True)) == fields
    assert db.session.scalar(select(User.id).order_by(User.id.desc())) == before


def test_admin_edits_a_user_and_a_new_password_ends_their_sessions(client, login, world):
    login(world.admin)
    version = world.viewer.session_version
    resp = client.post(
        f"/admin/users/{world.viewer.id}",
        data={
            "email": "viewer@example.org",
            "name": "市長室",
            "role": "reviewer",
            "department": "",
            "locale": "",
            "password": "another long passphrase",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(world.viewer)
    assert (world.viewer.role, world.viewer.name) == (Role.REVIEWER, "市長室")
    assert world.viewer.session_version == version + 1
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.update"))
    assert '"role": "viewer"' in row.summary and '"role": "reviewer"' in row.summary
    assert "another long passphrase" not in "".join(r.summary for r in db.session.scalars(select(AuditLog)))


def test_deactivation_refuses_oneself_and_the_last_admin(client, login, world, factory):
    login(world.admin)
    resp = client.post(f"/admin/users/{world.admin.id}/deactivate", follow_redirects=True)
    assert db.session.get(User, world.admin.id).active
    assert resp.status_code == 200
    # Demoting the last administrator is refused too.
    resp = client.post(
        f"/admin/users/{world.admin.id}",
        data={"email": "admin@example.org", "name": "", "role": "viewer", "department": "", "locale": ""},
    )
    assert resp.status_code == 422 and "role" in _errors(resp.get_data(as_text=True))
    # Another account can be deactivated and reactivated.
    assert client.post(f"/admin/users/{world.viewer.id}/deactivate").status_code == 302
    assert not db.session.get(User, world.viewer.id).active
    assert client.post(f"/admin/users/{world.viewer.id}/reactivate").status_code == 302
    assert db.session.get(User, world.viewer.id).active


def test_user_list_can_be_searched(client, login, world):
    login(world.admin)
    html = client.get("/admin/users?q=support").get_data(as_text=True)
    assert re.findall(r'<tr data-email="([^"]+)"', html) == ["support@example.org"]


# --- departments -------------------------------------------------------------------------------


def test_departments_are_created_edited_and_deactivated(client, login, world):
    login(world.admin)
    resp = client.post(
        "/admin/departments/new",
        data={"code": "ECO", "name_zh": "經濟發展局", "name_en": "Economic Development Bureau"},
    )
    assert resp.status_code == 302
    dept = db.session.scalar(select(Department).where(Department.code == "ECO"))
    resp = client.post(
        f"/admin/departments/{dept.id}",
        data={"code": "EDB", "name_zh": "經濟發展局", "name_en": "Economic Development Bureau"},
    )
    assert resp.status_code == 302
    db.session.refresh(dept)
    assert dept.code == "EDB"
    assert client.post(f"/admin/departments/{dept.id}/deactivate").status_code == 302
    db.session.refresh(dept)
    assert not dept.active
    # A deactivated department takes no new editors.
    resp = client.post(
        "/admin/users/new",
        data={"email": "e@example.org", "role": "editor", "department": "EDB", "password": "a long enough passphrase"},
    )
    assert resp.status_code == 422 and _errors(resp.get_data(as_text=True)) == {"department"}
    actions = [r.action for r in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert ["department.create", "department.update", "department.deactivate"] == [
        a for a in actions if a.startswith("department.")
    ]


@pytest.mark.parametrize(
    "data,fields",
    [
        ({"code": "WRB", "name_zh": "x", "name_en": "x"}, {"code"}),
        ({"code": "a b", "name_zh": "x", "name_en": "x"}, {"code"}),
        ({"code": "", "name_zh": "", "name_en": ""}, {"code", "name_zh", "name_en"}),
    ],
)
def test_bad_department_input(client, login, world, data, fields):
    login(world.admin)
    resp = client.post("/admin/departments/new", data=data)
    assert resp.status_code == 422
    assert _errors(resp.get_data(as_text=True)) == fields


# --- action items --------------------------------------------------------------------------------


def _item_form(world, **overrides):
    data = {
        "title_zh": "推動再生水",
        "title_en": "Promote reclaimed water",
        "description_zh": "",
        "description_en": "",
        "lead_department_id": str(world.lead.id),
        "supporting_department_ids": [str(world.support.id)],
        "weight": "2",
        "start_date": "2017-01-01",
        "due_date": "2019-12-31",
        "budget_amount": "1500000",
        "budget_source": "central",
        "budget_note": "前瞻計畫",
        "version": str(world.item.version),
    }
    data.update(overrides)
    return data


def test_admin_edits_an_item_which_bumps_its_version_and_is_audited(client, login, world):
    login(world.admin)
    page = client.get(f"/admin/items/{world.item.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    resp = client.post(
        f"/admin/items/{world.item.id}",
        data=_item_form(world, supporting_department_ids=[str(world.support.id), str(world.other.id)]),
    )
    assert resp.status_code == 302
    item = db.session.get(ActionItem, world.item.id)
    db.session.refresh(item)
    assert item.version == 2
    assert (item.weight, item.due_date, item.budget_amount, item.budget_source) == (
        Decimal("2.000"),
        date(2019, 12, 31),
        Decimal(1500000),
        BudgetSource.CENTRAL,
    )
    assert sorted(d.code for d in item.supporting_departments) == ["AGR", "EDU"]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "item.edit"))
    assert '"budget_amount": "1500000"' in row.summary and '"version": 2' in row.summary


def test_item_edit_from_a_stale_version_is_a_conflict_keeping_the_input(client, login, world, factory):
    factory.update(world.item)  # a department update moved the item to version 2
    db.session.commit()
    login(world.admin)
    resp = client.post(f"/admin/items/{world.item.id}", data=_item_form(world, version="1", title_en="My new title"))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert 'id="conflict"' in html and "My new title" in html
    assert 'name="version" type="hidden" value="2"' in html
    assert db.session.get(ActionItem, world.item.id).title_en != "My new title"


@pytest.mark.parametrize(
    "overrides,fields",
    [
        ({"title_zh": ""}, {"title_zh"}),
        ({"weight": "0"}, {"weight"}),
        ({"weight": "abc"}, {"weight"}),
        ({"due_date": "2016-12-31"}, {"due_date"}),
        ({"start_date": "2017-02-30"}, {"start_date"}),
        ({"budget_amount": "-5"}, {"budget_amount"}),
        ({"budget_amount": "12.5"}, {"budget_amount"}),
        ({"budget_source": ""}, {"budget_source"}),
        ({"lead_department_id": "9999"}, {"lead_department_id"}),
        ({"supporting_department_ids": ["LEAD"]}, {"supporting_department_ids"}),
    ],
)
def test_bad_item_input(client, login, world, overrides, fields):
    if overrides.get("supporting_department_ids") == ["LEAD"]:
        overrides["supporting_department_ids"] = [str(world.lead.id)]
    login(world.admin)
    resp = client.post(f"/admin/items/{world.item.id}", data=_item_form(world, **overrides))
    assert resp.status_code == 422
    assert _errors(resp.get_data(as_text=True)) == fields
    assert db.session.get(ActionItem, world.item.id).version == 1


def test_item_list_search(client, login, world, factory):
    factory.item(world.item.recommendation, lead=world.other, code="R1-A9", title_en="Drip irrigation")
    db.session.commit()
    login(world.admin)
    html = client.get("/admin/items?q=drip").get_data(as_text=True)
    assert re.findall(r'<tr data-code="([^"]+)"', html) == ["R1-A9"]


def test_admin_password_not_needed_to_see_sign_in(client, factory):
    factory.user("admin", email="root@example.org")
    db.session.commit()
    assert client.post("/login", data={"email": "root@example.org", "password": DEFAULT_PASSWORD}).status_code == 302
