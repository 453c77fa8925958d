"""The annual follow-up summary (年度追蹤辦理情形報告) as one document model.

``build_document`` reads everything through services/progress.build_summary and
services/benchmark.indicator_states (the numbers of the dashboard and the summary API)
plus a fixed number of extra statements, and returns plain dataclasses with every
string already localized. The writers (odf.py, office.py, pdf.py, tabular.py) only lay
the model out; they never query or translate.

Two views of the same data are built:
- ``body``: blocks for the text documents (ODT, DOCX, PDF) — headings, paragraphs,
  label/value lists, tables with composite text cells, the chart;
- ``sheets``: flat, typed tables for the spreadsheets and the CSV (numbers stay numbers).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import labels
from ..dates import DataDates
from ..extensions import db
from ..locale import format_date, format_number, format_year, localized, roc_year, unit_label
from ..models import (
    ActionItem, Indicator, Recommendation, ReferencePractice, Report, Review, ReviewDecision,
    Status, StatusUpdate,
)
from ..models.enums import STATUS_ORDER
from ..services import benchmark, progress
from ..services.review import latest_adoptions, today

# Cell kinds: how a raw value is shown in text and typed in a spreadsheet.
TEXT, INT, NUM, PCT, MONEY, DATE, YEAR = "text", "int", "num", "pct", "money", "date", "year"

ProgressFn = Callable[[float, str], None]


# --- the model -------------------------------------------------------------------------

@dataclass
class Column:
    key: str
    label: str
    kind: str = TEXT
    width: float = 1.0  # relative width in the text documents


@dataclass
class Table:
    """A table with one header row; ``rows`` hold raw values (see the cell kinds)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    empty: str = ""  # shown instead of an empty table


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str
    style: str = "normal"  # normal | quote | bullet | note | strong


@dataclass
class Fields:
    """Label/value pairs (cover data, key figures, the adoption decision)."""

    rows: list[tuple[str, str]]


@dataclass
class Image:
    png: bytes
    width_px: int
    height_px: int
    caption: str
    alt: str


@dataclass
class PageBreak:
    pass


Block = Heading | Para | Fields | Table | Image | PageBreak


@dataclass
class Cover:
    title: str  # the report title(s)
    subtitle: str  # 民國106年度追蹤辦理情形報告 / Annual follow-up summary 2017
    fields: list[tuple[str, str]]


@dataclass
class Sheet:
    name: str
    tables: list[Table]


@dataclass
class SummaryDocument:
    locale: str  # "zh_TW" | "en"
    year: int
    as_of: date
    generated_on: date
    title: str  # document title (metadata, running header)
    cover: Cover
    body: list[Block]
    sheets: list[Sheet]
    items: Table  # one row per action item: the CSV and the "Action items" sheet
    footer: str  # "Page {page} of {pages}" with placeholders
    notices: list[str]
    status_counts: dict[Status, int]  # for tests and the overview
    recommendation_codes: list[str]

    @property
    def lang(self) -> str:
        """BCP 47 tag of the document language."""
        return "zh-TW" if self.locale == "zh_TW" else "en"


# --- value formatting (shared by the text writers) ---------------------------------------

def cell_text(value: Any, kind: str, locale: str) -> str:
    """How a raw cell value reads in a text document."""
    if value is None or value == "":
        return "" if kind == TEXT else "—"
    if kind == DATE:
        return format_date(value, locale)
    if kind == YEAR:
        return format_year(value, locale)
    if kind == PCT:
        return pct(value)
    if kind == MONEY:
        return money(value)
    if kind == INT:
        return f"{int(value):,}"
    if kind == NUM:
        return format_number(value, 3)
    return str(value)


def pct(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{format_number(value, digits)}%"


def money(amount: Decimal | int | None) -> str:
    if amount is None:
        return "—"
    return f"NT${int(amount):,}"


def with_unit(value: Decimal | float | None, unit: str) -> str:
    if value is None:
        return "—"
    n = format_number(value, 3)
    if not unit:
        return n
    return f"{n}{unit}" if unit in ("%", "‰") else f"{n} {unit}"


# --- building ------------------------------------------------------------------------------

@dataclass
class _YearUpdate:
    effective_date: date
    approved_on: date
    status: Status
    progress: int
    narrative: str


def year_updates(item_scope: Any, year: int, dd: DataDates) -> dict[int, list[_YearUpdate]]:
    """Reports effective within ``year`` and on or before D, approved by K, per item (one
    statement): the year's 辦理情形, whenever they were approved."""
    start = date(year, 1, 1)
    known = dd.known_before()
    q = (
        select(StatusUpdate.action_item_id, StatusUpdate.effective_date, Review.effective_date,
               StatusUpdate.status, StatusUpdate.progress, StatusUpdate.narrative)
        .join(Review, Review.update_id == StatusUpdate.id)
        .where(Review.decision == ReviewDecision.APPROVE, Review.recorded_at < known,
               StatusUpdate.submitted_at < known,
               StatusUpdate.effective_date >= start, StatusUpdate.effective_date <= dd.as_of,
               StatusUpdate.action_item_id.in_(item_scope))
        .order_by(StatusUpdate.action_item_id, StatusUpdate.effective_date, StatusUpdate.id)
    )
    out: dict[int, list[_YearUpdate]] = defaultdict(list)
    for item_id, eff, approved, status, prog, narrative in db.session.execute(q):
        out[item_id].append(_YearUpdate(eff, approved, Status(status), prog, narrative or ""))
    return out


class _Builder:
    def __init__(self, locale: str, year: int, dd: DataDates, generated_on: date,
                 on_progress: ProgressFn | None, parts: frozenset[str] = frozenset({"body", "sheets"})):
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

    # small helpers
    def d(self, value: date | None) -> str:
        return format_date(value, self.loc)

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

    def build(self, reports: list[Report], report_ids: list[int] | None) -> SummaryDocument:
        self.tick(0.02, _("Reading the as-of state"))
        summary = progress.build_summary(self.dates, report_ids, year=self.year, with_items=True)
        self.item_by_id = {i.id: i for i in summary.items}
        rids = [r.id for r in summary.reports]
        scope = select(ActionItem.id).join(Recommendation).where(Recommendation.report_id.in_(rids))
        rec_ids = [rs.recommendation.id for rs in summary.recommendations]
        updates = year_updates(scope, self.year, self.dates) if rids else {}
        adoptions = latest_adoptions(rec_ids, self.dates)
        practices: dict[int, list[ReferencePractice]] = defaultdict(list)
        indicators: list[Indicator] = []
        if rec_ids:
            for p in db.session.scalars(
                select(ReferencePractice).where(ReferencePractice.recommendation_id.in_(rec_ids))
                .options(selectinload(ReferencePractice.figures))
                .order_by(ReferencePractice.recommendation_id, ReferencePractice.position, ReferencePractice.id)
            ):
                practices[p.recommendation_id].append(p)
            indicators = list(db.session.scalars(
                select(Indicator).where(Indicator.recommendation_id.in_(rec_ids))
                .order_by(Indicator.recommendation_id, Indicator.position, Indicator.id)))
        ind_states = benchmark.indicator_states(indicators, self.dates) if indicators else {}
        decisions_count = len(summary.decisions_in_year)
        self.tick(0.25, _("Building the document"))

        notices = self.notices(summary, updates, decisions_count)
        cover = self.cover(summary.reports)
        body: list[Block] = []
        body += [Heading(1, _("Overview"))]
        body += [Para(n, "note") for n in notices]
        overview_tables = self.overview(summary, body)
        by_rec_items: dict[int, list[ActionItem]] = defaultdict(list)
        for it in summary.items:
            by_rec_items[it.recommendation_id].append(it)
        inds_by_rec: dict[int, list[Indicator]] = defaultdict(list)
        for ind in indicators:
            inds_by_rec[ind.recommendation_id].append(ind)

        items_table = self.items_flat_table()
        indicators_flat = self.indicators_flat_table()
        recs_flat = self.recs_flat_table()
        n_recs = max(len(summary.recommendations), 1)
        for k, rs in enumerate(summary.recommendations):
            rec = rs.recommendation
            body.append(PageBreak())
            self.recommendation_section(
                body, rs, adoptions.get(rec.id), practices.get(rec.id, []), inds_by_rec.get(rec.id, []),
                ind_states, by_rec_items.get(rec.id, []), summary.states, updates, items_table,
                indicators_flat, recs_flat)
            self.tick(0.25 + 0.45 * (k + 1) / n_recs, _("Building the document"))
        body.append(PageBreak())
        appendix = self.appendix(summary, body)

        cover_table = Table("cover", cover.subtitle, [Column("label", _("Item"), TEXT, 1),
                                                      Column("value", _("Value"), TEXT, 2)],
                            [[_("Report"), cover.title]] + [list(f) for f in cover.fields])
        notice_table = Table("notices", _("Notes"), [Column("note", _("Note"), TEXT, 1)],
                             [[n] for n in notices])
        overview_sheet = [cover_table] + ([notice_table] if notices else []) + overview_tables
        sheets = [
            Sheet(_("Overview"), overview_sheet),
            Sheet(_("Recommendations"), [recs_flat]),
            Sheet(_("Action items"), [items_table]),
            Sheet(_("Indicators"), [indicators_flat]),
            Sheet(_("Appendix"), [appendix]),
        ]
        return SummaryDocument(
            locale=self.loc, year=self.year, as_of=self.as_of, generated_on=self.generated_on,
            title=cover.subtitle, cover=cover, body=body, sheets=sheets, items=items_table,
            footer=_("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"),
            notices=notices,
            status_counts={s: int(summary.status_counts.get(s, 0)) for s in Status},
            recommendation_codes=[rs.recommendation.code for rs in summary.recommendations],
        )

    # --- parts -------------------------------------------------------------------------

    def notices(self, summary: progress.Summary, updates: dict, decisions_count: int) -> list[str]:
        out = []
        if not summary.reports:
            out.append(_("There is no report to summarise."))
        elif not summary.items:
            out.append(_("There are no action items to report on."))
        elif not updates and decisions_count == 0:
            out.append(_("No progress report (status update) was approved and no tracking decision was "
                         "made in %(year)s up to %(date)s: the tables show the state on that date.",
                         year=self.year_label(), date=self.d(self.as_of)))
        return out

    def cover(self, reports: Sequence[Report]) -> Cover:
        if self.loc == "zh_TW":
            subtitle = f"民國{roc_year(self.year)}年度追蹤辦理情形報告"
        else:
            subtitle = _("Annual follow-up summary %(year)s", year=self.year)
        title = "\n".join(self.l10n(r, "title") for r in reports) or _("All reports")
        agencies = self.sep().join(dict.fromkeys(self.l10n(r, "agency") for r in reports)) or "—"
        trips = self.sep().join(f"{self.d(r.trip_start)}–{self.d(r.trip_end)}" for r in reports) or "—"
        fields = [
            (_("Agency"), agencies),
            (_("Trip dates"), trips),
            (_("Summary year"), self.year_label()),
            (_("As of"), self.d(self.as_of)),
            (_("Generated on"), self.d(self.generated_on)),
        ]
        if len(reports) == 1:
            fields.insert(2, (_("Report date"), self.d(reports[0].report_date)))
        return Cover(title=title, subtitle=subtitle, fields=fields)

    def overview(self, summary: progress.Summary, body: list[Block]) -> list[Table]:
        total = len(summary.items)
        body.append(Fields([
            (_("Action items"), f"{total:,}"),
            (_("Overall progress"), pct(summary.overall_progress)),
            (_("Updates pending review"), f"{summary.pending_count:,}"),
            (_("Overdue"), f"{summary.flag_counts['overdue']:,}"),
            (_("Not reported"), f"{summary.flag_counts['stale']:,}"),
        ]))
        body.append(Para(_("A recommendation's progress is the weighted mean of its action items' progress: "
                           "Σ(weight × progress) ÷ Σ(weight), leaving out not-feasible items. Each item's "
                           "progress is that of its latest update approved on or before the as-of date. "
                           "The overall progress is the mean of the recommendations' progress."), "note"))

        status_table = Table("status_counts", _("Action items by status"), [
            Column("status", _("Status"), TEXT, 2), Column("count", _("Items"), INT, 1)])
        for s in STATUS_ORDER:
            status_table.rows.append([self.status[s], int(summary.status_counts.get(s, 0))])
        status_table.rows.append([_("Total"), total])
        body += [Heading(2, status_table.title), status_table]

        dept_table = Table("department_counts", _("Action items by lead department and status"),
                           [Column("department", _("Lead department"), TEXT, 3)]
                           + [Column(s.value, self.status[s], INT, 1) for s in STATUS_ORDER]
                           + [Column("total", _("Total"), INT, 1)],
                           empty=_("No action items."))
        for dept_id, counter in sorted(summary.department_counts.items(),
                                       key=lambda kv: summary.departments[kv[0]].code):
            dept_table.rows.append([self.dept(summary.departments[dept_id])]
                                   + [int(counter.get(s, 0)) for s in STATUS_ORDER]
                                   + [sum(counter.values())])
        body += [Heading(2, dept_table.title), dept_table]

        prog_table = Table("recommendation_progress", _("Progress per recommendation"), [
            Column("code", _("Code"), TEXT, 1), Column("recommendation", _("Recommendation"), TEXT, 6),
            Column("items", _("Items counted"), INT, 1.5), Column("excluded", _("Not feasible (left out)"), INT, 1.5),
            Column("progress", _("Progress (%)"), PCT, 1.5)], empty=_("No recommendations."))
        for rs in summary.recommendations:
            prog_table.rows.append([rs.recommendation.code, self.l10n(rs.recommendation, "title"),
                                    rs.rollup.items_counted, rs.rollup.items_excluded,
                                    _round(rs.rollup.progress)])
        body.append(Heading(2, prog_table.title))
        if summary.recommendations and self.want_body:
            body.append(self.chart(summary))
        body.append(prog_table)

        dec_table = Table("tracking_decisions", _("Tracking decisions of %(year)s", year=self.year_label()), [
            Column("date", _("Date"), DATE, 1.3), Column("item", _("Action item"), TEXT, 4),
            Column("lead", _("Lead department"), TEXT, 2), Column("decision", _("Tracking decision"), TEXT, 1.5),
            Column("reason", _("Reason"), TEXT, 4)],
            empty=_("No tracking decision was made in %(year)s up to %(date)s.",
                    year=self.year_label(), date=self.d(self.as_of)))
        for dec in summary.decisions_in_year:
            item = self.item_by_id.get(dec.item_id)
            if item is None:
                continue
            dec_table.rows.append([dec.effective_date, f"{item.code} {self.l10n(item, 'title')}",
                                   self.dept(item.lead_department), self.tracking[dec.decision], dec.reason])
        body += [Heading(2, dec_table.title), dec_table]
        return [status_table, dept_table, prog_table, dec_table]

    def chart(self, summary: progress.Summary) -> Image:
        from .. import charts

        rows = [(f"{rs.recommendation.code} {self.l10n(rs.recommendation, 'title')}", rs.rollup.progress)
                for rs in summary.recommendations]
        title = _("Progress per recommendation")
        desc = _("Horizontal bars: weighted mean progress of each recommendation's action items, 0 to 100 %.")
        chart = charts.progress_bars(rows, title=title, desc=desc, chart_id="export-rec-progress",
                                     label_header=_("Recommendation"), value_header=_("Progress"),
                                     number=lambda v: format_number(v, 1))
        png = charts.svg_to_png(chart.svg, scale=2.0)
        alt = "; ".join(f"{label}: {value}" for label, value in chart.rows)
        return Image(png=png, width_px=chart.width, height_px=chart.height,
                     caption=_("Figure: progress per recommendation as of %(date)s", date=self.d(self.as_of)),
                     alt=f"{title}. {alt}")

    def recommendation_section(self, body: list[Block], rs: progress.RecommendationSummary, adoption: Any,
                               practices: list[ReferencePractice], indicators: list[Indicator],
                               ind_states: dict, items: list[ActionItem], states: dict,
                               updates: dict, items_flat: Table, indicators_flat: Table,
                               recs_flat: Table) -> None:
        rec = rs.recommendation
        body.append(Heading(1, f"{rec.code} {self.l10n(rec, 'title')}"))
        body.append(Para(self.l10n(rec, "text"), "quote"))
        if adoption is not None:
            decided = f"{labels.label(adoption.decision)}{self.paren(self.sep().join(filter(None, [self.d(adoption.decided_on), adoption.decided_by])))}"
        else:
            decided = _("Not yet decided")
        fields = [(_("Source section"), rec.section), (_("Adoption decision"), decided)]
        if adoption is not None and adoption.reason:
            fields.append((_("Reason"), adoption.reason))
        fields.append((_("Progress"), _("%(progress)s (%(counted)s items counted, %(excluded)s not feasible left out)",
                                        progress=pct(rs.rollup.progress), counted=rs.rollup.items_counted,
                                        excluded=rs.rollup.items_excluded)))
        body.append(Fields(fields))
        recs_flat.rows.append([
            rec.code, rec.section, self.l10n(rec, "title"), self.l10n(rec, "text"),
            labels.label(adoption.decision) if adoption else _("Not yet decided"),
            adoption.decided_on if adoption else None, adoption.decided_by if adoption else "",
            adoption.reason if adoption else "", rs.item_count, rs.rollup.items_excluded,
            _round(rs.rollup.progress),
            "\n".join(f"{self.l10n(p, 'place')} {self.l10n(p, 'title')}" for p in practices),
        ])

        body.append(Heading(2, _("Israeli practices")))
        if not practices:
            body.append(Para(_("The report cites no practice for this recommendation."), "note"))
        for p in practices:
            where = _("report section %(section)s", section=p.section)
            body.append(Para(f"{self.l10n(p, 'place')}{self.colon()}{self.l10n(p, 'title')}{self.paren(where)}",
                             "strong"))
            desc = self.l10n(p, "description")
            if desc:
                body.append(Para(desc))
            for f in p.figures:
                value = (self.l10n(f, "value_text") or with_unit(f.value, unit_label(f, self.loc)))
                extra = self.sep().join(filter(None, [format_year(f.year, self.loc, "") if f.year else "",
                                                      _("section %(section)s", section=f.section)]))
                body.append(Para(f"{self.l10n(f, 'label')}{self.colon()}{value}{self.paren(extra)}", "bullet"))

        ind_table = Table(f"indicators_{rec.code}", _("Indicators"), [
            Column("indicator", _("Indicator"), TEXT, 3.2), Column("baseline", _("Baseline"), TEXT, 1.6),
            Column("latest", _("Latest measurement"), TEXT, 1.8), Column("target", _("Target"), TEXT, 1.6),
            Column("reference", _("Israel reference"), TEXT, 2.2), Column("gap", _("Gap closure"), TEXT, 1.1),
            Column("on_track", _("On-track class"), TEXT, 1.5)],
            empty=_("No indicator is defined for this recommendation."))
        for ind in indicators:
            st = ind_states[ind.id]
            unit = unit_label(ind, self.loc)
            name = f"{self.l10n(ind, 'name')}{self.paren(f'{unit}{self.sep()}{labels.label(ind.direction)}' if unit else labels.label(ind.direction))}"
            baseline = self.valued(ind.baseline_value, unit, format_year(ind.baseline_year, self.loc, "")) \
                if ind.baseline_value is not None else _("Not given (to be provided by the department)")
            latest = self.valued(st.latest.value, unit, self.d(st.latest.measured_on)) if st.latest else _("No measurement")
            target = self.valued(ind.target_value, unit, format_year(ind.target_year, self.loc, "")) \
                if ind.target_value is not None else _("Not set")
            place = self.l10n(ind, "reference_place")
            ref = self.valued(ind.reference_value, unit, self.sep().join(
                filter(None, [place, format_year(ind.reference_year, self.loc, "") if ind.reference_year else ""]))) \
                if ind.reference_value is not None else "—"
            gap = pct(st.gap_closure * 100) if st.gap_closure is not None else "—"
            ind_table.rows.append([name, baseline, latest, target, ref, gap, self.on_track[st.on_track.value]])
            indicators_flat.rows.append([
                rec.code, ind.code, self.l10n(ind, "name"), unit, labels.label(ind.direction),
                _dec(ind.baseline_value), ind.baseline_year,
                _dec(st.latest.value) if st.latest else None, st.latest.measured_on if st.latest else None,
                _dec(ind.target_value), ind.target_year,
                _dec(ind.reference_value), ind.reference_year, place,
                _round(st.gap_closure * 100) if st.gap_closure is not None else None,
                self.on_track[st.on_track.value],
            ])
        body += [Heading(2, ind_table.title), ind_table]

        item_table = Table(f"items_{rec.code}", _("Action items"), [
            Column("item", _("Action item"), TEXT, 3.2), Column("departments", _("Lead / supporting departments"), TEXT, 2),
            Column("schedule", _("Schedule"), TEXT, 1.7), Column("budget", _("Budget"), TEXT, 1.5),
            Column("status", _("Status"), TEXT, 1.2), Column("progress", _("Progress"), TEXT, 0.9),
            Column("updates", _("Status updates approved this year"), TEXT, 4.2),
            Column("decision", _("Tracking decision"), TEXT, 1.5)],
            empty=_("No action items."))
        lead_l, sup_l = _("Lead"), _("Supporting")
        none_this_year = _("None approved in %(year)s", year=self.year_label())
        want_body, want_sheets = self.want_body, self.want_sheets
        yes = _("Yes")
        for it in items:
            st = states[it.id]
            sup = self.sep().join(self.dept(d) for d in it.supporting_departments)
            ups = updates.get(it.id, [])
            upd_lines = "\n".join(self.update_line(u) for u in ups)
            dec = st.decision
            if want_sheets:
                items_flat.rows.append([
                    rec.report.code, rec.code, it.code, self.l10n(it, "title"), it.source_section,
                    self.dept(it.lead_department), sup, it.start_date, it.due_date,
                    _dec(it.budget_amount), self.budget_source[it.budget_source] if it.budget_source else "",
                    self.status[st.status], st.progress, _dec(it.weight),
                    st.official.effective_date if st.official else None, upd_lines,
                    yes if st.pending is not None else "",
                    self.tracking[dec.decision] if dec else "", dec.effective_date if dec else None,
                    dec.reason if dec else "",
                    self.sep().join(self.flag[f] for f in st.flags),
                ])
            if not want_body:
                continue
            depts = f"{lead_l}{self.colon()}{self.dept(it.lead_department)}"
            if sup:
                depts += f"\n{sup_l}{self.colon()}{sup}"
            schedule = f"{self.d(it.start_date)}–{self.d(it.due_date)}" if (it.start_date or it.due_date) else "—"
            budget = money(it.budget_amount) if it.budget_amount is not None else "—"
            if it.budget_source is not None:
                budget += "\n" + self.budget_source[it.budget_source]
            status = self.status[st.status]
            flags = [self.flag[f] for f in st.flags if f != "due_soon"]
            if flags:
                status += "\n" + self.sep().join(flags)
            upd_text = upd_lines or none_this_year
            decision = f"{self.tracking[dec.decision]}\n{self.d(dec.effective_date)}" if dec else "—"
            title = f"{it.code} {self.l10n(it, 'title')}"
            if it.source_section:
                title += self.paren(it.source_section)
            item_table.rows.append([title, depts, schedule, budget, status, f"{st.progress}%", upd_text, decision])
        body += [Heading(2, item_table.title), item_table]

    def valued(self, value: Any, unit: str, when: str) -> str:
        text = with_unit(value, unit)
        return f"{text}{self.paren(when)}" if when else text

    def update_line(self, u: _YearUpdate) -> str:
        head = f"{self.d(u.effective_date)} {self.status[u.status]} {u.progress}%"
        return f"{head}{self.colon()}{u.narrative.strip()}" if u.narrative.strip() else head

    def appendix(self, summary: progress.Summary, body: list[Block]) -> Table:
        body.append(Heading(1, _("Appendix: items needing attention on %(date)s", date=self.d(self.as_of))))
        body.append(Para(_("Overdue: the due date has passed and the item is not completed. Not reported: no "
                           "report describing the last reporting period whose deadline has passed, or a later "
                           "one."), "note"))
        flat = Table("appendix", _("Items overdue or not reported"), [
            Column("flag", _("Flag"), TEXT, 1), Column("recommendation", _("Recommendation"), TEXT, 1),
            Column("code", _("Code"), TEXT, 1), Column("item", _("Action item"), TEXT, 4),
            Column("lead", _("Lead department"), TEXT, 2), Column("due", _("Due date"), DATE, 1.4),
            Column("last", _("Last approved update"), DATE, 1.4), Column("status", _("Status"), TEXT, 1.2),
            Column("progress", _("Progress (%)"), INT, 1)], empty=_("No item is overdue or stale."))
        flagged = {key: [self.item_by_id[f.item_id] for f in summary.flagged[key] if f.item_id in self.item_by_id]
                   for key in ("overdue", "stale")}
        for key, title, rows in (("overdue", _("Overdue items"), flagged["overdue"]),
                                 ("stale", _("Items not reported"), flagged["stale"])):
            t = Table(f"appendix_{key}", title, [c for c in flat.columns if c.key != "flag"],
                      empty=_("None."))
            for it in rows:
                st = summary.states[it.id]
                row = [it.recommendation.code, it.code, self.l10n(it, "title"), self.dept(it.lead_department),
                       it.due_date, st.official.effective_date if st.official else None,
                       self.status[st.status], st.progress]
                t.rows.append(row)
                flat.rows.append([self.flag[key]] + row)
            body += [Heading(2, f"{title} ({len(rows):,})"), t]
        return flat

    # --- flat tables (spreadsheets, CSV) -------------------------------------------------

    def items_flat_table(self) -> Table:
        return Table("action_items", _("Action items"), [
            Column("report", _("Report"), TEXT), Column("recommendation", _("Recommendation"), TEXT),
            Column("code", _("Code"), TEXT), Column("title", _("Action item"), TEXT, 4),
            Column("section", _("Source section"), TEXT), Column("lead", _("Lead department"), TEXT, 2),
            Column("supporting", _("Supporting departments"), TEXT, 2), Column("start", _("Start date"), DATE),
            Column("due", _("Due date"), DATE), Column("budget", _("Budget (NT$)"), MONEY),
            Column("budget_source", _("Budget source"), TEXT, 1.5), Column("status", _("Status"), TEXT),
            Column("progress", _("Progress (%)"), INT), Column("weight", _("Weight"), NUM),
            Column("last_update", _("Last approved update"), DATE),
            Column("updates", _("Status updates approved this year"), TEXT, 5),
            Column("pending", _("Update pending review"), TEXT),
            Column("decision", _("Tracking decision"), TEXT, 1.5), Column("decision_date", _("Decision date"), DATE),
            Column("decision_reason", _("Decision reason"), TEXT, 3), Column("flags", _("Flags"), TEXT),
        ], empty=_("No action items."))

    def indicators_flat_table(self) -> Table:
        return Table("indicators", _("Indicators"), [
            Column("recommendation", _("Recommendation"), TEXT), Column("code", _("Code"), TEXT),
            Column("name", _("Indicator"), TEXT, 4), Column("unit", _("Unit"), TEXT),
            Column("direction", _("Direction"), TEXT, 1.5),
            Column("baseline", _("Baseline"), NUM), Column("baseline_year", _("Baseline year"), YEAR),
            Column("latest", _("Latest measurement"), NUM), Column("latest_date", _("Measured on"), DATE),
            Column("target", _("Target"), NUM), Column("target_year", _("Target year"), YEAR),
            Column("reference", _("Israel reference"), NUM), Column("reference_year", _("Reference year"), YEAR),
            Column("reference_place", _("Reference place"), TEXT, 1.5),
            Column("gap", _("Gap closure (%)"), PCT), Column("on_track", _("On-track class"), TEXT, 1.5),
        ], empty=_("No indicators."))

    def recs_flat_table(self) -> Table:
        return Table("recommendations", _("Recommendations"), [
            Column("code", _("Code"), TEXT), Column("section", _("Source section"), TEXT),
            Column("title", _("Recommendation"), TEXT, 3), Column("text", _("Text"), TEXT, 6),
            Column("adoption", _("Adoption decision"), TEXT, 1.5), Column("decided_on", _("Decided on"), DATE),
            Column("decided_by", _("Decided by"), TEXT, 1.5), Column("adoption_reason", _("Reason"), TEXT, 2),
            Column("items", _("Action items"), INT), Column("excluded", _("Not feasible (left out)"), INT),
            Column("progress", _("Progress (%)"), PCT), Column("practices", _("Israeli practices"), TEXT, 4),
        ], empty=_("No recommendations."))


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _dec(value: Decimal | None) -> int | float | None:
    """A Decimal as the int or float a spreadsheet stores."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def build_document(year: int, as_of: "date | DataDates", locale: str, report_ids: list[int] | None = None,
                   generated_on: date | None = None, on_progress: ProgressFn | None = None,
                   parts: Iterable[str] = ("body", "sheets")) -> SummaryDocument:
    """The annual summary of ``year`` as of ``as_of`` in ``locale`` ("zh_TW" or "en").

    Needs an app context (database, translations); no request. Options are assumed
    valid (see tracker.exports.resolve_options)."""
    generated_on = generated_on or today()
    with force_locale(locale):
        q = select(Report).order_by(Report.id)
        if report_ids is not None:
            q = q.where(Report.id.in_(report_ids))
        reports = list(db.session.scalars(q))
        dd = as_of if isinstance(as_of, DataDates) else DataDates(as_of, generated_on, generated_on)
        return _Builder(locale, year, dd, generated_on, on_progress, frozenset(parts)).build(reports, report_ids)


def iter_text_rows(table: Table, locale: str) -> Iterable[list[str]]:
    """The table's rows as display strings (for the text documents)."""
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        yield [cell_text(v, k, locale) for v, k in zip(row, kinds)]
