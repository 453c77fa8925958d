"""The 2017 and 2018 summaries of the demo history (`flask seed --demo`): every item shows
the progress of its latest report effective in (or before) that year and approved by the
compile date, whenever it was approved (the 2017-12-31 reports approved in January 2018
included); every page carries the demo mark; 2018 is a draft (one report pending, eleven
items without a 列管建議), 2017 is final."""

from __future__ import annotations

from datetime import date

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.export_readers import items_of, text_of
from tracker.dates import DataDates, today
from tracker.exports import render_summary, resolve_options
from tracker.exports.summary import build_document
from tracker.exports.summary.words import DEMO_DOMAIN
from tracker.extensions import db
from tracker.models import ActionItem, Review, ReviewDecision, StatusUpdate


@pytest.fixture
def demo(seeded):
    from seed.demo import load_demo

    load_demo(db.session, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    db.session.commit()
    return seeded


def latest_approved(year: int) -> dict[str, int]:
    """By hand, from the tables: each item's latest approved report effective by 31 December."""
    q = (
        select(ActionItem.code, StatusUpdate.progress)
        .join(StatusUpdate, StatusUpdate.action_item_id == ActionItem.id)
        .join(Review, Review.update_id == StatusUpdate.id)
        .where(Review.decision == ReviewDecision.APPROVE, StatusUpdate.effective_date <= date(year, 12, 31))
        .order_by(ActionItem.code, StatusUpdate.effective_date, StatusUpdate.submitted_at, StatusUpdate.id)
    )
    out: dict[str, int] = {}
    for code, progress in db.session.execute(q):
        out[code] = progress
    return out


def test_demo_marker_matches_the_seed():
    from seed.demo import DEMO_DOMAIN as SEED_DOMAIN

    assert DEMO_DOMAIN == SEED_DOMAIN


@pytest.mark.parametrize("year", [2017, 2018])
def test_every_item_has_its_latest_approved_progress(demo, year):
    doc = build_document(year, DataDates(date(year, 12, 31), today(), today()), "zh_TW", [demo.id])
    cols = [c.key for c in doc.items.columns]
    got = {r[cols.index("code")]: r[cols.index("progress")] for r in doc.items.rows}
    expected = latest_approved(year)
    assert len(got) == 14
    assert {code: got[code] for code in expected} == expected
    assert all(got[code] == 0 for code in got if code not in expected)  # never reported: 0 %
    assert doc.demo and "示範資料" in doc.footer
    if year == 2017:
        assert got["R1-01"] == 40  # its 2017-12-31 report, approved in January 2018
        assert not doc.draft
    else:
        assert doc.draft and doc.pending_reports == 1 and doc.missing_decisions == 11


@pytest.mark.parametrize("fmt", ["odt", "docx", "pdf", "xlsx", "ods", "csv"])
def test_demo_mark_and_progress_in_every_format(demo, fmt):
    options = resolve_options(year=2017, as_of=None, fmt=fmt, lang="en", report=demo.id, today=today())
    data = render_summary(options)
    expected = latest_approved(2017)
    if fmt in ("xlsx", "ods", "csv"):
        rows = {r["Code"]: r for r in items_of(fmt, data)}
        assert {c: int(rows[c]["Progress (%)"]) for c in expected} == expected
        if fmt == "xlsx":
            import io

            from openpyxl import load_workbook

            ws = load_workbook(io.BytesIO(data)).worksheets[2]
            assert "DEMO DATA" in (ws.oddFooter.center.text or "") + (ws.oddHeader.center.text or "")
    else:
        text = text_of(fmt, data)
        assert "\x00" not in text
        if fmt == "pdf":
            import io

            from pypdf import PdfReader

            pages = PdfReader(io.BytesIO(data)).pages
            assert all("DEMO DATA" in p.extract_text() for p in pages)  # every page, the cover too
        else:
            assert "DEMO DATA · Page" in text  # the page footer (one master page for every page)
