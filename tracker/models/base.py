"""Shared column helpers and the append-only guard."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Enum, event, inspect
from sqlalchemy.orm import Session


def utcnow() -> datetime:
    """Timezone-aware UTC now; used as a callable column default (the app's one clock,
    tracker.dates.now, reads the same ``datetime.now``)."""
    return datetime.now(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A string enum stored by value and backed by a named CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
    )


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a history record."""


class AppendOnly:
    """Mixin for history tables: rows may be inserted, never updated or deleted.

    The guard runs in the ORM flush; database triggers created by the migrations
    enforce the same rule for raw SQL.
    """

    __append_only__ = True


@event.listens_for(Session, "before_flush")
def _guard_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if getattr(obj, "__append_only__", False):
            raise AppendOnlyError(f"{type(obj).__name__} records are append-only and cannot be deleted")
    for obj in session.dirty:
        if getattr(obj, "__append_only__", False) and _columns_changed(obj):
            raise AppendOnlyError(f"{type(obj).__name__} records are append-only and cannot be changed")


def _columns_changed(obj: Any) -> bool:
    """True if a mapped column changed (relationship back-references do not count)."""
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


def check(sql: str, name: str) -> CheckConstraint:
    return CheckConstraint(sql, name=name)
