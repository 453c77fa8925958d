"""`flask seed`: idempotent, refuses demo data in production, and stops on a
malformed seed file with the file, line and reason, leaving the database unchanged."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from tracker import create_app
from tracker.extensions import db
from tracker.models import Recommendation, Report

SEED_DIR = Path(__file__).resolve().parent.parent / "seed" / "data"


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(db.select(db.func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_seed_twice_changes_nothing(runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    after_first = row_counts()

    report = db.session.scalar(db.select(Report).where(Report.code == "israel-2016"))
    assert report is not None
    codes = db.session.scalars(db.select(Recommendation.code).where(Recommendation.report_id == report.id)).all()
    assert sorted(codes) == ["R1", "R2", "R3", "R4", "R5"]

    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert row_counts() == after_first


def test_demo_refused_in_production(tmp_path, monkeypatch):
    # A random key: production refuses placeholder-looking ones (tracker/security.py secret_key_problem).
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "prod.sqlite3"))
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app("production")
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed", "--demo"])
        assert result.exit_code != 0
        assert "refused" in result.output.lower()
        assert all(n == 0 for n in row_counts().values()), "demo refusal must not load anything"
        db.session.remove()
        db.engine.dispose()


def broken_copy(tmp_path: Path, corrupt, relative: str | None = None) -> tuple[Path, str, int]:
    """Copy the seed folder and corrupt one file (by default the last one in path order,
    so a loader that wrote file by file would leave the earlier files behind)."""
    target = tmp_path / "seed-data"
    shutil.copytree(SEED_DIR, target)
    victim = target / relative if relative else sorted(target.rglob("*.y*ml"))[-1]
    lines = victim.read_text(encoding="utf-8").splitlines()
    line_no = corrupt(lines)
    victim.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target, victim.name, line_no


def _unclosed_flow_sequence(lines: list[str]) -> int:
    lines.append("broken: [unclosed, flow")
    lines.append("other: value")
    return len(lines) - 1


def _tab_indentation(lines: list[str]) -> int:
    lines.append("broken:")
    lines.append("\t- tab indented")
    return len(lines)


def test_malformed_seed_file_stops_with_file_and_line_and_changes_nothing(runner, tmp_path):
    for corrupt in (_unclosed_flow_sequence, _tab_indentation):
        data_dir, file_name, line_no = broken_copy(tmp_path / corrupt.__name__, corrupt)
        before = row_counts()

        result = runner.invoke(args=["seed", "--data-dir", str(data_dir)])

        assert result.exit_code != 0, result.output
        assert file_name in result.output, result.output
        lines = [int(n) for n in re.findall(r"line (\d+)", result.output)]
        assert lines and abs(lines[0] - line_no) <= 1, f"expected about line {line_no}: {result.output}"
        db.session.expire_all()
        assert row_counts() == before, "a failed seed must leave the database unchanged"


def test_malformed_seed_after_a_good_seed_keeps_the_good_data(runner, tmp_path):
    assert runner.invoke(args=["seed"]).exit_code == 0
    before = row_counts()
    data_dir, file_name, _ = broken_copy(tmp_path, _unclosed_flow_sequence)

    result = runner.invoke(args=["seed", "--data-dir", str(data_dir)])

    assert result.exit_code != 0
    assert file_name in result.output
    db.session.expire_all()
    assert row_counts() == before


def test_unknown_department_reference_names_file_and_line(runner, tmp_path):
    def unknown_lead(lines: list[str]) -> int:
        for i, line in enumerate(lines):
            if line.strip().startswith("lead:"):
                lines[i] = line.split("lead:")[0] + "lead: no-such-department"
                return i + 1
        raise AssertionError("no lead: line in action_items.yaml")

    data_dir, file_name, line_no = broken_copy(tmp_path, unknown_lead, "reports/israel-2016/action_items.yaml")
    before = row_counts()

    result = runner.invoke(args=["seed", "--data-dir", str(data_dir)])

    assert result.exit_code != 0
    assert file_name in result.output and f"line {line_no}" in result.output, result.output
    assert "no-such-department" in result.output
    db.session.expire_all()
    assert row_counts() == before
