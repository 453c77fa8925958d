"""A small world for the department-update tests: departments, one user per role,
an item with a linked indicator, and a few evidence files."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date

from tracker.extensions import db
from tracker.models import ActionItem, Department, Indicator, User


@dataclass
class World:
    lead: Department
    support: Department
    other: Department
    lead_editor: User
    support_editor: User
    other_editor: User
    reviewer: User
    viewer: User
    admin: User
    item: ActionItem
    indicator: Indicator
    other_indicator: Indicator


def build_world(factory) -> World:  # noqa: ANN001
    lead = factory.department("WRB", name_zh="水利局", name_en="Water Resources Bureau")
    support = factory.department("AGR", name_zh="農業局", name_en="Agriculture Bureau")
    other = factory.department("EDU", name_zh="教育局", name_en="Education Bureau")
    report = factory.report(report_date=date(2016, 12, 23))
    rec = factory.recommendation(report, code="R1")
    indicator = factory.indicator(rec, code="water-reuse", unit="%")
    other_indicator = factory.indicator(rec, code="unlinked")
    item = factory.item(
        rec, lead=lead, supporting=[support], code="R1-A1", start_date=date(2017, 1, 1), due_date=date(2018, 12, 31)
    )
    item.indicators.append(indicator)
    world = World(
        lead=lead,
        support=support,
        other=other,
        lead_editor=factory.user("editor", lead, email="lead@example.org"),
        support_editor=factory.user("editor", support, email="support@example.org"),
        other_editor=factory.user("editor", other, email="other@example.org"),
        reviewer=factory.user("reviewer", email="reviewer@example.org"),
        viewer=factory.user("viewer", email="viewer@example.org"),
        admin=factory.user("admin", email="admin@example.org"),
        item=item,
        indicator=indicator,
        other_indicator=other_indicator,
    )
    db.session.commit()
    return world


def tiny_pdf(text: str = "evidence") -> bytes:
    """A real one-page PDF (pypdf), small enough for any test."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({NameObject("/Title"): TextStringObject(text)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def zip_bytes(entries: dict[str, bytes], *, first: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if first:
            zf.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, first: as ODF requires
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def odt_bytes() -> bytes:
    return zip_bytes(
        {"content.xml": b"<office:document-content/>", "META-INF/manifest.xml": b"<manifest/>"},
        first=("mimetype", b"application/vnd.oasis.opendocument.text"),
    )


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", **(extra or {})})


def update_form(world: World, **overrides) -> dict:  # noqa: ANN001
    """A valid form submission for the world's item (override any field)."""
    data = {
        "status": "in_progress",
        "progress": "40",
        "effective_date": "2017-06-30",
        "narrative": "完成再生水廠規劃",
        "reason": "",
        "evidence_url": "",
        "version": str(world.item.version),
        "corrects_id": "",
        "measurements-0-indicator_id": str(world.indicator.id),
        "measurements-0-value": "",
        "measurements-0-measured_on": "",
        "measurements-0-source_note": "",
    }
    data.update(overrides)
    return data
