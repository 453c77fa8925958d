"""``flask export-summary``: writes a complete file or nothing, with clear errors."""

from __future__ import annotations

import pytest

from tests.export_world import build_export_history


@pytest.fixture
def history(seeded, factory):
    return build_export_history(seeded, factory)


def run(runner, *args: str):
    return runner.invoke(args=["export-summary", *args])


def test_writes_the_requested_file(history, runner, tmp_path):
    from odfdo import Document

    out = tmp_path / "summary.odt"
    result = run(
        runner,
        "--year",
        "2017",
        "--as-of",
        "2017-12-31",
        "--report",
        str(history.report.id),
        "--format",
        "odt",
        "--lang",
        "zh-TW",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    text = Document(out).get_formatted_text()
    assert "民國106年度追蹤辦理情形報告" in text and "106年12月31日" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.odt"]  # no temporary file left


@pytest.mark.parametrize("fmt", ["ods", "pdf", "docx", "xlsx", "csv"])
def test_default_file_name_in_a_folder(history, runner, tmp_path, fmt):
    result = run(
        runner, "--year", "2017", "--report", "israel-2016", "--format", fmt, "--lang", "en", "--output", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    from tracker.dates import today

    expected = tmp_path / f"israel-2016_summary_2017_asof-2017-12-31_known-{today().isoformat()}_en.{fmt}"
    assert expected.exists() and expected.stat().st_size > 100
    assert [p.name for p in tmp_path.iterdir()] == [expected.name]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "2017", "--format", "rtf"], "Unknown format"),
        (["--year", "2017", "--format", "odt", "--lang", "fr"], "Unknown language"),
        (["--year", "2017", "--format", "odt", "--report", "nope"], "There is no report"),
        (["--year", "2017", "--format", "odt", "--as-of", "2018-01-05"], "outside the year 2017"),
        (["--year", "2017", "--format", "odt", "--as-of", "2017-13-01"], "is not a date"),
        (["--year", "abc", "--format", "odt"], "must be a number"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(history, runner, tmp_path, args, message):
    out = tmp_path / "summary.out"
    extra = [] if "--lang" in args else ["--lang", "en"]
    result = run(runner, *args, *extra, "--output", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_errors_in_chinese_when_chinese_is_asked(history, runner, tmp_path):
    result = run(
        runner,
        "--year",
        "2017",
        "--format",
        "odt",
        "--lang",
        "zh-TW",
        "--as-of",
        "2016-12-31",
        "--output",
        str(tmp_path / "x.odt"),
    )
    assert result.exit_code != 0 and "不在 2017 年內" in result.output
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_refused(history, runner, tmp_path):
    result = run(runner, "--year", "2017", "--format", "csv", "--output", str(tmp_path / "no" / "x.csv"))
    assert result.exit_code != 0 and "does not exist" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_no_partial_file(history, runner, tmp_path, monkeypatch):
    import tracker.exports.cli as cli

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cli.os, "replace", boom)
    out = tmp_path / "summary.csv"
    result = run(runner, "--year", "2017", "--format", "csv", "--output", str(out))
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_rendering_leaves_no_file(history, runner, tmp_path, monkeypatch):
    import tracker.exports.cli as cli

    def broken(options, on_progress=None):
        raise RuntimeError("writer crashed")

    monkeypatch.setattr(cli, "render_summary", broken)
    result = run(runner, "--year", "2017", "--format", "pdf", "--output", str(tmp_path / "x.pdf"))
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_year_before_the_report_is_refused_and_nothing_written(history, runner, tmp_path):
    out = tmp_path / "2015.xlsx"
    result = run(runner, "--year", "2015", "--format", "xlsx", "--lang", "en", "--output", str(out))
    assert result.exit_code != 0 and "before the report was filed (2016-12-23)" in result.output
    assert not out.exists()


def test_progress_bar_on_a_terminal(history, runner, tmp_path, monkeypatch):
    import tracker.exports.cli as cli

    monkeypatch.setattr(cli, "_is_terminal", lambda: True)
    stages = []
    real = cli.render_summary

    def spy(options, on_progress=None):
        assert on_progress is not None
        return real(options, on_progress=lambda f, s: (stages.append(f), on_progress(f, s)))

    monkeypatch.setattr(cli, "render_summary", spy)
    result = run(runner, "--year", "2017", "--format", "csv", "--output", str(tmp_path / "x.csv"))
    assert result.exit_code == 0, result.output
    assert stages and stages[-1] == 1.0
    assert "完成" in result.output  # the stages are shown (click draws the bar itself on a real terminal)


def test_missing_pdf_font_is_a_clear_error(history, runner, tmp_path, monkeypatch):
    import tracker.exports.pdf as pdf

    def no_font(style):
        raise pdf.FontMissing("The PDF export needs the Noto Sans CJK TC font (fonts-noto-cjk).", field="format")

    monkeypatch.setattr(pdf, "find_font", no_font)
    result = run(runner, "--year", "2017", "--format", "pdf", "--output", str(tmp_path / "x.pdf"))
    assert result.exit_code != 0 and "Noto Sans CJK TC" in result.output and "Nothing was written" in result.output
    assert list(tmp_path.iterdir()) == []
