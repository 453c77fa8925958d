"""``flask --app tracker export-summary``: the annual summary written to a file."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask_babel import force_locale

from . import FORMATS, ExportError, render_summary, resolve_options


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so a
    reader never sees a partial file and a failure leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_terminal() -> bool:
    """A progress bar only for a person watching; logs and pipes get the last line alone."""
    return sys.stdout.isatty()


@click.command("export-summary")
@click.option("--year", required=True, help="Year of the summary, e.g. 2017.")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Data date, within the year (default: 31 December, or today for the current year).",
)
@click.option(
    "--known-at",
    "known_at",
    default=None,
    metavar="DATE",
    help="Knowledge date: only what was submitted, approved or decided by then counts "
    "(default: today, the compile date). --known-at equal to --as-of gives the summary as "
    "it could have been printed that day.",
)
@click.option("--report", default=None, help="Report id or code (default: every report).")
@click.option("--format", "fmt", required=True, metavar="|".join(FORMATS), help="File format.")
@click.option("--lang", default="zh-TW", show_default=True, metavar="zh-TW|en", help="Document language.")
@click.option(
    "--output",
    "-o",
    default=None,
    type=click.Path(path_type=Path),
    help="File to write (or a folder); default: the standard file name in the current folder.",
)
def export_summary_command(
    year: str, as_of: str | None, known_at: str | None, report: str | None, fmt: str, lang: str, output: Path | None
) -> None:
    """Write the annual follow-up summary (年度追蹤辦理情形報告) as ODT, ODS, PDF, DOCX, XLSX or CSV."""
    from ..services.review import today

    # Error messages in the language asked for (English when that is what is wrong).
    message_locale = "zh_TW" if (lang or "").lower().replace("_", "-") in ("zh-tw", "zh") else "en"
    with force_locale(message_locale):
        try:
            options = resolve_options(
                year=year, as_of=as_of, fmt=fmt, lang=lang, report=report, today=today(), known_at=known_at
            )
        except ExportError as exc:
            raise click.ClickException(exc.message) from None
    target = output if output is not None else Path.cwd() / options.filename
    if target.is_dir():
        target = target / options.filename
    if not target.parent.is_dir():
        raise click.ClickException(f"The folder {target.parent} does not exist; nothing was written.")

    try:
        data = _render(options)
    except ExportError as exc:
        raise click.ClickException(f"{exc.message} Nothing was written.") from None
    write_atomically(target, data)
    click.echo(
        f"{target} ({len(data):,} bytes): summary {options.year}, data as of {options.as_of.isoformat()}, "
        f"known at {options.dates.known_at.isoformat()}, {options.lang}, {options.format}"
    )


def _render(options) -> bytes:
    if _is_terminal():
        with click.progressbar(length=100, label="export-summary", show_percent=True, show_eta=False) as bar:
            done = [0]

            def tick(fraction: float, stage: str) -> None:
                step = int(fraction * 100)
                if step > done[0]:
                    bar.label = stage
                    bar.update(step - done[0])
                    done[0] = step

            return render_summary(options, on_progress=tick)
    return render_summary(options)


def _user(email: str):
    from sqlalchemy import func, select

    from ..extensions import db
    from ..models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"There is no account {email!r}; nothing was filed.")
    return user


@click.command("file-summary")
@click.option("--year", required=True, help="Year of the summary, e.g. 2017.")
@click.option("--report", default=None, help="Report id or code (default: every report).")
@click.option("--format", "fmt", default="pdf", show_default=True, metavar="|".join(FORMATS), help="File format.")
@click.option("--lang", default="zh-TW", show_default=True, metavar="zh-TW|en", help="Document language.")
@click.option("--known-at", "known_at", default=None, metavar="DATE", help="Knowledge date (default: today).")
@click.option("--user", "email", required=True, help="E-mail of the reviewer or administrator filing it.")
@click.option("--note", default="", help="A note kept with the filing.")
@click.option("--allow-draft", is_flag=True, help="File even though the summary is still a draft.")
def file_summary_command(
    year: str, report: str | None, fmt: str, lang: str, known_at: str | None, email: str, note: str, allow_draft: bool
) -> None:
    """File the year's annual summary (歸檔): keep the document as filed and lock the year."""
    from ..extensions import db
    from ..services import DomainError
    from ..services.review import today
    from .filing import file_year

    user = _user(email)
    message_locale = "zh_TW" if (lang or "").lower().replace("_", "-") in ("zh-tw", "zh") else "en"
    with force_locale(message_locale):
        try:
            options = resolve_options(
                year=year, as_of=None, fmt=fmt, lang=lang, report=report, today=today(), known_at=known_at
            )
            row = file_year(options, user, note=note, allow_draft=allow_draft)
        except (ExportError, DomainError) as exc:
            db.session.rollback()
            raise click.ClickException(f"{exc.message} Nothing was filed.") from None
    db.session.commit()
    click.echo(f"filed #{row.id} {row.filename} ({row.size:,} bytes) sha256 {row.sha256}")
    if row.changes:
        click.echo("changes since the previous filing:")
        click.echo(row.changes)


@click.command("reopen-year")
@click.option("--year", required=True, type=int, help="The filed year to reopen.")
@click.option("--report", default=None, help="Report id or code (default: the filing of every report).")
@click.option("--reason", required=True, help="Why the year is reopened (kept in the history).")
@click.option("--user", "email", required=True, help="E-mail of the reviewer or administrator.")
def reopen_year_command(year: int, report: str | None, reason: str, email: str) -> None:
    """Reopen a filed year so that corrections dated in it can be recorded."""
    from ..extensions import db
    from ..services import DomainError
    from ..services import filing as filing_ops
    from . import find_report

    user = _user(email)
    try:
        filing_ops.reopen_year(year=year, report=find_report(report), reason=reason, user=user)
    except (ExportError, DomainError) as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} Nothing was changed.") from None
    db.session.commit()
    click.echo(f"{year} reopened")
