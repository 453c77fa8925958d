"""Knowledge across reports: the one search service (SQLite FTS5 trigram / PostgreSQL
pg_trgm; the same tests run on both), SDG and ISO 37120 tags, action items answering
recommendations of several reports, likely duplicates, and the pages for every role."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tracker.extensions import db
from tracker.models import AuditLog, Recommendation, Role, SearchDocument
from tracker.services import DomainError, sdg
from tracker.services import search as svc

ROOT = Path(__file__).resolve().parent.parent


def _found(results) -> set[tuple[str, str]]:
    out = set()
    for h in results.hits:
        code = h.obj.code if h.kind != "report" else h.report.code
        out.add((h.kind, code))
    return out


@pytest.fixture
def two_reports(seeded, factory):
    """The Israel report plus a second, made-up report (test data) in Japan."""
    japan = factory.report(
        code="test-japan",
        title_zh="測試：赴日本考察雨水利用",
        title_en="TEST: rainwater in Japan",
        destination_zh="日本",
        destination_en="Japan",
    )
    rain = factory.recommendation(
        japan,
        code="J1",
        section="伍.一",
        title_zh="設置雨水貯留設施",
        title_en="Rainwater harvesting",
        text_zh="建議新建公有建築物設置雨水貯留設施，提高雨水再利用率。",
        text_en="Public buildings should harvest rainwater for reuse.",
    )
    other = factory.recommendation(
        japan,
        code="J2",
        section="伍.二",
        title_zh="推動100%綠電",
        title_en="100% green power",
        text_zh="市府機關用電_全面_採購綠電。",
        text_en="City offices buy green power.",
    )
    db.session.commit()
    israel_r3 = db.session.scalar(
        select(Recommendation).where(Recommendation.report_id == seeded.id, Recommendation.code == "R3")
    )
    return {"israel": seeded, "japan": japan, "rain": rain, "other": other, "r3": israel_r3}


# --- the search service --------------------------------------------------------------------------


def test_every_report_recommendation_and_practice_is_indexed(two_reports):
    counts = dict(db.session.execute(select(SearchDocument.kind, func.count()).group_by(SearchDocument.kind)).all())
    assert counts["report"] == 2
    assert counts["recommendation"] == db.session.scalar(select(func.count()).select_from(Recommendation))
    assert counts["practice"] > 0


def test_english_words_find_chinese_and_english_texts(two_reports):
    found = _found(svc.search("water reuse"))
    assert ("recommendation", "R3") in found  # the Israel report: "reclaimed-water programme … reuse"
    assert ("recommendation", "J1") in found  # "harvest rainwater for reuse"
    assert ("recommendation", "J2") not in found


def test_chinese_words_of_three_or_more_characters_use_the_trigram_index(two_reports):
    found = _found(svc.search("再生水"))
    assert ("recommendation", "R3") in found
    assert ("recommendation", "J1") not in found
    assert _found(svc.search("雨水貯留")) == {("recommendation", "J1")}


def test_short_words_fall_back_to_like(two_reports):
    assert ("recommendation", "R3") in _found(svc.search("滴灌"))  # two characters
    one = _found(svc.search("水"))
    assert {("recommendation", "R3"), ("recommendation", "J1")} <= one


def test_every_word_must_occur_and_case_does_not_matter(two_reports):
    assert _found(svc.search("WATER Reuse")) == _found(svc.search("water reuse"))
    # Only the report's own text has both words (its English title names Japan).
    assert _found(svc.search("雨水 Japan")) == {("report", "test-japan")}
    assert svc.search("雨水 沙漠").total == 0


def test_like_wildcards_and_fts_syntax_are_plain_text(two_reports):
    assert _found(svc.search("_全面_")) == {("recommendation", "J2")}
    percent = svc.search("%", page_size=500)
    contents = dict(
        db.session.execute(
            select(SearchDocument.ref_id, SearchDocument.content).where(SearchDocument.kind == "recommendation")
        ).all()
    )
    assert percent.total and all("%" in contents[h.ref_id] for h in percent.hits if h.kind == "recommendation")
    assert ("recommendation", "R1") not in _found(percent)
    assert svc.search('"water" OR NEAR(*)').total >= 0  # no syntax error reaches the user
    assert svc.search("x" * 500).total == 0


def test_titles_rank_first_and_snippets_mark_the_words(two_reports):
    results = svc.search("雨水")
    assert results.hits[0].kind == "recommendation" and results.hits[0].obj.code == "J1"
    marked = [t for t, hit in results.hits[0].snippet if hit]
    assert marked and all(t == "雨水" for t in marked)


def test_the_index_follows_edits_in_the_same_transaction(two_reports):
    rain = two_reports["rain"]
    rain.text_en = "Public buildings should store storm runoff in cisterns."
    db.session.flush()
    assert ("recommendation", "J1") in _found(svc.search("cisterns"))
    db.session.rollback()
    assert svc.search("cisterns").total == 0


def test_rebuild_gives_the_same_documents(two_reports):
    before = sorted(
        db.session.execute(select(SearchDocument.kind, SearchDocument.ref_id, SearchDocument.content)).all()
    )
    assert svc.rebuild() == len(before)
    db.session.commit()
    after = sorted(db.session.execute(select(SearchDocument.kind, SearchDocument.ref_id, SearchDocument.content)).all())
    assert after == before
    assert ("recommendation", "R3") in _found(svc.search("再生水"))


def test_search_index_command_rebuilds(two_reports, runner):
    db.session.execute(SearchDocument.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["search-index"])
    assert result.exit_code == 0, result.output
    count = db.session.scalar(select(func.count()).select_from(SearchDocument))
    assert f"{count} documents" in result.output and count > 0


def test_an_empty_index_is_built_on_first_search(two_reports):
    db.session.execute(SearchDocument.__table__.delete())
    db.session.commit()
    assert ("recommendation", "R3") in _found(svc.search("再生水"))
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) > 0


def test_the_database_full_text_index_exists(two_reports):
    if db.engine.dialect.name == "sqlite":
        sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'search_document_fts'"))
        assert "fts5" in sql and "trigram" in sql
    else:
        assert (
            db.session.scalar(
                text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_search_document_content_trgm'")
            )
            == 1
        )


def test_filters_destination_kind_and_department(two_reports, factory):
    assert {k for k, _c in _found(svc.search("水", svc.Filters(destination="日本")))} <= {"recommendation", "report"}
    assert ("recommendation", "R3") not in _found(svc.search("水", svc.Filters(destination="Japan")))
    assert ("recommendation", "R3") in _found(svc.search("水", svc.Filters(destination="以色列")))
    practices = svc.search("水", svc.Filters(kinds=("practice",)))
    assert practices.total and all(h.kind == "practice" for h in practices.hits)

    water = factory.department("WATERTEST")
    helper = factory.department("HELPTEST")
    item = factory.item(two_reports["rain"], lead=water, supporting=[helper])
    db.session.commit()
    assert _found(svc.search("", svc.Filters(department_id=water.id))) == {
        ("recommendation", "J1"),
        ("report", "test-japan"),
    }
    assert ("recommendation", "J1") in _found(svc.search("雨水", svc.Filters(department_id=helper.id)))
    # Through an item answering a recommendation of another report too.
    sdg.link_item(item, two_reports["r3"], None)
    db.session.commit()
    assert ("recommendation", "R3") in _found(svc.search("再生水", svc.Filters(department_id=water.id)))


def test_filter_by_sdg_goal_or_target(two_reports):
    sdg.set_recommendation_targets(two_reports["rain"], ["6.4", "11.3"], None)
    practice = two_reports["r3"].practices[0]
    sdg.set_practice_targets(practice, ["6.3"], None)
    db.session.commit()
    assert ("recommendation", "J1") in _found(svc.search("", svc.Filters(tag="6")))
    assert ("recommendation", "J1") in _found(svc.search("雨水", svc.Filters(tag="6.4")))
    assert ("recommendation", "J1") not in _found(svc.search("", svc.Filters(tag="6.3")))
    assert ("practice", practice.code) in _found(svc.search("", svc.Filters(tag="6.3")))
    assert ("recommendation", "J2") not in _found(svc.search("", svc.Filters(tag="6")))


def test_results_are_paginated(two_reports):
    first = svc.search("水", page_size=2)
    second = svc.search("水", page=2, page_size=2)
    assert first.pages >= 2 and len(first.hits) == 2
    assert not {(h.kind, h.ref_id) for h in first.hits} & {(h.kind, h.ref_id) for h in second.hits}
    assert svc.search("水", page=999, page_size=2).page == first.pages


def test_empty_query_without_filters_finds_nothing(two_reports):
    assert svc.search("   ").total == 0


# --- SDG data and tags ---------------------------------------------------------------------------


def test_the_sdg_list_has_17_goals_and_169_targets():
    data = json.loads((ROOT / "tracker" / "data" / "sdg.json").read_text(encoding="utf-8"))
    assert [g["id"] for g in data["goals"]] == [str(i) for i in range(1, 18)]
    targets = [t["id"] for g in data["goals"] for t in g["targets"]]
    assert len(targets) == 169 == len(set(targets))
    assert {"6.3", "6.a", "8.10", "11.b", "16.10", "17.19"} <= set(targets)
    assert all(g["zh_TW"] and g["en"] for g in data["goals"])
    assert all(t["en"] and "?" not in t["en"] for g in data["goals"] for t in g["targets"])
    assert sdg.catalogue()["targets"]["6.3"]["en"].startswith("By 2030, improve water quality")


def test_targets_are_validated_and_tagging_is_audited(two_reports, factory):
    admin = factory.user(Role.ADMIN)
    assert sdg.validate_targets(["SDG 6.3", "6", " 11.b ", "6.3"]) == ["6", "6.3", "11.b"]
    with pytest.raises(DomainError):
        sdg.validate_targets(["6.99"])
    with pytest.raises(DomainError):
        sdg.validate_targets(["18"])
    sdg.set_recommendation_targets(two_reports["rain"], ["6.4"], admin)
    sdg.set_indicator_iso(factory.indicator(two_reports["rain"]), "23.1", admin)
    with pytest.raises(DomainError):
        sdg.set_indicator_iso(factory.indicator(two_reports["rain"], code="ind-2"), "99.9", admin)
    db.session.commit()
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"recommendation.sdg", "indicator.iso37120"} <= actions
    assert sdg.target_label("6.4", "en") == "SDG 6.4 Clean water and sanitation"
    assert sdg.target_label("6.4", "zh_TW") == "SDG 6.4 淨水及衛生"


# --- one item, several reports' recommendations; duplicates -----------------------------------------


def test_an_item_answers_recommendations_of_other_reports(two_reports, factory):
    item = factory.item(two_reports["rain"])
    sdg.link_item(item, two_reports["r3"], None)
    db.session.commit()
    assert sdg.extra_recommendations([item.id])[item.id] == [two_reports["r3"]]
    assert sdg.answering_items(two_reports["r3"].id) == [item]
    with pytest.raises(DomainError):
        sdg.link_item(item, two_reports["r3"], None)
    with pytest.raises(DomainError):
        sdg.link_item(item, two_reports["rain"], None)  # its own
    sdg.unlink_item(item, two_reports["r3"], None)
    db.session.commit()
    assert sdg.answering_items(two_reports["r3"].id) == []
    with pytest.raises(DomainError):
        sdg.unlink_item(item, two_reports["r3"], None)


def test_likely_duplicates_need_similar_text_and_gain_from_a_shared_target(two_reports):
    r3 = two_reports["r3"]
    draft_recs = [
        {"title": "推動再生水計畫", "text": r3.text_zh[-200:], "sdg": []},
        {"title": "推動節能", "text": "公務機關汰換老舊燈具。", "sdg": []},
    ]
    found = sdg.duplicate_suggestions(draft_recs)
    assert [s.recommendation.code for s in found[0]][0] == "R3"
    assert 1 not in found
    sdg.set_recommendation_targets(r3, ["6.3"], None)
    db.session.commit()
    draft_recs[0]["sdg"] = ["6.3"]
    first = sdg.duplicate_suggestions(draft_recs)[0][0]
    assert (first.recommendation.code, first.shared_targets) == ("R3", ["6.3"])
    others = sdg.duplicate_suggestions(draft_recs, exclude_report_id=r3.report_id).get(0, [])
    assert all(s.report.id != r3.report_id for s in others)


# --- pages, per role -----------------------------------------------------------------------------


@pytest.fixture
def people(factory):
    users = {
        "admin": factory.user(Role.ADMIN),
        "reviewer": factory.user(Role.REVIEWER),
        "editor": factory.user(Role.EDITOR),
        "viewer": factory.user(Role.VIEWER),
    }
    db.session.commit()
    return users


def _hits(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-kind="(\w+)" data-id="(\d+)"', html)


@pytest.mark.parametrize("role", ["admin", "reviewer", "editor", "viewer"])
def test_every_signed_in_role_searches(client, login, two_reports, people, role):
    login(people[role])
    resp = client.get("/search?q=water+reuse&lang=en")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert ("recommendation", str(two_reports["r3"].id)) in _hits(html)
    assert "<mark>" in html
    assert ("Tags and linked items" in html) == (role == "admin")


def test_search_page_filters_and_bad_tag(client, login, two_reports, people):
    login(people["viewer"])
    html = client.get("/search?q=水&destination=日本").get_data(as_text=True)
    assert {k for k, _i in _hits(html)} <= {"recommendation", "report"}
    assert ("recommendation", str(two_reports["r3"].id)) not in _hits(html)
    assert client.get("/search?tag=42").status_code == 400
    assert client.get("/search").status_code == 200
    assert client.get("/search?page=abc&department=x").status_code == 200


def test_anonymous_visitors_sign_in_to_search(client, two_reports):
    resp = client.get("/search?q=water")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("role", ["reviewer", "editor", "viewer"])
def test_only_administrators_tag_and_link(client, login, two_reports, people, role):
    login(people[role])
    rec = two_reports["r3"]
    assert client.get(f"/admin/knowledge/recommendations/{rec.id}").status_code == 403
    resp = client.post(f"/admin/knowledge/recommendations/{rec.id}/sdg", data={"sdg": "6"})
    assert resp.status_code == 403, resp.headers.get("Location")
    assert sdg.recommendation_targets([rec.id])[rec.id] == []


def test_admin_tags_links_and_the_pages_show_it(client, login, two_reports, people, factory):
    login(people["admin"])
    rec, rain = two_reports["r3"], two_reports["rain"]
    item = factory.item(rain)
    db.session.commit()
    assert client.get(f"/admin/knowledge/recommendations/{rec.id}").status_code == 200
    assert client.post(f"/admin/knowledge/recommendations/{rec.id}/sdg", data={"sdg": "6.3，6.4"}).status_code == 302
    assert client.post(f"/admin/knowledge/recommendations/{rec.id}/sdg", data={"sdg": "6.42"}).status_code == 422
    practice = rec.practices[0]
    assert client.post(f"/admin/knowledge/practices/{practice.id}/sdg", data={"sdg": "6.4"}).status_code == 302
    indicator = rec.indicators[0]
    assert (
        client.post(f"/admin/knowledge/indicators/{indicator.id}/iso37120", data={"iso37120": "23.3"}).status_code
        == 302
    )
    assert (
        client.post(f"/admin/knowledge/indicators/{indicator.id}/iso37120", data={"iso37120": "1.1.1"}).status_code
        == 422
    )
    assert client.post(f"/admin/knowledge/recommendations/{rec.id}/items", data={"item_id": item.id}).status_code == 302
    assert client.post(f"/admin/knowledge/recommendations/{rec.id}/items", data={"item_id": ""}).status_code == 422
    page = client.get(f"/recommendations/{rec.id}?lang=en").get_data(as_text=True)
    assert "SDG 6.3 Clean water and sanitation" in page and f"/action-items/{item.id}" in page
    item_page = client.get(f"/action-items/{item.id}").get_data(as_text=True)
    assert 'id="also-answers"' in item_page and f"/recommendations/{rec.id}" in item_page
    assert sdg.indicator_codes([indicator.id]) == {indicator.id: "23.3"}
    assert sdg.practice_targets([practice.id])[practice.id] == ["6.4"]
    resp = client.post(f"/admin/knowledge/recommendations/{rec.id}/items/{item.id}/remove")
    assert resp.status_code == 302
    assert sdg.answering_items(rec.id) == []
