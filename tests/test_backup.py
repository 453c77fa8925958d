"""Backup and restore: the round trip keeps every row of every table and every
attachment byte for byte; a damaged or hostile archive is refused before anything
is touched. Runs on SQLite (file) and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, _pg_admin_url
from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    Attachment,
    AuditLog,
    Department,
    ItemNote,
    PasswordHistory,
    RecoveryCode,
    TrackingChoice,
)
from tracker.services.backup import BackupError, create_backup, restore_backup


def snapshot(uploads: Path) -> tuple[dict[str, list[tuple]], dict[str, bytes]]:
    """Every row of every table (ordered by primary key) and every file under ``uploads``."""
    insp = inspect(db.engine)
    rows: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        for name in sorted(insp.get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            order = list(table.primary_key.columns) or list(table.columns)
            rows[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    files = (
        {p.relative_to(uploads).as_posix(): p.read_bytes() for p in sorted(uploads.rglob("*")) if p.is_file()}
        if uploads.exists()
        else {}
    )
    return rows, files


@pytest.fixture
def populated(app, factory, tmp_path):
    """A realistic database: departments, users, items, reviewed updates, decisions,
    notes, attachments (with files, some in sub-folders, one binary), audit rows."""
    uploads = Path(app.config["UPLOAD_FOLDER"])
    uploads.mkdir(parents=True, exist_ok=True)
    lead, helper = factory.department("WRB"), factory.department()
    editor = factory.user("editor", department=lead, name="陳美玲")
    reviewer = factory.user("reviewer")
    db.session.add(PasswordHistory(user_id=editor.id, password_hash="$argon2id$old"))
    db.session.add(RecoveryCode(user_id=reviewer.id, code_hash="sha256$ab$cd"))
    rec = factory.recommendation(title_zh="建議一：水資源再利用")
    for n in range(3):
        item = factory.item(rec, lead=lead, supporting=[helper], due_date=date(2018, 12, 31))
        first = factory.update(
            item, "planning", 10, date(2017, 3, 31), approved_on=date(2017, 4, 10), by=editor, reviewer=reviewer
        )
        upd = factory.update(
            item, "in_progress", 40 + n, date(2017, 6, 30), by=editor, narrative="辦理情形：已完成規劃 ✓"
        )
        for k, data in enumerate([os.urandom(4096 + n), "證明文件\n".encode() * 50]):
            stored = f"{uuid.uuid4().hex}.bin" if k == 0 else f"2017/{uuid.uuid4().hex}.txt"
            path = uploads / stored
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            db.session.add(
                Attachment(
                    update=upd,
                    original_name=f"證明{n}-{k}.pdf",
                    stored_name=stored,
                    content_type="application/pdf",
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    uploaded_by_id=editor.id,
                )
            )
        factory.decision(item, TrackingChoice.CONTINUE, date(2017, 12, 31), by=reviewer)
        db.session.add(
            ItemNote(action_item=item, department_id=helper.id, body="協辦意見", effective_date=date(2017, 5, 1))
        )
        assert first.id
    db.session.add(AuditLog(action="test.row", actor="tester", summary=json.dumps({"note": "備份"})))
    db.session.commit()
    return uploads


@contextmanager
def empty_target(tmp_path: Path):
    """A second app on a new, empty database of the same kind and an empty upload folder."""
    uploads = tmp_path / "restored-uploads"
    if IS_POSTGRES:
        name = f"tracker_restore_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(_pg_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    target = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(uploads)})
    try:
        with target.app_context():
            yield target, uploads
            db.session.remove()
            db.engine.dispose()
    finally:
        if IS_POSTGRES:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_round_trip_keeps_every_row_and_every_file(app, populated, tmp_path):
    before_rows, before_files = snapshot(populated)
    assert len(before_files) == 6 and sum(len(r) for r in before_rows.values()) > 30
    (tmp_path / "out").mkdir()
    result = create_backup(tmp_path / "out")  # a folder: a dated file goes in it
    assert result.path.name.startswith("tracker-backup-") and result.path.name.endswith(".tar.gz")
    assert result.files == 6

    with empty_target(tmp_path) as (target, uploads):
        restored = restore_backup(result.path)
        assert restored.files == 6
        after_rows, after_files = snapshot(uploads)
        assert after_rows.keys() == before_rows.keys()
        for name in before_rows:
            assert after_rows[name] == before_rows[name], f"table {name} differs after restore"
        assert after_files == before_files
        # The restored database is usable: new rows get fresh ids (sequences restored too).
        dept = Department(code="NEW", name_zh="新局", name_en="New bureau")
        db.session.add(dept)
        db.session.commit()
        assert dept.id > max(r[0] for r in before_rows["department"])
        # History stays append-only after a restore (triggers came back with the schema).
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM status_update"))


def test_manifest_lists_checksums_sizes_dialect_and_revision(app, populated, tmp_path):
    result = create_backup(tmp_path / "b.tar.gz")
    with tarfile.open(result.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        for entry in manifest["files"]:
            data = tar.extractfile(entry["path"]).read()
            assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert manifest["dialect"] == db.engine.dialect.name
    assert manifest["created_at"] and "alembic_revision" in manifest and manifest["app_version"]
    assert manifest["row_counts"]["attachment"] == 6


def _rewrite(archive: Path, out: Path, change) -> Path:  # noqa: ANN001
    """Copy ``archive`` to ``out`` passing each (name, bytes) through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            for name, payload in change(m.name, data):
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                dst.addfile(info, io.BytesIO(payload))
    return out


def _flip_one_attachment_byte(name: str, data: bytes):
    if (
        name.startswith("attachments/")
        and name.endswith(".bin")
        and not getattr(_flip_one_attachment_byte, "done", False)
    ):
        _flip_one_attachment_byte.done = True
        data = bytes([data[0] ^ 0xFF]) + data[1:]
    yield name, data


@pytest.mark.parametrize(
    "damage, message",
    [
        ("flip", "checksum mismatch"),
        ("truncate", "not a readable backup archive|damaged|cannot be read"),
        ("traversal", "only plain files with relative paths|differ from its manifest"),
        ("extra", "differ from its manifest"),
    ],
)
def test_damaged_or_hostile_archive_is_refused_before_anything_is_touched(app, populated, tmp_path, damage, message):
    good = create_backup(tmp_path / "good.tar.gz").path
    bad = tmp_path / "bad.tar.gz"
    if damage == "flip":
        _flip_one_attachment_byte.done = False
        _rewrite(good, bad, _flip_one_attachment_byte)
    elif damage == "truncate":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "traversal":
        _rewrite(good, bad, lambda n, d: [(n, d)] + ([("../../escaped.txt", b"x")] if n == "manifest.json" else []))
    else:
        _rewrite(
            good,
            bad,
            lambda n, d: [(n, d)] + ([("attachments/planted.html", b"<script>")] if n == "manifest.json" else []),
        )
    with empty_target(tmp_path) as (target, uploads):
        with pytest.raises(BackupError, match=message):
            restore_backup(bad)
        assert inspect(db.engine).get_table_names() == []
        assert not uploads.exists() or not any(uploads.iterdir())
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_restore_refuses_a_database_that_is_not_empty(app, populated, tmp_path):
    archive = create_backup(tmp_path / "b.tar.gz").path
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive)  # into the very database it came from


def test_cli_backup_and_restore(app, populated, tmp_path):
    out = tmp_path / "cli.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 attachment files" in result.output and out.exists()
    with empty_target(tmp_path) as (target, uploads):
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        assert "Restored" in result.output
        assert db.session.scalar(select(sa.func.count()).select_from(Attachment)) == 6
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    with empty_target(tmp_path / "second") as (target, uploads):
        result = target.test_cli_runner().invoke(args=["restore", str(bad)])
        assert result.exit_code != 0 and "Restore failed" in result.output


# --- forgery: checksums detect damage, the signature detects forgery ------------------------------


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _pack(members: dict[str, bytes], out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return out


def _recompute_checksums(members: dict[str, bytes]) -> None:
    """What a forger does after editing a member: make the manifest agree again."""
    manifest = json.loads(members["manifest.json"])
    for entry in manifest["files"]:
        data = members[entry["path"]]
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")


def _refused_untouched(archive: Path, tmp_path: Path, message: str) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with empty_target(tmp_path) as (target, uploads):
        with pytest.raises(BackupError, match=message):
            restore_backup(archive)
        assert inspect(db.engine).get_table_names() == []
        assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.skipif(IS_POSTGRES, reason="edits the SQLite file inside the archive (the PostgreSQL case is below)")
def test_a_database_edited_in_the_archive_with_recomputed_checksums_is_refused(app, populated, factory, tmp_path):
    """The probe's forgery: a viewer made admin in the archived database, checksums recomputed."""
    import sqlite3

    viewer = factory.user("viewer", email="mallory@example.org")
    db.session.commit()
    good = create_backup(tmp_path / "good.tar.gz").path
    members = _members(good)
    edited = tmp_path / "edited.sqlite3"
    edited.write_bytes(members["database.sqlite3"])
    with sqlite3.connect(edited) as conn:
        role = conn.execute("SELECT role FROM user_account WHERE email = ?", (viewer.email,)).fetchone()[0]
        admin_role = "ADMIN" if role.isupper() else "admin"
        assert (
            conn.execute("UPDATE user_account SET role = ? WHERE email = ?", (admin_role, viewer.email)).rowcount == 1
        )
    members["database.sqlite3"] = edited.read_bytes()
    _recompute_checksums(members)
    forged = _pack(members, tmp_path / "forged.tar.gz")
    _refused_untouched(forged, tmp_path, "signature does not match")
    (tmp_path / "control").mkdir()
    with empty_target(tmp_path / "control") as (target, uploads):
        assert restore_backup(good).files == 6  # the untouched archive restores


def test_a_forged_manifest_is_refused_on_any_database(app, populated, tmp_path):
    members = _members(create_backup(tmp_path / "good.tar.gz").path)
    members["attachments/planted.html"] = b"<script>alert(1)</script>"
    manifest = json.loads(members["manifest.json"])
    manifest["files"].append({"path": "attachments/planted.html", "size": 0, "sha256": ""})
    manifest["row_counts"]["user_account"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    _recompute_checksums(members)
    _refused_untouched(_pack(members, tmp_path / "forged.tar.gz"), tmp_path, "signature does not match")


def test_an_unsigned_archive_is_refused(app, populated, tmp_path):
    members = _members(create_backup(tmp_path / "good.tar.gz").path)
    del members["manifest.sig"]
    _refused_untouched(_pack(members, tmp_path / "unsigned.tar.gz"), tmp_path, "unsigned")


def test_a_forger_who_signs_with_another_key_is_refused(app, populated, tmp_path):
    import hmac

    members = _members(create_backup(tmp_path / "good.tar.gz").path)
    manifest = json.loads(members["manifest.json"])
    manifest["row_counts"]["audit_log"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    forged_sig = hmac.new(b"a key the forger chose", members["manifest.json"], hashlib.sha256).hexdigest()
    members["manifest.sig"] = json.dumps(
        {"algorithm": "HMAC-SHA256", "key": "SECRET_KEY", "signature": forged_sig}
    ).encode()
    _refused_untouched(_pack(members, tmp_path / "resigned.tar.gz"), tmp_path, "signature does not match")


def test_backup_signing_key_is_used_and_needed_to_restore(app, populated, tmp_path):
    app.config["BACKUP_SIGNING_KEY"] = "a separate long random backup key 8c1f"
    archive = create_backup(tmp_path / "b.tar.gz").path
    sig = json.loads(_members(archive)["manifest.sig"])
    assert sig["algorithm"] == "HMAC-SHA256" and sig["key"] == "BACKUP_SIGNING_KEY" and len(sig["signature"]) == 64
    # A target without the backup key checks with its SECRET_KEY and refuses ...
    _refused_untouched(archive, tmp_path / "no-key", "signed with another key .*BACKUP_SIGNING_KEY")
    # ... one with the key restores.
    (tmp_path / "with-key").mkdir()
    with empty_target(tmp_path / "with-key") as (target, uploads):
        target.config["BACKUP_SIGNING_KEY"] = "a separate long random backup key 8c1f"
        assert restore_backup(archive).files == 6
