"""Review operations and screens: approve / return (one or many), tracking decisions,
adoption decisions and "since last review"."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import (
    Adoption,
    AdoptionDecision,
    AuditLog,
    Review,
    ReviewDecision,
    Status,
    TrackingChoice,
    TrackingDecision,
)
from tracker.services import DomainError, PermissionDenied, progress
from tracker.services import review as ops
from tracker.services.changes import changes_since, default_since

TODAY = ops.today()


@pytest.fixture
def reviewer(factory):
    return factory.user("reviewer", name="審核員甲")


@pytest.fixture
def item(factory):
    return factory.item(start_date=date(2017, 1, 1), due_date=date(2030, 12, 31))


@pytest.fixture
def signin(login):
    """Commit what the test built, then sign ``user`` in (requests use their own session)."""

    def _signin(user):
        db.session.commit()
        return login(user)

    return _signin


def _reviews(update):
    return db.session.scalars(select(Review).where(Review.update_id == update.id)).all()


# --- approve / return ---------------------------------------------------------------


def test_approve_makes_the_update_official_bumps_version_and_audits(factory, reviewer, item):
    upd = factory.update(item, progress=40, effective=date(2017, 6, 30))
    version = item.version
    review = ops.approve_update(upd, reviewer, effective_date=date(2017, 7, 5))
    db.session.commit()
    assert review.decision is ReviewDecision.APPROVE and review.reviewer_id == reviewer.id
    assert item.version == version + 1
    assert progress.item_states([item], date(2017, 7, 5))[item.id].progress == 40
    # It describes 2017-06-30: with everything known today it counts from then on ...
    assert progress.item_states([item], date(2017, 7, 4))[item.id].progress == 40
    assert progress.item_states([item], date(2017, 6, 29))[item.id].progress == 0
    # ... but as printed on 2017-07-04 it had not been approved (it was approved today).
    printed = progress.data_dates(date(2017, 7, 4), date(2017, 7, 4))
    assert progress.item_states([item], printed, fold=True)[item.id].progress == 0
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "update.approve")).one()
    assert json.loads(audit.summary)["after"]["update_id"] == upd.id
    assert reviewer.last_review_at is not None


def test_approve_defaults_to_today(factory, reviewer, item):
    upd = factory.update(item, effective=TODAY - timedelta(days=3))
    assert ops.approve_update(upd, reviewer).effective_date == TODAY


def test_return_requires_a_comment(factory, reviewer, item):
    upd = factory.update(item)
    with pytest.raises(DomainError) as exc:
        ops.return_update(upd, reviewer, "   ")
    assert exc.value.field == "comment"
    assert _reviews(upd) == []
    review = ops.return_update(upd, reviewer, "請補充佐證資料")
    assert review.decision is ReviewDecision.RETURN and review.comment == "請補充佐證資料"


@pytest.mark.parametrize(
    "when, field",
    [
        (TODAY + timedelta(days=1), "effective_date"),  # future
        (date(2017, 6, 29), "effective_date"),  # before the update's own date
    ],
)
def test_review_date_rules(factory, reviewer, item, when, field):
    upd = factory.update(item, effective=date(2017, 6, 30))
    version = item.version
    with pytest.raises(DomainError) as exc:
        ops.approve_update(upd, reviewer, effective_date=when)
    assert exc.value.field == field
    assert _reviews(upd) == [] and item.version == version


def test_second_reviewer_is_told_and_nothing_changes(factory, reviewer, item):
    other = factory.user("reviewer", name="審核員乙")
    upd = factory.update(item, effective=date(2017, 6, 30))
    ops.approve_update(upd, reviewer, effective_date=date(2017, 7, 1))
    db.session.commit()
    version = item.version
    audits = db.session.query(AuditLog).count()
    with pytest.raises(DomainError) as exc:
        ops.return_update(upd, other, "不同意", effective_date=date(2017, 7, 2))
    assert exc.value.code == "already_reviewed"
    assert "審核員甲" in exc.value.message or "reviewer" in exc.value.message.lower()
    db.session.rollback()
    assert [r.decision for r in _reviews(upd)] == [ReviewDecision.APPROVE]
    assert item.version == version and db.session.query(AuditLog).count() == audits


def test_race_between_two_reviewers_is_settled_by_the_unique_constraint(app, factory, reviewer, item):
    """Both reviewers pass the "already reviewed?" check; the database lets one win."""
    other = factory.user("reviewer", name="審核員乙")
    upd = factory.update(item, effective=date(2017, 6, 30))
    db.session.commit()
    ids = (upd.id, reviewer.id, other.id)
    if db.engine.dialect.name == "sqlite" and db.engine.url.database in (None, "", ":memory:"):
        # One in-memory connection cannot race: simulate the lost check instead.
        original = ops.reviews._existing_review
        calls = {"n": 0}

        def blind_first(update_id, session):
            calls["n"] += 1
            return None if calls["n"] == 1 else original(update_id, session)

        db.session.add(
            Review(
                update_id=upd.id,
                decision=ReviewDecision.APPROVE,
                comment="",
                effective_date=date(2017, 7, 1),
                reviewer_id=other.id,
            )
        )
        db.session.commit()
        ops.reviews._existing_review = blind_first
        try:
            with pytest.raises(DomainError) as exc:
                ops.approve_update(upd, reviewer, effective_date=date(2017, 7, 1))
        finally:
            ops.reviews._existing_review = original
        assert exc.value.code == "already_reviewed"
        db.session.rollback()
        assert len(_reviews(upd)) == 1
        return

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(reviewer_id: int, decision: str):
        with app.app_context():
            from tracker.models import StatusUpdate, User

            u = db.session.get(StatusUpdate, ids[0])
            who = db.session.get(User, reviewer_id)
            original = ops.reviews._existing_review
            barrier.wait()
            try:
                if decision == "approve":
                    ops.approve_update(u, who, effective_date=date(2017, 7, 1))
                else:
                    ops.return_update(u, who, "退回", effective_date=date(2017, 7, 1))
                db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            finally:
                ops.reviews._existing_review = original
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(ids[1], "approve")),
        threading.Thread(target=worker, args=(ids[2], "return")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    assert sorted(outcomes) == ["already_reviewed", "ok"]
    assert len(_reviews(upd)) == 1


def test_only_reviewers_review(factory, item):
    upd = factory.update(item)
    with pytest.raises(PermissionDenied):
        ops.approve_update(upd, factory.user("viewer"))


def test_batch_reports_each_refusal_and_applies_the_rest(factory, reviewer, item):
    a = factory.update(item, effective=date(2017, 6, 30))
    b = factory.update(factory.item(), effective=date(2017, 6, 30))
    c = factory.update(factory.item(), effective=date(2017, 8, 1))  # after the review date
    ops.approve_update(b, factory.user("reviewer"), effective_date=date(2017, 7, 1))
    result = ops.approve_many([a.id, b.id, c.id, 999999], reviewer, effective_date=date(2017, 7, 10))
    db.session.commit()
    assert [r.update_id for r in result.done] == [a.id]
    refused = dict(result.refused)
    assert set(refused) == {b.id, c.id, 999999}
    assert _reviews(c) == []
    res = ops.return_many([c.id], reviewer, "請修正", effective_date=date(2017, 8, 2))
    assert [r.update_id for r in res.done] == [c.id] and res.refused == []


# --- tracking decisions ------------------------------------------------------------


def test_release_needs_a_closing_status_on_the_decision_date(factory, reviewer, item):
    factory.update(item, progress=60, effective=date(2017, 6, 30), approved_on=date(2017, 7, 1))
    with pytest.raises(DomainError) as exc:
        ops.record_decision(item, TrackingChoice.RELEASE, "已完成", date(2017, 12, 20), reviewer)
    assert exc.value.code == "not_releasable" and exc.value.field == "decision"
    factory.update(
        item,
        status=Status.COMPLETED,
        progress=100,
        effective=date(2017, 12, 1),
        approved_on=date(2017, 12, 10),
        evidence_url="https://example.org/done",
    )
    # On a day before the completion it describes (2017-12-01), release is still refused.
    with pytest.raises(DomainError):
        ops.record_decision(item, "release", "已完成", date(2017, 11, 30), reviewer)
    version = item.version
    d = ops.record_decision(item, "release", "已完成，解除列管", date(2017, 12, 20), reviewer)
    db.session.commit()
    assert d.decision is TrackingChoice.RELEASE and item.version == version + 1
    assert progress.item_states([item], date(2017, 12, 31))[item.id].released
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "decision.record")).one()


@pytest.mark.parametrize("status", [Status.ONGOING, Status.NOT_FEASIBLE])
def test_release_allowed_for_ongoing_and_not_feasible(factory, reviewer, item, status):
    factory.update(
        item,
        status=status,
        progress=50,
        reason="法規限制" if status is Status.NOT_FEASIBLE else "",
        effective=date(2017, 6, 30),
        approved_on=date(2017, 7, 1),
    )
    assert ops.record_decision(item, "release", "理由", date(2017, 7, 2), reviewer).id


def test_continue_and_self_track_need_reason_and_past_date(factory, reviewer, item):
    with pytest.raises(DomainError) as exc:
        ops.record_decision(item, "continue", "", date(2017, 7, 2), reviewer)
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        ops.record_decision(item, "self_track", "交由局處自行列管", TODAY + timedelta(days=1), reviewer)
    assert exc.value.field == "effective_date"
    with pytest.raises(DomainError):
        ops.record_decision(item, "bogus", "x", date(2017, 7, 2), reviewer)
    assert ops.record_decision(item, "self_track", "交由局處自行列管", date(2017, 7, 2), reviewer).id
    assert db.session.scalars(select(TrackingDecision)).one().decision is TrackingChoice.SELF_TRACK


# --- adoption decisions --------------------------------------------------------------


def test_adoption_not_adopted_needs_reason(factory, reviewer):
    rec = factory.recommendation()
    with pytest.raises(DomainError) as exc:
        ops.record_adoption(rec, Adoption.NOT_ADOPTED, "", date(2017, 3, 1), "市長", reviewer)
    assert exc.value.field == "reason"
    ops.record_adoption(rec, "partly_adopted", "", date(2017, 3, 1), "市長", reviewer)
    ops.record_adoption(rec, "adopted", "", date(2018, 3, 1), "", reviewer)
    db.session.commit()
    latest = ops.latest_adoptions([rec.id])
    assert latest[rec.id].decision is Adoption.ADOPTED and latest[rec.id].decided_by == "審核員甲"
    assert ops.latest_adoptions([rec.id], date(2017, 12, 31))[rec.id].decision is Adoption.PARTLY_ADOPTED


# --- queue and pages ----------------------------------------------------------------


@pytest.mark.parametrize("role, status", [("editor", 403), ("viewer", 403), ("reviewer", 200), ("admin", 200)])
def test_queue_is_for_reviewers_and_admins(client, signin, factory, role, status):
    signin(factory.user(role))
    assert client.get("/review/").status_code == status


def test_queue_groups_pending_updates_against_the_official_state(client, signin, factory, reviewer):
    rec = factory.recommendation(code="R9", title_zh="水資源再利用")
    dept = factory.department(name_zh="水利局")
    it = factory.item(rec, lead=dept, code="A9.1")
    factory.update(it, progress=30, effective=date(2017, 6, 30), approved_on=date(2017, 7, 1))
    pending = factory.update(it, progress=70, effective=date(2017, 12, 31), narrative="完成第二期工程")
    db.session.commit()
    groups = ops.review_queue().groups
    assert [g.recommendation.code for g in groups] == ["R9"]
    ((dept_, entries),) = groups[0].department_groups
    assert dept_.id == dept.id and entries[0].update.id == pending.id and entries[0].state.progress == 30
    signin(reviewer)
    html = client.get("/review/").get_data(as_text=True)
    assert "水資源再利用" in html and "水利局" in html and "完成第二期工程" in html
    assert 'data-before="30"' in html and 'data-after="70"' in html
    assert f'value="{pending.id}" form="batch-form"' in html


def test_queue_statement_count_does_not_grow(client, signin, factory, reviewer, count_queries):
    signin(reviewer)

    def make(n):
        rec = factory.recommendation()
        for _ in range(n):
            it = factory.item(rec)
            factory.update(it, effective=date(2017, 6, 30))
        db.session.commit()

    make(3)
    with count_queries() as few:
        assert client.get("/review/").status_code == 200
    make(40)
    with count_queries() as many:
        assert client.get("/review/").status_code == 200
    assert many.count == few.count, (few.count, many.count)
    print("review queue SQL statements (3 -> 43 pending updates):", few.count, many.count)


def test_approve_and_return_from_the_queue(client, signin, factory, reviewer, item):
    a = factory.update(item, effective=date(2017, 6, 30))
    b = factory.update(factory.item(), effective=date(2017, 6, 30))
    db.session.commit()
    signin(reviewer)
    r = client.post(f"/review/updates/{a.id}/approve", data={f"u{a.id}-effective_date": "2017-07-01"})
    assert r.status_code == 302
    # Returning without a comment: the form says so next to the field, nothing saved.
    r = client.post(f"/review/updates/{b.id}/return", data={f"u{b.id}-effective_date": "2017-07-01"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert f'id="u{b.id}-comment-error"' in html
    assert _reviews(b) == []
    r = client.post(
        f"/review/updates/{b.id}/return",
        data={f"u{b.id}-effective_date": "2017-07-01", f"u{b.id}-comment": "請補充照片"},
    )
    assert r.status_code == 302
    assert _reviews(b)[0].comment == "請補充照片"
    # A second attempt on a handled update: told so, nothing changes.
    r = client.post(
        f"/review/updates/{a.id}/return",
        data={f"u{a.id}-effective_date": "2017-07-02", f"u{a.id}-comment": "x"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert [x.decision for x in _reviews(a)] == [ReviewDecision.APPROVE]
    assert "nothing was changed" in r.get_data(as_text=True) or "未做任何變更" in r.get_data(as_text=True)


def test_future_review_date_is_refused_on_the_form(client, signin, factory, reviewer, item):
    a = factory.update(item, effective=date(2017, 6, 30))
    db.session.commit()
    signin(reviewer)
    future = (TODAY + timedelta(days=2)).isoformat()
    r = client.post(f"/review/updates/{a.id}/approve", data={f"u{a.id}-effective_date": future})
    assert r.status_code == 422 and f'id="u{a.id}-effective_date-error"' in r.get_data(as_text=True)
    assert _reviews(a) == []


def test_batch_from_the_queue(client, signin, factory, reviewer):
    ups = [factory.update(factory.item(), effective=date(2017, 6, 30)) for _ in range(3)]
    late = factory.update(factory.item(), effective=date(2017, 9, 1))
    db.session.commit()
    signin(reviewer)
    r = client.post(
        "/review/batch", data={"action": "return", "effective_date": "2017-07-01", "update_ids": [u.id for u in ups]}
    )
    assert r.status_code == 422  # return without comment
    assert all(_reviews(u) == [] for u in ups)
    r = client.post(
        "/review/batch",
        data={"action": "approve", "effective_date": "2017-07-01", "update_ids": [u.id for u in ups] + [late.id]},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert all(len(_reviews(u)) == 1 for u in ups) and _reviews(late) == []
    assert f"#{late.id}" in html


def test_decision_form(client, signin, factory, reviewer, item):
    factory.update(item, progress=60, effective=date(2017, 6, 30), approved_on=date(2017, 7, 1))
    db.session.commit()
    signin(reviewer)
    assert client.get(f"/review/items/{item.id}/decision").status_code == 200
    r = client.post(
        f"/review/items/{item.id}/decision",
        data={"decision": "release", "reason": "完成", "effective_date": "2017-12-20"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="decision-error"' in html
    assert db.session.scalars(select(TrackingDecision)).all() == []
    r = client.post(
        f"/review/items/{item.id}/decision",
        data={"decision": "continue", "reason": "持續追蹤", "effective_date": "2017-12-20"},
    )
    assert r.status_code == 302
    assert db.session.scalars(select(TrackingDecision)).one().decision is TrackingChoice.CONTINUE


def test_adoption_form(client, signin, factory, reviewer):
    rec = factory.recommendation()
    db.session.commit()
    signin(reviewer)
    r = client.post(
        f"/review/recommendations/{rec.id}/adoption",
        data={"decision": "not_adopted", "reason": "", "decided_on": "2017-03-01"},
    )
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    r = client.post(
        f"/review/recommendations/{rec.id}/adoption",
        data={"decision": "under_study", "decided_on": "2017-03-01", "decided_by": "市務會議"},
    )
    assert r.status_code == 302
    assert db.session.scalars(select(AdoptionDecision)).one().decided_by == "市務會議"
    assert "市務會議" in client.get(f"/review/recommendations/{rec.id}/adoption").get_data(as_text=True)


# --- since last review ---------------------------------------------------------------


def test_changes_since_lists_every_kind_of_record(factory, reviewer, item):
    before = datetime.now(UTC) - timedelta(seconds=1)
    upd = factory.update(item, effective=date(2017, 6, 30), submitted_at=datetime.now(UTC))
    ind = factory.indicator(item.recommendation)
    factory.measurement(ind, 12, date(2017, 6, 30), update=upd)
    ops.approve_update(upd, reviewer, effective_date=date(2017, 7, 1))
    ops.record_decision(item, "continue", "持續", date(2017, 7, 2), reviewer)
    ops.record_adoption(item.recommendation, "adopted", "", date(2017, 3, 1), "市長", reviewer)
    from tracker.models import ItemNote

    db.session.add(ItemNote(action_item_id=item.id, body="協辦意見", effective_date=date(2017, 7, 3)))
    db.session.commit()
    ch = changes_since(before)
    assert (
        len(ch.updates),
        len(ch.reviews),
        len(ch.decisions),
        len(ch.notes),
        len(ch.measurements),
        len(ch.adoptions),
    ) == (1, 1, 1, 1, 1, 1)
    assert changes_since(datetime.now(UTC) + timedelta(seconds=5)).total == 0


def test_default_since_is_the_previous_review_before_today(factory, reviewer, item):
    upd = factory.update(item, effective=date(2017, 6, 30))
    yesterday = datetime.now(UTC) - timedelta(days=2)
    db.session.add(
        Review(
            update_id=upd.id,
            decision=ReviewDecision.APPROVE,
            comment="",
            effective_date=date(2017, 7, 1),
            reviewer_id=reviewer.id,
            recorded_at=yesterday,
        )
    )
    db.session.commit()
    since, reason = default_since(reviewer)
    assert reason == "review" and abs((since - yesterday).total_seconds()) < 1
    # A review done today does not move the start: the meeting is still "since last time".
    ops.approve_update(factory.update(factory.item(), effective=date(2017, 6, 30)), reviewer)
    db.session.commit()
    assert default_since(reviewer)[1] == "review"
    assert abs((default_since(reviewer)[0] - yesterday).total_seconds()) < 1
    fresh = factory.user("reviewer")
    assert default_since(fresh)[1] == "cycle"


def test_changes_page(client, signin, factory, reviewer, item):
    factory.update(item, effective=date(2017, 6, 30), narrative="新進度", submitted_at=datetime.now(UTC))
    db.session.commit()
    signin(reviewer)
    r = client.get("/review/changes?since=" + TODAY.isoformat())
    assert r.status_code == 200 and item.code in r.get_data(as_text=True)
    assert client.get("/review/changes").status_code == 200
    bad = client.get("/review/changes?since=2017-13-45")
    assert (
        bad.status_code == 400
        and "2017-13-45" in bad.get_data(as_text=True)
        and "107/12/31" in bad.get_data(as_text=True)
    )
    future = client.get("/review/changes?since=" + (TODAY + timedelta(days=1)).isoformat())
    assert future.status_code == 400
