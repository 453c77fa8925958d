"""View decorators for role checks (authentication itself is enforced globally)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user


def require(check: Callable[..., bool]) -> Callable:
    """403 unless ``check(current_user)`` is true, e.g. ``@require(permissions.can_review)``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from flask import current_app

                return current_app.login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
