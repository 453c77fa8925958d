"""Who is asking: session users (Flask-Login) and API personal tokens."""
from __future__ import annotations

from flask import Flask

from ..extensions import db, login_manager
from ..models import User


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Session id is "<user id>:<session version>": bumping the version ends old sessions."""
    try:
        uid, version = (int(p) for p in user_key.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def register_authn(app: Flask) -> None:
    login_manager.login_view = "auth.login"


def session_payload(user: User) -> dict:
    """Session keys set at login (Flask-Login's user id carries the session version)."""
    return {"_user_id": user.get_id(), "_fresh": True}
