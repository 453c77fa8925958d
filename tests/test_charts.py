"""Server-side SVG charts: well-formed, self-contained, accessible, with data tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from tracker import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    return root


def _check_self_contained(chart: charts.Chart) -> ET.Element:
    root = _parse(chart)
    assert root.get("width") == str(chart.width) and root.get("height") == str(chart.height)
    assert root.get("viewBox") == f"0 0 {chart.width} {chart.height}"
    assert root.get("font-family").startswith("'Noto Sans CJK TC'")
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == chart.title and desc is not None and desc.text == chart.desc
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # No CSS and no scripts: a strict Content-Security-Policy and office documents accept it.
    assert "style" not in chart.svg and "<script" not in chart.svg and "href" not in chart.svg
    return root


def test_progress_bars():
    chart = charts.progress_bars(
        [("R1 推動水資源再利用 <&>", 45.5), ("R2", None), ("R3", 130)],
        title="各建議事項進度",
        desc="橫條圖",
        chart_id="c1",
        label_header="建議事項",
        value_header="進度",
    )
    root = _check_self_contained(chart)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 2  # no bar for "no data"
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] > widths[0]  # 130 is capped at the full track
    assert chart.headers == ["建議事項", "進度"]
    assert chart.rows == [["R1 推動水資源再利用 <&>", "45.5%"], ["R2", "—"], ["R3", "130%"]]
    table = charts.table_html(chart)
    assert (
        "<caption>各建議事項進度</caption>" in table
        and '<th scope="row">R1 推動水資源再利用 &lt;&amp;&gt;</th>' in table
    )


def test_stacked_bars():
    series = [("in_progress", "辦理中", None), ("completed", "已完成", None), ("custom", "其他", "#123456")]
    chart = charts.stacked_bars(
        [("水利局", {"in_progress": 3, "completed": 1}), ("經發局", {"custom": 2})],
        series,
        title="t",
        desc="d",
        chart_id="c2",
        label_header="機關",
        total_header="合計",
    )
    root = _check_self_contained(chart)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert fills == [charts.STATUS_COLORS["in_progress"], charts.STATUS_COLORS["completed"], "#123456"]
    assert chart.headers == ["機關", "辦理中", "已完成", "其他", "合計"]
    assert chart.rows == [["水利局", "3", "1", "0", "4"], ["經發局", "0", "0", "2", "2"]]


def test_trajectory_chart_has_baseline_measurements_target_and_reference():
    chart = charts.trajectory_chart(
        [(date(2017, 6, 30), 12.0), (date(2018, 6, 30), 20.5)],
        baseline=(2015, 5.0),
        target=(2020, 50.0),
        reference=(2016, 80.0),
        reference_label="以色列",
        unit="%",
        title="回收率",
        desc="折線圖",
        chart_id="c3",
        labels=charts.TrajectoryLabels(baseline="基準值", measurement="量測值", target="目標值"),
    )
    root = _check_self_contained(chart)
    assert len(list(root.iter(f"{SVG}circle"))) >= 2
    assert root.find(f"{SVG}polyline") is not None
    dashed = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke") == charts.REFERENCE]
    assert dashed, "the reference value is drawn as a line"
    assert chart.rows == [
        ["基準值", "2015", "5 %"],
        ["量測值", "2017-06-30", "12 %"],
        ["量測值", "2018-06-30", "20.5 %"],
        ["目標值", "2020", "50 %"],
        ["以色列", "2016", "80 %"],
    ]


def test_trajectory_without_data_still_renders():
    chart = charts.trajectory_chart([], title="t", desc="d", chart_id="c4")
    _check_self_contained(chart)
    assert chart.rows == []


def test_standalone_file_and_png():
    chart = charts.progress_bars(
        [("辦理事項", 50)], title="t", desc="d", chart_id="c5", label_header="a", value_header="b"
    )
    assert chart.standalone().startswith('<?xml version="1.0" encoding="UTF-8"?>')
    try:
        png = charts.svg_to_png(chart.svg, scale=1)
    except OSError as exc:  # libcairo2 missing: exports need it, so CI (REQUIRE_OFFICE=1) fails
        from tests.conftest import _tool_unavailable

        _tool_unavailable("REQUIRE_OFFICE", f"cairo not available (sudo make deps-system): {exc}")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import struct

    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (chart.width, chart.height)
