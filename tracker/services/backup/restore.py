"""Restoring a backup: the signature and every checksum checked, the dialect matched and
the target found empty before anything is touched, then the row counts checked.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import inspect

from ...extensions import db
from .archive import (
    ATTACHMENTS,
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    BackupError,
    BackupResult,
    _libpq,
    _row_counts,
    _run,
    _sha256_file,
    verify_manifest_signature,
)


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in path.parts)
    )


def _read_and_verify(archive: Path, staging: Path) -> dict:
    """Unpack ``archive`` into ``staging`` and check it against its manifest. Raises BackupError."""
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"{archive} is not a readable backup archive ({exc})") from exc
    with tar:
        try:
            members = tar.getmembers()
        except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
            raise BackupError(f"{archive} is damaged: {exc}") from exc
        by_name: dict[str, tarfile.TarInfo] = {}
        for m in members:
            if m.isdir():
                continue
            if not m.isfile() or not _safe_member_name(m.name):
                raise BackupError(
                    f"refusing archive member {m.name!r}: only plain files with relative paths may be restored"
                )
            if m.name in by_name:
                raise BackupError(f"archive member {m.name!r} appears twice")
            by_name[m.name] = m
        if MANIFEST not in by_name:
            raise BackupError(f"{archive} has no {MANIFEST}: not a tracker backup")
        try:
            raw_manifest = tar.extractfile(by_name.pop(MANIFEST)).read()
            signature = tar.extractfile(by_name.pop(SIGNATURE)).read() if SIGNATURE in by_name else None
        except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
            raise BackupError(f"{MANIFEST} is unreadable: {exc}") from exc
        # Authenticity first: checksums in a forged manifest would match its forged files.
        verify_manifest_signature(raw_manifest, signature)
        try:
            manifest = json.loads(raw_manifest.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"{MANIFEST} is unreadable: {exc}") from exc
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError("the archive is not a tracker backup of a format this version can restore")
        listed = {e["path"]: e for e in manifest.get("files", [])}
        missing, extra = sorted(set(listed) - set(by_name)), sorted(set(by_name) - set(listed))
        if missing or extra:
            raise BackupError(
                f"archive contents differ from its manifest (missing: {missing[:5]}, unexpected: {extra[:5]})"
            )
        for name, member in by_name.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            h, size = hashlib.sha256(), 0
            try:
                src = tar.extractfile(member)
                with open(target, "wb") as dst:
                    for chunk in iter(functools.partial(src.read, CHUNK), b""):
                        h.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
            except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
                raise BackupError(f"archive member {name} cannot be read: {exc}") from exc
            if size != listed[name]["size"] or h.hexdigest() != listed[name]["sha256"]:
                raise BackupError(
                    f"checksum mismatch for {name}: the archive is corrupt or was altered; nothing was restored"
                )
    if manifest.get("database") not in listed:
        raise BackupError("the manifest names no database file")
    return manifest


def _check_target_empty(uploads: Path) -> None:
    tables = [t for t in inspect(db.engine).get_table_names() if not t.startswith("sqlite_")]
    if tables:
        raise BackupError(
            f"the target database is not empty ({len(tables)} tables, e.g. {tables[0]}); "
            "restore into a new, empty database"
        )
    if uploads.exists() and any(uploads.iterdir()):
        raise BackupError(f"the attachment folder {uploads} is not empty; restore into an empty folder")


def _restore_sqlite(db_file: Path) -> None:
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        result = source.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the database in the archive fails its integrity check: {result}")
        raw = db.engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        source.close()
    if db.engine.url.database not in (None, "", ":memory:"):
        # Pooled connections may have cached the old (empty) schema.
        db.engine.dispose()


def _restore_postgresql(db_file: Path) -> None:
    uri, env = _libpq(db.engine.url)
    db.engine.dispose()
    pg_restore = current_app.config.get("PG_RESTORE", "pg_restore")
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            uri,
            str(db_file),
        ],
        env,
    )


def restore_backup(archive: Path) -> BackupResult:
    """Restore ``archive`` into the configured (empty) database and attachment folder. Raises BackupError."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    dialect = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as tmp:
        staging = Path(tmp)
        manifest = _read_and_verify(archive, staging)
        if manifest.get("dialect") != dialect:
            raise BackupError(
                f"the archive holds a {manifest.get('dialect')} database but the target is "
                f"{dialect}; restore into a database of the same kind"
            )
        _check_target_empty(uploads)
        db.session.remove()
        db_file = staging / manifest["database"]
        if dialect == "sqlite":
            _restore_sqlite(db_file)
        elif dialect == "postgresql":
            _restore_postgresql(db_file)
        else:
            raise BackupError(f"restores into {dialect} databases are not supported")
        rows = _row_counts()
        expected = manifest.get("row_counts") or {}
        if rows != expected:
            diff = {
                k: (expected.get(k), rows.get(k)) for k in set(rows) | set(expected) if rows.get(k) != expected.get(k)
            }
            raise BackupError(f"row counts after the restore differ from the manifest: {diff}")
        files, total = 0, 0
        prefix = ATTACHMENTS + "/"
        for entry in manifest["files"]:
            if not entry["path"].startswith(prefix):
                continue
            target = uploads / entry["path"][len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(staging / entry["path"], partial)
            os.replace(partial, target)
            if _sha256_file(target) != entry["sha256"]:
                raise BackupError(f"{target} was not written correctly (checksum differs)")
            files += 1
            total += entry["size"]
    return BackupResult(archive, dialect, files=files, attachment_bytes=total, rows=rows)
