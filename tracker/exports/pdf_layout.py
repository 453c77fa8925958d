"""The page layout of the PDF on top of one fpdf2 document: pages and a cursor, text
measurement with a per-character width cache, line breaking (break anywhere between 漢字,
at spaces in Latin text, never before closing punctuation), direct content-stream drawing,
and the blocks (paragraphs, headings, label/value fields, pictures, the cover). Tables are
in pdf_table.py."""

from __future__ import annotations

import io
from dataclasses import dataclass

from .pdf_fonts import FAMILY, _use_cid_codes
from .summary import (
    Cover,
    Image,
    SummaryDocument,
)

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


# Bold text: the outline stroked this wide (in em) around the filled regular glyphs.
BOLD_STROKE = 0.035


class _Layout:
    """Pages, a cursor and text measurement on top of one fpdf2 document."""

    def __init__(self, doc: SummaryDocument, font: tuple[str, int]):
        """``font``: (file, face index) of the regular face.

        One face is embedded: bold text is the regular glyphs filled and stroked (text
        render mode 2, a stroke of BOLD_STROKE em). Parsing and subsetting a second CJK face
        cost about a third of the PDF's time and 40-odd MB."""
        from fpdf import FPDF

        self.doc = doc
        pdf = FPDF(orientation="L", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        path, index = font
        pdf.add_font(FAMILY, style="", fname=path, collection_font_number=index)
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
        self._stroke = "0 G"
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
            self.pdf.set_font(FAMILY, "", size)
            self._font = (bold, size)

    def set_color(self, color: tuple[int, int, int]) -> None:
        if self._color != color:
            self.pdf.set_text_color(*color)
            self._color = color
            rgb = " ".join(f"{c / 255:.3f}" for c in color)
            self._rg = f"{rgb} rg"
            self._stroke = f"{rgb} RG"

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
        bold, size = self._font if self._font else (False, pdf.font_size_pt)
        paint = f"{self._rg} {self._stroke} {size * BOLD_STROKE:.2f} w 2 Tr" if bold else self._rg
        ops = [f"q {paint} BT {x:.2f} {PAGE_H - y:.2f} Td {leading:.2f} TL"]
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

    def cover(self, cover: Cover, colon: str) -> None:
        self.new_page()
        self.y = 150
        self.paragraph(cover.title, _Style(22, True, TEXT_COLOR, 1.35), space_after=14, align="center")
        self.paragraph(cover.subtitle, _Style(16, False, TEXT_COLOR), space_after=18, align="center")
        for mark in cover.marks:
            self.paragraph(mark, _Style(12, True, TEXT_COLOR), space_after=6, align="center")
        self.y += 12
        self.fields(cover.fields, colon, size=12, center=True)
