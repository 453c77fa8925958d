"""Drafting a report from its own text: read, review, confirm (docs/drafting.md).

``read_draft`` reads a document and splits it (nothing written). ``create_draft`` keeps the
result as a ``ReportDraft`` for an administrator to review: edit the report's fields, edit,
merge, split or drop recommendations. ``confirm_draft`` creates the report and its
recommendations; until then nothing is tracked. Every write is audited; writes flush but
never commit (the caller commits).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import ConflictError, DomainError
from ..extensions import db
from ..models import Recommendation, Report, ReportDraft
from . import audit
from .doctext import DocumentRefused, read_document
from .splitter import CLAUSE_END, DraftReport, NoRecommendations, clean_paragraphs, split_report

META_FIELDS = ("title", "agency", "destination", "trip_start", "trip_end", "report_date")
DATE_FIELDS = ("trip_start", "trip_end", "report_date")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
MAX_TITLE = 300
MAX_SECTION = 40


class DraftRefused(DomainError):
    """The document gave no draft (unreadable, or no recommendations section)."""

    def __init__(self, message: str, code: str = "document_refused"):
        super().__init__(message, field="file", code=code)


@dataclass
class ReadResult:
    kind: str
    sha256: str
    size: int
    paragraphs: list[str]
    draft: DraftReport


def _decode_legacy_text(filename: str, data: bytes) -> bytes:
    """Plain text in Big5 / CP950 (still common in government offices) becomes UTF-8."""
    if not filename.lower().endswith(".txt") or b"\x00" in data:
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp950").encode("utf-8")
    except UnicodeDecodeError:
        return data


def read_draft(filename: str, data: bytes) -> ReadResult:
    """Read and split a document. Raises DraftRefused with the reason; writes nothing."""
    data = _decode_legacy_text(filename, data)
    try:
        kind, paragraphs = read_document(filename, data)
    except DocumentRefused as exc:
        raise DraftRefused(str(exc)) from None
    try:
        draft = split_report(paragraphs)
    except NoRecommendations:
        raise DraftRefused(
            _(
                "%(name)s: no recommendations section (建議事項) was found: a heading such as "
                "“Recommendations” with numbered parts under it. Nothing was created.",
                name=filename,
            ),
            code="no_recommendations",
        ) from None
    return ReadResult(kind, hashlib.sha256(data).hexdigest(), len(data), paragraphs, draft)


def _data_of(draft: DraftReport) -> dict[str, Any]:
    return {
        "title": draft.title,
        "agency": draft.agency,
        "destination": draft.destination,
        "trip_start": _iso(draft.trip_start),
        "trip_end": _iso(draft.trip_end),
        "report_date": _iso(draft.report_date),
        "recommendations": [
            {"section": r.section, "title": r.title, "text": r.text, "source": r.source, "sdg": []}
            for r in draft.recommendations
        ],
    }


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def create_draft(filename: str, data: bytes, user: Any) -> ReportDraft:
    """Read a document and keep its draft for review. Raises DraftRefused."""
    result = read_draft(filename, data)
    draft = ReportDraft(
        status="open",
        filename=filename[:255],
        kind=result.kind,
        sha256=result.sha256,
        size=result.size,
        source_text="\n\n".join(clean_paragraphs(result.paragraphs)),
        section_text=result.draft.section_text,
        data=_data_of(result.draft),
        version=1,
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(draft)
    db.session.flush()
    audit.record_event(
        "draft.create",
        user=user,
        obj=draft,
        after={
            "filename": draft.filename,
            "kind": draft.kind,
            "sha256": draft.sha256,
            "recommendations": len(draft.data["recommendations"]),
        },
    )
    return draft


# --- review --------------------------------------------------------------------------------------


def _open(draft: ReportDraft, version: int | None) -> None:
    if draft.status != "open":
        raise DomainError(_("This draft was already confirmed or discarded."), code="draft_closed")
    if version is not None and version != draft.version:
        raise ConflictError(_("Someone else changed this draft meanwhile; review it again."), draft.version)


def _store(draft: ReportDraft, data: dict, user: Any, action: str, **summary: Any) -> None:
    draft.data = data  # a new dict, so the JSON column is written
    draft.version += 1
    audit.record_event(action, user=user, obj=draft, after=summary or None)


def _copy(draft: ReportDraft) -> dict:
    data = dict(draft.data)
    data["recommendations"] = [dict(r) for r in draft.data.get("recommendations", [])]
    return data


def _rec_index(data: dict, index: int) -> int:
    if not 0 <= index < len(data["recommendations"]):
        raise DomainError(_("There is no such recommendation in this draft."), field="index", code="not_found")
    return index


def update_meta(draft: ReportDraft, values: dict[str, Any], user: Any, version: int | None = None) -> None:
    """Change the report's fields (title, agency, destination, dates as ISO or 民國)."""
    _open(draft, version)
    from .. import dates

    data = _copy(draft)
    errors: dict[str, str] = {}
    for key in META_FIELDS:
        if key not in values:
            continue
        raw = (values[key] or "").strip() if isinstance(values[key], str) else values[key]
        if key in DATE_FIELDS:
            if raw in ("", None):
                data[key] = ""
                continue
            parsed = dates.parse_date(raw)
            if parsed is None:
                errors[key] = _("Not a date: %(value)s (use 2016-11-12 or 105/11/12).", value=raw)
                continue
            data[key] = parsed.isoformat()
        else:
            if len(raw) > MAX_TITLE:
                errors[key] = _("At most %(num)d characters.", num=MAX_TITLE)
                continue
            data[key] = raw
    if data.get("trip_start") and data.get("trip_end") and data["trip_end"] < data["trip_start"]:
        errors["trip_end"] = _("The trip cannot end before it starts.")
    if errors:
        raise DomainError(next(iter(errors.values())), field=next(iter(errors)), errors=errors)
    _store(draft, data, user, "draft.edit", fields=sorted(k for k in values if k in META_FIELDS))


def edit_recommendation(
    draft: ReportDraft, index: int, section: str, title: str, text: str, user: Any, version: int | None = None
) -> None:
    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    section, title, text = section.strip(), title.strip(), text.strip()
    errors = {}
    if not section:
        errors["section"] = _("Give the section number, e.g. 三(一).")
    elif len(section) > MAX_SECTION:
        errors["section"] = _("At most %(num)d characters.", num=MAX_SECTION)
    if not title:
        errors["title"] = _("Give a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("At most %(num)d characters.", num=MAX_TITLE)
    if not text:
        errors["text"] = _("The text cannot be empty; drop the recommendation instead.")
    if errors:
        raise DomainError(next(iter(errors.values())), field=next(iter(errors)), errors=errors)
    rec = data["recommendations"][index]
    rec.update(section=section, title=title, text=text)
    _store(draft, data, user, "draft.recommendation.edit", index=index, section=section)


def drop_recommendation(draft: ReportDraft, index: int, user: Any, version: int | None = None) -> None:
    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    dropped = data["recommendations"].pop(index)
    _store(draft, data, user, "draft.recommendation.drop", index=index, section=dropped["section"])


def merge_with_next(draft: ReportDraft, index: int, user: Any, version: int | None = None) -> None:
    """The recommendation and the one after it become one (texts and sources joined)."""
    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    if index + 1 >= len(data["recommendations"]):
        raise DomainError(_("The last recommendation has nothing after it to merge with."), field="index")
    first, second = data["recommendations"][index], data["recommendations"].pop(index + 1)
    first["text"] = f"{first['text']}\n\n{second['text']}"
    first["source"] = f"{first.get('source', '')}\n\n{second.get('source', '')}".strip()
    first["sdg"] = sorted(set(first.get("sdg", [])) | set(second.get("sdg", [])))
    _store(draft, data, user, "draft.recommendation.merge", index=index, merged=second["section"])


def paragraphs_of(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def split_recommendation(
    draft: ReportDraft, index: int, before_paragraph: int, user: Any, version: int | None = None
) -> None:
    """Split a recommendation before its paragraph ``before_paragraph`` (1-based, ≥ 2)."""
    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    rec = data["recommendations"][index]
    paras = paragraphs_of(rec["text"])
    if not 2 <= before_paragraph <= len(paras):
        raise DomainError(
            _(
                "Choose a paragraph from the second to the last to split before (a text with one "
                "paragraph: edit it first and put a blank line where it should be split)."
            ),
            field="paragraph",
        )
    head, tail = paras[: before_paragraph - 1], paras[before_paragraph - 1 :]
    rec["text"] = "\n\n".join(head)
    first_clause = re.split(CLAUSE_END, tail[0], maxsplit=1)[0][:40]
    new = {
        "section": f"{rec['section']}-{before_paragraph}",
        "title": first_clause,
        "text": "\n\n".join(tail),
        "source": rec.get("source", ""),
        "sdg": list(rec.get("sdg", [])),
    }
    data["recommendations"].insert(index + 1, new)
    _store(draft, data, user, "draft.recommendation.split", index=index, paragraph=before_paragraph)


def move_recommendation(draft: ReportDraft, index: int, offset: int, user: Any, version: int | None = None) -> None:
    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    target = index + offset
    if not 0 <= target < len(data["recommendations"]):
        raise DomainError(_("It cannot move further."), field="index")
    recs = data["recommendations"]
    recs[index], recs[target] = recs[target], recs[index]
    _store(draft, data, user, "draft.recommendation.move", index=index, to=target)


def set_sdg(draft: ReportDraft, index: int, targets: list[str], user: Any, version: int | None = None) -> None:
    from . import sdg

    _open(draft, version)
    data = _copy(draft)
    _rec_index(data, index)
    data["recommendations"][index]["sdg"] = sdg.validate_targets(targets)
    _store(draft, data, user, "draft.recommendation.sdg", index=index, targets=data["recommendations"][index]["sdg"])


def discard_draft(draft: ReportDraft, user: Any, version: int | None = None) -> None:
    _open(draft, version)
    draft.status = "discarded"
    draft.version += 1
    audit.record_event("draft.discard", user=user, obj=draft)


def suggest_code(draft: ReportDraft) -> str:
    year = (draft.data.get("trip_start") or draft.data.get("report_date") or "")[:4] or "report"
    base = f"{year}-draft-{draft.id}"
    return base


def confirm_draft(
    draft: ReportDraft,
    user: Any,
    *,
    code: str,
    title_en: str = "",
    agency_en: str = "",
    destination_en: str = "",
    version: int | None = None,
) -> Report:
    """Create the report and its recommendations from the reviewed draft."""
    _open(draft, version)
    data = draft.data
    code = (code or "").strip().lower()
    errors: dict[str, str] = {}
    if not CODE_RE.match(code):
        errors["code"] = _("A code of 3–60 lower-case letters, digits and hyphens, e.g. 2023-japan-water.")
    elif db.session.scalar(select(func.count()).select_from(Report).where(Report.code == code)):
        errors["code"] = _("Another report already has the code %(code)s.", code=code)
    for key, label in (("title", _("Title")), ("agency", _("Agency"))):
        if not (data.get(key) or "").strip():
            errors[key] = _("%(field)s is missing: fill it in above.", field=label)
    for key, label in (("trip_start", _("Trip start")), ("trip_end", _("Trip end")), ("report_date", _("Filing date"))):
        if not data.get(key):
            errors[key] = _("%(field)s is missing: fill it in above.", field=label)
    recs = data.get("recommendations") or []
    if not recs:
        errors["recommendations"] = _("The draft has no recommendation left.")
    sections = [r["section"] for r in recs]
    duplicates = sorted({s for s in sections if sections.count(s) > 1})
    if duplicates:
        errors["recommendations"] = _(
            "Two recommendations cite the same section %(section)s: edit one.", section=", ".join(duplicates)
        )
    if errors:
        raise DomainError(next(iter(errors.values())), field=next(iter(errors)), errors=errors)
    report = Report(
        code=code,
        title_zh=data["title"].strip()[:MAX_TITLE],
        title_en=(title_en or "").strip()[:MAX_TITLE],
        agency_zh=data["agency"].strip()[:120],
        agency_en=(agency_en or "").strip()[:200],
        destination_zh=(data.get("destination") or "").strip()[:120],
        destination_en=(destination_en or "").strip()[:120],
        trip_start=date.fromisoformat(data["trip_start"]),
        trip_end=date.fromisoformat(data["trip_end"]),
        report_date=date.fromisoformat(data["report_date"]),
        source_file=draft.filename[:300],
    )
    db.session.add(report)
    db.session.flush()
    created = []
    for position, rec in enumerate(recs):
        row = Recommendation(
            report_id=report.id,
            code=f"R{position + 1}",
            position=position,
            section=rec["section"],
            title_zh=rec["title"][:MAX_TITLE],
            title_en="",
            text_zh=rec["text"],
            text_en="",
        )
        db.session.add(row)
        created.append((row, rec.get("sdg") or []))
    db.session.flush()
    from . import sdg as sdg_service

    for row, targets in created:
        if targets:
            sdg_service.set_recommendation_targets(row, targets, user, audited=False)
    draft.status = "confirmed"
    draft.report_id = report.id
    draft.version += 1
    audit.record_event(
        "report.create",
        user=user,
        obj=report,
        after={
            "code": report.code,
            "title_zh": report.title_zh,
            "from_draft": draft.id,
            "recommendations": [r.section for r, _t in created],
        },
    )
    audit.record_event("draft.confirm", user=user, obj=draft, after={"report_id": report.id})
    return report
