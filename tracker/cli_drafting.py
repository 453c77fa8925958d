"""``flask draft-report FILE [--dry-run] [--json]``: a report drafted from its own text."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from .extensions import db


@click.command("draft-report")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only show what would be drafted; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the draft as JSON.")
def draft_report_command(file: Path, dry_run: bool, as_json: bool) -> None:
    """Read FILE (DOCX, ODT, PDF or .txt), find its recommendations and keep them as a draft
    for an administrator to review at /admin/drafts/<id> (nothing is tracked before that)."""
    from .services import drafting

    limit = int(current_app.config.get("MAX_UPLOAD_BYTES") or 10 * 1024 * 1024)
    if file.stat().st_size > limit:
        raise click.ClickException(f"{file.name}: the file is larger than {limit / 1048576:g} MB (MAX_UPLOAD_BYTES).")
    data = file.read_bytes()
    try:
        if dry_run:
            result = drafting.read_draft(file.name, data)
            payload = result.draft.as_dict()
            draft_id = None
        else:
            draft = drafting.create_draft(file.name, data, None)
            db.session.commit()
            payload = {k: (v or None) for k, v in draft.data.items() if k != "recommendations"}
            payload.pop("destination", None)
            payload["recommendations"] = [
                {"section": r["section"], "title": r["title"], "text": r["text"]} for r in draft.data["recommendations"]
            ]
            draft_id = draft.id
    except drafting.DraftRefused as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if as_json:
        if draft_id is not None:
            payload = {"draft_id": draft_id, **payload}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"Title:       {payload['title'] or '—'}")
    click.echo(f"Agency:      {payload['agency'] or '—'}")
    click.echo(f"Trip:        {payload['trip_start'] or '—'} – {payload['trip_end'] or '—'}")
    click.echo(f"Filed:       {payload['report_date'] or '—'}")
    click.echo(f"Recommendations ({len(payload['recommendations'])}):")
    for rec in payload["recommendations"]:
        click.echo(f"  {rec['section']:10} {rec['title']}")
    if draft_id is None:
        click.echo("Dry run: nothing was written.")
    else:
        base = current_app.config.get("BASE_URL", "").rstrip("/")
        click.echo(
            f"Draft {draft_id} kept for review: {base}/admin/drafts/{draft_id} "
            "(nothing is tracked until an administrator confirms it)."
        )


@click.command("search-index")
def search_index_command() -> None:
    """Rebuild the full-text search index of every report, recommendation and practice."""
    from .services import search

    count = search.rebuild()
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} documents.")
