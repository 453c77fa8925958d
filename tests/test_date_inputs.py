"""Dates in one calendar: the one parser (tracker.dates.parse_date) for every form officials
type, the date fields that echo how a value was read (民國 in zh-TW, ISO in English), the
live hint endpoint, messages in the page's calendar and "today" on the city's calendar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.update_world import update_form
from tracker import dates
from tracker.errors import InvalidDate
from tracker.extensions import db
from tracker.locale import format_date, format_date_echo, format_date_input, format_year, format_year_number
from tracker.models import TrackingDecision

# --- the parser -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "107/12/31",
        "107.12.31",
        "107-12-31",
        "1071231",
        "107年12月31日",
        "民國107年12月31日",
        "民國 107 年 12 月 31 日",
        "2018-12-31",
        "2018/12/31",
        "2018.12.31",
        "20181231",
        " 107/12/31 ",
        "１０７／１２／３１",
        "107/1/5".replace("1/5", "12/31"),
    ],
)
def test_every_form_officials_type_is_one_date(text):
    assert dates.parse_date(text) == date(2018, 12, 31)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("107/1/5", date(2018, 1, 5)),
        ("99/2/28", date(2010, 2, 28)),
        ("01/01/01", date(1912, 1, 1)),
        ("0991231", date(2010, 12, 31)),
        ("109/02/29", date(2020, 2, 29)),
    ],
)
def test_short_roc_years_and_unpadded_parts(text, expected):
    assert dates.parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "107/02/30",  # 30 February
        "108/02/29",  # 2019 is not a leap year
        "0/1/1",  # 民國0年 does not exist (1911 is before the ROC calendar)
        "1911-12-31",  # before 1912-01-01
        "2200-01-01",  # after the last accepted date
        "107/13/01",
        "107/00/10",
        "107/12/32",
        "2018-12",
        "12/31",
        "107//12/31",
        "abc",
        "",
        "   ",
        "107/12/31/1",
        "10712311",
        "2018-12-31T00:00",
        "١٠٧/١٢/٣١",
        "107²/12/31",
    ],
)
def test_values_that_are_not_dates_are_refused(text):
    assert dates.parse_date(text) is None


def test_not_a_string_or_date_is_refused():
    assert dates.parse_date(None) is None
    assert dates.parse_date(20181231) is None
    assert dates.parse_date(datetime(2018, 12, 31)) is None
    assert dates.parse_date(date(2018, 12, 31)) == date(2018, 12, 31)


def test_a_bad_argument_names_the_value_and_the_accepted_forms(app):
    with app.test_request_context("/?lang=en"):
        with pytest.raises(InvalidDate) as exc:
            dates.parse_date_arg("107/02/30", "as_of", "Data date")
    assert "107/02/30" in exc.value.message and "1071231" in exc.value.message


def test_a_future_date_is_refused_in_the_pages_calendar(app):
    today = date(2026, 11, 30)
    with app.test_request_context("/"):  # zh-TW
        with pytest.raises(InvalidDate) as exc:
            dates.check_not_future(date(2030, 1, 1), "as_of", "資料截止日", today)
    assert "119年1月1日" in exc.value.message and "115年11月30日" in exc.value.message
    assert "2030-01-01" not in exc.value.message


# --- formatting -----------------------------------------------------------------------------------


def test_formats_in_each_language():
    day = date(2018, 12, 31)
    assert format_date(day, "zh_TW") == "107年12月31日" and format_date(day, "en") == "2018-12-31"
    assert format_date_input(day, "zh_TW") == "107/12/31" and format_date_input(day, "en") == "2018-12-31"
    assert format_date_echo(day, "zh_TW") == "民國107年12月31日（2018-12-31）"
    assert format_date_echo(day, "en") == "2018-12-31 (ROC 107/12/31)"
    assert format_year(2017, "zh_TW") == "民國106年" and format_year(2017, "en") == "2017"
    assert format_year_number(2017, "zh_TW") == "民國106" and format_year_number(2017, "en") == "2017"


def test_an_instant_is_shown_on_the_citys_calendar():
    # 17:00 UTC on 31 December 2018 is 01:00 on 1 January 2019 in Taipei.
    late = datetime(2018, 12, 31, 17, 0, tzinfo=UTC)
    assert format_date(late, "zh_TW") == "108年1月1日"
    assert format_date(late, "en") == "2019-01-01"


def test_account_page_shows_the_password_change_on_taipeis_date(client, login, factory):
    user = factory.user("viewer")
    user.password_changed_at = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)  # 2026-02-01 00:30 in Taipei
    db.session.commit()
    login(user)
    html = client.get("/account/").get_data(as_text=True)
    assert "115年2月1日" in html and "115年1月31日" not in html


# --- the forms: text inputs that echo the parsed date -----------------------------------------


def _echo(html: str, field_id: str) -> str:
    m = re.search(rf'<p class="date-echo[^"]*" id="{re.escape(field_id)}-echo"[^>]*>(.*?)</p>', html, re.S)
    assert m, f"no echo for {field_id}"
    return m.group(1)


def _input(html: str, field_id: str) -> str:
    m = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert m, f"no input {field_id}"
    return m.group(0)


def test_update_form_has_text_date_inputs_prefilled_in_roc(client, login, world):
    login(world.lead_editor)
    html = client.get(f"/items/{world.item.id}/updates/new").get_data(as_text=True)
    assert 'type="date"' not in html
    field = _input(html, "effective_date")
    assert 'type="text"' in field and 'data-date-input="effective_date-echo"' in field
    assert "effective_date-echo" in re.search(r'aria-describedby="([^"]+)"', field).group(1)
    today = dates.today()
    assert f'value="{format_date_input(today, "zh_TW")}"' in field
    assert f"解讀為 {format_date_echo(today, 'zh_TW')}" in _echo(html, "effective_date")
    # An empty date input says what may be written.
    assert "107/12/31" in _echo(html, "measurements-0-measured_on")


@pytest.mark.parametrize("typed", ["1071231", "107.12.31", "2018/12/31"])
def test_update_form_echoes_the_parsed_date_in_zh_tw(client, login, world, typed):
    login(world.lead_editor)
    data = update_form(world, effective_date=typed, narrative="")  # refused: no narrative
    resp = client.post(f"/items/{world.item.id}/updates/new", data=data, content_type="multipart/form-data")
    assert resp.status_code in (400, 422)
    html = resp.get_data(as_text=True)
    assert f'value="{typed}"' in _input(html, "effective_date")  # kept as typed
    assert _echo(html, "effective_date") == "解讀為 民國107年12月31日（2018-12-31）。"


def test_update_form_echoes_the_parsed_date_in_english(client, login, world):
    login(world.lead_editor)
    data = update_form(world, effective_date="107/12/31", narrative="")
    resp = client.post(f"/items/{world.item.id}/updates/new?lang=en", data=data, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert _echo(html, "effective_date") == "Read as 2018-12-31 (ROC 107/12/31)."


def test_update_form_refuses_an_impossible_date_by_name(client, login, world):
    login(world.lead_editor)
    data = update_form(world, effective_date="107/02/30")
    resp = client.post(f"/items/{world.item.id}/updates/new", data=data, content_type="multipart/form-data")
    assert resp.status_code in (400, 422)
    html = resp.get_data(as_text=True)
    assert "「107/02/30」" in html or "“107/02/30”" in html
    assert 'aria-invalid="true"' in _input(html, "effective_date")


def test_review_decision_form_takes_roc_dates_and_refuses_future_ones(client, login, factory):
    item = factory.item(start_date=date(2017, 1, 1))
    reviewer = factory.user("reviewer")
    factory.update(item, progress=60, effective=date(2017, 6, 30), approved_on=date(2017, 7, 1))
    db.session.commit()
    login(reviewer)
    url = f"/review/items/{item.id}/decision"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{format_date_input(dates.today(), "zh_TW")}"' in _input(html, "effective_date")

    bad = client.post(url, data={"decision": "continue", "reason": "持續追蹤", "effective_date": "107/02/30"})
    assert bad.status_code == 422
    assert "107/02/30" in bad.get_data(as_text=True)

    future = dates.today() + timedelta(days=400)
    typed = format_date_input(future, "zh_TW")
    resp = client.post(url, data={"decision": "continue", "reason": "持續追蹤", "effective_date": typed})
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert f"{format_date(future, 'zh_TW')} 晚於今日" in text and future.isoformat() + " 晚於" not in text
    assert db.session.scalars(select(TrackingDecision)).all() == []

    ok = client.post(url, data={"decision": "continue", "reason": "持續追蹤", "effective_date": "1061220"})
    assert ok.status_code == 302
    assert db.session.scalars(select(TrackingDecision)).one().effective_date == date(2017, 12, 20)


# --- the live hint ------------------------------------------------------------------------------


def test_parse_endpoint_uses_the_one_parser(client, login, factory):
    login(factory.user("viewer"))
    body = client.get("/dates/parse?value=1071231").get_json()
    assert body == {
        "value": "1071231",
        "date": "2018-12-31",
        "ok": True,
        "message": "解讀為 民國107年12月31日（2018-12-31）。",
    }
    bad = client.get("/dates/parse?value=107/02/30").get_json()
    assert bad["ok"] is False and bad["date"] is None and "107/02/30" in bad["message"]
    late = client.get("/dates/parse?value=2030-01-01&max=2026-11-30").get_json()
    assert late["ok"] is False and late["date"] == "2030-01-01" and "119年1月1日" in late["message"]
    empty = client.get("/dates/parse?value=").get_json()
    assert empty["ok"] is False and "1071231" in empty["message"]
    en = client.get("/dates/parse?value=107.12.31&lang=en").get_json()  # ?lang= sticks to the session
    assert en["message"] == "Read as 2018-12-31 (ROC 107/12/31)."


def test_parse_endpoint_needs_a_session(client):
    assert client.get("/dates/parse?value=1071231").status_code == 302
