"""Staging: a refused submission's good files kept for the re-shown form, bounded per
user, in total and in time (``sweep_staging``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from .checks import CheckedFile, IncomingFile, UploadRefused
from .storage import CONSUMED_KEY, _unlink_all, _write_new, upload_root

STAGING_DIR = "staging"


# --- staging (keeps chosen files across a re-shown form) ---------------------------------------
#
# A refused submission keeps its good files in <UPLOAD_FOLDER>/staging/<user id>/ so the
# re-shown form does not lose them. Bounded three ways: per user (STAGING_MAX_BYTES_PER_USER,
# STAGING_MAX_FILES_PER_USER: the user's oldest parked files make room, they belong to an
# earlier try of the same person), in total (STAGING_MAX_BYTES_TOTAL: beyond it nothing
# more is parked, and the form asks for the file again), and in time (STAGING_MAX_AGE_HOURS:
# ``sweep_staging`` deletes older files; run by ``flask sweep-uploads`` from cron or a
# systemd timer, and opportunistically while staging). Backups leave staging out.
# Parallel requests may overshoot a bound by the files they write at the same moment.


class StagingFull(UploadRefused):
    """The shared staging space is full: the file was not kept."""


@dataclass
class SweepResult:
    files: int = 0
    bytes: int = 0


_last_sweep = 0.0
SWEEP_INTERVAL = 60.0


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="upload-staging")


def staging_max_age() -> int:
    """Seconds a parked file (and its ticket) lives."""
    hours = current_app.config.get("STAGING_MAX_AGE_HOURS")
    return int(float(24 if hours is None else hours) * 3600)


def _staging_dir() -> Path:
    path = upload_root() / STAGING_DIR
    path.mkdir(exist_ok=True)
    return path


def _user_staging_dir(user_id: int) -> Path:
    path = _staging_dir() / str(int(user_id))
    path.mkdir(exist_ok=True)
    return path


def _files_by_age(folder: Path) -> list[tuple[float, int, Path]]:
    """(mtime, size, path) of the plain files under ``folder``, oldest first."""
    found = []
    for p in folder.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                st = p.stat()
                found.append((st.st_mtime, st.st_size, p))
        except OSError:
            continue
    return sorted(found)


def staging_usage(user_id: int | None = None) -> tuple[int, int]:
    """(files, bytes) parked in staging, for one user or in total."""
    folder = _staging_dir() if user_id is None else _user_staging_dir(user_id)
    files = _files_by_age(folder)
    return len(files), sum(size for _t, size, _p in files)


def stage(checked: CheckedFile, user_id: int) -> str:
    """Park a checked file while its form is shown again; returns a signed ticket for a hidden field.

    Raises StagingFull when the shared staging space has no room for it."""
    cfg = current_app.config
    per_user_bytes = int(cfg.get("STAGING_MAX_BYTES_PER_USER") or 50 * 1024 * 1024)
    per_user_files = int(cfg.get("STAGING_MAX_FILES_PER_USER") or 20)
    total_bytes = int(cfg.get("STAGING_MAX_BYTES_TOTAL") or 500 * 1024 * 1024)
    sweep_staging(throttled=True)
    if checked.size > per_user_bytes:
        raise StagingFull(
            _("%(name)s could not be kept while the form is shown again; choose it again.", name=checked.original_name)
        )
    folder = _user_staging_dir(user_id)
    mine = _files_by_age(folder)
    used = sum(size for _t, size, _p in mine)
    # The user's own oldest parked files make room: they belong to an earlier try.
    while mine and (used + checked.size > per_user_bytes or len(mine) + 1 > per_user_files):
        _mtime, size, oldest = mine.pop(0)
        _unlink_all([oldest])
        used -= size
    _files, total = staging_usage()
    if total + checked.size > total_bytes:
        raise StagingFull(
            _("%(name)s could not be kept while the form is shown again; choose it again.", name=checked.original_name)
        )
    sid = uuid.uuid4().hex
    try:
        _write_new(folder / sid, checked.data)
    except FileNotFoundError:  # a sweep removed the (empty) folder meanwhile
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(folder / sid, checked.data)
    return _serializer().dumps({"id": sid, "u": user_id, "n": checked.original_name})


def unstage(ticket: str, user_id: int, session: Session | None = None) -> IncomingFile | None:
    """The parked file for a ticket issued to this user (None if expired or forged).

    With ``session``, the parked copy is deleted once that session commits.
    """
    try:
        data = _serializer().loads(ticket, max_age=staging_max_age())
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id or not isinstance(user_id, int):
        return None
    sid = str(data.get("id", ""))
    if not sid or not all(c in "0123456789abcdef" for c in sid):
        return None
    path = _user_staging_dir(user_id) / sid
    if not path.is_file():
        return None
    if session is not None:
        session.info.setdefault(CONSUMED_KEY, []).append(str(path))
    return IncomingFile(str(data.get("n", "file")), path.read_bytes())


def staged_name(ticket: str) -> str:
    """The original name inside a ticket (for display; not trusted for anything else)."""
    try:
        return str(_serializer().loads(ticket, max_age=staging_max_age()).get("n", ""))
    except (BadSignature, AttributeError):
        return ""


def sweep_staging(*, throttled: bool = False, now: float | None = None) -> SweepResult:
    """Delete parked files older than STAGING_MAX_AGE_HOURS (and emptied user folders).

    ``throttled``: at most once a minute per process (the opportunistic call while staging).
    """
    global _last_sweep
    now = time.time() if now is None else now
    result = SweepResult()
    if throttled and now - _last_sweep < SWEEP_INTERVAL:
        return result
    _last_sweep = now
    root = _staging_dir()
    cutoff = now - staging_max_age()
    for mtime, size, path in _files_by_age(root):
        if mtime >= cutoff:
            break
        try:
            path.unlink()
        except OSError:
            continue
        result.files += 1
        result.bytes += size
    for folder in root.iterdir():
        try:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:
            pass
    return result
