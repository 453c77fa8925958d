"""Bulk status update (services/bulk.py, /my-department/bulk/): download, fill in, upload.
Same rules as one update at a time, all or nothing. Every name here is TEST DATA."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import sign_in
from tracker.extensions import db
from tracker.models import AuditLog, StatusUpdate


@pytest.fixture
def world(world, factory):
    """The shared world (conftest.py), plus what these tests need."""
    w = world
    w.item2 = factory.item(w.item.recommendation, lead=w.lead, code="R1-A2")
    db.session.commit()
    return w


def _english(client) -> None:
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def _download(client, fmt="xlsx") -> tuple[list[str], list[list]]:
    resp = client.get(f"/my-department/bulk/download.{fmt}")
    assert resp.status_code == 200
    if fmt == "csv":
        assert resp.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    else:
        wb = load_workbook(io.BytesIO(resp.data))
        rows = [[c for c in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    return rows[0], [list(r) for r in rows[1:]]


def _fill(head, row, **values):
    for k, v in values.items():
        row[head.index(k)] = v
    return row


def _xlsx(head, rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, data: bytes, name="sheet.xlsx"):
    return client.post(
        "/my-department/bulk/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _n_updates() -> int:
    return db.session.scalar(select(func.count()).select_from(StatusUpdate))


def test_download_fill_upload_submits_for_review(client, world):
    sign_in(client, world.lead_editor)
    _english(client)
    page = client.get("/my-department/bulk/")
    assert page.status_code == 200 and 'data-code="R1-A1"' in page.get_data(as_text=True)
    assert 'id="bulk-link"' in client.get("/my-department/").get_data(as_text=True)
    head, rows = _download(client)
    assert head[:5] == ["Report", "Recommendation", "Code", "Action item", "Version"]
    codes = [r[2] for r in rows]
    assert codes == ["R1-A1", "R1-A2"]
    filled = [
        _fill(
            head,
            rows[0],
            **{
                "Status": "In progress",
                "Progress (%)": 30,
                "Progress report (辦理情形)": "已完成規劃（測試資料）",
                "Date described": "115/11/01",
            },
        ),
        rows[1],
    ]  # left empty: skipped
    resp = _upload(client, _xlsx(head, filled))
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    su = db.session.scalar(select(StatusUpdate))
    assert (su.action_item_id, su.progress, su.status.value) == (world.item.id, 30, "in_progress")
    assert su.review is None  # waits for review, as one at a time
    sign_in(client, world.reviewer)
    assert "R1-A1" in client.get("/review/").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "update.bulk")) == 1


def test_csv_round_trip(client, world):
    sign_in(client, world.lead_editor)
    _english(client)
    head, rows = _download(client, "csv")
    filled = [
        _fill(
            head,
            rows[1],
            **{
                "Status": "planning",
                "Progress (%)": "10",
                "Progress report (辦理情形)": "規劃中",
                "Date described": "2026-10-01",
            },
        )
    ]
    out = io.StringIO()
    csv.writer(out).writerows([head] + filled)
    resp = _upload(client, out.getvalue().encode("utf-8-sig"), "sheet.csv")
    assert resp.status_code == 302
    assert db.session.scalar(select(StatusUpdate.action_item_id)) == world.item2.id


def test_any_bad_row_means_nothing_is_submitted(client, world):
    sign_in(client, world.lead_editor)
    _english(client)
    head, rows = _download(client)
    filled = [
        _fill(
            head,
            rows[0],
            **{
                "Status": "in_progress",
                "Progress (%)": 30,
                "Progress report (辦理情形)": "ok",
                "Date described": "115/11/01",
            },
        ),
        _fill(
            head,
            rows[1],
            **{
                "Status": "completed",
                "Progress (%)": 150,
                "Progress report (辦理情形)": "",
                "Date described": "999/99/99",
            },
        ),
    ]
    resp = _upload(client, _xlsx(head, filled))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Progress (%)" in html and "Date described" in html and "Progress report" in html
    assert _n_updates() == 0


def test_same_rules_as_one_at_a_time(client, app, world, factory):
    from tracker.services import updates

    pending = updates.submit_update(
        world.item,
        world.lead_editor,
        status="in_progress",
        progress=20,
        effective_date="2026-10-01",
        narrative="earlier",
        based_on_version=world.item.version,
    )
    db.session.commit()
    sign_in(client, world.lead_editor)
    _english(client)
    head, rows = _download(client)
    stale_version = rows[1][head.index("Version")] - 1 if isinstance(rows[1][head.index("Version")], int) else 0
    filled = [
        _fill(
            head,
            rows[0],
            **{
                "Status": "in_progress",
                "Progress (%)": 40,
                "Progress report (辦理情形)": "again",
                "Date described": "2026-11-01",
            },
        ),
        _fill(
            head,
            rows[1],
            **{
                "Status": "in_progress",
                "Progress (%)": 40,
                "Version": stale_version,
                "Progress report (辦理情形)": "x",
                "Date described": "2026-11-01",
            },
        ),
        _fill(
            head,
            list(rows[1]),
            **{
                "Status": "in_progress",
                "Progress (%)": 40,
                "Progress report (辦理情形)": "dup",
                "Date described": "2026-11-01",
            },
        ),
    ]
    resp = _upload(client, _xlsx(head, filled))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "still waiting for review" in html  # at most one pending report per item
    assert "download it again" in html  # version conflict
    assert "already on row 3" in html  # one row per item
    assert _n_updates() == 1 and pending.id


def test_other_department_cannot_report_for_these_items(client, world):
    sign_in(client, world.lead_editor)
    head, rows = _download(client)
    filled = [_fill(head, rows[0], **{head[7]: "in_progress", head[8]: 10, head[9]: "x", head[10]: "2026-11-01"})]
    sign_in(client, world.other_editor)
    _english(client)
    assert _download(client)[1] == []  # nothing to report for EDU
    resp = _upload(client, _xlsx(head, filled))
    assert resp.status_code == 422 and "does not lead" in resp.get_data(as_text=True)
    assert _n_updates() == 0


def test_roles(client, world):
    for user in (world.reviewer, world.viewer, world.admin):
        sign_in(client, user)
        assert client.get("/my-department/bulk/").status_code == 403
        assert client.get("/my-department/bulk/download.xlsx").status_code == 403
        assert client.post("/my-department/bulk/", data={}).status_code == 403
    client.get("/logout")


def test_bad_files(client, world):
    sign_in(client, world.lead_editor)
    _english(client)
    assert "named .xlsx but its content is CSV" in _upload(client, b"a,b\r\n1,2\r\n").get_data(as_text=True)
    resp = _upload(client, _xlsx(["Nonsense"], [["x"]]))
    assert resp.status_code == 422 and "Unknown column" in resp.get_data(as_text=True)
    head, rows = _download(client)
    assert "nothing to submit" in _upload(client, _xlsx(head, rows)).get_data(as_text=True)
    assert client.post("/my-department/bulk/", data={}, content_type="multipart/form-data").status_code == 422
    assert client.get("/my-department/bulk/download.pdf").status_code == 404
