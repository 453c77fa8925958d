"""Upload hardening beyond tests/test_updates.py: macro-bearing Office/ODF files are
refused, stored names are generated (a hostile file name goes nowhere), uploads live
outside the static folder, real documents pass, and a download keeps its sandbox."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.update_world import docx_bytes, odt_bytes, tiny_pdf, zip_bytes
from tracker.extensions import db
from tracker.services import updates, uploads

ODT_MIME = ("mimetype", b"application/vnd.oasis.opendocument.text")


@pytest.fixture(autouse=True)
def english(app):
    """Messages are checked by their English wording."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.mark.parametrize(
    "name, data",
    [
        ("macro.docx", docx_bytes({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"})),
        (
            "macro.xlsx",
            zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>", "xl/vbaProject.bin": b"VBA"}),
        ),
        ("activex.docx", docx_bytes({"word/activeX/activeX1.xml": b"<ax/>"})),
        (
            "basic.odt",
            zip_bytes({"content.xml": b"<c/>", "Basic/Standard/Module1.xml": b"<script:module/>"}, first=ODT_MIME),
        ),
        ("python.odt", zip_bytes({"content.xml": b"<c/>", "Scripts/python/evil.py": b"import os"}, first=ODT_MIME)),
    ],
)
def test_documents_with_macros_are_refused(app, name, data):
    with pytest.raises(uploads.UploadRefused, match="macros"):
        uploads.check_file(uploads.IncomingFile(name, data))


def test_documents_without_macros_pass(app):
    assert uploads.check_file(uploads.IncomingFile("a.odt", odt_bytes())).file_type.kind == "odt"
    assert uploads.check_file(uploads.IncomingFile("a.docx", docx_bytes())).file_type.kind == "docx"
    # LibreOffice may keep empty library indexes without any macro.
    empty_lib = zip_bytes({"content.xml": b"<c/>", "Basic/script-lc.xml": b"<library:libraries/>"}, first=ODT_MIME)
    assert uploads.check_file(uploads.IncomingFile("lib.odt", empty_lib)).file_type.kind == "odt"


def test_a_real_libreoffice_document_passes(app, tmp_path, soffice):
    """Round-trip through the office suite people actually use (soffice fixture: required in CI)."""
    import subprocess

    src = tmp_path / "evidence.txt"
    src.write_text("辦理情形 evidence", encoding="utf-8")
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "odt",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = (tmp_path / "evidence.odt").read_bytes()
    assert uploads.check_file(uploads.IncomingFile("evidence.odt", data)).file_type.kind == "odt"


def test_hostile_file_name_is_only_a_label(app, world):
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=5,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=world.item.version,
        files=[
            uploads.IncomingFile("../../../templates/base.pdf", tiny_pdf()),
            uploads.IncomingFile("C:\\Windows\\evil\x00\x07.pdf", tiny_pdf("2")),
        ],
    )
    db.session.commit()
    root = Path(app.config["UPLOAD_FOLDER"]).resolve()
    for att in su.attachments:
        assert len(att.stored_name) == 32 and all(c in "0123456789abcdef" for c in att.stored_name)
        assert (root / att.stored_name).is_file()
        assert "/" not in att.original_name and "\\" not in att.original_name
        assert all(ch.isprintable() for ch in att.original_name)
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == sorted(a.stored_name for a in su.attachments)


def test_uploads_are_not_under_the_static_folder(app):
    uploads_dir = Path(app.config["UPLOAD_FOLDER"]).resolve()
    static = Path(app.static_folder).resolve()
    assert static not in uploads_dir.parents and uploads_dir != static
    from config import Config

    assert Config.MAX_UPLOAD_BYTES <= 10 * 1024 * 1024 and Config.MAX_DECOMPRESSED_BYTES <= 100 * 1024 * 1024


def test_request_over_the_size_cap_is_refused_before_reading(app, client, login, world):
    login(world.lead_editor)
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    resp = client.post(
        f"/items/{world.item.id}/updates/new",
        data={"files": (io.BytesIO(b"%PDF-" + b"0" * 100_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413


def test_download_keeps_its_sandbox_and_attachment_headers(app, client, login, world):
    su = updates.submit_update(
        world.item,
        world.lead_editor,
        status="planning",
        progress=5,
        effective_date="2017-06-30",
        narrative="n",
        based_on_version=world.item.version,
        files=[uploads.IncomingFile("page.txt", b"<html><script>alert(1)</script>")],
    )
    db.session.commit()
    login(world.viewer)
    resp = client.get(f"/attachments/{su.attachments[0].id}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in resp.headers["Cache-Control"]
    assert resp.headers["Content-Type"].startswith("text/plain")


def test_zip_that_is_neither_odf_nor_ooxml_is_refused(app):
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("payload.exe", b"MZ")
    with pytest.raises(uploads.UploadRefused):
        uploads.check_file(uploads.IncomingFile("report.docx", plain_zip.getvalue()))
