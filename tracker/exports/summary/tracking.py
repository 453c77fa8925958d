"""Per recommendation, the 辦理情形追蹤表: one row per action item with 辦理事項,
主辦（協辦）機關 (proposed departments marked 擬議), 執行期程 (預定完成日期), 經費,
本年度辦理情形 (each period's approved report of the year, dated, from
services.annual.review_year), 執行進度, 研考會審核意見 and 列管建議; and the flat
"Action items" and "Recommendations" tables of the spreadsheets and the CSV."""

from __future__ import annotations

from typing import Any

from ...models import TrackingChoice
from ...sections import section_ref
from ...services import annual, labels, progress
from .model import (
    DATE,
    INT,
    MONEY,
    NUM,
    PCT,
    TEXT,
    Block,
    Column,
    Fields,
    Heading,
    Para,
    Table,
    dec,
    money,
    pct,
    round1,
)
from .words import date_range


class TrackingMixin:
    """Mixed into summary.build.Builder (which provides d, l10n, dept, sep, colon, paren, ...)."""

    def year_end_of(self, row: annual.ItemYear | None) -> tuple[TrackingChoice | None, str]:
        """The item's 列管建議 for the year and the commission's 審核意見 (None: not recorded yet).
        An item released during the year has its release as its recommendation; an item no
        longer tracked when the year began keeps the decision that ended its tracking."""
        if row is None:
            return None, ""
        if row.year_end is not None:
            return row.year_end.decision, row.year_end.opinion
        dec_ = row.state.decision
        if row.released_in_year or (not row.tracked and dec_ is not None):
            return TrackingChoice(dec_.decision), dec_.reason
        return None, ""

    def period_line(self, r: annual.PeriodReport) -> str:
        # One lookup of the translated pattern per document, not one per line (10,000 items).
        pattern = self.__dict__.get("_period_pattern")
        if pattern is None:
            pattern = self.__dict__["_period_pattern"] = self._("%(period)s, as of %(date)s, approved %(approved)s")
        when = pattern % {
            "period": r.period.label(self.loc),
            "date": self.d(r.effective_date),
            "approved": self.d(r.approved_on),
        }
        head = f"{when}{self.colon()}{self.status[r.status]} {r.progress}%"
        text = (r.narrative or "").strip()
        return f"{head}\n{text}" if text else head

    def year_text(self, row: annual.ItemYear | None) -> str:
        if row is None:
            return self._("Not tracked in %(year)s", year=self.year_label())
        lines = [self.period_line(r) for r in row.reports]
        for period in row.not_reported:
            lines.append(self._("%(period)s: not reported", period=period.label(self.loc)))
        if row.pending_ids:
            lines.append(self._("%(n)s report(s) of the year still waiting for review", n=len(row.pending_ids)))
        return "\n".join(lines) or self._("None approved in %(year)s", year=self.year_label())

    def departments_text(self, it: Any) -> tuple[str, bool]:
        sup = self.sep().join(self.dept(d) for d in it.supporting_departments)
        text = self.dept(it.lead_department)
        if sup:
            text += f"（{sup}）" if self.loc == "zh_TW" else self.paren(self._("supporting: %(depts)s", depts=sup))
        proposed = it.departments_confirmed_at is None
        if proposed:
            text += "\n" + self._("Proposed (not named in the report)")
        return text, proposed

    def recommendation_section(
        self,
        body: list[Block],
        rs: progress.RecommendationSummary,
        adoption: Any,
        items: list[Any],
        items_flat: Table,
        recs_flat: Table,
        practices: list,
    ) -> None:
        rec = rs.recommendation
        body.append(Heading(1, f"{rec.code} {self.l10n(rec, 'title')}"))
        if self.want_body:
            body.append(Para(self.l10n(rec, "text"), "quote"))
        if adoption is not None:
            who = self.sep().join(filter(None, [self.d(adoption.decided_on), adoption.decided_by]))
            decided = f"{labels.label(adoption.decision)}{self.paren(who)}"
        else:
            decided = self._("Not yet decided")
        fields = [
            (self._("Source section"), section_ref(rec.section, self.loc)),
            (self._("Adoption decision"), decided),
        ]
        if adoption is not None and adoption.reason:
            fields.append((self._("Reason"), adoption.reason))
        fields.append(
            (
                self._("Progress"),
                self._(
                    "%(progress)s (%(counted)s items counted, %(excluded)s not feasible left out)",
                    progress=pct(rs.rollup.progress),
                    counted=rs.rollup.items_counted,
                    excluded=rs.rollup.items_excluded,
                ),
            )
        )
        body.append(Fields(fields))
        if self.want_sheets:
            recs_flat.rows.append(
                [
                    rec.code,
                    section_ref(rec.section, self.loc),
                    self.l10n(rec, "title"),
                    self.l10n(rec, "text"),
                    labels.label(adoption.decision) if adoption else self._("Not yet decided"),
                    adoption.decided_on if adoption else None,
                    adoption.decided_by if adoption else "",
                    adoption.reason if adoption else "",
                    rs.item_count,
                    rs.rollup.items_excluded,
                    round1(rs.rollup.progress),
                    "\n".join(f"{self.l10n(p, 'place')} {self.l10n(p, 'title')}" for p in practices),
                ]
            )

        table = Table(
            f"items_{rec.code}",
            self._("Follow-up table"),
            [
                Column("item", self._("Action item"), TEXT, 2.6),
                Column("departments", self._("Lead (supporting) departments"), TEXT, 2.3),
                Column("schedule", self._("Schedule (due date)"), TEXT, 1.5),
                Column("budget", self._("Budget"), TEXT, 1.1),
                Column("year", self._("Progress reported this year"), TEXT, 4.2),
                Column("progress", self._("Status and progress"), TEXT, 1.1),
                Column("opinion", self._("Commission's opinion"), TEXT, 2),
                Column("decision", self._("Year-end recommendation"), TEXT, 1.2),
            ],
            empty=self._("No action items."),
        )
        yes, undecided = self._("Yes"), self._("Not yet decided")
        for it in items:
            row = self.rows.get(it.id)
            st = row.state if row is not None else self.summary.states[it.id]
            choice, opinion = self.year_end_of(row)
            year_text = self.year_text(row)
            depts, proposed = self.departments_text(it)
            if self.want_sheets:
                items_flat.rows.append(
                    [
                        rec.report.code,
                        rec.code,
                        it.code,
                        self.l10n(it, "title"),
                        section_ref(it.source_section, self.loc),
                        self.dept(it.lead_department),
                        self.sep().join(self.dept(d) for d in it.supporting_departments),
                        yes if proposed else "",
                        it.start_date,
                        it.due_date,
                        dec(it.budget_amount),
                        self.budget_source[it.budget_source] if it.budget_source else "",
                        self.status[st.status],
                        st.progress,
                        dec(it.weight),
                        st.official.effective_date if st.official else None,
                        year_text,
                        len(row.pending_ids) if row is not None else 0,
                        self.tracking[choice]
                        if choice
                        else (undecided if row is not None and row.needs_decision else ""),
                        opinion,
                        self.sep().join(self.flag[f] for f in st.flags),
                    ]
                )
            if not self.want_body:
                continue
            schedule = date_range(it.start_date, it.due_date, self.loc)
            if it.due_date is not None:
                schedule += "\n" + self._("Due %(date)s", date=self.d(it.due_date))
            budget = money(it.budget_amount) if it.budget_amount is not None else "—"
            if it.budget_source is not None:
                budget += "\n" + self.budget_source[it.budget_source]
            status = f"{self.status[st.status]}\n{st.progress}%"
            flags = [self.flag[f] for f in st.flags if f != "due_soon"]
            if flags:
                status += "\n" + self.sep().join(flags)
            title = f"{it.code} {self.l10n(it, 'title')}"
            if it.source_section:
                title += self.paren(section_ref(it.source_section, self.loc))
            decision = (
                self.tracking[choice] if choice else (undecided if row is not None and row.needs_decision else "—")
            )
            table.rows.append([title, depts, schedule, budget, year_text, status, opinion or "—", decision])
        body += [Heading(2, table.title), table]

    # --- flat tables (spreadsheets, CSV) -------------------------------------------------------

    def items_flat_table(self) -> Table:
        return Table(
            "action_items",
            self._("Action items"),
            [
                Column("report", self._("Report"), TEXT),
                Column("recommendation", self._("Recommendation"), TEXT),
                Column("code", self._("Code"), TEXT),
                Column("title", self._("Action item"), TEXT, 4),
                Column("section", self._("Source section"), TEXT),
                Column("lead", self._("Lead department"), TEXT, 2),
                Column("supporting", self._("Supporting departments"), TEXT, 2),
                Column("proposed", self._("Departments proposed"), TEXT),
                Column("start", self._("Start date"), DATE),
                Column("due", self._("Due date"), DATE),
                Column("budget", self._("Budget (NT$)"), MONEY),
                Column("budget_source", self._("Budget source"), TEXT, 1.5),
                Column("status", self._("Status"), TEXT),
                Column("progress", self._("Progress (%)"), INT),
                Column("weight", self._("Weight"), NUM),
                Column("last_update", self._("Last approved update"), DATE),
                Column("year", self._("Progress reported this year"), TEXT, 5),
                Column("pending", self._("Reports waiting for review"), INT),
                Column("decision", self._("Year-end recommendation"), TEXT, 1.5),
                Column("opinion", self._("Commission's opinion"), TEXT, 3),
                Column("flags", self._("Flags"), TEXT),
            ],
            empty=self._("No action items."),
        )

    def recs_flat_table(self) -> Table:
        return Table(
            "recommendations",
            self._("Recommendations"),
            [
                Column("code", self._("Code"), TEXT),
                Column("section", self._("Source section"), TEXT),
                Column("title", self._("Recommendation"), TEXT, 3),
                Column("text", self._("Text"), TEXT, 6),
                Column("adoption", self._("Adoption decision"), TEXT, 1.5),
                Column("decided_on", self._("Decided on"), DATE),
                Column("decided_by", self._("Decided by"), TEXT, 1.5),
                Column("adoption_reason", self._("Reason"), TEXT, 2),
                Column("items", self._("Action items"), INT),
                Column("excluded", self._("Not feasible (left out)"), INT),
                Column("progress", self._("Progress (%)"), PCT),
                Column("practices", self._("Reference practices"), TEXT, 4),
            ],
            empty=self._("No recommendations."),
        )
