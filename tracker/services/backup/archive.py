"""What a backup archive is: its format and member names, the signed manifest (HMAC-SHA256
with BACKUP_SIGNING_KEY or SECRET_KEY), checksums, row counts and the versions it records,
and the errors and results of making or restoring one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL

from ...extensions import db

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
