"""Filing the annual summary from the reviewer page and the CLI: the document is kept exactly
as filed (bytes and SHA-256, downloadable unchanged), the year is locked until a reviewer
reopens it with a reason, a draft is filed only when asked, and the next filing says what
changed since the previous one."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from tests.export_world import UNAPPROVED_NARRATIVE, build_export_history
from tracker.extensions import db
from tracker.models import SummaryFiling, YearReopening


@pytest.fixture
def history(seeded, factory):
    return build_export_history(seeded, factory)


def form(history, **kw):
    data = {
        "report": str(history.report.id),
        "year": "2017",
        "format": "csv",
        "language": "zh-TW",
        "known_at": "",
        "note": "",
        "allow_draft": "y",
    }
    data.update(kw)
    return data


def test_reviewer_files_downloads_unchanged_and_refiles_after_reopening(history, client, login, factory):
    reviewer = login(factory.user("reviewer"))
    page = client.get("/filing/")
    assert page.status_code == 200 and "歸檔年度追蹤報告" in page.get_data(as_text=True)

    # A draft is not filed unless asked.
    resp = client.post("/filing/file", data=form(history, allow_draft=""))
    assert resp.status_code == 400 and "仍為草稿" in resp.get_data(as_text=True)
    assert db.session.scalar(select(SummaryFiling)) is None

    resp = client.post("/filing/file", data=form(history, known_at="2018-01-05", note="第一次歸檔"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    first = db.session.scalar(select(SummaryFiling))
    assert first.filed_by_id == reviewer.id and first.known_at == date(2018, 1, 5) and first.changes == ""
    got = client.get(f"/filing/download?id={first.id}")
    assert got.status_code == 200 and got.data == first.content
    assert hashlib.sha256(got.data).hexdigest() == first.sha256 == got.headers["X-Content-SHA256"]
    assert UNAPPROVED_NARRATIVE not in got.data.decode("utf-8-sig")  # approved 2018-01-10, after K

    # Filed: filing again is refused until the year is reopened, with a reason.
    resp = client.post("/filing/file", data=form(history))
    assert resp.status_code == 400 and "已歸檔" in resp.get_data(as_text=True)
    resp = client.post("/filing/reopen", data={"report": str(history.report.id), "year": "2017", "reason": " "})
    assert resp.status_code == 400 and "理由" in resp.get_data(as_text=True)
    resp = client.post(
        "/filing/reopen", data={"report": str(history.report.id), "year": "2017", "reason": "補登 1 月核定之辦理情形"}
    )
    assert resp.status_code == 302
    assert db.session.scalar(select(YearReopening)).reason == "補登 1 月核定之辦理情形"

    resp = client.post("/filing/file", data=form(history))
    assert resp.status_code == 302
    second = db.session.scalars(select(SummaryFiling).order_by(SummaryFiling.id)).all()[-1]
    second_item = history.items[1].code
    assert "重新開啟：補登 1 月核定之辦理情形" in second.changes
    assert any(line.startswith(f"{second_item}:") and "→ 100" in line for line in second.changes.splitlines())
    assert client.get(f"/filing/download?id={second.id}").data == second.content
    assert client.get("/filing/download?id=999999").status_code == 404
    assert client.get("/filing/download?id=abc").status_code == 404


def test_who_may_file_and_read(history, client, login, factory):
    editor, viewer = factory.user("editor"), factory.user("viewer")
    db.session.commit()
    login(editor)
    assert client.get("/filing/").status_code == 200
    assert client.post("/filing/file", data=form(history)).status_code == 403
    login(viewer)
    assert client.post("/filing/reopen", data={"year": "2017", "reason": "x"}).status_code == 403
    page = client.get("/filing/").get_data(as_text=True)
    assert "尚無歸檔文件" in page and 'action="/filing/file"' not in page


def test_reopen_a_year_that_is_not_filed_is_refused(history, client, login, factory):
    login(factory.user("reviewer"))
    resp = client.post("/filing/reopen", data={"report": str(history.report.id), "year": "2017", "reason": "x"})
    assert resp.status_code == 400 and "尚未歸檔" in resp.get_data(as_text=True)
    assert db.session.scalar(select(YearReopening)) is None


def test_cli_file_and_reopen(history, runner, factory):
    reviewer = factory.user("reviewer", email="rev@example.org")
    db.session.commit()
    out = runner.invoke(
        args=[
            "file-summary",
            "--year",
            "2017",
            "--report",
            history.report.code,
            "--format",
            "odt",
            "--user",
            "rev@example.org",
        ]
    )
    assert out.exit_code != 0 and "草稿" in out.output and db.session.scalar(select(SummaryFiling)) is None
    out = runner.invoke(
        args=[
            "file-summary",
            "--year",
            "2017",
            "--report",
            history.report.code,
            "--format",
            "odt",
            "--user",
            "rev@example.org",
            "--allow-draft",
            "--known-at",
            "2018-01-05",
        ]
    )
    assert out.exit_code == 0, out.output
    row = db.session.scalar(select(SummaryFiling))
    assert row.sha256 in out.output and row.filed_by_id == reviewer.id and row.format == "odt"
    out = runner.invoke(
        args=[
            "reopen-year",
            "--year",
            "2017",
            "--report",
            history.report.code,
            "--reason",
            "更正",
            "--user",
            "rev@example.org",
        ]
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        args=[
            "file-summary",
            "--year",
            "2017",
            "--report",
            history.report.code,
            "--format",
            "csv",
            "--lang",
            "en",
            "--user",
            "rev@example.org",
            "--allow-draft",
        ]
    )
    assert out.exit_code == 0 and "changes since the previous filing" in out.output and "Reopened: 更正" in out.output
    out = runner.invoke(args=["file-summary", "--year", "2017", "--user", "nobody@example.org"])
    assert out.exit_code != 0 and "no account" in out.output
