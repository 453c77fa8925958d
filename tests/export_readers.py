"""Read an exported summary back with a real reader: the whole text of any format, and the
"Action items" table of the spreadsheets and the CSV as dicts keyed by header."""

from __future__ import annotations

import csv
import io
import subprocess
import tempfile
from pathlib import Path


def text_of(fmt: str, data: bytes) -> str:
    if fmt == "odt":
        from odfdo import Document

        doc = Document(io.BytesIO(data))
        return doc.get_formatted_text() + "\n" + doc.styles.serialize().decode()
    if fmt == "docx":
        import docx

        d = docx.Document(io.BytesIO(data))
        parts = [p.text for p in d.paragraphs]
        for table in d.tables:
            for row in table.rows:
                parts += [c.text for c in row.cells]
        for section in d.sections:
            parts += [p.text for p in section.footer.paragraphs] + [p.text for p in section.header.paragraphs]
        return "\n".join(parts)
    if fmt == "pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if fmt in ("xlsx", "ods", "csv"):
        return "\n".join(
            " | ".join("" if c is None else str(c) for c in row)
            for sheet in sheets_of(fmt, data).values()
            for row in sheet
        )
    raise ValueError(fmt)


def pdftotext(data: bytes, binary: str = "pdftotext") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.pdf"
        path.write_bytes(data)
        return subprocess.run([binary, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def sheets_of(fmt: str, data: bytes) -> dict[str, list[list]]:
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data))
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    if fmt == "ods":
        from odfdo import Document

        doc = Document(io.BytesIO(data))
        return {t.name: t.get_values() for t in doc.body.get_tables()}
    if fmt == "csv":
        return {"csv": list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))}
    raise ValueError(fmt)


def items_of(fmt: str, data: bytes) -> list[dict]:
    """The action-item rows (CSV, or the third sheet of a spreadsheet) keyed by header."""
    sheets = list(sheets_of(fmt, data).values())
    rows = sheets[0] if fmt == "csv" else sheets[2]
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]
