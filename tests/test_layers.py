"""Every import points down (ARCHITECTURE.md, "Layers"): web / api / cli → exports → services →
models → the small foundations. Read from the source (every import statement, also those inside
functions), so an upward import fails here before it turns into an import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

# Layer of each top-level part of the package; a module may import its own layer and the ones below.
LAYERS = {
    "web": 4,
    "api": 4,
    "cli": 4,
    "cli_drafting": 4,
    "exports": 3,
    "services": 2,
    "models": 1,
}
FOUNDATION = 0  # dates, periods, numbers, inputs, errors, extensions, charts, locale …
TOP = 5  # the application factory (tracker/__init__.py) knows every layer


def _layer(parts: tuple[str, ...]) -> int:
    if not parts:
        return TOP
    return LAYERS.get(parts[0], FOUNDATION)


def _module_parts(path: Path) -> tuple[str, ...]:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> list[tuple[tuple[str, ...], int]]:
    """(imported module inside ``tracker`` as parts, line) for each import of the file."""
    here = _module_parts(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + tuple(node.module.split(".")) if node.module else base
            elif node.module and node.module.split(".")[0] == "tracker":
                target = tuple(node.module.split(".")[1:])
            else:
                continue
            if node.module is None:  # from . import a, b: each name is a module of the package
                found.extend((target + (alias.name,), node.lineno) for alias in node.names)
            else:
                found.append((target, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tracker":
                    found.append((tuple(alias.name.split(".")[1:]), node.lineno))
    return found


def test_every_import_points_down():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _module_parts(path)
        if not here:
            continue  # create_app
        mine = _layer(here)
        for target, line in _imports(path):
            if target and _layer(target) > mine:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports tracker.{'.'.join(target)}")
    assert upward == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The reader above finds relative, absolute and in-function imports (so the test can fail)."""
    probe = PACKAGE / "services" / "progress.py"
    assert (("web", "nav"), 1) not in _imports(probe)
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from ..web import nav\n", encoding="utf-8")
    tree = ast.parse(fake.read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert node.level == 2 and node.module == "web"
    assert _layer(("web", "nav")) > _layer(("services", "progress")) > _layer(("models",)) > _layer(("dates",))
