"""The end of a view's write, one way for every page (load -> check access -> process -> one commit).

A view loads its object (``inputs.load_or_404``), checks access (``authz.require`` or a
``permissions.can_*`` test), then hands the service write to ``save``: the write flushes, ``save``
commits once and flashes what was done. A refusal by the rules (``DomainError``) is rolled back and
handed back for the form to show; a ``PermissionDenied`` is committed instead (the service wrote the
denial's audit row, which must be kept) and answered 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g

from ..errors import DomainError, PermissionDenied
from ..extensions import db


@dataclass(frozen=True)
class Saved:
    """What one write did: its ``result``, or the ``error`` that refused it (already rolled back)."""

    result: Any = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def errors(self, default_field: str) -> dict[str, str]:
        """The refusal's messages by form field (``default_field`` when it names none)."""
        if self.error is None:
            return {}
        return self.error.extra.get("errors") or {self.error.field or default_field: self.error.message}


def save(
    operation: Callable[[], Any],
    success: str | Callable[[Any], str] | None = None,
    *,
    flash_error: bool = False,
    keep_refusal: bool = False,
) -> Saved:
    """Run ``operation`` (a service write that flushes, never commits) and end the transaction.

    - it succeeds: commit, flash ``success`` (a message, or a function of the result);
    - ``PermissionDenied``: commit (keeps the denial's audit row) and answer 403;
    - any other ``DomainError``: roll back (commit instead with ``keep_refusal``: the refusal
      itself wrote what must stay, such as the audit row and the count of a wrong password),
      flash its message as an error if ``flash_error``, and return it in ``Saved.error``.
    """
    try:
        result = operation()
    except PermissionDenied:
        db.session.commit()
        g.denial_logged = True
        abort(403)
    except DomainError as exc:
        if keep_refusal:
            db.session.commit()
        else:
            db.session.rollback()
        if flash_error:
            flash(exc.message, "error")
        return Saved(error=exc)
    db.session.commit()
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return Saved(result=result)
