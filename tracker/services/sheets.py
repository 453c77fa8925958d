"""Reading an uploaded spreadsheet (CSV, XLSX, ODS) into a header and rows of cells, for
the report import (services/importer/) and the bulk status update (services/bulk.py).

The file is identified by its content, not its name: a file whose name says one format
and whose bytes are another is refused, and so are old binary Excel files (also what a
password-protected XLSX is), oversized files and archives that would unpack to more than
``MAX_UNPACKED`` bytes. CSV is read as UTF-8 (with or without a byte-order mark) or
UTF-16 with a byte-order mark; a file that is not UTF-8 but reads as Big5 / CP950 (still
common in government spreadsheets) is converted and the caller is told so. Every refusal
is a ``SheetRefused`` whose message names the problem.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 50 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_CELL = 20000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
EXTENSIONS = ("csv", "xlsx", "ods")


class SheetRefused(ValueError):
    """The file cannot be read as a spreadsheet; the message says why."""

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Sheet:
    fmt: str  # csv | xlsx | ods
    header: list[str]
    rows: list[list[Any]]  # cells after the header; row n of ``rows`` is spreadsheet row n + 2
    notes: list[str] = field(default_factory=list)  # e.g. "converted from Big5"


# A cell starting with one of these is a formula to a spreadsheet program (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell made inert: prefixed with an apostrophe if a spreadsheet would evaluate it."""
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


# Characters no sheet name may hold in Excel ([ ] : * ? / \) and the apostrophe, which
# LibreOffice's references quote with and Excel refuses at either end.
SHEET_NAME_BAD = frozenset("[]:*?/\\'")
SHEET_NAME_MAX = 31


def unique_sheet_name(name: str, used: set[str]) -> str:
    """A sheet name every spreadsheet program accepts (the one rule of the XLSX and ODS
    writers): forbidden characters become spaces, at most 31 characters, and unique within the
    workbook ignoring case (``~2``, ``~3`` … appended). ``used`` collects the names given."""
    base = "".join(" " if ch in SHEET_NAME_BAD else ch for ch in name)[:SHEET_NAME_MAX] or "Sheet"
    out, n = base, 2
    while out.lower() in used:
        out = f"{base[:28]}~{n}"
        n += 1
    used.add(out.lower())
    return out


def max_bytes() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_BYTES") or MAX_BYTES)
    return MAX_BYTES


def sniff(data: bytes) -> str:
    """What the bytes are: xlsx, ods, zip (another archive), ole2 (old Excel or an encrypted
    workbook), binary, or text."""
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    return "xlsx"
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
            return "binary"
        return "zip"
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "binary"
    return "text"


KIND_NAMES = {
    "xlsx": "XLSX",
    "ods": "ODS",
    "zip": "ZIP",
    "ole2": "Excel 97–2003 (XLS)",
    "binary": "binary",
    "text": "CSV",
}


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The first sheet of the file as a header row and data rows. Raises SheetRefused."""
    name = (filename or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        raise SheetRefused(
            _(
                "“%(name)s” is not a CSV, XLSX or ODS file: give a file ending in .csv, .xlsx or .ods.",
                name=name[:100] or "?",
            ),
            "unsupported_type",
        )
    limit = max_bytes()
    if len(data) > limit:
        raise SheetRefused(
            _(
                "The file is %(size)s MB; at most %(limit)s MB can be imported.",
                size=f"{len(data) / 1048576:.1f}",
                limit=f"{limit / 1048576:.0f}",
            ),
            "too_large",
        )
    if not data:
        raise SheetRefused(_("The file is empty."), "empty")
    kind = sniff(data)
    if kind == "ole2":
        raise SheetRefused(
            _(
                "“%(name)s” is an old binary Excel file (XLS) or a password-protected workbook: "
                "remove the password and save it as XLSX, ODS or CSV.",
                name=name[:100],
            ),
            "ole2",
        )
    expected = "text" if ext == "csv" else ext
    if kind != expected:
        raise SheetRefused(
            _(
                "“%(name)s” is named .%(ext)s but its content is %(kind)s: the name must say what the file is.",
                name=name[:100],
                ext=ext,
                kind=KIND_NAMES.get(kind, kind),
            ),
            "mismatched_type",
        )
    if ext == "csv":
        sheet = _read_csv(data)
    else:
        _check_unpacked(data)
        sheet = _read_xlsx(data) if ext == "xlsx" else _read_ods(data)
    return sheet


def _check_unpacked(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise SheetRefused(_("The file is damaged: it cannot be opened as a spreadsheet."), "damaged") from None
    if total > MAX_UNPACKED:
        raise SheetRefused(
            _(
                "The spreadsheet unpacks to more than %(limit)s MB; split it into smaller files.",
                limit=MAX_UNPACKED // 1048576,
            ),
            "too_large",
        )


def decode_csv(data: bytes) -> tuple[str, list[str]]:
    """The text of a CSV file and notes on its encoding. Raises SheetRefused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise SheetRefused(_("The file says it is UTF-16 but is not valid UTF-16."), "encoding") from None
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError:
        raise SheetRefused(
            _("The CSV file is neither UTF-8 nor Big5 (CP950): save it as “CSV UTF-8”."), "encoding"
        ) from None
    return text, [_("The CSV file was in Big5 (CP950) and has been converted to UTF-8.")]


def _read_csv(data: bytes) -> Sheet:
    text, notes = decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise SheetRefused(_("The CSV file cannot be read: %(reason)s.", reason=str(exc)[:200]), "damaged") from None
    return _sheet("csv", rows, notes)


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on damaged input
        raise SheetRefused(_("The file is damaged: it cannot be opened as a spreadsheet."), "damaged") from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        wb.close()
    return _sheet("xlsx", rows, [])


def _read_ods(data: bytes) -> Sheet:
    from odfdo import Document

    try:
        doc = Document(io.BytesIO(data))
        tables = doc.body.get_tables()
    except Exception:  # noqa: BLE001 - odfdo raises many kinds on damaged input
        raise SheetRefused(_("The file is damaged: it cannot be opened as a spreadsheet."), "damaged") from None
    if not tables:
        raise SheetRefused(_("The spreadsheet has no sheet."), "empty")
    table = tables[0]
    rows = []
    for row in table.traverse():
        rows.append(list(row.get_values()))
        if len(rows) > MAX_ROWS + 1:
            break
    return _sheet("ods", rows, [])


def _sheet(fmt: str, rows: list[list[Any]], notes: list[str]) -> Sheet:
    # Trailing empty rows and columns are formatting, not data.
    rows = [r[: MAX_COLUMNS + 1] for r in rows]
    while rows and all(is_blank(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetRefused(_("The file is empty."), "empty")
    if len(rows) - 1 > MAX_ROWS:
        raise SheetRefused(
            _("The file has more than %(n)d rows; split it into smaller files.", n=MAX_ROWS), "too_many_rows"
        )
    header = [cell_text(c) for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise SheetRefused(_("The file has more than %(n)d columns.", n=MAX_COLUMNS), "too_many_columns")
    body = [(r + [None] * len(header))[: max(len(header), len(r))] for r in rows[1:]]
    return Sheet(fmt, header, body, notes)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO, a leading apostrophe
    (how exports keep a formula-looking text inert) removed, surrounding spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    return text


def cell_problem(text: str, multiline: bool = False) -> str | None:
    """Why a text cell cannot be stored (control characters, direction controls, too long)."""
    from ..inputs import bidi_message, has_bidi_control

    if len(text) > MAX_CELL:
        return _("The cell holds more than %(n)d characters.", n=MAX_CELL)
    if has_bidi_control(text):
        return bidi_message()
    for ch in text:
        if ch in "\n\r\t" and multiline:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn") and ch not in " ":
            return _(
                "The cell holds a control or unassigned character (U+%(code)04X), which cannot be stored.", code=ord(ch)
            )
    return None


def cell_date(value: Any) -> Any:
    """A date cell: spreadsheets may hand over a datetime at midnight; text is kept."""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value
