"""Personal API tokens: shown once, stored as a SHA-256 digest, revocable."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import ApiToken, User, utcnow
from . import DomainError, NotFound
from .audit import record_event

TOKEN_PREFIX = "pbt_"
# last_used_at is refreshed at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, *, actor: User | None = None, actor_label: str = "",
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the raw token (never stored). Raises DomainError."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the script that uses it."), field="name",
                          errors={"name": _("Give the token a name, e.g. the script that uses it.")})
    if len(name) > 120:
        raise DomainError(_("Use at most %(n)d characters.", n=120), field="name",
                          errors={"name": _("Use at most %(n)d characters.", n=120)})
    if not user.active:
        raise DomainError(_("This account is deactivated."), code="inactive")
    # 32 random bytes; the readable prefix lets people tell their tokens apart.
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=digest(raw), prefix=raw[:10], expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record_event("token.create", user=actor or user, obj=token, actor=actor_label,
                 after={"owner": user.email, "name": name, "prefix": token.prefix})
    return token, raw


def revoke_token(token: ApiToken, *, actor: User | None = None) -> None:
    """Stop the token from working (kept for the record)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    db.session.flush()
    record_event("token.revoke", user=actor, obj=token, after={"owner_id": token.user_id, "prefix": token.prefix})


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def get_own_token(user: User, token_id: int) -> ApiToken:
    """The user's own token. Raises NotFound for someone else's (existence is not revealed)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    return token


def user_for_token(raw: str) -> User | None:
    """The active owner of a valid (known, unrevoked, unexpired) token, else None.

    Touches last_used_at with a single guarded UPDATE; the caller commits.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    user = token.user
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return user
