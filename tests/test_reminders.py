"""send-reminders against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import date

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import ActionItem, ReminderLog, Status, StatusUpdate
from tracker.services import reminders
from tracker.services import review as ops
from tracker.services.updates import submit_update


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
        MAIL_DEFAULT_SENDER="tracker@tainan.example",
        BASE_URL="https://tracker.tainan.example",
    )
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def due_work(factory):
    """Water bureau with work to report; a quiet bureau; reviewers; a viewer."""
    water = factory.department("water", name_zh="水利局", name_en="Water Resources Bureau")
    quiet = factory.department("quiet")
    zh_editor = factory.user("editor", water, email="zh.editor@tainan.example", name="王小明")
    en_editor = factory.user("editor", water, email="en.editor@tainan.example", name="Ann", locale="en")
    factory.user("editor", water, email="gone@tainan.example", active=False)
    factory.user("editor", quiet, email="quiet@tainan.example")
    reviewer = factory.user("reviewer", email="reviewer@tainan.example", name="研考會審核員")
    factory.user("viewer", email="viewer@tainan.example")

    rec = factory.recommendation(code="R1")
    overdue = factory.item(
        rec,
        lead=water,
        code="A1.1",
        title_zh="再生水廠擴建",
        title_en="Reclaimed water plant",
        start_date=date(2017, 1, 1),
        due_date=date(2017, 12, 31),
    )
    soon = factory.item(
        rec,
        lead=water,
        code="A1.2",
        title_zh="滴灌示範",
        title_en="Drip irrigation pilot",
        start_date=date(2017, 1, 1),
        due_date=date(2018, 1, 31),
    )
    factory.update(soon, progress=40, effective=date(2017, 12, 1), approved_on=date(2017, 12, 5))
    returned = factory.item(
        rec,
        lead=water,
        code="A1.3",
        title_zh="雨水回收",
        title_en="Rainwater harvesting",
        start_date=date(2017, 11, 1),
        due_date=date(2019, 12, 31),
    )
    factory.update(returned, progress=20, effective=date(2017, 12, 1), returned_on=date(2017, 12, 6), reviewer=reviewer)
    done = factory.item(rec, lead=quiet, code="A1.4", start_date=date(2017, 1, 1), due_date=date(2017, 6, 30))
    factory.update(
        done,
        status=Status.COMPLETED,
        progress=100,
        effective=date(2017, 6, 1),
        approved_on=date(2017, 6, 2),
        evidence_url="https://example.org",
    )
    pending = factory.update(overdue, progress=70, effective=date(2018, 1, 5))
    db.session.commit()
    return {"zh": zh_editor, "en": en_editor, "reviewer": reviewer, "pending": pending}


def _parts(msg):
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return plain, html


DAY = date(2018, 1, 8)  # 7 days before the 2017 H2 deadline (2018-01-15): a reminder day


def test_reminder_days_follow_the_periods(app):
    """Hand-computed with the default calendar (periods end 06-30 and 12-31, deadline 15 days
    later, reminders 7/3/1/0 days before, then every 7 days after the deadline)."""
    h2 = date(2017, 12, 31)
    h1 = date(2017, 6, 30)
    expected = {
        date(2018, 1, 7): (None, h1),  # 8 days left; 176 days after H1's deadline: (176 - 1) % 7 == 0
        date(2018, 1, 8): (h2, None),  # 7 days left
        date(2018, 1, 10): (None, None),  # 5 days left
        date(2018, 1, 12): (h2, None),  # 3
        date(2018, 1, 14): (h2, h1),  # 1; and 183 days after H1's deadline
        date(2018, 1, 15): (h2, None),  # deadline day
        date(2018, 1, 16): (None, h2),  # the day after: still missing
        date(2018, 1, 17): (None, None),
        date(2018, 1, 23): (None, h2),  # a week later
        date(2018, 1, 30): (None, h2),
        date(2017, 7, 16): (None, h1),
        date(2017, 7, 23): (None, h1),
        date(2017, 12, 30): (None, None),  # 168 days after 2017-07-15: (168 - 1) % 7 == 6
    }
    got = {}
    for day in expected:
        due, late = reminders.reminder_plan(day)
        got[day] = (due.end if due else None, late.end if late else None)
    assert got == expected


def test_digests_arrive_once_in_each_recipients_language(runner, smtp, due_work):
    result = runner.invoke(args=["send-reminders", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    recipients = sorted(r for rcpts, _m in smtp.messages for r in rcpts)
    # The quiet bureau's only item was completed before 2017 H2: nothing to report, no e-mail.
    assert recipients == ["en.editor@tainan.example", "reviewer@tainan.example", "zh.editor@tainan.example"]

    (zh,) = smtp.to("zh.editor@tainan.example")
    assert zh.get_content_type() == "multipart/alternative"
    assert "水利局" in zh["Subject"] and "需留意" in zh["Subject"]
    plain, html = _parts(zh)
    due_part = plain.split("逾期")[0]
    # A1.1 has not reported on 2017 H2 (its waiting report describes 2018); A1.2 has; A1.3
    # started tracking in November, so its first period is 2018 H1.
    assert "A1.1 再生水廠擴建" in due_part and "A1.2" not in plain
    assert "107年1月15日" in plain and "7" in due_part  # the deadline in 民國, days left
    assert "A1.3" in plain and "請補充" in plain  # returned, with the reviewer's comment
    assert "逾期" in plain  # A1.1 was due 2017-12-31
    assert "107年1月8日" in plain
    assert "https://tracker.tainan.example/" in plain and "<ul>" in html and "請補充" in html

    (en,) = smtp.to("en.editor@tainan.example")
    assert "need attention" in en["Subject"] and "Water Resources Bureau" in en["Subject"]
    plain, _ = _parts(en)
    assert "A1.1 Reclaimed water plant" in plain and "Overdue" in plain and "2018-01-08" in plain
    assert "2018-01-15" in plain and "7 days left" in plain

    (rv,) = smtp.to("reviewer@tainan.example")
    plain, html = _parts(rv)
    assert "1" in rv["Subject"] and "審核" in rv["Subject"]
    assert "A1.1" in plain and "https://tracker.tainan.example/review/" in plain

    # Running again the same day sends nothing new.
    again = runner.invoke(args=["send-reminders", "--date", DAY.isoformat()])
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 3 and "0 sent, 3 already sent" in again.output
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 3


def test_between_reminder_days_only_returned_reports_and_reviews_are_sent(app, due_work):
    digests = {d.user.email: d for d in reminders.collect_digests(date(2018, 1, 10))}
    assert set(digests) == {"zh.editor@tainan.example", "en.editor@tainan.example", "reviewer@tainan.example"}
    zh = digests["zh.editor@tainan.example"]
    assert zh.due == [] and zh.late == [] and [u.action_item.code for u in zh.returned] == ["A1.3"]
    assert [i.code for i, _s in zh.overdue] == ["A1.1"]  # rides along


def test_after_the_deadline_missing_reports_are_chased(app, due_work):
    digests = {d.user.email: d for d in reminders.collect_digests(date(2018, 1, 16))}
    zh = digests["zh.editor@tainan.example"]
    assert zh.late_period.end == date(2017, 12, 31) and [i.code for i, _s in zh.late] == ["A1.1"]
    assert zh.due == []


def test_overdue_items_alone_trigger_nothing(app, due_work):
    # Correct the returned report away: only the overdue item is left on a non-reminder day.
    returned = db.session.scalar(select(StatusUpdate).join(ActionItem).where(ActionItem.code == "A1.3"))
    editor = db.session.merge(due_work["zh"])
    submit_update(
        returned.action_item,
        editor,
        status=returned.status,
        progress=25,
        effective_date=date(2018, 1, 2),
        narrative="修正",
        corrects_id=returned.id,
        based_on_version=returned.action_item.version,
    )
    db.session.commit()
    emails = {d.user.email for d in reminders.collect_digests(date(2018, 1, 10))}
    assert emails == {"reviewer@tainan.example"}


def test_nothing_new_even_if_the_digest_changed_the_same_day(runner, smtp, due_work):
    assert runner.invoke(args=["send-reminders", "--date", DAY.isoformat()]).exit_code == 0
    ops.approve_update(
        db.session.merge(due_work["pending"]), db.session.merge(due_work["reviewer"]), effective_date=DAY
    )
    db.session.commit()
    assert runner.invoke(args=["send-reminders", "--date", DAY.isoformat()]).exit_code == 0
    assert len(smtp.messages) == 3
    # The next day is a new day, but no reminder day; the returned report still is news for
    # the editors, and the reviewer has nothing pending any more.
    assert runner.invoke(args=["send-reminders", "--date", "2018-01-09"]).exit_code == 0
    assert len(smtp.messages) == 5


def test_dry_run_sends_and_records_nothing(runner, smtp, due_work):
    result = runner.invoke(args=["send-reminders", "--date", DAY.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert smtp.messages == [] and "would send: zh.editor@tainan.example" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 0


@pytest.mark.parametrize("value", ["2018-13-01", "tomorrow", "2999-01-01"])
def test_bad_dates_are_refused(runner, smtp, due_work, value):
    result = runner.invoke(args=["send-reminders", "--date", value])
    assert result.exit_code != 0 and "--date" in result.output
    assert smtp.messages == []


def test_reviewer_digest_lists_the_oldest_and_counts_the_rest(app, factory, due_work):
    rec = factory.recommendation(code="R9")
    water = due_work["zh"].department
    for n in range(reminders.REVIEWER_LIST + 3):
        it = factory.item(rec, lead=water, code=f"B{n}", start_date=date(2017, 1, 1), due_date=date(2019, 1, 1))
        factory.update(it, progress=10, effective=date(2018, 1, 2))
    db.session.commit()
    (rv,) = [d for d in reminders.collect_digests(DAY) if d.kind == reminders.REVIEWER]
    assert rv.pending_total == reminders.REVIEWER_LIST + 4 and len(rv.pending) == reminders.REVIEWER_LIST
    msg = reminders.render_digest(rv)
    plain = msg.get_body(("plain",)).get_content()
    assert "24" in plain and "4" in plain.split("B19")[-1]
