"""民國 (ROC) dates, number formats and locale names (tracker/locale.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string

from tracker.locale import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_year,
    localized,
    normalise_locale,
    roc_year,
)


@pytest.mark.parametrize(
    "value, zh, en",
    [
        (date(2017, 12, 31), "106年12月31日", "2017-12-31"),
        (date(2016, 11, 12), "105年11月12日", "2016-11-12"),
        (date(1912, 1, 1), "1年1月1日", "1912-01-01"),
        (date(2024, 2, 29), "113年2月29日", "2024-02-29"),
    ],
)
def test_roc_dates(value, zh, en):
    assert format_date(value, "zh_TW") == zh
    assert format_date(value, "en") == en


def test_roc_date_of_a_datetime_and_empty_values():
    assert format_date(datetime(2017, 12, 31, 10, 0), "zh_TW") == "106年12月31日"
    assert format_date(None, "zh_TW") == "—"
    assert format_date(None, "en", empty="") == ""


def test_datetimes_are_shown_in_taipei_time():
    # 16:30 UTC on 31 December is already 1 January in Tainan.
    moment = datetime(2017, 12, 31, 16, 30, tzinfo=UTC)
    assert format_datetime(moment, "zh_TW") == "107年1月1日 00:30"
    assert format_datetime(moment, "en") == "2018-01-01 00:30"
    assert format_datetime(None, "en") == "—"


def test_roc_years():
    assert roc_year(2017) == 106
    assert roc_year(1912) == 1
    assert format_year(2017, "zh_TW") == "民國106年"
    assert format_year(2017, "en") == "2017"
    assert format_year(None, "zh_TW") == "—"


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (Decimal("80.0000"), 2, "80"),
        (Decimal("2.4900"), 2, "2.49"),
        (Decimal("12500000"), 0, "12,500,000"),
        (1234567.5, 2, "1,234,567.5"),
        (Decimal("199.0"), 2, "199"),
        (0, 2, "0"),
        (-3.25, 2, "-3.25"),
        (Decimal("0.1234"), 4, "0.1234"),
        (None, 2, "—"),
    ],
)
def test_number_format(value, digits, expected):
    assert format_number(value, digits) == expected


def test_percent_format():
    assert format_percent(55.0) == "55%"
    assert format_percent(62.4) == "62%"
    assert format_percent(62.46, digits=1) == "62.5%"
    assert format_percent(None) == "—"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("zh-TW", "zh_TW"),
        ("zh_TW", "zh_TW"),
        ("zh_tw", "zh_TW"),
        ("zh-Hant-TW", "zh_TW"),
        ("zh", "zh_TW"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("fr", None),
        ("", None),
        (None, None),
        ("../../etc", None),
    ],
)
def test_locale_normalisation(raw, expected):
    assert normalise_locale(raw) == expected


class _Named:
    title_zh = "永續與韌性"
    title_en = ""
    name_zh = ""
    name_en = "Water"


def test_localized_falls_back_to_the_other_language():
    obj = _Named()
    assert localized(obj, "title", "zh_TW") == "永續與韌性"
    assert localized(obj, "title", "en") == "永續與韌性"  # no English yet: the original
    assert localized(obj, "name", "zh_TW") == "Water"


def test_template_filters_follow_the_request_language(app):
    tpl = "{{ d|date }} | {{ 2017|year }} | {{ v|num }} | {{ p|pct }}"
    ctx = {"d": date(2017, 12, 31), "v": Decimal("1234.50"), "p": 80.0}
    # Each request context on an app context of its own (a fresh `g`), as a real request has:
    # the test's app context would keep the first language Flask-Babel chose.
    with app.app_context(), app.test_request_context("/?lang=zh-TW"):
        assert render_template_string(tpl, **ctx) == "106年12月31日 | 民國106年 | 1,234.5 | 80%"
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert render_template_string(tpl, **ctx) == "2017-12-31 | 2017 | 1,234.5 | 80%"


def test_ui_date_macro_marks_up_machine_readable_dates(app):
    with app.app_context(), app.test_request_context("/?lang=zh-TW"):
        html = render_template_string(
            '{% import "_macros/ui.html" as ui %}{{ ui.period(a, b) }}', a=date(2016, 11, 12), b=date(2016, 11, 19)
        )
    assert '<time datetime="2016-11-12">105年11月12日</time>' in html
    assert '<time datetime="2016-11-19">105年11月19日</time>' in html
