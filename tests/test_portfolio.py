"""The portfolio of reports: the list (aggregates, filters, sorting, paging, every role),
the administrator's forms (audited with the changed fields) and archiving.

Every report, department and person here is made-up test data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import sign_in
from tracker.extensions import db
from tracker.models import ActionItem, AdoptionDecision, AuditLog, Report, Status
from tracker.models.enums import Adoption
from tracker.services import DomainError, PermissionDenied
from tracker.services import portfolio as svc


def english(client) -> None:
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def _audit(action: str) -> list[dict]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()
    return [json.loads(r.summary) for r in rows]


REPORT = {
    "code": "test-trip-2019",
    "title_zh": "測試出國報告（測試資料）",
    "title_en": "Test trip report (test data)",
    "agency_zh": "臺南市政府測試局",
    "agency_en": "Test Bureau",
    "destination_zh": "日本",
    "destination_en": "Japan",
    "trip_start": "108/03/01",
    "trip_end": "108.03.05",
    "report_date": "1080410",
}


def test_every_role_reads_the_portfolio_and_sees_it_in_the_navigation(client, world):
    for user in (world.lead_editor, world.other_editor, world.reviewer, world.viewer, world.admin):
        sign_in(client, user)
        page = client.get("/portfolio/")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'href="/portfolio/"' in html  # the navigation links it
        assert ("/portfolio/reports/new" in html) is (user is world.admin)
    client.get("/logout")


def test_anonymous_is_sent_to_the_login_page(client, world):
    assert client.get("/portfolio/").status_code == 302


def test_aggregates_per_report(app, factory, world):
    rec2 = factory.recommendation(world.item.recommendation.report, code="R2")
    factory.item(rec2, lead=world.lead, code="R2-A1")
    factory.update(world.item, progress=40, approved_on=date(2017, 7, 2), effective=date(2017, 6, 30))
    db.session.add(
        AdoptionDecision(
            recommendation_id=rec2.id, decision=Adoption.UNDER_STUDY, decided_on=date(2017, 1, 5), decided_by="研考會"
        )
    )
    db.session.add(
        AdoptionDecision(
            recommendation_id=rec2.id, decision=Adoption.ADOPTED, decided_on=date(2017, 3, 5), decided_by="研考會"
        )
    )
    db.session.add(
        AdoptionDecision(
            recommendation_id=world.item.recommendation_id,
            decision=Adoption.ADOPTED,
            decided_on=date(2017, 3, 5),
            decided_by="研考會",
        )
    )
    empty = factory.report(
        code="empty-report", report_date=date(2018, 5, 1), trip_start=date(2018, 4, 1), trip_end=date(2018, 4, 3)
    )
    db.session.commit()
    page = svc.portfolio_page(svc.PortfolioFilters(sort="code", descending=False))
    rows = {r.code: r for r in page.rows}
    row = rows[world.item.recommendation.report.code]
    assert (row.recommendations, row.items) == (2, 2)
    # R1: one item at 40 %; R2: one item at 0 % -> mean of recommendations 20 %.
    assert row.progress == pytest.approx(20.0)
    assert row.adoptions == {"adopted": 2}  # the latest decision per recommendation
    assert rows[empty.code].items == 0 and rows[empty.code].progress is None


def test_filters_sorting_and_pages(app, factory, world):
    for n in range(30):
        factory.report(
            code=f"bulk-{n:02d}",
            report_date=date(2018 + n % 2, 5, 1),
            trip_start=date(2018, 4, 1),
            trip_end=date(2018, 4, 3),
            destination_zh="以色列" if n % 3 == 0 else "日本",
        )
    db.session.commit()
    all_rows = svc.portfolio_page(svc.PortfolioFilters())
    assert all_rows.total == 31 and len(all_rows.rows) == svc.PER_PAGE and all_rows.pages == 2
    assert len(svc.portfolio_page(svc.PortfolioFilters(page=2)).rows) == 31 - svc.PER_PAGE
    assert svc.portfolio_page(svc.PortfolioFilters(year=2019)).total == 15
    assert svc.portfolio_page(svc.PortfolioFilters(destination="以色列")).total == 10
    assert svc.portfolio_page(svc.PortfolioFilters(department_id=world.lead.id)).total == 1
    assert svc.portfolio_page(svc.PortfolioFilters(department_id=world.other.id)).total == 0
    codes = [r.code for r in svc.portfolio_page(svc.PortfolioFilters(sort="code", descending=False)).rows]
    assert codes == sorted(codes)
    by_items = svc.portfolio_page(svc.PortfolioFilters(sort="items")).rows
    assert by_items[0].code == world.item.recommendation.report.code


def test_list_page_filters_by_query_string(client, factory, world):
    factory.report(
        code="japan-2018",
        destination_zh="日本",
        report_date=date(2018, 5, 1),
        trip_start=date(2018, 4, 1),
        trip_end=date(2018, 4, 3),
    )
    db.session.commit()
    sign_in(client, world.viewer)
    html = client.get("/portfolio/?year=2018").get_data(as_text=True)
    assert 'data-code="japan-2018"' in html and world.item.recommendation.report.code not in html
    html = client.get("/portfolio/?department=WRB").get_data(as_text=True)
    assert 'data-code="japan-2018"' not in html
    # Nonsense filters are ignored, never a 500.
    assert client.get("/portfolio/?year=abcd&sort=evil&dir=x&page=-3&state=zzz&department=%E2%80%AE").status_code == 200
    assert client.get("/portfolio/?year=0000&page=99999999").status_code == 200


def test_statement_count_does_not_grow_with_reports(app, factory, world, count_queries):
    svc.portfolio_page(svc.PortfolioFilters())
    with count_queries() as few:
        svc.portfolio_page(svc.PortfolioFilters())
    for n in range(40):
        rep = factory.report(
            code=f"more-{n}", report_date=date(2017, 1, 2), trip_start=date(2016, 12, 1), trip_end=date(2016, 12, 3)
        )
        rec = factory.recommendation(rep, code="R1")
        factory.item(rec, lead=world.lead, code="A1")
    db.session.commit()
    with count_queries() as many:
        svc.portfolio_page(svc.PortfolioFilters())
    assert many.count == few.count <= 6


# --- administrator forms -------------------------------------------------------------------------


def test_admin_creates_a_report_with_roc_dates_and_it_is_audited(client, world):
    sign_in(client, world.admin)
    english(client)
    resp = client.post("/portfolio/reports/new", data=REPORT)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    report = db.session.scalar(select(Report).where(Report.code == "test-trip-2019"))
    assert (report.trip_start, report.trip_end, report.report_date) == (
        date(2019, 3, 1),
        date(2019, 3, 5),
        date(2019, 4, 10),
    )
    created = _audit("report.create")[-1]["after"]
    assert created["stable_key"] == "test-trip-2019" and created["report_date"] == "2019-04-10"


def test_report_form_lists_every_problem(client, world):
    sign_in(client, world.admin)
    english(client)
    bad = dict(REPORT, code="bad code!", trip_end="2019-02-01", report_date="not a date", title_en="")
    resp = client.post("/portfolio/reports/new", data=bad)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "not a date" in html and "Fill in this field." in html and "cannot end before" in html
    assert "Use letters, digits" in html
    assert db.session.scalar(select(Report).where(Report.title_zh == REPORT["title_zh"])) is None


def test_edit_records_only_the_changed_fields(client, world):
    report = world.item.recommendation.report
    sign_in(client, world.admin)
    form = client.get(f"/portfolio/reports/{report.id}/edit")
    assert form.status_code == 200 and report.code in form.get_data(as_text=True)
    values = {k: v for k, v in svc.snapshot(report, svc.REPORT_FIELDS).items()}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    values["destination_en"] = "Israel"
    assert client.post(f"/portfolio/reports/{report.id}/edit", data=values).status_code == 302
    entry = _audit("report.edit")[-1]
    assert entry["before"] == {"destination_en": ""} and entry["after"] == {"destination_en": "Israel"}


def test_admin_adds_recommendation_practice_figure_indicator_and_item(client, world):
    report = world.item.recommendation.report
    sign_in(client, world.admin)
    english(client)
    assert (
        client.post(
            f"/portfolio/reports/{report.id}/recommendations/new",
            data={"code": "R9", "section": "三(九)", "title_zh": "建議九", "title_en": "Nine", "text_zh": "內容"},
        ).status_code
        == 302
    )
    rec = next(r for r in report.recommendations if r.code == "R9")
    assert (
        client.post(
            f"/portfolio/recommendations/{rec.id}/practices/new",
            data={
                "code": "P1",
                "section": "二(一)",
                "place_zh": "特拉維夫",
                "place_en": "Tel Aviv",
                "title_zh": "作法",
                "title_en": "Practice",
            },
        ).status_code
        == 302
    )
    practice = rec.practices[0]
    assert (
        client.post(
            f"/portfolio/practices/{practice.id}/figures/new",
            data={
                "code": "F1",
                "label_zh": "回收率",
                "label_en": "Reuse",
                "value": "86",
                "unit": "%",
                "section": "二(一)",
            },
        ).status_code
        == 302
    )
    resp = client.post(
        f"/portfolio/recommendations/{rec.id}/indicators/new",
        data={
            "code": "I1",
            "name_zh": "指標",
            "name_en": "Indicator",
            "unit": "%",
            "direction": "higher",
            "baseline_year": "2018",
            "target_year": "2017",
        },
    )
    assert resp.status_code == 422 and "target year must come after" in resp.get_data(as_text=True)
    assert (
        client.post(
            f"/portfolio/recommendations/{rec.id}/indicators/new",
            data={
                "code": "I1",
                "name_zh": "指標",
                "name_en": "Indicator",
                "unit": "%",
                "direction": "higher",
                "baseline_year": "2018",
                "target_year": "2020",
                "data_department": "WRB",
            },
        ).status_code
        == 302
    )
    resp = client.post(
        f"/portfolio/recommendations/{rec.id}/items/new",
        data={
            "code": "A1",
            "title_zh": "事項",
            "title_en": "Item",
            "source_section": "三(九)",
            "lead_department": "NOPE",
        },
    )
    assert resp.status_code == 422 and "NOPE" in resp.get_data(as_text=True)
    assert (
        client.post(
            f"/portfolio/recommendations/{rec.id}/items/new",
            data={
                "code": "A1",
                "title_zh": "事項",
                "title_en": "Item",
                "source_section": "三(九)",
                "lead_department": "WRB",
                "due_date": "108/12/31",
            },
        ).status_code
        == 302
    )
    item = db.session.scalar(select(ActionItem).where(ActionItem.recommendation_id == rec.id))
    assert item.due_date == date(2019, 12, 31) and item.weight == 1
    assert {
        a
        for a in ("recommendation.create", "practice.create", "figure.create", "indicator.create", "item.create")
        if _audit(a)
    } == {"recommendation.create", "practice.create", "figure.create", "indicator.create", "item.create"}
    # The new item is tracked from the report's filing date: it appears in the period read model.
    assert client.get("/periods/?department=WRB").status_code == 200
    fig = practice.figures[0]
    assert client.get(f"/portfolio/figures/{fig.id}/edit").status_code == 200
    assert client.get(f"/portfolio/reports/{report.id}").status_code == 200


def test_duplicate_codes_are_refused(app, world):
    rec = world.item.recommendation
    with pytest.raises(DomainError) as exc:
        svc.save_recommendation(
            world.admin,
            {"code": rec.code, "section": "x", "title_zh": "a", "title_en": "b", "text_zh": "c"},
            report=rec.report,
        )
    assert "code" in exc.value.extra["errors"]
    with pytest.raises(DomainError):
        svc.create_report(world.admin, dict(REPORT, code=rec.report.code))


def test_non_admins_cannot_write(client, app, world):
    with pytest.raises(PermissionDenied):
        svc.create_report(world.reviewer, REPORT)
    report = world.item.recommendation.report
    for user in (world.lead_editor, world.reviewer, world.viewer):
        sign_in(client, user)
        assert client.get("/portfolio/reports/new").status_code == 403
        assert client.post(f"/portfolio/reports/{report.id}/archive").status_code == 403
        assert client.get(f"/portfolio/reports/{report.id}").status_code == 403


# --- archiving -------------------------------------------------------------------------------------


def test_open_follow_up_cannot_be_archived(app, world):
    with pytest.raises(DomainError) as exc:
        svc.archive_report(world.item.recommendation.report, world.admin)
    assert exc.value.code == "follow_up_open"


def test_archived_report_leaves_todays_pages_but_stays_in_the_portfolio_and_history(client, factory, world):
    report = world.item.recommendation.report
    factory.update(
        world.item,
        status=Status.COMPLETED,
        progress=100,
        effective=date(2017, 6, 30),
        approved_on=date(2017, 7, 2),
        evidence_url="https://example.org/e",
    )
    other = factory.report(
        code="still-open",
        report_date=date(2016, 12, 24),
        trip_start=date(2016, 12, 1),
        trip_end=date(2016, 12, 3),
        title_zh="仍在追蹤的報告",
        title_en="Still open report",
    )
    factory.item(factory.recommendation(other, code="R1"), lead=world.lead, code="X1")
    db.session.commit()
    sign_in(client, world.admin)
    assert client.post(f"/portfolio/reports/{report.id}/archive", data={"reason": "辦理完成"}).status_code == 302
    db.session.refresh(report)
    assert report.archived and _audit("report.archive")[-1]["after"] == {"archived": True, "reason": "辦理完成"}
    dash = client.get("/dashboard/").get_data(as_text=True)
    other_rec = other.recommendations[0]
    assert f'data-rec-id="{other_rec.id}"' in dash  # one current report left: its recommendations
    assert f'data-rec-id="{world.item.recommendation_id}"' not in dash
    assert 'id="archived-note"' in dash
    both = client.get("/dashboard/?archived=1").get_data(as_text=True)
    assert f'data-report="{report.code}"' in both and f'data-report="{other.code}"' in both
    periods = client.get("/periods/?department=WRB&period=2017-06-30").get_data(as_text=True)
    assert "R1-A1" not in periods and "X1" in periods
    # The portfolio hides it by default and lists it under "archived" or "all".
    assert f'data-code="{report.code}"' not in client.get("/portfolio/").get_data(as_text=True)
    assert f'data-code="{report.code}"' in client.get("/portfolio/?state=archived").get_data(as_text=True)
    # Its report page and history stay.
    assert client.get(f"/reports/{report.id}").status_code == 200
    assert client.post(f"/portfolio/reports/{report.id}/unarchive").status_code == 302
    db.session.refresh(report)
    assert not report.archived
