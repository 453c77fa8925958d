"""Making a backup: the database first (SQLite online backup API, or ``pg_dump``), then
the attachment files (staging left out), a signed manifest, written atomically.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from ...extensions import db
from ..uploads import STAGING_DIR
from .archive import (
    ATTACHMENTS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PG_MEMBER,
    SIGNATURE,
    SIGNATURE_ALGORITHM,
    SQLITE_MEMBER,
    BackupError,
    BackupResult,
    _alembic_revision,
    _app_version,
    _libpq,
    _row_counts,
    _run,
    _sha256_file,
    sign_manifest,
)


def _dump_database(staging: Path) -> Path:
    engine = db.engine
    if engine.dialect.name == "sqlite":
        out = staging / SQLITE_MEMBER
        raw = engine.raw_connection()
        try:
            target = sqlite3.connect(out)
            try:
                raw.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            raw.close()
        return out
    if engine.dialect.name == "postgresql":
        out = staging / PG_MEMBER
        uri, env = _libpq(engine.url)
        pg_dump = current_app.config.get("PG_DUMP", "pg_dump")
        _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), "--dbname", uri], env)
        return out
    raise BackupError(f"backups of {engine.dialect.name} databases are not supported")


def _attachment_files(folder: Path) -> list[Path]:
    """Stored attachments; not staging/ (files of refused submissions waiting for a re-shown
    form: no row refers to them, they expire within a day)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and p.relative_to(folder).parts[0] != STAGING_DIR
    )


def create_backup(out: Path) -> BackupResult:
    """Write a backup archive to ``out`` (a file, or a folder to put a dated file in). Raises BackupError."""
    out = Path(out)
    if out.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = out / f"tracker-backup-{stamp}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    dialect = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="tracker-backup-") as tmp:
        staging = Path(tmp)
        rows = _row_counts()
        db_file = _dump_database(staging)
        entries = [{"path": db_file.name, "size": db_file.stat().st_size, "sha256": _sha256_file(db_file)}]
        members: list[tuple[Path, str]] = [(db_file, db_file.name)]
        attachment_bytes = 0
        files = _attachment_files(uploads)
        for path in files:
            arcname = f"{ATTACHMENTS}/{path.relative_to(uploads).as_posix()}"
            size = path.stat().st_size
            attachment_bytes += size
            entries.append({"path": arcname, "size": size, "sha256": _sha256_file(path)})
            members.append((path, arcname))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "signature": {"algorithm": SIGNATURE_ALGORITHM, "member": SIGNATURE},
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app_version": _app_version(),
            "alembic_revision": _alembic_revision(),
            "dialect": dialect,
            "database": db_file.name,
            "row_counts": rows,
            "files": entries,
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
            for name, payload in ((MANIFEST, data), (SIGNATURE, sign_manifest(data))):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(payload), int(datetime.now().timestamp()), 0o600
                tar.addfile(info, io.BytesIO(payload))
            for path, arcname in members:
                tar.add(path, arcname=arcname, recursive=False)
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, out)
    return BackupResult(out, dialect, files=len(files), attachment_bytes=attachment_bytes, rows=rows)
