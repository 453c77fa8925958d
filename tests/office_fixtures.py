"""Legacy Office (OLE2 / Compound File Binary) test files.

* ``FIXTURES``: real files made once with LibreOffice (``soffice --convert-to doc`` /
  ``xls``) from a line of text and a two-row CSV, committed under tests/fixtures/office/ as
  test data (a few KB each).
* ``ole_file(tree)``: a minimal Compound File written here, for what LibreOffice cannot make
  on this machine: a .ppt ("PowerPoint Document" stream) and documents carrying a VBA
  project (the storages and streams Office writes for macros: ``Macros/VBA/dir``,
  ``_VBA_PROJECT_CUR/VBA/_VBA_PROJECT``...). Every stream is padded to 4,096 bytes so
  it lives in regular 512-byte sectors (no mini stream); the layout follows [MS-CFB] v3.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Union

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "office"

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512
MIN_STREAM = 4096  # the mini-stream cutoff: larger streams use regular sectors

Tree = dict[str, Union[bytes, "Tree"]]  # name -> stream bytes or a sub-storage


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ole_file(tree: Tree) -> bytes:
    """A Compound File holding ``tree`` (storages are dicts, streams bytes)."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "children": []}]
    streams: list[tuple[int, bytes]] = []

    def add(node: Tree, parent: int) -> None:
        for name, value in node.items():
            index = len(entries)
            if isinstance(value, dict):
                entries.append({"name": name, "type": 1, "children": []})
                entries[parent]["children"].append(index)
                add(value, index)
            else:
                data = value + b"\x00" * max(0, MIN_STREAM - len(value))
                entries.append({"name": name, "type": 2, "children": [], "size": len(data)})
                entries[parent]["children"].append(index)
                streams.append((index, data))

    add(tree, 0)
    dir_sectors = -(-len(entries) * 128 // SECTOR)
    fat = [FATSECT] + [i + 2 if i + 1 < dir_sectors else ENDOFCHAIN for i in range(dir_sectors)]
    next_sector = 1 + dir_sectors
    body = b""
    for index, data in streams:
        n = -(-len(data) // SECTOR)
        entries[index]["start"] = next_sector
        fat += [next_sector + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
        next_sector += n
        body += data + b"\x00" * (n * SECTOR - len(data))
    if len(fat) > SECTOR // 4:
        raise ValueError("test file too large for one FAT sector")
    fat += [FREESECT] * (SECTOR // 4 - len(fat))

    # Siblings as a chain through the right pointers (a valid, if unbalanced, tree).
    for e in entries:
        kids = e["children"]
        e["child"] = kids[0] if kids else NOSTREAM
        for a, b in zip(kids, kids[1:] + [None], strict=False):
            entries[a]["right"] = b if b is not None else NOSTREAM

    directory = b""
    for e in entries:
        name = e["name"].encode("utf-16-le") + b"\x00\x00"
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            e["type"],
            1,
            NOSTREAM,
            e.get("right", NOSTREAM),
            e["child"],
            b"\x00" * 16,
            0,
            0,
            0,
            e.get("start", ENDOFCHAIN if e["type"] == 5 else 0),
            e.get("size", 0),
        )
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0)
    while len(directory) % SECTOR:
        directory += empty

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        1,
        1,
        0,
        MIN_STREAM,
        ENDOFCHAIN,
        0,
        ENDOFCHAIN,
        0,
    )
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    assert len(header) == SECTOR
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + body


def ppt_bytes() -> bytes:
    return ole_file({"Current User": b"\x00" * 20, "PowerPoint Document": b"\x00" * 100})


def doc_with_macros() -> bytes:
    """A Word 97 document with a VBA project (as Word stores it: Macros/VBA, Macros/PROJECT)."""
    return ole_file(
        {
            "WordDocument": b"\xec\xa5" + b"\x00" * 100,
            "1Table": b"\x00" * 100,
            "Macros": {
                "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nModule=Module1\r\n',
                "VBA": {"dir": b"\x01" * 64, "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00", "Module1": b"\x00" * 64},
            },
        }
    )


def xls_with_macros() -> bytes:
    """An Excel 97 workbook with a VBA project (_VBA_PROJECT_CUR/VBA)."""
    return ole_file(
        {
            "Workbook": b"\x09\x08" + b"\x00" * 100,
            "_VBA_PROJECT_CUR": {
                "PROJECT": b"Module=Module1\r\n",
                "VBA": {"dir": b"\x01" * 64, "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00"},
            },
        }
    )
