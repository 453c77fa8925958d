"""flask create-user and flask create-token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import ApiToken, AuditLog, Role, User
from tracker.services.tokens import digest


def test_create_editor_with_password_from_stdin(runner, factory):
    factory.department("WRB")
    db.session.commit()
    result = runner.invoke(
        args=["create-user", "Chen@Tainan.gov.tw", "--role", "editor", "--department", "wrb", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chen@tainan.gov.tw"))
    assert user.role is Role.EDITOR and user.department.code == "WRB"
    assert "a long enough passphrase" not in result.output
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.create"))
    assert row.actor == "cli" and "passphrase" not in row.summary


def test_create_user_prompts_twice(runner):
    result = runner.invoke(
        args=["create-user", "r@example.org", "--role", "reviewer"],
        input="a long enough passphrase\na long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "r@example.org")).role is Role.REVIEWER


def test_create_user_prompt_mismatch_is_asked_again(runner):
    result = runner.invoke(
        args=["create-user", "r@example.org", "--role", "viewer"],
        input="a long enough passphrase\nsomething else entirely\n",
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize(
    "args,password,fragment",
    [
        (["x@example.org", "--role", "editor"], "a long enough passphrase", "department"),
        (["x@example.org", "--role", "editor", "--department", "NOPE"], "a long enough passphrase", "NOPE"),
        (["not-an-email", "--role", "viewer"], "a long enough passphrase", "email"),
        (["x@example.org", "--role", "viewer"], "short", "password"),
        (["x@example.org", "--role", "wizard"], "a long enough passphrase", "wizard"),
    ],
)
def test_create_user_refuses_bad_input_in_english(runner, args, password, fragment):
    result = runner.invoke(args=["create-user", *args, "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert fragment in result.output
    assert db.session.scalar(select(User)) is None


def test_duplicate_email_is_refused(runner, factory):
    factory.user("viewer", email="dup@example.org")
    db.session.commit()
    result = runner.invoke(
        args=["create-user", "DUP@example.org", "--role", "viewer", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code != 0 and "already" in result.output


def test_create_token_prints_the_token_alone_on_the_last_line(runner, factory, client):
    user = factory.user("editor", email="ed@example.org")
    db.session.commit()
    result = runner.invoke(args=["create-token", "ED@example.org", "--name", "nightly import"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("pbt_") and " " not in raw
    token = db.session.scalar(select(ApiToken))
    assert (token.user_id, token.name, token.token_hash) == (user.id, "nightly import", digest(raw))
    assert client.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_create_token_for_unknown_or_inactive_account(runner, factory):
    assert runner.invoke(args=["create-token", "nobody@example.org"]).exit_code != 0
    factory.user("viewer", email="off@example.org", active=False)
    db.session.commit()
    result = runner.invoke(args=["create-token", "off@example.org"])
    assert result.exit_code != 0 and "deactivated" in result.output
    assert db.session.scalar(select(ApiToken)) is None
