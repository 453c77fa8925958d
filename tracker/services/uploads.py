"""Evidence files: checked by content, stored under generated names outside the static folder.

A file reaches the disk only after every check of its update passed, and is removed
again if the database transaction that records it does not commit (the session
hooks at the bottom), so a failed submission leaves neither a row nor a file.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING_KEY = "uploads.pending_files"
CONSUMED_KEY = "uploads.consumed_staging"
STAGING_DIR = "staging"
DEFAULT_MAX_ZIP_ENTRIES = 2000


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extensions: tuple[str, ...]


TYPES = {
    t.kind: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",)),
        FileType("png", "image/png", (".png",)),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileType("gif", "image/gif", (".gif",)),
        FileType("odt", "application/vnd.oasis.opendocument.text", (".odt",)),
        FileType("ods", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
        FileType("odp", "application/vnd.oasis.opendocument.presentation", (".odp",)),
        FileType("odg", "application/vnd.oasis.opendocument.graphics", (".odg",)),
        FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
        FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
        FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)),
        # Legacy (OLE2 compound file) Office formats, still common in Taiwan's government.
        FileType("doc", "application/msword", (".doc",)),
        FileType("xls", "application/vnd.ms-excel", (".xls",)),
        FileType("ppt", "application/vnd.ms-powerpoint", (".ppt",)),
        FileType("csv", "text/csv; charset=utf-8", (".csv",)),
        FileType("txt", "text/plain; charset=utf-8", (".txt",)),
    )
}
ODF_MIMETYPES = {TYPES[k].content_type: k for k in ("odt", "ods", "odp", "odg")}
OOXML_MARKERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream that makes a compound file a Word, Excel or PowerPoint 97–2003 document.
OLE_MARKERS = (("worddocument", "doc"), ("workbook", "xls"), ("book", "xls"), ("powerpoint document", "ppt"))
# Storages and streams Office writes for VBA projects (Word: Macros/VBA, Excel:
# _VBA_PROJECT_CUR/VBA, PowerPoint: a VBA storage in an embedded object).
_OLE_MACRO_NAMES = ("macros", "_vba_project_cur", "vba", "_vba_project")
ALLOWED_EXTENSIONS = sorted({e for t in TYPES.values() for e in t.extensions})


@dataclass
class IncomingFile:
    """A file as received from a form or staging, before any check."""

    filename: str
    data: bytes


@dataclass
class CheckedFile:
    original_name: str
    data: bytes
    file_type: FileType
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


class UploadRefused(ValueError):
    """A file failed a check; the message is shown to the user."""


def clean_filename(name: str) -> str:
    """The base name as the user sees it: no directories, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > 200:
        stem, ext = os.path.splitext(base)
        base = stem[: 200 - len(ext)] + ext
    return base or "file"


def _cfg(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def detect_type(data: bytes) -> FileType | None:
    """The allowed type the bytes really are (magic numbers, zip contents, UTF-8 text), or None."""
    if data.startswith(b"%PDF-"):
        return TYPES["pdf"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return TYPES["gif"]
    if data.startswith(b"PK\x03\x04"):
        return _detect_zip(data)
    if data.startswith(OLE_MAGIC):
        return _detect_ole(data)
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TYPES["txt"]


def _detect_zip(data: bytes) -> FileType | None:
    """ODF (mimetype entry) or OOXML ([Content_Types].xml); the bomb check comes separately."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                info = zf.getinfo("mimetype")
                if info.file_size <= 200:
                    mt = zf.read("mimetype").decode("ascii", "replace").strip()
                    return TYPES.get(ODF_MIMETYPES.get(mt, ""))
            if "[Content_Types].xml" in names:
                for marker, kind in OOXML_MARKERS:
                    if marker in names:
                        return TYPES[kind]
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return None
    return None


def _ole_paths(data: bytes) -> list[list[str]] | None:
    """Every storage and stream path of a compound file, or None when it cannot be read."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return ole.listdir(streams=True, storages=True)
    except Exception:  # noqa: BLE001 - olefile raises many kinds on damaged input
        return None


def _detect_ole(data: bytes) -> FileType | None:
    """A Word/Excel/PowerPoint 97–2003 document by its main stream (an encrypted OOXML
    file is also a compound file, with an EncryptedPackage stream: not accepted)."""
    paths = _ole_paths(data)
    if not paths:
        return None
    top = {p[0].lower() for p in paths if len(p) == 1}
    for marker, kind in OLE_MARKERS:
        if marker in top:
            return TYPES[kind]
    return None


def _check_ole(data: bytes, name: str) -> None:
    """Refuse a legacy Office file that is encrypted (its content cannot be checked) or
    carries macros (VBA projects or Excel 4 macro sheets), like the ZIP formats."""
    from oletools import crypto
    from oletools.olevba import VBA_Parser

    macros = _(
        "%(name)s: the document contains macros; save it without macros (or as PDF) and upload it again.", name=name
    )
    paths = _ole_paths(data)
    if paths is None:
        raise UploadRefused(_("%(name)s: the file is damaged or encrypted.", name=name))
    if any(part.lower() in _OLE_MACRO_NAMES for path in paths for part in path):
        raise UploadRefused(macros)
    try:
        encrypted = crypto.is_encrypted(data)
    except Exception:  # noqa: BLE001
        encrypted = True
    if encrypted:
        raise UploadRefused(_("%(name)s: the file is damaged or encrypted.", name=name))
    parser = None
    try:
        parser = VBA_Parser(name, data=data)
        found = parser.detect_vba_macros() or bool(getattr(parser, "detect_xlm_macros", lambda: False)())
    except Exception:  # noqa: BLE001 - a file oletools cannot read is not let through
        raise UploadRefused(_("%(name)s: the file is damaged or encrypted.", name=name)) from None
    finally:
        if parser is not None:
            parser.close()
    if found:
        raise UploadRefused(macros)


def _check_zip_bomb(data: bytes, name: str) -> None:
    """Refuse archives with too many entries or too much decompressed data.

    Sizes are counted while actually decompressing, because the sizes declared in a
    zip header can lie.
    """
    max_entries = _cfg("MAX_ZIP_ENTRIES", DEFAULT_MAX_ZIP_ENTRIES)
    budget = _cfg("MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise UploadRefused(_("%(name)s: the archive has too many entries.", name=name))
            if sum(i.file_size for i in infos) > budget:
                raise UploadRefused(_("%(name)s: the file expands to too much data.", name=name))
            total = 0
            for info in infos:
                with zf.open(info) as fh:
                    while chunk := fh.read(64 * 1024):
                        total += len(chunk)
                        if total > budget:
                            raise UploadRefused(_("%(name)s: the file expands to too much data.", name=name))
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError):
        raise UploadRefused(_("%(name)s: the file is damaged or encrypted.", name=name)) from None


# Entries that carry executable macros: VBA in OOXML (a .docx/.xlsx with these is really a
# .docm/.xlsm renamed), Basic and script libraries in ODF. Evidence never needs them.
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex/")
_MACRO_DIRS = ("basic/", "scripts/")
# Library indexes LibreOffice may leave behind without any macro in them.
_EMPTY_LIBRARY_FILES = ("script-lc.xml", "script-lb.xml", "dialog-lc.xml", "dialog-lb.xml")


def _check_macros(data: bytes, name: str) -> None:
    """Refuse Office/ODF files with embedded macros (the zip was already checked as sound)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for entry in zf.namelist():
            low = entry.lower()
            in_macro_dir = (
                low.startswith(_MACRO_DIRS) and not low.endswith("/") and not low.endswith(_EMPTY_LIBRARY_FILES)
            )
            if in_macro_dir or any(part in low for part in _MACRO_PARTS):
                raise UploadRefused(
                    _(
                        "%(name)s: the document contains macros; save it without macros "
                        "(or as PDF) and upload it again.",
                        name=name,
                    )
                )


def check_file(incoming: IncomingFile) -> CheckedFile:
    """Size, type by content, extension matching the content, zip bomb. Raises UploadRefused."""
    name = clean_filename(incoming.filename)
    data = incoming.data
    limit = _cfg("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    if len(data) > limit:
        raise UploadRefused(_("%(name)s: the file is larger than %(mb)s MB.", name=name, mb=_megabytes(limit)))
    if not data:
        raise UploadRefused(_("%(name)s: the file is empty.", name=name))
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRefused(
            _(
                "%(name)s: this type of file is not accepted. Accepted: %(types)s.",
                name=name,
                types=", ".join(ALLOWED_EXTENSIONS),
            )
        )
    detected = detect_type(data)
    if detected is not None and detected.kind == "txt" and ext == ".csv":
        detected = TYPES["csv"]
    if detected is None or ext not in detected.extensions:
        raise UploadRefused(_("%(name)s: the content does not match the file name's type %(ext)s.", name=name, ext=ext))
    if data.startswith(b"PK\x03\x04"):
        _check_zip_bomb(data, name)
        _check_macros(data, name)
    if data.startswith(OLE_MAGIC):
        _check_ole(data, name)
    return CheckedFile(name, data, detected, hashlib.sha256(data).hexdigest())


# --- storage -------------------------------------------------------------------------------


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def stored_path(stored_name: str) -> Path:
    """Path of a stored file; the name is ours (hex), never user input."""
    if not stored_name or not all(c in "0123456789abcdef" for c in stored_name):
        raise ValueError("bad stored name")
    return upload_root() / stored_name


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def store(checked: CheckedFile, session: Session) -> str:
    """Write a checked file under a new generated name; returns that name.

    The file is deleted again if ``session``'s transaction rolls back.
    """
    name = uuid.uuid4().hex
    path = stored_path(name)
    _write_new(path, checked.data)
    session.info.setdefault(PENDING_KEY, []).append(str(path))
    return name


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


# --- transaction hooks --------------------------------------------------------------------------


def _unlink_all(paths: list[Any]) -> None:
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass


@event.listens_for(Session, "after_commit")
def _files_committed(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    _unlink_all(session.info.pop(CONSUMED_KEY, []))


@event.listens_for(Session, "after_transaction_end")
def _files_not_committed(session: Session, transaction: Any) -> None:
    # Runs after after_commit, and also on rollback and on close without commit. Only the
    # outermost transaction decides whether the rows (and so the files) exist.
    if transaction.parent is None:
        _unlink_all(session.info.pop(PENDING_KEY, []))
        session.info.pop(CONSUMED_KEY, None)
