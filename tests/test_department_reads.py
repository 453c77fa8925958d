"""Departments see the whole picture: every signed-in role reads overall progress (the
dashboard, its benchmark and flagged pages, the reporting periods) and the annual summary,
read only; writes stay with their roles (docs/domain.md "What each role reads")."""

from __future__ import annotations

import pytest

from tests.update_world import World
from tracker.extensions import db
from tracker.services import updates

READERS = ("lead_editor", "support_editor", "other_editor", "reviewer", "viewer", "admin")


@pytest.fixture
def world(world) -> World:
    """The shared world (conftest.py), plus what these tests need."""
    w = world
    updates.submit_update(
        w.item,
        w.lead_editor,
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="第一版",
        based_on_version=w.item.version,
    )
    db.session.commit()
    return w


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_the_dashboard_and_the_summary(client, login, world, role):
    login(getattr(world, role))
    rec = world.item.recommendation
    for url in (
        "/dashboard/",
        f"/dashboard/recommendations/{rec.id}/benchmark",
        "/dashboard/items",
        "/periods/",
        "/exports/",
        "/reports",
        f"/action-items/{world.item.id}",
    ):
        assert client.get(url).status_code == 200, url
    resp = client.get("/exports/download?year=2017&format=csv&language=zh-TW")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert client.get("/api/v1/summary?year=2017").status_code == 200
    nav = client.get("/reports").get_data(as_text=True).split('class="main-nav"')[1].split("</nav>")[0]
    assert 'href="/dashboard/"' in nav and 'href="/exports/"' in nav


@pytest.mark.parametrize("role", ["lead_editor", "other_editor", "viewer"])
def test_reading_the_picture_gives_no_review_powers(client, login, world, role):
    login(getattr(world, role))
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/review/"' not in html
    pending = updates.live_pending(world.item.id)
    assert client.post(f"/review/updates/{pending.id}/approve", data={}).status_code == 403
    assert client.get(f"/review/items/{world.item.id}/decision").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_only_the_lead_department_writes_its_reports(client, login, world):
    for role, expected in (
        ("lead_editor", 200),
        ("support_editor", 403),
        ("other_editor", 403),
        ("reviewer", 403),
        ("viewer", 403),
        ("admin", 403),
    ):
        login(getattr(world, role))
        assert client.get(f"/items/{world.item.id}/updates/new").status_code == expected, role
