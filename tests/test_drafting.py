"""Drafting a report from its own text: readers, refusals, the CLI, the review operations and
the admin pages, for every role. Made-up documents come from tests/drafting_docs.py (test data)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import drafting_docs as docs
from tracker.extensions import db
from tracker.models import AuditLog, Recommendation, Report, ReportDraft, Role
from tracker.services import ConflictError, DomainError, drafting
from tracker.services.splitter import split_report

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "seed" / "source" / "israel-2016-trip-report.zh-TW.txt"
MAKERS = {".docx": docs.as_docx, ".odt": docs.as_odt, ".pdf": docs.as_pdf, ".txt": docs.as_text}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- readers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", sorted(MAKERS))
@pytest.mark.parametrize("layout", ["LAYOUT_A", "LAYOUT_B", "LAYOUT_C"])
def test_every_format_gives_the_same_draft(app, ext, layout):
    lines = getattr(docs, layout)
    result = drafting.read_draft(f"report{ext}", MAKERS[ext](lines))
    assert result.kind == ext[1:]
    assert result.draft.as_dict() == split_report(lines).as_dict()


def test_israel_report_as_text_and_as_docx(app):
    text = SOURCE.read_bytes()
    from_text = drafting.read_draft("israel.txt", text).draft
    lines = SOURCE.read_text(encoding="utf-8").replace("**", "").split("\n")
    from_docx = drafting.read_draft("israel.docx", docs.as_docx(lines)).draft
    assert [r.section for r in from_text.recommendations] == ["三(一)", "三(二)", "三(三)", "三(四)", "三(五)"]
    assert from_docx.as_dict() == from_text.as_dict()


def test_big5_text_is_read(app):
    data = "\n".join(docs.LAYOUT_C).encode("cp950")
    assert len(drafting.read_draft("report.txt", data).draft.recommendations) == 2


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("locked.pdf", lambda: docs.as_pdf(docs.LAYOUT_A, password="secret"), "password"),
        ("scan.pdf", docs.scanned_pdf, "no text layer"),
        ("report.docx", lambda: docs.as_text(docs.LAYOUT_A), "does not match"),
        ("report.pdf", lambda: docs.as_docx(docs.LAYOUT_A), "does not match"),
        ("report.odt", lambda: b"PK\x03\x04 not really a zip", "does not match"),
        ("report.xlsx", lambda: b"plain", "DOCX, ODT, PDF"),
        ("empty.txt", lambda: b"", "empty"),
        ("none.txt", lambda: docs.as_text(docs.NO_RECOMMENDATIONS), "no recommendations section (建議事項) was found"),
    ],
)
def test_unusable_documents_get_a_clear_message(app, name, data, words):
    with app.test_request_context("/?lang=en"):
        with pytest.raises(drafting.DraftRefused) as caught:
            drafting.read_draft(name, data())
    assert words in caught.value.message
    assert name in caught.value.message


def test_oversized_documents_are_refused(app):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    with app.test_request_context("/?lang=en"):
        with pytest.raises(drafting.DraftRefused, match="larger than"):
            drafting.read_draft("big.txt", docs.as_text(docs.LAYOUT_A) * 10)


# --- the command line ----------------------------------------------------------------------------


def _write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_cli_dry_run_json_prints_the_draft_and_writes_nothing(app, runner, tmp_path):
    result = runner.invoke(args=["draft-report", str(SOURCE), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert list(payload) == ["title", "agency", "trip_start", "trip_end", "report_date", "recommendations"]
    assert payload["title"] == "赴以色列出席第31屆世界市長會議 出國報告書"
    assert (payload["trip_start"], payload["trip_end"], payload["report_date"]) == (
        "2016-11-12",
        "2016-11-19",
        "2016-12-23",
    )
    assert [r["section"] for r in payload["recommendations"]] == ["三(一)", "三(二)", "三(三)", "三(四)", "三(五)"]
    assert set(payload["recommendations"][0]) == {"section", "title", "text"}
    assert (_count(ReportDraft), _count(Report), _count(AuditLog)) == (0, 0, 0)


def test_cli_without_dry_run_keeps_a_draft_but_tracks_nothing(app, runner, tmp_path):
    path = _write(tmp_path, "japan.docx", docs.as_docx(docs.LAYOUT_A))
    result = runner.invoke(args=["draft-report", path])
    assert result.exit_code == 0, result.output
    assert "Dry run" not in result.output and "/admin/drafts/1" in result.output
    assert "伍.二" in result.output
    draft = db.session.scalar(select(ReportDraft))
    assert draft.status == "open" and len(draft.data["recommendations"]) == 3
    assert _count(Report) == 0 and _count(Recommendation) == 0
    assert db.session.scalar(select(AuditLog.action)) == "draft.create"


def test_cli_dry_run_text_output(app, runner, tmp_path):
    path = _write(tmp_path, "nl.odt", docs.as_odt(docs.LAYOUT_C))
    result = runner.invoke(args=["draft-report", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "荷蘭循環經濟考察報告" in result.output and "4(2)" in result.output and "Dry run" in result.output
    assert _count(ReportDraft) == 0


@pytest.mark.parametrize(
    "name,data",
    [
        ("none.txt", docs.as_text(docs.NO_RECOMMENDATIONS)),
        ("fake.pdf", b"just text"),
    ],
)
def test_cli_refuses_with_a_message_and_writes_nothing(app, runner, tmp_path, name, data):
    result = runner.invoke(args=["draft-report", _write(tmp_path, name, data), "--json"])
    assert result.exit_code != 0
    assert name in result.output
    assert _count(ReportDraft) == 0 and _count(AuditLog) == 0


def test_cli_refuses_oversized_files(app, runner, tmp_path):
    app.config["MAX_UPLOAD_BYTES"] = 100
    result = runner.invoke(args=["draft-report", str(SOURCE), "--dry-run"])
    assert result.exit_code != 0 and "MAX_UPLOAD_BYTES" in result.output


# --- review operations ---------------------------------------------------------------------------


@pytest.fixture
def admin(factory):
    return factory.user(Role.ADMIN)


@pytest.fixture
def draft(app, admin):
    d = drafting.create_draft("singapore.txt", docs.as_text(docs.LAYOUT_B), admin)
    db.session.commit()
    return d


def test_edit_merge_split_drop_and_move(draft, admin):
    drafting.edit_recommendation(
        draft, 0, "三(二)1", "整合公車資訊", "整合公車動態資訊。\n\n建置單一查詢平台。", admin, draft.version
    )
    drafting.merge_with_next(draft, 1, admin, draft.version)
    recs = draft.data["recommendations"]
    assert [r["section"] for r in recs] == ["三(二)1", "三(二)2"]
    assert recs[1]["text"] == (
        "參考新加坡以價制量之作法，研議市中心尖峰時段停車差別費率。\n\n於主要幹道路口導入適應性號誌控制系統。"
    )
    drafting.split_recommendation(draft, 0, 2, admin, draft.version)
    recs = draft.data["recommendations"]
    assert [r["text"] for r in recs[:2]] == ["整合公車動態資訊。", "建置單一查詢平台。"]
    assert recs[1]["section"] == "三(二)1-2"
    drafting.move_recommendation(draft, 1, 1, admin, draft.version)
    assert draft.data["recommendations"][2]["text"] == "建置單一查詢平台。"
    drafting.drop_recommendation(draft, 2, admin, draft.version)
    assert len(draft.data["recommendations"]) == 2
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(ReportDraft, draft.id)
    assert len(stored.data["recommendations"]) == 2 and stored.version == 6
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "draft.create",
        "draft.recommendation.edit",
        "draft.recommendation.merge",
        "draft.recommendation.split",
        "draft.recommendation.move",
        "draft.recommendation.drop",
    ]


def test_refused_edits_name_the_field(draft, admin):
    with pytest.raises(DomainError) as caught:
        drafting.edit_recommendation(draft, 0, "", "", "", admin)
    assert set(caught.value.extra["errors"]) == {"section", "title", "text"}
    with pytest.raises(DomainError):
        drafting.split_recommendation(draft, 0, 2, admin)  # one paragraph only
    with pytest.raises(DomainError):
        drafting.merge_with_next(draft, 2, admin)  # the last one
    with pytest.raises(DomainError):
        drafting.drop_recommendation(draft, 9, admin)
    with pytest.raises(DomainError) as caught:
        drafting.update_meta(draft, {"trip_start": "108/10/05", "trip_end": "108/10/01"}, admin)
    assert caught.value.field == "trip_end"
    with pytest.raises(DomainError) as caught:
        drafting.update_meta(draft, {"report_date": "not a date"}, admin)
    assert caught.value.field == "report_date"


def test_a_stale_version_is_refused(draft, admin):
    version = draft.version
    drafting.drop_recommendation(draft, 0, admin, version)
    with pytest.raises(ConflictError):
        drafting.drop_recommendation(draft, 0, admin, version)


def test_confirm_creates_the_report_and_its_recommendations(draft, admin):
    drafting.update_meta(draft, {"destination": "新加坡", "report_date": "108/11/16"}, admin)
    report = drafting.confirm_draft(draft, admin, code="2019-singapore-traffic", title_en="Singapore smart traffic")
    db.session.commit()
    assert (report.title_zh, report.agency_zh, report.destination_zh) == (
        "赴新加坡考察智慧交通 出國報告書",
        "臺南市政府交通局",
        "新加坡",
    )
    assert (report.trip_start, report.trip_end, report.report_date) == (
        date(2019, 10, 1),
        date(2019, 10, 5),
        date(2019, 11, 16),
    )
    assert [(r.code, r.section, r.title_zh) for r in report.recommendations] == [
        ("R1", "三(二)1", "推動公車動態資訊整合"),
        ("R2", "三(二)2", "研議尖峰時段停車差別費率"),
        ("R3", "三(二)3", "強化路口號誌智慧控制"),
    ]
    assert draft.status == "confirmed" and draft.report_id == report.id
    assert {"report.create", "draft.confirm"} <= set(db.session.scalars(select(AuditLog.action)))
    with pytest.raises(DomainError) as caught:
        drafting.drop_recommendation(draft, 0, admin)
    assert caught.value.code == "draft_closed"


def test_confirm_refuses_missing_fields_and_taken_codes(app, admin, factory):
    factory.report(code="taken-code")
    d = drafting.create_draft("c.txt", docs.as_text(["二、建議", "(一) 甲項", "內容。"]), admin)
    with pytest.raises(DomainError) as caught:
        drafting.confirm_draft(d, admin, code="taken-code")
    assert set(caught.value.extra["errors"]) >= {"code", "title", "agency", "trip_start", "trip_end", "report_date"}
    with pytest.raises(DomainError) as caught:
        drafting.confirm_draft(d, admin, code="Bad Code!")
    assert "code" in caught.value.extra["errors"]
    assert _count(Report) == 1


# --- pages, per role -----------------------------------------------------------------------------


@pytest.fixture
def people(factory):
    users = {
        "admin": factory.user(Role.ADMIN),
        "reviewer": factory.user(Role.REVIEWER),
        "editor": factory.user(Role.EDITOR),
        "viewer": factory.user(Role.VIEWER),
    }
    db.session.commit()
    return users


@pytest.mark.parametrize("role", ["reviewer", "editor", "viewer"])
def test_only_administrators_draft_reports(client, login, people, role, draft):
    login(people[role])
    assert client.get("/admin/drafts/").status_code == 403
    assert client.get(f"/admin/drafts/{draft.id}").status_code == 403
    upload = {"file": (io.BytesIO(docs.as_text(docs.LAYOUT_A)), "a.txt")}
    assert client.post("/admin/drafts/", data=upload, content_type="multipart/form-data").status_code == 403
    assert client.post(f"/admin/drafts/{draft.id}/confirm", data={"code": "x-y-z"}).status_code == 403
    assert _count(Report) == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    resp = client.get(f"/admin/drafts/{draft.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def _upload(client, name, data):
    return client.post("/admin/drafts/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_admin_uploads_reviews_beside_the_source_and_confirms(client, login, people):
    login(people["admin"])
    assert client.get("/admin/drafts/").status_code == 200
    resp = _upload(client, "israel.txt", SOURCE.read_bytes())
    assert resp.status_code == 302
    draft = db.session.scalar(select(ReportDraft))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert page.count('class="card draft-rec"') == 5
    assert "(三) 永續與韌性是城市發展的基石" in page  # the source text beside the extraction
    assert "赴以色列出席第31屆世界市長會議 出國報告書" in page
    resp = client.post(
        f"/admin/drafts/{draft.id}/recommendations/3",
        data={
            "action": "save",
            "version": draft.version,
            "section": "三(四)",
            "title": "教育是國家進步的動力",
            "text": draft.data["recommendations"][3]["text"],
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/admin/drafts/{draft.id}/confirm", data={"code": "israel-2016-again", "version": draft.version}
    )
    assert resp.status_code == 302
    report = db.session.scalar(select(Report).where(Report.code == "israel-2016-again"))
    assert [r.section for r in report.recommendations] == ["三(一)", "三(二)", "三(三)", "三(四)", "三(五)"]
    assert report.recommendations[3].title_zh == "教育是國家進步的動力"
    assert client.get(f"/reports/{report.id}").status_code == 200


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("none.txt", docs.as_text(docs.NO_RECOMMENDATIONS), "no recommendations section (建議事項) was found"),
        ("scan.pdf", docs.scanned_pdf(), "no text layer"),
        ("locked.pdf", docs.as_pdf(docs.LAYOUT_A, password="pw"), "password-protected"),
        ("fake.docx", b"plain text, not a document", "does not match"),
    ],
)
def test_upload_refusals_are_shown_on_the_form(client, login, people, name, data, message):
    login(people["admin"])
    resp = client.post(
        "/admin/drafts/?lang=en",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert _count(ReportDraft) == 0


def test_upload_without_a_file(client, login, people):
    login(people["admin"])
    assert client.post("/admin/drafts/", data={}).status_code == 422


def test_review_page_form_errors_and_conflicts(client, login, people, draft):
    login(people["admin"])
    resp = client.post(
        f"/admin/drafts/{draft.id}/recommendations/0",
        data={"action": "save", "version": draft.version, "section": "", "title": "", "text": ""},
    )
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in resp.get_data(as_text=True)
    resp = client.post(f"/admin/drafts/{draft.id}/recommendations/0", data={"action": "drop", "version": 99})
    assert resp.status_code == 409
    assert 'value="三(二)1"' in resp.get_data(as_text=True)  # the stored values are shown again
    resp = client.post(f"/admin/drafts/{draft.id}/meta", data={"version": draft.version, "trip_start": "tomorrow"})
    assert resp.status_code == 422
    resp = client.post(f"/admin/drafts/{draft.id}/confirm", data={"code": "", "version": draft.version})
    assert resp.status_code == 422
    assert client.post(f"/admin/drafts/{draft.id}/recommendations/0", data={"action": "dance"}).status_code == 400
    assert client.get("/admin/drafts/999").status_code == 404
    assert len(db.session.get(ReportDraft, draft.id).data["recommendations"]) == 3


def test_discard_creates_nothing(client, login, people, draft):
    login(people["admin"])
    resp = client.post(f"/admin/drafts/{draft.id}/discard", data={"version": draft.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReportDraft, draft.id).status == "discarded"
    assert _count(Report) == 0
