"""The overview of the annual summary: key figures, items by status and by lead department,
progress per recommendation with its year-end recommendations, and the progress chart."""

from __future__ import annotations

from collections import Counter, defaultdict

from ...locale import format_number
from ...models import TrackingChoice
from ...models.enums import STATUS_ORDER
from ...services import progress
from .model import (
    INT,
    PCT,
    TEXT,
    Block,
    Column,
    Fields,
    Heading,
    Image,
    Para,
    Table,
    pct,
    round1,
)

# Bars in one figure (a taller raster is too big to draw and to read).
CHART_BARS = 60


class OverviewMixin:
    """Mixed into summary.build.Builder."""

    def overview(self, summary: progress.Summary, body: list[Block]) -> list[Table]:
        total = len(summary.items)
        review = self.review
        body.append(
            Fields(
                [
                    (self._("Action items"), f"{total:,}"),
                    (self._("Overall progress"), pct(summary.overall_progress)),
                    (self._("Reports of the year waiting for review"), f"{review.pending_reports:,}"),
                    (self._("Items without a year-end recommendation"), f"{len(review.missing_decisions):,}"),
                    (self._("Overdue"), f"{summary.flag_counts['overdue']:,}"),
                    (self._("Not reported"), f"{summary.flag_counts['stale']:,}"),
                ]
            )
        )
        body.append(
            Para(
                self._(
                    "A recommendation's progress is the weighted mean of its action items' progress: "
                    "Σ(weight × progress) ÷ Σ(weight), leaving out not-feasible items. Each item's "
                    "progress is that of its latest report effective on or before the data date and "
                    "approved by the approval date. The overall progress is the mean of the "
                    "recommendations' progress."
                ),
                "note",
            )
        )

        status_table = Table(
            "status_counts",
            self._("Action items by status"),
            [Column("status", self._("Status"), TEXT, 2), Column("count", self._("Items"), INT, 1)],
        )
        for s in STATUS_ORDER:
            status_table.rows.append([self.status[s], int(summary.status_counts.get(s, 0))])
        status_table.rows.append([self._("Total"), total])
        body += [Heading(2, status_table.title), status_table]

        dept_table = Table(
            "department_counts",
            self._("Action items by lead department and status"),
            [Column("department", self._("Lead department"), TEXT, 3)]
            + [Column(s.value, self.status[s], INT, 1) for s in STATUS_ORDER]
            + [Column("total", self._("Total"), INT, 1)],
            empty=self._("No action items."),
        )
        for dept_id, counter in sorted(
            summary.department_counts.items(), key=lambda kv: summary.departments[kv[0]].code
        ):
            dept_table.rows.append(
                [self.dept(summary.departments[dept_id])]
                + [int(counter.get(s, 0)) for s in STATUS_ORDER]
                + [sum(counter.values())]
            )
        body += [Heading(2, dept_table.title), dept_table]

        choices = list(TrackingChoice)
        year_end = self.year_end_counts()
        prog_table = Table(
            "recommendation_progress",
            self._("Progress per recommendation"),
            [
                Column("code", self._("Code"), TEXT, 1),
                Column("recommendation", self._("Recommendation"), TEXT, 5),
                Column("items", self._("Items counted"), INT, 1.2),
                Column("excluded", self._("Not feasible (left out)"), INT, 1.2),
                Column("progress", self._("Progress (%)"), PCT, 1.2),
            ]
            + [Column(c.value, self.tracking[c], INT, 1.1) for c in choices]
            + [Column("undecided", self._("No year-end recommendation"), INT, 1.3)],
            empty=self._("No recommendations."),
        )
        for rs in summary.recommendations:
            counts = year_end.get(rs.recommendation.id, Counter())
            prog_table.rows.append(
                [
                    rs.recommendation.code,
                    self.l10n(rs.recommendation, "title"),
                    rs.rollup.items_counted,
                    rs.rollup.items_excluded,
                    round1(rs.rollup.progress),
                ]
                + [counts.get(c, 0) for c in choices]
                + [counts.get(None, 0)]
            )
        body.append(Heading(2, prog_table.title))
        if summary.recommendations and self.want_body:
            body.extend(self.charts(summary))
        body.append(prog_table)
        return [status_table, dept_table, prog_table]

    def year_end_counts(self) -> dict[int, Counter]:
        """Per recommendation: items by their 列管建議 of the year (None: still missing)."""
        out: dict[int, Counter] = defaultdict(Counter)
        for row in self.review.items:
            choice, _opinion = self.year_end_of(row)
            if choice is not None or row.needs_decision:
                out[row.item.recommendation_id][choice] += 1
        return out

    def charts(self, summary: progress.Summary) -> list[Image]:
        """The progress bars: one per recommendation, or one per report when there are more
        recommendations than a figure can show; split into figures of at most CHART_BARS bars
        (a raster taller than that exceeds what cairo can draw at 1,000 recommendations)."""
        from ... import charts

        if len(summary.recommendations) <= CHART_BARS:
            rows = [
                (f"{rs.recommendation.code} {self.l10n(rs.recommendation, 'title')}", rs.rollup.progress)
                for rs in summary.recommendations
            ]
            title = self._("Progress per recommendation")
            desc = self._("Horizontal bars: weighted mean progress of each recommendation's action items, 0 to 100 %.")
            caption = self._("Figure: progress per recommendation as of %(date)s", date=self.d(self.as_of))
            label_header = self._("Recommendation")
        else:
            rows = [
                (f"{r.code} {self.l10n(r, 'title')}", summary.report_progress.get(r.id))
                for r in sorted(self.reports, key=lambda r: r.id)
                if r.id in summary.report_progress
            ]
            title = self._("Progress per report")
            desc = self._("Horizontal bars: mean progress of each report's recommendations, 0 to 100 %.")
            caption = self._("Figure: progress per report as of %(date)s", date=self.d(self.as_of))
            label_header = self._("Report")
        out = []
        for start in range(0, len(rows), CHART_BARS):
            chart = charts.progress_bars(
                rows[start : start + CHART_BARS],
                title=title,
                desc=desc,
                chart_id=f"export-progress-{start // CHART_BARS + 1}",
                label_header=label_header,
                value_header=self._("Progress"),
                number=lambda v: format_number(v, 1),
            )
            png = charts.svg_to_png(chart.svg, scale=2.0)
            alt = "; ".join(f"{label}: {value}" for label, value in chart.rows)
            out.append(
                Image(png=png, width_px=chart.width, height_px=chart.height, caption=caption, alt=f"{title}. {alt}")
            )
        return out
