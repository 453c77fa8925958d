"""The year's follow-up read from the stored period rows equals the one folded from the
histories (services/annual.review_year), on the hand-computed scenarios and on the demo
history: the fast path the annual summary uses may not change one answer."""

from __future__ import annotations

from datetime import date

import pytest
from argon2 import PasswordHasher

from tests.scenarios import build_scenarios
from tracker.dates import DataDates, today
from tracker.extensions import db
from tracker.services import annual


def _answers(review: annual.YearReview) -> list[tuple]:
    out = []
    for row in review.items:
        st = row.state
        out.append(
            (
                row.item.id,
                st.status,
                st.progress,
                st.official.id if st.official else None,
                st.pending.id if st.pending else None,
                st.returned_id,
                tuple(st.flags),
                (
                    st.decision.id,
                    st.decision.decision,
                    st.decision.effective_date,
                    st.decision.review_year,
                    st.decision.reason,
                )
                if st.decision
                else None,
                row.tracked,
                row.released_in_year,
                row.needs_decision,
                (row.year_end.id, row.year_end.decision) if row.year_end else None,
                tuple(row.pending_ids),
                tuple((r.period.end, r.update_id, r.progress, r.approved_on) for r in row.reports),
                tuple(p.end for p in row.not_reported),
            )
        )
    return out


def _compare(years, report_ids=None):
    for year in years:
        dd = DataDates(date(year, 12, 31), today(), today())
        rows = annual.review_year(year, dd, report_ids, read_model=True)
        folded = annual.review_year(year, dd, report_ids, read_model=False)
        assert _answers(rows) == _answers(folded), year
        assert rows.is_draft == folded.is_draft and rows.pending_reports == folded.pending_reports
        assert [p.end for p in rows.periods] == [p.end for p in folded.periods]


def test_scenarios_read_the_same_from_rows_and_histories(app, factory):
    scen = build_scenarios(factory)
    db.session.commit()
    _compare([2016, 2017, 2018], [scen.report.id])


@pytest.fixture
def demo(seeded):
    from seed.demo import load_demo

    load_demo(db.session, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    db.session.commit()
    return seeded


def test_demo_history_reads_the_same_from_rows_and_histories(demo):
    _compare([2017, 2018, 2019])


def test_the_summary_of_a_past_year_uses_the_rows_and_a_past_knowledge_date_folds(demo, monkeypatch):
    calls = []
    real = annual._review_year_from_rows
    monkeypatch.setattr(annual, "_review_year_from_rows", lambda *a, **k: calls.append(1) or real(*a, **k))
    annual.review_year(2018, DataDates(date(2018, 12, 31), today(), today()))
    assert calls == [1]
    annual.review_year(2018, DataDates(date(2018, 12, 31), date(2019, 1, 10), today()))
    assert calls == [1]  # K before today: folded from the histories
