"""The text of an uploaded trip report (DOCX, ODT, PDF or plain text), as paragraphs.

The file is first checked like every upload (``uploads.check_file``: size limit
MAX_UPLOAD_BYTES, type by content matching the name's extension, zip bombs, macros);
then read. A password-protected PDF, a scanned PDF with no text layer, or a file its
reader cannot open is refused with ``DocumentRefused`` and a message that says which.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from flask_babel import gettext as _

from .uploads import IncomingFile, UploadRefused, check_file, clean_filename

KINDS = ("docx", "odt", "pdf", "txt")
EXTENSIONS = (".docx", ".odt", ".pdf", ".txt")
# Fewer letters than this in a whole PDF means it is a scan (pictures of pages).
MIN_PDF_TEXT = 20


class DocumentRefused(ValueError):
    """The document cannot be read; the message says why (shown to the user)."""


def read_document(filename: str, data: bytes) -> tuple[str, list[str]]:
    """(kind, paragraphs) of an uploaded report. Raises DocumentRefused."""
    if not filename.lower().endswith(EXTENSIONS):
        raise DocumentRefused(
            _(
                "%(name)s: a report can be read from DOCX, ODT, PDF or plain text (.txt) only.",
                name=clean_filename(filename),
            )
        )
    try:
        checked = check_file(IncomingFile(filename, data))
    except UploadRefused as exc:
        raise DocumentRefused(str(exc)) from None
    name = checked.original_name
    kind = checked.file_type.kind
    if kind not in KINDS:
        raise DocumentRefused(
            _("%(name)s: a report can be read from DOCX, ODT, PDF or plain text (.txt) only.", name=name)
        )
    reader = {"docx": _docx, "odt": _odt, "pdf": _pdf, "txt": _txt}[kind]
    try:
        paragraphs = reader(checked.data, name)
    except DocumentRefused:
        raise
    except Exception:  # noqa: BLE001 - any parser failure is a damaged file for the user
        raise DocumentRefused(_("%(name)s: the file is damaged and cannot be read.", name=name)) from None
    if not any(p.strip() for p in paragraphs):
        raise DocumentRefused(_("%(name)s: the document contains no text.", name=name))
    return kind, paragraphs


def _txt(data: bytes, name: str) -> list[str]:
    text = data.decode("utf-8-sig")
    # Markdown bold markers (**…**) that text conversions of Word files leave behind.
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _docx(data: bytes, name: str) -> list[str]:
    """Body paragraphs and table cells in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    out: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = []
                for cell in row.cells:
                    if cell.text.strip() and (not cells or cells[-1] != cell.text.strip()):
                        cells.append(cell.text.strip())
                out.append("\t".join(cells))
    return out


def _odt(data: bytes, name: str) -> list[str]:
    from odfdo import Document

    document = Document(io.BytesIO(data))
    body = document.body
    out: list[str] = []
    for element in body.get_elements("descendant::text:h|descendant::text:p"):
        out.append(str(element.text_recursive or ""))
    return out


def _pdf(data: bytes, name: str) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
    except PdfReadError:
        raise DocumentRefused(_("%(name)s: the file is damaged and cannot be read.", name=name)) from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # an owner password only still opens
        except Exception:  # noqa: BLE001
            opened = 0
        if not opened:
            raise DocumentRefused(
                _("%(name)s: the PDF is password-protected; upload a copy without a password.", name=name)
            )
    lines = _pdftotext(data)
    if lines is not None:
        return _checked_pdf_lines(lines, name)
    lines = []
    try:
        for page in reader.pages:
            # Some producers' ToUnicode maps make pypdf emit a NUL before every character.
            lines.extend((page.extract_text() or "").replace("\x00", "").split("\n"))
            lines.append("")
    except FileNotDecryptedError:
        raise DocumentRefused(
            _("%(name)s: the PDF is password-protected; upload a copy without a password.", name=name)
        ) from None
    return _checked_pdf_lines(lines, name)


def _pdftotext(data: bytes) -> list[str] | None:
    """Poppler's pdftotext when installed: it maps CJK glyphs back to text more reliably than
    pypdf (which is the fallback). None when unavailable or failing."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "-enc", "UTF-8", "-q", "-", "-"], input=data, capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").replace("\f", "\n\n").split("\n")


def _checked_pdf_lines(lines: list[str], name: str) -> list[str]:
    letters = sum(1 for ch in "".join(lines) if ch.isalnum())
    if letters < MIN_PDF_TEXT:
        raise DocumentRefused(
            _(
                "%(name)s: the PDF has no text layer (a scan?); upload the DOCX, ODT or a PDF "
                "saved from the word processor.",
                name=name,
            )
        )
    return _pdf_paragraphs(lines)


def _pdf_paragraphs(lines: list[str]) -> list[str]:
    """PDF text comes as visual lines: join the lines of a wrapped paragraph. A line wrapped
    when it is about as long as the longest lines and does not end a sentence; the next line
    then continues it unless it starts with a numbering or a "label：" field."""
    from .splitter import LABEL, SENTENCE_END, heading_of

    lengths = sorted(len(x.strip()) for x in lines if x.strip())
    full = lengths[int(len(lengths) * 0.9)] if lengths else 0
    out: list[str] = []
    joining = False
    for raw in lines:
        line = raw.strip()
        if not line:
            joining = False
            out.append("")
            continue
        if (
            joining
            and out
            and heading_of(line) is None
            and not LABEL.match(line)
            and out[-1][-1].isascii() == line[0].isascii()
        ):
            out[-1] += line if not line[0].isascii() else " " + line
        else:
            out.append(line)
        joining = len(line) >= max(0.75 * full, 12) and line[-1] not in SENTENCE_END and heading_of(line) is None
    return out
