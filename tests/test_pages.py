"""Read pages: report list, report overview, recommendation, action item.

A signed-in viewer opens each page of the seeded report and sees its figures; bad
ids give a helpful 404; a bad or future as-of date gives a message and HTTP 400; the
recommendation page's SQL statement count does not grow with its action items.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import (
    ActionItem,
    Adoption,
    AdoptionDecision,
    BudgetSource,
    ItemNote,
    PracticeFigure,
    Recommendation,
    ReferencePractice,
    Status,
)
from tracker.web.reports import local_today


@pytest.fixture
def viewer(factory, login):
    user = factory.user("viewer")
    db.session.commit()
    return login(user)


def text_of(resp) -> str:
    """The page's visible text with tags and repeated whitespace removed."""
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rec_by_code(report, code: str) -> Recommendation:
    return db.session.scalar(
        db.select(Recommendation).where(Recommendation.report_id == report.id, Recommendation.code == code)
    )


# --------------------------------------------------------------------------- seeded report


def test_report_list_shows_the_seeded_report_with_roc_dates(client, seeded, viewer):
    resp = client.get("/reports")
    assert resp.status_code == 200
    page = text_of(resp)
    assert seeded.title_zh in page
    assert "105年11月12日" in page and "105年11月19日" in page  # trip dates in 民國
    assert "105年12月23日" in page  # report date
    assert "整體進度" in page and "%" in page
    items = db.session.scalar(db.select(db.func.count(ActionItem.id)))
    assert f"建議事項 5 項・辦理事項 {items} 項" in page
    assert f'href="/reports/{seeded.id}"' in resp.get_data(as_text=True)


def test_report_overview_shows_recommendations_formula_and_counts(client, seeded, viewer):
    resp = client.get(f"/reports/{seeded.id}")
    assert resp.status_code == 200
    page = text_of(resp)
    for code in ("R1", "R2", "R3", "R4", "R5"):
        assert code in page
    assert "Σ（權重 × 進度）÷ Σ（權重）" in page  # the roll-up formula is stated
    assert "無法辦理者不列入" in page
    for label in ("未啟動", "規劃中", "辦理中", "持續辦理", "已完成", "暫緩辦理", "無法辦理"):
        assert label in page
    assert seeded.agency_zh in page
    assert 'role="search"' in resp.get_data(as_text=True)  # the as-of picker


def test_recommendation_r3_shows_practice_figures_section_and_items(client, seeded, viewer):
    rec = rec_by_code(seeded, "R3")
    resp = client.get(f"/recommendations/{rec.id}")
    assert resp.status_code == 200
    page = text_of(resp)
    assert "三(三)" in page
    assert re.search(r"\b80%", page), "Israel's national water reuse figure"
    assert re.search(r"\b59%", page), "share of irrigation water that is reclaimed"
    assert "全國用水回收率高達" in page  # the verbatim quote from the report
    assert "國外標竿作法" in page and "指標" in page
    for item in rec.action_items:
        assert item.code in page and item.title_zh in page
    assert "尚未決定" in page  # no adoption decision yet


def test_indicator_without_baseline_asks_the_department(client, seeded, viewer):
    rec = rec_by_code(seeded, "R3")
    missing = [i for i in rec.indicators if i.baseline_value is None]
    assert missing, "the report gives no Tainan baseline for some R3 indicators"
    page = text_of(client.get(f"/recommendations/{rec.id}"))
    assert "待主辦機關提供" in page
    named = [i.data_department for i in missing if i.data_department is not None]
    for dept in named:
        assert dept.name_zh in page


def test_action_item_page_shows_details_and_state(client, seeded, viewer):
    item = db.session.scalar(db.select(ActionItem).where(ActionItem.code == "R3-02"))
    resp = client.get(f"/action-items/{item.id}")
    assert resp.status_code == 200
    page = text_of(resp)
    assert item.title_zh in page and "三(三)" in page
    assert item.lead_department.name_zh in page
    for dept in item.supporting_departments:
        assert dept.name_zh in page
    assert "未啟動" in page  # no approved update yet
    assert "辦理歷程" in page and "此辦理事項尚無任何紀錄" in page


@pytest.mark.parametrize("url", ["/reports/{}", "/recommendations/{}", "/action-items/{}"])
def test_unknown_ids_give_a_helpful_404(client, viewer, url):
    resp = client.get(url.format(987654))
    assert resp.status_code == 404
    page = text_of(resp)
    assert "找不到頁面" in page and "回到出國報告列表" in page


# --------------------------------------------------------------------------- as-of date


@pytest.mark.parametrize("raw", ["2017-13-45", "yesterday", "107/13/01", "1071301", "２"])
def test_malformed_as_of_is_a_400_with_a_message(client, factory, viewer, raw):
    rep = factory.report()
    db.session.commit()
    resp = client.get(f"/reports/{rep.id}", query_string={"as_of": raw})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert f"「{raw}」不是日期" in html or f"“{raw}”" in html
    assert "107/12/31" in html  # how to write it, in the form officials use
    assert 'aria-invalid="true"' in html and 'aria-describedby="as_of-desc as_of-echo as_of-error"' in html


def test_future_as_of_is_a_400_with_a_message(client, factory, viewer):
    rep = factory.report()
    rec = factory.recommendation(rep)
    db.session.commit()
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    for url in (f"/reports/{rep.id}", f"/recommendations/{rec.id}"):
        resp = client.get(url, query_string={"as_of": tomorrow})
        assert resp.status_code == 400
        assert "晚於今天" in text_of(resp)


def test_as_of_counts_only_updates_approved_by_then(client, factory, viewer):
    rec = factory.recommendation()
    a = factory.item(rec, weight=Decimal(1))
    b = factory.item(rec, weight=Decimal(3))
    factory.update(a, progress=40, effective=date(2017, 6, 30), approved_on=date(2017, 7, 10))
    factory.update(b, progress=80, effective=date(2017, 12, 31), approved_on=date(2018, 1, 15))
    db.session.commit()

    def progress_on(as_of: str) -> str:
        resp = client.get(f"/recommendations/{rec.id}", query_string={"as_of": as_of})
        assert resp.status_code == 200
        return re.search(
            r'<progress max="100" value="([\d.]+)" aria-label="R\S* 進度"', resp.get_data(as_text=True)
        ).group(1)

    # Everything known today: a report counts on the day it describes, whenever approved.
    assert progress_on("2017-06-29") == "0.0"
    assert progress_on("2017-07-01") == "10.0"  # (1×40 + 3×0) / 4
    assert progress_on("2017-12-31") == "70.0"  # (1×40 + 3×80) / 4, b approved 2018-01-15
    # As printed on 2017-12-31: b was not approved yet.
    resp = client.get(f"/recommendations/{rec.id}", query_string={"as_of": "2017-12-31", "known_at": "2017-12-31"})
    assert re.search(r'<progress max="100" value="10.0"', resp.get_data(as_text=True))
    page = text_of(client.get(f"/reports/{rec.report_id}", query_string={"as_of": "2017-12-31"}))
    assert "資料截止日 106年12月31日" in page or "106年12月31日" in page


# --------------------------------------------------------------------------- item details


def test_item_page_history_pending_budget_and_decision(client, factory, viewer):
    lead = factory.department(name_zh="水利局", name_en="Water Resources Bureau")
    item = factory.item(
        lead=lead,
        supporting=[factory.department(name_zh="農業局")],
        start_date=date(2017, 1, 1),
        due_date=date(2019, 12, 31),
        budget_amount=Decimal(12500000),
        budget_source=BudgetSource.CENTRAL,
        weight=Decimal(2),
    )
    factory.update(
        item, progress=30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 10), narrative="第一階段完成"
    )
    factory.update(
        item, progress=45, effective=date(2017, 12, 31), returned_on=date(2018, 1, 5), narrative="請補件的版本"
    )
    factory.update(item, progress=60, effective=date(2018, 6, 30), narrative="第二階段辦理中")
    db.session.add(ItemNote(action_item=item, department=lead, body="協辦意見", effective_date=date(2018, 2, 1)))
    db.session.commit()

    resp = client.get(f"/action-items/{item.id}")
    assert resp.status_code == 200
    page = text_of(resp)
    assert "NT$ 12,500,000" in page and "中央補助" in page
    assert "106年1月1日" in page and "108年12月31日" in page  # schedule in 民國
    assert "待審核" in page and "第二階段辦理中" in page  # the pending update
    assert "已核定" in page and "已退回" in page  # review outcomes in the history
    assert "協辦意見" in page
    # Newest first: the pending update (2018-06-30) comes before the approved one (2017-06-30).
    history = page[page.index("依時間由新到舊排列") :]
    assert (
        history.index("第二階段辦理中")
        < history.index("協辦意見")
        < history.index("請補件的版本")
        < history.index("第一階段完成")
    )
    assert 'role="progressbar"' in resp.get_data(as_text=True) or "<progress" in resp.get_data(as_text=True)


def test_item_page_offers_the_update_link_only_to_the_lead_editor(client, factory, login, app):
    item = factory.item()
    editor = factory.user("editor", department=item.lead_department)
    db.session.commit()
    link = f"/items/{item.id}/updates/new"
    login(factory.user("viewer"))
    db.session.commit()
    assert link not in client.get(f"/action-items/{item.id}").get_data(as_text=True)
    login(editor)
    assert link in client.get(f"/action-items/{item.id}").get_data(as_text=True)


def test_recommendation_flags_pending_and_adoption(client, factory, viewer):
    rec = factory.recommendation()
    overdue = factory.item(rec, start_date=date(2017, 1, 1), due_date=date(2017, 6, 30))
    pending = factory.item(rec, start_date=date(2017, 1, 1))
    factory.update(pending, progress=20, effective=date(2017, 3, 1))
    infeasible = factory.item(rec)
    factory.update(
        infeasible,
        status=Status.NOT_FEASIBLE,
        progress=0,
        reason="法規限制",
        effective=date(2017, 3, 1),
        approved_on=date(2017, 3, 2),
    )
    db.session.add(
        AdoptionDecision(
            recommendation=rec, decision=Adoption.PARTLY_ADOPTED, decided_on=date(2017, 2, 1), decided_by="市長"
        )
    )
    db.session.commit()
    resp = client.get(f"/recommendations/{rec.id}", query_string={"as_of": "2017-12-31"})
    page = text_of(resp)
    assert "逾期" in page and "久未更新" in page and "待審核" in page
    assert "部分採行" in page and "市長" in page
    assert "無法辦理 1 項不列入" in page
    assert overdue.code in page


def test_english_pages_show_english_text_and_keep_the_original(client, factory, viewer):
    rec = factory.recommendation(
        title_zh="永續與韌性",
        title_en="Sustainability and resilience",
        text_zh="以色列全國用水回收率高達80%",
        text_en="Israel reuses 80% of its water",
    )
    practice = ReferencePractice(
        recommendation=rec,
        code="P1",
        section="二(七)",
        place_zh="以色列",
        place_en="Israel",
        title_zh="水資源再利用",
        title_en="Water reuse",
    )
    db.session.add(practice)
    db.session.add(
        PracticeFigure(
            practice=practice,
            code="F1",
            label_zh="全國用水回收率",
            label_en="National water reuse",
            value=Decimal("80.0000"),
            unit="%",
            year=2016,
            section="二(七)",
            quote_zh="高達 80%",
        )
    )
    db.session.commit()
    resp = client.get(f"/recommendations/{rec.id}", query_string={"lang": "en"})
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html
    page = text_of(resp)
    assert "Sustainability and resilience" in page and "Israel reuses 80% of its water" in page
    assert "National water reuse" in page and "Water reuse" in page and "80%" in page
    # The zh original stays available in a collapsible block.
    assert re.search(
        r"<details[^>]*>\s*<summary>Original text \(Chinese\)</summary>\s*<div[^>]*lang=\"zh-TW\"[^>]*>以色列全國用水回收率高達80%",
        html,
    )
    assert "Recommendation text" in page and "Foreign benchmark practices" in page


# --------------------------------------------------------------------------- statement counts


def _statements(client, count_queries, url: str) -> int:
    # The test's app context outlives requests, so its session's identity map would serve
    # many-to-one lazy loads without SQL and hide an N+1: start every request empty.
    db.session.remove()
    with count_queries() as counter:
        resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return counter.count


def _recommendation_with(factory, n_items: int) -> Recommendation:
    rec = factory.recommendation()
    depts = [factory.department() for _ in range(3)]
    ind = factory.indicator(
        rec,
        reference_value=Decimal(80),
        baseline_value=Decimal(10),
        baseline_year=2016,
        target_value=Decimal(30),
        target_year=2020,
    )
    factory.measurement(ind, 12, date(2017, 6, 30))
    for i in range(n_items):
        it = factory.item(
            rec,
            lead=depts[i % 3],
            supporting=[depts[(i + 1) % 3], depts[(i + 2) % 3]],
            start_date=date(2017, 1, 1),
            due_date=date(2017, 1, 1) + timedelta(days=90 * (i % 8)),
        )
        if i % 2 == 0:
            factory.update(it, progress=i % 100, approved_on=date(2017, 7, 1))
        if i % 3 == 0:
            factory.update(it, progress=(i + 10) % 100, effective=date(2017, 9, 1))  # pending
        if i % 5 == 0:
            factory.decision(it, "continue", date(2017, 12, 1))
    db.session.commit()
    return rec


def test_recommendation_page_statement_count_does_not_grow_with_items(client, factory, viewer, count_queries):
    small = _recommendation_with(factory, 5).id
    large = _recommendation_with(factory, 500).id
    url = "/recommendations/{}?as_of=2017-12-31"
    n_small = _statements(client, count_queries, url.format(small))
    n_large = _statements(client, count_queries, url.format(large))
    assert n_small == n_large, f"{n_small} statements for 5 items, {n_large} for 500"
    assert n_large <= 25


def test_report_and_item_pages_statement_counts_are_constant(client, factory, viewer, count_queries):
    small = _recommendation_with(factory, 3).report_id
    large = _recommendation_with(factory, 60).report_id
    assert _statements(client, count_queries, f"/reports/{small}") == _statements(
        client, count_queries, f"/reports/{large}"
    )

    def item_with(n_updates: int) -> ActionItem:
        it = factory.item(supporting=[factory.department(), factory.department()])
        for k in range(n_updates):
            factory.update(
                it,
                progress=min(100, 5 * k),
                effective=date(2017, 1, 1) + timedelta(days=10 * k),
                approved_on=date(2017, 1, 2) + timedelta(days=10 * k) if k % 3 else None,
                returned_on=date(2017, 1, 3) + timedelta(days=10 * k) if k % 3 == 0 else None,
            )
            db.session.add(
                ItemNote(action_item=it, body=f"備註{k}", effective_date=date(2017, 1, 1) + timedelta(days=k))
            )
        db.session.commit()
        return it.id

    few, many = item_with(2), item_with(30)
    assert _statements(client, count_queries, f"/action-items/{few}") == _statements(
        client, count_queries, f"/action-items/{many}"
    )
    assert (_statements(client, count_queries, "/reports") == _statements(client, count_queries, "/reports")) > 0


def test_unexpected_errors_show_the_500_page(app, client, viewer):
    def boom():
        raise RuntimeError("simulated failure")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    resp = client.get("/boom-for-test")
    assert resp.status_code == 500
    page = text_of(resp)
    assert "系統發生錯誤" in page and "請求編號" in page
    assert "simulated failure" not in page  # no internals leak to the browser


def test_render_field_ties_description_and_errors_to_the_input(app):
    """The form macro every screen uses: label, description and errors reach assistive technology."""
    from flask import render_template_string
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, RadioField, SelectChoice, StringField
    from wtforms.validators import DataRequired

    class Form(FlaskForm):
        title = StringField(
            "Title", validators=[DataRequired()], description="Short and plain.", render_kw={"class": "wide"}
        )
        agree = BooleanField("I agree")
        choice = RadioField(
            "Pick one", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")], validators=[DataRequired()]
        )

    with app.test_request_context("/", method="POST", data={}):
        form = Form()
        assert not form.validate()
        html = render_template_string(
            '{% import "_macros/ui.html" as ui %}{{ ui.form_errors(form) }}'
            '{% for f in form if f.type != "CSRFTokenField" %}{{ ui.render_field(f) }}{% endfor %}',
            form=form,
        )
    assert '<label class="field-label" for="title">Title' in html
    assert 'aria-describedby="title-desc title-error"' in html and 'aria-invalid="true"' in html
    assert 'id="title-desc"' in html and 'id="title-error"' in html
    assert 'class="input wide"' in html  # the field's own render_kw class is kept
    assert '<label for="agree">I agree</label>' in html
    assert re.search(r'<fieldset class="field field-choices has-error[^"]*"\s*aria-describedby="choice-error">', html)
    assert "<legend" in html and 'href="#title"' in html  # the error summary links to the field


def test_item_page_uses_the_shared_timeline_cut_at_as_of(client, factory, viewer):
    item = factory.item()
    first = factory.update(
        item, progress=30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 10), narrative="第一階段完成"
    )
    factory.update(item, progress=60, effective=date(2018, 6, 30), narrative="第二階段辦理中")
    db.session.commit()
    html = client.get(f"/action-items/{item.id}").get_data(as_text=True)
    assert f'id="update-{first.id}"' in html and 'data-state="approved"' in html  # actions/_timeline.html
    assert "第二階段辦理中" in html
    html = client.get(
        f"/action-items/{item.id}", query_string={"as_of": "2017-07-05", "known_at": "2017-07-05"}
    ).get_data(as_text=True)
    history = html[html.index('id="history-title"') :]
    assert "第二階段辦理中" not in history  # effective after the data date
    assert 'data-state="submitted"' in history and 'data-state="approved"' not in history  # approved later
