#!/usr/bin/env python3
"""Translation pipeline: extract msgids, merge the per-area zh-TW fragments, compile, check.

    python scripts/i18n.py extract        # code + templates -> translations/messages.pot
    python scripts/i18n.py compile        # translations/src/*.po -> zh_TW/LC_MESSAGES/messages.{po,mo}
    python scripts/i18n.py check          # every extracted msgid has a zh-TW translation (exit 1 if not)
    python scripts/i18n.py check --po     # ... and print PO stubs for the missing ones

Each engineer keeps the translations of the msgids they add in their own fragment,
``translations/src/<area>.po``. ``compile`` merges them: the same msgid translated
differently in two fragments is a conflict and is reported (the first fragment in
file-name order wins, and the command exits 1 unless ``--allow-conflicts``), never
silently overridden. A translation whose %(name)s placeholders differ from its msgid's
would crash or garble a page at run time, so it is rejected the same way.

Babel resolves the locale "zh_TW" to "zh_Hant_TW" and looks the catalog up under that
name; ``compile`` therefore keeps ``translations/zh_Hant_TW`` as a link (or copy) of
``translations/zh_TW``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileParser, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SRC = TRANSLATIONS / "src"
POT = TRANSLATIONS / "messages.pot"
LOCALE = "zh_TW"
CATALOG_DIR = TRANSLATIONS / LOCALE / "LC_MESSAGES"
# Babel's likely-subtags expansion: Locale.parse("zh_TW") is zh_Hant_TW.
LOCALE_ALIASES = ("zh_Hant_TW",)
MAPPING = ROOT / "babel.cfg"
PROJECT = "Policy Benchmark Tracker"

KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}

# %(name)s, %s, %d ... but not a literal "%%".
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")


Key = tuple[Any, str | None]


@dataclass
class Problem:
    kind: str  # "conflict" | "placeholder" | "duplicate"
    msgid: Any
    message: str


@dataclass
class MergeResult:
    catalog: Catalog
    origins: dict[Key, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    fragments: list[Path] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Problem]:
        return [p for p in self.problems if p.kind in ("conflict", "duplicate")]


@dataclass
class Missing:
    msgid: Any
    context: str | None
    locations: list[tuple[str, int]]
    auto_comments: list[str]


# --------------------------------------------------------------------- extract


def extract_catalog(root: Path = ROOT, mapping: Path = MAPPING) -> Catalog:
    """Every msgid in code and templates, with its locations (reads babel.cfg)."""
    with mapping.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(mapping))
    catalog = Catalog(project=PROJECT, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
        directory_filter=_directory_filter,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _directory_filter(dirpath: str) -> bool:
    name = os.path.basename(dirpath)
    return not (name.startswith(".") or name in {"__pycache__", "node_modules", "static"})


def cmd_extract(_args: argparse.Namespace) -> int:
    catalog = extract_catalog()
    _atomic_write(POT, _po_bytes(catalog, sort_by_file=True))
    print(f"{len(catalog)} msgids written to {_rel(POT)}")
    return 0


# --------------------------------------------------------------------- merge


class _FragmentCatalog(Catalog):
    """A catalog that remembers msgids defined twice in the same file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[tuple[Any, str, str]] = []

    def __setitem__(self, id: Any, message: Message) -> None:  # noqa: A002 - Babel's name
        if id and id in self:
            old = self[id]
            if _strings(old) != _strings(message):
                self.duplicates.append((id, _show(old.string), _show(message.string)))
        super().__setitem__(id, message)


def read_fragment(path: Path) -> _FragmentCatalog:
    catalog = _FragmentCatalog(locale=LOCALE, charset="utf-8")
    with path.open("rb") as fh:
        PoFileParser(catalog, ignore_obsolete=True).parse(fh)
    return catalog


def fragment_paths(src: Path | None = None) -> list[Path]:
    return sorted(p for p in (src or SRC).glob("*.po") if p.is_file())


def merge_fragments(src: Path | None = None) -> MergeResult:
    """Merge every fragment into one zh-TW catalog, collecting conflicts and bad placeholders."""
    merged = Catalog(
        locale=LOCALE,
        project=PROJECT,
        charset="utf-8",
        fuzzy=False,
        language_team="Tainan City Government <tracker@localhost>",
    )
    result = MergeResult(catalog=merged, fragments=fragment_paths(src))
    for path in result.fragments:
        name = path.name
        fragment = read_fragment(path)
        for msgid, old, new in fragment.duplicates:
            result.problems.append(
                Problem("duplicate", msgid, f"{name}: {_show(msgid)!r} appears twice ({old!r} / {new!r})")
            )
        for message in fragment:
            if not message.id:
                continue  # the header
            bad = _placeholder_mismatch(message)
            if bad:
                result.problems.append(Problem("placeholder", message.id, f"{name}: {bad}"))
                continue
            key: Key = (message.id, message.context)
            existing = merged.get(message.id, message.context)
            if existing is None or not _translated(existing):
                if existing is not None:
                    merged.delete(message.id, message.context)
                merged[message.id] = Message(
                    message.id,
                    message.string,
                    locations=[(name, 0)] if message.string else [],
                    flags=message.flags,
                    context=message.context,
                )
                result.origins[key] = name
                continue
            if _translated(message) and _strings(existing) != _strings(message):
                result.problems.append(
                    Problem(
                        "conflict",
                        message.id,
                        f"{_show(message.id)!r}: {result.origins.get(key)} says {_show(existing.string)!r}, "
                        f"{name} says {_show(message.string)!r} (kept the first)",
                    )
                )
    return result


def _strings(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(s) if isinstance(s, (list, tuple)) else (s or "",)


def _translated(message: Message) -> bool:
    return not message.fuzzy and all(_strings(message)) and bool(_strings(message))


def _show(value: Any) -> str:
    return " | ".join(value) if isinstance(value, (list, tuple)) else str(value or "")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(1) or m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", "")))


def _placeholder_mismatch(message: Message) -> str | None:
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    expected = _placeholders(ids[-1])
    for s in _strings(message):
        if s and _placeholders(s) != expected:
            # A plural singular may drop the count (e.g. "一項" for "1 item").
            if isinstance(message.id, (list, tuple)) and set(_placeholders(s)) <= set(expected):
                continue
            return f"{_show(message.id)!r}: placeholders {expected} in the msgid but {_placeholders(s)} in {s!r}"
    return None


# --------------------------------------------------------------------- compile


def vendor_catalogs() -> list[Path]:
    """Libraries' own zh-TW catalogs merged in as defaults (our fragments win).

    WTForms ships Traditional Chinese validator messages, but Flask-WTF looks them up as
    zh_Hant_TW and falls back to its Simplified "zh" catalog; with them in our catalog a
    form whose Meta uses Flask-Babel's translations shows 此欄位為必填。 instead.
    """
    try:
        import wtforms
    except ImportError:  # pragma: no cover - WTForms is a runtime dependency
        return []
    po = Path(wtforms.__file__).parent / "locale" / LOCALE / "LC_MESSAGES" / "wtforms.po"
    return [po] if po.is_file() else []


def _add_defaults(catalog: Catalog, paths: Iterable[Path]) -> int:
    added = 0
    for path in paths:
        for message in read_fragment(path):
            if (
                message.id
                and catalog.get(message.id, message.context) is None
                and _translated(message)
                and not _placeholder_mismatch(message)
            ):
                catalog[message.id] = Message(message.id, message.string, context=message.context, flags=message.flags)
                added += 1
    return added


def compile_catalog(allow_conflicts: bool = True, quiet: bool = False) -> MergeResult:
    """Merge the fragments (plus vendor defaults) and write zh_TW messages.po and .mo atomically."""
    result = merge_fragments()
    catalog = result.catalog
    _add_defaults(catalog, vendor_catalogs())
    catalog.revision_date = datetime.now(UTC)
    CATALOG_DIR.mkdir(parents=True, exist_ok=True)
    _atomic_write(CATALOG_DIR / "messages.po", _po_bytes(catalog))
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    _atomic_write(CATALOG_DIR / "messages.mo", buf.getvalue())
    _ensure_aliases()
    if not quiet:
        n = sum(1 for m in catalog if m.id and _translated(m))
        print(f"{n} translations from {len(result.fragments)} fragment(s) -> {_rel(CATALOG_DIR / 'messages.mo')}")
    for problem in result.problems:
        print(f"{problem.kind}: {problem.message}", file=sys.stderr)
    if result.problems and not allow_conflicts:
        print(f"{len(result.problems)} problem(s) in translations/src: fix the fragments.", file=sys.stderr)
    return result


def _ensure_aliases() -> None:
    for alias in LOCALE_ALIASES:
        link = TRANSLATIONS / alias
        if link.is_symlink() or link.exists():
            if link.is_symlink() or not link.is_dir():
                continue
            # A copied directory (no symlink support): refresh the copy.
            target = link / "LC_MESSAGES"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CATALOG_DIR / "messages.mo", target / "messages.mo.tmp")
            os.replace(target / "messages.mo.tmp", target / "messages.mo")
            continue
        try:
            link.symlink_to(LOCALE, target_is_directory=True)
        except FileExistsError:
            pass  # another process made it first
        except OSError:
            (link / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
            shutil.copy2(CATALOG_DIR / "messages.mo", link / "LC_MESSAGES" / "messages.mo")


def cmd_compile(args: argparse.Namespace) -> int:
    result = compile_catalog(allow_conflicts=args.allow_conflicts)
    return 1 if result.problems and not args.allow_conflicts else 0


# --------------------------------------------------------------------- check


def missing_translations(extracted: Catalog | None = None, merged: Catalog | None = None) -> list[Missing]:
    """Msgids used in code or templates that have no non-empty, non-fuzzy zh-TW translation."""
    extracted = extracted if extracted is not None else extract_catalog()
    merged = merged if merged is not None else merge_fragments().catalog
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = merged.get(message.id, message.context)
        if found is None or not _translated(found):
            missing.append(Missing(message.id, message.context, list(message.locations), list(message.auto_comments)))
    return missing


def unused_translations(extracted: Catalog, merged: Catalog) -> list[Any]:
    used = {(m.id, m.context) for m in extracted if m.id}
    return [m.id for m in merged if m.id and (m.id, m.context) not in used]


def cmd_check(args: argparse.Namespace) -> int:
    extracted = extract_catalog()
    result = merge_fragments()
    missing = missing_translations(extracted, result.catalog)
    for problem in result.problems:
        print(f"{problem.kind}: {problem.message}", file=sys.stderr)
    if args.po:
        stub = Catalog(locale=LOCALE, charset="utf-8")
        for m in missing:
            stub.add(
                m.msgid,
                ("", "") if isinstance(m.msgid, (list, tuple)) else "",
                locations=m.locations,
                context=m.context,
            )
        sys.stdout.write(_po_bytes(stub, omit_header=True).decode("utf-8"))
    else:
        for m in missing:
            where = ", ".join(f"{f}:{n}" for f, n in m.locations[:3])
            print(f"missing: {_show(m.msgid)!r}{f' (context {m.context})' if m.context else ''}  [{where}]")
    if args.unused:
        for msgid in unused_translations(extracted, result.catalog):
            print(f"unused: {_show(msgid)!r}")
    total = sum(1 for m in extracted if m.id)
    print(
        f"{total} msgids, {len(missing)} without a zh-TW translation, {len(result.problems)} fragment problem(s)",
        file=sys.stderr,
    )
    return 1 if missing or result.problems else 0


# --------------------------------------------------------------------- helpers


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _po_bytes(catalog: Catalog, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, **kwargs)
    return buf.getvalue()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so parallel test workers never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the catalog is not secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write translations/messages.pot").set_defaults(func=cmd_extract)
    p = sub.add_parser("compile", help="merge translations/src/*.po and compile messages.mo")
    p.add_argument(
        "--allow-conflicts", action="store_true", help="exit 0 even if fragments disagree (the first fragment wins)"
    )
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("check", help="fail if a msgid has no zh-TW translation")
    p.add_argument("--po", action="store_true", help="print PO stubs for the missing msgids")
    p.add_argument("--unused", action="store_true", help="also list translations no code uses")
    p.set_defaults(func=cmd_check)
    args = parser.parse_args(list(argv) if argv is not None else None)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
