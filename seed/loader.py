"""Load the seed data (departments and trip reports) from YAML into the database.

Layout of a data folder::

    departments.yaml                 departments:  [ {code, name_zh, name_en}, ... ]
    reports/<folder>/*.yaml          one folder per trip report; its files hold the keys
                                     report, recommendations, practices, indicators,
                                     action_items (any split over files; one ``report``)

The next trip report is added as another folder: nothing here knows about Israel.

``load_seed`` reads and checks *every* file before it writes anything; a problem raises
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

import enum
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from yaml.constructor import ConstructorError, SafeConstructor

from tracker.extensions import db
from tracker.models import (
    ActionItem,
    Adoption,
    AdoptionDecision,
    BudgetSource,
    Department,
    Direction,
    Indicator,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
)

__all__ = ["SeedError", "SeedProblem", "SeedStats", "load_seed"]

MAX_PROBLEMS_SHOWN = 20


# --- errors and statistics ----------------------------------------------------------------------


@dataclass(frozen=True)
class SeedProblem:
    """One problem in one file; ``line`` is 1-based (None when the whole file is at fault)."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class SeedError(Exception):
    """The seed data is malformed or inconsistent; nothing was written."""

    def __init__(self, problems: Iterable[SeedProblem]):
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        shown = [f"  {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"  … and {len(self.problems) - MAX_PROBLEMS_SHOWN} more")
        return f"{len(self.problems)} problems in the seed data:\n" + "\n".join(shown)


KINDS = (
    ("department", "department", "departments"),
    ("report", "report", "reports"),
    ("recommendation", "recommendation", "recommendations"),
    ("practice", "practice", "practices"),
    ("figure", "figure", "figures"),
    ("indicator", "indicator", "indicators"),
    ("action_item", "action item", "action items"),
    ("adoption_decision", "adoption decision", "adoption decisions"),
)


@dataclass
class SeedStats:
    """What one load did: rows per kind and whether each was created, updated or unchanged."""

    counts: Counter = field(default_factory=Counter)
    reports: list[str] = field(default_factory=list)

    def note(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    def total(self, kind: str) -> int:
        return sum(n for (k, _), n in self.counts.items() if k == kind)

    def outcome(self, outcome: str) -> int:
        return sum(n for (_, o), n in self.counts.items() if o == outcome)

    def describe(self) -> str:
        parts = [
            f"{self.total(kind)} {one if self.total(kind) == 1 else many}"
            for kind, one, many in KINDS
            if self.total(kind) or kind != "adoption_decision"
        ]
        reports = f" ({', '.join(self.reports)})" if self.reports else ""
        return (
            f"Seed data{reports}: "
            + ", ".join(parts)
            + f" — {self.outcome('created')} created, {self.outcome('updated')} updated,"
            f" {self.outcome('unchanged')} unchanged."
        )


# --- YAML with line numbers -----------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, plus line numbers, duplicate-key and bad-date errors."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise ConstructorError(None, None, f"a key must be text, not {key!r}", key_node.start_mark)
        if key in result:
            raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise ConstructorError(None, None, f"{node.value!r} is not a real date ({exc})", node.start_mark) from None


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _parse_file(path: Path, shown: str) -> Any:
    """The file's content, or SeedError with the line PyYAML stopped at."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError([SeedProblem(shown, None, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise SeedError([SeedProblem(shown, None, f"cannot be read ({exc.strerror})")]) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = ", ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
        raise SeedError([SeedProblem(shown, mark.line + 1 if mark else None, f"malformed YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise SeedError([SeedProblem(shown, None, f"malformed YAML: {exc}")]) from None


# --- schema ---------------------------------------------------------------------------------------

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class F:
    """One field of a record: its kind, whether it is required, its limits."""

    kind: str  # line | text | code | codes | lines | number | year | date | bool | enum | map | maps
    required: bool = False
    max_len: int | None = None
    enum: type[enum.Enum] | None = None
    schema: dict[str, F] | None = None
    default: Any = None


DEPARTMENT = {
    "code": F("code", True, 40),
    "name_zh": F("line", True, 120),
    "name_en": F("line", True, 200),
    "active": F("bool", default=True),
}
REPORT = {
    "code": F("code", True, 60),
    "title_zh": F("line", True, 300),
    "title_en": F("line", True, 300),
    "agency_zh": F("line", True, 120),
    "agency_en": F("line", True, 200),
    "destination_zh": F("line", max_len=120, default=""),
    "destination_en": F("line", max_len=120, default=""),
    "trip_start": F("date", True),
    "trip_end": F("date", True),
    "report_date": F("date", True),
    "travellers_zh": F("lines", default=()),
    "travellers_en": F("lines", default=()),
    "summary_zh": F("text", default=""),
    "summary_en": F("text", default=""),
    "source_file": F("line", max_len=300, default=""),
}
ADOPTION = {
    "decision": F("enum", True, enum=Adoption),
    "decided_on": F("date", True),
    "decided_by": F("line", True, 200),
    "reason": F("text", default=""),
}
RECOMMENDATION = {
    "code": F("code", True, 40),
    "section": F("line", True, 40),
    "title_zh": F("line", True, 300),
    "title_en": F("line", True, 300),
    "text_zh": F("text", True),
    "text_en": F("text", True),
    "adoption_decisions": F("maps", schema=ADOPTION, default=()),
}
FIGURE = {
    "code": F("code", True, 60),
    "label_zh": F("line", True, 300),
    "label_en": F("line", True, 300),
    "value": F("number"),
    "value_text_zh": F("line", max_len=120, default=""),
    "value_text_en": F("line", max_len=120, default=""),
    "unit": F("line", max_len=40, default=""),
    "unit_en": F("line", max_len=40, default=""),
    "year": F("year"),
    "section": F("line", True, 40),
    "quote_zh": F("text", True),
}
PRACTICE = {
    "code": F("code", True, 40),
    "recommendation": F("code", True, 40),
    "section": F("line", True, 40),
    "place_zh": F("line", True, 120),
    "place_en": F("line", True, 120),
    "title_zh": F("line", True, 300),
    "title_en": F("line", True, 300),
    "description_zh": F("text", default=""),
    "description_en": F("text", default=""),
    "figures": F("maps", schema=FIGURE, default=()),
}
REFERENCE = {
    "value": F("number"),
    "year": F("year"),
    "place_zh": F("line", max_len=120, default=""),
    "place_en": F("line", max_len=120, default=""),
    "source": F("text", default=""),
}
BASELINE = {"value": F("number"), "year": F("year"), "source": F("text", default="")}
TARGET = {"value": F("number"), "year": F("year")}
INDICATOR = {
    "code": F("code", True, 60),
    "recommendation": F("code", True, 40),
    "name_zh": F("line", True, 300),
    "name_en": F("line", True, 300),
    "unit": F("line", True, 40),
    "unit_en": F("line", max_len=40, default=""),
    "direction": F("enum", True, enum=Direction),
    "practice": F("code", max_len=40),
    "reference": F("map", schema=REFERENCE),
    "baseline": F("map", schema=BASELINE),
    "target": F("map", schema=TARGET),
    "data_department": F("code", max_len=40),
    "notes_zh": F("text", default=""),
    "notes_en": F("text", default=""),
}
BUDGET = {"amount": F("number"), "source": F("enum", enum=BudgetSource), "note": F("text", default="")}
ACTION_ITEM = {
    "code": F("code", True, 40),
    "recommendation": F("code", True, 40),
    "title_zh": F("line", True, 300),
    "title_en": F("line", True, 300),
    "description_zh": F("text", default=""),
    "description_en": F("text", default=""),
    "source_section": F("line", True, 40),
    "lead": F("code", True, 40),
    "supporting": F("codes", default=()),
    "weight": F("number"),
    "start_date": F("date"),
    "due_date": F("date"),
    "budget": F("map", schema=BUDGET),
    "practices": F("codes", default=()),
    "indicators": F("codes", default=()),
}

ROOT_KEYS = {"departments": F("maps", schema=DEPARTMENT)}
REPORT_KEYS = {
    "report": F("map", schema=REPORT),
    "recommendations": F("maps", schema=RECOMMENDATION),
    "practices": F("maps", schema=PRACTICE),
    "indicators": F("maps", schema=INDICATOR),
    "action_items": F("maps", schema=ACTION_ITEM),
}


SINGULAR = {
    "departments": "department",
    "report": "report",
    "recommendations": "recommendation",
    "practices": "practice",
    "figures": "figure",
    "indicators": "indicator",
    "action_items": "action item",
    "adoption_decisions": "adoption decision",
    "reference": "reference",
    "baseline": "baseline",
    "target": "target",
    "budget": "budget",
}


class Rec(dict):
    """A checked record; remembers its file and lines for later (cross-reference) errors."""

    def __init__(self, file: str, line: int, key_lines: dict[str, int]):
        super().__init__()
        self.file = file
        self.line = line
        self.key_lines = key_lines
        self.label = ""

    def at(self, key: str | None = None) -> tuple[str, int]:
        return self.file, self.key_lines.get(key, self.line) if key else self.line


_EMPTY_MAP = _Map()
_EMPTY_MAP.key_lines = {}


class _Checker:
    """Checks values against the schema, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[SeedProblem] = []

    def problem(self, file: str, line: int | None, reason: str) -> None:
        self.problems.append(SeedProblem(file, line, reason))

    def record(self, raw: Any, schema: dict[str, F], file: str, line: int, what: str) -> Rec | None:
        if not isinstance(raw, _Map):
            self.problem(file, line, f"{what} must be a mapping of fields, not {_type_name(raw)}")
            return None
        rec = Rec(file, raw.line, raw.key_lines)
        code = raw.get("code")
        if isinstance(code, str) and code.strip():
            what = f"{what} {code.strip()!r}"
        rec.label = what
        for key in raw:
            if key not in schema:
                allowed = ", ".join(schema)
                self.problem(file, raw.key_lines[key], f"unknown key {key!r} in {what} (allowed: {allowed})")
        for key, spec in schema.items():
            key_line = raw.key_lines.get(key, raw.line)
            value = raw.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                if spec.required:
                    self.problem(file, key_line, f"{what} is missing required field {key!r}")
                rec[key] = self.empty(spec)
                continue
            rec[key] = self.value(value, spec, file, key_line, f"{what}: {key}", key)
        return rec

    def empty(self, spec: F) -> Any:
        if spec.kind == "map":
            return self.record(_EMPTY_MAP, spec.schema or {}, "", 0, "")
        return spec.default

    def value(self, value: Any, spec: F, file: str, line: int, what: str, key: str = "") -> Any:
        kind = spec.kind
        if kind in ("line", "text", "code"):
            if not isinstance(value, str):
                self.problem(file, line, f"{what} must be text, not {_type_name(value)}")
                return spec.default
            value = value.strip()
            if kind != "text" and "\n" in value:
                self.problem(file, line, f"{what} must be a single line")
            if kind == "code" and not CODE_RE.match(value):
                self.problem(file, line, f"{what}: {value!r} is not a valid code (letters, digits, '-', '_' and '.')")
            if spec.max_len and len(value) > spec.max_len:
                self.problem(file, line, f"{what} is {len(value)} characters long (at most {spec.max_len})")
            return value
        if kind in ("codes", "lines"):
            if not isinstance(value, list):
                self.problem(file, line, f"{what} must be a list, not {_type_name(value)}")
                return ()
            inner = F("code", max_len=40) if kind == "codes" else F("line")
            items = [self.value(v, inner, file, line, what) for v in value]
            if len(set(items)) != len(items):
                self.problem(file, line, f"{what} lists the same entry twice")
            return tuple(items)
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.problem(file, line, f"{what} must be a number, not {_type_name(value)}")
                return None
            if isinstance(value, float) and not math.isfinite(value):
                self.problem(file, line, f"{what} must be a finite number")
                return None
            try:
                # str() keeps what was written: 4.38 stays 4.38, never 4.3799999…
                number = Decimal(str(value))
            except InvalidOperation:  # pragma: no cover - finite floats always convert
                self.problem(file, line, f"{what} is not a number")
                return None
            if abs(number) >= Decimal("1e16") or number.as_tuple().exponent < -4:
                self.problem(file, line, f"{what} {value} does not fit (at most 16 digits, 4 decimals)")
            return number
        if kind == "year":
            if isinstance(value, bool) or not isinstance(value, int):
                self.problem(file, line, f"{what} must be a year such as 2016, not {_type_name(value)}")
                return None
            if not 1900 <= value <= 2200:
                self.problem(file, line, f"{what} {value} is not a plausible year")
            return value
        if kind == "date":
            if isinstance(value, datetime) or not isinstance(value, date):
                self.problem(file, line, f"{what} must be a date written YYYY-MM-DD, not {value!r}")
                return None
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self.problem(file, line, f"{what} must be true or false, not {value!r}")
                return spec.default
            return value
        if kind == "enum":
            assert spec.enum is not None
            allowed = [m.value for m in spec.enum]
            if not isinstance(value, str) or value not in allowed:
                self.problem(file, line, f"{what} must be one of {', '.join(allowed)}, not {value!r}")
                return None
            return spec.enum(value)
        if kind == "map":
            return self.record(value, spec.schema or {}, file, line, SINGULAR.get(key, what))
        if kind == "maps":
            if not isinstance(value, list):
                self.problem(file, line, f"{what} must be a list, not {_type_name(value)}")
                return ()
            out = []
            for entry in value:
                rec = self.record(entry, spec.schema or {}, file, line, SINGULAR.get(key, "entry"))
                if rec is not None:
                    out.append(rec)
            return tuple(out)
        raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


# --- reading a data folder ------------------------------------------------------------------------


@dataclass
class _ReportBundle:
    folder: str
    unreadable: bool = False
    report: Rec | None = None
    recommendations: list[Rec] = field(default_factory=list)
    practices: list[Rec] = field(default_factory=list)
    indicators: list[Rec] = field(default_factory=list)
    action_items: list[Rec] = field(default_factory=list)


@dataclass
class _SeedData:
    departments: list[Rec] = field(default_factory=list)
    reports: list[_ReportBundle] = field(default_factory=list)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _shown(path: Path) -> str:
    """The path as a person would type it: relative to the working folder when inside it."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _read(data_dir: Path, checker: _Checker) -> _SeedData:
    data = _SeedData()
    if not data_dir.is_dir():
        raise SeedError([SeedProblem(str(data_dir), None, "the seed data folder does not exist")])
    for path in _yaml_files(data_dir):
        _read_file(path, _shown(path), ROOT_KEYS, checker, data, None)
    reports_dir = data_dir / "reports"
    if reports_dir.is_dir():
        for folder in sorted(p for p in reports_dir.iterdir() if p.is_dir()):
            bundle = _ReportBundle(folder=_shown(folder))
            files = _yaml_files(folder)
            for path in files:
                _read_file(path, _shown(path), REPORT_KEYS, checker, data, bundle)
            if files and bundle.report is None and not bundle.unreadable:
                checker.problem(bundle.folder, None, "no file in this report folder has a 'report:' section")
            if bundle.report is not None:
                data.reports.append(bundle)
    return data


def _read_file(
    path: Path, shown: str, keys: dict[str, F], checker: _Checker, data: _SeedData, bundle: _ReportBundle | None
) -> None:
    try:
        content = _parse_file(path, shown)
    except SeedError as exc:
        checker.problems.extend(exc.problems)
        if bundle is not None:
            bundle.unreadable = True
        return
    if content is None:
        checker.problem(shown, None, "the file is empty")
        return
    if not isinstance(content, _Map):
        checker.problem(shown, 1, f"the file must be a mapping with the keys {', '.join(keys)}")
        return
    for key, raw in content.items():
        line = content.key_lines[key]
        if key not in keys:
            checker.problem(shown, line, f"unknown section {key!r} (allowed here: {', '.join(keys)})")
            continue
        if raw is None:
            checker.problem(shown, line, f"section {key!r} is empty")
            continue
        value = checker.value(raw, keys[key], shown, line, key, key)
        if value is None:  # not a mapping: already reported
            continue
        if key == "departments":
            data.departments.extend(value)
        elif key == "report":
            assert bundle is not None
            if bundle.report is not None:
                checker.problem(
                    shown, line, f"a second 'report:' section in {bundle.folder} (the first is in {bundle.report.file})"
                )
            else:
                bundle.report = value
        else:
            assert bundle is not None
            getattr(bundle, key).extend(value)


# --- cross-references -----------------------------------------------------------------------------


def _unique(records: Iterable[Rec], key: str, what: str, checker: _Checker) -> dict[str, Rec]:
    seen: dict[str, Rec] = {}
    for rec in records:
        code = rec.get(key)
        if not code:
            continue
        if code in seen:
            first = seen[code]
            checker.problem(*rec.at(key), f"{what} {code!r} appears twice (first at {first.file}, line {first.line})")
        else:
            seen[code] = rec
    return seen


def _cross_check(data: _SeedData, known_departments: set[str], checker: _Checker) -> None:
    """Every reference resolves, every code is unique where it must be, dates are ordered."""
    _unique(data.departments, "code", "department code", checker)
    departments = known_departments | {d["code"] for d in data.departments if d.get("code")}

    def department(rec: Rec, key: str, code: str | None) -> None:
        if code and code not in departments:
            checker.problem(*rec.at(key), f"{rec.label}: unknown department code {code!r} in {key!r}")

    _unique([b.report for b in data.reports if b.report is not None], "code", "report code", checker)
    for bundle in data.reports:
        report = bundle.report
        assert report is not None
        if report["trip_start"] and report["trip_end"] and report["trip_end"] < report["trip_start"]:
            checker.problem(*report.at("trip_end"), f"{report.label}: trip_end is before trip_start")
        recs = _unique(bundle.recommendations, "code", "recommendation code", checker)
        practices = _unique(bundle.practices, "code", "practice code", checker)
        indicators = _unique(bundle.indicators, "code", "indicator code", checker)
        _unique(bundle.action_items, "code", "action item code", checker)

        def recommendation(rec: Rec, recs: dict = recs) -> None:
            code = rec.get("recommendation")
            if code and code not in recs:
                checker.problem(
                    *rec.at("recommendation"),
                    f"{rec.label}: unknown recommendation {code!r} (this report has: {', '.join(recs) or 'none'})",
                )

        for practice in bundle.practices:
            recommendation(practice)
            _unique(practice["figures"], "code", f"figure code (practice {practice['code']})", checker)
            for figure in practice["figures"]:
                if figure["value"] is None and not figure["value_text_zh"]:
                    checker.problem(*figure.at(), f"{figure.label}: needs a value or a value_text_zh")
        for indicator in bundle.indicators:
            recommendation(indicator)
            department(indicator, "data_department", indicator["data_department"])
            if indicator["practice"] and indicator["practice"] not in practices:
                checker.problem(
                    *indicator.at("practice"), f"{indicator.label}: unknown practice {indicator['practice']!r}"
                )
            base_year, target_year = indicator["baseline"]["year"], indicator["target"]["year"]
            if base_year and target_year and target_year <= base_year:
                checker.problem(
                    *indicator.at("target"), f"{indicator.label}: the target year must come after the baseline year"
                )
        for item in bundle.action_items:
            recommendation(item)
            department(item, "lead", item["lead"])
            for code in item["supporting"]:
                department(item, "supporting", code)
            if item["lead"] and item["lead"] in item["supporting"]:
                checker.problem(
                    *item.at("supporting"), f"{item.label}: the lead department cannot also be a supporting one"
                )
            for code in item["practices"]:
                if code not in practices:
                    checker.problem(*item.at("practices"), f"{item.label}: unknown practice {code!r}")
            for code in item["indicators"]:
                if code not in indicators:
                    checker.problem(*item.at("indicators"), f"{item.label}: unknown indicator {code!r}")
            if item["weight"] is not None and item["weight"] <= 0:
                checker.problem(*item.at("weight"), f"{item.label}: the weight must be greater than 0")
            if item["start_date"] and item["due_date"] and item["due_date"] < item["start_date"]:
                checker.problem(*item.at("due_date"), f"{item.label}: the due date is before the start date")
            amount = item["budget"]["amount"]
            if amount is not None and (amount < 0 or amount != amount.to_integral_value()):
                checker.problem(
                    *item.at("budget"), f"{item.label}: the budget amount must be a whole number of NT$, 0 or more"
                )


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


def _outcome(stats: SeedStats, kind: str, created: bool, changed: bool) -> None:
    stats.note(kind, "created" if created else "updated" if changed else "unchanged")


def _write(session: Session, data: _SeedData, stats: SeedStats) -> None:
    departments = {d.code: d for d in session.scalars(select(Department))}
    for rec in data.departments:
        dept = departments.get(rec["code"])
        created = dept is None
        if created:
            dept = Department(code=rec["code"])
            session.add(dept)
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


def _write_report(
    session: Session, bundle: _ReportBundle, departments: dict[str, Department], stats: SeedStats
) -> None:
    r = bundle.report
    assert r is not None
    report = session.scalar(select(Report).where(Report.code == r["code"]))
    created = report is None
    if created:
        report = Report(code=r["code"])
        session.add(report)
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
        obj = existing_recs.get(rec["code"])
        created = obj is None
        if created:
            obj = Recommendation(code=rec["code"], report=report)
            session.add(obj)
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
    session: Session, rec: Recommendation, adoptions: Iterable[Rec], created: bool, stats: SeedStats
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
    bundle: _ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    stats: SeedStats,
) -> dict[str, ReferencePractice]:
    existing = {p.code: p for rec in all_recs if rec.id is not None for p in rec.practices}
    out: dict[str, ReferencePractice] = {}
    for position, rec in enumerate(bundle.practices):
        obj = existing.get(rec["code"])
        created = obj is None
        if created:
            obj = ReferencePractice(code=rec["code"])
            session.add(obj)
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
            fobj = figures.get(fig["code"])
            fcreated = fobj is None
            if fcreated:
                fobj = PracticeFigure(code=fig["code"], practice=obj)
                session.add(fobj)
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
    bundle: _ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    practices: dict[str, ReferencePractice],
    departments: dict[str, Department],
    stats: SeedStats,
) -> dict[str, Indicator]:
    existing = {i.code: i for rec in all_recs if rec.id is not None for i in rec.indicators}
    out: dict[str, Indicator] = {}
    for position, rec in enumerate(bundle.indicators):
        obj = existing.get(rec["code"])
        created = obj is None
        if created:
            obj = Indicator(code=rec["code"])
            session.add(obj)
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
    bundle: _ReportBundle,
    recs: dict[str, Recommendation],
    all_recs: list[Recommendation],
    practices: dict[str, ReferencePractice],
    indicators: dict[str, Indicator],
    departments: dict[str, Department],
    stats: SeedStats,
) -> None:
    existing = {i.code: i for rec in all_recs if rec.id is not None for i in rec.action_items}
    for position, rec in enumerate(bundle.action_items):
        obj = existing.get(rec["code"])
        created = obj is None
        if created:
            obj = ActionItem(code=rec["code"], version=1)
            session.add(obj)
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
    data_dir = Path(data_dir)
    checker = _Checker()
    data = _read(data_dir, checker)
    if not checker.problems:
        known = set(session.scalars(select(Department.code)))
        _cross_check(data, known, checker)
    if checker.problems:
        raise SeedError(checker.problems)
    stats = SeedStats()
    with session.no_autoflush:
        _write(session, data, stats)
    session.flush()
    # The read model follows the items just written (no-op for unchanged ones).
    from tracker.services import projections

    projections.touch(session.scalars(select(ActionItem.id)).all(), session)
    return stats
