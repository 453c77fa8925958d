"""Table rows streamed into an office package (ODT, ODS, DOCX) after it is saved.

An XML tree of 10,000 table rows costs several hundred MB in lxml (and python-docx or
odfdo on top). The writers therefore save the package with an XML comment marker where
each table's body rows go, then this module copies the package and, in the one XML part
that holds the markers, writes the rows as text produced one at a time. Memory stays flat
whatever the number of rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping

_MARKER = re.compile(r"<!--ROWS:(\d+)-->")


def marker(n: int) -> str:
    """The comment text (without <!-- -->) a writer inserts where table ``n``'s rows go."""
    return f"ROWS:{n}"


def splice(package: bytes, part: str, rows: Mapping[int, Callable[[], Iterable[str]]]) -> bytes:
    """A copy of the zip ``package`` in which every <!--ROWS:n--> in ``part`` is replaced by
    the strings of ``rows[n]()``; other entries are copied unchanged, in order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info, zin.read(info.filename))
                continue
            xml = zin.read(info.filename).decode("utf-8")
            target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(target, "w") as fh:
                pos = 0
                buf: list[str] = []
                size = 0
                for m in _MARKER.finditer(xml):
                    fh.write(xml[pos : m.start()].encode("utf-8"))
                    for chunk in rows[int(m.group(1))]():
                        buf.append(chunk)
                        size += len(chunk)
                        if size > 1 << 16:
                            fh.write("".join(buf).encode("utf-8"))
                            buf.clear()
                            size = 0
                    if buf:
                        fh.write("".join(buf).encode("utf-8"))
                        buf.clear()
                        size = 0
                    pos = m.end()
                fh.write(xml[pos:].encode("utf-8"))
    return out.getvalue()


_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_escape(text: str) -> str:
    """Text content escaped for XML 1.0, with characters XML cannot hold removed."""
    text = _BAD_CHARS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
