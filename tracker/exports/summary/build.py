"""Building the annual summary (辦理情形追蹤表) of year Y: the frame (cover, page marks,
sign-off block) and the overview. The per-recommendation tables are in tracking.py, the
appendices and the flat spreadsheet tables in appendix.py.

Everything is read through the services: ``progress.build_summary`` (the numbers of the
dashboard and the summary API) and ``annual.review_year`` (each period's approved report
of the year, the pending reports, the commission's 列管建議 and 審核意見, whether the year
is still a draft). Nothing here re-implements a counting rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...dates import DataDates, describe
from ...extensions import db
from ...locale import format_date, format_number, format_year, localized, roc_year
from ...models import Indicator, ReferencePractice, Report, Status, TrackingChoice
from ...models.enums import STATUS_ORDER
from ...services import annual, benchmark, labels, progress
from ...services.review import latest_adoptions
from .appendix import AppendixMixin
from .model import (
    INT,
    PCT,
    TEXT,
    Block,
    Column,
    Cover,
    Fields,
    Heading,
    Image,
    PageBreak,
    Para,
    ProgressFn,
    Sheet,
    SummaryDocument,
    Table,
    pct,
    round1,
)
from .tracking import TrackingMixin
from .words import commission_name, date_range, has_cjk, is_demo_database


class Builder(TrackingMixin, AppendixMixin):
    def __init__(
        self,
        locale: str,
        year: int,
        dd: DataDates,
        generated_on: date,
        on_progress: ProgressFn | None,
        parts: frozenset[str] = frozenset({"body", "sheets"}),
    ):
        # "body" for the text documents, "sheets" for spreadsheets and the CSV: a format
        # only pays for what it writes.
        self.want_body = "body" in parts
        self.want_sheets = "sheets" in parts
        self.loc = locale
        self.year = year
        self.dates = dd
        self.as_of = dd.as_of
        self.generated_on = generated_on
        self.tick = on_progress or (lambda fraction, stage: None)
        # Enum labels resolved once (lazy strings are costly per item at 10,000 items).
        self.status = {s: labels.label(s) for s in Status}
        self.tracking = {k: str(v) for k, v in labels.TRACKING.items()}
        self.budget_source = {k: str(v) for k, v in labels.BUDGET_SOURCE.items()}
        self.flag = {k: str(v) for k, v in labels.FLAG.items()}
        self.on_track = {k: str(v) for k, v in labels.ON_TRACK.items()}

    # --- small helpers ---------------------------------------------------------------------

    def d(self, value: date | None) -> str:
        # Thousands of rows share a few hundred dates: format each once per document.
        cache = self.__dict__.setdefault("_date_texts", {})
        if value not in cache:
            cache[value] = format_date(value, self.loc)
        return cache[value]

    def l10n(self, obj: Any, name: str) -> str:
        return localized(obj, name, self.loc)

    def dept(self, dept: Any) -> str:
        return dept.name(self.loc) if dept is not None else "—"

    def sep(self) -> str:
        return "、" if self.loc == "zh_TW" else ", "

    def colon(self) -> str:
        return "：" if self.loc == "zh_TW" else ": "

    def paren(self, text: str) -> str:
        return f"（{text}）" if self.loc == "zh_TW" else f" ({text})"

    def year_label(self) -> str:
        return format_year(self.year, self.loc)

    def choice(self, value: TrackingChoice | str) -> str:
        return self.tracking[TrackingChoice(value)] if not isinstance(value, TrackingChoice) else self.tracking[value]

    # --- the whole document ------------------------------------------------------------------

    def build(self, reports: list[Report], report_ids: list[int] | None) -> SummaryDocument:
        self.tick(0.02, _("Reading the as-of state"))
        summary = progress.build_summary(self.dates, report_ids, year=self.year, with_items=True)
        self.summary = summary
        self.reports = reports
        self.item_by_id = {i.id: i for i in summary.items}
        review = (
            annual.review_year(self.year, self.dates, [r.id for r in summary.reports], items=summary.items)
            if summary.reports
            else annual.YearReview(self.year, self.dates, [], [])
        )
        self.review = review
        self.rows = {row.item.id: row for row in review.items}
        rec_ids = [rs.recommendation.id for rs in summary.recommendations]
        adoptions = latest_adoptions(rec_ids, self.dates)
        practices: dict[int, list[ReferencePractice]] = defaultdict(list)
        indicators: list[Indicator] = []
        if rec_ids:
            for p in db.session.scalars(
                select(ReferencePractice)
                .where(ReferencePractice.recommendation_id.in_(rec_ids))
                .options(selectinload(ReferencePractice.figures))
                .order_by(ReferencePractice.recommendation_id, ReferencePractice.position, ReferencePractice.id)
            ):
                practices[p.recommendation_id].append(p)
            indicators = list(
                db.session.scalars(
                    select(Indicator)
                    .where(Indicator.recommendation_id.in_(rec_ids))
                    .order_by(Indicator.recommendation_id, Indicator.position, Indicator.id)
                )
            )
        ind_states = benchmark.indicator_states(indicators, self.dates) if indicators else {}
        self.demo = is_demo_database()
        self.tick(0.25, _("Building the document"))

        notices = self.notices(summary)
        cover = self.cover(reports)
        body: list[Block] = []
        body += [Heading(1, _("Overview"))]
        body += [Para(n, "note") for n in notices]
        overview_tables = self.overview(summary, body)

        by_rec_items: dict[int, list[Any]] = defaultdict(list)
        for it in summary.items:
            by_rec_items[it.recommendation_id].append(it)
        items_flat = self.items_flat_table()
        recs_flat = self.recs_flat_table()
        n_recs = max(len(summary.recommendations), 1)
        for k, rs in enumerate(summary.recommendations):
            rec = rs.recommendation
            body.append(PageBreak())
            self.recommendation_section(
                body,
                rs,
                adoptions.get(rec.id),
                by_rec_items.get(rec.id, []),
                items_flat,
                recs_flat,
                practices.get(rec.id, []),
            )
            self.tick(0.25 + 0.45 * (k + 1) / n_recs, _("Building the document"))
        body.append(PageBreak())
        indicators_flat = self.appendices(body, summary, practices, indicators, ind_states)
        attention = self.attention(body, summary)
        self.sign_off(body)

        cover_table = Table(
            "cover",
            cover.subtitle,
            [Column("label", _("Item"), TEXT, 1), Column("value", _("Value"), TEXT, 2)],
            [[_("Note"), m] for m in cover.marks] + [[_("Report"), cover.title]] + [list(f) for f in cover.fields],
        )
        notice_table = Table("notices", _("Notes"), [Column("note", _("Note"), TEXT, 1)], [[n] for n in notices])
        sheets = [
            Sheet(_("Overview"), [cover_table] + ([notice_table] if notices else []) + overview_tables),
            Sheet(_("Recommendations"), [recs_flat]),
            Sheet(_("Action items"), [items_flat]),
            Sheet(_("Indicators"), [indicators_flat]),
            Sheet(_("Appendix"), [attention]),
        ]
        footer = _("Page %(page)s of %(pages)s", page="{page}", pages="{pages}")
        if self.page_mark:
            footer = f"{self.page_mark} · {footer}"
        return SummaryDocument(
            locale=self.loc,
            year=self.year,
            as_of=self.as_of,
            generated_on=self.generated_on,
            title=cover.subtitle,
            cover=cover,
            body=body,
            sheets=sheets,
            items=items_flat,
            footer=footer,
            notices=notices,
            status_counts={s: int(summary.status_counts.get(s, 0)) for s in Status},
            recommendation_codes=[rs.recommendation.code for rs in summary.recommendations],
            known_at=self.dates.known_at,
            draft=review.is_draft,
            demo=self.demo,
            pending_reports=review.pending_reports,
            missing_decisions=len(review.missing_decisions),
            page_mark=self.page_mark,
        )

    # --- frame ---------------------------------------------------------------------------------

    @property
    def page_mark(self) -> str:
        marks = []
        if self.demo:
            marks.append(_("DEMO DATA"))
        if self.review.is_draft:
            marks.append(_("Draft"))
        return " · ".join(marks)

    def draft_line(self) -> str:
        review = self.review
        return _(
            "Draft: %(pending)s reports of %(year)s still wait for review and %(missing)s action items "
            "have no year-end recommendation yet.",
            pending=f"{review.pending_reports:,}",
            year=self.year_label(),
            missing=f"{len(review.missing_decisions):,}",
        )

    def notices(self, summary: progress.Summary) -> list[str]:
        out = []
        if self.demo:
            out.append(
                _(
                    "DEMO DATA: this database holds the demo history loaded by `flask seed --demo`; "
                    "nothing in this document is an official figure."
                )
            )
        if self.review.is_draft:
            out.append(self.draft_line())
        if not summary.reports:
            out.append(_("There is no report to summarise."))
        elif not summary.items:
            out.append(_("There are no action items to report on in %(year)s.", year=self.year_label()))
        elif not any(row.reports for row in self.review.items) and not summary.decisions_in_year:
            out.append(
                _(
                    "No progress report (status update) was approved and no tracking decision was "
                    "made in %(year)s up to %(date)s: the tables show the state on that date.",
                    year=self.year_label(),
                    date=self.d(self.as_of),
                )
            )
        if self.loc != "zh_TW" and any(
            has_cjk(row.item.title_en or "") or any(has_cjk(r.narrative) for r in row.reports)
            for row in self.review.items
        ):
            out.append(
                _(
                    "The departments' progress reports and the commission's opinions are quoted as "
                    "they were written, in Chinese: they exist in no other language."
                )
            )
        return out

    def cover(self, reports: Sequence[Report]) -> Cover:
        if self.loc == "zh_TW":
            subtitle = f"民國{roc_year(self.year)}年度追蹤辦理情形報告（辦理情形追蹤表）"
        else:
            subtitle = _("Annual follow-up summary %(year)s", year=self.year)
        title = "\n".join(self.l10n(r, "title") for r in reports) or _("All reports")
        agencies = list(dict.fromkeys(self.l10n(r, "agency") for r in reports))
        commission = commission_name(self.loc) or _("Research and evaluation commission")
        if self.loc == "zh_TW":
            compiler = f"{agencies[0] if agencies else ''}{commission}"
        else:
            compiler = f"{commission}, {agencies[0]}" if agencies else commission
        fields = [
            (_("Compiled by"), compiler),
            (_("Reporting agency"), self.sep().join(agencies) or "—"),
            (
                _("Destination"),
                self.sep().join(dict.fromkeys(filter(None, (self.l10n(r, "destination") for r in reports)))) or "—",
            ),
            (_("Trip dates"), self.sep().join(date_range(r.trip_start, r.trip_end, self.loc) for r in reports) or "—"),
            (_("Trip report date"), self.sep().join(self.d(r.report_date) for r in reports) or "—"),
            (_("Summary year"), self.year_label()),
            (_("Data as of"), self.d(self.dates.as_of)),
            (_("Approvals and decisions as of"), self.d(self.dates.known_at)),
            (_("Date compiled"), self.d(self.generated_on)),
        ]
        marks = []
        if self.review.is_draft:
            marks.append(self.draft_line())
        if self.demo:
            marks.append(_("DEMO DATA: not an official document."))
        marks.append(describe(self.dates, self.loc))
        return Cover(title=title, subtitle=subtitle, fields=fields, marks=marks)

    def sign_off(self, body: list[Block]) -> None:
        """承辦人 / 單位主管 / 機關首長 on the last page."""
        body.append(Heading(2, _("Sign-off")))
        blank = "\n\n\n"
        body.append(
            Table(
                "sign_off",
                _("Sign-off"),
                [
                    Column("officer", _("Officer in charge"), TEXT, 1),
                    Column("head", _("Head of unit"), TEXT, 1),
                    Column("chief", _("Head of agency"), TEXT, 1),
                ],
                [[blank, blank, blank]],
            )
        )

    # --- overview ---------------------------------------------------------------------------

    def overview(self, summary: progress.Summary, body: list[Block]) -> list[Table]:
        total = len(summary.items)
        review = self.review
        body.append(
            Fields(
                [
                    (_("Action items"), f"{total:,}"),
                    (_("Overall progress"), pct(summary.overall_progress)),
                    (_("Reports of the year waiting for review"), f"{review.pending_reports:,}"),
                    (_("Items without a year-end recommendation"), f"{len(review.missing_decisions):,}"),
                    (_("Overdue"), f"{summary.flag_counts['overdue']:,}"),
                    (_("Not reported"), f"{summary.flag_counts['stale']:,}"),
                ]
            )
        )
        body.append(
            Para(
                _(
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
            _("Action items by status"),
            [Column("status", _("Status"), TEXT, 2), Column("count", _("Items"), INT, 1)],
        )
        for s in STATUS_ORDER:
            status_table.rows.append([self.status[s], int(summary.status_counts.get(s, 0))])
        status_table.rows.append([_("Total"), total])
        body += [Heading(2, status_table.title), status_table]

        dept_table = Table(
            "department_counts",
            _("Action items by lead department and status"),
            [Column("department", _("Lead department"), TEXT, 3)]
            + [Column(s.value, self.status[s], INT, 1) for s in STATUS_ORDER]
            + [Column("total", _("Total"), INT, 1)],
            empty=_("No action items."),
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
            _("Progress per recommendation"),
            [
                Column("code", _("Code"), TEXT, 1),
                Column("recommendation", _("Recommendation"), TEXT, 5),
                Column("items", _("Items counted"), INT, 1.2),
                Column("excluded", _("Not feasible (left out)"), INT, 1.2),
                Column("progress", _("Progress (%)"), PCT, 1.2),
            ]
            + [Column(c.value, self.tracking[c], INT, 1.1) for c in choices]
            + [Column("undecided", _("No year-end recommendation"), INT, 1.3)],
            empty=_("No recommendations."),
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
            body.append(self.chart(summary))
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

    def chart(self, summary: progress.Summary) -> Image:
        from ... import charts

        rows = [
            (f"{rs.recommendation.code} {self.l10n(rs.recommendation, 'title')}", rs.rollup.progress)
            for rs in summary.recommendations
        ]
        title = _("Progress per recommendation")
        desc = _("Horizontal bars: weighted mean progress of each recommendation's action items, 0 to 100 %.")
        chart = charts.progress_bars(
            rows,
            title=title,
            desc=desc,
            chart_id="export-rec-progress",
            label_header=_("Recommendation"),
            value_header=_("Progress"),
            number=lambda v: format_number(v, 1),
        )
        png = charts.svg_to_png(chart.svg, scale=2.0)
        alt = "; ".join(f"{label}: {value}" for label, value in chart.rows)
        return Image(
            png=png,
            width_px=chart.width,
            height_px=chart.height,
            caption=_("Figure: progress per recommendation as of %(date)s", date=self.d(self.as_of)),
            alt=f"{title}. {alt}",
        )


__all__ = ["Builder", "PageBreak"]
