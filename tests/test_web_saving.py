"""The one end of a view's write (tracker/web/saving.py): commit and flash on success; roll a
refusal back and hand it to the form; keep what a refusal wrote when asked (a wrong password's
audit row); commit a PermissionDenied's audit row and answer 403."""

from __future__ import annotations

import pytest
from flask import g, get_flashed_messages
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from tracker.errors import DomainError, PermissionDenied
from tracker.extensions import db
from tracker.models import Department
from tracker.web.saving import save


def _write(code: str, error: DomainError | None = None):
    def operation():
        dept = Department(code=code, name_zh=f"{code}局", name_en=f"{code} bureau")
        db.session.add(dept)
        db.session.flush()
        if error is not None:
            raise error
        return dept

    return operation


def _kept(code: str) -> bool:
    db.session.rollback()  # only what was committed is still there
    return db.session.scalar(select(Department).where(Department.code == code)) is not None


def test_a_write_that_holds_is_committed_and_flashed(app):
    with app.test_request_context("/"):
        saved = save(_write("ok1"), lambda dept: f"{dept.code} saved")
        assert saved.ok and saved.result.code == "ok1" and saved.errors("code") == {}
        assert get_flashed_messages(with_categories=True) == [("success", "ok1 saved")]
        assert _kept("ok1")


def test_a_refusal_is_rolled_back_and_given_to_the_form(app):
    with app.test_request_context("/"):
        saved = save(_write("no1", DomainError("Code taken.", field="code")), "never shown")
        assert not saved.ok and saved.result is None
        assert saved.errors("name_zh") == {"code": "Code taken."}
        assert get_flashed_messages() == []
        assert not _kept("no1")

    with app.test_request_context("/"):  # the flashed messages are read once per request
        many = DomainError("Two problems.", errors={"code": "Code taken.", "name_en": "Too long."})
        saved = save(_write("no2", many), flash_error=True)
        assert saved.errors("code") == {"code": "Code taken.", "name_en": "Too long."}
        assert get_flashed_messages(with_categories=True) == [("error", "Two problems.")]
        assert save(_write("no3", DomainError("Bad."))).errors("name_en") == {"name_en": "Bad."}


def test_a_refusal_can_keep_what_it_wrote(app):
    with app.test_request_context("/"):
        saved = save(_write("kept1", DomainError("Wrong password.", field="password")), keep_refusal=True)
        assert saved.error is not None and saved.error.message == "Wrong password."
        assert _kept("kept1")


def test_permission_denied_keeps_its_audit_row_and_answers_403(app):
    with app.test_request_context("/"):
        with pytest.raises(Forbidden):
            save(_write("denied1", PermissionDenied("No.")), "never shown")
        assert g.denial_logged is True
        assert get_flashed_messages() == []
        assert _kept("denied1")
