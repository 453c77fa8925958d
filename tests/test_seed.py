"""Seed data (seed/data) and its loader, checked against the report; demo data."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import func, select

from seed.demo import DEMO_DOMAIN, load_demo
from seed.loader import SeedError, load_seed
from tracker.extensions import db
from tracker.models import (
    ActionItem,
    Department,
    Indicator,
    Measurement,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Report,
    Review,
    ReviewDecision,
    Role,
    Status,
    StatusUpdate,
    TrackingChoice,
    TrackingDecision,
    User,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "seed" / "data"
REPORT_DIR = Path("reports") / "israel-2016"
# The report's own text, kept beside the seed data (seed/source/README or docs/domain.md).
SOURCE_REPORT = ROOT / "seed" / "source" / "israel-2016-trip-report.zh-TW.txt"
SEED_TABLES = (
    "department",
    "report",
    "recommendation",
    "reference_practice",
    "practice_figure",
    "indicator",
    "action_item",
    "action_item_supporting",
    "action_item_practice",
    "action_item_indicator",
    "adoption_decision",
)
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# --- helpers --------------------------------------------------------------------------------------


def seed(data_dir: Path = DATA):
    stats = load_seed(db.session, data_dir)
    db.session.commit()
    return stats


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every seed table, in a stable order."""
    out = {}
    for name in SEED_TABLES:
        table = db.metadata.tables[name]
        rows = db.session.execute(select(table)).all()
        out[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


def counts() -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot().items()}


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of seed/data, and a helper to edit one of its files."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)

    def edit(relative: str | Path, old: str, new: str) -> int:
        """Replace the first ``old`` with ``new``; returns the 1-based line of the change."""
        path = target / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        line = text[: text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return line

    return target, edit


def figure(practice: str, code: str) -> PracticeFigure:
    return db.session.scalar(
        select(PracticeFigure)
        .join(ReferencePractice)
        .where(ReferencePractice.code == practice, PracticeFigure.code == code)
    )


def indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def item(code: str) -> ActionItem:
    return db.session.scalar(select(ActionItem).where(ActionItem.code == code))


# --- the seed loads, once ---------------------------------------------------------------------------


def test_seed_loads_the_report_with_its_departments(app):
    stats = seed()
    report = db.session.scalar(select(Report).where(Report.code == "israel-2016"))
    assert report.title_zh == "赴以色列出席第31屆世界市長會議 出國報告書"
    assert report.agency_zh == "臺南市政府" and report.agency_en == "Tainan City Government"
    assert (report.trip_start, report.trip_end, report.report_date) == (
        date(2016, 11, 12),
        date(2016, 11, 19),
        date(2016, 12, 23),
    )
    assert report.travellers_zh.splitlines()[0] == "賴清德市長"
    assert "警察局刑警大隊黃建富偵查佐" in report.travellers_zh
    assert len(report.travellers_en.splitlines()) == len(report.travellers_zh.splitlines()) == 6
    assert report.summary_zh.startswith("臺南市賴清德市長接受以色列政府邀請")
    assert report.summary_en and report.destination_en == "Israel"
    codes = set(db.session.scalars(select(Department.code)))
    # Every department the report names, plus the commission that tracks the follow-up.
    assert {"intl", "police", "transport", "disaster", "works", "rdec"} <= codes
    assert stats.outcome("created") > 0 and stats.outcome("updated") == 0
    assert "14 action items" in stats.describe() and "\n" not in stats.describe()


def test_running_the_seed_twice_changes_nothing(app):
    seed()
    before = snapshot()
    stats = seed()
    assert snapshot() == before
    assert stats.outcome("created") == 0 and stats.outcome("updated") == 0
    assert stats.outcome("unchanged") == sum(
        len(before[t])
        for t in (
            "department",
            "report",
            "recommendation",
            "reference_practice",
            "practice_figure",
            "indicator",
            "action_item",
        )
    )
    assert {i.version for i in db.session.scalars(select(ActionItem))} == {1}


def test_load_only_flushes(app):
    load_seed(db.session, DATA)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Report.id))) == 0


# --- faithful to the report -------------------------------------------------------------------------


def test_five_recommendations_with_their_sections(app):
    seed()
    recs = list(db.session.scalars(select(Recommendation).order_by(Recommendation.position)))
    assert [(r.code, r.section) for r in recs] == [
        ("R1", "三(一)"),
        ("R2", "三(二)"),
        ("R3", "三(三)"),
        ("R4", "三(四)"),
        ("R5", "三(五)"),
    ]
    assert recs[0].title_zh == "結合產官學研力量，積極扶持新創"
    assert recs[4].title_zh == "持續強化城市交流、深化城市外交"
    assert all(r.text_zh and r.text_en and r.title_en for r in recs)
    assert "(4)強化創業者間的交流與鏈結" in recs[0].text_zh and "**" not in recs[0].text_zh
    # The report contains no adoption decision, so none is invented.
    assert all(r.adoption_decisions == [] for r in recs)


@pytest.mark.parametrize(
    "practice, code, value, unit, year, section, in_quote",
    [
        ("IL-RD-SUPPORT", "rd-share-of-gdp", "4.38", "%", 2016, "二(四)", "4.38%"),
        ("IL-RD-SUPPORT", "global-rd-centres", "300", "間", 2016, "二(四)", "超過 300 間"),
        ("JLM-ECOSYSTEM", "tech-companies", "600", "家", 2016, "二(五)", "600 家科技公司"),
        ("JLM-ECOSYSTEM", "accelerators", "12", "個", 2016, "二(五)", "12 個新創加速器"),
        ("JLM-ECOSYSTEM", "investment-funds", "18", "個", 2016, "二(五)", "18 個新創投資基金"),
        ("JLM-ECOSYSTEM", "tech-workers", "14500", "人", 2016, "二(五)", "14,500 名"),
        ("JLM-MASSCHALLENGE", "building-age", "100", "年", None, "二(五)", "超過百年"),
        ("TLV-CONTROL-CENTRE", "control-centre-hours", "24", "小時/日", 2014, "二(四)", "2014 年起"),
        ("TLV-CONTROL-CENTRE", "multifunction-cameras", "800", "個", 2016, "二(四)", "800 多個多功能攝影機"),
        ("TLV-CONTROL-CENTRE", "cameras-citywide", "800", "個", 2016, "三(二)", "800 個攝影機"),
        ("IL-WATER-REUSE", "water-reuse-rate", "80", "%", 2016, "二(七)", "高達 80%，全球第一"),
        ("IL-WATER-REUSE", "irrigation-reclaimed-share", "59", "%", 2016, "二(七)", "59%來自再生水"),
        ("IL-DRIP-IRRIGATION", "water-saving", "50", "%", None, "二(八)", "減少 50%"),
        ("IL-DRIP-IRRIGATION", "efficiency-gain", "30", "%", None, "二(八)", "提升 30%"),
        ("IL-DRIP-IRRIGATION", "yield-gain", "200", "%", None, "二(八)", "提升 200%"),
        ("RAA-EDUCATION", "education-budget-share", "30", "%", 2016, "二(三)", "高達三成"),
        ("IL-MAYORS-CONFERENCE", "other-mayors-2016", "20", "人", 2016, "二(二)", "20 名市長"),
    ],
)
def test_key_figures_have_exact_values(app, practice, code, value, unit, year, section, in_quote):
    seed()
    f = figure(practice, code)
    assert f is not None, f"{practice}/{code} missing"
    assert f.value == Decimal(value)
    assert (f.unit, f.year, f.section) == (unit, year, section)
    assert in_quote in f.quote_zh


@pytest.mark.parametrize(
    "practice, code, year, text",
    [
        ("RAA-SISTER-CITY", "sister-city-since", 1999, "1999 年締盟"),
        ("RAA-SISTER-CITY", "tainan-direction-sign", 2011, "2011 年"),
        ("RAA-SISTER-CITY", "who-safe-city", 2005, "安全城市"),
        ("TLV-SOLAR-HEATERS", "mandatory-on-new-buildings", 2016, "建屋時均需要加裝太陽電熱板"),
        ("TLV-EMERGENCY", "shelters", 2016, "數百個避難場所"),
        ("BEZEQ-SENSORS", "sensors-and-cameras", 2016, "數以百計的感測器及攝影機"),
    ],
)
def test_non_numeric_figures_keep_their_text_and_year(app, practice, code, year, text):
    seed()
    f = figure(practice, code)
    assert f.value is None and f.value_text_zh and f.value_text_en
    assert f.year == year and text in f.quote_zh


def test_figures_outside_any_recommendation_are_left_out(app):
    seed()
    quotes = " ".join(db.session.scalars(select(PracticeFigure.quote_zh)))
    assert "乳牛" not in quotes and "一萬多公升" not in quotes


@pytest.mark.parametrize(
    "code, value, unit, in_source",
    [
        ("pv-capacity", "199", "MW", "逾 199 百萬瓦"),
        ("pv-generation", "249", "百萬度", "約 2.49 億度"),
        ("pv-co2-reduction", "129000", "公噸", "約 12.9 萬噸"),
    ],
)
def test_tainan_figures_from_the_report_are_baselines(app, code, value, unit, in_source):
    seed()
    ind = indicator(code)
    assert ind.baseline_value == Decimal(value) and ind.unit == unit
    assert ind.baseline_year == 2016 and in_source in ind.baseline_source
    assert ind.baseline_source.startswith("三(三)")


def test_indicators_invent_no_target_and_no_baseline(app):
    seed()
    indicators = list(db.session.scalars(select(Indicator)))
    assert len(indicators) == 10
    with_baseline = {i.code for i in indicators if i.baseline_value is not None}
    assert with_baseline == {"pv-capacity", "pv-generation", "pv-co2-reduction"}
    for ind in indicators:
        assert ind.target_value is None and ind.target_year is None, ind.code
        assert ind.data_department is not None, ind.code
        assert ind.direction is not None and ind.unit
        if ind.baseline_value is None:
            assert ind.baseline_year is None and ind.baseline_source == ""
            assert "待主辦機關提供" in ind.notes_zh and "to be provided by the department" in ind.notes_en
    refs = {i.code: (i.reference_value, i.reference_year, i.reference_place_en) for i in indicators}
    assert refs["water-reuse-rate"] == (Decimal(80), 2016, "Israel (national)")
    assert refs["irrigation-reclaimed-share"] == (Decimal(59), 2016, "Israel (national)")
    assert refs["intersection-cameras"] == (Decimal(800), 2016, "Tel Aviv")
    assert refs["education-budget-share"] == (Decimal(30), 2016, "Ra'anana")
    assert indicator("intersection-cameras").data_department.code == "police"
    assert indicator("water-reuse-rate").data_department.code == "water"


def test_everything_cites_a_section(app):
    seed()
    section = re.compile(r"^[一二三四]\([一二三四五六七八]\)$")
    for model, attr in (
        (Recommendation, "section"),
        (ReferencePractice, "section"),
        (PracticeFigure, "section"),
        (ActionItem, "source_section"),
    ):
        for value in db.session.scalars(select(getattr(model, attr))):
            assert section.match(value), f"{model.__name__}: {value!r}"


def test_action_items_have_owners_links_and_no_invented_schedule(app):
    seed()
    items = list(db.session.scalars(select(ActionItem)))
    assert len(items) == 14
    for it in items:
        assert it.lead_department is not None and it.lead_department not in it.supporting_departments
        assert it.weight == 1 and it.version == 1
        assert it.start_date is None and it.due_date is None
        assert it.budget_amount is None and it.budget_source is None
        assert it.title_zh and it.title_en and it.description_zh and it.description_en
    r201 = item("R2-01")
    assert r201.lead_department.code == "police"
    assert {d.code for d in r201.supporting_departments} == {"transport", "disaster", "works"}
    assert [i.code for i in item("R3-01").indicators] == ["pv-capacity", "pv-generation", "pv-co2-reduction"]
    assert {p.code for p in item("R3-04").practices} == {"IL-DRIP-IRRIGATION"}
    # Every recommendation gets at least one item; every indicator is linked to one.
    assert {it.recommendation.code for it in items} == {"R1", "R2", "R3", "R4", "R5"}
    linked = {ind.code for it in items for ind in it.indicators}
    assert linked == set(db.session.scalars(select(Indicator.code)))


def _source_text() -> str:
    return SOURCE_REPORT.read_text(encoding="utf-8")


def test_quotes_and_texts_are_verbatim(app):
    """Every zh text marked verbatim appears in the report, character for character
    (after joining page breaks and dropping the ** bold markers)."""
    source = _source_text().replace("**", "")
    joined = source.replace("\n\n", "")

    def verbatim(label: str, text: str) -> None:
        for para in (p for p in text.split("\n\n") if p.strip()):
            assert para in source or para in joined, f"{label}: not in the report: {para[:60]}…"

    seed()
    report = db.session.scalar(select(Report))
    verbatim("summary", report.summary_zh)
    for line in report.travellers_zh.splitlines():
        verbatim("traveller", line)
    for rec in db.session.scalars(select(Recommendation)):
        verbatim(rec.code, rec.text_zh)
        verbatim(rec.code, rec.title_zh)
    for practice in db.session.scalars(select(ReferencePractice)):
        verbatim(practice.code, practice.description_zh)
        for f in practice.figures:
            verbatim(f"{practice.code}/{f.code}", f.quote_zh)
    for ind in db.session.scalars(select(Indicator)):
        for quoted in re.findall(r"「([^」]+)」", ind.reference_source + ind.baseline_source):
            verbatim(ind.code, quoted)


# --- the app's values survive a re-run; YAML corrections reach the database ---------------------------


def test_rerun_keeps_what_the_app_filled_in(app):
    seed()
    it, ind = item("R3-02"), indicator("water-reuse-rate")
    it.start_date, it.due_date, it.budget_amount = date(2017, 1, 1), date(2018, 12, 31), Decimal(1000000)
    it.lead_department = db.session.scalar(select(Department).where(Department.code == "env"))
    it.supporting_departments = []
    ind.baseline_value, ind.baseline_year, ind.target_value, ind.target_year = Decimal(3), 2016, Decimal(20), 2020
    db.session.commit()
    stats = seed()
    it, ind = item("R3-02"), indicator("water-reuse-rate")
    assert (it.start_date, it.due_date, it.budget_amount) == (date(2017, 1, 1), date(2018, 12, 31), 1000000)
    assert it.lead_department.code == "env" and it.supporting_departments == []
    assert (ind.baseline_value, ind.target_value, ind.target_year) == (3, 20, 2020)
    assert stats.outcome("updated") == 0


def test_a_corrected_yaml_file_updates_the_database(app, data_copy):
    data, edit = data_copy
    seed(data)
    edit(REPORT_DIR / "action_items.yaml", "title_zh: 推動再生水計畫", "title_zh: 持續推動再生水計畫")
    edit(REPORT_DIR / "practices.yaml", "value: 4.38", "value: 4.39")
    stats = seed(data)
    assert item("R3-02").title_zh == "持續推動再生水計畫"
    assert item("R3-02").version == 2  # forms opened on version 1 now conflict
    assert figure("IL-RD-SUPPORT", "rd-share-of-gdp").value == Decimal("4.39")
    assert stats.outcome("updated") == 2 and stats.outcome("created") == 0


def test_a_second_report_folder_is_loaded_beside_the_first(app, data_copy):
    data, _ = data_copy
    folder = data / "reports" / "next-trip"
    folder.mkdir()
    (folder / "report.yaml").write_text(
        "report:\n  code: next-trip\n  title_zh: 下一份報告\n  title_en: The next report\n"
        "  agency_zh: 臺南市政府\n  agency_en: Tainan City Government\n"
        "  trip_start: 2017-05-01\n  trip_end: 2017-05-05\n  report_date: 2017-06-30\n"
        "recommendations:\n  - {code: R1, section: 三(一), title_zh: 建議, title_en: Advice, text_zh: 內容, text_en: Text}\n"
        "indicators:\n  - {code: tech-companies, recommendation: R1, name_zh: 指標, name_en: Indicator,"
        " unit: 家, direction: higher, data_department: econ}\n"
        "action_items:\n  - {code: R1-01, recommendation: R1, title_zh: 事項, title_en: Item,"
        " source_section: 三(一), lead: water, indicators: [tech-companies]}\n",
        encoding="utf-8",
    )
    stats = seed(data)
    assert stats.reports == ["israel-2016", "next-trip"]
    assert db.session.scalar(select(func.count(Indicator.id)).where(Indicator.code == "tech-companies")) == 2
    assert db.session.scalar(select(func.count(ActionItem.id)).where(ActionItem.code == "R1-01")) == 2
    assert seed(data).outcome("created") == 0


# --- malformed data: named file and line, nothing written ---------------------------------------------


def test_malformed_yaml_names_file_and_line_and_writes_nothing(app, data_copy):
    data, edit = data_copy
    seed()
    before = snapshot()
    line = edit("departments.yaml", "  - code: legal\n", "  - code: legal: [broken\n")
    with pytest.raises(SeedError) as caught:
        load_seed(db.session, data)
    message = str(caught.value)
    assert "departments.yaml" in message and f"line {line}" in message and "malformed YAML" in message
    assert not db.session.new and not db.session.dirty  # checked before anything was written
    db.session.rollback()
    assert snapshot() == before


def test_errors_in_an_empty_database_leave_it_empty(app, data_copy):
    data, edit = data_copy
    edit(REPORT_DIR / "practices.yaml", "    figures:\n", "   figures:\n")
    with pytest.raises(SeedError, match=r"practices\.yaml, line \d+"):
        load_seed(db.session, data)
    assert not db.session.new
    db.session.rollback()
    assert all(n == 0 for n in counts().values())


def test_unknown_department_code(app, data_copy):
    data, edit = data_copy
    line = edit(REPORT_DIR / "action_items.yaml", "    lead: police", "    lead: nosuch")
    with pytest.raises(SeedError) as caught:
        load_seed(db.session, data)
    message = str(caught.value)
    assert "action_items.yaml" in message and f"line {line}" in message
    assert "unknown department code 'nosuch'" in message and "R2-01" in message


@pytest.mark.parametrize(
    "relative, old, new, reason",
    [
        (REPORT_DIR / "practices.yaml", "        value: 4.38\n", "        valu: 4.38\n", "unknown key 'valu'"),
        (
            REPORT_DIR / "recommendations.yaml",
            "    section: 三(三)\n",
            "    section:\n",
            "missing required field 'section'",
        ),
        (REPORT_DIR / "action_items.yaml", "    weight: 1\n", "    weight: heavy\n", "weight must be a number"),
        (REPORT_DIR / "practices.yaml", "        year: 2014\n", '        year: "2014"\n', "must be a year"),
        (REPORT_DIR / "report.yaml", "trip_start: 2016-11-12", "trip_start: 2016-02-30", "not a real date"),
        (REPORT_DIR / "report.yaml", "trip_start: 2016-11-12", "trip_start: 12/11/2016", "YYYY-MM-DD"),
        (REPORT_DIR / "indicators.yaml", "    direction: higher", "    direction: up", "must be one of higher, lower"),
        (
            REPORT_DIR / "action_items.yaml",
            "    indicators: [start-up-accelerators]",
            "    indicators: [nope]",
            "unknown indicator 'nope'",
        ),
        (
            REPORT_DIR / "practices.yaml",
            "  - code: JLM-ECOSYSTEM\n    recommendation: R1",
            "  - code: JLM-ECOSYSTEM\n    recommendation: R9",
            "unknown recommendation 'R9'",
        ),
        ("departments.yaml", "  - code: legal\n", "  - code: rdec\n", "department code 'rdec' appears twice"),
        ("departments.yaml", "    name_zh: 法制處\n", "    name_zh: 法制處\n    name_zh: 法務處\n", "duplicate key"),
        # Rules within one record, reported at the key they concern.
        (REPORT_DIR / "action_items.yaml", "    weight: 1\n", "    weight: 0\n", "the weight must be greater than 0"),
        (
            REPORT_DIR / "action_items.yaml",
            "    start_date: null\n    due_date: null",
            "    start_date: 2017-01-01\n    due_date: 2016-12-31",
            "action item 'R1-01': the due date is before the start date",
        ),
        (
            REPORT_DIR / "action_items.yaml",
            "    supporting: [labor, rdec, culture]",
            "    supporting: [labor, econ, culture]",
            "the lead department cannot also be a supporting one",
        ),
        (
            REPORT_DIR / "action_items.yaml",
            '    budget: {amount: null, source: null, note: ""}',
            '    budget: {amount: 10.5, source: null, note: ""}',
            "the budget amount must be a whole number of NT$",
        ),
        (
            REPORT_DIR / "indicators.yaml",
            '    baseline: {value: null, year: null, source: ""}\n    target: {value: null, year: null}',
            '    baseline: {value: 1, year: 2016, source: ""}\n    target: {value: 2, year: 2016}',
            "indicator 'tech-companies': the target year must come after the baseline year",
        ),
        (
            REPORT_DIR / "report.yaml",
            "trip_start: 2016-11-12",
            "trip_start: 2016-11-30",
            "trip_end is before trip_start",
        ),
        (
            REPORT_DIR / "practices.yaml",
            "      - code: rd-share-of-gdp\n",
            "      - {code: no-value, label_zh: 甲, label_en: A, section: 二(四), quote_zh: 乙}\n      - code: rd-share-of-gdp\n",
            "figure 'no-value': needs a value or a value_text_zh",
        ),
        # Values inside lists and nested mappings.
        (
            REPORT_DIR / "action_items.yaml",
            "action_items:\n",
            "action_items:\n  - 5\n",
            "action item must be a mapping of fields, not the number 5",
        ),
        (
            REPORT_DIR / "action_items.yaml",
            '    budget: {amount: null, source: null, note: ""}',
            '    budget: {amount: null, source: loan, note: ""}',
            "budget: source must be one of city, central, other, not 'loan'",
        ),
        (
            REPORT_DIR / "action_items.yaml",
            "    indicators: [start-up-accelerators]",
            "    indicators: [start-up-accelerators, start-up-accelerators]",
            "action item 'R1-01': indicators lists the same entry twice",
        ),
        (
            REPORT_DIR / "report.yaml",
            "  code: israel-2016\n",
            "  code: israel 2016\n",
            "report 'israel 2016': code: 'israel 2016' is not a valid code",
        ),
    ],
)
def test_schema_errors_name_file_line_and_reason(app, data_copy, relative, old, new, reason):
    data, edit = data_copy
    line = edit(relative, old, new)
    with pytest.raises(SeedError) as caught:
        load_seed(db.session, data)
    message = str(caught.value)
    assert Path(relative).name in message and reason in message
    assert re.search(rf"line {line}\b|line {line + 1}\b", message), message
    assert not db.session.new


def test_every_problem_of_every_file_is_reported_at_once(app, data_copy):
    data, edit = data_copy
    weight = edit(REPORT_DIR / "action_items.yaml", "    weight: 1\n", "    weight: heavy\n")
    target = 1 + edit(
        REPORT_DIR / "indicators.yaml",
        '    baseline: {value: null, year: null, source: ""}\n    target: {value: null, year: null}',
        '    baseline: {value: 1, year: 2016, source: ""}\n    target: {value: 2, year: 2015}',
    )
    unknown = edit(REPORT_DIR / "practices.yaml", "        value: 4.38\n", "        valu: 4.38\n")
    with pytest.raises(SeedError) as caught:
        load_seed(db.session, data)
    found = {(Path(p.file).name, p.line, p.reason) for p in caught.value.problems}
    assert found == {
        ("action_items.yaml", weight, "action item 'R1-01': weight must be a number, not the text 'heavy'"),
        ("indicators.yaml", target, "indicator 'tech-companies': the target year must come after the baseline year"),
        (
            "practices.yaml",
            unknown,
            "unknown key 'valu' in figure 'rd-share-of-gdp' (allowed: code, label_zh, label_en, value, value_text_zh,"
            " value_text_en, unit, unit_en, year, section, quote_zh)",
        ),
    }
    assert str(caught.value).startswith("3 problems in the seed data:\n")


def test_cli_seed_command(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "5 recommendations" in result.output
    assert db.session.scalar(select(func.count(Recommendation.id))) == 5


# --- demo data ------------------------------------------------------------------------------------------


def test_demo_accounts_and_history(app):
    seed()
    accounts = load_demo(db.session, hasher=CHEAP_HASHER)
    db.session.commit()
    roles = [role for role, _, _ in accounts]
    assert {"admin", "reviewer", "viewer", "editor"} <= set(roles) and roles.count("editor") >= 2
    for role, email, password in accounts:
        assert email.endswith("@" + DEMO_DOMAIN) and len(password) >= 16
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == Role(role) and user.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(user.password_hash, password)
    editors = {
        e: db.session.scalar(select(User).where(User.email == e))
        for e in (f"editor@{DEMO_DOMAIN}", f"editor2@{DEMO_DOMAIN}")
    }
    lead_counts = dict(
        db.session.execute(
            select(ActionItem.lead_department_id, func.count(ActionItem.id)).group_by(ActionItem.lead_department_id)
        ).all()
    )
    top = editors[f"editor@{DEMO_DOMAIN}"].department_id
    assert lead_counts[top] == max(lead_counts.values())
    assert editors[f"editor2@{DEMO_DOMAIN}"].department_id != top

    updates = list(db.session.scalars(select(StatusUpdate).order_by(StatusUpdate.id)))
    assert updates and all(u.narrative.startswith("示範資料") for u in updates)
    assert {u.effective_date for u in updates} == {
        date(2017, 6, 30),
        date(2017, 12, 31),
        date(2018, 6, 30),
        date(2018, 12, 31),
    }
    for u in updates:
        assert u.department_id == u.action_item.lead_department_id
        assert u.submitted_by is not None and u.submitted_by.department_id == u.department_id
    reviews = list(db.session.scalars(select(Review)))
    assert all(r.effective_date > r.update.effective_date for r in reviews)
    returned = [r for r in reviews if r.decision is ReviewDecision.RETURN]
    assert len(returned) == 1 and returned[0].comment
    assert any(u.corrects_id == returned[0].update_id for u in updates)  # resubmitted
    assert len([u for u in updates if u.review is None]) == 1  # one still pending
    decisions = {(d.action_item.code, d.decision) for d in db.session.scalars(select(TrackingDecision))}
    assert (item("R5-03").code, TrackingChoice.RELEASE) in decisions
    assert any(choice is TrackingChoice.CONTINUE for _, choice in decisions)
    released = item("R5-03")
    assert any(
        u.status is Status.COMPLETED and u.evidence_url and u.review.decision is ReviewDecision.APPROVE
        for u in released.updates
    )
    measurements = list(db.session.scalars(select(Measurement)))
    assert measurements and all(m.update is not None and "示範資料" in m.source_note for m in measurements)
    assert any(m.update.review is not None and m.update.review.decision is ReviewDecision.APPROVE for m in measurements)
    # based_on_version follows the item's version: each record bumped it by one.
    for it in db.session.scalars(select(ActionItem)):
        records = len(it.updates) + sum(1 for u in it.updates if u.review) + len(it.decisions)
        assert it.version == 1 + records
        assert [u.based_on_version for u in it.updates] == sorted({u.based_on_version for u in it.updates})


def test_demo_is_idempotent_and_resets_passwords(app):
    seed()
    first = load_demo(db.session, hasher=CHEAP_HASHER)
    db.session.commit()
    history = [
        db.session.scalar(select(func.count(m.id))) for m in (StatusUpdate, Review, TrackingDecision, Measurement, User)
    ]
    second = load_demo(db.session, hasher=CHEAP_HASHER)
    db.session.commit()
    assert [e for _, e, _ in first] == [e for _, e, _ in second]
    assert history == [
        db.session.scalar(select(func.count(m.id))) for m in (StatusUpdate, Review, TrackingDecision, Measurement, User)
    ]
    old_password, new_password = first[0][2], second[0][2]
    user = db.session.scalar(select(User).where(User.email == first[0][1]))
    assert old_password != new_password and user.session_version == 2
    assert PasswordHasher().verify(user.password_hash, new_password)
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(user.password_hash, old_password)
