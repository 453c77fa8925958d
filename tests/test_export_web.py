"""The annual summary page: who may use it, the download, and bad input next to its field."""

from __future__ import annotations

import io

import pytest

from tests.export_world import build_export_history
from tracker.dates import today


@pytest.fixture
def history(seeded, factory):
    return build_export_history(seeded, factory)


@pytest.mark.parametrize("role", ["reviewer", "viewer", "admin"])
def test_readers_see_the_form(history, client, login, factory, role):
    login(factory.user(role))
    resp = client.get("/exports/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for name in ("report", "year", "as_of", "format", "language"):
        assert f'id="{name}"' in html and f'for="{name}"' in html
    assert 'href="/exports/"' in html  # in the main navigation


def test_editors_read_the_annual_summary_too(history, client, login, factory):
    """Every department may read the city's summary (docs/domain.md "Users"); read only."""
    login(factory.user("editor"))
    assert client.get("/exports/").status_code == 200
    resp = client.get("/exports/download?year=2017&format=csv&language=en")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert client.post("/exports/download", data={"year": "2017"}).status_code == 405


def test_knowledge_date_from_the_form(history, client, login, factory):
    login(factory.user("viewer"))
    resp = client.get("/exports/download?year=2017&format=csv&language=en&known_at=2017-12-31")
    assert resp.status_code == 200 and "known-2017-12-31" in resp.headers["Content-Disposition"]
    resp = client.get("/exports/download?year=2017&format=csv&language=en&known_at=2017-06-30")
    assert resp.status_code == 400 and "早於資料截止日" in resp.get_data(as_text=True)  # interface in zh-TW


def test_signed_out_visitors_are_sent_to_sign_in(history, client):
    resp = client.get("/exports/download?year=2017&format=csv&language=en")
    assert resp.status_code in (302, 401)


@pytest.mark.parametrize(
    "fmt, mimetype",
    [
        ("odt", "application/vnd.oasis.opendocument.text"),
        ("pdf", "application/pdf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "text/csv"),
    ],
)
def test_download(history, client, login, factory, fmt, mimetype):
    login(factory.user("viewer"))
    resp = client.get(
        f"/exports/download?report={history.report.id}&year=2017&as_of=2017-12-31&format={fmt}&language=zh-TW"
    )
    assert resp.status_code == 200
    assert resp.mimetype == mimetype
    disposition = resp.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert f"israel-2016_summary_2017_asof-2017-12-31_known-{today().isoformat()}_zh-TW.{fmt}" in disposition
    body = resp.get_data()
    if fmt == "odt":
        from odfdo import Document

        assert "106年12月31日" in Document(io.BytesIO(body)).get_formatted_text()
    elif fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")


def test_default_as_of_is_the_end_of_the_year(history, client, login, factory):
    login(factory.user("reviewer"))
    resp = client.get(f"/exports/download?report={history.report.id}&year=2017&as_of=&format=csv&language=en")
    assert resp.status_code == 200
    assert f"asof-2017-12-31_known-{today().isoformat()}_en.csv" in resp.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("year=2017&as_of=2018-02-01&format=odt&language=en", "as_of", "outside the year 2017"),
        ("year=2017&as_of=soon&format=odt&language=en", "as_of", "“soon” is not a date"),
        ("year=2017&format=exe&language=en", "format", "Unknown format"),
        ("year=2017&format=odt&language=fr", "language", "Unknown language"),
        ("year=2017&format=odt&language=en&report=999", "report", "There is no report"),
        ("year=1800&format=odt&language=en", "year", "between"),
    ],
)
def test_bad_input_is_shown_next_to_its_field(history, client, login, factory, query, field, message):
    login(factory.user("viewer"))
    resp = client.get(f"/exports/download?{query}&lang=en")  # lang: the interface language
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert "aria-invalid" in html
