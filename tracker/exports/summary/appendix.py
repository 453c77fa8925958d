"""Appendices of the annual summary: A the reference practices and figures of the trip
report (qualifiers 逾 / 約 / 高達 kept, a figure's year only where the report gives one),
B the indicators, C the items not reported or overdue; and the flat "Indicators" and
"Appendix" tables of the spreadsheets."""

from __future__ import annotations

from typing import Any

from ...locale import format_year, unit_label
from ...sections import section_ref
from ...services import labels, progress
from .model import (
    DATE,
    INT,
    NUM,
    PCT,
    TEXT,
    YEAR,
    Block,
    Column,
    Heading,
    PageBreak,
    Para,
    Table,
    dec,
    pct,
    round1,
    with_unit,
)
from .words import figure_value, figure_year


class AppendixMixin:
    """Mixed into summary.build.Builder."""

    def destinations(self) -> str:
        return self.sep().join(dict.fromkeys(filter(None, (self.l10n(r, "destination") for r in self.reports))))

    def appendices(
        self,
        body: list[Block],
        summary: progress.Summary,
        practices: dict[int, list],
        indicators: list,
        ind_states: dict,
    ) -> Table:
        where = self.destinations()
        title = (
            self._("Appendix A: reference practices abroad (%(where)s)", where=where)
            if where
            else self._("Appendix A: reference practices abroad")
        )
        body.append(Heading(1, title))
        body.append(
            Para(
                self._(
                    "What the trip report says about the practices its recommendations follow, with its "
                    "figures as it words them. A figure's year is given only where the report gives one."
                ),
                "note",
            )
        )
        report_year = {r.id: r.report_date.year for r in self.reports}
        for rs in summary.recommendations:
            rec = rs.recommendation
            body.append(Heading(2, f"{rec.code} {self.l10n(rec, 'title')}"))
            ps = practices.get(rec.id, [])
            if not ps:
                body.append(Para(self._("The report cites no practice for this recommendation."), "note"))
            for p in ps:
                sec = self._("report section %(section)s", section=section_ref(p.section, self.loc))
                body.append(
                    Para(f"{self.l10n(p, 'place')}{self.colon()}{self.l10n(p, 'title')}{self.paren(sec)}", "strong")
                )
                desc = self.l10n(p, "description")
                if desc and self.want_body:
                    body.append(Para(desc))
                for f in p.figures:
                    when = figure_year(f.year, report_year.get(rec.report_id, self.year), self.loc)
                    extra = self.sep().join(
                        [when, self._("section %(section)s", section=section_ref(f.section, self.loc))]
                    )
                    body.append(
                        Para(
                            f"{self.l10n(f, 'label')}{self.colon()}{figure_value(f, self.loc)}{self.paren(extra)}",
                            "bullet",
                        )
                    )

        body.append(PageBreak())
        body.append(Heading(1, self._("Appendix B: indicators")))
        ind_table = Table(
            "indicators_all",
            self._("Indicators"),
            [
                Column("indicator", self._("Indicator"), TEXT, 3.2),
                Column("baseline", self._("Baseline"), TEXT, 1.6),
                Column("latest", self._("Latest measurement"), TEXT, 1.8),
                Column("target", self._("Target"), TEXT, 1.6),
                Column("reference", self._("Reference value abroad"), TEXT, 2.2),
                Column("gap", self._("Gap closure"), TEXT, 1.1),
                Column("on_track", self._("On-track class"), TEXT, 1.5),
            ],
            empty=self._("No indicator is defined."),
        )
        flat = self.indicators_flat_table()
        for ind in indicators:
            st = ind_states[ind.id]
            rec = self.rec_by_id(ind.recommendation_id)
            unit = unit_label(ind, self.loc)
            direction = labels.label(ind.direction)
            name = (
                f"{rec.code if rec else ''} {self.l10n(ind, 'name')}"
                f"{self.paren(f'{unit}{self.sep()}{direction}' if unit else direction)}"
            )
            baseline = (
                self.valued(ind.baseline_value, unit, format_year(ind.baseline_year, self.loc, ""))
                if ind.baseline_value is not None
                else self._("Not given (to be provided by the department)")
            )
            latest = (
                self.valued(st.latest.value, unit, self.d(st.latest.measured_on))
                if st.latest
                else self._("No measurement")
            )
            target = (
                self.valued(ind.target_value, unit, format_year(ind.target_year, self.loc, ""))
                if ind.target_value is not None
                else self._("Not set")
            )
            place = self.l10n(ind, "reference_place")
            ry = report_year.get(rec.report_id, self.year) if rec else self.year
            ref = (
                self.valued(
                    ind.reference_value,
                    unit,
                    self.sep().join(filter(None, [place, figure_year(ind.reference_year, ry, self.loc)])),
                )
                if ind.reference_value is not None
                else "—"
            )
            gap = pct(st.gap_closure * 100) if st.gap_closure is not None else "—"
            ind_table.rows.append([name.strip(), baseline, latest, target, ref, gap, self.on_track[st.on_track.value]])
            if self.want_sheets:
                flat.rows.append(
                    [
                        rec.code if rec else "",
                        ind.code,
                        self.l10n(ind, "name"),
                        unit,
                        direction,
                        dec(ind.baseline_value),
                        ind.baseline_year,
                        dec(st.latest.value) if st.latest else None,
                        st.latest.measured_on if st.latest else None,
                        dec(ind.target_value),
                        ind.target_year,
                        dec(ind.reference_value),
                        ind.reference_year,
                        place,
                        round1(st.gap_closure * 100) if st.gap_closure is not None else None,
                        self.on_track[st.on_track.value],
                    ]
                )
        body += [ind_table]
        return flat

    def rec_by_id(self, rec_id: int) -> Any:
        if not hasattr(self, "_recs"):
            self._recs = {rs.recommendation.id: rs.recommendation for rs in self.summary.recommendations}
        return self._recs.get(rec_id)

    def valued(self, value: Any, unit: str, when: str) -> str:
        text = with_unit(value, unit)
        return f"{text}{self.paren(when)}" if when else text

    def attention(self, body: list[Block], summary: progress.Summary) -> Table:
        body.append(PageBreak())
        body.append(Heading(1, self._("Appendix C: items not reported or overdue")))
        body.append(
            Para(
                self._(
                    "Not reported: a reporting period of %(year)s the item had to report on, with no report "
                    "reviewed by the approval date. Overdue: the due date has passed on the data date and the "
                    "item is not completed.",
                    year=self.year_label(),
                ),
                "note",
            )
        )
        cols = [
            Column("recommendation", self._("Recommendation"), TEXT, 1),
            Column("code", self._("Code"), TEXT, 1),
            Column("item", self._("Action item"), TEXT, 4),
            Column("lead", self._("Lead department"), TEXT, 2),
            Column("due", self._("Due date"), DATE, 1.4),
            Column("what", self._("Periods not reported"), TEXT, 2),
            Column("status", self._("Status"), TEXT, 1.2),
            Column("progress", self._("Progress (%)"), INT, 1),
        ]
        flat = Table(
            "appendix",
            self._("Items not reported or overdue"),
            [Column("flag", self._("Flag"), TEXT, 1)] + cols,
            empty=self._("No item is overdue or not reported."),
        )
        not_reported = [row for row in self.review.items if row.not_reported]
        overdue = [self.item_by_id[f.item_id] for f in summary.flagged["overdue"] if f.item_id in self.item_by_id]
        groups = (
            ("stale", self._("Items not reported"), [(r.item, r) for r in not_reported]),
            ("overdue", self._("Overdue items"), [(it, self.rows.get(it.id)) for it in overdue]),
        )
        for key, title, pairs in groups:
            t = Table(f"appendix_{key}", title, cols, empty=self._("None."))
            for it, row in pairs:
                st = row.state if row is not None else summary.states[it.id]
                periods = self.sep().join(p.label(self.loc) for p in row.not_reported) if row is not None else ""
                values = [
                    it.recommendation.code,
                    it.code,
                    self.l10n(it, "title"),
                    self.dept(it.lead_department),
                    it.due_date,
                    periods or "—",
                    self.status[st.status],
                    st.progress,
                ]
                t.rows.append(values)
                flat.rows.append([self.flag[key]] + values)
            body += [Heading(2, f"{title} ({len(pairs):,})"), t]
        return flat

    def indicators_flat_table(self) -> Table:
        return Table(
            "indicators",
            self._("Indicators"),
            [
                Column("recommendation", self._("Recommendation"), TEXT),
                Column("code", self._("Code"), TEXT),
                Column("name", self._("Indicator"), TEXT, 4),
                Column("unit", self._("Unit"), TEXT),
                Column("direction", self._("Direction"), TEXT, 1.5),
                Column("baseline", self._("Baseline"), NUM),
                Column("baseline_year", self._("Baseline year"), YEAR),
                Column("latest", self._("Latest measurement"), NUM),
                Column("latest_date", self._("Measured on"), DATE),
                Column("target", self._("Target"), NUM),
                Column("target_year", self._("Target year"), YEAR),
                Column("reference", self._("Reference value abroad"), NUM),
                Column("reference_year", self._("Reference year"), YEAR),
                Column("reference_place", self._("Reference place"), TEXT, 1.5),
                Column("gap", self._("Gap closure (%)"), PCT),
                Column("on_track", self._("On-track class"), TEXT, 1.5),
            ],
            empty=self._("No indicators."),
        )
