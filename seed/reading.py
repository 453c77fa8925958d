"""Reading a seed data folder: every file parsed and loaded through its schema, every problem
reported with its file and line.

Layout::

    departments.yaml            (any *.yaml at the top: the ``departments`` section)
    reports/<folder>/*.yaml     one folder per trip report; its files hold the sections
                                report, recommendations, practices, indicators, action_items
                                (any split over files; exactly one ``report``)

marshmallow reports problems as nested messages keyed by field name and list index;
``locate`` walks them beside the YAML that was loaded, which knows the line of every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.exceptions import SCHEMA

from seed.errors import SeedError, SeedProblem
from seed.fields import FIELD, RECORD, Records
from seed.schema import FileSchema, Record, ReportFileSchema, RootFileSchema, label_of
from seed.yamlfile import LineMap, parse_file

__all__ = ["ReportBundle", "SeedData", "locate", "read_folder"]


@dataclass
class ReportBundle:
    """The records of one report folder."""

    folder: str
    unreadable: bool = False
    report_file: str | None = None  # the file holding the 'report:' section
    report: Record | None = None
    recommendations: list[Record] = field(default_factory=list)
    practices: list[Record] = field(default_factory=list)
    indicators: list[Record] = field(default_factory=list)
    action_items: list[Record] = field(default_factory=list)


@dataclass
class SeedData:
    departments: list[Record] = field(default_factory=list)
    reports: list[ReportBundle] = field(default_factory=list)


ROOT_FILE = RootFileSchema()
REPORT_FILE = ReportFileSchema()


def read_folder(data_dir: Path) -> tuple[SeedData, list[SeedProblem]]:
    """Every record under ``data_dir``, and every problem of every file (none: all is well)."""
    if not data_dir.is_dir():
        raise SeedError([SeedProblem(str(data_dir), None, "the seed data folder does not exist")])
    data, problems = SeedData(), []
    for path in _yaml_files(data_dir):
        problems += _read_file(path, ROOT_FILE, data, None)
    reports_dir = data_dir / "reports"
    if reports_dir.is_dir():
        for folder in sorted(p for p in reports_dir.iterdir() if p.is_dir()):
            bundle = ReportBundle(folder=_shown(folder))
            files = _yaml_files(folder)
            for path in files:
                problems += _read_file(path, REPORT_FILE, data, bundle)
            if files and bundle.report_file is None and not bundle.unreadable:
                problems.append(
                    SeedProblem(bundle.folder, None, "no file in this report folder has a 'report:' section")
                )
            if bundle.report is not None:
                data.reports.append(bundle)
    return data, problems


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _shown(path: Path) -> str:
    """The path as a person would type it: relative to the working folder when inside it."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _read_file(path: Path, schema: FileSchema, data: SeedData, bundle: ReportBundle | None) -> list[SeedProblem]:
    shown = _shown(path)
    try:
        content = parse_file(path, shown)
    except SeedError as exc:
        if bundle is not None:
            bundle.unreadable = True
        return exc.problems
    allowed = ", ".join(schema.fields)
    if content is None:
        return [SeedProblem(shown, None, "the file is empty")]
    if not isinstance(content, LineMap):
        return [SeedProblem(shown, 1, f"the file must be a mapping with the keys {allowed}")]
    file_problems: dict[str, SeedProblem] = {}
    sections: dict[str, Any] = {}
    for key, raw in content.items():
        line = content.key_lines[key]
        if key not in schema.fields:
            file_problems[key] = SeedProblem(shown, line, f"unknown section {key!r} (allowed here: {allowed})")
        elif raw is None:
            file_problems[key] = SeedProblem(shown, line, f"section {key!r} is empty")
        elif key == "report" and bundle is not None and bundle.report_file is not None:
            reason = f"a second 'report:' section in {bundle.folder} (the first is in {bundle.report_file})"
            file_problems[key] = SeedProblem(shown, line, reason)
        else:
            sections[key] = raw
            if key == "report" and bundle is not None:
                bundle.report_file = shown
    try:
        loaded = schema.load(sections)
    except ValidationError as exc:
        problems: list[SeedProblem] = []
        for key in content:  # in the file's order
            if key in file_problems:
                problems.append(file_problems[key])
            elif key in exc.messages:
                problems += locate({key: exc.messages[key]}, content, schema, shown, 1)
        return problems
    _stamp(loaded, shown)
    data.departments.extend(loaded.get("departments", ()))
    if bundle is not None:
        bundle.report = loaded.get("report", bundle.report)
        for key in ("recommendations", "practices", "indicators", "action_items"):
            getattr(bundle, key).extend(loaded.get(key, ()))
    return list(file_problems.values())


def _stamp(value: Any, file: str) -> None:
    """Tell every record loaded from a file which file it is in."""
    if isinstance(value, Record):
        value.file = file
    children = value.values() if isinstance(value, Mapping) else value if isinstance(value, (list, tuple)) else ()
    for inner in children:
        _stamp(inner, file)


# --- marshmallow's messages, placed -------------------------------------------------------------------


def locate(messages: Any, raw: Any, schema: Schema, file: str, line: int) -> list[SeedProblem]:
    """marshmallow's ``messages`` for ``raw`` (loaded with ``schema``) as problems with lines.

    ``line`` is where ``raw`` is written (for a value that is not a mapping, the line of its key).
    """
    noun = getattr(schema, "noun", "")
    label = label_of(noun, raw)
    if not isinstance(raw, LineMap):  # only the record's own "not a mapping" message
        return [SeedProblem(file, line, _say(m, label, "")) for m in messages.get(SCHEMA, ())]
    problems = [SeedProblem(file, raw.line, _say(m, label, "")) for m in messages.get(SCHEMA, ())]
    for key in raw:
        if key in messages and key not in schema.fields:
            reason = f"unknown key {key!r} in {label} (allowed: {', '.join(schema.fields)})"
            problems.append(SeedProblem(file, raw.key_lines[key], reason))
    for name, spec in schema.fields.items():
        if name not in messages:
            continue
        found, at = messages[name], raw.key_lines.get(name, raw.line)
        if isinstance(found, dict) and isinstance(spec, Records):
            for index, inner in found.items():
                problems += locate(inner, raw[name][index], spec.schema, file, at)
        elif isinstance(found, dict) and isinstance(spec, fields.Nested):
            problems += locate(found, raw[name], spec.schema, file, at)
        else:
            problems += [SeedProblem(file, at, _say(m, label, name)) for m in found]
    return problems


def _say(message: str, label: str, key: str) -> str:
    """The message with its subject: the field ("report 'x': title_zh") or the record."""
    if message.startswith(FIELD):
        return (f"{label}: {key}" if label else key) + message[len(FIELD) :]
    if message.startswith(RECORD):
        return label + message[len(RECORD) :]
    return f"{label or key}: {message}"  # pragma: no cover - every seed message names its subject
