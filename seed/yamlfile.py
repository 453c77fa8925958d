"""Reading one seed YAML file: PyYAML's safe loader, plus the line of every mapping and key.

Duplicate keys, keys that are not text and impossible dates (2016-02-30) are refused while
parsing, with the line PyYAML stopped at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from seed.errors import SeedError, SeedProblem

__all__ = ["LineMap", "parse_file"]


class LineMap(dict):
    """A YAML mapping that remembers its own line and the line of each key (both 1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, plus line numbers, duplicate-key and bad-date errors."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
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


def parse_file(path: Path, shown: str) -> Any:
    """The file's content, or SeedError (named ``shown``) with the line PyYAML stopped at."""
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
