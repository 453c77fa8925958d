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
STAGING_MAX_AGE = 24 * 3600
DEFAULT_MAX_ZIP_ENTRIES = 2000


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extensions: tuple[str, ...]


TYPES = {t.kind: t for t in (
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
    FileType("csv", "text/csv; charset=utf-8", (".csv",)),
    FileType("txt", "text/plain; charset=utf-8", (".txt",)),
)}
ODF_MIMETYPES = {TYPES[k].content_type: k for k in ("odt", "ods", "odp", "odg")}
OOXML_MARKERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
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
            in_macro_dir = (low.startswith(_MACRO_DIRS) and not low.endswith("/")
                            and not low.endswith(_EMPTY_LIBRARY_FILES))
            if in_macro_dir or any(part in low for part in _MACRO_PARTS):
                raise UploadRefused(_("%(name)s: the document contains macros; save it without macros "
                                      "(or as PDF) and upload it again.", name=name))


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
        raise UploadRefused(_("%(name)s: this type of file is not accepted. Accepted: %(types)s.",
                              name=name, types=", ".join(ALLOWED_EXTENSIONS)))
    detected = detect_type(data)
    if detected is not None and detected.kind == "txt" and ext == ".csv":
        detected = TYPES["csv"]
    if detected is None or ext not in detected.extensions:
        raise UploadRefused(_("%(name)s: the content does not match the file name's type %(ext)s.",
                              name=name, ext=ext))
    if data.startswith(b"PK\x03\x04"):
        _check_zip_bomb(data, name)
        _check_macros(data, name)
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
            view = view[os.write(fd, view):]
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

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="upload-staging")


def _staging_dir() -> Path:
    path = upload_root() / STAGING_DIR
    path.mkdir(exist_ok=True)
    return path


def stage(checked: CheckedFile, user_id: int) -> str:
    """Park a checked file while its form is shown again; returns a signed ticket for a hidden field."""
    _sweep_staging()
    sid = uuid.uuid4().hex
    _write_new(_staging_dir() / sid, checked.data)
    return _serializer().dumps({"id": sid, "u": user_id, "n": checked.original_name})


def unstage(ticket: str, user_id: int, session: Session | None = None) -> IncomingFile | None:
    """The parked file for a ticket issued to this user (None if expired or forged).

    With ``session``, the parked copy is deleted once that session commits.
    """
    try:
        data = _serializer().loads(ticket, max_age=STAGING_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    sid = str(data.get("id", ""))
    if not sid or not all(c in "0123456789abcdef" for c in sid):
        return None
    path = _staging_dir() / sid
    if not path.is_file():
        return None
    if session is not None:
        session.info.setdefault(CONSUMED_KEY, []).append(str(path))
    return IncomingFile(str(data.get("n", "file")), path.read_bytes())


def staged_name(ticket: str) -> str:
    """The original name inside a ticket (for display; not trusted for anything else)."""
    try:
        return str(_serializer().loads(ticket, max_age=STAGING_MAX_AGE).get("n", ""))
    except (BadSignature, AttributeError):
        return ""


def _sweep_staging() -> None:
    cutoff = time.time() - STAGING_MAX_AGE
    for p in _staging_dir().iterdir():
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass


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
