"""Backups: the database and the attachment files in one .tar.gz with a manifest.

SQLite is copied with the online backup API (consistent while the app runs, WAL
included); PostgreSQL with ``pg_dump --format=custom``. The database is copied
first and the files second: attachments are append-only and written before their
row is committed, so every attachment row in the copy has its file.

``restore`` checks every checksum, the dialect and that the target is empty before
it touches anything, and checks the row counts afterwards.

Checksums detect damage, not forgery: whoever edits the database in an archive can
recompute them. So the manifest is signed (``manifest.sig``: HMAC-SHA256 over the exact
manifest bytes) with BACKUP_SIGNING_KEY, or SECRET_KEY when that is not set, and
``restore`` refuses an archive without a signature or with one that does not match the
key it has, before reading anything else. The key stays out of the archive.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL

from ..extensions import db
from .uploads import STAGING_DIR

FORMAT = "policy-benchmark-tracker-backup"
# 2: signed manifest (manifest.sig). Version 1 archives are unsigned and refused.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
ATTACHMENTS = "attachments"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be made or an archive cannot be restored (message says why)."""


@dataclass
class BackupResult:
    path: Path
    dialect: str
    files: int = 0
    attachment_bytes: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        return (
            f"{self.path}: {self.dialect} database, {sum(self.rows.values())} rows in "
            f"{len(self.rows)} tables, {self.files} attachment files ({self.attachment_bytes} bytes)"
        )


def _signing_key() -> tuple[bytes, str]:
    """(key, setting it came from): BACKUP_SIGNING_KEY, else SECRET_KEY."""
    cfg = current_app.config
    if cfg.get("BACKUP_SIGNING_KEY"):
        return str(cfg["BACKUP_SIGNING_KEY"]).encode("utf-8"), "BACKUP_SIGNING_KEY"
    if not cfg.get("SECRET_KEY"):
        raise BackupError("no key to sign or check backups with: set BACKUP_SIGNING_KEY or SECRET_KEY")
    return str(cfg["SECRET_KEY"]).encode("utf-8"), "SECRET_KEY"


def sign_manifest(data: bytes) -> bytes:
    """The manifest.sig member for these exact manifest bytes."""
    key, source = _signing_key()
    signature = hmac.new(key, data, hashlib.sha256).hexdigest()
    return json.dumps({"algorithm": SIGNATURE_ALGORITHM, "key": source, "signature": signature}, indent=2).encode(
        "utf-8"
    )


def verify_manifest_signature(data: bytes, signature_member: bytes | None) -> None:
    """Raise BackupError unless ``signature_member`` signs ``data`` with this installation's key."""
    key, source = _signing_key()
    if signature_member is None:
        raise BackupError(
            f"the archive has no {SIGNATURE}: it is unsigned (made by an older version or "
            "altered), so it cannot be trusted; nothing was restored"
        )
    try:
        claimed = json.loads(signature_member.decode("utf-8"))
        algorithm, signature = claimed["algorithm"], str(claimed["signature"])
        signed_with = str(claimed.get("key", "?"))
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise BackupError(f"{SIGNATURE} is unreadable ({exc}); nothing was restored") from exc
    expected = hmac.new(key, data, hashlib.sha256).hexdigest()
    if algorithm != SIGNATURE_ALGORITHM or not hmac.compare_digest(expected, signature):
        raise BackupError(
            f"the manifest's signature does not match: the archive was altered (for example its database "
            f"edited and the checksums recomputed) or signed with another key (it says {signed_with}; this "
            f"restore checks with {source}); nothing was restored"
        )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _row_counts() -> dict[str, int]:
    names = sorted(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _alembic_revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _app_version() -> str:
    import tracker

    return str(getattr(tracker, "__version__", "unknown"))


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (kept out of the process list) and its environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"{cmd[0]} is not installed (the PostgreSQL client tools are needed)") from exc
    if proc.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[:2000]}")


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


# --- restore ---------------------------------------------------------------------------------


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
