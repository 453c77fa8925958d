"""Command-line interface: ``flask --app tracker <command>``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from .extensions import db

ROOT = Path(__file__).resolve().parent.parent


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also add demo accounts and a 2017–2018 update history.")
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of seed YAML files (default: seed/data).",
)
def seed_command(demo: bool, data_dir: Path | None) -> None:
    """Load the report seed data (idempotent); with --demo, demo data too."""
    from seed.loader import SeedError, load_seed

    if demo and not current_app.config.get("ALLOW_DEMO_DATA", False):
        raise click.ClickException("Demo data is refused in this configuration (production).")
    try:
        stats = load_seed(db.session, data_dir or ROOT / "seed" / "data")
        db.session.commit()
    except SeedError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(stats.describe())
    if demo:
        from seed.demo import load_demo

        accounts = load_demo(db.session)
        db.session.commit()
        click.echo("Demo accounts (role, e-mail, password):")
        for role, email, password in accounts:
            click.echo(f"  {role:9} {email:32} {password}")


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
def backup_command(out: Path) -> None:
    """Back up the database and attachments to OUT (.tar.gz, or a folder for a dated file)."""
    from .services.backup import BackupError, create_backup

    try:
        result = create_backup(out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written: {result.describe()}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore ARCHIVE into the configured empty database and attachment folder (checksums first)."""
    from .services.backup import BackupError, restore_backup

    try:
        result = restore_backup(archive)
    except BackupError as exc:
        raise click.ClickException(f"Restore failed: {exc}") from exc
    click.echo(f"Restored: {result.describe()}")


@click.command("sweep-uploads")
def sweep_uploads_command() -> None:
    """Delete files of refused submissions parked longer than STAGING_MAX_AGE_HOURS (run hourly from cron)."""
    from .services.uploads import staging_usage, sweep_staging

    result = sweep_staging()
    files, size = staging_usage()
    click.echo(
        f"Swept {result.files} staged files ({result.bytes} bytes); {files} files ({size} bytes) "
        "still waiting in staging."
    )


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["editor", "reviewer", "viewer", "admin"]),
    help="editor (department editor), reviewer, viewer or admin.",
)
@click.option("--department", "department_code", default=None, help="Department code (required for editors).")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
def create_user_command(email: str, role: str, department_code: str | None, name: str, password_stdin: bool) -> None:
    """Create an account; the password is prompted for (twice) unless --password-stdin."""
    from flask_babel import force_locale

    from .services import DomainError
    from .services.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):
        try:
            user = create_user(email, role, password, department_code=department_code, name=name, actor_label="cli")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            problems = exc.extra.get("errors") or {exc.field or "error": exc.message}
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in problems.items())) from exc
    dept = f" ({user.department.code})" if user.department else ""
    click.echo(f"Created {user.role.value}{dept}: {user.email}")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
def create_token_command(email: str, name: str) -> None:
    """Create a personal API token for EMAIL; the token alone is printed on the last line (shown once)."""
    from flask_babel import force_locale

    from .services import DomainError
    from .services.signin import find_user_by_email
    from .services.tokens import create_token

    with force_locale("en"):
        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No account with e-mail {email}.")
        try:
            token, raw = create_token(user, name, actor_label="cli")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
    click.echo(f"Token {token.prefix}… created for {user.email}. Store it now; it is not shown again:")
    click.echo(raw)


@click.command("send-reminders")
@click.option(
    "--date",
    "on_date",
    default=None,
    metavar="YYYY-MM-DD",
    help="The day the reminders are for (default: today in Taiwan).",
)
@click.option("--dry-run", is_flag=True, help="List who would get which digest; send and record nothing.")
def send_reminders_command(on_date: str | None, dry_run: bool) -> None:
    """E-mail each department's editors and each reviewer their daily digest (at most once a day)."""
    from datetime import date as _date

    from .mail import Mailer, MailSettings
    from .services import reminders
    from .services.review import today

    if on_date:
        try:
            day = _date.fromisoformat(on_date)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD, for example 2017-12-31", param_hint="--date") from None
        if day > today():
            raise click.BadParameter(f"{day} is in the future", param_hint="--date")
    else:
        day = today()
    todo, done = reminders.due_digests(day)
    for line in reminders.describe(done):
        click.echo(f"already sent: {line}")
    if dry_run:
        for line in reminders.describe(todo):
            click.echo(f"would send: {line}")
        click.echo(f"Dry run: {len(todo)} to send, {len(done)} already sent on {day}.")
        db.session.rollback()
        return
    sent = 0
    if todo:
        with Mailer(MailSettings.from_config(current_app.config)) as mailer:
            for digest in todo:
                reminders.send_digest(digest, mailer)
                # Commit per message: a later failure must not forget what was sent.
                db.session.commit()
                sent += 1
                click.echo(f"sent: {reminders.describe([digest])[0]}")
    click.echo(f"{sent} sent, {len(done)} already sent on {day}.")


@click.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Turn off EMAIL's TOTP and recovery codes (lost phone); a required role sets it up again at sign-in."""
    from .services.signin import find_user_by_email
    from .services.totp import disable

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    disable(user, actor=None, by_operator=True)
    db.session.commit()
    click.echo(f"Second factor turned off for {user.email}; their next sign-in asks for a new set-up if required.")


@click.group("projections")
def projections_group() -> None:
    """The read model (item_period and its roll-ups, docs/performance.md): rebuild or check it."""


@projections_group.command("rebuild")
def projections_rebuild_command() -> None:
    """Recompute the whole read model from the history (safe to run any time)."""
    from .services import projections

    through = projections.rebuild()
    db.session.commit()
    click.echo(f"Read model rebuilt through the period ending {through.isoformat()}.")


@projections_group.command("check")
@click.option("--limit", default=50, show_default=True, help="Stop after this many differences.")
def projections_check_command(limit: int) -> None:
    """Compare the stored read model with one recomputed from the history; exit 1 on any
    difference (then run ``flask projections rebuild``)."""
    from .services import projections

    diffs = projections.check(limit=limit)
    if diffs:
        for d in diffs:
            click.echo(str(d))
        raise click.ClickException(f"{len(diffs)} difference(s) found; run `flask projections rebuild`.")
    click.echo("The read model agrees with the history.")


@click.command("progress")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Data date: records effective on or before it count (default: today).",
)
@click.option(
    "--known-at",
    "known_at",
    default=None,
    metavar="DATE",
    help="Knowledge date: only what was submitted, reviewed or decided by then counts "
    "(default: today; equal to --as-of for the state as printed that day).",
)
@click.option("--report", default=None, help="Report id or code (default: every report).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def progress_command(as_of: str | None, known_at: str | None, report: str | None, as_json: bool) -> None:
    """Print the follow-up state on a data date and a knowledge date (ROC dates such as
    107/12/31 are accepted): progress per recommendation, pending reports, flags."""
    import json

    from . import dates
    from .errors import InvalidDate
    from .services import progress
    from .services.portfolio import report_filter

    try:
        data_dates = dates.resolve_data_dates(as_of, known_at)
    except InvalidDate as exc:
        raise click.BadParameter(exc.message, param_hint="--known-at" if exc.field == "known_at" else "--as-of")
    report_ids, _rep, error = report_filter(report)
    if error:
        raise click.BadParameter(error, param_hint="--report")
    s = progress.build_summary(
        data_dates, report_ids=report_ids, flag_limit=0, decision_limit=0, with_recommendations=True
    )
    report_codes = {r.id: r.code for r in s.reports}
    out = {
        "as_of": s.dates.as_of.isoformat(),
        "known_at": s.dates.known_at.isoformat(),
        "overall_progress": None if s.overall_progress is None else round(s.overall_progress, 1),
        "items": s.item_count,
        "pending": s.pending_count,
        "flags": dict(s.flag_counts),
        "recommendations": [
            {
                "report": report_codes.get(r.recommendation.report_id),
                "code": r.recommendation.code,
                "progress": None if r.rollup.progress is None else round(r.rollup.progress, 1),
                "items": r.item_count,
                "pending": r.pending,
            }
            for r in s.recommendations
        ],
    }
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"Data as of {out['as_of']}, known at {out['known_at']} ({s.source}).")
    pct = "—" if out["overall_progress"] is None else f"{out['overall_progress']} %"
    click.echo(
        f"Overall progress {pct}; {out['items']} items; {out['pending']} reports pending review; "
        f"overdue {out['flags'].get('overdue', 0)}, due soon {out['flags'].get('due_soon', 0)}, "
        f"not reported {out['flags'].get('stale', 0)}."
    )
    for r in out["recommendations"]:
        rp = "—" if r["progress"] is None else f"{r['progress']} %"
        click.echo(f"  {r['report']} {r['code']}: {rp} ({r['items']} items, {r['pending']} pending)")


@click.command("import-report")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what would be created; write nothing.")
@click.option(
    "--as",
    "actor_email",
    default=None,
    metavar="EMAIL",
    help="Administrator account to record in the audit log (default: the command line).",
)
def import_report_command(path: str, dry_run: bool, actor_email: str | None) -> None:
    """Import reports, recommendations and action items from a spreadsheet (CSV, XLSX or ODS;
    template: docs/portfolio.md). Any problem: nothing is imported and every problem is
    printed as row, column and reason (exit status 1)."""
    from pathlib import Path

    from sqlalchemy import select

    from .extensions import db
    from .models import Role, User
    from .services import importer, sheets

    actor = importer.SystemActor()
    if actor_email:
        actor = db.session.scalar(select(User).where(User.email == actor_email.strip().lower()))
        if actor is None or actor.role is not Role.ADMIN or not actor.active:
            raise click.BadParameter(f"{actor_email} is not an active administrator account.", param_hint="--as")
    file = Path(path)
    with file.open("rb") as fh:
        data = fh.read(sheets.max_bytes() + 1)
    result = importer.import_file(file.name, data, actor, dry_run=dry_run)
    for note in result.notes:
        click.echo(note)
    if not result.ok:
        click.echo(f"Nothing was imported: {len(result.problems)} problem(s).", err=True)
        for p in result.problems:
            click.echo(f"  {p}", err=True)
        raise SystemExit(1)
    if not dry_run:
        db.session.commit()
    verb = "Would create" if dry_run else "Created"
    c, u = result.created, result.unchanged
    click.echo(
        f"{verb} {c['reports']} report(s), {c['recommendations']} recommendation(s), {c['items']} action "
        f"item(s); unchanged: {u['reports']} report(s), {u['recommendations']} recommendation(s), "
        f"{u['items']} action item(s)."
    )


def register_commands(app: Flask) -> None:
    from .cli_drafting import draft_report_command, search_index_command
    from .exports.cli import export_summary_command, file_summary_command, reopen_year_command

    app.cli.add_command(export_summary_command)
    app.cli.add_command(file_summary_command)
    app.cli.add_command(reopen_year_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(reset_second_factor_command)
    app.cli.add_command(sweep_uploads_command)
    app.cli.add_command(projections_group)
    app.cli.add_command(progress_command)
    app.cli.add_command(import_report_command)
    app.cli.add_command(draft_report_command)
    app.cli.add_command(search_index_command)
