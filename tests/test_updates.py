"""Status updates through the form: rules, evidence uploads, measurements, append-only
history, corrections, the conflict screen and the race between two writers, notes and
the "my department" page."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import FileStorage

from tests.conftest import IS_POSTGRES
from tests.update_world import PNG_1PX, build_world, docx_bytes, odt_bytes, tiny_pdf, update_form, zip_bytes
from tracker.extensions import db
from tracker.models import (
    ActionItem,
    AppendOnlyError,
    Attachment,
    AuditLog,
    ItemNote,
    Measurement,
    Review,
    ReviewDecision,
    Status,
    StatusUpdate,
)
from tracker.services import ConflictError, DomainError, PermissionDenied, updates, uploads


@pytest.fixture
def english(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _file(data: bytes, name: str):
    import io

    return FileStorage(stream=io.BytesIO(data), filename=name)


def _errors(html: str) -> dict[str, str]:
    """Field id -> error text, as rendered next to each field."""
    found = {}
    for m in re.finditer(r'<ul class="field-errors" id="([^"]+)-error">(.*?)</ul>', html, re.S):
        found[m.group(1)] = re.sub(r"<[^>]+>", "", m.group(2)).replace("Error:", "").replace("錯誤：", "").strip()
    return found


def _uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.iterdir() if p.is_file()] if root.exists() else []


def _post_update(client, world, lang: str | None = None, **fields):
    files = fields.pop("files", None)
    data = update_form(world, **fields)
    if files is not None:
        data["files"] = files
    query = f"?lang={lang}" if lang else ""
    return client.post(f"/items/{world.item.id}/updates/new{query}", data=data, content_type="multipart/form-data")


# --- a good update ----------------------------------------------------------------------------


def test_lead_editor_submits_update_with_file_and_measurement(client, login, world, app):
    login(world.lead_editor)
    page = client.get(f"/items/{world.item.id}/updates/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in html
    assert f'name="measurements-0-indicator_id" type="hidden" value="{world.indicator.id}"' in html

    pdf = tiny_pdf()
    resp = _post_update(
        client,
        world,
        status="completed",
        progress="100",
        files=[_file(pdf, "驗收報告.pdf")],
        **{
            "measurements-0-value": "42.5",
            "measurements-0-measured_on": "2017-06-01",
            "measurements-0-source_note": "水利局統計",
        },
    )
    assert resp.status_code == 302, _errors(resp.get_data(as_text=True))
    su = db.session.scalar(select(StatusUpdate))
    assert resp.headers["Location"].endswith(f"/items/{world.item.id}/history#update-{su.id}")
    assert (su.status, su.progress, su.based_on_version, su.review) == (Status.COMPLETED, 100, 1, None)
    assert su.submitted_by_id == world.lead_editor.id and su.department_id == world.lead.id
    db.session.refresh(world.item)
    assert world.item.version == 2

    att = db.session.scalar(select(Attachment))
    assert att.original_name == "驗收報告.pdf" and att.content_type == "application/pdf"
    assert re.fullmatch(r"[0-9a-f]{32}", att.stored_name)
    stored = Path(app.config["UPLOAD_FOLDER"]) / att.stored_name
    assert stored.read_bytes() == pdf
    import hashlib

    assert att.sha256 == hashlib.sha256(pdf).hexdigest()
    assert "static" not in str(stored)

    m = db.session.scalar(select(Measurement))
    assert (float(m.value), m.measured_on, m.update_id, m.source_note) == (42.5, date(2017, 6, 1), su.id, "水利局統計")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "update.submit")).user_id == world.lead_editor.id

    history = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'id="update-{su.id}"' in history and 'data-state="submitted"' in history
    assert "驗收報告.pdf" in history


# --- the rules --------------------------------------------------------------------------------


def test_every_broken_rule_is_reported_next_to_its_field_at_once(client, login, world, app):
    login(world.lead_editor)
    future = (updates.local_today() + timedelta(days=1)).isoformat()
    resp = _post_update(
        client,
        world,
        status="completed",
        progress="90",
        effective_date=future,
        narrative="  ",
        evidence_url="javascript:alert(1)",
        **{"measurements-0-value": "lots", "measurements-0-measured_on": future},
    )
    assert resp.status_code == 422
    errors = _errors(resp.get_data(as_text=True))
    assert set(errors) == {
        "progress",
        "effective_date",
        "narrative",
        "evidence_url",
        "measurements-0-value",
        "measurements-0-measured_on",
    }
    assert "100" in errors["progress"]
    html = resp.get_data(as_text=True)
    assert 'aria-describedby="narrative-desc narrative-error"' in html or 'aria-describedby="narrative-error"' in html
    assert 'id="form-errors"' in html
    assert db.session.scalar(select(StatusUpdate)) is None
    db.session.refresh(world.item)
    assert world.item.version == 1


@pytest.mark.parametrize(
    "fields,field,fragment",
    [
        ({"status": "completed", "progress": "100"}, "files", "evidence"),
        ({"status": "not_feasible", "reason": ""}, "reason", "not feasible"),
        ({"status": "flying"}, "status", "status"),
        ({"progress": "101"}, "progress", "0 to 100"),
        ({"progress": "-1"}, "progress", "0 to 100"),
        ({"progress": "50.5"}, "progress", "0 to 100"),
        ({"progress": ""}, "progress", "0 to 100"),
        ({"effective_date": "2016-12-22"}, "effective_date", "report date"),
        ({"effective_date": "2017-02-30"}, "effective_date", "is not a date"),
        ({"effective_date": "30/06/2017"}, "effective_date", "is not a date"),
        ({"evidence_url": "ftp://example.org/x"}, "evidence_url", "http"),
        ({"narrative": ""}, "narrative", "Describe"),
        ({"narrative": "x" * 10001}, "narrative", "10000"),
        ({"corrects_id": "999"}, "corrects_id", "does not belong"),
        ({"measurements-0-value": "3"}, "measurements-0-measured_on", "date"),
        ({"measurements-0-measured_on": "2017-01-01"}, "measurements-0-value", "value"),
        (
            {"measurements-0-value": "1e400", "measurements-0-measured_on": "2017-01-01"},
            "measurements-0-value",
            "number",
        ),
    ],
)
def test_single_rule(client, login, world, fields, field, fragment, app):
    login(world.lead_editor)
    resp = _post_update(client, world, lang="en", **fields)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    errors = _errors(html)
    target = field if field != "corrects_id" else None
    if target:
        assert fragment.lower() in errors[target].lower(), errors
    else:
        assert fragment in html
    assert db.session.scalar(select(StatusUpdate)) is None


def test_measurement_for_an_indicator_not_linked_to_the_item_is_refused(world):
    with pytest.raises(DomainError) as exc:
        updates.submit_update(
            world.item,
            world.lead_editor,
            status="in_progress",
            progress=10,
            effective_date="2017-06-30",
            narrative="n",
            based_on_version=1,
            measurements=[{"indicator_id": world.other_indicator.id, "value": 1, "measured_on": "2017-06-01"}],
        )
    assert set(exc.value.extra["errors"]) == {"measurements.0.indicator_id"}


def test_future_is_judged_on_taipei_calendar(world):
    today = date(2017, 7, 1)
    with pytest.raises(DomainError) as exc:
        updates.submit_update(
            world.item,
            world.lead_editor,
            status="planning",
            progress=5,
            effective_date="2017-07-02",
            narrative="n",
            based_on_version=1,
            today=today,
        )
    assert set(exc.value.extra["errors"]) == {"effective_date"}
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=5,
        effective_date="2017-07-01",
        narrative="n",
        based_on_version=1,
        today=today,
    )
    assert su.effective_date == today


def test_completed_with_link_and_not_feasible_with_reason_are_accepted(world):
    a = updates.submit_update(
        world.item,
        world.lead_editor,
        status="completed",
        progress=100,
        effective_date="2017-06-30",
        narrative="done",
        based_on_version=1,
        evidence_url="https://www.tainan.gov.tw/news/1",
    )
    # A second report while the first waits for review replaces it (one live report per item).
    b = updates.submit_update(
        world.item,
        world.lead_editor,
        status="not_feasible",
        progress=0,
        effective_date="2017-07-30",
        narrative="stopped",
        reason="法規不允許",
        based_on_version=2,
        replaces_id=a.id,
    )
    db.session.commit()
    assert (a.evidence_url, b.reason) == ("https://www.tainan.gov.tw/news/1", "法規不允許")


# --- who may submit ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["support_editor", "other_editor", "reviewer", "viewer", "admin"])
def test_only_lead_editors_submit_status_and_refusals_are_logged(client, login, world, who):
    user = getattr(world, who)
    login(user)
    assert client.get(f"/items/{world.item.id}/updates/new").status_code == 403
    resp = _post_update(client, world)
    assert resp.status_code == 403
    assert db.session.scalar(select(StatusUpdate)) is None
    logged = db.session.scalars(select(AuditLog).where(AuditLog.user_id == user.id)).all()
    assert {e.action for e in logged} >= {"access.denied"}
    with pytest.raises(PermissionDenied):
        updates.submit_update(
            world.item,
            user,
            status="planning",
            progress=1,
            effective_date="2017-06-30",
            narrative="n",
            based_on_version=1,
        )
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "update.denied")).user_id == user.id


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,data,ok",
    [
        ("a.pdf", tiny_pdf(), True),
        ("a.png", PNG_1PX, True),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, True),
        ("a.odt", odt_bytes(), True),
        ("a.docx", docx_bytes(), True),
        ("a.csv", "機關,數值\nWRB,1\n".encode(), True),
        ("a.txt", "純文字".encode(), True),
        ("a.exe", b"MZ\x90\x00", False),
        ("evil.pdf", b"MZ\x90\x00 not a pdf", False),  # disguised executable
        ("photo.png", tiny_pdf(), False),  # real PDF, wrong extension
        ("a.docx", odt_bytes(), False),  # ODF called DOCX
        ("a.zip", zip_bytes({"x.txt": b"x"}), False),  # plain archives are not evidence
        ("a.docx", zip_bytes({"word/document.xml": b"x"}), False),  # no [Content_Types].xml
        ("a.txt", b"\x00\x01binary", False),
        ("a.csv", "caf\xe9".encode("latin-1"), False),  # not UTF-8
        ("a.pdf", b"", False),
        ("noext", b"%PDF-1.4", False),
        ("a.html", b"<script>alert(1)</script>", False),
    ],
)
def test_upload_type_is_checked_by_content(app, name, data, ok):
    if ok:
        checked = uploads.check_file(uploads.IncomingFile(name, data))
        assert checked.sha256 and checked.file_type.content_type
    else:
        with pytest.raises(uploads.UploadRefused):
            uploads.check_file(uploads.IncomingFile(name, data))


def test_oversized_and_zip_bomb_uploads_are_refused(app, english):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    with pytest.raises(uploads.UploadRefused, match="larger"):
        uploads.check_file(uploads.IncomingFile("a.pdf", b"%PDF-" + b"0" * 1000))
    app.config["MAX_UPLOAD_BYTES"] = 10 * 1024 * 1024
    app.config["MAX_DECOMPRESSED_BYTES"] = 1024 * 1024
    bomb = docx_bytes({"word/media/zeros.bin": b"\0" * (2 * 1024 * 1024)})
    assert len(bomb) < 50_000  # compresses extremely well
    with pytest.raises(uploads.UploadRefused, match="expands"):
        uploads.check_file(uploads.IncomingFile("bomb.docx", bomb))
    app.config["MAX_ZIP_ENTRIES"] = 10
    many = docx_bytes({f"word/f{i}.xml": b"x" for i in range(20)})
    with pytest.raises(uploads.UploadRefused, match="too many"):
        uploads.check_file(uploads.IncomingFile("many.docx", many))


def test_zip_with_lying_sizes_is_measured_while_decompressing(app):
    app.config["MAX_DECOMPRESSED_BYTES"] = 100_000
    data = bytearray(docx_bytes({"word/big.bin": b"A" * 500_000}))
    # Shrink the declared uncompressed size of every entry in the central directory.
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        data[pos + 24 : pos + 28] = (10).to_bytes(4, "little")
        pos += 4
    with pytest.raises(uploads.UploadRefused):
        uploads.check_file(uploads.IncomingFile("liar.docx", bytes(data)))


def test_refused_file_saves_nothing_and_names_the_file(client, login, world, app):
    login(world.lead_editor)
    resp = _post_update(client, world, files=[_file(b"MZ\x90\x00", "setup.pdf"), _file(tiny_pdf(), "ok.pdf")])
    assert resp.status_code == 422
    assert "setup.pdf" in _errors(resp.get_data(as_text=True))["files"]
    assert db.session.scalar(select(StatusUpdate)) is None
    assert db.session.scalar(select(Attachment)) is None
    assert _uploaded_files(app) == []


def test_oversized_upload_through_the_form(client, login, world, app):
    app.config["MAX_UPLOAD_BYTES"] = 2000
    login(world.lead_editor)
    resp = _post_update(client, world, files=[_file(b"%PDF-1.4" + b"x" * 3000, "big.pdf")])
    assert resp.status_code == 422
    assert "big.pdf" in _errors(resp.get_data(as_text=True))["files"]
    assert _uploaded_files(app) == []


def test_files_are_removed_when_the_transaction_does_not_commit(world, app):
    updates.submit_update(
        world.item,
        world.lead_editor,
        status="completed",
        progress=100,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
    )
    assert len(_uploaded_files(app)) == 1
    db.session.rollback()
    assert _uploaded_files(app) == []
    # ...and kept when it does.
    updates.submit_update(
        world.item,
        world.lead_editor,
        status="completed",
        progress=100,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
    )
    db.session.commit()
    assert len(_uploaded_files(app)) == 1


def test_download_is_an_attachment_with_the_checked_type_for_any_signed_in_user(client, login, world, app):
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="completed",
        progress=100,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
        files=[uploads.IncomingFile("報告.pdf", tiny_pdf())],
    )
    db.session.commit()
    att = su.attachments[0]
    url = f"/attachments/{att.id}"
    assert client.get(url).status_code == 302  # anonymous: sign in first
    login(world.viewer)
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.data == tiny_pdf()
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/attachments/9999").status_code == 404
    (Path(app.config["UPLOAD_FOLDER"]) / att.stored_name).unlink()
    assert client.get(url).status_code == 404


def test_text_that_looks_like_html_is_still_served_as_a_download(client, login, world):
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=1,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
        files=[uploads.IncomingFile("notes.txt", b"<script>alert(1)</script>")],
    )
    db.session.commit()
    login(world.reviewer)
    resp = client.get(f"/attachments/{su.attachments[0].id}")
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.headers["Content-Disposition"].startswith("attachment;")


# --- append-only history ----------------------------------------------------------------------


def _submit(world, version=None, **kw):
    values = dict(
        status="in_progress",
        progress=30,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=world.item.version if version is None else version,
    )
    values.update(kw)
    return updates.submit_update(world.item, world.lead_editor, **values)


def test_history_cannot_be_changed_through_the_orm(world):
    su = _submit(
        world,
        measurements=[{"indicator_id": world.indicator.id, "value": 1, "measured_on": "2017-06-01"}],
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
    )
    note = updates.add_note(world.item, world.support_editor, "協助", "2017-06-30")
    db.session.commit()
    for obj, attr, value in (
        (su, "progress", 99),
        (su.measurements[0], "source_note", "x"),
        (su.attachments[0], "original_name", "x.pdf"),
        (note, "body", "changed"),
    ):
        setattr(obj, attr, value)
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
    for obj in (su, note):
        db.session.delete(obj)
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("table", ["status_update", "measurement", "item_note", "attachment", "audit_log"])
def test_history_cannot_be_changed_with_raw_sql(world, table):
    _submit(
        world,
        measurements=[{"indicator_id": world.indicator.id, "value": 1, "measured_on": "2017-06-01"}],
        files=[uploads.IncomingFile("a.pdf", tiny_pdf())],
    )
    updates.add_note(world.item, world.support_editor, "協助", "2017-06-30")
    db.session.commit()
    column = {
        "status_update": "narrative",
        "measurement": "source_note",
        "item_note": "body",
        "attachment": "original_name",
        "audit_log": "summary",
    }[table]
    for stmt in (f"UPDATE {table} SET {column} = 'tampered'", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(stmt))
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) >= 1


# --- corrections and returned updates ----------------------------------------------------------


def test_returned_update_is_revised_by_a_new_record_and_shown_on_my_department(client, login, world):
    first = _submit(world, progress=30)
    db.session.add(
        Review(
            update=first,
            decision=ReviewDecision.RETURN,
            comment="請補充經費執行數",
            effective_date=date(2017, 7, 5),
            reviewer=world.reviewer,
        )
    )
    world.item.version += 1
    db.session.commit()

    login(world.lead_editor)
    page = client.get("/my-department/").get_data(as_text=True)
    assert "請補充經費執行數" in page
    revise = f"/items/{world.item.id}/updates/new?corrects={first.id}"
    assert revise.replace("&", "&amp;") in page or revise in page
    form = client.get(revise).get_data(as_text=True)
    assert f'name="corrects_id" type="hidden" value="{first.id}"' in form
    assert "請補充經費執行數" in form

    resp = _post_update(client, world, corrects_id=str(first.id), progress="35", narrative="已補充經費執行數")
    assert resp.status_code == 302, _errors(resp.get_data(as_text=True))
    second = db.session.scalar(select(StatusUpdate).order_by(StatusUpdate.id.desc()))
    assert second.corrects_id == first.id and second.id != first.id
    db.session.refresh(first)
    assert first.progress == 30 and first.narrative == "n"  # the original is untouched
    history = client.get(f"/items/{world.item.id}/history").get_data(as_text=True)
    assert f'href="#update-{first.id}">#{first.id}</a>' in history
    page = client.get("/my-department/").get_data(as_text=True)
    assert "請補充經費執行數" not in page  # revised: no longer waiting for the department


def test_a_correction_must_point_at_an_update_of_the_same_item(world, factory):
    other_item = factory.item(lead=world.lead)
    foreign = updates.submit_update(
        other_item,
        world.lead_editor,
        status="planning",
        progress=1,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=1,
    )
    with pytest.raises(DomainError) as exc:
        _submit(world, corrects_id=foreign.id)
    assert set(exc.value.extra["errors"]) == {"corrects_id"}


# --- notes ----------------------------------------------------------------------------------


def test_supporting_and_lead_departments_add_notes_others_may_not(client, login, world):
    login(world.support_editor)
    resp = client.post(
        f"/items/{world.item.id}/notes/new", data={"body": "農業局協助推廣滴灌", "effective_date": "2017-06-30"}
    )
    assert resp.status_code == 302
    note = db.session.scalar(select(ItemNote))
    assert (note.department_id, note.author_id) == (world.support.id, world.support_editor.id)
    resp = client.post(
        f"/items/{world.item.id}/notes/new",
        data={"body": "更正：推廣面積為 20 公頃", "effective_date": "2017-06-30", "corrects_id": str(note.id)},
    )
    assert resp.status_code == 302
    correction = db.session.scalar(select(ItemNote).order_by(ItemNote.id.desc()))
    assert correction.corrects_id == note.id
    history = client.get(f"/items/{world.item.id}/history").get_data(as_text=True)
    assert "農業局協助推廣滴灌" in history and f'href="#note-{note.id}"' in history

    bad = client.post(f"/items/{world.item.id}/notes/new", data={"body": "", "effective_date": "2099-01-01"})
    assert bad.status_code == 422
    assert set(_errors(bad.get_data(as_text=True))) == {"body", "effective_date"}


@pytest.mark.parametrize("who", ["other_editor", "reviewer", "viewer", "admin"])
def test_notes_refused_outside_the_item_departments(client, login, world, who):
    login(getattr(world, who))
    assert (
        client.post(f"/items/{world.item.id}/notes/new", data={"body": "x", "effective_date": "2017-06-30"}).status_code
        == 403
    )
    assert db.session.scalar(select(ItemNote)) is None


def test_notes_do_not_change_the_item_version(world):
    updates.add_note(world.item, world.support_editor, "協助", "2017-06-30")
    db.session.commit()
    assert world.item.version == 1


# --- no lost update ------------------------------------------------------------------------


def test_second_writer_sees_the_conflict_screen_and_loses_nothing(client, login, world, app):
    """Two editors open the form at version 1; the first submits; the second gets the
    conflict screen with everything typed (and the chosen file) kept, then submits again."""
    colleague = app.test_client()
    from tests.factories import sign_in

    sign_in(colleague, world.lead_editor)
    login(world.lead_editor)
    assert 'value="1"' in client.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)
    assert 'value="1"' in colleague.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)

    first = _post_update(colleague, world, version="1", progress="50", narrative="同事的辦理情形")
    assert first.status_code == 302

    typed = {
        "version": "1",
        "status": "in_progress",
        "progress": "60",
        "narrative": "我的辦理情形：完成招標",
        "reason": "補充說明",
        "evidence_url": "https://example.org/minutes",
        "measurements-0-value": "12.5",
        "measurements-0-measured_on": "2017-06-01",
        "measurements-0-source_note": "統計年報",
    }
    resp = _post_update(client, world, files=[_file(tiny_pdf(), "會議紀錄.pdf")], **typed)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert 'id="conflict"' in html and "同事的辦理情形" in html
    for value in (
        "60",
        "我的辦理情形：完成招標",
        "補充說明",
        "https://example.org/minutes",
        "12.5",
        "2017-06-01",
        "統計年報",
    ):
        assert value in html
    assert 'name="version" type="hidden" value="2"' in html
    tickets = re.findall(r'name="staged" value="([^"]+)"', html)
    assert len(tickets) == 1 and "會議紀錄.pdf" in html
    assert db.session.scalar(select(StatusUpdate).where(StatusUpdate.narrative.like("我的%"))) is None

    # The re-shown form replaces the colleague's report, which still waits for review (it says so).
    replaces = re.search(r'name="replaces_id" type="hidden" value="(\d+)"', html).group(1)
    again = _post_update(client, world, staged=tickets, **{**typed, "version": "2", "replaces_id": replaces})
    assert again.status_code == 302, _errors(again.get_data(as_text=True))
    narratives = [su.narrative for su in db.session.scalars(select(StatusUpdate).order_by(StatusUpdate.id))]
    assert narratives == ["同事的辦理情形", "我的辦理情形：完成招標"]
    mine = db.session.scalar(select(StatusUpdate).order_by(StatusUpdate.id.desc()))
    assert [a.original_name for a in mine.attachments] == ["會議紀錄.pdf"]
    assert len(mine.measurements) == 1
    staging = Path(app.config["UPLOAD_FOLDER"]) / "staging"
    assert not [p for p in staging.rglob("*") if p.is_file()]  # the parked copy is gone once used


def test_staged_files_belong_to_their_user(world, app):
    ticket = uploads.stage(uploads.check_file(uploads.IncomingFile("a.pdf", tiny_pdf())), world.lead_editor.id)
    assert uploads.unstage(ticket, world.other_editor.id) is None
    assert uploads.unstage(ticket + "x", world.lead_editor.id) is None
    assert uploads.unstage(ticket, world.lead_editor.id).filename == "a.pdf"


def test_conflict_error_carries_the_current_version(world):
    _submit(world, version=1)
    db.session.commit()
    with pytest.raises(ConflictError) as exc:
        _submit(world, version=1)
    assert exc.value.current_version == 2


@pytest.fixture
def race_app(tmp_path, database_url):
    """An app whose database several threads can share (SQLite file or the test PostgreSQL)."""
    from tracker import create_app

    url = database_url if IS_POSTGRES else "sqlite:///" + str(tmp_path / "race.sqlite3")
    application = create_app(
        "testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "race-uploads")}
    )
    yield application


def test_two_threads_racing_from_the_same_version_one_wins_one_conflicts(app, race_app, factory):
    if IS_POSTGRES:
        world = build_world(factory)  # the shared PostgreSQL database is the test database
    else:
        with race_app.app_context():
            db.create_all()
            from tests.factories import Factory

            world = build_world(Factory(db.session))
            item_id, user_id = world.item.id, world.lead_editor.id
            db.session.remove()
    item_id, user_id = world.item.id, world.lead_editor.id
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def writer(name: str, hold: float):
        from tracker.models import User

        with race_app.app_context():
            item = db.session.get(ActionItem, item_id)
            user = db.session.get(User, user_id)
            assert item.version == 1
            barrier.wait()
            try:
                updates.submit_update(
                    item,
                    user,
                    status="in_progress",
                    progress=10,
                    effective_date="2017-06-30",
                    narrative=f"by {name}",
                    based_on_version=1,
                )
                time.sleep(hold)  # keep the transaction open while the other writer tries
                db.session.commit()
                results[name] = "ok"
            except ConflictError as exc:
                db.session.rollback()
                results[name] = f"conflict:{exc.current_version}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=("a", 0.3)), threading.Thread(target=writer, args=("b", 0.3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["conflict:2", "ok"], results
    with race_app.app_context():
        rows = db.session.scalars(select(StatusUpdate).where(StatusUpdate.action_item_id == item_id)).all()
        assert len(rows) == 1
        assert db.session.get(ActionItem, item_id).version == 2
        if not IS_POSTGRES:
            db.drop_all()
        db.session.remove()
        db.engine.dispose()


# --- my department --------------------------------------------------------------------------


def test_my_department_lists_led_and_supported_items_with_flags_and_pending(client, login, world, factory):
    led_overdue = factory.item(
        world.item.recommendation,
        lead=world.lead,
        code="R1-A2",
        start_date=date(2017, 1, 1),
        due_date=date(2017, 3, 31),
    )
    supported = factory.item(world.item.recommendation, lead=world.other, supporting=[world.lead], code="R1-A3")
    factory.item(world.item.recommendation, lead=world.other, code="R1-A4")  # not ours
    factory.update(world.item, progress=40, effective=date(2017, 6, 30), approved_on=date(2017, 7, 3))
    factory.update(world.item, progress=60, effective=date(2017, 12, 31))  # pending
    db.session.commit()
    login(world.lead_editor)
    html = client.get("/my-department/").get_data(as_text=True)
    codes = re.findall(r'<tr data-item="([^"]+)"', html)
    assert sorted(codes) == ["R1-A1", "R1-A2", "R1-A3"]
    row = html.split('data-item="R1-A1"')[1].split("</tr>")[0]
    assert "40%" in row and "60%" in row  # official and pending
    assert "flag-overdue" in html.split('data-item="R1-A2"')[1].split("</tr>")[0]
    assert f"/items/{supported.id}/updates/new" not in html  # supporting: notes only
    assert f"/items/{supported.id}/notes/new" in html and f"/items/{led_overdue.id}/updates/new" in html


@pytest.mark.parametrize(
    "query,expected",
    [
        ("role=lead", ["R1-A2", "R1-A1"]),
        ("role=supporting", ["R1-A3"]),
        ("flag=overdue", ["R1-A2"]),
        ("flag=pending", ["R1-A1"]),
        ("status=in_progress", ["R1-A1"]),
        ("q=a3", ["R1-A3"]),
        ("q=%E6%BB%B4%E7%81%8C", ["R1-A2"]),  # 滴灌 in the title
        ("sort=code", ["R1-A1", "R1-A2", "R1-A3"]),
        ("sort=progress", ["R1-A2", "R1-A3", "R1-A1"]),
        ("sort=due", ["R1-A2", "R1-A1", "R1-A3"]),
        ("flag=nonsense&sort=nonsense", ["R1-A2", "R1-A1", "R1-A3"]),
    ],
)
def test_my_department_filters_and_sorts(client, login, world, factory, query, expected):
    world.item.due_date = date(2099, 12, 31)
    factory.item(
        world.item.recommendation,
        lead=world.lead,
        code="R1-A2",
        title_zh="推廣滴灌",
        start_date=date(2017, 1, 1),
        due_date=date(2017, 3, 31),
    )
    factory.item(world.item.recommendation, lead=world.other, supporting=[world.lead], code="R1-A3")
    factory.update(world.item, progress=40, effective=date(2017, 6, 30), approved_on=date(2017, 7, 3))
    factory.update(world.item, progress=60, effective=date(2017, 12, 31))
    db.session.commit()
    login(world.lead_editor)
    html = client.get(f"/my-department/?{query}").get_data(as_text=True)
    assert re.findall(r'<tr data-item="([^"]+)"', html) == expected


def test_my_department_statement_count_does_not_grow_with_items(client, login, world, factory, count_queries):
    login(world.lead_editor)

    def count() -> int:
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get("/my-department/").status_code == 200
        return counter.count

    for i in range(2):
        it = factory.item(world.item.recommendation, lead=world.lead, supporting=[world.support], code=f"S{i}")
        factory.update(it, progress=10, approved_on=date(2017, 7, 1), reviewer=world.reviewer)
        factory.update(it, progress=20, returned_on=date(2017, 8, 1), reviewer=world.reviewer)
    db.session.commit()
    small = count()
    for i in range(10):
        it = factory.item(
            world.item.recommendation, lead=world.lead, supporting=[world.support, world.other], code=f"L{i}"
        )
        factory.update(it, progress=10, approved_on=date(2017, 7, 1), reviewer=world.reviewer)
        factory.update(it, progress=20, returned_on=date(2017, 8, 1), reviewer=world.reviewer)
    db.session.commit()
    assert count() == small


def test_my_department_is_for_editors_and_admins(client, login, world, factory):
    login(world.reviewer)
    assert client.get("/my-department/").status_code == 403
    login(world.admin)
    chooser = client.get("/my-department/")
    assert chooser.status_code == 200 and "/my-department/?department=WRB" in chooser.get_data(as_text=True)
    assert 'data-item="R1-A1"' in client.get("/my-department/?department=wrb").get_data(as_text=True)
    assert client.get("/my-department/?department=NOPE").status_code == 404
