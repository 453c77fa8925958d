"""Rules across records, checked once every file has loaded: codes are unique where they must
be, and every reference (recommendation, practice, indicator, department) resolves.

Rules within one record are in ``seed.schema``. Departments may be referred to by a code
already in the database as well as by one in the data folder.
"""

from __future__ import annotations

from collections.abc import Iterable

from seed.errors import SeedProblem
from seed.reading import SeedData
from seed.schema import Record

__all__ = ["cross_check"]


def _unique(records: Iterable[Record], what: str, problems: list[SeedProblem]) -> dict[str, Record]:
    """The records by code; a code seen twice is a problem at the second."""
    seen: dict[str, Record] = {}
    for rec in records:
        code = rec.get("code")
        if not code:
            continue
        if code in seen:
            first = seen[code]
            reason = f"{what} {code!r} appears twice (first at {first.file}, line {first.line})"
            problems.append(SeedProblem(*rec.at("code"), reason))
        else:
            seen[code] = rec
    return seen


def cross_check(data: SeedData, known_departments: set[str]) -> list[SeedProblem]:
    """Every problem across records (none: the data may be written)."""
    problems: list[SeedProblem] = []

    def problem(rec: Record, key: str, reason: str) -> None:
        problems.append(SeedProblem(*rec.at(key), f"{rec.label}: {reason}"))

    _unique(data.departments, "department code", problems)
    departments = known_departments | {d["code"] for d in data.departments}

    def department(rec: Record, key: str, code: str | None) -> None:
        if code and code not in departments:
            problem(rec, key, f"unknown department code {code!r} in {key!r}")

    _unique([b.report for b in data.reports if b.report is not None], "report code", problems)
    for bundle in data.reports:
        recs = _unique(bundle.recommendations, "recommendation code", problems)
        practices = _unique(bundle.practices, "practice code", problems)
        indicators = _unique(bundle.indicators, "indicator code", problems)
        _unique(bundle.action_items, "action item code", problems)

        def recommendation(rec: Record, recs: dict[str, Record] = recs) -> None:
            if rec["recommendation"] not in recs:
                known = ", ".join(recs) or "none"
                problem(
                    rec,
                    "recommendation",
                    f"unknown recommendation {rec['recommendation']!r} (this report has: {known})",
                )

        for practice in bundle.practices:
            recommendation(practice)
            _unique(practice["figures"], f"figure code (practice {practice['code']})", problems)
        for indicator in bundle.indicators:
            recommendation(indicator)
            department(indicator, "data_department", indicator["data_department"])
            if indicator["practice"] and indicator["practice"] not in practices:
                problem(indicator, "practice", f"unknown practice {indicator['practice']!r}")
        for item in bundle.action_items:
            recommendation(item)
            department(item, "lead", item["lead"])
            for code in item["supporting"]:
                department(item, "supporting", code)
            for code in item["practices"]:
                if code not in practices:
                    problem(item, "practices", f"unknown practice {code!r}")
            for code in item["indicators"]:
                if code not in indicators:
                    problem(item, "indicators", f"unknown indicator {code!r}")
    return problems
