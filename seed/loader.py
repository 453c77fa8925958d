"""Load the seed data (departments and trip reports) from YAML into the database.

The data folder's layout and format are in ``seed.reading`` and ``seed.schema``; the next
trip report is added as another folder: nothing here knows about Israel.

``load_seed`` reads and checks *every* file before it writes anything (marshmallow schemas,
``seed.schema``, then the rules across records, ``seed.checks``); a problem raises
``SeedError`` naming the file, the line and the reason, and the session is left untouched
(the caller rolls back anyway). It only flushes: the CLI commits once.

Idempotent: rows are found by natural keys (department code, report code, recommendation
code within its report, practice / indicator / action-item code within the report, figure
code within its practice), so a second run creates and changes nothing. What a re-run may
change follows who owns each value:

* text and figures taken from the report are owned by the seed: a corrected YAML file
  corrects the database;
* values the report does not give (schedule, budget, a missing baseline, every target) are
  null in the YAML and owned by the application: a re-run never clears what an
  administrator or a department has filled in;
* assignments the seed only proposes (lead and supporting departments, weight, the
  department asked for indicator data, a department's active flag) are set when the row is
  created and left alone afterwards; links from items to practices and indicators are
  only ever added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seed.checks import cross_check
from seed.errors import SeedError, SeedProblem
from seed.reading import ReportBundle, SeedData, read_folder
from seed.schema import Record
from seed.stats import SeedStats
from tracker.extensions import db
from tracker.models import (
    ActionItem,
    AdoptionDecision,
    Department,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
)

__all__ = ["SeedError", "SeedProblem", "SeedStats", "load_seed"]


# --- writing --------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == ()


def _apply(
    obj: Any,
    owned: dict[str, Any],
    gaps: dict[str, Any] | None = None,
    assigned: dict[str, Any] | None = None,
    creating: bool = False,
) -> bool:
    """Set attributes by ownership (see the module docstring); True if anything changed.

    owned: always the seed's value. gaps: the seed's value only when it has one.
    assigned: only when creating the row or while the row has no value.
    """
    changed = False

    def put(attr: str, value: Any) -> None:
        nonlocal changed
        current = getattr(obj, attr)
        if isinstance(value, db.Model) or isinstance(current, db.Model):
            same = current is value
        else:  # Decimal("4.38") == Decimal("4.3800"): a re-read value is not a change
            same = current == value and (current is None) == (value is None)
        if not same:
            setattr(obj, attr, value)
            changed = True

    for attr, value in owned.items():
        put(attr, value)
    for attr, value in (gaps or {}).items():
        if creating or not _blank(value):
            put(attr, value)
    for attr, value in (assigned or {}).items():
        if creating or _blank(getattr(obj, attr)):
            put(attr, value)
    return changed


def _find_or_add(
    session: Session, existing: Mapping[str, Any], model: type, code: str, **values: Any
) -> tuple[Any, bool]:
    """The row with this natural key, or a new one added to the session; True when it is new."""
    if code in existing:
        return existing[code], False
    obj = model(code=code, **values)
    session.add(obj)
    return obj, True


def _outcome(stats: SeedStats, kind: str, created: bool, changed: bool) -> None:
    stats.note(kind, "created" if created else "updated" if changed else "unchanged")


def _write(session: Session, data: SeedData, stats: SeedStats) -> None:
    departments = {d.code: d for d in session.scalars(select(Department))}
    for rec in data.departments:
        dept, created = _find_or_add(session, departments, Department, rec["code"])
        departments[dept.code] = dept
        changed = _apply(
            dept,
            {"name_zh": rec["name_zh"], "name_en": rec["name_en"]},
            assigned={"active": rec["active"]},
            creating=created,
        )
        _outcome(stats, "department", created, changed)
    for bundle in data.reports:
        _write_report(session, bundle, departments, stats)


def _write_report(session: Session, bundle: ReportBundle, departments: dict[str, Department], stats: SeedStats) -> None:
    r = bundle.report
    assert r is not None
    found = {x.code: x for x in session.scalars(select(Report).where(Report.code == r["code"]))}
    report, created = _find_or_add(session, found, Report, r["code"])
    changed = _apply(
        report,
        {
            "title_zh": r["title_zh"],
            "title_en": r["title_en"],
            "agency_zh": r["agency_zh"],
            "agency_en": r["agency_en"],
            "destination_zh": r["destination_zh"],
            "destination_en": r["destination_en"],
            "trip_start": r["trip_start"],
            "trip_end": r["trip_end"],
            "report_date": r["report_date"],
            "travellers_zh": "\n".join(r["travellers_zh"]),
            "travellers_en": "\n".join(r["travellers_en"]),
            "summary_zh": r["summary_zh"],
            "summary_en": r["summary_en"],
            "source_file": r["source_file"],
        },
        creating=created,
    )
    _outcome(stats, "report", created, changed)
    stats.reports.append(report.code)

    existing_recs = {} if created else {x.code: x for x in report.recommendations}
    recs: dict[str, Recommendation] = {}
    for position, rec in enumerate(bundle.recommendations):
        obj, created = _find_or_add(session, existing_recs, Recommendation, rec["code"], report=report)
        changed = _apply(
            obj,
            {
                "position": position,
                "section": rec["section"],
                "title_zh": rec["title_zh"],
                "title_en": rec["title_en"],
                "text_zh": rec["text_zh"],
                "text_en": rec["text_en"],
            },
            creating=created,
        )
        _outcome(stats, "recommendation", created, changed)
        recs[obj.code] = obj
        _write_adoptions(session, obj, rec["adoption_decisions"], created, stats)

    all_recs = list(existing_recs.values()) + [x for x in recs.values() if x.code not in existing_recs]
    practices = _write_practices(session, bundle, recs, all_recs, stats)
    indicators = _write_indicators(session, bundle, recs, all_recs, practices, departments, stats)
    _write_items(session, bundle, recs, all_recs, practices, indicators, departments, stats)


def _write_adoptions(
    session: Session, rec: Recommendation, adoptions: Iterable[Record], created: bool, stats: SeedStats
) -> None:
    """Adoption decisions are history (append-only): add the ones not recorded yet."""
    existing = (
        set() if created else {(a.decision, a.decided_on, a.decided_by, a.reason) for a in rec.adoption_decisions}
    )
    for a in adoptions:
        key = (a["decision"], a["decided_on"], a["decided_by"], a["reason"])
        if key in existing:
            stats.note("adoption_decision", "unchanged")
            continue
        session.add(
            AdoptionDecision(
                recommendation=rec,
                decision=a["decision"],
                decided_on=a["decided_on"],
                decided_by=a["decided_by"],
                reason=a["reason"],
            )
        )
        existing.add(key)
        stats.note("adoption_decision", "created")


def _write_practices(
    session: Session,
    bundle: ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    stats: SeedStats,
) -> dict[str, ReferencePractice]:
    existing = {p.code: p for rec in all_recs if rec.id is not None for p in rec.practices}
    out: dict[str, ReferencePractice] = {}
    for position, rec in enumerate(bundle.practices):
        obj, created = _find_or_add(session, existing, ReferencePractice, rec["code"])
        changed = _apply(
            obj,
            {
                "recommendation": recs[rec["recommendation"]],
                "position": position,
                "section": rec["section"],
                "place_zh": rec["place_zh"],
                "place_en": rec["place_en"],
                "title_zh": rec["title_zh"],
                "title_en": rec["title_en"],
                "description_zh": rec["description_zh"],
                "description_en": rec["description_en"],
            },
            creating=created,
        )
        _outcome(stats, "practice", created, changed)
        out[obj.code] = obj
        figures = {} if created else {f.code: f for f in obj.figures}
        for fpos, fig in enumerate(rec["figures"]):
            fobj, fcreated = _find_or_add(session, figures, PracticeFigure, fig["code"], practice=obj)
            fchanged = _apply(
                fobj,
                {
                    "position": fpos,
                    "label_zh": fig["label_zh"],
                    "label_en": fig["label_en"],
                    "value": fig["value"],
                    "value_text_zh": fig["value_text_zh"],
                    "value_text_en": fig["value_text_en"],
                    "unit": fig["unit"],
                    "unit_en": fig["unit_en"],
                    "year": fig["year"],
                    "section": fig["section"],
                    "quote_zh": fig["quote_zh"],
                },
                creating=fcreated,
            )
            _outcome(stats, "figure", fcreated, fchanged)
    return out


def _write_indicators(
    session: Session,
    bundle: ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    practices: dict[str, ReferencePractice],
    departments: dict[str, Department],
    stats: SeedStats,
) -> dict[str, Indicator]:
    existing = {i.code: i for rec in all_recs if rec.id is not None for i in rec.indicators}
    out: dict[str, Indicator] = {}
    for position, rec in enumerate(bundle.indicators):
        obj, created = _find_or_add(session, existing, Indicator, rec["code"])
        ref, base, target = rec["reference"], rec["baseline"], rec["target"]
        changed = _apply(
            obj,
            owned={
                "recommendation": recs[rec["recommendation"]],
                "position": position,
                "name_zh": rec["name_zh"],
                "name_en": rec["name_en"],
                "unit": rec["unit"],
                "unit_en": rec["unit_en"],
                "direction": rec["direction"],
                "reference_value": ref["value"],
                "reference_year": ref["year"],
                "reference_place_zh": ref["place_zh"],
                "reference_place_en": ref["place_en"],
                "reference_source": ref["source"],
                "notes_zh": rec["notes_zh"],
                "notes_en": rec["notes_en"],
            },
            gaps={
                "practice": practices.get(rec["practice"]) if rec["practice"] else None,
                "baseline_value": base["value"],
                "baseline_year": base["year"],
                "baseline_source": base["source"],
                "target_value": target["value"],
                "target_year": target["year"],
            },
            assigned={"data_department": departments.get(rec["data_department"]) if rec["data_department"] else None},
            creating=created,
        )
        _outcome(stats, "indicator", created, changed)
        out[obj.code] = obj
    return out


def _write_items(
    session: Session,
    bundle: ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    practices: dict[str, ReferencePractice],
    indicators: dict[str, Indicator],
    departments: dict[str, Department],
    stats: SeedStats,
) -> None:
    existing = {i.code: i for rec in all_recs if rec.id is not None for i in rec.action_items}
    for position, rec in enumerate(bundle.action_items):
        obj, created = _find_or_add(session, existing, ActionItem, rec["code"], version=1)
        budget = rec["budget"]
        changed = _apply(
            obj,
            owned={
                "recommendation": recs[rec["recommendation"]],
                "position": position,
                "title_zh": rec["title_zh"],
                "title_en": rec["title_en"],
                "description_zh": rec["description_zh"],
                "description_en": rec["description_en"],
                "source_section": rec["source_section"],
            },
            gaps={
                "start_date": rec["start_date"],
                "due_date": rec["due_date"],
                "budget_amount": budget["amount"],
                "budget_source": budget["source"],
                "budget_note": budget["note"],
            },
            assigned={
                "lead_department": departments[rec["lead"]],
                "weight": rec["weight"] if rec["weight"] is not None else Decimal(1),
            },
            creating=created,
        )
        if created:
            obj.supporting_departments = [departments[c] for c in rec["supporting"]]
        for attr, codes, pool in (
            ("practices", rec["practices"], practices),
            ("indicators", rec["indicators"], indicators),
        ):
            linked = getattr(obj, attr)
            for code in codes:
                if pool[code] not in linked:
                    linked.append(pool[code])
                    changed = True
        if changed and not created:
            # Optimistic concurrency: an edit to the item invalidates forms opened before it.
            obj.version = (obj.version or 1) + 1
        _outcome(stats, "action_item", created, changed)


# --- entry point ----------------------------------------------------------------------------------


def load_seed(session: Session, data_dir: str | Path) -> SeedStats:
    """Load every YAML file under ``data_dir`` (idempotent); flush, never commit.

    Raises SeedError (file, line, reason) before writing anything if any file is
    malformed, breaks the schema or refers to something unknown.
    """
    data, problems = read_folder(Path(data_dir))
    if not problems:
        problems = cross_check(data, set(session.scalars(select(Department.code))))
    if problems:
        raise SeedError(problems)
    stats = SeedStats()
    with session.no_autoflush:
        _write(session, data, stats)
    session.flush()
    # The read model follows the items just written (no-op for unchanged ones).
    from tracker.services import projections

    projections.touch(session.scalars(select(ActionItem.id)).all(), session)
    return stats
