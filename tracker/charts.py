"""Server-side SVG charts, each with a data-table alternative.

Pure functions: labels, titles and number/date formatters come from the caller, so the
same chart serves a web page (inline SVG), a print export (self-contained SVG file) or an
office document (PNG via ``svg_to_png``). Every SVG has explicit width/height, a viewBox,
a <title>/<desc> pair for screen readers and a font stack that starts with Noto Sans CJK
TC, so Chinese labels render the same everywhere; colours are presentation attributes
(no CSS, no inline style), which a Content-Security-Policy allows.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from . import numbers

FONT_FAMILY = "'Noto Sans CJK TC', 'Noto Sans TC', 'Microsoft JhengHei', 'PingFang TC', sans-serif"
TEXT = "#1f2937"  # 14:1 on white
MUTED = "#4b5563"  # 7:1 on white
GRID = "#d1d5db"
BAR = "#1d4ed8"  # 6.7:1 on white
TRACK = "#e5e7eb"
MEASURED = "#1d4ed8"
NEEDED = "#6b7280"
REFERENCE = "#b91c1c"
TARGET = "#15803d"

# Status colours, each at least 3:1 against white (WCAG 1.4.11 non-text contrast).
STATUS_COLORS = {
    "not_started": "#6b7280",
    "planning": "#7c3aed",
    "in_progress": "#1d4ed8",
    "ongoing": "#0f766e",
    "completed": "#15803d",
    "on_hold": "#b45309",
    "not_feasible": "#b91c1c",
}


@dataclass
class Chart:
    """An SVG chart and the table that carries the same data for those who cannot see it."""

    svg: str
    title: str
    desc: str
    headers: list[str]
    rows: list[list[str]]
    width: int
    height: int
    chart_id: str = ""
    caption: str = ""
    row_headers: bool = True  # the first cell of each row labels the row (<th scope="row">)
    notes: list[str] = field(default_factory=list)

    def __html__(self) -> str:  # Jinja: {{ chart }} emits the markup unescaped
        return self.svg

    def standalone(self) -> str:
        """The SVG as a file of its own (XML declaration added)."""
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + self.svg


def default_number(value: float | None, digits: int = 1) -> str:
    """The one rounding rule (halves away from zero, tracker.numbers)."""
    return numbers.number(value, digits, "—")


def text_width(text: str, size: float) -> float:
    """Rough rendered width: wide (CJK) characters take a full em, others about half."""
    w = 0.0
    for ch in text:
        w += size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.56
    return w


def truncate(text: str, size: float, max_width: float) -> str:
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def _open(width: int, height: int, chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'id="{chart_id}" class="chart" font-family="{FONT_FAMILY}" font-size="13" fill="{TEXT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _text(
    x: float,
    y: float,
    s: str,
    anchor: str = "start",
    size: int | None = None,
    fill: str | None = None,
    weight: str | None = None,
) -> str:
    attrs = [f'x="{x:.1f}"', f'y="{y:.1f}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if size:
        attrs.append(f'font-size="{size}"')
    if fill:
        attrs.append(f'fill="{fill}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    return f"<text {' '.join(attrs)}>{escape(s)}</text>"


def progress_bars(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    label_header: str,
    value_header: str,
    width: int = 640,
    no_data: str = "—",
    number: Callable[[float | None], str] = default_number,
) -> Chart:
    """Horizontal 0–100 % bars, one per row (e.g. progress per recommendation)."""
    size, bar_h, gap, top, bottom = 13, 18, 10, 10, 28
    label_w = min(max((text_width(r[0], size) for r in rows), default=60) + 12, width * 0.42)
    value_w = 56
    x0 = label_w
    plot_w = width - label_w - value_w - 8
    height = top + len(rows) * (bar_h + gap) + bottom
    out = _open(width, height, chart_id, title, desc)
    axis_y = top + len(rows) * (bar_h + gap)
    for tick in (0, 25, 50, 75, 100):
        x = x0 + plot_w * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(_text(x, axis_y + 16, f"{tick}%", "middle", 11, MUTED))
    table = []
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(_text(label_w - 8, y + bar_h * 0.72, truncate(label, size, label_w - 12), "end"))
        out.append(f'<rect x="{x0:.1f}" y="{y}" width="{plot_w:.1f}" height="{bar_h}" fill="{TRACK}"/>')
        shown = no_data if value is None else f"{number(value)}%"
        if value is not None:
            w = plot_w * max(0.0, min(100.0, float(value))) / 100
            out.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BAR}">'
                f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            )
        out.append(_text(x0 + plot_w + 6, y + bar_h * 0.72, shown, size=12))
        table.append([label, shown])
    out.append("</svg>")
    return Chart("\n".join(out), title, desc, [label_header, value_header], table, width, height, chart_id)


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[Hashable, int]]],
    series: Sequence[tuple[Hashable, str, str]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    label_header: str,
    total_header: str,
    width: int = 640,
) -> Chart:
    """Horizontal stacked bars of counts (e.g. items per status for each department).

    ``series`` is (key, label, colour) in stacking order; a colour of None picks the
    status colour for the key.
    """
    size, bar_h, gap, top = 13, 18, 10, 10
    legend_rows = 1
    # The legend wraps over as many lines as needed.
    lx, line_w = 0.0, width - 16
    for _key, label, _c in series:
        item_w = 18 + text_width(label, 12) + 16
        if lx + item_w > line_w and lx > 0:
            legend_rows += 1
            lx = 0.0
        lx += item_w
    legend_h = legend_rows * 20 + 8
    label_w = min(max((text_width(r[0], size) for r in rows), default=60) + 12, width * 0.38)
    total_w = 40
    plot_w = width - label_w - total_w - 8
    max_total = max((sum(c.get(k, 0) for k, _l, _c in series) for _r, c in rows), default=0) or 1
    height = top + legend_h + len(rows) * (bar_h + gap) + 8
    out = _open(width, height, chart_id, title, desc)
    lx, ly = 8.0, top + 12
    for key, label, colour in series:
        colour = colour or STATUS_COLORS.get(str(getattr(key, "value", key)), BAR)
        item_w = 18 + text_width(label, 12) + 16
        if lx + item_w > width - 8 and lx > 8:
            lx, ly = 8.0, ly + 20
        out.append(f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(_text(lx + 17, ly, label, size=12))
        lx += item_w
    y0 = top + legend_h
    table = []
    for i, (label, counts) in enumerate(rows):
        y = y0 + i * (bar_h + gap)
        out.append(_text(label_w - 8, y + bar_h * 0.72, truncate(label, size, label_w - 12), "end"))
        x = label_w
        total = 0
        row = [label]
        for key, s_label, colour in series:
            n = int(counts.get(key, 0))
            row.append(str(n))
            total += n
            if n <= 0:
                continue
            colour = colour or STATUS_COLORS.get(str(getattr(key, "value", key)), BAR)
            w = plot_w * n / max_total
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                f'stroke="#ffffff" stroke-width="1"><title>{escape(label)} · {escape(s_label)}: {n}</title></rect>'
            )
            x += w
        out.append(_text(x + 6, y + bar_h * 0.72, str(total), size=12))
        row.append(str(total))
        table.append(row)
    out.append("</svg>")
    headers = [label_header] + [s[1] for s in series] + [total_header]
    return Chart("\n".join(out), title, desc, headers, table, width, height, chart_id)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 0.001:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _year_x(d: date) -> float:
    return d.year + (d.timetuple().tm_yday - 1) / 365.25


@dataclass
class TrajectoryLabels:
    """Words the trajectory chart needs, in the reader's language."""

    when: str = "Date"
    value: str = "Value"
    series: str = "Series"
    baseline: str = "Baseline"
    measurement: str = "Measurement"
    target: str = "Target"
    reference: str = "Reference"
    needed: str = "Path to target"


def trajectory_chart(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    baseline: tuple[int, float] | None = None,
    target: tuple[int, float] | None = None,
    reference: tuple[int | None, float] | None = None,
    reference_label: str = "",
    unit: str = "",
    labels: TrajectoryLabels | None = None,
    width: int = 420,
    height: int = 220,
    number: Callable[[float | None], str] = default_number,
    date_label: Callable[[date], str] = lambda d: d.isoformat(),
    year_label: Callable[[int], str] = str,
) -> Chart:
    """An indicator's path: baseline, dated measurements, the straight path to the target
    and the foreign reference value as a horizontal line. Baseline and target sit at mid-year,
    as in the on-track calculation."""
    labels = labels or TrajectoryLabels()
    xs: list[float] = [_year_x(d) for d, _v in points]
    ys: list[float] = [float(v) for _d, v in points]
    if baseline:
        xs.append(baseline[0] + 0.5)
        ys.append(float(baseline[1]))
    if target:
        xs.append(target[0] + 0.5)
        ys.append(float(target[1]))
    if reference:
        ys.append(float(reference[1]))
        if reference[0]:
            xs.append(reference[0] + 0.5)
    ml, mr, mt, mb = 52, 16, 14, 48
    out = _open(width, height, chart_id, title, desc)
    table: list[list[str]] = []
    u = f" {unit}" if unit else ""
    if baseline:
        table.append([labels.baseline, year_label(baseline[0]), number(baseline[1]) + u])
    for d, v in points:
        table.append([labels.measurement, date_label(d), number(v) + u])
    if target:
        table.append([labels.target, year_label(target[0]), number(target[1]) + u])
    if reference:
        table.append(
            [
                reference_label or labels.reference,
                year_label(reference[0]) if reference[0] else "—",
                number(reference[1]) + u,
            ]
        )
    if not ys:
        out.append(_text(width / 2, height / 2, "—", "middle", 14, MUTED))
        out.append("</svg>")
        return Chart(
            "\n".join(out), title, desc, [labels.series, labels.when, labels.value], table, width, height, chart_id
        )
    x_lo, x_hi = (min(xs), max(xs)) if xs else (2016, 2020)
    x_lo, x_hi = math.floor(x_lo), math.ceil(x_hi)
    if x_hi - x_lo < 2:
        x_hi = x_lo + 2
    pad = (max(ys) - min(ys)) * 0.1 or abs(max(ys)) * 0.1 or 1.0
    lo = min(ys) - pad
    if min(ys) >= 0 and lo < 0:
        lo = 0.0
    y_ticks = _nice_ticks(lo, max(ys) + pad)
    y_lo, y_hi = y_ticks[0], y_ticks[-1]
    pw, ph = width - ml - mr, height - mt - mb

    def px(x: float) -> float:
        return ml + pw * (x - x_lo) / (x_hi - x_lo)

    def py(y: float) -> float:
        return mt + ph * (1 - (y - y_lo) / ((y_hi - y_lo) or 1))

    for t in y_ticks:
        out.append(
            f'<line x1="{ml}" y1="{py(t):.1f}" x2="{ml + pw}" y2="{py(t):.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(_text(ml - 6, py(t) + 4, number(t), "end", 11, MUTED))
    step = max(1, math.ceil((x_hi - x_lo) / 6))
    for yr in range(x_lo, x_hi + 1, step):
        out.append(f'<line x1="{px(yr):.1f}" y1="{mt + ph}" x2="{px(yr):.1f}" y2="{mt + ph + 4}" stroke="{MUTED}"/>')
        out.append(_text(px(yr), mt + ph + 16, year_label(yr), "middle", 11, MUTED))
    out.append(f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="{MUTED}" stroke-width="1"/>')
    if reference:
        ry = py(float(reference[1]))
        out.append(
            f'<line x1="{ml}" y1="{ry:.1f}" x2="{ml + pw}" y2="{ry:.1f}" stroke="{REFERENCE}" '
            f'stroke-width="2" stroke-dasharray="8 4"/>'
        )
        out.append(
            _text(
                ml + pw - 2,
                ry - 5,
                f"{reference_label or labels.reference} {number(reference[1])}{u}",
                "end",
                11,
                REFERENCE,
            )
        )
    if baseline and target:
        out.append(
            f'<line x1="{px(baseline[0] + 0.5):.1f}" y1="{py(baseline[1]):.1f}" '
            f'x2="{px(target[0] + 0.5):.1f}" y2="{py(target[1]):.1f}" stroke="{NEEDED}" '
            f'stroke-width="1.5" stroke-dasharray="3 3"/>'
        )
    path = ([(baseline[0] + 0.5, float(baseline[1]))] if baseline else []) + [(_year_x(d), float(v)) for d, v in points]
    path.sort(key=lambda p: p[0])
    if len(path) >= 2:
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in path)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{MEASURED}" stroke-width="2"/>')
    if baseline:
        out.append(
            f'<rect x="{px(baseline[0] + 0.5) - 4:.1f}" y="{py(baseline[1]) - 4:.1f}" width="8" height="8" '
            f'fill="{MUTED}"><title>{escape(labels.baseline)} {escape(year_label(baseline[0]))}: '
            f"{escape(number(baseline[1]) + u)}</title></rect>"
        )
    for d, v in points:
        out.append(
            f'<circle cx="{px(_year_x(d)):.1f}" cy="{py(v):.1f}" r="4" fill="{MEASURED}">'
            f"<title>{escape(labels.measurement)} {escape(date_label(d))}: {escape(number(v) + u)}</title></circle>"
        )
    if target:
        tx, ty = px(target[0] + 0.5), py(target[1])
        out.append(
            f'<path d="M {tx:.1f} {ty - 6:.1f} L {tx + 6:.1f} {ty:.1f} L {tx:.1f} {ty + 6:.1f} '
            f'L {tx - 6:.1f} {ty:.1f} Z" fill="{TARGET}"><title>{escape(labels.target)} '
            f"{escape(year_label(target[0]))}: {escape(number(target[1]) + u)}</title></path>"
        )
    # Legend under the axis.
    ly = height - 10
    lx = float(ml)
    for colour, label, kind in (
        (MUTED, labels.baseline, "square"),
        (MEASURED, labels.measurement, "dot"),
        (TARGET, labels.target, "diamond"),
        (REFERENCE, reference_label or labels.reference, "dash"),
    ):
        if kind == "square" and not baseline or kind == "diamond" and not target or kind == "dash" and not reference:
            continue
        if kind == "dash":
            out.append(
                f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 14:.1f}" y2="{ly - 4}" stroke="{colour}" '
                f'stroke-width="2" stroke-dasharray="4 2"/>'
            )
        elif kind == "dot":
            out.append(f'<circle cx="{lx + 6:.1f}" cy="{ly - 4}" r="4" fill="{colour}"/>')
        else:
            out.append(f'<rect x="{lx + 2:.1f}" y="{ly - 8}" width="8" height="8" fill="{colour}"/>')
        out.append(_text(lx + 18, ly, label, size=11))
        lx += 18 + text_width(label, 11) + 14
    out.append("</svg>")
    return Chart(
        "\n".join(out), title, desc, [labels.series, labels.when, labels.value], table, width, height, chart_id
    )


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """Rasterise a chart for documents that cannot hold SVG (needs cairosvg and libcairo2)."""
    import cairosvg  # imported here: only exports need it

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)


def table_html(chart: Chart, caption: str | None = None, css_class: str = "table chart-table") -> str:
    """The chart's data as an HTML table (for templates and HTML exports alike)."""
    cap = caption if caption is not None else chart.title
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in chart.headers)
    body = []
    for row in chart.rows:
        cells = []
        for i, cell in enumerate(row):
            if i == 0 and chart.row_headers:
                cells.append(f'<th scope="row">{escape(cell)}</th>')
            else:
                cells.append(f"<td>{escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class={quoteattr(css_class)}><caption>{escape(cap)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
