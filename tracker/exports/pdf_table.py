"""Tables in the PDF: the 10,000-row follow-up tables are where the PDF's time goes, so a
row is wrapped with the layout's memoised line breaking and drawn with one content-stream
write (its grid and every cell's text)."""

from __future__ import annotations

from .pdf_layout import BOTTOM, CONTENT_W, HEAD_FILL, MARGIN_TOP, MARGIN_X, MUTED, RULE, TEXT_COLOR, _Layout, _Style
from .summary import INT, MONEY, NUM, PCT, Table, cell_text


def draw_table(out: _Layout, table: Table) -> None:
    """A table from the cursor down: the header row repeated on every page, a row moved whole
    to the next page unless it is taller than a page (then split)."""
    if not table.rows:
        if table.empty:
            out.paragraph(table.empty, _Style(9, False, MUTED))
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
    head_lines = [out.wrap(c.label, w - 2 * pad, True, hsize) for c, w in zip(cols, widths, strict=False)]
    head_h = max(len(x) for x in head_lines) * hsize * 1.38 + 2 * pad
    kinds = [c.kind for c in cols]
    locale = out.doc.locale
    pdf = out.pdf

    def header() -> None:
        pdf.set_fill_color(*HEAD_FILL)
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.5)
        out.draw_grid(out.y, head_h, xs, fill=True)
        out.set_font(True, hsize)
        out.set_color(TEXT_COLOR)
        for x, lines in zip(xs, head_lines, strict=False):
            out.draw_text(x + pad, out.y + pad + hsize * 1.05, lines, hsize * 1.38)
        out.y += head_h

    page_lines = int((BOTTOM - MARGIN_TOP - head_h - 2 * pad) // lh)
    out.ensure(head_h + lh + 2 * pad)
    header()
    pdf.set_draw_color(*RULE)
    for values in table.rows:
        cells = [
            out.wrap(cell_text(v, k, locale), w - 2 * pad, False, size)
            if v not in (None, "")
            else ([cell_text(v, k, locale)] if k != "text" else [])
            for v, k, w in zip(values, kinds, widths, strict=False)
        ]
        n = max((len(c) for c in cells), default=1) or 1
        offset = 0
        while offset < n:
            room = int((BOTTOM - out.y - 2 * pad) // lh)
            # A row moves whole to the next page; only a row taller than a page is split.
            if room < min(n - offset, page_lines):
                out.new_page()
                header()
                pdf.set_draw_color(*RULE)
                continue
            take = min(n - offset, room)
            h = take * lh + 2 * pad
            out.set_font(False, size)
            out.set_color(TEXT_COLOR)
            ops = [out.grid_op(out.y, h, xs)]
            base = out.y + pad + size * 1.05
            for x, w, lines, r in zip(xs, widths, cells, right, strict=False):
                part = lines[offset : offset + take] if (offset or take < len(lines)) else lines
                if not part:
                    continue
                if r:
                    for k, line in enumerate(part):
                        dx = w - 2 * pad - out.width(line, False, size)
                        ops.append(out.text_op(x + pad + dx, base + k * lh, [line], lh))
                else:
                    ops.append(out.text_op(x + pad, base, part, lh))
            pdf._out("\n".join(ops))
            out.y += h
            offset += take
    out.y += 8
