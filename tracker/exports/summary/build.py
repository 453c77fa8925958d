"""Building the annual summary (辦理情形追蹤表) of year Y: the frame (cover, page marks,
sign-off block) and the overview. The per-recommendation tables are in tracking.py, the
appendices and the flat spreadsheet tables in appendix.py.

Everything is read through the services: ``progress.build_summary`` (the numbers of the
dashboard and the summary API) and ``annual.review_year`` (each period's approved report
of the year, the pending reports, the commission's 列管建議 and 審核意見, whether the year
is still a draft). Nothing here re-implements a counting rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...dates import DataDates, describe
from ...extensions import db
from ...locale import format_date, format_year, localized, roc_year
from ...models import Indicator, ReferencePractice, Report, Status, TrackingChoice
from ...services import annual, benchmark, labels, progress, summary_rows
from ...services.review import latest_adoptions
from .appendix import AppendixMixin
from .model import (
    TEXT,
    Block,
    Column,
    Cover,
    Heading,
    PageBreak,
    Para,
    ProgressFn,
    Sheet,
    SummaryDocument,
    Table,
)
from .overview import OverviewMixin
from .tracking import TrackingMixin
from .words import commission_name, date_range, has_cjk, is_demo_database


class Builder(OverviewMixin, TrackingMixin, AppendixMixin):
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
        self._texts: dict[str, str] = {}
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

    def _(self, msgid: str, **variables: Any) -> str:
        """gettext with the translation looked up once per document: flask_babel resolves the
        locale and the catalog on every call, and the tables make tens of thousands of them."""
        text = self._texts.get(msgid)
        if text is None:
            text = self._texts[msgid] = gettext(msgid)
        return text % variables if variables else text

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
        self.tick(0.02, self._("Reading the as-of state"))
        if progress.read_model_period(self.dates) is not None:
            # The stored rows answer: the items come as plain rows (services/summary_rows.py).
            summary = summary_rows.add_items(
                progress.build_summary(self.dates, report_ids, year=self.year, with_recommendations=True),
                self.dates,
            )
        else:
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
        self.tick(0.25, self._("Building the document"))

        notices = self.notices(summary)
        cover = self.cover(reports)
        body: list[Block] = []
        body += [Heading(1, self._("Overview"))]
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
            self.tick(0.25 + 0.45 * (k + 1) / n_recs, self._("Building the document"))
        body.append(PageBreak())
        indicators_flat = self.appendices(body, summary, practices, indicators, ind_states)
        attention = self.attention(body, summary)
        self.sign_off(body)

        cover_table = Table(
            "cover",
            cover.subtitle,
            [Column("label", self._("Item"), TEXT, 1), Column("value", self._("Value"), TEXT, 2)],
            [[self._("Note"), m] for m in cover.marks]
            + [[self._("Report"), cover.title]]
            + [list(f) for f in cover.fields],
        )
        notice_table = Table(
            "notices", self._("Notes"), [Column("note", self._("Note"), TEXT, 1)], [[n] for n in notices]
        )
        sheets = [
            Sheet(self._("Overview"), [cover_table] + ([notice_table] if notices else []) + overview_tables),
            Sheet(self._("Recommendations"), [recs_flat]),
            Sheet(self._("Action items"), [items_flat]),
            Sheet(self._("Indicators"), [indicators_flat]),
            Sheet(self._("Appendix"), [attention]),
        ]
        footer = self._("Page %(page)s of %(pages)s", page="{page}", pages="{pages}")
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
            marks.append(self._("DEMO DATA"))
        if self.review.is_draft:
            marks.append(self._("Draft"))
        return " · ".join(marks)

    def draft_line(self) -> str:
        review = self.review
        return self._(
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
                self._(
                    "DEMO DATA: this database holds the demo history loaded by `flask seed --demo`; "
                    "nothing in this document is an official figure."
                )
            )
        if self.review.is_draft:
            out.append(self.draft_line())
        if not summary.reports:
            out.append(self._("There is no report to summarise."))
        elif not summary.items:
            out.append(self._("There are no action items to report on in %(year)s.", year=self.year_label()))
        elif not any(row.reports for row in self.review.items) and not summary.decisions_in_year:
            out.append(
                self._(
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
                self._(
                    "The departments' progress reports and the commission's opinions are quoted as "
                    "they were written, in Chinese: they exist in no other language."
                )
            )
        return out

    def cover(self, reports: Sequence[Report]) -> Cover:
        if self.loc == "zh_TW":
            subtitle = f"民國{roc_year(self.year)}年度追蹤辦理情形報告（辦理情形追蹤表）"
        else:
            subtitle = self._("Annual follow-up summary %(year)s", year=self.year)
        title = "\n".join(self.l10n(r, "title") for r in reports) or self._("All reports")
        agencies = list(dict.fromkeys(self.l10n(r, "agency") for r in reports))
        commission = commission_name(self.loc) or self._("Research and evaluation commission")
        if self.loc == "zh_TW":
            compiler = f"{agencies[0] if agencies else ''}{commission}"
        else:
            compiler = f"{commission}, {agencies[0]}" if agencies else commission
        fields = [
            (self._("Compiled by"), compiler),
            (self._("Reporting agency"), self.sep().join(agencies) or "—"),
            (
                self._("Destination"),
                self.sep().join(dict.fromkeys(filter(None, (self.l10n(r, "destination") for r in reports)))) or "—",
            ),
            (
                self._("Trip dates"),
                self.sep().join(date_range(r.trip_start, r.trip_end, self.loc) for r in reports) or "—",
            ),
            (self._("Trip report date"), self.sep().join(self.d(r.report_date) for r in reports) or "—"),
            (self._("Summary year"), self.year_label()),
            (self._("Data as of"), self.d(self.dates.as_of)),
            (self._("Approvals and decisions as of"), self.d(self.dates.known_at)),
            (self._("Date compiled"), self.d(self.generated_on)),
        ]
        marks = []
        if self.review.is_draft:
            marks.append(self.draft_line())
        if self.demo:
            marks.append(self._("DEMO DATA: not an official document."))
        marks.append(describe(self.dates, self.loc))
        return Cover(title=title, subtitle=subtitle, fields=fields, marks=marks)

    def sign_off(self, body: list[Block]) -> None:
        """承辦人 / 單位主管 / 機關首長 on the last page."""
        body.append(Heading(2, self._("Sign-off")))
        blank = "\n\n\n"
        body.append(
            Table(
                "sign_off",
                self._("Sign-off"),
                [
                    Column("officer", self._("Officer in charge"), TEXT, 1),
                    Column("head", self._("Head of unit"), TEXT, 1),
                    Column("chief", self._("Head of agency"), TEXT, 1),
                ],
                [[blank, blank, blank]],
            )
        )


__all__ = ["Builder", "PageBreak"]
