"""PDF writer of the annual summary: fpdf2 with a small layout engine of our own.

Why not WeasyPrint or LibreOffice (measured, docs/exports.md): both lay tables out far
too slowly for the 10,000-item case — WeasyPrint about 9 ms per table row (90 s and
well over 1 GB for 10,000 rows), LibreOffice converting the ODT 6.5 s for 500 rows and
minutes for 10,000. Here fpdf2 does what it is good at (embedding a subset of the Noto
Sans CJK TC font, pages, pictures, outline, metadata) and this module does the layout:
line breaking with a per-character width cache (break anywhere between 漢字, at spaces in
Latin text, never before closing punctuation), tables with header rows repeated on
every page and rows split across pages only when taller than a page.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import ExportError
from .summary import (
    INT,
    MONEY,
    NUM,
    PCT,
    Cover,
    Fields,
    Heading,
    Image,
    PageBreak,
    Para,
    SummaryDocument,
    Table,
    cell_text,
)

FAMILY = "Noto Sans CJK TC"
# Debian's fonts-noto-cjk ships Traditional Chinese as face 3 of these collections.
FALLBACK_FONTS = {
    "": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),
    "B": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 3),
}

PAGE_W, PAGE_H = 841.89, 595.28  # A4 landscape, points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 48.0, 44.0, 46.0
CONTENT_W = PAGE_W - 2 * MARGIN_X
BOTTOM = PAGE_H - MARGIN_BOTTOM
TEXT_COLOR = (31, 41, 55)
MUTED = (75, 85, 99)
RULE = (156, 163, 175)
HEAD_FILL = (229, 231, 235)

# No line may start with these (Taiwanese and Latin closing punctuation).
NO_LINE_START = set("，。、；：！？）」』】》〉％%,.;:!?)]}…—・")
NO_LINE_END = set("（「『【《〈([{")


class FontMissing(ExportError):
    """The CJK font the PDF needs is not installed."""


@lru_cache(maxsize=4)
def find_font(style: str) -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK TC regular ('') or bold ('B'). Raises FontMissing."""
    wanted = "Bold" if style == "B" else "Regular"
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{family}|%{file}|%{index}", f"{FAMILY}:style={wanted}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            family, file, index = out.rsplit("|", 2)
            if FAMILY in family and Path(file).exists():
                return file, int(index)
        except (subprocess.SubprocessError, ValueError, OSError):
            pass
    path, index = FALLBACK_FONTS[style]
    if Path(path).exists():
        return path, index
    raise FontMissing(
        f"The PDF export needs the {FAMILY} font (Debian/Ubuntu package fonts-noto-cjk).",
        field="format",
        code="font_missing",
    )


def _is_wide(ch: str) -> bool:
    o = ord(ch)
    return (
        (0x2E80 <= o <= 0x9FFF)
        or (0xF900 <= o <= 0xFAFF)
        or (0xFF00 <= o <= 0xFFEF)
        or (0x3000 <= o <= 0x303F)
        or (0x20000 <= o <= 0x2FFFF)
    )


@dataclass
class _Style:
    size: float
    bold: bool = False
    color: tuple[int, int, int] = TEXT_COLOR
    leading: float = 1.45


class _Layout:
    """Pages, a cursor and text measurement on top of one fpdf2 document."""

    def __init__(self, doc: SummaryDocument):
        from fpdf import FPDF

        self.doc = doc
        pdf = FPDF(orientation="L", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        for style in ("", "B"):
            path, index = find_font(style)
            pdf.add_font(FAMILY, style=style, fname=path, collection_font_number=index)
        for font in pdf.fonts.values():
            _use_cid_codes(font)
            # Recomputing every glyph's bounding box while saving the subset runs each CFF
            # charstring (seconds per thousand glyphs); the font's own boxes are kept.
            font.ttfont.recalcBBoxes = False
        pdf.set_title(doc.title)
        pdf.set_subject(doc.cover.title.replace("\n", " / "))
        pdf.set_creator("Policy Benchmark Tracker")
        pdf.set_lang(doc.lang)
        self.pdf = pdf
        self._rg = "0 g"
        self.y = MARGIN_TOP
        self._font: tuple[bool, float] | None = None
        self._color: tuple[int, int, int] | None = None
        self._widths: dict[bool, dict[str, float]] = {False: {}, True: {}}
        self._wide: set[str] = set()
        self._wrapped: dict[tuple[str, float, bool, float], list[str]] = {}
        self._encoded: dict[tuple[bool, str], str] = {}

    # --- measurement and wrapping --------------------------------------------------------

    def set_font(self, bold: bool, size: float) -> None:
        if self._font != (bold, size):
            self.pdf.set_font(FAMILY, "B" if bold else "", size)
            self._font = (bold, size)

    def set_color(self, color: tuple[int, int, int]) -> None:
        if self._color != color:
            self.pdf.set_text_color(*color)
            self._color = color
            self._rg = " ".join(f"{c / 255:.3f}" for c in color) + " rg"

    def char_width(self, ch: str, bold: bool) -> float:
        """Width of ``ch`` at 1 pt (cached: a document uses a few thousand distinct characters)."""
        table = self._widths[bold]
        w = table.get(ch)
        if w is None:
            saved = self._font
            self.set_font(bold, 100)
            w = self.pdf.get_string_width(ch) / 100
            if saved:
                self.set_font(*saved)
            table[ch] = w
            if _is_wide(ch):
                self._wide.add(ch)
        return w

    def width(self, text: str, bold: bool, size: float) -> float:
        cw = self._widths[bold]
        total = 0.0
        for ch in text:
            w = cw.get(ch)
            if w is None:
                w = self.char_width(ch, bold)
            total += w
        return total * size

    def wrap(self, text: str, max_w: float, bold: bool, size: float) -> list[str]:
        """Greedy line breaking: after spaces, between wide (CJK) characters, never before
        closing punctuation; a Latin word longer than the line is cut. Memoised: tables
        repeat the same department names, dates and statuses thousands of times."""
        key = (text, max_w, bold, size)
        hit = self._wrapped.get(key)
        if hit is None:
            hit = self._wrap(text, max_w, bold, size)
            if len(text) < 80:
                self._wrapped[key] = hit
        return hit

    def _wrap(self, text: str, max_w: float, bold: bool, size: float) -> list[str]:
        lines: list[str] = []
        cw = self._widths[bold]
        wide = self._wide
        limit = max_w / size
        for para in text.split("\n"):
            if not para:
                lines.append("")
                continue
            start, w, brk, i, n = 0, 0.0, -1, 0, len(para)
            while i < n:
                ch = para[i]
                c = cw.get(ch)
                if c is None:
                    c = self.char_width(ch, bold)
                if w + c > limit and i > start:
                    cut = brk if brk > start else i
                    if cut < n and para[cut] in NO_LINE_START and cut - 1 > start:
                        cut -= 1  # closing punctuation stays with the character before it
                    lines.append(para[start:cut].rstrip(" "))
                    start = cut
                    while start < n and para[start] == " ":
                        start += 1
                    w = self.width(para[start:i], bold, 1.0) if start < i else 0.0
                    brk = -1
                    i = max(i, start)
                    continue
                w += c
                if ch == " ":
                    brk = i + 1
                elif ch in wide:
                    if ch not in NO_LINE_START and i > start and para[i - 1] not in NO_LINE_END:
                        brk = max(brk, i)
                    if ch not in NO_LINE_END and (i + 1 >= n or para[i + 1] not in NO_LINE_START):
                        brk = i + 1
                i += 1
            lines.append(para[start:].rstrip(" "))
        return lines

    # --- drawing primitives (direct content-stream operators: fpdf2's text() and line()
    # cost ~30 µs a call, and a 10,000-item table makes 300,000 of them) -------------------

    def draw_text(self, x: float, y: float, lines: list[str], leading: float) -> None:
        """Lines of text in the current font and colour; (x, y) is the first baseline, top-down."""
        self.pdf._out(self.text_op(x, y, lines, leading))

    def text_op(self, x: float, y: float, lines: list[str], leading: float) -> str:
        """The content-stream operators of ``draw_text`` (a table row joins them into one write)."""
        pdf = self.pdf
        font = pdf.current_font
        if not pdf.current_font_is_set_on_page:
            pdf._out(pdf._set_font_for_page(font, pdf.font_size_pt))
        enc = self._encoded
        bold = self._font[0] if self._font else False
        ops = [f"q {self._rg} BT {x:.2f} {PAGE_H - y:.2f} Td {leading:.2f} TL"]
        for k, line in enumerate(lines):
            code = enc.get((bold, line))
            if code is None:
                code = font.encode_text(line)
                if len(line) < 80:
                    enc[(bold, line)] = code
            ops.append(code if k == 0 else f"T* {code}")
        ops.append("ET Q")
        return " ".join(ops)

    def draw_grid(self, top: float, height: float, xs: list[float], fill: bool = False) -> None:
        self.pdf._out(self.grid_op(top, height, xs, fill))

    @staticmethod
    def grid_op(top: float, height: float, xs: list[float], fill: bool = False) -> str:
        """A row box with its column separators, as one operator string."""
        y0, y1 = PAGE_H - top, PAGE_H - top - height
        ops = [f"{MARGIN_X:.2f} {y1:.2f} {CONTENT_W:.2f} {height:.2f} re {'B' if fill else 'S'}"]
        ops += [f"{x:.2f} {y0:.2f} m {x:.2f} {y1:.2f} l" for x in xs[1:]]
        ops.append("S")
        return " ".join(ops)

    # --- pages -------------------------------------------------------------------------------

    def new_page(self) -> None:
        self.pdf.add_page()
        self._font = None
        self._color = None
        self.y = MARGIN_TOP

    def ensure(self, height: float) -> bool:
        """Start a new page unless ``height`` fits; True if a page was added."""
        if self.y + height > BOTTOM:
            self.new_page()
            return True
        return False

    def footers(self, template: str) -> None:
        """'Page X of Y' on every page but the cover, drawn once the page count is known
        (fpdf2 lets a finished page be reopened)."""
        pdf = self.pdf
        total = pdf.page_no()
        last = pdf.page
        for n in range(2, total + 1):
            pdf.page = n
            text = template.replace("{page}", str(n)).replace("{pages}", str(total))
            self.set_font(False, 8)
            self.set_color(MUTED)
            self.draw_text((PAGE_W - self.width(text, False, 8)) / 2, PAGE_H - 24, [text], 10)
        pdf.page = last

    # --- blocks --------------------------------------------------------------------------------

    def lines(self, lines: list[str], x: float, style: _Style, align: str = "left", width: float = 0) -> None:
        """Draw wrapped lines from the cursor down, breaking pages as needed."""
        lh = style.size * style.leading
        for line in lines:
            if self.y + lh > BOTTOM:
                self.new_page()
            self.set_font(style.bold, style.size)
            self.set_color(style.color)
            if line:
                dx = 0.0
                if align != "left":
                    lw = self.width(line, style.bold, style.size)
                    dx = (width - lw) / (2 if align == "center" else 1)
                self.draw_text(x + dx, self.y + style.size * 1.05, [line], lh)
            self.y += lh

    def paragraph(
        self, text: str, style: _Style, indent: float = 0.0, space_after: float = 4.0, align: str = "left"
    ) -> None:
        width = CONTENT_W - indent
        self.lines(self.wrap(text, width, style.bold, style.size), MARGIN_X + indent, style, align, width)
        self.y += space_after

    def heading(self, level: int, text: str) -> None:
        size = {1: 16.0, 2: 12.5}.get(level, 11.0)
        style = _Style(size, True, TEXT_COLOR, 1.3)
        lines = self.wrap(text, CONTENT_W, True, size)
        # Keep a heading with at least a few lines of what follows.
        self.ensure(len(lines) * size * 1.3 + 60)
        self.y += 4 if level > 1 else 0
        self.pdf.start_section(text[:120], level=min(level - 1, 2))
        self.lines(lines, MARGIN_X, style)
        self.y += 6 if level == 1 else 4

    def fields(self, rows: list[tuple[str, str]], colon: str, size: float = 10.0, center: bool = False) -> None:
        bold, regular = _Style(size, True), _Style(size)
        lh = size * 1.5
        for label, value in rows:
            head = f"{label}{colon}"
            hw = self.width(head, True, size)
            value_lines = self.wrap(value, CONTENT_W - hw, False, size)
            block_w = hw + max((self.width(v, False, size) for v in value_lines), default=0)
            x = MARGIN_X + ((CONTENT_W - block_w) / 2 if center else 0)
            self.ensure(lh * min(len(value_lines), 3))
            self.set_font(True, size)
            self.set_color(bold.color)
            self.draw_text(x, self.y + size * 1.05, [head], lh)
            self.lines(value_lines, x + hw, regular)
            self.y += 1.5

    def image(self, img: Image) -> None:
        w = min(CONTENT_W, img.width_px * 0.75 * 1.2)
        h = w * img.height_px / img.width_px
        self.ensure(h + 24)
        self.pdf.image(io.BytesIO(img.png), x=MARGIN_X, y=self.y, w=w, h=h, alt_text=img.alt, title=img.caption)
        self.y += h + 4
        self.paragraph(img.caption, _Style(8.5, False, MUTED), space_after=8)

    def table(self, table: Table) -> None:
        if not table.rows:
            if table.empty:
                self.paragraph(table.empty, _Style(9, False, MUTED))
            return
        cols = table.columns
        total = sum(c.width for c in cols)
        widths = [CONTENT_W * c.width / total for c in cols]
        xs = [MARGIN_X]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        pad, size, hsize = 3.0, 8.0, 8.0
        lh = size * 1.38
        right = [c.kind in (INT, NUM, PCT, MONEY) for c in cols]
        head_lines = [self.wrap(c.label, w - 2 * pad, True, hsize) for c, w in zip(cols, widths, strict=False)]
        head_h = max(len(x) for x in head_lines) * hsize * 1.38 + 2 * pad
        kinds = [c.kind for c in cols]
        locale = self.doc.locale
        pdf = self.pdf

        def header() -> None:
            pdf.set_fill_color(*HEAD_FILL)
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.5)
            self.draw_grid(self.y, head_h, xs, fill=True)
            self.set_font(True, hsize)
            self.set_color(TEXT_COLOR)
            for x, lines in zip(xs, head_lines, strict=False):
                self.draw_text(x + pad, self.y + pad + hsize * 1.05, lines, hsize * 1.38)
            self.y += head_h

        page_lines = int((BOTTOM - MARGIN_TOP - head_h - 2 * pad) // lh)
        self.ensure(head_h + lh + 2 * pad)
        header()
        pdf.set_draw_color(*RULE)
        for values in table.rows:
            cells = [
                self.wrap(cell_text(v, k, locale), w - 2 * pad, False, size)
                if v not in (None, "")
                else ([cell_text(v, k, locale)] if k != "text" else [])
                for v, k, w in zip(values, kinds, widths, strict=False)
            ]
            n = max((len(c) for c in cells), default=1) or 1
            offset = 0
            while offset < n:
                room = int((BOTTOM - self.y - 2 * pad) // lh)
                # A row moves whole to the next page; only a row taller than a page is split.
                if room < min(n - offset, page_lines):
                    self.new_page()
                    header()
                    pdf.set_draw_color(*RULE)
                    continue
                take = min(n - offset, room)
                h = take * lh + 2 * pad
                self.set_font(False, size)
                self.set_color(TEXT_COLOR)
                ops = [self.grid_op(self.y, h, xs)]
                base = self.y + pad + size * 1.05
                for x, w, lines, r in zip(xs, widths, cells, right, strict=False):
                    part = lines[offset : offset + take] if (offset or take < len(lines)) else lines
                    if not part:
                        continue
                    if r:
                        for k, line in enumerate(part):
                            dx = w - 2 * pad - self.width(line, False, size)
                            ops.append(self.text_op(x + pad + dx, base + k * lh, [line], lh))
                    else:
                        ops.append(self.text_op(x + pad, base, part, lh))
                pdf._out("\n".join(ops))
                self.y += h
                offset += take
        self.y += 8

    def cover(self, cover: Cover, colon: str) -> None:
        self.new_page()
        self.y = 150
        self.paragraph(cover.title, _Style(22, True, TEXT_COLOR, 1.35), space_after=14, align="center")
        self.paragraph(cover.subtitle, _Style(16, False, TEXT_COLOR), space_after=18, align="center")
        for mark in cover.marks:
            self.paragraph(mark, _Style(12, True, TEXT_COLOR), space_after=6, align="center")
        self.y += 12
        self.fields(cover.fields, colon, size=12, center=True)


def write_pdf(doc: SummaryDocument) -> bytes:
    """The summary as a PDF (A4 landscape): cover, bookmarks per heading, tables with
    repeated header rows, the chart, 'Page X of Y' footers; Noto Sans CJK TC embedded."""
    out = _Layout(doc)
    colon = "：" if doc.locale == "zh_TW" else ": "
    out.cover(doc.cover, colon)
    out.new_page()
    styles = {
        "normal": (_Style(10), 0.0),
        "quote": (_Style(10, False, TEXT_COLOR), 16.0),
        "bullet": (_Style(9.5), 12.0),
        "note": (_Style(9, False, MUTED), 0.0),
        "strong": (_Style(10, True), 0.0),
    }
    fresh = True  # at the top of a page: a PageBreak there would leave an empty page
    for block in doc.body:
        if isinstance(block, PageBreak):
            if not fresh:
                out.new_page()
            fresh = True
            continue
        fresh = False
        if isinstance(block, Heading):
            out.heading(block.level, block.text)
        elif isinstance(block, Para):
            style, indent = styles.get(block.style, styles["normal"])
            text = f"• {block.text}" if block.style == "bullet" else block.text
            if block.style == "quote":
                top = out.y
                out.paragraph(text, style, indent=indent, space_after=0)
                if out.y > top:  # a rule beside the quoted recommendation (same page only)
                    out.pdf.set_draw_color(*RULE)
                    out.pdf.set_line_width(1.5)
                    out.pdf.line(MARGIN_X + 6, top + 2, MARGIN_X + 6, out.y - 2)
                    out.pdf.set_line_width(0.5)
                out.y += 6
            else:
                out.paragraph(text, style, indent=indent, space_after=2 if block.style == "bullet" else 5)
        elif isinstance(block, Fields):
            out.fields(block.rows, colon)
            out.y += 4
        elif isinstance(block, Table):
            out.table(block)
        elif isinstance(block, Image):
            out.image(block)
    out.footers(doc.footer)
    buf = io.BytesIO()
    out.pdf.output(buf, output_producer_class=_identity_h_producer())
    return buf.getvalue()


# --- text every reader can extract --------------------------------------------------------------
#
# fpdf2 numbers the glyphs of a CFF (CID-keyed) subset 1, 2, 3, ... and maps these codes to
# the font's CIDs with an embedded /Encoding CMap stream. Poppler reads that, but pypdf (and
# other readers) only know the predefined encodings such as /Identity-H, fall back to one
# byte per code, and extract a NUL before every character. So the codes written are the
# CIDs themselves (code = CID) and the font's /Encoding stays /Identity-H; the ToUnicode
# map is keyed by the same codes, so every reader gets the text.


def _cid_of(glyph) -> int:
    name = getattr(glyph, "glyph_name", "") or ""
    if name.startswith("cid") and name[3:].isdigit():
        return int(name[3:])
    return int(glyph.glyph_id)


def _use_cid_codes(font) -> None:
    from fpdf.fonts import SubsetMap

    if not (getattr(font, "is_cff", False) and getattr(font, "is_cid_keyed", False)):
        return

    class CidSubsetMap(SubsetMap):
        def __init__(self, f) -> None:  # noqa: D401 - same contract as SubsetMap
            self.font = f
            self._next = 0
            self._reserved = []
            self._char_id_per_glyph = {}
            for x in (0x00, 0x20):
                glyph = self.get_glyph(unicode=x)
                if glyph:
                    self._char_id_per_glyph[glyph] = _cid_of(glyph)

        def pick_glyph(self, glyph):
            char_id = self._char_id_per_glyph.get(glyph)
            if glyph is not None and char_id is None:
                char_id = _cid_of(glyph)
                self._char_id_per_glyph[glyph] = char_id
            return char_id

    font.subset = CidSubsetMap(font)


@contextmanager
def _no_seac_closure():
    """While the fonts are subset: no glyph closure over CID-keyed CFF charstrings.

    fontTools runs every kept glyph's charstring to find the accent components of ``seac``
    (a Type 1 compatibility operator of name-keyed fonts); a CID-keyed CJK font has none,
    and running 3,000-odd charstrings cost seconds per font. Name-keyed fonts keep it."""
    from fontTools import ttLib

    cff = ttLib.getTableClass("CFF ")
    closure = cff.closure_glyphs

    def closure_glyphs(self, s):
        if all(getattr(font, "ROS", None) is not None for font in self.cff.values()):
            return None  # CID-keyed: seac cannot occur
        return closure(self, s)

    cff.closure_glyphs = closure_glyphs
    try:
        yield
    finally:
        cff.closure_glyphs = closure


@lru_cache(maxsize=1)
def _identity_h_producer():
    from fpdf.output import OutputProducer
    from fpdf.syntax import Name

    class IdentityHProducer(OutputProducer):
        def _add_fonts(self, *args, **kwargs):
            with _no_seac_closure():
                objs = super()._add_fonts(*args, **kwargs)
            for obj in objs.values():
                if getattr(obj, "subtype", None) == Name("Type0") and not isinstance(
                    getattr(obj, "encoding", None), (str, type(None))
                ):
                    obj.encoding = Name("Identity-H")  # codes are CIDs (see _use_cid_codes)
            return objs

    return IdentityHProducer
