"""Refused uploads do not fill the disk: the files a refused submission parks for the
re-shown form are bounded per user (bytes and count: the user's oldest make room) and in
total (beyond it nothing more is parked and the form asks for the file again), expire
after STAGING_MAX_AGE_HOURS (swept by `flask sweep-uploads` and while staging), and are
left out of backups."""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from tests.update_world import World, update_form
from tracker.extensions import db
from tracker.services import uploads
from tracker.services.backup import create_backup

KB = 1024


@pytest.fixture
def world(world, app) -> World:
    """The shared world (conftest.py), plus what these tests need."""
    app.config.update(
        STAGING_MAX_BYTES_PER_USER=300 * KB, STAGING_MAX_FILES_PER_USER=5, STAGING_MAX_BYTES_TOTAL=500 * KB
    )
    uploads.staging._last_sweep = 0.0
    return world


def _text_file(n: int, size: int = 100 * KB) -> tuple[io.BytesIO, str]:
    return io.BytesIO((f"evidence {n} ".encode() * size)[:size]), f"evidence-{n}.txt"


def _refused_submission(client, world, files):
    """A submission refused for its narrative: its good files are parked for the re-shown form."""
    data = update_form(world, narrative="")
    data["files"] = files
    return client.post(f"/items/{world.item.id}/updates/new?lang=en", data=data, content_type="multipart/form-data")


def _staged(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "staging"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_each_refused_submission_parks_its_files_but_a_user_keeps_a_bounded_amount(app, client, login, world):
    login(world.lead_editor)
    for n in range(8):
        resp = _refused_submission(client, world, [_text_file(2 * n), _text_file(2 * n + 1)])
        assert resp.status_code == 422
        assert resp.get_data(as_text=True).count('name="staged"') == 2  # this try's files are kept
        files, size = uploads.staging_usage(world.lead_editor.id)
        assert size <= 300 * KB and files <= 5
    # Sixteen files of 100 KiB were sent; three are left, the newest.
    names = sorted(p.read_bytes()[:13] for p in _staged(app))
    assert len(names) == 3 and b"evidence 15 " in names[0] + names[1] + names[2]


def test_a_file_larger_than_the_users_room_is_not_kept_and_the_form_says_so(app, client, login, world):
    login(world.lead_editor)
    resp = _refused_submission(client, world, [_text_file(1, size=400 * KB)])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'name="staged"' not in html
    assert "evidence-1.txt could not be kept while the form is shown again; choose it again." in html
    assert _staged(app) == []


def test_the_total_is_bounded_across_users(app, client, login, world):
    login(world.lead_editor)
    _refused_submission(client, world, [_text_file(1), _text_file(2), _text_file(3)])
    login(world.support_editor)
    from tracker.models import Department

    # The support editor's own item, so the form is theirs to submit.
    world.item.lead_department = db.session.get(Department, world.support.id)
    db.session.commit()
    resp = _refused_submission(client, world, [_text_file(4), _text_file(5), _text_file(6)])
    html = resp.get_data(as_text=True)
    assert html.count('name="staged"') == 2 and "evidence-6.txt could not be kept" in html
    assert sum(p.stat().st_size for p in _staged(app)) <= 500 * KB


def test_sweep_uploads_deletes_expired_files_and_keeps_fresh_ones(app, runner, world):
    fresh = uploads.stage(uploads.check_file(uploads.IncomingFile("a.txt", b"fresh")), world.lead_editor.id)
    uploads.stage(uploads.check_file(uploads.IncomingFile("b.txt", b"old one")), world.other_editor.id)
    old = [p for p in _staged(app) if p.read_bytes() == b"old one"][0]
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    result = runner.invoke(args=["sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert "Swept 1 staged files (7 bytes); 1 files (5 bytes) still waiting" in result.output
    assert not old.exists() and not old.parent.exists()
    assert uploads.unstage(fresh, world.lead_editor.id).data == b"fresh"


def test_staging_sweeps_expired_files_on_the_way(app, world):
    uploads.stage(uploads.check_file(uploads.IncomingFile("old.txt", b"old")), world.other_editor.id)
    old = _staged(app)[0]
    os.utime(old, (time.time() - 48 * 3600,) * 2)
    uploads.staging._last_sweep = 0.0
    uploads.stage(uploads.check_file(uploads.IncomingFile("new.txt", b"new")), world.lead_editor.id)
    assert not old.exists()


def test_an_expired_ticket_finds_nothing(app, world):
    ticket = uploads.stage(uploads.check_file(uploads.IncomingFile("a.txt", b"text")), world.lead_editor.id)
    app.config["STAGING_MAX_AGE_HOURS"] = 0
    time.sleep(1.1)
    assert uploads.unstage(ticket, world.lead_editor.id) is None


def test_backups_leave_staging_out(app, world, tmp_path):
    uploads.stage(uploads.check_file(uploads.IncomingFile("parked.txt", b"waiting")), world.lead_editor.id)
    root = Path(app.config["UPLOAD_FOLDER"])
    (root / "0123abcd").write_bytes(b"a stored attachment")
    result = create_backup(tmp_path / "b.tar.gz")
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
    assert "attachments/0123abcd" in names
    assert not [n for n in names if "staging" in n]
    assert result.files == 1
