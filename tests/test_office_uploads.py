"""Legacy Office evidence (.doc, .xls, .ppt): accepted by content (an OLE2 compound file
with the format's main stream), refused with macros (VBA projects, found by name and by
oletools), when damaged, or when the content is another type; and file sizes written one
way (tracker.numbers.file_size) on the history and the review queue."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests.office_fixtures import doc_with_macros, fixture, ole_file, ppt_bytes, xls_with_macros
from tests.update_world import update_form
from tracker import numbers
from tracker.extensions import db
from tracker.models import Attachment
from tracker.services import uploads


@pytest.fixture
def english(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _check(name: str, data: bytes) -> uploads.CheckedFile:
    return uploads.check_file(uploads.IncomingFile(name, data))


@pytest.mark.parametrize(
    "name, data, kind, content_type",
    [
        ("辦理情形.doc", lambda: fixture("evidence.doc"), "doc", "application/msword"),
        ("統計表.xls", lambda: fixture("evidence.xls"), "xls", "application/vnd.ms-excel"),
        ("簡報.ppt", ppt_bytes, "ppt", "application/vnd.ms-powerpoint"),
        ("UPPER.DOC", lambda: fixture("evidence.doc"), "doc", "application/msword"),
    ],
)
def test_legacy_office_files_are_accepted(app, name, data, kind, content_type):
    checked = _check(name, data())
    assert checked.file_type.kind == kind and checked.file_type.content_type == content_type


@pytest.mark.parametrize(
    "name, data",
    [
        ("macro.doc", doc_with_macros),
        ("macro.xls", xls_with_macros),
        (
            "vba-in-ppt.ppt",
            lambda: ole_file(
                {"PowerPoint Document": b"\x00" * 10, "VBA": {"dir": b"\x01" * 10, "_VBA_PROJECT": b"\xcc\x61"}}
            ),
        ),
    ],
)
def test_legacy_office_files_with_macros_are_refused(app, english, name, data):
    with pytest.raises(uploads.UploadRefused, match="contains macros"):
        _check(name, data())


def test_oletools_finds_the_vba_project_of_the_test_files():
    from oletools.olevba import VBA_Parser

    for data, expected in ((doc_with_macros(), True), (xls_with_macros(), True), (fixture("evidence.doc"), False)):
        parser = VBA_Parser("x", data=data)
        try:
            assert parser.detect_vba_macros() is expected
        finally:
            parser.close()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("renamed.xls", lambda: fixture("evidence.doc"), "does not match"),  # a Word file named .xls
        ("renamed.doc", lambda: fixture("evidence.xls"), "does not match"),
        ("word.docx", lambda: fixture("evidence.doc"), "does not match"),  # OLE content, OOXML name
        ("broken.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, "does not match"),
        ("truncated.doc", lambda: fixture("evidence.doc")[:1500], "does not match"),
        ("other.doc", lambda: ole_file({"Something Else": b"x"}), "does not match"),
        ("encrypted.doc", lambda: ole_file({"EncryptedPackage": b"x", "EncryptionInfo": b"y"}), "does not match"),
        ("text.doc", lambda: b"just text", "does not match"),
    ],
)
def test_other_content_under_a_legacy_office_name_is_refused(app, english, name, data, message):
    with pytest.raises(uploads.UploadRefused, match=message):
        _check(name, data())


def test_encrypted_word_file_is_refused(app, english, monkeypatch):
    from oletools import crypto

    monkeypatch.setattr(crypto, "is_encrypted", lambda data: True)
    with pytest.raises(uploads.UploadRefused, match="damaged or encrypted"):
        _check("locked.doc", fixture("evidence.doc"))


# --- through the form --------------------------------------------------------------------------


def _post(client, world, files, lang="en"):
    data = update_form(world, status="completed", progress="100", effective_date="2017-06-30")
    data["files"] = files
    return client.post(f"/items/{world.item.id}/updates/new?lang={lang}", data=data, content_type="multipart/form-data")


def _file(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_editor_attaches_a_doc_and_an_xls(client, login, world):
    login(world.lead_editor)
    doc, xls = fixture("evidence.doc"), fixture("evidence.xls")
    resp = _post(client, world, [_file(doc, "驗收紀錄.doc"), _file(xls, "統計.xls")])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    atts = {a.original_name: a for a in db.session.scalars(select(Attachment))}
    assert atts["驗收紀錄.doc"].content_type == "application/msword" and atts["驗收紀錄.doc"].size == len(doc)
    assert atts["統計.xls"].content_type == "application/vnd.ms-excel"
    history = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert re.search(
        rf'驗收紀錄\.doc</a>\s*<span class="muted">\({re.escape(numbers.file_size(len(doc)))}\)</span>', history
    )
    assert "(9 KB)" in history and "(5.5 KB)" in history  # 9,216 and 5,632 bytes


def test_editor_gets_a_clear_message_for_a_doc_with_macros(client, login, world):
    login(world.lead_editor)
    resp = _post(client, world, [_file(doc_with_macros(), "巨集.doc")])
    assert resp.status_code in (400, 422)
    html = resp.get_data(as_text=True)
    assert "巨集.doc: the document contains macros" in html
    assert db.session.scalars(select(Attachment)).all() == []


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, expected",
    [
        (1, "0.1 KB"),
        (50, "0.1 KB"),
        (100, "0.1 KB"),
        (400, "0.4 KB"),
        (1024, "1 KB"),
        (1126, "1.1 KB"),
        (9216, "9 KB"),
        (5632, "5.5 KB"),
        (1024 * 1023, "1,023 KB"),
        (1024 * 1024, "1 MB"),
        (1_258_291, "1.2 MB"),
        (10 * 1024 * 1024, "10 MB"),
        (0, "0 KB"),
        (None, "—"),
    ],
)
def test_file_sizes_are_written_one_way(n, expected):
    assert numbers.file_size(n) == expected


def test_review_queue_shows_the_same_size_as_the_history(client, login, world, factory):
    login(world.lead_editor)
    resp = _post(client, world, [_file(b"%PDF-1.4\n" + b"0" * 40 + b"\n%%EOF\n", "tiny.pdf")], lang="zh-TW")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    history = client.get(resp.headers["Location"]).get_data(as_text=True)
    reviewer = factory.user("reviewer")
    db.session.commit()
    login(reviewer)
    queue = client.get("/review/").get_data(as_text=True)
    for html in (history, queue):
        assert re.search(r'tiny\.pdf(?:</a>)?\s*<span class="muted">\(0\.1 KB\)</span>', html), html[:200]
        assert "0 KB" not in html
