"""``flask progress`` and ``flask projections``: the two dates on the command line."""

from __future__ import annotations

import json
from datetime import date

from tests.scenarios import build_scenarios
from tracker.extensions import db
from tracker.models import ItemPeriod


def _json(runner, *args):
    result = runner.invoke(args=["progress", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_progress_on_both_dates_by_hand(runner, factory):
    sc = build_scenarios(factory)
    # 2017-12-31 as known on 2018-01-10: JANUARY's 60 % report (submitted 01-05) waits.
    printed = _json(runner, "--as-of", "2017-12-31", "--known-at", "2018-01-10", "--report", sc.report.code)
    assert printed["pending"] == 1
    r1 = {r["code"]: r for r in printed["recommendations"]}["R1"]
    # R1 = LATE 40, JANUARY 30, RETURNED 50 -> 40.0
    assert r1["progress"] == 40.0
    # Known today, JANUARY's report is approved (2018-01-20): (40 + 60 + 50) / 3 = 50.0
    now = _json(runner, "--as-of", "2017-12-31", "--report", sc.report.code)
    assert now["pending"] == 0 and {r["code"]: r for r in now["recommendations"]}["R1"]["progress"] == 50.0
    # ROC input is read the same.
    roc = _json(runner, "--as-of", "106/12/31", "--known-at", "107/01/10", "--report", sc.report.code)
    assert roc["as_of"] == "2017-12-31" and roc["known_at"] == "2018-01-10"


def test_progress_refuses_bad_dates(runner, factory):
    build_scenarios(factory)
    for args, hint in (
        (["--as-of", "2999-01-01"], "--as-of"),
        (["--as-of", "soon"], "--as-of"),
        (["--as-of", "2018-01-10", "--known-at", "2018-01-01"], "--known-at"),
        (["--report", "nope"], "--report"),
    ):
        result = runner.invoke(args=["progress", *args])
        assert result.exit_code == 2 and hint in result.output, result.output
    text = runner.invoke(args=["progress", "--as-of", "2017-12-31"])
    assert text.exit_code == 0 and "Data as of 2017-12-31" in text.output


def test_projections_check_and_rebuild(runner, factory):
    sc = build_scenarios(factory)
    assert runner.invoke(args=["projections", "check"]).exit_code == 0
    row = db.session.scalar(
        db.select(ItemPeriod).where(ItemPeriod.item_id == sc.never.id, ItemPeriod.period_end == date(2017, 6, 30))
    )
    row.progress = 99  # damage the read model behind the app's back
    db.session.commit()
    bad = runner.invoke(args=["projections", "check"])
    assert bad.exit_code == 1 and "difference" in bad.output and "99" in bad.output
    fixed = runner.invoke(args=["projections", "rebuild"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["projections", "check"]).exit_code == 0
