"""The steps every structure write shares: the administrator check (with its audit row),
snapshots for the audit log, applying typed values, the guarded version bump (optimistic
locking), code uniqueness, and the generic create and update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...inputs import MAX_INT, parse_int
from ...models import (
    ActionItem,
    User,
    utcnow,
)
from .. import ConflictError, DomainError, PermissionDenied, permissions
from ..audit import record_event
from .fields import ITEM_LISTS, Field, _raise, _read_all


def _require_admin(actor: User, kind: str, obj: Any = None) -> None:
    if not permissions.can_administer(actor):
        record_event(f"{kind}.denied", user=actor, obj=obj, object_type="" if obj is not None else kind)
        raise PermissionDenied(
            _(
                "Only administrators may create or change reports, recommendations, practices, "
                "indicators and action items."
            )
        )


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a value for the audit summary."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__tablename__"):
        return getattr(value, "code", None) or getattr(value, "id", None)
    return value


def snapshot(obj: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The stored values of ``fields`` (relations as codes or ids), for the audit diff."""
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.kind == "refs":
            out[spec.name] = sorted(o.id for o in getattr(obj, ITEM_LISTS[spec.name]))
        elif spec.kind == "ref":
            out[spec.name] = getattr(obj, spec.name)
        else:
            # "code" is a redacted key of the audit log (sign-in codes): stored as "record_code".
            out["record_code" if spec.name == "code" else spec.name] = _plain(getattr(obj, spec.name))
    return out


def _apply(obj: Any, clean: Mapping[str, Any], fields: tuple[Field, ...]) -> None:
    by_name = {f.name: f for f in fields}
    for key, value in clean.items():
        spec = by_name[key]
        if spec.kind == "refs":
            setattr(obj, ITEM_LISTS[key], list(value))
        elif spec.kind == "ref":
            # Through the relationship (report_id -> report ...), so that loaded objects see it at once.
            setattr(obj, key[:-3], value)
        elif spec.kind in ("text", "code"):
            setattr(obj, key, value or "")
        else:
            setattr(obj, key, value)


def _merged(obj: Any, clean: Mapping[str, Any], name: str) -> Any:
    """The value a field will have after the write (the new one if given, else the stored one)."""
    if name in clean:
        value = clean[name]
        return value.id if hasattr(value, "__tablename__") else value
    return getattr(obj, name, None) if obj is not None else None


def _bump(model: type, obj: Any, based_on_version: Any, errors: dict[str, str]) -> None:
    """Move ``obj`` from the version the caller read to the next, or raise ConflictError."""
    version = parse_int(based_on_version, low=1, high=MAX_INT)
    if version is None:
        errors["version"] = _("Give the version your change is based on.")
        _raise(errors)
    _raise(errors)
    values: dict[str, Any] = {"version": model.version + 1}
    if model is ActionItem:
        values["updated_at"] = utcnow()
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(model.version).where(model.id == obj.id))
        raise ConflictError(
            _(
                "This record was changed by someone else (now version %(v)s) after you read it (version "
                "%(mine)s). Read it again and redo your change.",
                v=current,
                mine=version,
            ),
            current_version=current,
        )
    db.session.refresh(obj, ["version"])


def _unique(model: type, where: Iterable[Any], obj: Any, code: Any, errors: dict[str, str], scope: str) -> None:
    """The code must be unique within its parent (or among reports)."""
    if not code or "code" in errors:
        return
    query = select(model.id).where(model.code == code, *where)
    if obj is not None:
        query = query.where(model.id != obj.id)
    if db.session.scalar(query.limit(1)) is not None:
        errors["code"] = _("The code %(code)s is already used %(scope)s.", code=code, scope=scope)


def _next_position(model: type, parent_col: Any, parent_id: int) -> int:
    current = db.session.scalar(select(func.max(model.position)).where(parent_col == parent_id))
    return 0 if current is None else min(current + 1, MAX_INT)


class DuplicateCode(DomainError):
    """A concurrent write saved the same code first (the unique constraint caught it): 409."""

    status_code = 409


def _flush() -> None:
    """Flush; a constraint the checks above missed (a concurrent insert of the same code) is a 409.
    The caller rolls back."""
    try:
        db.session.flush()
    except IntegrityError:
        raise DuplicateCode(
            _("Someone else saved a record with the same code at the same time. Read it again and retry."),
            field="code",
            code="duplicate_code",
        ) from None


def _create(
    kind: str,
    model: type,
    fields: tuple[Field, ...],
    actor: User,
    values: Mapping[str, Any],
    check: Callable[[Any, dict[str, Any], dict[str, str]], None],
) -> Any:
    _require_admin(actor, kind)
    errors: dict[str, str] = {}
    clean = _read_all(fields, values, creating=True, errors=errors)
    check(None, clean, errors)
    _raise(errors)
    obj = model()
    _apply(obj, clean, fields)
    obj.version = 1
    db.session.add(obj)
    _flush()
    record_event(f"{kind}.create", user=actor, obj=obj, after=snapshot(obj, fields) | {"version": obj.version})
    return obj


def _update(
    kind: str,
    model: type,
    fields: tuple[Field, ...],
    obj: Any,
    actor: User,
    values: Mapping[str, Any],
    based_on_version: Any,
    check: Callable[[Any, dict[str, Any], dict[str, str]], None],
) -> tuple[Any, list[str]]:
    _require_admin(actor, kind, obj)
    errors: dict[str, str] = {}
    clean = _read_all(fields, values, creating=False, errors=errors)
    check(obj, clean, errors)
    if not clean and not errors:  # nothing to change: only say whether the version is still current
        version = parse_int(based_on_version, low=1, high=MAX_INT)
        if version != obj.version:
            raise ConflictError(
                _(
                    "This record was changed by someone else (now version %(v)s) after you read it "
                    "(version %(mine)s). Read it again and redo your change.",
                    v=obj.version,
                    mine=version,
                ),
                current_version=obj.version,
            )
        return obj, []
    before = snapshot(obj, fields)
    _bump(model, obj, based_on_version, errors)  # raises the field errors first, then a conflict
    _apply(obj, clean, fields)
    _flush()
    after = snapshot(obj, fields)
    changed = [k for k in after if after[k] != before[k]]
    record_event(
        f"{kind}.edit",
        user=actor,
        obj=obj,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed} | {"version": obj.version},
    )
    return obj, changed
