"""Storing a checked file under a generated name outside the static folder, and the session
hooks that remove it again when the transaction recording it does not commit.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from .checks import CheckedFile

PENDING_KEY = "uploads.pending_files"
CONSUMED_KEY = "uploads.consumed_staging"


# --- storage -------------------------------------------------------------------------------


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def stored_path(stored_name: str) -> Path:
    """Path of a stored file; the name is ours (hex), never user input."""
    if not stored_name or not all(c in "0123456789abcdef" for c in stored_name):
        raise ValueError("bad stored name")
    return upload_root() / stored_name


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def store(checked: CheckedFile, session: Session) -> str:
    """Write a checked file under a new generated name; returns that name.

    The file is deleted again if ``session``'s transaction rolls back.
    """
    name = uuid.uuid4().hex
    path = stored_path(name)
    _write_new(path, checked.data)
    session.info.setdefault(PENDING_KEY, []).append(str(path))
    return name


# --- transaction hooks --------------------------------------------------------------------------


def _unlink_all(paths: list[Any]) -> None:
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass


@event.listens_for(Session, "after_commit")
def _files_committed(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    _unlink_all(session.info.pop(CONSUMED_KEY, []))


@event.listens_for(Session, "after_transaction_end")
def _files_not_committed(session: Session, transaction: Any) -> None:
    # Runs after after_commit, and also on rollback and on close without commit. Only the
    # outermost transaction decides whether the rows (and so the files) exist.
    if transaction.parent is None:
        _unlink_all(session.info.pop(PENDING_KEY, []))
        session.info.pop(CONSUMED_KEY, None)
