"""Checking an evidence file by its content: the accepted types (by magic bytes, not by the
name), ZIP and OLE containers looked into, zip bombs and macros refused, and the cleaned
name it is shown under. ``check_file`` answers a ``CheckedFile`` or raises ``UploadRefused``.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

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
    # zipfile raises NotImplementedError for a compression method it cannot read and
    # RuntimeError for an encrypted member: both mean "not a document we recognise".
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
    # Unsupported compression (NotImplementedError), encryption (RuntimeError) and damage are
    # all refused with the same message: the file cannot be checked, so it is not kept.
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
