"""The 2017 summary of the hand-computed period scenarios (tests/scenarios.py,
docs/domain.md "A worked example") in every format, read back with a real reader.

Compiled today (K = today): JANUARY has both half years approved, the year-end 60 % one
approved on 2018-01-20 (107年1月20日); LATE's 06-30 report (40 %) approved 07-25 and nothing
for H2; RETURNED shows only the correction (50 %, approved 07-12); NEVER is not reported in
either half year; RELEASED is completed and released during the year, so its 列管建議 is
解除列管 with the decision's reason; OVERDUE is overdue. No item has a year-end
recommendation, so the summary is a draft. As printed on 2017-12-31 JANUARY is 30 % and
nothing is pending; on (2017-12-31, 2018-01-10) its year-end report is pending.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.export_readers import items_of, text_of
from tests.scenarios import build_scenarios
from tracker.dates import DataDates
from tracker.exports import render_summary, resolve_options
from tracker.exports.summary import build_document

TODAY = date(2026, 11, 26)
LOC = {"zh-TW": "zh_TW", "en": "en"}


@pytest.fixture
def scen(app, factory):
    return build_scenarios(factory)


def export(scen, fmt: str, lang: str = "zh-TW", known_at: date | None = None) -> bytes:
    options = resolve_options(
        year=2017, as_of=None, fmt=fmt, lang=lang, report=scen.report.id, today=TODAY, known_at=known_at
    )
    return render_summary(options)


def header(lang: str, msgid: str) -> str:
    with force_locale(LOC[lang]):
        return _(msgid)


def by_code(rows: list[dict], lang: str) -> dict[str, dict]:
    code = header(lang, "Code")
    return {r[code]: r for r in rows}


EXPECTED_PROGRESS = {"LATE": 40, "JANUARY": 60, "RETURNED": 50, "NEVER": 0, "RELEASED": 100, "OVERDUE": 10}


def test_model_year_rows(scen):
    doc = build_document(2017, DataDates(date(2017, 12, 31), TODAY, TODAY), "zh_TW", [scen.report.id])
    assert doc.draft and doc.pending_reports == 0 and doc.missing_decisions == 5
    rows = {r[2]: r for r in doc.items.rows}
    cols = [c.key for c in doc.items.columns]
    prog, year, dec_, opinion = (cols.index(k) for k in ("progress", "year", "decision", "opinion"))
    assert {code: rows[code][prog] for code in EXPECTED_PROGRESS} == EXPECTED_PROGRESS
    jan = rows["JANUARY"][year]
    assert "106年上半年（106年6月30日止，106年7月10日核定）：辦理中 30%" in jan
    assert "106年下半年（106年12月31日止，107年1月20日核定）：辦理中 60%" in jan
    assert rows["LATE"][year].startswith("106年上半年（106年6月30日止，106年7月25日核定）：辦理中 40%")
    assert "106年下半年：未填報" in rows["LATE"][year]
    assert "106年7月12日核定" in rows["RETURNED"][year] and "20%" not in rows["RETURNED"][year]
    assert rows["NEVER"][year] == "106年上半年：未填報\n106年下半年：未填報"
    assert rows["RELEASED"][dec_] == "解除列管" and rows["RELEASED"][opinion] == "已完成，解除列管"
    assert rows["LATE"][dec_] == "尚未決定"
    appendix = next(t for s in doc.sheets for t in s.tables if t.name == "appendix")
    flagged = {(r[0], r[2]) for r in appendix.rows}
    assert ("逾期", "OVERDUE") in flagged and ("久未更新", "NEVER") in flagged
    assert ("久未更新", "RELEASED") not in flagged


def test_as_printed_and_pending(scen):
    printed = build_document(2017, DataDates(date(2017, 12, 31), date(2017, 12, 31), TODAY), "zh_TW", [scen.report.id])
    rows = {r[2]: r for r in printed.items.rows}
    prog = [c.key for c in printed.items.columns].index("progress")
    assert rows["JANUARY"][prog] == 30 and printed.pending_reports == 0
    mid = build_document(2017, DataDates(date(2017, 12, 31), date(2018, 1, 10), TODAY), "zh_TW", [scen.report.id])
    assert mid.pending_reports == 1 and mid.draft
    assert "1 筆辦理情形待審核" in mid.cover.marks[0]
    assert "草稿" in mid.footer


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_tables_read_back(scen, fmt, lang):
    rows = by_code(items_of(fmt, export(scen, fmt, lang)), lang)
    progress = header(lang, "Progress (%)")
    got = {code: int(rows[code][progress]) for code in EXPECTED_PROGRESS}
    assert got == EXPECTED_PROGRESS
    year = header(lang, "Progress reported this year")
    decision = header(lang, "Year-end recommendation")
    if lang == "zh-TW":
        assert "107年1月20日核定" in rows["JANUARY"][year]
        assert rows["RELEASED"][decision] == "解除列管"
    else:
        assert "2017 H2, as of 2017-12-31, approved 2018-01-20" in rows["JANUARY"][year]
        assert rows["RELEASED"][decision] == "Release from tracking" or "Releas" in rows["RELEASED"][decision]
        assert "2017 H1: not reported" in rows["NEVER"][year]


@pytest.mark.parametrize("fmt", ["odt", "docx", "pdf"])
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_documents_read_back(scen, fmt, lang):
    text = text_of(fmt, export(scen, fmt, lang))
    assert "\x00" not in text
    flat = text.replace("\n", "")
    if lang == "zh-TW":
        for needle in (
            "辦理情形追蹤表",
            "彙整機關",
            "填表日期",
            "資料截止日",
            "核定截止日",
            "出國報告日期",
            "承辦人",
            "單位主管",
            "機關首長",
            "本年度辦理情形",
            "研考會審核意見",
            "列管建議",
            "草稿",
            "107年1月20日核定",
            "106年下半年：未填報",
            "解除列管",
        ):
            assert needle in flat, needle
    else:
        for needle in (
            "Follow-up table",
            "Compiled by",
            "Date compiled",
            "Data as of",
            "Trip report date",
            "Officer in charge",
            "Head of unit",
            "Head of agency",
            "Draft",
            "approved 2018-01-20",
            "2017 H2: not reported",
        ):
            assert needle in flat, needle
        assert "III(1)" in flat and "三(一)" not in flat  # section references in English form
        # Labels are English; only the data quoted as written (reasons, narratives) is Chinese.
        labels_only = flat.replace("已完成，解除列管", "").replace("辦理情形", "")
        for zh in ("辦理", "列管", "草稿", "機關"):
            assert zh not in labels_only, zh


def test_known_at_before_year_end_report_counts_it_as_pending_in_every_format(scen):
    data = export(scen, "csv", known_at=date(2018, 1, 10))
    rows = by_code(items_of("csv", data), "zh-TW")
    assert int(rows["JANUARY"][header("zh-TW", "Progress (%)")]) == 30
    assert rows["JANUARY"][header("zh-TW", "Reports waiting for review")] == "1"
