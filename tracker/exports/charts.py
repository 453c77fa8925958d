"""The charts of the dashboard and the benchmark page, built from the shared summary.

Kept out of the web layer so the annual export draws the very same charts (as SVG,
or PNG via ``charts.svg_to_png``): call these inside ``flask_babel.force_locale(locale)``
so titles and labels come out in the document's language.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from .. import charts, numbers
from ..locale import format_date, format_number, format_year, localized, unit_label
from ..models import Report, Status
from ..services import benchmark, labels, progress


def _number(v: float | None) -> str:
    return format_number(v, 1)


def _percent_number(v: float | None) -> str:
    """A progress value as every page and document writes it: whole percent, halves away
    from zero (tracker.numbers.percent); the chart adds the % sign."""
    return numbers.percent(v, 0, empty="—", sign=False)


def summary_charts(
    summary: progress.Summary,
    locale: str,
    reports: Sequence[Report] | None = None,
    narrow: bool = False,
    department_ids: Sequence[int] | None = None,
) -> dict[str, charts.Chart]:
    """Progress per recommendation (bars; per report when ``reports`` are given and the
    summary covers several) and items by status per lead department (stacked bars; only
    ``department_ids`` when given, one page of them)."""
    if reports is not None and len(summary.reports) > 1:
        rows = [(localized(r, "title", locale), summary.report_progress.get(r.id)) for r in reports]
        rows_for_rec = dict(
            rows=rows,
            chart_id="chart-report-progress",
            title=_("Progress per report"),
            desc=_("Horizontal bars: each report's progress (the mean of its recommendations' progress), 0 to 100 %."),
            label_header=_("Report"),
            value_header=_("Progress"),
            number=_percent_number,
        )
        by_rec = charts.progress_bars(**rows_for_rec)
    else:
        rec_rows = [
            (f"{rs.recommendation.code} {localized(rs.recommendation, 'title', locale)}", rs.rollup.progress)
            for rs in summary.recommendations
        ]
        rows_for_rec = dict(
            rows=rec_rows,
            chart_id="chart-rec-progress",
            title=_("Progress per recommendation"),
            desc=_("Horizontal bars: weighted mean progress of each recommendation's action items, 0 to 100 %."),
            label_header=_("Recommendation"),
            value_header=_("Progress"),
            number=_percent_number,
        )
        by_rec = charts.progress_bars(**rows_for_rec)
    series = [(s, labels.status_label(s), None) for s in Status]
    dept_rows = []
    wanted = set(department_ids) if department_ids is not None else None
    for dept_id, counts in sorted(summary.department_counts.items(), key=lambda kv: summary.departments[kv[0]].code):
        if wanted is None or dept_id in wanted:
            dept_rows.append((summary.departments[dept_id].name(locale), counts))
    by_dept = charts.stacked_bars(
        dept_rows,
        series,
        chart_id="chart-dept-status",
        title=_("Action items by status for each lead department"),
        desc=_("Stacked horizontal bars: the number of action items in each status, one bar per lead department."),
        label_header=_("Lead department"),
        total_header=_("Total"),
    )
    out = {"by_rec": by_rec, "by_dept": by_dept}
    if narrow:
        # The same charts drawn 360 px wide: on a phone the 640 px drawing shrinks its
        # 13 px text to about 7 px; this one keeps it near its size.
        out["by_rec_narrow"] = _redraw(by_rec, charts.progress_bars, rows_for_rec, width=NARROW_WIDTH)
        out["by_dept_narrow"] = charts.stacked_bars(
            dept_rows,
            series,
            chart_id="chart-dept-status-narrow",
            title=by_dept.title,
            desc=by_dept.desc,
            label_header=_("Lead department"),
            total_header=_("Total"),
            width=NARROW_WIDTH,
        )
    return out


NARROW_WIDTH = 360


def _redraw(chart: charts.Chart, draw, args: dict, width: int) -> charts.Chart:  # noqa: ANN001
    return draw(**dict(args, chart_id=f"{chart.chart_id}-narrow", width=width))


def indicator_chart(state: benchmark.IndicatorState, locale: str) -> charts.Chart:
    """Trajectory of one indicator toward its target, with the reference as a line."""
    ind = state.indicator
    name = localized(ind, "name", locale)
    place = localized(ind, "reference_place", locale)
    return charts.trajectory_chart(
        [(p.measured_on, float(p.value)) for p in state.points],
        chart_id=f"chart-ind-{ind.id}",
        title=_("%(name)s: trajectory toward the target", name=name),
        desc=_(
            "Line chart of the official measurements from the baseline, the straight path to the target "
            "(dashed grey) and the reference value of %(place)s (dashed red).",
            place=place or "—",
        ),
        baseline=(ind.baseline_year, float(ind.baseline_value))
        if ind.baseline_value is not None and ind.baseline_year
        else None,
        target=(ind.target_year, float(ind.target_value)) if ind.target_value is not None and ind.target_year else None,
        reference=(ind.reference_year, float(ind.reference_value)) if ind.reference_value is not None else None,
        reference_label=place or _("Reference"),
        unit=unit_label(ind, locale),
        labels=charts.TrajectoryLabels(
            when=_("Date or year"),
            value=_("Value"),
            series=_("Series"),
            baseline=_("Baseline"),
            measurement=_("Measurement"),
            target=_("Target"),
            reference=_("Reference"),
            needed=_("Path to target"),
        ),
        number=lambda v: format_number(v, 2),
        date_label=lambda d: format_date(d, locale),
        year_label=lambda y: format_year(y, locale) if locale.startswith("zh") else str(y),
    )
