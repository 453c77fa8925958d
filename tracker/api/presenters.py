"""Presenters of the read API: ORM rows and service results (item states, roll-ups,
indicator states) as the plain dicts the response schemas (api/schemas/) describe. Shared by
the read endpoints (api/reports.py) and the structure API's answers (api/structure/).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..models import (
    ActionItem,
    Department,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    Status,
)
from ..services import benchmark, progress
from ..services.progress import ItemState


def _department(d: Department | None) -> dict | None:
    if d is None:
        return None
    return {"id": d.id, "code": d.code, "name_zh": d.name_zh, "name_en": d.name_en}


def _report(r: Report, report_progress: float | None) -> dict:
    return {
        "id": r.id,
        "code": r.code,
        "title_zh": r.title_zh,
        "title_en": r.title_en,
        "agency_zh": r.agency_zh,
        "agency_en": r.agency_en,
        "trip_start": r.trip_start,
        "trip_end": r.trip_end,
        "report_date": r.report_date,
        "progress": report_progress,
    }


def _rec_ref(rec: Recommendation) -> dict:
    return {
        "id": rec.id,
        "code": rec.code,
        "position": rec.position,
        "section": rec.section,
        "title_zh": rec.title_zh,
        "title_en": rec.title_en,
    }


def _rollup(r: progress.RollUp, item_count: int, counts: Counter) -> dict:
    return {
        "progress": r.progress,
        "item_count": item_count,
        "items_counted": r.items_counted,
        "items_excluded": r.items_excluded,
        "status_counts": _status_counts(counts),
    }


def _status_counts(counts: Counter) -> dict[str, int]:
    return {s.value: counts.get(s, 0) for s in Status}


def _practice(p: ReferencePractice) -> dict:
    return {
        "id": p.id,
        "recommendation_id": p.recommendation_id,
        "code": p.code,
        "position": p.position,
        "section": p.section,
        "place_zh": p.place_zh,
        "place_en": p.place_en,
        "title_zh": p.title_zh,
        "title_en": p.title_en,
        "description_zh": p.description_zh,
        "description_en": p.description_en,
        "version": p.version,
        "figures": [_figure(f) for f in p.figures],
    }


def _figure(f: PracticeFigure) -> dict:
    return {
        "id": f.id,
        "practice_id": f.practice_id,
        "code": f.code,
        "position": f.position,
        "label_zh": f.label_zh,
        "label_en": f.label_en,
        "value": f.value,
        "value_text_zh": f.value_text_zh,
        "value_text_en": f.value_text_en,
        "unit": f.unit,
        "unit_en": f.unit_en,
        "year": f.year,
        "section": f.section,
        "quote_zh": f.quote_zh,
        "version": f.version,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _indicator(st: benchmark.IndicatorState) -> dict:
    ind = st.indicator
    return {
        "id": ind.id,
        "recommendation_id": ind.recommendation_id,
        "code": ind.code,
        "position": ind.position,
        "version": ind.version,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "unit": ind.unit,
        "unit_en": ind.unit_en,
        "direction": ind.direction,
        "practice_id": ind.practice_id,
        "reference": {
            "value": ind.reference_value,
            "year": ind.reference_year,
            "place_zh": ind.reference_place_zh,
            "place_en": ind.reference_place_en,
            "source": ind.reference_source,
        },
        "baseline": {"value": ind.baseline_value, "year": ind.baseline_year, "source": ind.baseline_source},
        "target": {"value": ind.target_value, "year": ind.target_year},
        "latest": None
        if st.latest is None
        else {
            "id": st.latest.measurement_id,
            "value": st.latest.value,
            "measured_on": st.latest.measured_on,
        },
        "gap_closure": _round(st.gap_closure, 4),
        "ratio": _round(st.ratio, 4),
        "on_track": st.on_track,
        "missing": list(st.missing),
        "data_department": _department(ind.data_department),
        "notes_zh": ind.notes_zh,
        "notes_en": ind.notes_en,
    }


def _item_ref(it: ActionItem) -> dict:
    return {
        "id": it.id,
        "code": it.code,
        "title_zh": it.title_zh,
        "title_en": it.title_en,
        "source_section": it.source_section,
        "lead_department": _department(it.lead_department),
        "supporting_departments": [_department(d) for d in it.supporting_departments],
        "departments_proposed": it.departments_confirmed_at is None,
        "start_date": it.start_date,
        "due_date": it.due_date,
        "weight": it.weight,
        "version": it.version,
    }


def _state(st: ItemState) -> dict[str, Any]:
    d = st.decision
    return {
        "status": st.status,
        "progress": st.progress,
        "flags": st.flags,
        "pending": st.pending is not None,
        "tracking_decision": None
        if d is None
        else {
            "id": d.id,
            "decision": d.decision,
            "reason": d.reason,
            "effective_date": d.effective_date,
        },
    }
