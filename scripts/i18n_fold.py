#!/usr/bin/env python3
"""Fold the translations of a PO fragment into the catalog (``make i18n-fold F=...``).

    python scripts/i18n_fold.py translations/src/pages.po translations/zh_Hant_TW/LC_MESSAGES/messages.po

Every translated, non-fuzzy message of the fragment is added to the catalog, or replaces
the catalog's translation of the same msgid (and context); an obsolete catalog entry comes
back to life. Nothing else in the catalog changes. A translation whose placeholders
(%(name)s, %s ...) differ from its msgid's is refused: it would break the page at run time.
Exit status 1 if anything was refused. Run ``make i18n-update`` afterwards for locations.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

# %(name)s, %s, %d ... but not a literal "%%".
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")


def placeholders(text: str) -> list[str]:
    return sorted(m.group(1) or m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", "")))


def strings(message: Message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, (list, tuple)) else (value or "",)


def placeholder_problem(message: Message) -> str | None:
    """Why a translation's placeholders do not match its msgid's (a plural singular may drop the count)."""
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    expected = placeholders(ids[-1])
    for text in strings(message):
        found = placeholders(text)
        if text and found != expected:
            if isinstance(message.id, (list, tuple)) and set(found) <= set(expected):
                continue
            return f"{message.id!r}: placeholders {expected} in the msgid but {found} in {text!r}"
    return None


def fold(fragment_path: Path, catalog_path: Path) -> int:
    with fragment_path.open("rb") as fh:
        fragment = read_po(fh)
    with catalog_path.open("rb") as fh:
        catalog = read_po(fh)
    added = changed = revived = same = 0
    refused: list[str] = []
    for message in fragment:
        if not message.id or message.fuzzy or not all(strings(message)):
            continue
        problem = placeholder_problem(message)
        if problem:
            refused.append(problem)
            continue
        key = catalog._key_for(message.id, message.context)
        existing = catalog.get(message.id, message.context)
        if existing is None and key in catalog.obsolete:
            del catalog.obsolete[key]
            revived += 1
        elif existing is None:
            added += 1
        elif strings(existing) == strings(message) and not existing.fuzzy:
            same += 1
            continue
        else:
            changed += 1
            print(f"changed: {message.id!r}: {existing.string!r} -> {message.string!r}")
        if existing is not None:
            existing.string = message.string
            existing.flags.discard("fuzzy")
        else:
            catalog[message.id] = Message(message.id, message.string, context=message.context)
    with catalog_path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for problem in refused:
        print(f"refused: {problem}", file=sys.stderr)
    print(
        f"{fragment_path}: {added} added, {changed} changed, {revived} revived, {same} already there, "
        f"{len(refused)} refused -> {catalog_path}"
    )
    return 1 if refused else 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    return fold(Path(argv[0]), Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
