"""OpenDocument (ODF, CNS 15251) pieces shared by the ODT and ODS writers (odt.py, ods.py):
namespaces, elements built from XML snippets, text content with ODF's white-space rules,
language and font declarations, the page set-up and saving.

odfdo owns the package: the template, styles.xml, the manifest, the picture, the
metadata and saving. The body is written as ODF elements with lxml into odfdo's tree,
because odfdo builds each cell by parsing an XML snippet (about 2 ms a row) and
re-indexes every table on save — 10,000 items took 25 s that way; the same elements
appended directly take well under a second.
"""

from __future__ import annotations

import io
import re
from typing import Any

from lxml import etree

from .streaming import xml_escape

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}
FONT = "Noto Sans CJK TC"


def q(name: str) -> str:
    """'text:p' -> '{urn:...text:1.0}p' (Clark notation for lxml)."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


_XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())


def _el(xml: str) -> Any:
    """An odfdo element from an XML snippet written with the usual ODF prefixes."""
    from odfdo import Element

    root = etree.fromstring(f"<wrap {_XMLNS}>{xml}</wrap>")
    for tp in root.iter(q("style:text-properties")):
        _mirror_asian(tp)
    return Element.from_tag(root[0])


def _mirror_asian(tp: Any) -> None:
    """ODF sizes Latin and CJK text separately: give 漢字 the same size, weight and style."""
    for prop in ("font-size", "font-weight", "font-style"):
        value = tp.get(q(f"fo:{prop}"))
        if value is not None:
            tp.set(q(f"style:{prop}-asian"), value)
            tp.set(q(f"style:{prop}-complex"), value)


def _add_text(parent: Any, text: str) -> None:
    """Text into a text:p / text:h: newlines become line breaks, tabs and runs of spaces
    are kept (ODF collapses plain white space). For the few elements built as trees."""
    last = None

    def put(s: str) -> None:
        if not s:
            return
        if last is None:
            parent.text = (parent.text or "") + s
        else:
            last.tail = (last.tail or "") + s

    def child(tag: str, **attrs: str) -> None:
        nonlocal last
        last = etree.SubElement(parent, q(tag), {q(k): v for k, v in attrs.items()})

    text = _xml_safe(text)
    for k, line in enumerate(text.split("\n")):
        if k:
            child("text:line-break")
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\t":
                child("text:tab")
                i += 1
            elif ch == " " and i + 1 < len(line) and line[i + 1] == " ":
                j = i
                while j < len(line) and line[j] == " ":
                    j += 1
                put(" ")
                child("text:s", **{"text:c": str(j - i - 1)})
                i = j
            else:
                j = i
                while (
                    j < len(line)
                    and line[j] != "\t"
                    and not (line[j] == " " and j + 1 < len(line) and line[j + 1] == " ")
                ):
                    j += 1
                put(line[i:j])
                i = j


_SPACES = re.compile(r"  +")


def odf_text(text: str) -> str:
    """Text as the XML content of a text:p (string form of ``_add_text``, for streamed rows)."""
    out = xml_escape(text)
    if "  " in out:
        out = _SPACES.sub(lambda m: f' <text:s text:c="{len(m.group(0)) - 1}"/>', out)
    if "\t" in out:
        out = out.replace("\t", "<text:tab/>")
    if "\n" in out or "\r" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<text:line-break/>")
    return out


def _xml_safe(text: str) -> str:
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


def _lang_attrs(locale: str) -> dict[str, str]:
    lang, country = ("zh", "TW") if locale == "zh_TW" else ("en", "US")
    return {
        "fo:language": lang,
        "fo:country": country,
        "style:language-asian": "zh",
        "style:country-asian": "TW",
        "style:font-name": FONT,
        "style:font-name-asian": FONT,
        "style:font-name-complex": FONT,
    }


def _lang_props(locale: str) -> str:
    return " ".join(f'{k}="{v}"' for k, v in _lang_attrs(locale).items())


def _font_decls(doc: Any) -> None:
    from odfdo.const import ODF_CONTENT, ODF_STYLES

    for part in (ODF_CONTENT, ODF_STYLES):
        root = doc.get_part(part).root._xml_element
        decls = root.find(q("office:font-face-decls"))
        if decls is None:
            decls = etree.Element(q("office:font-face-decls"))
            root.insert(1 if root.find(q("office:scripts")) is not None else 0, decls)
        etree.SubElement(
            decls,
            q("style:font-face"),
            {
                q("style:name"): FONT,
                q("svg:font-family"): f"'{FONT}'",
                q("style:font-family-generic"): "swiss",
                q("style:font-pitch"): "variable",
            },
        )


def _page_setup(doc: Any, footer: str, landscape: bool) -> None:
    """A4 landscape and a 'Page X of Y' footer on the template's default master page."""
    master = doc.get_styles("master-page")[0]
    layout = doc.get_style("page-layout", master.get_attribute("style:page-layout-name"))._xml_element
    props = layout.find(q("style:page-layout-properties"))
    w, h = ("29.7cm", "21cm") if landscape else ("21cm", "29.7cm")
    for k, v in {
        "fo:page-width": w,
        "fo:page-height": h,
        "style:print-orientation": "landscape" if landscape else "portrait",
        "fo:margin-top": "1.5cm",
        "fo:margin-bottom": "1.2cm",
        "fo:margin-left": "1.8cm",
        "fo:margin-right": "1.8cm",
    }.items():
        props.set(q(k), v)
    fs = layout.find(q("style:footer-style"))
    if fs is None:
        fs = etree.SubElement(layout, q("style:footer-style"))
    for old in list(fs):
        fs.remove(old)
    etree.SubElement(
        fs, q("style:header-footer-properties"), {q("fo:min-height"): "0.6cm", q("fo:margin-top"): "0.3cm"}
    )
    master = master._xml_element
    for old in master.findall(q("style:footer")):
        master.remove(old)
    f = etree.SubElement(master, q("style:footer"))
    p = etree.SubElement(f, q("text:p"), {q("text:style-name"): "SummaryFooter"})
    before, _, rest = footer.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    p.text = before
    num = etree.SubElement(p, q("text:page-number"), {q("text:select-page"): "current"})
    num.text = "1"
    num.tail = middle
    cnt = etree.SubElement(p, q("text:page-count"))
    cnt.text = "1"
    cnt.tail = after


def _save(document: Any) -> bytes:
    # Every table written here declares its columns; odfdo's save-time normalize_tables
    # would re-read each row through its table cache (seconds at 10,000 items) to
    # conclude the same, so it is skipped for this document only.
    document.normalize_tables = lambda: None
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
