"""The translation catalog as the tests see it, through Babel's API.

The catalog is standard gettext: ``make i18n-extract`` (pybabel extract, babel.cfg) writes
translations/messages.pot, ``make i18n-update`` (pybabel update) brings
translations/zh_Hant_TW/LC_MESSAGES/messages.po up to date with it, ``make translations``
(pybabel compile) writes messages.mo. These helpers extract, read, compile and check the
same files the same way, so that the suite fails while a msgid lacks a translation.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
# Babel's name for zh_TW (Locale.parse("zh_TW") is zh_Hant_TW): the directory Flask-Babel reads.
CATALOG_LOCALE = "zh_Hant_TW"
CATALOG_DIR = TRANSLATIONS / CATALOG_LOCALE / "LC_MESSAGES"
PO = CATALOG_DIR / "messages.po"
MO = CATALOG_DIR / "messages.mo"
MAPPING = ROOT / "babel.cfg"

# The Makefile's I18N_KEYWORDS (tests/test_i18n.py checks they agree).
EXTRA_KEYWORDS: dict[str, Any] = {
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
# The Makefile's --ignore-dirs (templates/_macros must not be skipped, as pybabel's default would).
IGNORED_DIRS = {"__pycache__", "node_modules", "static"}

# %(name)s, %s, %d ... but not a literal "%%".
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")


@dataclass
class Missing:
    msgid: Any
    context: str | None
    locations: list[tuple[str, int]]


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid in code and templates with its locations, as ``make i18n-extract`` finds them."""
    with MAPPING.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))
    catalog = Catalog(charset="utf-8", fuzzy=False)
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
    return not (name.startswith(".") or name in IGNORED_DIRS)


def read(path: Path = PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def strings(message: Message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, (list, tuple)) else (value or "",)


def translated(message: Message | None) -> bool:
    return message is not None and not message.fuzzy and all(strings(message))


def missing(wanted: Catalog, catalog: Catalog) -> list[Missing]:
    """Msgids of ``wanted`` without a non-empty, non-fuzzy translation in ``catalog``."""
    return [
        Missing(m.id, m.context, list(m.locations))
        for m in wanted
        if m.id and not translated(catalog.get(m.id, m.context))
    ]


def placeholders(text: str) -> list[str]:
    return sorted(m.group(1) or m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", "")))


def placeholder_problems(catalog: Catalog) -> list[str]:
    """Translations whose %(name)s placeholders differ from their msgid's (a page would crash)."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        expected = placeholders(ids[-1])
        for text in strings(message):
            found = placeholders(text)
            if text and found != expected:
                # A plural singular may drop the count ("一項" for "1 item").
                if isinstance(message.id, (list, tuple)) and set(found) <= set(expected):
                    continue
                problems.append(f"{message.id!r}: {expected} in the msgid, {found} in {text!r}")
    return problems


def compile_mo(po: Path = PO, mo: Path = MO) -> Path:
    """messages.po -> messages.mo (as pybabel compile), unless the .mo is already newer.

    Written through a temporary file and a rename, so parallel test workers never read half a file.
    """
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo
    buf = io.BytesIO()
    write_mo(buf, read(po), use_fuzzy=False)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return mo
