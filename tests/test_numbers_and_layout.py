"""One rounding rule (tracker.numbers: halves away from zero) in pages and charts, one way of
writing percentages, and the markup the narrow layouts rely on (stacked tables with labels,
a narrow chart, the admin home page's counts, no bullets outside cards)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.test_dashboard import build
from tracker import charts, numbers
from tracker.extensions import db
from tracker.locale import format_number, format_percent


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (22.5, 0, "23%"),
        (37.5, 0, "38%"),
        (0.5, 0, "1%"),
        (1.5, 0, "2%"),
        (2.5, 0, "3%"),
        (33.75, 0, "34%"),
        (34.1, 0, "34%"),
        (33.75, 1, "33.8%"),
        (37.45, 1, "37.5%"),
        (0.125, 2, "0.13%"),
        (100, 0, "100%"),
        (0, 0, "0%"),
        (-0.4, 0, "0%"),
        (-2.5, 0, "-3%"),
        (Decimal("12.5"), 0, "13%"),
    ],
)
def test_percent_rounds_halves_away_from_zero(value, digits, expected):
    assert numbers.percent(value, digits) == expected
    assert format_percent(value, digits) == expected


def test_percent_of_nothing_and_of_non_numbers():
    assert numbers.percent(None) == "—"
    assert numbers.percent(float("nan")) == "—"
    assert numbers.percent("abc") == "—"
    assert numbers.percent(True) == "—"
    assert numbers.percent(37.5, sign=False) == "38"


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (2.5, 0, "3"),
        (1234.5, 0, "1,235"),
        (80.0, 2, "80"),
        (2.4900, 2, "2.49"),
        (2.495, 2, "2.5"),
        (0.005, 2, "0.01"),
        (None, 2, "—"),
    ],
)
def test_numbers_use_the_same_rule(value, digits, expected):
    assert numbers.number(value, digits) == expected
    assert format_number(value, digits) == expected


def test_chart_labels_round_like_the_tables():
    chart = charts.progress_bars(
        [("R1", 22.5), ("R2", 37.5), ("R3", None)],
        title="t",
        desc="d",
        chart_id="c",
        label_header="l",
        value_header="v",
        number=lambda v: numbers.percent(v, 0, sign=False),
    )
    assert [row[1] for row in chart.rows] == ["23%", "38%", "—"]
    assert ">23%<" in chart.svg and ">38%<" in chart.svg
    assert charts.default_number(2.25) == "2.3"  # one decimal, half away from zero (not 2.2)


@pytest.fixture
def signin(login):
    def _signin(user):
        db.session.commit()
        return login(user)

    return _signin


def test_dashboard_chart_and_table_write_the_same_percentages(client, signin, factory):
    report, _ = build(factory, 12)
    signin(factory.user("viewer"))
    html = client.get(f"/dashboard/?report={report.id}&as_of=2017-12-31&lang=en").get_data(as_text=True)
    chart = re.search(r'<svg[^>]*id="chart-rec-progress".*?</svg>', html, re.S).group(0)
    chart_values = re.findall(r">(\d+)%<", chart.split("</line>")[-1])
    rows = re.findall(r'<tr data-rec="[^"]+"[^>]*>.*?</tr>', html, re.S)
    table_values = [re.search(r'class="progress-value">(\d+)%<', row).group(1) for row in rows]
    axis = {"0", "25", "50", "75", "100"}
    assert [v for v in chart_values if v not in axis] or table_values
    assert all(v in chart_values for v in table_values)
    assert not re.search(r"\d+\.\d+%", chart)  # whole percent, as in the table
    overall = re.search(r'class="stat-value">([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d+%|n/a", overall)


def test_dashboard_tables_fit_and_stack(client, signin, factory):
    report, _ = build(factory, 12)
    signin(factory.user("viewer"))
    html = client.get(f"/dashboard/?report={report.id}&lang=zh-TW").get_data(as_text=True)
    rec_table = re.search(r'<table class="table table-stack" id="rec-table">.*?</table>', html, re.S).group(0)
    assert rec_table.count('<th scope="col">') == 6  # was 13: the status counts share one column
    assert 'class="status-mix"' in rec_table
    for table_id in ("rec-table", "status-table", "dept-table"):
        table = re.search(rf'<table class="table table-stack" id="{table_id}">.*?</table>', html, re.S).group(0)
        tds = re.findall(r"<td(?: [^>]*)?>", table)
        assert tds and all("data-label=" in td for td in tds if "colspan" not in td), table_id
    # The narrow drawing of each chart, for phones.
    assert 'id="chart-rec-progress-narrow"' in html and 'id="chart-dept-status-narrow"' in html
    assert 'width="360"' in html


def test_my_department_rows_become_cards_with_labels(client, login, factory):
    from tests.update_world import build_world

    world = build_world(factory)
    db.session.commit()
    login(world.lead_editor)
    html = client.get("/my-department/").get_data(as_text=True)
    table = re.search(r'<table class="table table-stack" id="worklist">.*?</table>', html, re.S).group(0)
    assert 'data-label="預定完成日期"' in table and 'class="actions-cell"' in table
    assert "提報辦理情形" in table


def test_admin_home_shows_counts(client, login, factory):
    admin = factory.user("admin")
    factory.item()
    db.session.commit()
    login(admin)
    html = client.get("/admin/?lang=en").get_data(as_text=True)
    assert "built-in method" not in html
    assert re.search(r"\d+ items\. Edit titles", html)


def test_lists_of_cards_have_no_bullets():
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "tracker" / "static" / "css" / "app.css").read_text()
    rule = re.search(r"([^{}]*)\{\s*list-style:\s*none;[^}]*\}", css[css.index("ul.plain-list") :]).group(1)
    assert "ul.plain-list" in rule and "ul.stack" in rule
