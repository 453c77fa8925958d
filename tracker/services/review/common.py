"""What the review operations share: the review calendar day, dates in messages, the
version bump of a reviewed item, the check of a decision's date."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ... import dates
from ...locale import current_locale, format_date
from ...models import (
    ActionItem,
    User,
)
from .. import DomainError


def today() -> date:
    """Today's date in Tainan (the date reviewers see on their calendar)."""
    return dates.today()


def local_midnight_utc(d: date) -> datetime:
    """00:00 Tainan time on ``d``, as an aware UTC datetime."""
    return dates.start_of_day(d)


def _who(user: User | None) -> str:
    if user is None:
        return _("another reviewer")
    return user.display_name


def _fmt(d: date) -> str:
    return format_date(d, current_locale())


def _bump_version(item_id: int, session: Session) -> None:
    """Atomic ``version = version + 1`` (no read-modify-write race)."""
    session.execute(
        update(ActionItem)
        .where(ActionItem.id == item_id)
        .values(version=ActionItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    item = session.identity_map.get(identity_key(ActionItem, item_id))
    if item is not None:
        session.expire(item, ["version"])


def _check_effective(
    effective_date: date | None, not_before: date | None, field_name: str, not_before_message: str | None = None
) -> date:
    if effective_date is None:
        raise DomainError(_("Enter a date."), field=field_name, code="required")
    if not dates.EARLIEST <= effective_date <= dates.LATEST:
        raise DomainError(
            _("%(date)s is not a date the tracker can record (from 1912 on).", date=effective_date.isoformat()),
            field=field_name,
            code="date_out_of_range",
        )
    if effective_date > today():
        raise DomainError(
            _(
                "%(date)s is after today (%(today)s): choose today or an earlier date.",
                date=_fmt(effective_date),
                today=_fmt(today()),
            ),
            field=field_name,
            code="future_date",
        )
    if not_before is not None and effective_date < not_before:
        raise DomainError(not_before_message or _("The date is too early."), field=field_name, code="date_too_early")
    return effective_date
